"""Matching passages: map term positions of a testimony to its transcript segments.

Transcript postings store (position, start char, end char), so finding and highlighting
passages never re-analyses text: positions pick the segment, characters the <mark>s.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from whoosh.reading import TermNotFound

from . import korean
from .compiler import Unit
from .results import Moment, Passage
from .schema import SegmentTable

SNIPPET_CHARS = 240
_Occurrence = tuple[int, int, int]  # position, start char, end char


def _postings(
    searcher: Any, docnums: Iterable[int], terms: set[str], fields: tuple[str, ...]
) -> dict[int, dict[str, list[_Occurrence]]]:
    """Read the occurrences of `terms` in each document, one matcher per term and segment."""
    found: dict[int, dict[str, list[_Occurrence]]] = defaultdict(lambda: defaultdict(list))
    wanted = sorted(set(docnums))
    for leaf, offset in searcher.reader().leaf_readers():
        local = [d - offset for d in wanted if offset <= d < offset + leaf.doc_count_all()]
        if not local:
            continue
        for term in terms:
            for fieldname in fields:
                try:
                    matcher = leaf.postings(fieldname, term)
                except TermNotFound:
                    continue
                for doc in local:
                    if not matcher.is_active():
                        break
                    if matcher.id() < doc:
                        matcher.skip_to(doc)
                        if not matcher.is_active():
                            break
                    if matcher.id() == doc:
                        found[doc + offset][term].extend(matcher.value_as("characters"))
    return found


def _unit_hits(unit: Unit, occurrences: dict[str, list[_Occurrence]]) -> list[_Occurrence]:
    """Occurrences of one unit, by position; for phrases only where all steps follow each other."""
    if len(unit.steps) == 1:
        found: list[_Occurrence] = []
        for term in unit.steps[0]:
            found.extend(occurrences.get(term, ()))
        found.sort()
        return found
    steps: list[dict[int, _Occurrence]] = []
    for terms in unit.steps:
        by_pos: dict[int, _Occurrence] = {}
        for term in terms:
            for occ in occurrences.get(term, ()):
                by_pos.setdefault(occ[0], occ)
        if not by_pos:
            return []
        steps.append(by_pos)
    hits = []
    for pos in sorted(steps[0]):
        if all(pos + k in steps[k] for k in range(1, len(steps))):
            hits.extend(steps[k][pos + k] for k in range(len(steps)))
    return hits


def snippet(text: str, marks: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> str:
    """Return escaped text around the first match with <mark> around every match shown."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in marks):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    low, high = 0, len(text)
    if len(text) > width:
        first = merged[0][0] if merged else 0
        low = max(0, first - width // 4)
        if low > 0:
            space = text.find(" ", low, first)
            low = space + 1 if space >= 0 else low
        high = min(len(text), low + width)
        if high < len(text):
            space = text.rfind(" ", max(low, merged[0][1] if merged else low), high)
            high = space if space > low else high
    out = ["…"] if low > 0 else []
    cursor = low
    for start, end in merged:
        if end <= low or start >= high:
            continue
        start, end = max(start, low), min(end, high)
        out.append(html.escape(text[cursor:start]))
        out.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        cursor = end
    out.append(html.escape(text[cursor:high]))
    if high < len(text):
        out.append("…")
    return "".join(out)


def _doc_passages(
    table: SegmentTable,
    occurrences: dict[str, list[_Occurrence]],
    units: list[Unit],
    allow_restricted: bool,
    limit: int | None,
) -> list[Passage]:
    """Pick the best matching segments of one testimony and build their snippets."""
    records = table.records  # (id, pos, end pos, chars, start, end, restricted, offset, length)
    starts = [r[1] for r in records]
    units_in: dict[int, set[int]] = defaultdict(set)
    marks: dict[int, list[_Occurrence]] = defaultdict(list)
    for index, unit in enumerate(units):
        seg, seg_end = -1, -1
        for occ in _unit_hits(unit, occurrences):
            pos = occ[0]
            if pos >= seg_end or seg < 0 or pos < records[seg][1]:
                # Hits come by position, so look the segment up only when leaving one.
                seg = bisect_right(starts, pos) - 1
                seg_end = records[seg][2] if seg >= 0 else 0
            if seg < 0 or pos >= seg_end:
                continue
            if records[seg][6] and not allow_restricted:
                continue  # defence in depth: restricted text is never in these fields anyway
            units_in[seg].add(index)
            marks[seg].append(occ)
    # Rank by distinct units, then distinct positions (synonyms share a position).
    weight = {i: (-len(units_in[i]), -len({o[0] for o in marks[i]}), records[i][4]) for i in units_in}
    ranked = sorted(units_in, key=weight.__getitem__)
    chosen = sorted(ranked if limit is None else ranked[:limit], key=lambda i: (records[i][4], records[i][0]))
    passages = []
    for i in chosen:
        seg = table.segment(i)
        spans = [(o[1] - seg.chars, o[2] - seg.chars) for o in marks[i]]
        passages.append(Passage(seg.id, seg.start, seg.end, snippet(seg.text, spans)))
    return passages


def _string_passages(
    table: SegmentTable, strings: list[str], allow_restricted: bool, limit: int | None
) -> list[Passage]:
    """Segments holding the folded Hangul `strings` verbatim, in time order (found by bigrams only).

    Folding keeps one character for one, so a match in the folded text marks the same characters
    of the segment as written (로동 found for 노동).
    """
    passages = []
    for i, record in enumerate(table.records):
        if limit is not None and len(passages) >= limit:
            break
        if record[6] and not allow_restricted:
            continue
        seg = table.segment(i)
        folded = korean.fold_text(seg.text)
        spans = []
        for needle in strings:
            start = folded.find(needle)
            while start >= 0:
                spans.append((start, start + len(needle)))
                start = folded.find(needle, start + len(needle))
        if spans:
            passages.append(Passage(seg.id, seg.start, seg.end, snippet(seg.text, spans)))
    return passages


def find_passages(
    searcher: Any,
    docnums: list[int],
    units: list[Unit],
    fields: tuple[str, ...],
    allow_restricted: bool,
    limit: int | None,
    strings: list[str] | None = None,
) -> dict[int, list[Passage]]:
    """Return the best matching passages (in time order) for each document.

    A document none of whose `units` occur (found through the Hangul bigrams alone) gets the
    segments that hold one of the folded `strings`.
    """
    if not (units or strings) or not docnums or limit == 0:
        return {}
    terms = set().union(*(step for unit in units for step in unit.steps)) if units else set()
    found = _postings(searcher, docnums, terms, fields) if terms else {}
    if not found and not strings:
        return {}
    column = searcher.reader().column_reader("segs")
    out: dict[int, list[Passage]] = {}
    for docnum in docnums:
        occurrences = found.get(docnum)
        if not occurrences and not strings:
            continue
        blob = column[docnum]
        if not blob:
            continue
        table = SegmentTable(blob)
        passages = _doc_passages(table, occurrences, units, allow_restricted, limit) if occurrences else []
        if not passages and strings:
            passages = _string_passages(table, strings, allow_restricted, limit)
        if passages:
            out[docnum] = passages
    return out


def find_moments(
    searcher: Any, docnum: int, units: list[Unit], fields: tuple[str, ...], allow_restricted: bool
) -> list[Moment]:
    """Return every matching segment of one document, in time order, with the spans to mark in its text."""
    if not units:
        return []
    terms = set().union(*(step for unit in units for step in unit.steps))
    occurrences = _postings(searcher, [docnum], terms, fields).get(docnum)
    blob = searcher.reader().column_reader("segs")[docnum] if occurrences else None
    if not blob:
        return []
    table = SegmentTable(blob)
    starts = [r[1] for r in table.records]
    marks: dict[int, list[_Occurrence]] = defaultdict(list)
    for unit in units:
        for occ in _unit_hits(unit, occurrences):
            seg = bisect_right(starts, occ[0]) - 1
            if seg < 0 or occ[0] >= table.records[seg][2]:
                continue
            if table.records[seg][6] and not allow_restricted:
                continue
            marks[seg].append(occ)
    moments = []
    for i in sorted(marks, key=lambda i: (table.records[i][4], table.records[i][0])):
        seg_id, _, _, chars, start, end = table.records[i][:6]
        spans = sorted({(o[1] - chars, o[2] - chars) for o in marks[i]})
        moments.append(Moment(seg_id, start, end, spans))
    return moments
