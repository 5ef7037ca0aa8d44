"""Time codes: the one Python place that writes a moment of a recording as text and reads one back.

Written (each output is part of a format or a page, so each rule is kept exactly):

* `clock` — what people read on the pages ("1:05", "1:02:03" from an hour on; whole seconds rounded
  down), the same rule as ``clock`` in ``static/js/player/timecode.js``;
* `editable` — what a curator edits ("0:01:05", "0:01:05.250"; rounded to the millisecond);
* `timestamp` — transcript files: WebVTT cues ("00:01:05.000"), ``[00:01:05]`` text lines and the
  OHMS ``<duration>`` (rounded to the millisecond);
* `seconds_param` and `decimal` — seconds as a short decimal: ``?t=`` links and API URLs ("83",
  "38.3", two places), IIIF media fragments and OHMS ``<time>`` (three places).

Read (each reader keeps what its source accepts, and refuses the rest with ``None``):

* `parse_timestamp` — transcript files (WebVTT, SRT, ``[..]`` lines): "[hh:]mm:ss[.mmm]", a comma
  allowed for the dot, minutes and seconds below 60;
* `parse_time` — OHMS ``<time>``/``<duration>``: seconds ("83", "18.82") or "[hh:]mm:ss[.f…]";
* `parse_field` — a curator's form field: seconds or "[h:]m:s[.mmm]", passed on to the service
  (`archive.core.fields.seconds`, which refuses what is not a time and anything over `MAX_SECONDS`);
* `parse_start` — ``?t=`` on the listening page: seconds ("83", "83.5", "83s") or "1:23"/"1:02:03";
  anything unreadable, negative, not finite or past the end starts at 0.

Not a number (nan), infinity and negative times are refused by every reader; `timestamp` and
`editable` raise ValueError for them.
"""
from __future__ import annotations

import math
import re

# The longest recording a time may point into (a hundred hours).
MAX_SECONDS = 100 * 3600
# ``?t=`` is read from its first characters only.
_START_CHARS = 20
# "[hh:]mm:ss[.fraction]"; each reader narrows it (see `_read_clock`).
_CLOCK_RE = re.compile(r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:([.,])(\d+))?")


# ------------------------------------------------------------------------------------------ writing


def clock(seconds: float | None) -> str:
    """A moment as M:SS, or H:MM:SS from an hour on; whole seconds rounded down, nothing or less than 0 as 0:00."""
    whole = int(max(float(seconds or 0), 0.0))
    hours, minutes, secs = _hms(whole)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def editable(seconds: float | None) -> str:
    """A moment as H:MM:SS, with .mmm when not on a whole second, for a form field ("" for nothing)."""
    if seconds is None:
        return ""
    whole, millis = _whole_and_millis(seconds)
    hours, minutes, secs = _hms(whole)
    text = f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{text}.{millis:03d}" if millis else text


def timestamp(seconds: float, *, millis: bool | None = None) -> str:
    """A moment as HH:MM:SS[.mmm] (WebVTT, [..] text lines, OHMS); ``millis`` None shows them when not zero."""
    whole, ms = _whole_and_millis(seconds)
    hours, minutes, secs = _hms(whole)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{text}.{ms:03d}" if millis or (millis is None and ms) else text


def decimal(seconds: float, places: int = 3) -> str:
    """Seconds with at most ``places`` decimals and no trailing zeros ("83", "12.5"); less than 0 as "0"."""
    return f"{max(float(seconds), 0.0) + 0.0:.{places}f}".rstrip("0").rstrip(".")


def seconds_param(seconds: float) -> str:
    """Seconds for a ``?t=`` link: at most two decimals ("83", "38.3"), as `parse_start` reads them."""
    return decimal(seconds, 2)


def _whole_and_millis(seconds: float) -> tuple[int, int]:
    """Whole seconds and milliseconds, rounded to the millisecond; ValueError for an impossible time."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"cannot write {seconds!r} as a time code")
    whole, millis = divmod(round(seconds * 1000), 1000)
    return whole, millis


def _hms(whole: int) -> tuple[int, int, int]:
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs


# ------------------------------------------------------------------------------------------ reading


def parse_timestamp(text: str) -> float | None:
    """Seconds from a transcript file's "hh:mm:ss.mmm" (hours and fraction optional, "," for "."), or None."""
    return _read_clock(text, comma=True, digits=3, padded=True, sexagesimal=True)


def parse_time(text: str) -> float | None:
    """Seconds from OHMS "83", "83.5", "1:23" or "0:01:23.5"; None when unreadable, not finite or negative."""
    text = text.strip()
    if ":" in text:
        return _read_clock(text, comma=False, digits=None, padded=True, sexagesimal=True)
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def parse_field(text: str | None) -> float | str | None:
    """A form field's seconds ("83.5") or H:MM:SS / M:SS clock as seconds; None when empty.

    Anything else is returned as it was typed, for the service to refuse with a message.
    """
    text = (text or "").strip()
    if not text:
        return None
    seconds = _read_clock(text, comma=True, digits=3, padded=False, sexagesimal=False)
    if seconds is not None:
        return seconds
    try:
        return float(text)
    except ValueError:
        return text


def parse_start(raw: str | None, duration: float | None = None) -> float:
    """Where ``?t=`` starts, in seconds to two decimals ("83", "83.5", "12s", "1:23", "1:02:03"); 0 otherwise.

    0 too for a time that is not finite, negative or past ``duration`` (when known).
    """
    if not raw:
        return 0.0
    raw = raw.strip()[:_START_CHARS]
    try:
        if ":" in raw:
            value = 0.0
            for part in raw.split(":"):
                value = value * 60 + float(part)
        else:
            value = float(raw.rstrip("s"))
    except ValueError:
        return 0.0
    if not math.isfinite(value) or value < 0:
        return 0.0
    if duration and value > duration:
        return 0.0
    return round(value, 2)


def _read_clock(text: str, *, comma: bool, digits: int | None, padded: bool, sexagesimal: bool) -> float | None:
    """Seconds from "[hh:]mm:ss[.fraction]" as one reader accepts it, or None.

    ``comma``: "," may stand for "."; ``digits``: the most fraction digits (None: any); ``padded``: seconds
    need two digits; ``sexagesimal``: minutes and seconds (fraction included) stay below 60. The value is
    the nearest float to the decimal written, however many digits it has.
    """
    match = _CLOCK_RE.fullmatch(text.strip())
    if not match:
        return None
    hours, minutes, secs, mark, fraction = match.groups()
    fraction = fraction or "0"
    if ((mark == "," and not comma) or (digits is not None and len(fraction) > digits)
            or (padded and len(secs) != 2)):
        return None
    if sexagesimal and (int(minutes) > 59 or float(f"{secs}.{fraction}") >= 60):
        return None
    whole = (int(hours or 0) * 60 + int(minutes)) * 60 + int(secs)
    return float(f"{whole}.{fraction}")
