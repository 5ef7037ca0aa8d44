"""Blueprints, one per area."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint and the error pages."""
    from archive.views import admin, auth, curator, errors, listen, media, public, search, statistics

    for module in (public, listen, media, search, statistics, auth, curator, admin):
        app.register_blueprint(module.bp)
    from archive.views import language

    app.register_blueprint(language.bp)
    from archive.views import api as api_views

    app.register_blueprint(api_views.bp)
    from archive.views import themes

    app.register_blueprint(themes.bp)
    from archive.views import citations, oai as oai_views

    app.register_blueprint(oai_views.bp)
    app.register_blueprint(citations.bp)
    from archive.views import exchange as exchange_views

    app.register_blueprint(exchange_views.bp)
    errors.init_app(app)
