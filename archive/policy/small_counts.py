"""Small counts: from 1 to SMALL_COUNT - 1 testimonies are shown to the public only as "fewer than 5".

A count of one or two next to a facet, a place or a chart bar can point at a narrator in a population of
about 34,000; the statistics tables and charts, the places and routes pages and the theme pages all ask
this module, so the rule and its wording live in one place. Search facets do not: they only count
testimonies the reader may open, exactly like the total printed above the results (archive/search/requests.py).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SMALL_COUNT = 5
FEWER = _l("fewer than %(n)s", n=SMALL_COUNT)


def withheld(count: int) -> bool:
    """Whether the public may not see this count (1 to 4; none is a fact, and five or more are many)."""
    return 0 < count < SMALL_COUNT


def shown(count: int) -> int | str:
    """A count as printed in tables and lists: 0, "fewer than 5" or the number."""
    return str(FEWER) if withheld(count) else count
