"""Korean morphological analysis: one lazily created Kiwi per process, cached per eojeol."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from typing import Any

# Content morphemes worth indexing; particles, endings, suffixes, bound nouns,
# pronouns and adverbs behave like stop words for retrieval.
# (normalised form, start, end, head of a compound noun or None)
Morpheme = tuple[str, int, int, str | None]

_KEEP_TAGS = ("NNG", "NNP", "NR", "VV", "VA", "XR", "SL", "SN", "SH")
_NOUN_TAGS = ("NNG", "NNP")
_HANGUL_WORD = re.compile("[가-힣]+")

_HANGUL_BASE = 0xAC00
_HANGUL_LAST = 0xD7A3
_JUNG_COUNT = 21
_JONG_COUNT = 28
_CHO_RIEUL = 5
_CHO_NIEUN = 2
_CHO_IEUNG = 11
# Medials ㅑ ㅕ ㅖ ㅛ ㅠ ㅣ trigger the "ㅇ" rule of the initial-sound law (두음법칙).
_Y_MEDIALS = frozenset({2, 6, 7, 12, 17, 20})

_CACHE_LIMIT = 400_000

_lock = threading.Lock()
_kiwi: Any = None
_kiwi_pid = 0
# Kiwi objects inherited through fork() are kept, never destroyed: their native worker
# threads do not exist in the child, and tearing them down could hang.
_inherited: list[Any] = []
_user_words: set[str] = set()
_cache: dict[str, tuple[Morpheme, ...]] = {}


def dueum(word: str) -> str:
    """Rewrite the first syllable of a word from North to South Korean spelling (두음법칙)."""
    if not word:
        return word
    code = ord(word[0])
    if not _HANGUL_BASE <= code <= _HANGUL_LAST:
        return word
    offset = code - _HANGUL_BASE
    cho, rest = divmod(offset, _JUNG_COUNT * _JONG_COUNT)
    jung = rest // _JONG_COUNT
    if cho == _CHO_RIEUL:
        cho = _CHO_IEUNG if jung in _Y_MEDIALS else _CHO_NIEUN
    elif cho == _CHO_NIEUN and jung in _Y_MEDIALS:
        cho = _CHO_IEUNG
    else:
        return word
    return chr(_HANGUL_BASE + cho * _JUNG_COUNT * _JONG_COUNT + rest) + word[1:]


def _get_kiwi() -> Any:
    """Return this process's Kiwi, creating it on first use (and again after a fork)."""
    global _kiwi, _kiwi_pid
    if _kiwi is None or _kiwi_pid != os.getpid():
        from kiwipiepy import Kiwi  # deferred: loading the model costs about a second

        if _kiwi is not None:
            _inherited.append(_kiwi)
        kiwi = Kiwi()
        for word in _user_words:
            kiwi.add_user_word(word, "NNP")
        _kiwi, _kiwi_pid = kiwi, os.getpid()
        _cache.clear()
    return _kiwi


def add_user_words(words: Iterable[str]) -> None:
    """Teach Kiwi proper nouns (place names) so that they are never split."""
    with _lock:
        new = {w for w in words if w and " " not in w} - _user_words
        if not new:
            return
        _user_words.update(new)
        if _kiwi is not None and _kiwi_pid == os.getpid():
            for word in new:
                _kiwi.add_user_word(word, "NNP")
            _cache.clear()


def _content(tokens: Any) -> tuple[Morpheme, ...]:
    """Keep content morphemes as (normalised form, start, end, head) within the eojeol.

    `head` is the first two syllables of a longer noun (노동자 -> 노동, 탈북자 -> 탈북):
    Korean compounds put the modifier first, so documents also index it and a search
    for 노동 finds 노동자.
    """
    out = []
    for tok in tokens:
        if tok.tag.startswith(_KEEP_TAGS):
            form = dueum(tok.form.lower())
            head = (
                form[:2] if tok.tag in _NOUN_TAGS and len(form) > 2 and _HANGUL_WORD.fullmatch(form) else None
            )
            out.append((form, tok.start, tok.start + tok.len, head))
    return tuple(out)


def analyze_eojeols(eojeols: Iterable[str]) -> dict[str, tuple[Morpheme, ...]]:
    """Analyse pure-Hangul words, returning their content morphemes (cached per word)."""
    wanted = list(dict.fromkeys(eojeols))
    result: dict[str, tuple[Morpheme, ...]] = {}
    missing = []
    for word in wanted:
        hit = _cache.get(word)
        if hit is None:
            missing.append(word)
        else:
            result[word] = hit
    if not missing:
        return result
    with _lock:
        kiwi = _get_kiwi()
        # A word starting with a North Korean initial is analysed in both spellings and the
        # likelier reading wins: 로동자 -> 노동자, while the loanword 러시아 stays as it is.
        variants = [dueum(w) for w in missing]
        alt_index = [i for i, (w, v) in enumerate(zip(missing, variants, strict=True)) if v != w]
        texts = missing + [variants[i] for i in alt_index]
        analyses = list(kiwi.analyze(texts, top_n=1))
        if len(_cache) > _CACHE_LIMIT:
            _cache.clear()
        for i, word in enumerate(missing):
            tokens, score = analyses[i][0]
            _cache[word] = result[word] = _content(tokens)
        for j, i in enumerate(alt_index):
            tokens, score = analyses[len(missing) + j][0]
            if score > analyses[i][0][1]:
                _cache[missing[i]] = result[missing[i]] = _content(tokens)
    return result
