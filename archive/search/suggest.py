"""Did-you-mean: corrections drawn only from live words of the public index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh.reading import TermNotFound

from .analysis import stem

SPELL_FIELD = "words"
MAX_WORDS = 4
_COUNT_CAP = 200


def live_count(reader: Any, fieldname: str, term: str, cap: int = _COUNT_CAP) -> int:
    """Count live documents containing a term (deleted documents' terms linger in the lexicon)."""
    try:
        matcher = reader.postings(fieldname, term)
    except TermNotFound:
        return 0
    count = 0
    while matcher.is_active() and count < cap:
        count += 1
        matcher.next()
    return count


def edit_distance(a: str, b: str) -> int:
    """Return the Levenshtein distance between two short words."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def correct_word(reader: Any, word: str) -> str | None:
    """Return the best live public word close to `word`, or None if it needs no correction."""
    if any(live_count(reader, f, stem(word), 1) for f in ("text", "title", "names", "summary")):
        return None
    maxdist = 1 if len(word) <= 4 else 2
    best: tuple[int, int, str] | None = None
    for candidate in reader.terms_within(SPELL_FIELD, word, maxdist, prefix=1):
        if isinstance(candidate, bytes):
            candidate = candidate.decode("utf-8")
        if candidate == word:
            continue
        count = live_count(reader, SPELL_FIELD, candidate)
        if not count:
            continue
        key = (edit_distance(word, candidate), -count, candidate)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def suggest(
    public_reader: Any,
    text: str,
    spell: list[tuple[int, int, str]],
    total: int,
    run: Callable[[str], int],
) -> str | None:
    """Offer a corrected query only if it finds something (and no less) for the same audience."""
    replacements = []
    for start, end, word in spell[:MAX_WORDS]:
        fixed = correct_word(public_reader, word)
        if fixed:
            replacements.append((start, end, fixed))
    if not replacements:
        return None
    corrected = text
    for start, end, fixed in sorted(replacements, reverse=True):
        corrected = corrected[:start] + fixed + corrected[end:]
    corrected = " ".join(corrected.split())
    found = run(corrected)
    return corrected if found and found >= total else None
