"""Gunicorn settings, read from the project root by `gunicorn wsgi:app` and by `make serve`.

The Korean analyser's model (Kiwi, about 500 MB once it has analysed a word) is loaded once per
machine: the app is imported in the master (`preload_app`), the master loads Kiwi before it forks,
and the workers share those pages copy-on-write instead of each loading its own. Kiwi runs without
a thread pool (`archive/search/engine/korean.py`), so the inherited instance works in every worker.
`bench/search_memory.py` measures what each worker costs (proportional set size).
"""

from __future__ import annotations

import gc
from typing import Any

preload_app = True


def _flask_app(server: Any) -> Any:
    """Return the Flask app the master imported (None if it is not one)."""
    app = server.app.wsgi()
    return app if hasattr(app, "extensions") else None


def when_ready(server: Any) -> None:
    """Load Kiwi and the place names in the master, then freeze what exists for the workers."""
    app = _flask_app(server)
    engine = app.extensions.get("search") if app is not None else None
    if engine is not None:
        engine.warm_up(wait=True)
    # Objects created so far are never collected: the cycle collector would otherwise write
    # to (and so un-share) every page holding them in each worker.
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    """Give each worker its own database connections (none may cross a fork)."""
    app = _flask_app(server)
    if app is None:
        return
    from archive.core.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
