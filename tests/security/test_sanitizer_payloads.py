"""Every XSS payload through the one sanitizer, checked structurally (no browser needed)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from archive.formats.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, clean_html, clean_snippet, excerpt, html_to_text

from .payloads import generate, load

PAYLOADS = load()
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


class _Inspect(HTMLParser):
    """Collect every element and attribute the browser would build from the output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS and tag != "mark":
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, []) and not (tag == "a" and name == "rel"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href":
                # What the browser does: strip whitespace and control characters, then read the scheme.
                url = re.sub(r"[\x00-\x20]", "", value or "").lower()
                scheme = _SCHEME.match(url)
                if scheme and scheme.group(1) not in ALLOWED_PROTOCOLS:
                    self.problems.append(f"href scheme {scheme.group(1)}")

    handle_startendtag = handle_starttag


def _problems(html: str) -> list[str]:
    parser = _Inspect()
    parser.feed(html)
    parser.close()
    return parser.problems


def test_the_payload_file_is_the_generated_list() -> None:
    assert PAYLOADS == generate(), "regenerate: .venv/bin/python -m tests.security.payloads > tests/security/payloads.txt"
    assert len(PAYLOADS) >= 300


@pytest.mark.parametrize("start", range(0, len(PAYLOADS), 50))
def test_clean_html_leaves_only_allowed_markup(start: int) -> None:
    failures = []
    for number, payload in enumerate(PAYLOADS[start:start + 50], start=start + 1):
        for variant in (payload, payload * 2, f"<p>{payload}</p>", payload.upper()):
            cleaned = str(clean_html(variant))
            problems = _problems(cleaned)
            # Cleaning is stable: cleaning again changes nothing (no mutation on a second parse).
            if str(clean_html(cleaned)) != cleaned:
                problems.append("not idempotent")
            if problems:
                failures.append(f"#{number} {payload!r} -> {cleaned!r}: {problems}")
    assert not failures, "\n".join(failures[:20])


def test_plain_text_and_snippets_escape_everything() -> None:
    for payload in PAYLOADS:
        # html_to_text and excerpt return text meant to be escaped again: after escaping, no markup remains.
        for text in (html_to_text(payload), excerpt(payload, 60)):
            assert not _problems(str(escape(text))) and "<" not in str(escape(text))
        snippet = str(clean_snippet(f"before <mark>{payload}</mark> after {payload}"))
        assert _problems(snippet) == [], (payload, snippet)
        assert set(re.findall(r"<(/?[a-z]+)", snippet)) <= {"mark", "/mark"}, snippet
