"""Blueprints, one per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint and the error pages."""
    from archive.views import (
        admin, api, auth, citations, curator, errors, exchange, language, listen, media, oai, public, search,
        publishing, statistics, themes,
    )

    for module in (public, listen, media, search, statistics, auth, curator, admin, language, api, themes, oai,
                   citations, exchange, publishing):
        app.register_blueprint(module.bp)
    errors.init_app(app)
