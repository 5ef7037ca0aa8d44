"""The statistics tables in the interface language: "as of" dates, periods and their notes, titles, units, sources.

Flask-Babel gives the words; the bundled tables (``archive/data/statistics``) are written in English, with
Korean titles and source descriptions beside them.
"""
from __future__ import annotations

import re
from typing import cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from archive.core.i18n import current_locale, label, number
from archive.statistics.data import Row, Table

UNIT_LABELS = {"arrivals": _l("arrivals"), "people": _l("people"), "residents": _l("residents"),
               "percent": _l("percent")}

_AS_OF = re.compile(r"(end of|late) (\d{4})(.*)", re.S)
_THROUGH = re.compile(r"through (\d{4})")
_SURVEYS = re.compile(r"(\d{4}) \(annual surveys (\d{4})–(\d{4})\)")
_RESIDENTS = re.compile(r" \(([\d,]+) residents in all\)")


def as_of_text(as_of: str) -> str:
    """The "as of" date of a table in the interface language ("end of 2024" -> "2024년 말")."""
    surveys = _SURVEYS.fullmatch(as_of or "")
    if surveys:
        return _("%(year)s (annual surveys %(first)s–%(last)s)", year=surveys.group(1), first=surveys.group(2),
                 last=surveys.group(3))
    match = _AS_OF.fullmatch(as_of or "")
    if not match:
        return as_of
    year = match.group(2)
    when = _("end of %(year)s", year=year) if match.group(1) == "end of" else _("late %(year)s", year=year)
    rest = _RESIDENTS.fullmatch(match.group(3))
    if rest:
        return when + _(" (%(count)s residents in all)", count=number(int(rest.group(1).replace(",", ""))))
    return when + match.group(3)


def period_label(period: str) -> str:
    """An arrivals period in the interface language ("through 1998" -> "1998년까지")."""
    match = _THROUGH.fullmatch(period)
    return _("through %(year)s", year=match.group(1)) if match else period


def period_note(row: Row) -> str | None:
    """Explain an arrivals row that is not a single year, in the interface language."""
    first, last = row.get("first_year"), row.get("last_year")
    if first is None:
        return _("cumulative total through %(year)s", year=last)
    if first != last:
        years = cast(int, last) - cast(int, first) + 1
        if years in _SPANS:
            return str(_SPANS[years]) % {"first": first, "last": last}
        return _("%(years)s-year period %(first)s–%(last)s", years=years, first=first, last=last)
    return None


_SPANS = {2: _l("two-year period %(first)s–%(last)s"), 3: _l("three-year period %(first)s–%(last)s"),
          4: _l("four-year period %(first)s–%(last)s"), 5: _l("five-year period %(first)s–%(last)s")}


def table_source(table: Table) -> tuple[str, str]:
    """A table's source in the interface language where it is described in it, and that text's language."""
    if current_locale() == "ko" and table.source_ko:
        return table.source_ko, "ko"
    return table.source, "en"


def table_title(table: Table) -> str:
    """A table's title in the interface language."""
    return label({"title_en": table.title, "title_ko": table.title_ko})


def unit_label(unit: str) -> str:
    """The unit of a table in the interface language ("arrivals" -> "명")."""
    return str(UNIT_LABELS.get(unit, unit))
