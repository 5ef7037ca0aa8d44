"""Sensitive terms: the names and details of one testimony that must never reach anyone outside staff.

Curators list them per testimony (a relative's name, a workplace, a unit number); the narrator's real
name is always checked without being listed. `scan` looks for every term in everything a testimony
shows outside staff: title, interview place, summary (its plain text), transcript text and speaker
labels, chapter titles, synopses and keywords, and the places of the route.

Matching is case-insensitive and spacing-insensitive, like `archive.policy.protected.names_real_name`
("Kim Chol-su" finds "KIM  chol su" and "Kimcholsu"; text is NFKC-normalised first, so full-width
letters count too). A term's Latin or digit ends must stand at a word boundary ("Ri" does not find
"river", "Unit 102" does not find "Unit 1025"), while Hangul is matched as a substring, because Korean
attaches particles to names ("김철수가", "김철수의").

Each hit is one of
- unresolved: a public surface would show it; publishing is refused until it is gone (restrict the
  passage, or edit the text);
- handled: a speaker label naming the narrator's real name, which the protected view replaces by the
  display name on every surface (reported for information);
- restricted: inside a restricted passage, whose text nobody outside staff reads.

Transcript and chapter hits count whether or not the narrator consented to publishing the transcript:
that consent can be given later from the details form, without another checklist.

The terms themselves are as secret as the passages they protect: they appear only on the curators'
pages, and the audit log records that a term was added or removed (its id and the count), never the
term or its note, so that the log (read by admins, kept forever) does not become a second copy of the
secret that outlives the term's removal.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from archive.core.extensions import db
from archive.models import Segment, SensitiveTerm, Testimony
from archive.policy.protected import _squash, names_real_name
from archive.formats import timecode
from archive.formats.sanitize import html_to_text
from archive.core import audit
from archive.curation import testimonies as testimony_service
from archive.core.errors import ValidationError
from archive.core.fields import FieldProblem, optional_text

UNRESOLVED, HANDLED, RESTRICTED = "unresolved", "handled", "restricted"
# Characters that may stand between two letters of a term (the same set `names_real_name` folds away).
_GAP = r"[\s\-‐‑–—_.·'’]*"
_WORDISH = "0-9A-Za-z\u00c0-\u024f"
_LATIN_OR_DIGIT = re.compile(f"[{_WORDISH}]")
CONTEXT = 40
MIN_TERM = 2


@dataclass(frozen=True)
class Term:
    """One term to look for; `implicit` for the narrator's real name (never listed by a curator)."""

    text: str
    implicit: bool = False
    id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Hit:
    """One occurrence of a term, where it stands and whether a public surface would show it."""

    term: Term
    place: str  # title, interview_place, summary, transcript, speaker, chapter, route
    state: str
    before: str
    match: str
    after: str
    number: int | None = None  # passage position, chapter number or route stop
    start: float | None = None
    segment_id: int | None = None

    @property
    def unresolved(self) -> bool:
        return self.state == UNRESOLVED

    @property
    def where(self) -> str:
        """Where the hit stands, for people ("passage 3 at 0:01:05", "summary", "route stop 2")."""
        if self.place in ("transcript", "speaker"):
            at = timecode.clock(self.start or 0)
            if self.place == "speaker":
                return _("speaker label of passage %(number)s at %(time)s", number=self.number, time=at)
            return _("passage %(number)s at %(time)s", number=self.number, time=at)
        if self.place == "chapter":
            return _("chapter %(number)s", number=self.number)
        if self.place == "route":
            return _("route stop %(number)s", number=self.number)
        return {"title": _("title"), "interview_place": _("interview place"), "summary": _("summary")}.get(
            self.place, self.place)


@dataclass
class Scan:
    """Every hit of every term in one testimony."""

    terms: list[Term]
    hits: list[Hit] = field(default_factory=list)

    @property
    def unresolved(self) -> list[Hit]:
        return [h for h in self.hits if h.state == UNRESOLVED]

    @property
    def handled(self) -> list[Hit]:
        return [h for h in self.hits if h.state == HANDLED]

    @property
    def restricted(self) -> list[Hit]:
        return [h for h in self.hits if h.state == RESTRICTED]

    @property
    def clean(self) -> bool:
        return not self.unresolved


# ---------------------------------------------------------------------------------------- matching

def _normal(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "")


def term_pattern(term: str) -> re.Pattern[str] | None:
    """The pattern that finds a term in any case and spacing; None for a term without letters or digits."""
    letters = [ch for ch in _squash(_normal(term))]
    if not letters:
        return None
    body = _GAP.join(re.escape(ch) for ch in letters)
    head = f"(?<![{_WORDISH}])" if _LATIN_OR_DIGIT.match(letters[0]) else ""
    tail = f"(?![{_WORDISH}])" if _LATIN_OR_DIGIT.match(letters[-1]) else ""
    return re.compile(head + body + tail, re.IGNORECASE)


def find(text: str | None, pattern: re.Pattern[str]) -> list[tuple[str, str, str]]:
    """Every occurrence as (text before, the match, text after), each side cut to a short excerpt."""
    normal = _normal(text)
    found = []
    for m in pattern.finditer(normal):
        before = normal[max(0, m.start() - CONTEXT):m.start()]
        after = normal[m.end():m.end() + CONTEXT]
        found.append((("…" if m.start() > CONTEXT else "") + before, m.group(0),
                      after + ("…" if m.end() + CONTEXT < len(normal) else "")))
    return found


# ---------------------------------------------------------------------------------------- scanning

def terms_of(t: Testimony) -> list[Term]:
    """The narrator's real name (when recorded) followed by the curators' terms."""
    out: list[Term] = []
    real = (t.narrator.real_name or "").strip() if t.narrator is not None else ""
    if real:
        out.append(Term(real, implicit=True))
    seen = {_squash(_normal(real))} if real else set()
    for row in t.sensitive_terms:
        key = _squash(_normal(row.term))
        if key and key not in seen:
            seen.add(key)
            out.append(Term(row.term, id=row.id, note=row.note or ""))
    return out


def scan(t: Testimony) -> Scan:
    """Look for every term everywhere the testimony shows outside staff."""
    result = Scan(terms_of(t))
    real_name = t.narrator.real_name if t.narrator is not None else None
    for term in result.terms:
        pattern = term_pattern(term.text)
        if pattern is None:
            continue

        def add(place: str, text: str | None, state: str = UNRESOLVED, **where: Any) -> None:
            for before, match, after in find(text, pattern):
                result.hits.append(Hit(term, place, state, before, match, after, **where))

        add("title", t.title)
        add("interview_place", t.interview_place)
        add("summary", html_to_text(t.summary))
        for s in t.segments:
            where = {"number": s.position, "start": s.start, "segment_id": s.id}
            add("transcript", s.text, RESTRICTED if s.restricted else UNRESOLVED, **where)
            # Labels stay visible beside withheld passages; only the real name is replaced everywhere.
            label_state = HANDLED if names_real_name(s.speaker, real_name) else UNRESOLVED
            add("speaker", s.speaker, label_state, **where)
        for number, chapter in enumerate(t.chapters, start=1):
            for text in (chapter.title, chapter.synopsis, chapter.keywords):
                add("chapter", text, number=number, start=chapter.start)
        for leg in t.route:
            add("route", leg.place, number=leg.position)
    order = {"title": 0, "interview_place": 1, "summary": 2, "transcript": 3, "speaker": 3, "chapter": 4, "route": 5}
    result.hits.sort(key=lambda h: (order.get(h.place, 9), h.start or 0, h.number or 0))
    return result


def restricted_passages(t: Testimony) -> list[Segment]:
    """The passages kept from everyone outside staff, in order."""
    return [s for s in t.segments if s.restricted]


# ---------------------------------------------------------------------------------------- changes

def add_term(t: Testimony, term: Any, note: Any = "", actor: Any = None) -> SensitiveTerm:
    """List a term for this testimony; the audit log records that a term was added, not the term."""
    errors: dict[str, list[str]] = {}
    text = note_text = ""
    try:
        text = optional_text(term, 200, required=True)
    except FieldProblem as problem:
        errors["term"] = [str(problem)]
    try:
        note_text = optional_text(note, 300)
    except FieldProblem as problem:
        errors["note"] = [str(problem)]
    key = _squash(_normal(text))
    if text and "term" not in errors:
        if len(key) < MIN_TERM:
            errors["term"] = [_("must have at least %(min)s letters or digits (a shorter term would match almost "
                                "everything)", min=MIN_TERM)]
        elif t.narrator is not None and key == _squash(_normal(t.narrator.real_name or "")):
            errors["term"] = [_("is the narrator's real name, which is always checked")]
        elif any(key == _squash(_normal(row.term)) for row in t.sensitive_terms):
            errors["term"] = [_("is already listed for this testimony")]
    if errors:
        raise ValidationError(errors)
    row = SensitiveTerm(term=text, note=note_text)
    t.sensitive_terms.append(row)
    db.session.flush()
    audit.record("testimony.sensitive_term_added", t, {"term_id": row.id, "terms": len(t.sensitive_terms)},
                 actor=actor)
    db.session.commit()
    return row


def remove_term(t: Testimony, term_id: int, actor: Any = None) -> None:
    """Stop checking a term (audited by id only)."""
    row = db.session.scalar(select(SensitiveTerm).where(SensitiveTerm.id == term_id,
                                                        SensitiveTerm.testimony_id == t.id))
    if row is None:
        raise ValidationError(_("This term is not listed for this testimony (perhaps it was already removed)."))
    t.sensitive_terms.remove(row)
    db.session.flush()
    audit.record("testimony.sensitive_term_removed", t, {"term_id": term_id, "terms": len(t.sensitive_terms)},
                 actor=actor)
    db.session.commit()


def restrict_passage(t: Testimony, segment: Segment, expected_version: int | None, actor: Any = None) -> Testimony:
    """Mark one passage restricted through the segment edit service (version-checked and audited)."""
    if segment.testimony_id != t.id:
        raise ValidationError(_("This passage does not belong to this testimony."))
    data = {"start": segment.start, "end": segment.end, "text": segment.text, "speaker": segment.speaker,
            "language": segment.language, "restricted": True}
    return testimony_service.update_segment(t, segment, data, expected_version, actor)
