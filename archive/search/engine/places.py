"""Place-name spellings: loading the gazetteer and recognising any spelling in text."""

from __future__ import annotations

import csv
import re
import threading
from pathlib import Path

from . import korean
from .analysis import _TOKEN_RE, PART_PREFIX, PLACE_PREFIX, Analyzer, fold, has_hangul, romkey

# Words that qualify a place rather than name it; alone they must never mean a place.
_GENERIC = frozenset(
    [
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "province",
        "city",
        "county",
        "camp",
        "political",
        "prison",
        "re",
        "education",
        "reeducation",
        "kwalliso",
        "kyohwaso",
        "do",
        "si",
        "gun",
        "namdo",
        "bukto",
        "nam",
        "buk",
        "the",
        "of",
        "republic",
        "democratic",
        "people",
        "peoples",
        "kingdom",
        "united",
        "zone",
        "special",
        "autonomous",
        "prefecture",
        "river",
    ]
)
_ROMAN_SUFFIXES = ("namdo", "bukto", "nam", "buk", "do")
_HANGUL_SUFFIXES = re.compile(r"(?:남도|북도|직할시|특별시|도|시|군)$")
_PARENTHESIS = re.compile(r"\(([^)]*)\)")
_MAX_PART_GROUPS = 3


def load_place_groups(path: Path | str) -> list[list[str]]:
    """Read places.csv into groups of spellings (English, Hangul, romanizations, variants)."""
    groups: list[list[str]] = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names = [
                row.get("english") or "",
                row.get("hangul") or "",
                row.get("mccune_reischauer") or "",
                row.get("revised_romanization") or "",
                *(row.get("other_variants") or "").split("|"),
            ]
            group = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
            if group:
                groups.append(group)
    return groups


def _spellings(name: str) -> list[str]:
    """Split "Yodok (Kwalliso 15)" into its main spelling and meaningful parentheticals."""
    out = [_PARENTHESIS.sub(" ", name).strip()]
    for inner in _PARENTHESIS.findall(name):
        words = [fold(w) for w in inner.split()]
        if len(words) > 1 or (words and words[0] not in _GENERIC):
            out.append(inner.strip())
    return [s for s in out if s]


class PlaceMatcher:
    """Map any spelling of a place (and significant partial names) to a canonical token."""

    def __init__(self, groups: list[list[str]]) -> None:
        """Index every spelling of every group; Hangul ones wait for Kiwi."""
        self.sequences: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        self._full: dict[tuple[str, ...], set[str]] = {}
        self._parts: dict[str, set[str]] = {}
        self._hangul_parts: dict[str, set[str]] = {}
        self._pending: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._hangul_ready = False
        self.tokens: dict[str, list[str]] = {}
        for group in groups:
            if not group:
                continue
            label = "_".join(fold(m.group(0)) for m in _TOKEN_RE.finditer(group[0]))
            token = PLACE_PREFIX + (label or str(len(self.tokens)))
            self.tokens[token] = list(group)
            for name in group:
                for spelling in _spellings(name):
                    if has_hangul(spelling):
                        self._pending.append((spelling, token))
                    else:
                        self._add_roman(spelling, token)
        self._parts = {k: v for k, v in self._parts.items() if len(v) <= _MAX_PART_GROUPS}
        self._publish()

    def _add_roman(self, spelling: str, token: str) -> None:
        """Register a Latin-script spelling and its significant parts."""
        words = [fold(m.group(0)) for m in _TOKEN_RE.finditer(spelling)]
        if not words:
            return
        if len(words) == 1 and (words[0] in _GENERIC or len(words[0]) < 2):
            return
        self._full.setdefault(tuple(romkey(w) for w in words), set()).add(token)
        if len(words) > 1:
            self._full.setdefault((romkey("".join(words)),), set()).add(token)
        for word in words:
            if word in _GENERIC or word.isdigit():
                continue
            candidates = {word}
            for suffix in _ROMAN_SUFFIXES:
                if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                    candidates.add(word[: -len(suffix)])
            for part in candidates:
                if len(part) >= 4:
                    self._parts.setdefault(romkey(part), set()).add(token)

    def _publish(self) -> None:
        """Rebuild the first-key lookup table (swapped in whole for thread safety)."""
        table: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for keys, tokens in self._full.items():
            table.setdefault(keys[0], []).append((keys, tuple(sorted(tokens))))
        for entries in table.values():
            entries.sort(key=lambda e: -len(e[0]))
        self.sequences = table

    def prepare_hangul(self) -> None:
        """Analyse Hangul spellings with Kiwi on first need (Kiwi is skipped for Latin-only text)."""
        if self._hangul_ready:
            return
        with self._lock:
            if self._hangul_ready:
                return
            korean.add_user_words(s for s, _ in self._pending if re.fullmatch(r"[가-힣]+", s))
            plain = Analyzer(None)
            for spelling, token in self._pending:
                keys = tuple(r[0] for r in plain._scan(spelling))
                if keys:
                    self._full.setdefault(keys, set()).add(token)
                stem = _HANGUL_SUFFIXES.sub("", spelling)
                if stem != spelling and re.fullmatch(r"[가-힣]{2,}", stem):
                    self._hangul_parts.setdefault(korean.dueum(stem), set()).add(token)
            self._publish()
            self._hangul_ready = True  # only now: other threads wait on the lock until ready

    def part_token(self, key: str) -> str | None:
        """Return the shared token of a significant partial name ("Hamgyeong"), if any."""
        return PART_PREFIX + key if key in self._parts else None

    def expansions(self, key: str) -> tuple[str, ...]:
        """Return the places a partial name may refer to (query side only)."""
        found = self._parts.get(key) or self._hangul_parts.get(key)
        return tuple(sorted(found)) if found else ()


_matchers: dict[tuple[tuple[str, ...], ...], PlaceMatcher] = {}
_matchers_lock = threading.Lock()


def matcher_for(groups: list[list[str]] | None) -> PlaceMatcher | None:
    """Return a shared matcher for these groups (built once per process)."""
    if not groups:
        return None
    key = tuple(tuple(g) for g in groups)
    with _matchers_lock:
        found = _matchers.get(key)
        if found is None:
            found = _matchers[key] = PlaceMatcher(groups)
        return found
