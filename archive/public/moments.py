"""A search's words on the listening page (``?q=``): which readable lines match, and their text with the words marked.

The search engine finds the matching segments with its own analysis (Korean and English alike), for the
reader's audience, so a line the reader may not read is never marked, counted or linked; the marks are
placed on the text of the protected view, never on raw rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from archive.policy import access
from archive.policy.protected import TestimonyView
from archive.search.sync import engine

MAX_QUERY_CHARS = 500


@dataclass
class Match:
    """One line holding the searched words."""

    position: int
    start: float
    end: float


@dataclass
class Moments:
    """The searched words of a listening page and where they are."""

    query: str
    matches: list[Match] = field(default_factory=list)
    marked: dict[int, Markup] = field(default_factory=dict)  # line position -> its text with <mark>s
    current: int | None = None  # index in matches of the line the page opens on

    def neighbour(self, step: int) -> Match | None:
        """The match before (-1) or after (+1) the current one, wrapping round; None without matches."""
        if not self.matches:
            return None
        at = self.current if self.current is not None else (-1 if step > 0 else 0)
        return self.matches[(at + step) % len(self.matches)]


def mark(text: str, spans: list[tuple[int, int]]) -> Markup:
    """The text, escaped, with <mark> around each span (overlapping spans merged, spans outside it dropped)."""
    out: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        start, end = max(start, cursor), min(end, len(text))
        if end <= start:
            continue
        out.append(str(escape(text[cursor:start])))
        out.append(f'<mark class="hit">{escape(text[start:end])}</mark>')
        cursor = end
    out.append(str(escape(text[cursor:])))
    return Markup("".join(out))


def find(user: object, view: TestimonyView, query: str | None, start: float) -> Moments | None:
    """The lines of the testimony matching `query` for this reader; None when there is no query."""
    query = " ".join((query or "").split())[:MAX_QUERY_CHARS]
    if not query or not view.can_read_transcript:
        return None
    readable = {s.id: s for s in view.readable_segments}
    moments = Moments(query)
    for moment in engine().moments(view.id, query, access.audience_for(user)):
        segment = readable.get(moment.segment_id)
        if segment is None or segment.text is None:
            continue  # not readable by this reader (the index agrees; the protected view decides)
        moments.matches.append(Match(segment.position, segment.start, segment.end))
        moments.marked[segment.position] = mark(segment.text, moment.marks)
    for index, match in enumerate(moments.matches):
        if match.start <= start + 0.005:
            moments.current = index
    if moments.current is None and moments.matches and not start:
        moments.current = 0
    return moments
