"""Browser hardening headers on every response.

No inline script or style is allowed anywhere (CSP), pages cannot be framed, responses are never
MIME-sniffed, and anything that may depend on who is logged in is neither stored by the browser
nor by a shared cache: only responses a view explicitly marks ``Cache-Control: public`` (public
recordings, for anonymous listeners) and static files may be cached.
"""
from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-src 'none'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
NO_STORE = "no-store, private"
HSTS = "max-age=31536000"


def init_app(app: Flask) -> None:
    """Add security headers; responses that depend on a login are never cached."""

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if app.config.get("SESSION_COOKIE_SECURE"):
            # Secure cookies mean the site is served over HTTPS only: keep browsers there.
            headers.setdefault("Strict-Transport-Security", HSTS)
        response.vary.add("Cookie")
        if request.endpoint != "static" and (current_user.is_authenticated or not response.cache_control.public):
            headers["Cache-Control"] = NO_STORE
            headers.pop("Expires", None)
        return response

