"""The JSON API's parameters and errors: every value is read strictly, and one that cannot be read is
refused with an `ApiError` naming the parameter, so the views answer 400 rather than guessing."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_ID = 2_147_483_647  # the largest id a path takes (PostgreSQL integer)
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
DATE_TIME_PATTERN = (r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?"
                     r"([Zz]|[+-]\d{2}:\d{2})$")
_SLUG = re.compile(SLUG_PATTERN)
_DATE_TIME = re.compile(DATE_TIME_PATTERN)
_DIGITS = re.compile(r"^[0-9]{1,9}$")


class ApiError(Exception):
    """A request the API refuses, with the JSON error it answers."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.parameter = status, code, message, parameter

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.parameter)


def error_body(code: str, message: str, parameter: str | None = None) -> dict[str, Any]:
    """The one shape of every API error."""
    return {"error": {"code": code, "message": message, "parameter": parameter}}


NOT_FOUND_MESSAGE = "There is no record at this address."


def not_found() -> ApiError:
    """Missing and hidden records answer with this very same error."""
    return ApiError(404, "not_found", NOT_FOUND_MESSAGE)


def _bad(name: str, message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", message, name)


def int_param(args: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter within [low, high]; absent means the default."""
    raw = args.get(name)
    if raw is None:
        return default
    if not _DIGITS.match(str(raw)):
        raise _bad(name, f"{name} must be a whole number from {low} to {high}.")
    value = int(raw)
    if not low <= value <= high:
        raise _bad(name, f"{name} must be a whole number from {low} to {high}, not {value}.")
    return value


def page_params(args: Mapping[str, Any]) -> tuple[int, int]:
    """The page number and page size of a listing."""
    return (int_param(args, "page", 1, 1, MAX_PAGE),
            int_param(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE))


def slug_param(args: Mapping[str, Any], name: str) -> str | None:
    """A vocabulary slug such as "famine" or "north-hamgyong"."""
    raw = args.get(name)
    if raw is None:
        return None
    if not _SLUG.match(raw):
        raise _bad(name, f"{name} must be a slug of lower-case letters, digits and hyphens (at most 80).")
    return str(raw)


def choice_param(args: Mapping[str, Any], name: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """A parameter taking one of a few values."""
    raw = args.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise _bad(name, f"{name} must be one of: {', '.join(choices)}.")
    return str(raw)


def datetime_param(args: Mapping[str, Any], name: str) -> datetime | None:
    """An RFC 3339 date-time ("2024-05-01T00:00:00Z"), as naive UTC like the stored times."""
    raw = args.get(name)
    if raw is None:
        return None
    match = _DATE_TIME.match(raw)
    message = f"{name} must be an RFC 3339 date-time such as 2024-05-01T00:00:00Z."
    if not match:
        raise _bad(name, message)
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = (match.group(7) or ".0")[1:7].ljust(6, "0")
    zone = match.group(8)
    try:
        value = datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=UTC)
    except ValueError:
        raise _bad(name, message) from None
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise _bad(name, message)
        try:
            value = value - sign * timedelta(hours=hours, minutes=minutes)
        except OverflowError:  # year 1 or 9999 pushed over the edge by the offset
            return datetime.min if sign > 0 else datetime.max
    return value.replace(tzinfo=None)
