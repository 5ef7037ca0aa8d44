"""The protected view: everything one audience may see of a testimony, decided in one place.

Every surface that shows a testimony to anybody (pages, the listening page, the JSON API, search
documents and snippets, facets, CSV, OAI-PMH, IIIF, WebVTT, OHMS, citations, feeds) reads it
through `testimony_view` / `narrator_view` and never from the model rows: templates and
serializers get no `Segment.speaker`, no `Narrator.real_name`, no exact birth year and no
restricted or unconsented transcript text unless the audience is staff.

    view = testimony_view(current_user, t)      # None: answer exactly like a missing record
    view.narrator.display_name, view.narrator.birth.label, view.segments[0].speaker ...

The rules themselves live beside this module: `access` (who may see which record, passage and
recording) and `disclosure` (how exactly a profile is shown).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import false, select

from archive.core.extensions import db
from archive.models import Category, Narrator, Place, Recording, Segment, Testimony, Topic
from archive.policy import access, disclosure
from archive.policy.disclosure import Band

INTERVIEWER_LABELS = {"interviewer", "면담자", "질문자"}
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.·'’]+")


def _squash(value: str) -> str:
    """Case and spacing folded away, so "Kim Chol-su", "KIM  chol su" and "kimcholsu" compare equal."""
    return _SEPARATORS.sub("", value or "").casefold()


def names_real_name(label: str | None, real_name: str | None) -> bool:
    """Whether a speaker label (or any text) contains the real name, in any case or spacing."""
    real = _squash(real_name or "")
    return bool(real) and real in _squash(label or "")


# ---------------------------------------------------------------------------------------- profile


@dataclass(frozen=True)
class ProfileView:
    """A narrator as one audience may see them: display name and generalised quasi-identifiers."""

    id: int
    audience: str
    display_name: str
    gender: str
    birth: Band | None
    home_province: Place | None
    home_place: Place | None
    left: Band | None
    arrived: Band | None
    age_group: str | None
    occupation: Category | None
    education: Category | None
    residence: Category | None
    exact_fields: frozenset[str] = frozenset()
    # Staff only; None for everyone else.
    real_name: str | None = None

    @property
    def generalised(self) -> bool:
        """Whether any field is shown less exactly than it is stored."""
        return self.audience != access.STAFF and len(self.exact_fields) < len(disclosure.EXACT_FIELDS)

    def facts(self) -> dict[str, Any]:
        """The profile as plain values (slugs and labels) for serializers."""
        return {
            "gender": self.gender,
            "birth": self.birth.label if self.birth else None,
            "home_province": self.home_province.slug if self.home_province else None,
            "home_place": self.home_place.slug if self.home_place else None,
            "left_north": self.left.label if self.left else None,
            "arrived_south": self.arrived.label if self.arrived else None,
            "age_group": self.age_group,
            "occupation": self.occupation.slug if self.occupation else None,
            "education": self.education.slug if self.education else None,
            "residence": self.residence.slug if self.residence else None,
        }


def _age_group(birth: Band | None, arrived: Band | None) -> str | None:
    """The age group at arrival that the shown years imply, or None when they leave it open.

    Derived from what the audience is shown, never from the exact years: next to a birth decade and an
    arrival band, an age group worked out from the exact years would narrow the birth year further.
    """
    from archive.core.vocabulary import age_group  # vocabulary imports models only

    if birth is None or arrived is None:
        return None
    youngest, oldest = age_group(arrived.low - birth.high), age_group(arrived.high - birth.low)
    return youngest if youngest == oldest else None


def profile_view(n: Narrator, audience: str, testimony: Testimony | None = None) -> ProfileView:
    """The narrator's profile for an audience (staff: exact; others: generalised unless consented)."""
    staff = audience == access.STAFF
    allowed = frozenset(disclosure.EXACT_FIELDS) if staff else disclosure.allowed_exact(n)

    def years(name: str, value: int | None, general: Any) -> Band | None:
        return disclosure.exact(value) if name in allowed else general(value)

    birth = years("birth_year", n.birth_year, disclosure.decade)
    arrived = years("arrived_south_year", n.arrived_south_year, disclosure.five_years)
    return ProfileView(
        id=n.id, audience=audience, display_name=access.display_name(n, testimony), gender=n.gender or "unspecified",
        birth=birth,
        home_province=n.origin_province,
        home_place=n.origin_place if "home_place" in allowed else None,
        left=years("left_north_year", n.left_north_year, disclosure.five_years),
        arrived=arrived,
        age_group=_age_group(birth, arrived), occupation=n.occupation, education=n.education, residence=n.residence_region,
        exact_fields=allowed, real_name=n.real_name if staff else None,
    )


def estimate_for(narrator: Narrator, audience: str = "public", threshold: int | None = None) -> disclosure.Estimate:
    """The population estimate for the profile `audience` would be shown of this narrator."""
    return disclosure.estimate(profile_view(narrator, audience), threshold)


# ---------------------------------------------------------------------------------------- parts


@dataclass(frozen=True)
class SegmentView:
    """A transcript passage as the audience may see it; `text` is None for a withheld passage."""

    id: int
    position: int
    start: float
    end: float
    speaker: str
    text: str | None
    language: str
    restricted: bool

    @property
    def withheld(self) -> bool:
        return self.text is None

    @property
    def is_interviewer(self) -> bool:
        return self.speaker.strip().casefold() in INTERVIEWER_LABELS


@dataclass(frozen=True)
class ChapterView:
    start: float
    title: str
    synopsis: str
    keywords: str


@dataclass(frozen=True)
class StopView:
    """One stop of the route; the year is a band unless the narrator's years may be shown exactly."""

    position: int
    country: Place | None
    place: str
    year: Band | None
    event: str


def speaker_label(label: str | None, narrator: Narrator, audience: str, shown_name: str) -> str:
    """A speaker label the audience may read: the narrator's real name becomes the shown name."""
    text = (label or "").strip()
    if audience != access.STAFF and names_real_name(text, narrator.real_name):
        return shown_name
    return text


# ---------------------------------------------------------------------------------------- testimony


class TestimonyView:
    """One testimony as one audience may see it (build with `testimony_view`)."""

    def __init__(self, t: Testimony, audience: str, granted: bool = False) -> None:
        self._t = t
        self.audience = audience
        self.staff = audience == access.STAFF
        # Opened by an access grant (the audience is then that of an approved researcher).
        self.granted = granted
        self.id: int = t.id
        self.external_id: str | None = t.external_id
        self.title: str = t.title
        self.summary: str = t.summary or ""
        self.interview_date: str | None = t.interview_date
        self.interviewer: str = t.interviewer or ""
        self.interview_place: str = t.interview_place or ""
        self.languages: list[str] = t.languages
        self.topics: list[Topic] = list(t.topics)
        self.fictional: bool = t.fictional
        self.featured: bool = t.featured
        self.published_at: datetime | None = t.published_at
        self.updated_at: datetime = t.updated_at
        self.visibility: str = access.testimony_visibility(t)
        self.can_read_transcript: bool = _can_read_for(audience, t, granted)
        self.can_hear: bool = _can_hear_for(audience, t, granted)
        # Staff-only facts (None or defaults for everyone else).
        self.status: str | None = t.status if self.staff else None
        self.access: str | None = t.access if self.staff else None
        self.embargo_until: date | None = t.embargo_until if self.staff else None
        self.consent_withdrawn_at: datetime | None = t.consent_withdrawn_at if self.staff else None
        self.version: int | None = t.version if self.staff else None
        self.consent_name: bool = t.consent_name

    @property
    def main_language(self) -> str:
        return self.languages[0] if self.languages else ""

    @cached_property
    def narrator(self) -> ProfileView:
        return profile_view(self._t.narrator, self.audience, self._t)

    @cached_property
    def segments(self) -> list[SegmentView]:
        """Every passage in order (withheld ones with text None); empty without transcript access."""
        if not self.can_read_transcript:
            return []
        return [self._segment(s) for s in self._t.segments]

    def segment_from_row(self, s: Any) -> SegmentView:
        """A passage from a row with the Segment columns (rebuilds read plain rows, not objects)."""
        return self._segment(s)

    def _segment(self, s: Segment | Any) -> SegmentView:
        shown = self.staff or not s.restricted
        return SegmentView(
            id=s.id, position=getattr(s, "position", 0), start=s.start, end=s.end,
            speaker=speaker_label(s.speaker, self._t.narrator, self.audience, self.narrator.display_name),
            text=s.text if shown else None, language=s.language or "", restricted=bool(s.restricted))

    @property
    def readable_segments(self) -> list[SegmentView]:
        """Passages whose text the audience may read (restricted ones only for staff)."""
        return [s for s in self.segments if not s.withheld]

    @property
    def has_transcript(self) -> bool:
        """Whether a transcript exists at all (said even when it is withheld)."""
        return bool(self._t.segments)

    @cached_property
    def chapters(self) -> list[ChapterView]:
        """Chapters describe the transcript's content: only with transcript access."""
        if not self.can_read_transcript:
            return []
        return [ChapterView(c.start, c.title, c.synopsis or "", c.keywords or "") for c in self._t.chapters]

    @cached_property
    def route(self) -> list[StopView]:
        exact_years = self.staff or {"left_north_year", "arrived_south_year"} <= self.narrator.exact_fields
        return [StopView(leg.position, leg.country, leg.place or "",
                         disclosure.exact(leg.year) if exact_years else disclosure.five_years(leg.year), leg.event)
                for leg in self._t.route]

    @cached_property
    def recordings(self) -> list[Recording]:
        """The recordings this audience may hear (none without consent)."""
        return list(self._t.recordings) if self.can_hear else []

    @property
    def recording(self) -> Recording | None:
        return self.recordings[0] if self.recordings else None

    @property
    def has_recording(self) -> bool:
        """Whether a recording exists (said even when the audience may not hear it)."""
        return bool(self._t.recordings)

    @property
    def duration(self) -> float | None:
        rec = self._t.recording
        return rec.duration_seconds if rec is not None else None

    @property
    def model(self) -> Testimony:
        """The row behind the view, for services that need its id or relations; never for rendering."""
        return self._t


def _can_read_for(audience: str, t: Testimony, granted: bool = False) -> bool:
    visible = granted or _visible_for(audience, t)
    return visible and (audience == access.STAFF or bool(t.consent_transcript))


def _visible_for(audience: str, t: Testimony) -> bool:
    return access.level_allows(audience, t)


def _can_hear_for(audience: str, t: Testimony, granted: bool = False) -> bool:
    """`access.can_hear` for an audience rather than a user (`granted`: opened by an access grant)."""
    if not (granted or _visible_for(audience, t)):
        return False
    if audience == access.STAFF:
        return True
    if not t.consent_audio:
        return False
    return t.consent_face_voice or not any(r.is_video for r in t.recordings)


def testimony_view(user: Any, t: Testimony | None) -> TestimonyView | None:
    """The testimony as this user may see it, or None when they may not know it exists.

    A researcher holding a live access grant for it sees it as an approved researcher would.
    """
    if t is None:
        return None
    audience = access.audience_for(user)
    if access.level_allows(audience, t):
        return TestimonyView(t, audience)
    if access.has_grant(user, t):
        return TestimonyView(t, access.RESEARCHER, granted=True)
    return None


def audience_view(audience: str, t: Testimony) -> TestimonyView | None:
    """The testimony as an audience (public, researcher, staff) sees it, without a user (search, OAI)."""
    if not _visible_for(audience, t):
        return None
    return TestimonyView(t, audience)


def testimony_views(user: Any, testimonies: list[Testimony]) -> list[TestimonyView]:
    """Views of the testimonies this user may see, in the same order."""
    return [v for v in (testimony_view(user, t) for t in testimonies) if v is not None]


def opening_quotes(views: list[TestimonyView], within: int = 12) -> dict[int, SegmentView]:
    """The first passage of each testimony that is not the interviewer's, for cards and teasers.

    Only passages anyone may read become quotations, whoever is looking: cards get copied around.
    Reads the first `within` passages in one query instead of each whole transcript.
    """
    readable = {v.id: v for v in views if v.can_read_transcript}
    if not readable:
        return {}
    quotes: dict[int, SegmentView] = {}
    rows = db.session.scalars(
        select(Segment).where(Segment.testimony_id.in_(list(readable)), Segment.restricted == false(),
                              Segment.position <= within)
        .order_by(Segment.testimony_id, Segment.position))
    for row in rows:
        if row.testimony_id in quotes:
            continue
        passage = readable[row.testimony_id].segment_from_row(row)
        if not passage.is_interviewer:
            quotes[row.testimony_id] = passage
    return quotes


def narrator_view(user: Any, n: Narrator | None) -> tuple[ProfileView, list[TestimonyView]] | None:
    """A narrator as this user may see them, with the testimonies they may see; None if none."""
    if n is None:
        return None
    views = testimony_views(user, list(n.testimonies))
    if not views:
        return None
    return profile_view(n, access.audience_for(user)), views

