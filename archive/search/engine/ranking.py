"""BM25F ranking: a word's frequencies in all text fields are combined before saturation.

Whoosh's `scoring.BM25F` scores every field as a separate BM25 and adds the results, so a
word found in the title and again in the transcript earns two full idf-weighted scores,
and field boosts multiply whole scores instead of weighing occurrences. Here a word is one
query over the fields: each field contributes `boost * tf / length_norm`, the sum is
saturated once (`K1`) and multiplied by one idf (Robertson/Sparck Jones, kept positive as
in Lucene). Phrases and other per-field queries keep using `Weighting`, plain BM25 with the
same idf and parameters.
"""

from __future__ import annotations

from math import log
from typing import Any
from weakref import WeakKeyDictionary

from whoosh import matching, scoring
from whoosh import query as wq
from whoosh.util import make_binary_tree

# Chosen by five-fold cross-validation on Cranfield (bench/search_quality.py, 2026-12-03): the medians
# of 25 folds' choices (K1 2.0-4.0, B 0.45-0.75 across folds); held-out nDCG@10 1.052x FTS5.
K1 = 3.0
B = 0.6
# Per-field length normalisation (titles and names are short; their length says little).
FIELD_B = {"title": 0.5, "names": 0.0}


def idf(doc_count: int, doc_freq: int) -> float:
    """Probabilistic idf, shifted so that very common words still count a little."""
    return log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def set_parameters(k1: float | None = None, b: float | None = None) -> tuple[float, float]:
    """Change K1 and B for this process (bench/search_quality.py cross-validates them); return the old ones.

    Read at query time, so no reindex is needed: scores are computed from stored frequencies
    and lengths.
    """
    global K1, B
    old = (K1, B)
    K1 = old[0] if k1 is None else float(k1)
    B = old[1] if b is None else float(b)
    return old


class Weighting(scoring.BM25F):
    """Per-field BM25 (for phrases and field-specific terms) with the idf above."""

    def __init__(self) -> None:
        """Use the module's parameters."""
        super().__init__(B=B, K1=K1, **{f"{name}_B": value for name, value in FIELD_B.items()})

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        """Score with the module's current K1 and B (they may be changed by set_parameters)."""
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        return scoring.BM25FScorer(searcher, fieldname, text, FIELD_B.get(fieldname, B), K1, qf=qf)

    def idf(self, searcher: Any, fieldname: str, text: Any) -> float:
        """Return the idf of a term in one field."""
        parent = searcher.get_parent()
        return idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))


# Per index segment reader: {(field, b): (average length, [normalisation factor per document])}.
_NORMS: WeakKeyDictionary[Any, dict[tuple[str, float], tuple[float, list[float]]]] = WeakKeyDictionary()


def _length_factors(reader: Any, fieldname: str, b: float, avgfl: float) -> list[float]:
    """1 / BM25 length normalisation of every document of one segment, computed once per reader.

    Looking a document's field length up for each posting (Whoosh's way) was the largest part
    of scoring a query whose words occur in most testimonies. Recomputed when the average
    length of the whole index changes (after a save); concurrent requests may compute it twice.
    """
    per_reader = _NORMS.get(reader)
    if per_reader is None:
        per_reader = _NORMS.setdefault(reader, {})
    cached = per_reader.get((fieldname, b))
    if cached is not None and cached[0] == avgfl:
        return cached[1]
    length = reader.doc_field_length  # None for a document without the field (never scored)
    factors = [
        1.0 / ((1.0 - b) + b * (length(doc, fieldname, 1) or 0) / avgfl) for doc in range(reader.doc_count_all())
    ]
    per_reader[(fieldname, b)] = (avgfl, factors)
    return factors


class _TfScorer(scoring.WeightLengthScorer):
    """Score a posting as its boosted, length-normalised term frequency."""

    def __init__(self, searcher: Any, fieldname: str, text: Any, boost: float, b: float) -> None:
        """Normalise by the field's average length across the whole index."""
        self.avgfl = searcher.get_parent().avg_field_length(fieldname) or 1.0
        self.boost = boost
        self.b = b
        self.setup(searcher, fieldname, text)
        self.factors = _length_factors(searcher.reader(), fieldname, b, self.avgfl)

    def _score(self, weight: float, length: float) -> float:
        return self.boost * weight / ((1.0 - self.b) + self.b * length / self.avgfl)

    def score(self, matcher: Any) -> float:
        """The boosted frequency times the document's precomputed length factor."""
        return self.boost * matcher.weight() * self.factors[matcher.id()]

    def supports_block_quality(self) -> bool:
        return False


class _TfWeighting(scoring.WeightingModel):
    """Hands out _TfScorers for one field of one word."""

    def __init__(self, boost: float, b: float) -> None:
        self.boost = boost
        self.b = b

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> _TfScorer:
        return _TfScorer(searcher, fieldname, text, self.boost, self.b)


class _Saturated(matching.WrappingMatcher):
    """Turn the summed pseudo-frequency of a word into its BM25 score."""

    def __init__(self, child: Any, boost: float = 1.0, weight: float = 1.0) -> None:
        super().__init__(child, boost)
        self.weight_ = weight  # idf * (K1 + 1) * query boost

    def _replacement(self, newchild: Any) -> _Saturated:
        return _Saturated(newchild, self.boost, self.weight_)

    def copy(self) -> _Saturated:
        return _Saturated(self.child.copy(), self.boost, self.weight_)

    def supports_block_quality(self) -> bool:
        return False

    def score(self) -> float:
        tf = self.child.score()
        return self.weight_ * tf / (K1 + tf)


class FieldsTerm(wq.Or):
    """One word in several fields (children are `Term(field, word, boost=field boost)`)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """Union the fields' postings and score the combined frequency once."""
        if context is not None and context.weighting is None:
            return super().matcher(searcher, context)  # unscored: plain union
        # Whoosh calls this once per index segment: statistics come from the whole index.
        reader = searcher.reader()
        parent = searcher.get_parent()
        subs = []
        freq = 0
        text = None
        for term in self.subqueries:
            field = searcher.schema[term.fieldname]
            try:
                value = field.to_bytes(term.text)
            except ValueError:
                continue
            if (term.fieldname, value) not in reader:
                continue
            text = term.text
            freq = max(freq, parent.doc_frequency(term.fieldname, value))
            weighting = _TfWeighting(term.boost, FIELD_B.get(term.fieldname, B))
            subs.append(searcher.postings(term.fieldname, value, weighting=weighting))
        if not subs or text is None:
            return matching.NullMatcher()
        union = subs[0] if len(subs) == 1 else make_binary_tree(matching.UnionMatcher, subs)
        weight = idf(parent.doc_count_all(), freq) * (K1 + 1.0) * self.boost
        return _Saturated(union, weight=weight)
