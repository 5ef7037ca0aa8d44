"""The language switch: remembers the visitor's choice in the ``lang`` cookie and goes back."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request
from werkzeug.wrappers import Response

from archive.core.i18n import LOCALE_COOKIE, LOCALES
from archive.policy.redirects import safe_next

bp = Blueprint("language", __name__)

COOKIE_MAX_AGE = 365 * 24 * 3600


@bp.get("/language/<code>")
def choose(code: str) -> Response:
    """Switch the interface to ``code`` for a year and return to the page the visitor was on."""
    if code not in LOCALES:
        abort(404)
    response = redirect(safe_next(request.args.get("next")), code=303)
    response.set_cookie(LOCALE_COOKIE, code, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE", True)), httponly=True)
    response.headers["Cache-Control"] = "no-store"
    return response
