"""Error pages that reveal nothing: a restricted record answers exactly like a missing one."""
from __future__ import annotations

import traceback

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    """Render every HTTP error with the same plain template."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int]:
        return render_template("errors/error.html", code=error.code, name=error.name,
                               description=_DESCRIPTIONS.get(error.code or 500, error.name)), error.code or 500

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        # The message is left out: database errors quote the failing row, real names included.
        app.logger.error("unhandled %s.%s (message withheld)\n%s", type(error).__module__, type(error).__name__,
                         "".join(traceback.format_tb(error.__traceback__)))
        return render_template("errors/error.html", code=500, name="Internal Server Error",
                               description=_DESCRIPTIONS[500]), 500


_DESCRIPTIONS = {
    400: "The request could not be understood.",
    403: "You are not allowed to do this.",
    404: "There is no page at this address.",
    405: "This address does not accept that kind of request.",
    413: "The upload is larger than the archive accepts.",
    416: "The requested range of the file is not available.",
    429: "Too many attempts. Please wait a while and try again.",
    500: "Something went wrong on our side. Nothing you entered was lost.",
}
