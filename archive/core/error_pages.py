"""Error pages that reveal nothing: a restricted record answers exactly like a missing one."""
from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException


def init_app(app: Flask, json_for: Callable[[], bool], json_error: Callable[[HTTPException | None], Any]) -> None:
    """Render every HTTP error with the same plain template; requests for which `json_for()` holds (the JSON
    API's) get `json_error(error)` instead (None for an unexpected error)."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if json_for():  # the JSON API answers errors in JSON
            return json_error(error)
        page = render_template("errors/error.html", code=error.code, name=_NAMES.get(error.code or 500, error.name),
                               description=_DESCRIPTIONS.get(error.code or 500, error.name))
        # A 405 says which methods the address takes (RFC 9110), as Werkzeug's own page would.
        allowed = getattr(error, "valid_methods", None)
        return page, error.code or 500, ({"Allow": ", ".join(allowed)} if allowed else {})

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        # The message is left out: database errors quote the failing row, real names included.
        app.logger.error("unhandled %s.%s (message withheld)\n%s", type(error).__module__, type(error).__name__,
                         "".join(traceback.format_tb(error.__traceback__)))
        if json_for():
            return json_error(None)  # type: ignore[no-any-return]
        return render_template("errors/error.html", code=500, name=_NAMES[500],
                               description=_DESCRIPTIONS[500]), 500


_NAMES = {
    400: _l("Bad Request"), 403: _l("Forbidden"), 404: _l("Not Found"), 405: _l("Method Not Allowed"),
    413: _l("Request Entity Too Large"), 416: _l("Requested Range Not Satisfiable"), 429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
}
_DESCRIPTIONS = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to do this."),
    404: _l("There is no page at this address."),
    405: _l("This address does not accept that kind of request."),
    413: _l("The request is larger than the archive accepts."),
    416: _l("The requested range of the file is not available."),
    429: _l("Too many attempts. Please wait a while and try again."),
    500: _l("Something went wrong on our side. Nothing you entered was lost."),
}
