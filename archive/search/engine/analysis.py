"""Text analysis shared by indexing, querying and highlighting (English, Korean, place names)."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple, Protocol

from whoosh.analysis import STOP_WORDS
from whoosh.lang.porter2 import stem as _porter2

from . import korean

_HANGUL = "\uac00-\ud7a3\u3131-\u318e\u1100-\u11ff"
_APOSTROPHES = "'\u2019\u02bc\u2018`\u00b4"
_TOKEN_RE = re.compile(rf"([{_HANGUL}]+)|([^\W_{_HANGUL}]+(?:[{_APOSTROPHES}][^\W_{_HANGUL}]+)*)")
_HAS_HANGUL = re.compile(rf"[{_HANGUL}]")
_APOSTROPHE_TABLE = str.maketrans("", "", _APOSTROPHES)
_ROMKEY_TABLE = str.maketrans("ktp", "gdb")
_MAX_TERM = 60
_CACHE_LIMIT = 400_000



class PlaceMatcher(Protocol):
    """What the analyser needs of the place names (places.PlaceMatcher provides it; places builds on this
    module, so this side names only the shape)."""

    sequences: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]

    def prepare_hangul(self) -> None: ...

    def part_token(self, key: str) -> str | None: ...

    def expansions(self, key: str) -> tuple[str, ...]: ...


# Synthetic terms start with "~", which the tokenizer never produces from text.
PLACE_PREFIX = "~p"
PART_PREFIX = "~q"


class Token(NamedTuple):
    """One emitted term: `pos`..`last` are token positions, `start`..`end` characters."""

    term: str
    pos: int
    last: int
    start: int
    end: int
    surface: str | None


def fold(word: str) -> str:
    """Lower-case, strip diacritics (ŏ -> o, ŭ -> u) and drop apostrophes."""
    if word.isascii():
        return word.lower().translate(_APOSTROPHE_TABLE)
    decomposed = unicodedata.normalize("NFKD", word.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).translate(_APOSTROPHE_TABLE)


def romkey(folded: str) -> str:
    """Collapse McCune-Reischauer / Revised Romanization differences (eo/o, k/g, ch/j...)."""
    key = folded.replace("eo", "o").replace("eu", "u").replace("sh", "s")
    return key.replace("ch", "j").translate(_ROMKEY_TABLE)


def stem(folded: str) -> str:
    """Return the English stem of a folded word (other scripts pass through)."""
    if folded.isascii() and folded.isalpha():
        return _porter2(folded)
    return folded


def has_hangul(text: str) -> bool:
    """Tell whether Kiwi is needed at all for this text."""
    return _HAS_HANGUL.search(text) is not None


# A raw token: (match key, index term or None for stop words, surface form, start, end,
# place part token, extra document-only term such as the head of a Korean compound)
_Raw = tuple[str, str | None, str | None, int, int, str | None, str | None]
# An emitted term: (term, position, last position, start, end, surface form or None)
_Emitted = tuple[str, int, int, int, int, str | None]


class Analyzer:
    """Turn text into index terms with positions and character offsets."""

    def __init__(self, places: PlaceMatcher | None = None) -> None:
        """Use `places` to recognise place names (None: words only)."""
        self.places = places
        self._latin: dict[str, tuple[str, str | None, str | None, str | None]] = {}

    def _latin_info(self, word: str) -> tuple[str, str | None, str | None, str | None]:
        """Compute (match key, term, surface, part token) for one non-Hangul word."""
        folded = fold(word)
        key = romkey(folded)
        term = None if folded in STOP_WORDS or len(folded) > _MAX_TERM else stem(folded)
        part = self.places.part_token(key) if self.places else None
        return key, term, folded if term else None, part

    def _scan(self, text: str) -> list[_Raw]:
        """Split text into keyed raw tokens; Hangul runs go through Kiwi in one batch."""
        raw: list[_Raw | None] = []
        hangul: list[tuple[str, int]] = []
        cache = self._latin
        append = raw.append
        for m in _TOKEN_RE.finditer(text):
            word = m.group(2)
            if word is None:
                hangul.append((m.group(1), m.start()))
                append(None)
                continue
            info = cache.get(word)
            if info is None:
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
                info = cache[word] = self._latin_info(word)
            append((info[0], info[1], info[2], m.start(), m.end(), info[3], None))
        if not hangul:
            return raw  # type: ignore[return-value]
        if self.places is not None:
            self.places.prepare_hangul()
        morphs = korean.analyze_eojeols(w for w, _ in hangul)
        out: list[_Raw] = []
        pending = iter(hangul)
        for item in raw:
            if item is not None:
                out.append(item)
                continue
            word, offset = next(pending)
            for form, start, end, head in morphs[word]:
                out.append((form, form, form, offset + start, offset + end, None, head))
        return out

    def _emit(self, text: str, pos: int, chars: int, query: bool) -> tuple[list[_Emitted], int]:
        """Emit term tuples with place synonyms; return them and the next position."""
        raw = self._scan(normalize(text))
        places = self.places
        trie = places.sequences if places else {}
        expand = places.expansions if (query and places is not None) else None
        count = len(raw)
        out: list[_Emitted] = []
        append = out.append
        for i, (key, term, surface, start, end, part, extra) in enumerate(raw):
            start += chars
            end += chars
            candidates = trie.get(key)
            if candidates:
                for keys, place_tokens in candidates:
                    size = len(keys)
                    if size == 1 or (
                        i + size <= count and all(raw[i + k][0] == keys[k] for k in range(1, size))
                    ):
                        span = raw[i : i + size]
                        last = pos + max(0, sum(1 for r in span if r[1]) - 1)
                        for place in place_tokens:
                            append((place, pos, last, start, span[-1][4] + chars, None))
                        break
            if part:
                append((part, pos, pos, start, end, None))
            if extra and not query:
                append((extra, pos, pos, start, end, None))
            if expand is not None:
                for place in expand(key):
                    append((place, pos, pos, start, end, None))
            if term:
                append((term, pos, pos, start, end, surface))
                pos += 1
        return out, pos

    def tokens(self, text: str, pos: int = 0, chars: int = 0, query: bool = False) -> tuple[list[Token], int]:
        """Return the terms of `text` and the next free position.

        Place and part synonyms share the position of their (first) word; with `query`
        partial place names also expand to every place they belong to.
        """
        out, pos = self._emit(text, pos, chars, query)
        return [Token(*t) for t in out], pos

    def index_terms(
        self,
        text: str,
        sink: dict[str, list[tuple[int, int, int]]],
        words: set[str],
        pos: int = 0,
        chars: int = 0,
    ) -> int:
        """Add (position, start, end) postings of `text` to `sink`; return the next position."""
        out, pos = self._emit(text, pos, chars, False)
        get = sink.get
        add_word = words.add
        for term, tpos, _, start, end, surface in out:
            entry = get(term)
            if entry is None:
                sink[term] = [(tpos, start, end)]
            else:
                entry.append((tpos, start, end))
            if surface is not None:
                add_word(surface)
        return pos


def normalize(text: str) -> str:
    """Compose characters (NFC) so that offsets agree between indexing and highlighting."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)
