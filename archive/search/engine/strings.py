"""Hangul string matching: the bigram query of a query word (documents' bigrams: korean.count_grams)."""

from __future__ import annotations

from typing import Any

from whoosh import query as wq

from . import korean
from .analysis import has_hangul
from .ranking import FieldsTerm

# Hangul bigram fields of the text fields an audience searches (rgrams: restricted text, staff only).
GRAM_FIELDS = {"text": "grams", "rtext": "rgrams"}
# A Korean word's bigrams together weigh this fraction of one morpheme match: a testimony holding
# the string verbatim gains a little over one with the morphemes apart, and one that only holds
# the string (a compound Kiwi read differently in context) is still found, ranked below.
GRAM_WEIGHT = 0.5


def gram_fields(text_fields: tuple[str, ...]) -> tuple[str, ...]:
    """Return the bigram fields that go with an audience's text fields."""
    return tuple(GRAM_FIELDS[f] for f in text_fields if f in GRAM_FIELDS)


def gram_query(text: str, fields: tuple[str, ...]) -> tuple[Any, list[str]]:
    """Match every Hangul run of `text` (two syllables or more) as a string, whatever its morphemes.

    Return the query (None when `text` has no such run) and the folded strings it looks for
    (passages mark them). Each run is the conjunction of its folded bigrams, scored by BM25 on
    the bigram fields and weighted to stay below morpheme matches.
    """
    if not fields or not has_hangul(text):
        return None, []
    spans = korean.query_spans(text)
    runs = [list(dict.fromkeys(span[i : i + 2] for i in range(len(span) - 1))) for span in spans]
    count = sum(len(run) for run in runs)
    if not count:
        return None, []
    parts = [
        FieldsTerm([wq.Term(f, gram) for f in fields], boost=GRAM_WEIGHT / count) for run in runs for gram in run
    ]
    return (parts[0] if len(parts) == 1 else wq.And(parts)), spans
