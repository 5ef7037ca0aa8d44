"""Exact phrases checked on each document's raw positions.

Whoosh's `Phrase` turns every occurrence of every word into a `Span` object and compares
them pairwise in Python; in 10,000-word transcripts a common word has hundreds of
occurrences per testimony, which made phrases the slowest class of query. Here each word's
positions are decoded with C-level helpers and intersected as sets of start positions.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate, repeat
from operator import itemgetter, sub
from pickle import loads
from typing import Any

from whoosh import formats
from whoosh import query as wq
from whoosh.matching import IntersectionMatcher, NullMatcher
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.system import _INT_SIZE
from whoosh.util import make_binary_tree

Decoder = Callable[[bytes], list[int]]


def _codes(value: bytes) -> Any:
    """Unpickle a posting's position deltas (Whoosh stores them after a count)."""
    if not value.endswith(b"."):
        value += b"."
    return loads(value[_INT_SIZE:])


def _decode_positions(value: bytes) -> list[int]:
    """Positions of a `Positions` posting: running sums of the stored deltas."""
    return list(accumulate(_codes(value)))


def _decode_character_positions(value: bytes) -> list[int]:
    """Positions of a `Characters` posting: deltas are the first item of each triple."""
    return list(accumulate(map(itemgetter(0), _codes(value))))


def decoder_for(field: Any) -> Decoder | None:
    """The position decoder for a field's postings (None: the field keeps no positions)."""
    if isinstance(field.format, formats.Characters):
        return _decode_character_positions
    if isinstance(field.format, formats.Positions):
        return _decode_positions
    return None


class ExactPhrase(wq.Phrase):
    """A phrase whose words must stand at consecutive positions (Whoosh's slop=1)."""

    def __init__(self, fieldname: str, words: list[str], boost: float = 1.0, char_ranges: Any = None) -> None:
        super().__init__(fieldname, words, slop=1, boost=boost, char_ranges=char_ranges)

    def normalize(self) -> Any:
        """A phrase of one word is that word."""
        words = [w for w in self.words if w is not None]
        if not words:
            return wq.NullQuery
        if len(words) == 1:
            return wq.Term(self.fieldname, words[0], boost=self.boost)
        return ExactPhrase(self.fieldname, words, boost=self.boost, char_ranges=self.char_ranges)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """Intersect the words' postings; keep documents where the words follow each other."""
        if self.fieldname not in searcher.schema:
            return NullMatcher()
        field = searcher.schema[self.fieldname]
        decode = decoder_for(field)
        if decode is None:
            raise wq.QueryError(f"Phrase search: {self.fieldname!r} field has no positions")
        reader = searcher.reader()
        leaves = []
        for word in self.words:
            term = field.to_bytes(word)
            if (self.fieldname, term) not in reader:  # a missing word: no document matches
                return NullMatcher()
            leaves.append(wq.Term(self.fieldname, term, boost=self.boost).matcher(searcher, context))
        return _PhraseMatcher(leaves, decode, len(self.words))


class _PhraseMatcher(SpanWrappingMatcher):
    """Matches the documents of an intersection where the phrase's positions line up."""

    def __init__(self, leaves: list[Any], decode: Decoder, length: int) -> None:
        self.leaves = leaves
        self.decode = decode
        self.length = length
        super().__init__(make_binary_tree(IntersectionMatcher, leaves))

    def copy(self) -> _PhraseMatcher:
        """A copy at the same document."""
        return _PhraseMatcher([m.copy() for m in self.leaves], self.decode, self.length)

    def supports_block_quality(self) -> bool:
        """No skipping by score: a skipped-to document would bypass the position check."""
        return False

    def replace(self, minquality: float = 0) -> Any:
        """Stay as is while active (the leaves are shared with the intersection)."""
        return self if self.is_active() else NullMatcher()

    def _get_spans(self) -> list[Span]:
        """Spans of the phrase in the current document (empty: no occurrence)."""
        decode = self.decode
        starts = set(decode(self.leaves[0].value()))
        for offset, leaf in enumerate(self.leaves[1:], 1):
            if not starts:
                break
            starts.intersection_update(map(sub, decode(leaf.value()), repeat(offset)))
        return [Span(start, start + self.length - 1) for start in sorted(starts)]
