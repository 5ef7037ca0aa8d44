"""Sanitize curator-written HTML for display and reduce it to plain text for indexing.

This is the only module that imports bleach, so a change of sanitizer library
touches this file alone. Store what the curator typed; pass it through
``clean_html`` on output and ``html_to_text`` before indexing.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from typing import Any

from bleach.html5lib_shim import Filter
from bleach.sanitizer import Cleaner
from markupsafe import Markup

ALLOWED_TAGS: frozenset[str] = frozenset(
    {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "h3", "h4", "abbr", "cite", "q"}
)
ALLOWED_ATTRIBUTES: dict[str, list[str]] = {"a": ["href", "title"], "abbr": ["title"]}
ALLOWED_PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

# Elements whose content is code, styling or foreign markup rather than prose:
# stripping only their tags would leave e.g. a script's source as visible text.
DROPPED_WITH_CONTENT: frozenset[str] = frozenset(
    {
        "script", "style", "template", "iframe", "frame", "frameset", "object", "embed", "applet",
        "noscript", "noembed", "noframes", "svg", "math", "textarea", "select", "title", "xmp",
        "plaintext", "head", "canvas", "audio", "video",
    }
)
# Block-level boundaries become spaces in plain text so "<p>a</p><p>b</p>" does not read "ab".
_BLOCK_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "table", "tr", "td", "th", "caption", "section", "article",
        "header", "footer", "aside", "nav", "main", "figure", "figcaption", "address",
    }
)
_ELLIPSIS = "…"


class _DropContentFilter(Filter):
    """Remove dropped elements together with everything inside them."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        depth = 0
        for token in super().__iter__():
            kind, name = token["type"], token.get("name")
            if name in DROPPED_WITH_CONTENT:
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth = max(depth - 1, 0)
                continue  # EmptyTag (<svg/>) and the tags themselves go too
            if depth == 0:
                yield token


class _LinkRelFilter(Filter):
    """Give every link rel="nofollow noopener" so curated links pass no ranking or window handle."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token.get("name") == "a":
                token["data"][(None, "rel")] = LINK_REL
            yield token


class _BlockToSpaceFilter(Filter):
    """Replace block-level tags with a space and drop all other tags."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EndTag", "EmptyTag"):
                if token.get("name") in _BLOCK_TAGS:
                    yield {"type": "SpaceCharacters", "data": " "}
                continue
            yield token


# bleach's Cleaner keeps parser state, so each thread gets its own pair.
_local = threading.local()


def _cleaners() -> tuple[Cleaner, Cleaner]:
    """Return this thread's (html, text) cleaners."""
    cleaners: tuple[Cleaner, Cleaner] | None = getattr(_local, "cleaners", None)
    if cleaners is None:
        # The dropped elements are "allowed" through bleach's own filter only so that
        # _DropContentFilter still sees them and can remove their content as well.
        html_cleaner = Cleaner(
            tags=ALLOWED_TAGS | DROPPED_WITH_CONTENT,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[_DropContentFilter, _LinkRelFilter],
        )
        text_cleaner = Cleaner(
            tags=_BLOCK_TAGS | DROPPED_WITH_CONTENT,
            attributes={},
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[_DropContentFilter, _BlockToSpaceFilter],
        )
        cleaners = _local.cleaners = (html_cleaner, text_cleaner)
    return cleaners


def clean_html(value: str | None) -> Markup:
    """Return curator HTML reduced to the allow-list, safe to render unescaped."""
    if not value:
        return Markup("")
    return Markup(_cleaners()[0].clean(str(value)))


def html_to_text(value: str | None) -> str:
    """Return the plain text of an HTML fragment (unescaped: escape it again to display)."""
    if not value:
        return ""
    serialized = _cleaners()[1].clean(str(value))
    return " ".join(html.unescape(serialized).split())


def excerpt(value: str | None, length: int = 200) -> str:
    """Return at most `length` characters of plain text, cut at a word boundary with '…'."""
    if length < 1:
        raise ValueError("excerpt length must be at least 1")
    text = html_to_text(value)
    if len(text) <= length:
        return text
    cut = text[: length - len(_ELLIPSIS) + 1]
    boundary = cut.rfind(" ")
    # Without a space in the last stretch (one very long word, or unspaced script) cut mid-word.
    cut = cut[:boundary] if boundary > len(cut) // 2 else cut[: length - len(_ELLIPSIS)]
    return re.sub(r"[\s.,;:!?…-]+$", "", cut) + _ELLIPSIS


_MARK = re.compile(r"(</?mark>)")


def clean_snippet(value: str | None) -> Markup:
    """Return a search snippet as HTML whose only markup is <mark> around matched words."""
    if not value:
        return Markup("")
    parts = _MARK.split(str(value))
    out = []
    for part in parts:
        if part in ("<mark>", "</mark>"):
            out.append(part)
        else:
            # Whatever the engine produced, text is re-escaped here: nothing but <mark> survives.
            out.append(str(Markup.escape(html.unescape(part))))
    balanced = "".join(out)
    if balanced.count("<mark>") != balanced.count("</mark>"):
        balanced = balanced.replace("<mark>", "").replace("</mark>", "")
    return Markup(balanced)
