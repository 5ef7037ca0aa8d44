"""Did-you-mean: corrections drawn only from live words of the public index."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from whoosh.reading import TermNotFound

from .analysis import stem

SPELL_FIELD = "words"
_HANGUL_WORD = re.compile(r"[가-힣]{2,}")
# Particles a Korean query word may end with; the stem before them is what gets corrected.
_PARTICLES = ("에서", "으로", "에게", "부터", "까지", "에", "의", "은", "는", "이", "가", "을", "를", "로", "와", "과", "도")
_HANGUL_BASE = 0xAC00
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


def jamo(word: str) -> str:
    """Decompose Hangul syllables into lead/vowel/tail jamo codes (청진 -> ㅊㅓㅇㅈㅣㄴ)."""
    out = []
    for char in word:
        code = ord(char) - _HANGUL_BASE
        if 0 <= code < 11172:
            out.append(chr(0x1100 + code // 588))
            out.append(chr(0x1161 + (code % 588) // 28))
            if code % 28:
                out.append(chr(0x11A7 + code % 28))
        else:
            out.append(char)
    return "".join(out)


def correct_hangul(reader: Any, word: str) -> str | None:
    """Correct a Korean word (with an optional trailing particle) to a close live public word.

    Candidates differ by one syllable; the one with the fewest jamo changes wins (청잔 -> 청진
    changes one vowel), then the most frequent.
    """
    stems = [(word, "")] + [
        (word[: -len(p)], p) for p in _PARTICLES if word.endswith(p) and len(word) - len(p) >= 2
    ]
    if any(live_count(reader, SPELL_FIELD, stem_, 1) for stem_, _ in stems):
        return None  # a public word as typed (perhaps followed by a particle)
    best: tuple[int, int, str] | None = None
    for stem_, particle in stems:
        target = jamo(stem_)
        for candidate in reader.terms_within(SPELL_FIELD, stem_, 1, prefix=0):
            if isinstance(candidate, bytes):
                candidate = candidate.decode("utf-8")
            if candidate == stem_ or not _HANGUL_WORD.fullmatch(candidate):
                continue
            distance = edit_distance(target, jamo(candidate))
            if distance > 2:
                continue
            count = live_count(reader, SPELL_FIELD, candidate)
            if not count:
                continue
            key = (distance, -count, candidate + particle)
            if best is None or key < best:
                best = key
    return best[2] if best else None


def correct_word(reader: Any, word: str) -> str | None:
    """Return the best live public word close to `word`, or None if it needs no correction."""
    if _HANGUL_WORD.fullmatch(word):
        return correct_hangul(reader, word)
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
