"""Blueprints, one per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint and the error pages."""
    from archive.views import admin, auth, curator, errors, listen, media, public, search, statistics

    for module in (public, listen, media, search, statistics, auth, curator, admin):
        app.register_blueprint(module.bp)
    errors.init_app(app)
