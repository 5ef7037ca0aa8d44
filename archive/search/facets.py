"""Per-generation document tables: facet bitsets, filters, counts and sort keys.

Document sets are Python ints used as bitsets (bit n = Whoosh docnum n): with a few
thousand testimonies, intersecting and counting them costs microseconds, so facet
counts for the whole result set are cheap for any query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l  # notices are shown in the reader's language

from .results import FACETS

BUCKET_YEARS = 5
_YEAR_FACETS = {"left": "left", "arrived": "arrived"}
_ORDERED_BY_VALUE = {"left", "arrived", "age"}
_RANGE = re.compile(r"^\s*(\d{4})\s*(?:-|–|\.\.)\s*(\d{4})\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")


def bucket(year: int) -> str:
    """Return the 5-year range label containing `year`, e.g. "2005-2009"."""
    low = year - year % BUCKET_YEARS
    return f"{low}-{low + BUCKET_YEARS - 1}"


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
    visibility: dict[str, int] = field(default_factory=dict)

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
            table.visibility[meta["vis"]] = table.visibility.get(meta["vis"], 0) | bit
            facet_values: dict[str, list[str]] = dict(meta["f"])
            for name, key in _YEAR_FACETS.items():
                year = meta.get(key)
                facet_values[name] = [bucket(int(year))] if year else []
            for name, values in facet_values.items():
                slot = table.values.setdefault(name, {})
                for value in values:
                    slot[value] = slot.get(value, 0) | bit
        table.live = to_bits(live)
        return table

    def visible(self, visibilities: Iterable[str] | None) -> int:
        """Return the live documents with one of these visibilities (None: all)."""
        if visibilities is None:
            return self.live
        bits = 0
        for vis in visibilities:
            bits |= self.visibility.get(vis, 0)
        return bits

    def _years(self, key: str, low: int, high: int) -> int:
        """Return the documents whose year field lies in [low, high]."""
        return to_bits(d for d, m in self.meta.items() if m.get(key) and low <= int(m[key]) <= high)

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
                    years = _RANGE.match(value) or _YEAR.match(value)
                    if years is None:
                        notices.append(
                            _l("Filter %(name)s=%(value)s is not a year or a year range and was ignored.", name=name,
                               value=repr(value))
                        )
                        continue
                    low = int(years.group(1))
                    high = int(years.group(years.lastindex or 1))
                    bits |= self._years(_YEAR_FACETS[name], min(low, high), max(low, high))
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
        """Order documents by interview date or arrival year; missing values go last."""
        name = "date" if sort.lstrip("-") == "date" else "arrived"
        meta = self.meta
        docnums = list(docnums)
        present = [d for d in docnums if meta[d].get(name) not in (None, "")]
        missing = sorted((d for d in docnums if meta[d].get(name) in (None, "")), key=lambda d: meta[d]["id"])
        present.sort(key=lambda d: (meta[d][name], meta[d]["id"]), reverse=sort.startswith("-"))
        return present + missing
