"""Per-generation document tables: facet bitsets, filters, counts and sort keys.

Document sets are Python ints used as bitsets (bit n = Whoosh docnum n): with a few
thousand testimonies, intersecting and counting them costs microseconds, so facet
counts for the whole result set are cheap for any query.

Years (left the North, arrived in the South) are bands [low, high]: five-year bands in the
public and researcher indexes unless the narrator consented to an exact year, exact years
(low == high) for staff. Facets count five-year bands, a year filter selects the documents
whose band overlaps it and sorting uses the band's first year, so nothing here can tell two
years of one band apart unless the document itself holds the exact year.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from archive.core.i18n import lazy_text as _l  # notices: in the reader's language, quoting input as text

from .results import FACETS

BUCKET_YEARS = 5
_YEAR_FACETS = {"left": "left", "arrived": "arrived"}
_ORDERED_BY_VALUE = {"left", "arrived", "age"}
_RANGE = re.compile(r"^\s*(\d{4})\s*(?:-|–|—|\.\.)\s*(\d{4})\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_DECADE = re.compile(r"^\s*(\d{3}0)s\s*$")


def bucket(year: int) -> str:
    """Return the 5-year range label containing `year`, e.g. "2005-2009"."""
    low = year - year % BUCKET_YEARS
    return f"{low}-{low + BUCKET_YEARS - 1}"


def band_of(value: Any) -> tuple[int, int] | None:
    """(low, high) of a stored year: [low, high] or, in indexes built before bands, a plain year."""
    if value in (None, "", []):
        return None
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def facet_value(band: tuple[int, int]) -> str:
    """The five-year range a band falls in ("2005-2009"), or the band itself if it spans more."""
    low, high = band
    if bucket(low) == bucket(high):
        return bucket(low)
    return f"{low}-{high}"


def parse_years(value: str) -> tuple[int, int] | None:
    """Read a year filter: "2007", "2005-2009" (also – or ..) or "2000s"; None if it is none."""
    match = _RANGE.match(value)
    if match is not None:
        low, high = int(match.group(1)), int(match.group(2))
        return min(low, high), max(low, high)
    match = _YEAR.match(value)
    if match is not None:
        return int(match.group(1)), int(match.group(1))
    match = _DECADE.match(value)
    if match is not None:
        return int(match.group(1)), int(match.group(1)) + 9
    return None


def widen_years(filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """Read a single year in a left/arrived filter as its five-year band ("2007" -> "2005-2009").

    For audiences shown bands: a filter on one year must select the whole band that holds it
    (a band is all the index knows of most testimonies), and saying so keeps the selected
    value the same as the facet value.
    """
    out = {}
    for name, values in filters.items():
        if name in _YEAR_FACETS:
            values = [bucket(int(m.group(1))) if (m := _YEAR.match(str(v))) else v for v in values]
            values = list(dict.fromkeys(values))
        out[name] = values
    return out


def to_bits(docnums: Iterable[int]) -> int:
    """Turn document numbers into a bitset."""
    buf = bytearray()
    for num in docnums:
        index = num >> 3
        if index >= len(buf):
            buf.extend(bytes(index - len(buf) + 1))
        buf[index] |= 1 << (num & 7)
    return int.from_bytes(buf, "little")


def iter_bits(bits: int) -> Iterator[int]:
    """Yield the document numbers in a bitset, ascending."""
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for index, byte in enumerate(data):
        while byte:
            low = byte & -byte
            yield index * 8 + low.bit_length() - 1
            byte ^= low


@dataclass
class DocTable:
    """What the engine needs to know about every live document, by docnum."""

    live: int = 0
    meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_id: dict[int, int] = field(default_factory=dict)
    values: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, reader: Any) -> DocTable:
        """Read the `meta` column of every live document."""
        table = cls(values={name: {} for name in FACETS})
        column = reader.column_reader("meta") if reader.has_column("meta") else None
        if column is None:
            return table
        live = []
        for docnum in reader.all_doc_ids():
            raw = column[docnum]
            if not raw:
                continue
            meta = json.loads(raw)
            live.append(docnum)
            table.meta[docnum] = meta
            table.by_id[int(meta["id"])] = docnum
            bit = 1 << docnum
            facet_values: dict[str, list[str]] = dict(meta["f"])
            for name, key in _YEAR_FACETS.items():
                band = band_of(meta.get(key))
                meta[key] = band
                facet_values[name] = [facet_value(band)] if band else []
            for name, values in facet_values.items():
                slot = table.values.setdefault(name, {})
                for value in values:
                    slot[value] = slot.get(value, 0) | bit
        table.live = to_bits(live)
        return table

    def _years(self, key: str, low: int, high: int) -> int:
        """Return the documents whose year band overlaps [low, high]."""
        return to_bits(d for d, m in self.meta.items() if m.get(key) and m[key][0] <= high and low <= m[key][1])

    def filter_bits(self, filters: dict[str, list[str]], notices: list[str]) -> dict[str, int]:
        """Return, per filtered facet, the documents having any selected value."""
        out: dict[str, int] = {}
        for name, selected in (filters or {}).items():
            values = [str(v) for v in (selected or []) if str(v).strip()]
            if not values:
                continue
            if name not in FACETS:
                notices.append(_l("Unknown filter %(name)s was ignored.", name=repr(name)))
                continue
            bits = 0
            understood = False
            for value in values:
                if name in _YEAR_FACETS:
                    years = parse_years(value)
                    if years is None:
                        notices.append(
                            _l("Filter %(name)s=%(value)s is not a year or a year range and was ignored.", name=name,
                               value=repr(value))
                        )
                        continue
                    # A year inside a band selects the whole band: the filter never splits one.
                    bits |= self._years(_YEAR_FACETS[name], *years)
                else:
                    bits |= self.values.get(name, {}).get(value, 0)
                understood = True
            if understood:
                out[name] = bits
        return out

    def counts(
        self, matched: int, filters: dict[str, int], selected: dict[str, list[str]]
    ) -> dict[str, dict[str, int]]:
        """Count facet values over the result set.

        A facet's own selection is left out when counting that facet, so the counts of
        its other values say what choosing them too (OR within a facet) would give.
        """
        out: dict[str, dict[str, int]] = {}
        for name in FACETS:
            base = matched
            for other, bits in filters.items():
                if other != name:
                    base &= bits
            counts = {}
            for value, bits in self.values.get(name, {}).items():
                count = (base & bits).bit_count()
                if count:
                    counts[value] = count
            for value in (selected or {}).get(name) or []:
                counts.setdefault(str(value), 0)  # keep chosen values visible even at zero
            if name in _ORDERED_BY_VALUE:
                out[name] = dict(sorted(counts.items()))
            else:
                out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    def order(self, docnums: Iterable[int], sort: str) -> list[int]:
        """Order documents by interview date, duration or arrival (band); missing values go last.

        Within one arrival band documents keep the order of their ids, whichever way the
        sort goes, so the order never tells two years of a band apart.
        """
        meta = self.meta
        docnums = list(docnums)
        descending = sort.startswith("-")
        if sort.lstrip("-") in ("date", "duration"):
            field = "date" if sort.lstrip("-") == "date" else "dur"

            def key(d: int) -> Any:
                return meta[d].get(field) or None
            present = [d for d in docnums if key(d) is not None]
            present.sort(key=lambda d: (key(d), meta[d]["id"]), reverse=descending)
        else:
            present = [d for d in docnums if meta[d].get("arrived")]
            sign = -1 if descending else 1
            present.sort(key=lambda d: (sign * meta[d]["arrived"][0], meta[d]["id"]))
        placed = set(present)
        missing = sorted((d for d in docnums if d not in placed), key=lambda d: meta[d]["id"])
        return present + missing
