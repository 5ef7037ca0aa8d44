"""Korean analysis: Kiwi morphemes (one model per machine, shared by forked workers) and Hangul bigrams."""

from __future__ import annotations

import csv
import re
import threading
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
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

# North Korean loanword spellings with their sources (see the file's header).
LOANWORDS_CSV = Path(__file__).resolve().parents[2] / "data" / "loanwords.csv"
# Trailing morphemes a query word loses before its bigrams are taken: particles, endings, copula.
_FUNCTION_TAGS = ("J", "E", "VCP", "SF", "SP", "SS", "SE", "SO", "SW")

_lock = threading.Lock()
# Kiwi runs single-threaded (num_workers=0): it has no native thread pool, so an instance
# created in gunicorn's master before forking keeps working in every worker, whose pages
# (about 500 MB of model) stay shared instead of each worker loading its own copy.
_kiwi: Any = None
_user_words: set[str] = set()
_cache: dict[str, tuple[Morpheme, ...]] = {}
_spans: dict[str, str] = {}
_loans: tuple[dict[str, str], dict[str, str]] | None = None
_fold_table: dict[int, str] | None = None


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


def _syllable(cho: int, jung: int, jong: int) -> str:
    return chr(_HANGUL_BASE + (cho * _JUNG_COUNT + jung) * _JONG_COUNT + jong)


def loanwords() -> tuple[dict[str, str], dict[str, str]]:
    """Return (initial consonant rewrites, whole-word rewrites) from loanwords.csv, North to South."""
    global _loans
    if _loans is None:
        initials: dict[str, str] = {}
        words: dict[str, str] = {}
        with LOANWORDS_CSV.open(encoding="utf-8") as handle:
            rows = csv.DictReader(line for line in handle if not line.startswith("#"))
            for row in rows:
                target = initials if row["kind"] == "initial" else words
                target[row["north"].strip()] = row["south"].strip()
        _loans = (initials, words)
    return _loans


# Compatibility jamo of the 19 initial consonants, in syllable order.
_CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"


def _gram_fold() -> dict[int, str]:
    """Build the syllable table of the bigram index: 두음법칙 and loanword initials everywhere.

    Applied to every syllable, not only the first of a word, so that North Korean spellings
    inside compounds (유생력량, 조선로동당) meet the South Korean ones (역량, 노동당). Both
    documents and queries are folded alike; the few native words it conflates (도로/도노)
    only share a bigram in a field that ranks below morphemes.
    """
    global _fold_table
    if _fold_table is None:
        initials = {_CHOSEONG.index(k): _CHOSEONG.index(v) for k, v in loanwords()[0].items()}
        table: dict[int, str] = {}
        for code in range(_HANGUL_BASE, _HANGUL_LAST + 1):
            cho, rest = divmod(code - _HANGUL_BASE, _JUNG_COUNT * _JONG_COUNT)
            jung, jong = divmod(rest, _JONG_COUNT)
            new = initials.get(cho, cho)
            if new == _CHO_RIEUL:
                new = _CHO_IEUNG if jung in _Y_MEDIALS else _CHO_NIEUN
            elif new == _CHO_NIEUN and jung in _Y_MEDIALS:
                new = _CHO_IEUNG
            if new != cho:
                table[code] = _syllable(new, jung, jong)
        _fold_table = table
    return _fold_table


def count_grams(text: str, counter: Counter[str]) -> None:
    """Add the folded Hangul syllable bigrams of `text` to `counter` (Lucene's CJK bigrams)."""
    folded = text.translate(_gram_fold())
    for run in _HANGUL_WORD.findall(folded):
        if len(run) > 1:
            counter.update(map(str.__add__, run, run[1:]))  # counted in C


def fold_text(text: str) -> str:
    """Fold every syllable as the bigram index does (one character for one, so offsets hold)."""
    return text.translate(_gram_fold())


def query_spans(text: str) -> list[str]:
    """Return each Hangul run of a query word, folded, without trailing particles and endings.

    `분조관리체를` gives 분조관리체; a run Kiwi finds no content in (세분) keeps every syllable,
    so no Korean word of two syllables or more is ever dropped from a query.
    """
    out = []
    for match in _HANGUL_WORD.finditer(text):
        run = match.group()
        span = _spans.get(run)
        if span is None:
            span = run
            if len(run) > 2:
                with _lock:
                    tokens = _get_kiwi().analyze(run, top_n=1)[0][0]
                end = 0
                for tok in tokens:
                    if not tok.tag.startswith(_FUNCTION_TAGS):
                        end = tok.start + tok.len
                if end >= 2:
                    span = run[:end]
            if len(_spans) > _CACHE_LIMIT:
                _spans.clear()
            _spans[run] = span
        if len(span) > 1:
            out.append(fold_text(span))
    return out


def query_grams(text: str) -> list[list[str]]:
    """Return the folded bigrams of each Hangul run of a query word (see query_spans)."""
    return [list(dict.fromkeys(span[i : i + 2] for i in range(len(span) - 1))) for span in query_spans(text)]


def _get_kiwi() -> Any:
    """Return the Kiwi of this machine's process tree, creating it on first use (under `_lock`)."""
    global _kiwi
    if _kiwi is None:
        from kiwipiepy import Kiwi  # deferred: loading the model costs about a second

        with warnings.catch_warnings():
            # 0 has meant "no thread pool" since kiwipiepy 0.21; it warns about the change.
            warnings.simplefilter("ignore", DeprecationWarning)
            # The multi-word dictionary (names spanning several eojeols, ~190 MB) cannot match
            # here: every call analyses one eojeol.
            kiwi = Kiwi(num_workers=0, load_multi_dict=False)
        for word in loanwords()[1]:
            kiwi.add_user_word(word, "NNP")
        for word in _user_words:
            kiwi.add_user_word(word, "NNP")
        kiwi.analyze("조선로동당", top_n=1)  # builds the model's tables now, before any fork
        _kiwi = kiwi
        _cache.clear()
    return _kiwi


def preload() -> None:
    """Load Kiwi now (gunicorn's master calls this through the engine before forking workers)."""
    with _lock:
        _get_kiwi()


def add_user_words(words: Iterable[str]) -> None:
    """Teach Kiwi proper nouns (place names) so that they are never split."""
    with _lock:
        new = {w for w in words if w and " " not in w} - _user_words
        if not new:
            return
        _user_words.update(new)
        if _kiwi is not None:
            for word in new:
                _kiwi.add_user_word(word, "NNP")
            _kiwi.analyze("조선", top_n=1)  # rebuild now, once, rather than inside a later analysis
            _cache.clear()
            _spans.clear()


def _content(tokens: Any) -> tuple[Morpheme, ...]:
    """Keep content morphemes as (normalised form, start, end, head) within the eojeol.

    `head` is the first two syllables of a longer noun (노동자 -> 노동, 탈북자 -> 탈북):
    Korean compounds put the modifier first, so documents also index it and a search
    for 노동 finds 노동자.
    """
    out = []
    words = loanwords()[1]
    for tok in tokens:
        if tok.tag.startswith(_KEEP_TAGS):
            form = tok.form.lower()
            form = words.get(form) or dueum(form)
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
        analyses = [kiwi.analyze(text, top_n=1) for text in texts]
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
