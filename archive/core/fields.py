"""Parsing and checking of single field values, shared by forms, imports and services."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext as _

from archive.formats.timecode import MAX_SECONDS
from archive.models import LANGUAGES

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class FieldProblem(ValueError):
    """A single value is malformed; the message says how, the code what kind of problem it is."""

    def __init__(self, message: str, code: str = "", **params: Any) -> None:
        super().__init__(message)
        self.code, self.params = code, params


class Problem(str):
    """A field's message that remembers its kind (required, year, date, time, length…) and values, so a form can
    say it as a whole sentence with the field's label ("Enter a pseudonym"); elsewhere it is the plain message."""

    code: str
    params: dict[str, Any]

    def __new__(cls, message: str, code: str = "", **params: Any) -> Problem:
        problem = super().__new__(cls, message)
        problem.code, problem.params = code, params
        return problem


def optional_text(value: Any, max_length: int, *, required: bool = False) -> str:
    """Strip a text value and check its length."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise FieldProblem(_("is required"), "required")
    if len(text) > max_length:
        raise FieldProblem(_("must be at most %(max)s characters (got %(got)s)", max=max_length, got=len(text)),
                           "too_long", max=max_length)
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        raise FieldProblem(_("contains control characters"))
    return text


def optional_year(value: Any, low: int = 1900, high: int = 2100) -> int | None:
    """Parse an optional four-digit year within bounds."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise FieldProblem(_("must be a year such as 2009"), "year")
    try:
        year = int(str(value).strip())
    except ValueError:
        raise FieldProblem(_("must be a year such as 2009, not %(value)s", value=repr(str(value)[:20])),
                           "year") from None
    if not low <= year <= high:
        raise FieldProblem(_("must be between %(low)s and %(high)s (got %(got)s)", low=low, high=high, got=year),
                           "year_range", low=low, high=high)
    return year


def partial_date(value: Any) -> str | None:
    """Accept YYYY, YYYY-MM or YYYY-MM-DD and return it normalised."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    match = _PARTIAL_DATE.match(text)
    if not match:
        raise FieldProblem(_("must be YYYY, YYYY-MM or YYYY-MM-DD, not %(value)s", value=repr(text[:20])),
                           "partial_date")
    year, month, day = (int(g) if g else None for g in match.groups())
    if not 1900 <= year <= 2100:  # type: ignore[operator]
        raise FieldProblem(_("year must be between 1900 and 2100 (got %(got)s)", got=year), "partial_date")
    try:
        date(year, month or 1, day or 1)  # type: ignore[arg-type]
    except ValueError:
        raise FieldProblem(_("%(value)s is not a calendar date", value=text), "calendar", value=text) from None
    return text


def optional_date(value: Any) -> date | None:
    """Parse an optional full ISO date (YYYY-MM-DD)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise FieldProblem(_("must be a date as YYYY-MM-DD, not %(value)s", value=repr(str(value)[:20])),
                           "date") from None


def language_codes(value: Any) -> list[str]:
    """Parse language codes from a list or a comma-separated string."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    codes: list[str] = []
    for item in items:
        code = str(item).strip().lower()
        if not code:
            continue
        if code not in LANGUAGES:
            raise FieldProblem(_("unknown language code %(code)s (known: %(known)s)", code=repr(code),
                                 known=", ".join(sorted(LANGUAGES))))
        if code not in codes:
            codes.append(code)
    return codes


def choice(value: Any, allowed: tuple[str, ...], default: str | None = None) -> str:
    """Check a value against a fixed list."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise FieldProblem(_("is required (one of %(choices)s)", choices=", ".join(allowed)), "required")
        return default
    text = str(value).strip().lower()
    if text not in allowed:
        raise FieldProblem(_("must be one of %(choices)s (got %(got)s)", choices=", ".join(allowed),
                             got=repr(str(value)[:30])))
    return text


def flag(value: Any) -> bool:
    """Interpret a checkbox or JSON boolean."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y")
    return bool(value)


def seconds(value: Any, name: str = "time") -> float:
    """Parse a non-negative number of seconds, at most MAX_SECONDS (a form's clock is read by timecode.parse_field)."""
    if isinstance(value, bool):
        raise FieldProblem(_("%(name)s must be a number of seconds", name=name), "time")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldProblem(_("%(name)s must be a number of seconds, not %(value)s", name=name,
                             value=repr(str(value)[:20])), "time") from None
    if number != number or number < 0 or number > MAX_SECONDS:  # the message's 360000 is MAX_SECONDS
        raise FieldProblem(_("%(name)s must be between 0 and 360000 seconds", name=name), "time_range")
    return round(number, 3)


class Collector:
    """Gather problems per field so a form or import line reports all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def check(self, field: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a parser; record its FieldProblem under the field name and return None."""
        try:
            return func(*args, **kwargs)
        except FieldProblem as problem:
            self.add(field, Problem(str(problem), problem.code, **problem.params))
            return None
