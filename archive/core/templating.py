"""Template filters and globals."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _
from flask_login import current_user

from archive.core import form_errors
from archive.core.i18n import decade_label, language_name, number
from archive.policy import access
from archive.policy.disclosure import Band
from archive.formats import timecode
from archive.formats.sanitize import clean_html, clean_snippet, excerpt


def duration(value: float | None) -> str:
    """Render a duration like "1 min 32 s" ("1분 32초") in the interface language."""
    if not value:
        return ""
    minutes, secs = divmod(int(round(value)), 60)
    return _("%(minutes)s min %(seconds)s s", minutes=number(minutes), seconds=secs) if minutes else _(
        "%(seconds)s s", seconds=secs)


def band(value: Band | None) -> str:
    """A year or band of years as a profile shows it: "2007", "2005–2009", "1970s" ("1970년대")."""
    if value is None:
        return ""
    if not value.exact and value.high - value.low == 9 and value.low % 10 == 0:
        return decade_label(value.low)
    return value.label


def init_app(app: Flask) -> None:
    """Register filters and globals used by every template."""
    app.jinja_env.filters["clean_html"] = clean_html
    app.jinja_env.filters["excerpt"] = excerpt
    app.jinja_env.filters["snippet_html"] = clean_snippet
    app.jinja_env.filters["clock"] = timecode.clock  # a moment as people read it: 1:05, 1:02:03
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["band"] = band
    app.jinja_env.globals["form_error_items"] = form_errors.error_items  # templates/_forms.html error_summary
    app.jinja_env.globals["field_message"] = form_errors.shown  # and each field's messages
    app.jinja_env.globals["seconds_param"] = timecode.seconds_param  # ?t= values: 83, 38.3

    @app.context_processor
    def inject_user_flags() -> dict[str, object]:
        return {"is_staff": access.is_user_staff(current_user), "is_admin": access.can_administer(current_user)}
