"""The Korean catalogue is complete: every string marked in the source has a real translation.

The messages are extracted afresh from archive/ and templates/ with babel.cfg (the same
extraction as `make translations`), so a string wrapped in `_()` without a Korean translation
fails here rather than showing up in English on a Korean page.
"""
from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "archive" / "translations"
KOREAN_PO = TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
JS_PLACEHOLDER = re.compile(r"\{(\w+)\}")  # the player's messages (static/js/player/messages.js)
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _extracted() -> dict[str | tuple[str, ...], list[str]]:
    """msgid -> where it is used, for every string marked for translation in the source tree."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        key = message if isinstance(message, str) else tuple(m for m in message if m)
        if isinstance(key, tuple) and len(key) == 1:
            key = key[0]
        if key:
            found.setdefault(key, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[str | tuple[str, ...], list[str]]:
    return _extracted()


@pytest.fixture(scope="module")
def korean() -> Catalog:
    with KOREAN_PO.open("rb") as f:
        return read_po(f, locale="ko")


def _placeholders(texts: Iterable[str]) -> set[str]:
    texts = list(texts)
    python = {m.group(0) if m.group(1) is None else m.group(1) for t in texts for m in PLACEHOLDER.finditer(t)}
    return python | {"{" + m.group(1) + "}" for t in texts for m in JS_PLACEHOLDER.finditer(t)}


def _forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_extraction_finds_the_interface_strings(extracted: dict) -> None:
    # Python (lazy and plain gettext) and Jinja templates are both extracted.
    assert "Hear the Defectors" in extracted
    assert "Unbalanced quote at position %(position)s was ignored." in extracted  # archive/search, lazy_gettext
    assert ("%(num)s testimony", "%(num)s testimonies") in extracted  # a plural in a template
    assert any(where.startswith("templates/") for where in extracted["Skip to content"])


def test_every_message_has_a_korean_translation(extracted: dict, korean: Catalog) -> None:
    problems = []
    for msgid, where in sorted(extracted.items(), key=lambda item: str(item[0])):
        message = korean.get(msgid if isinstance(msgid, str) else msgid[0])
        if message is None:
            problems.append(f"missing: {msgid!r} ({where[0]})")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where[0]})")
        elif not all(form.strip() for form in _forms(message.string)) or not _forms(message.string):
            problems.append(f"empty: {msgid!r} ({where[0]})")
    assert not problems, f"{len(problems)} untranslated messages; run `make translations` and translate:\n" + \
        "\n".join(problems[:60])


def test_translations_keep_the_placeholders(korean: Catalog) -> None:
    problems = []
    for message in korean:
        if not message.id or not message.string:
            continue
        expected = _placeholders(_forms(message.id))
        for form in _forms(message.string):
            if _placeholders([form]) != expected:
                problems.append(f"{message.id!r}: {sorted(_placeholders([form]))} != {sorted(expected)}")
    assert not problems, "\n".join(problems)


def test_translations_are_korean(korean: Catalog) -> None:
    # A copied English string is not a translation (file names and format names are allowed as they are).
    untranslated = [m.id for m in korean if m.id and m.string and not any(HANGUL.search(f) for f in _forms(m.string))
                    and _forms(m.string)[0] == _forms(m.id)[0] and re.search(r"[a-z]{3} [a-z]{3}", _forms(m.id)[0])]
    assert not untranslated, untranslated


def test_the_catalogue_compiles_and_is_consistent(korean: Catalog) -> None:
    assert korean.num_plurals == 1  # Korean has a single plural form
    errors = [(message.id, [str(e) for e in errs]) for message, errs in korean.check()]
    assert not errors, errors
    buffer = io.BytesIO()
    write_mo(buffer, korean)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    assert compiled.gettext("Skip to content") == "본문으로 건너뛰기"
    assert compiled.ngettext("%(num)s testimony", "%(num)s testimonies", 3) % {"num": 3} == "증언 3건"


def test_the_template_lists_what_the_catalogue_translates(korean: Catalog) -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = read_po(f)
    missing = [m.id for m in template if m.id and korean.get(m.id if isinstance(m.id, str) else m.id[0]) is None]
    assert not missing, missing
