"""Browser hardening headers on every response.

No inline script or style is allowed anywhere (CSP), pages cannot be framed, responses are never
MIME-sniffed, and anything that may depend on who is logged in is neither stored by the browser
nor by a shared cache: only responses a view explicitly marks ``Cache-Control: public`` (public
recordings, for anonymous listeners) and static files may be cached.

Public IIIF manifests, public recordings (and their waveform thumbnails) and public captions are the
exception to ``Cross-Origin-Resource-Policy: same-origin``: `share_with_other_sites` marks them
``cross-origin`` (with ``Access-Control-Allow-Origin: *``, so no credentials travel), because viewers
on other sites load them, some without CORS. The embeddable player (`EMBED_CSP`) is the one page other
sites may frame. Hidden records answer with the same 404 as missing ones, so they keep the defaults.

Request bodies are limited per route: the upload routes accept MAX_CONTENT_LENGTH (the recording
limit plus room for the form), every other route MAX_BODY_BYTES (1 MB), so no anonymous client can
make a worker read hundreds of megabytes into a login form.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response, current_app, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-src 'none'; frame-ancestors 'none'"
)
# The embeddable player: the page CSP, except that any site may frame it.
EMBED_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
NO_STORE = "no-store, private"
HSTS = "max-age=31536000"
# The only routes that take files; tests/security/test_limits.py checks that each of them exists.
UPLOAD_ENDPOINTS = frozenset({"curator.upload_recording", "curator.import_transcript", "exchange.import_ohms"})


class LimitedRequest(Request):
    """A request whose body limit depends on its route: large for uploads, small everywhere else.

    Werkzeug applies the limit to a declared Content-Length and to streamed (chunked) bodies alike,
    whoever reads the body first (the CSRF check, a form, a view); a streamed body is never read
    past the limit.
    """

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return super().max_content_length
        if self.endpoint in UPLOAD_ENDPOINTS:
            return current_app.config["MAX_CONTENT_LENGTH"]  # type: ignore[no-any-return]
        return current_app.config["MAX_BODY_BYTES"]  # type: ignore[no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def share_with_other_sites(headers: Any) -> None:
    """Let pages on other sites load this public resource: CORS without credentials, and CORP cross-origin."""
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Cross-Origin-Resource-Policy"] = "cross-origin"


def allow_framing(response: Response) -> Response:
    """Let any site frame this page (the embeddable player only); everything else keeps frame-ancestors 'none'."""
    response.headers["Content-Security-Policy"] = EMBED_CSP  # and no X-Frame-Options (see init_app)
    return response


def init_app(app: Flask) -> None:
    """Limit request bodies per route and add security headers; responses that depend on a login are never cached."""
    app.request_class = LimitedRequest

    def _refuse_large_bodies() -> None:
        # Also for routes that never read their body: the answer is the same everywhere.
        limit = request.max_content_length
        if limit is None:
            return
        if (request.content_length or 0) > limit:
            raise RequestEntityTooLarge()
        if (request.content_length is None and "wsgi.input_terminated" in request.environ
                and request.endpoint not in UPLOAD_ENDPOINTS):
            # A streamed (chunked) body declares no length, and Werkzeug's form parser would silently cut it
            # at the limit: read it here (at most `limit` bytes, kept for the parser) and refuse anything longer.
            request.get_data(cache=True)
            request.stream.read(1)  # past the limit Werkzeug raises RequestEntityTooLarge

    # First of all before-request hooks, so not even the CSRF check reads an oversized body.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_large_bodies)

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        if headers["Content-Security-Policy"] != EMBED_CSP:  # allow_framing: frame-ancestors alone decides
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

