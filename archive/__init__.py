"""The testimony archive: a Flask application factory that only wires things together."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext

from archive.config import PROJECT_ROOT, build_config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, commands."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(build_config(config))

    from archive import cli
    from archive.core import i18n, security, templating
    from archive.core.extensions import csrf, db, login_manager, migrate
    from archive.search import sync as search_sync
    from archive.interop import oai
    from archive import jobs
    from archive.accounts.users import load_user

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to access this page.")
    login_manager.localize_callback = str  # flashed as a plain string in the visitor's language
    login_manager.user_loader(load_user)
    search_sync.init_app(app)  # these three register their flush and commit handlers with core/dispatch.py
    oai.init_app(app)
    jobs.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    _register_blueprints(app)
    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    """Attach every area's blueprints and the error pages."""
    from archive.accounts import admin_views, auth_views
    from archive.core import error_pages, language
    from archive.curation import bulk_views, publishing_views, transcript_views
    from archive.curation import views as curation_views
    from archive.grants import curator_views as grant_views
    from archive.grants import request_views as access_request_views
    from archive.interop import api_views, citation_views, exchange_views, oai_views
    from archive.media import views as media_views
    from archive.preservation import views as preservation_views
    from archive.public import embed_views, listen_views
    from archive.public import views as public_views
    from archive.search import views as search_views
    from archive.statistics import views as statistics_views
    from archive.themes import views as themes_views
    from archive.vocabulary import views as vocabulary_views

    for module in (public_views, listen_views, media_views, search_views, statistics_views, auth_views,
                   curation_views, admin_views, language, api_views, themes_views, oai_views, citation_views,
                   exchange_views, publishing_views, vocabulary_views, embed_views, preservation_views,
                   transcript_views, bulk_views, grant_views, access_request_views):
        app.register_blueprint(module.bp)
    error_pages.init_app(app, json_for=api_views.is_api_request, json_error=api_views.json_error)
