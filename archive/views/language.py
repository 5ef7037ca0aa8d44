"""The language switch: remembers the visitor's choice in the ``lang`` cookie and goes back."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request, url_for
from werkzeug.wrappers import Response

from archive.i18n import LOCALE_COOKIE, LOCALES

bp = Blueprint("language", __name__)

COOKIE_MAX_AGE = 365 * 24 * 3600
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything that could leave the site becomes the home page."""
    fallback = url_for("public.home")
    if not target or len(target) > 2000 or _UNSAFE.search(target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target.rstrip("?") or fallback


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
