"""Blueprints, one per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint and the error pages."""
    from archive.views import auth, curator, errors, media, public

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(curator.bp)
    app.register_blueprint(media.bp)
    errors.init_app(app)
