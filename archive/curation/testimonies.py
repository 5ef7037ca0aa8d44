"""Creating, editing, publishing and deleting testimonies."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext as _

from archive.core.extensions import db
from archive.models import ACCESS_LEVELS, ROUTE_EVENTS, STATUSES, Chapter, RouteLeg, Segment, Testimony, Topic
from archive.models.base import utcnow
from archive.core import audit, saving
from archive.core.errors import ValidationError
from archive.core.saving import check_version
from archive.core.fields import (
    Collector, Problem, choice, flag, language_codes, optional_date, optional_text, optional_year, partial_date,
    seconds,
)
from archive.core.vocabulary import find_place, find_topic
from archive.formats.transcripts import read_markers
from archive.media.files import remove_files
from archive.policy import release

SCALAR_FIELDS = (
    "title", "external_id", "interview_date", "interviewer", "interview_place", "languages", "summary", "access",
    "status", "embargo_until", "consent_audio", "consent_transcript", "consent_name", "consent_face_voice",
    "consent_notes", "fictional", "featured",
)
# Changes to these are logged as "changed" only: consent notes may name people.
PRIVATE_FIELDS = {"consent_notes"}
ACCESS_FIELDS = {"access", "status", "embargo_until", "consent_audio", "consent_transcript", "consent_name",
                 "consent_face_voice", "consent_withdrawn_at"}


def testimony_values(data: dict[str, Any], *, defaults: bool = True) -> dict[str, Any]:
    """Validate the scalar fields present in `data`; raise ValidationError naming each bad field."""
    c = Collector()
    v: dict[str, Any] = {}
    parsers: dict[str, Callable[[Any], Any]] = {
        "title": lambda x: optional_text(x, 300, required=True),
        "external_id": lambda x: optional_text(x, 120) or None,
        "interview_date": partial_date,
        "interviewer": lambda x: optional_text(x, 200),
        "interview_place": lambda x: optional_text(x, 200),
        "languages": language_codes,
        "summary": lambda x: optional_text(x, 50000),
        "access": lambda x: choice(x, ACCESS_LEVELS, "restricted"),
        "status": lambda x: choice(x, STATUSES, "draft"),
        "embargo_until": optional_date,
        "consent_notes": lambda x: optional_text(x, 20000),
    }
    for field in SCALAR_FIELDS:
        if field not in data and not (defaults and field in ("title",)):
            continue
        parser = parsers.get(field, flag)
        value = c.check(field, parser, data.get(field))
        if field not in c.errors:
            v[field] = value
    if c.errors:
        raise ValidationError(c.errors)
    return v


def route_values(legs: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Validate route legs (country, place, year, event) in order."""
    c = Collector()
    out: list[dict[str, Any]] = []
    for i, leg in enumerate(legs or []):
        key = f"route[{i + 1}]"
        if not isinstance(leg, dict):
            c.add(key, _("must be an object with country, place, year and event"))
            continue
        country = find_place(str(leg.get("country") or ""), ("country",))
        if not str(leg.get("country") or "").strip():
            c.add(f"{key}.country", Problem(_("is required"), "required"))
        elif country is None:
            c.add(f"{key}.country", _("unknown country %(value)s", value=repr(str(leg.get("country") or "")[:60])))
        place = c.check(f"{key}.place", optional_text, leg.get("place"), 200)
        year = c.check(f"{key}.year", optional_year, leg.get("year"), 1945, 2100)
        event = c.check(f"{key}.event", choice, leg.get("event"), ROUTE_EVENTS, "transit")
        out.append({"country": country, "place": place or "", "year": year, "event": event})
    if c.errors:
        raise ValidationError(c.errors)
    return out


def topic_values(tags: Iterable[str] | None, keep: Iterable[str] = ()) -> list[Topic]:
    """Resolve tags against the controlled vocabulary (a retired topic only if its slug is in `keep`)."""
    keep = set(keep)
    topics: list[Topic] = []
    unknown: list[str] = []
    retired: list[str] = []
    for tag in tags or []:
        topic = find_topic(str(tag))
        if topic is None:
            unknown.append(str(tag)[:60])
        elif topic.retired and topic.slug not in keep:
            retired.append(topic.slug)
        elif topic not in topics:
            topics.append(topic)
    problems = []
    if unknown:
        problems.append(_("not in the topic vocabulary: %(tags)s", tags=", ".join(map(repr, unknown))))
    if retired:
        problems.append(_("retired from the topic vocabulary: %(tags)s", tags=", ".join(map(repr, retired))))
    if problems:
        raise ValidationError({"tags": problems})
    return topics


def chapter_values(chapters: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Validate chapters (start, title, synopsis, keywords)."""
    c = Collector()
    out = []
    for i, ch in enumerate(chapters or []):
        key = f"chapters[{i + 1}]"
        if not isinstance(ch, dict):
            c.add(key, _("must be an object with start and title"))
            continue
        start = c.check(f"{key}.start", seconds, ch.get("start"), _("start"))
        title = c.check(f"{key}.title", optional_text, ch.get("title"), 300, required=True)
        synopsis = c.check(f"{key}.synopsis", optional_text, ch.get("synopsis"), 5000) or ""
        keywords = ch.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [k for k in keywords.split(",")]
        out.append({"start": start, "title": title, "synopsis": synopsis,
                    "keywords": ", ".join(str(k).strip() for k in keywords if str(k).strip())})
    if c.errors:
        raise ValidationError(c.errors)
    return out


def segment_values(segments: Iterable[Any]) -> list[dict[str, Any]]:
    """Validate transcript segments given as dicts or parsed objects; times must be ordered."""
    c = Collector()
    out = []
    for i, seg in enumerate(segments):
        get = seg.get if isinstance(seg, dict) else lambda name, default=None, s=seg: getattr(s, name, default)
        key = f"transcript[{i + 1}]"
        start = c.check(f"{key}.start", seconds, get("start"), _("start"))
        end = c.check(f"{key}.end", seconds, get("end"), _("end"))
        text = c.check(f"{key}.text", optional_text, get("text"), 20000, required=True)
        speaker = c.check(f"{key}.speaker", optional_text, get("speaker") or "", 120)
        language = c.check(f"{key}.language", optional_text, get("language") or "", 10)
        if start is not None and end is not None and end <= start:
            c.add(f"{key}.end", Problem(_("(%(end)s) must be after start (%(start)s)", end=end, start=start),
                                        "after_start", start=start))
        # Typed or imported text follows the transcript formats' marker rule: [restricted] before the text
        # withholds the passage, an unknown marker there is refused (archive/formats/transcripts.py).
        markers = read_markers(text or "")
        for problem in markers.problems:
            c.add(f"{key}.text", problem)
        if text and not markers.text:
            c.add(f"{key}.text", _("no text after the [restricted] marker"))
        out.append({"start": start, "end": end, "text": markers.text if text else text, "speaker": speaker or "",
                    "language": (language or "").lower(),
                    "restricted": flag(get("restricted", False)) or markers.restricted})
    if c.errors:
        raise ValidationError(c.errors)
    return out


def _apply_scalars(testimony: Testimony, values: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(testimony, field)
        if old != new:
            changes[field] = ["…", "…"] if field in PRIVATE_FIELDS else [old, new]
            setattr(testimony, field, new)
    if values.get("status") == "published" and testimony.published_at is None:
        testimony.published_at = utcnow()
    return changes


def commit_change(testimony: Testimony, action: str, changes: dict[str, Any], actor: Any) -> Testimony:
    """Save through core/saving.py; an access or consent change gets its own testimony.access entry too."""
    access_changes = {k: v for k, v in changes.items() if k in ACCESS_FIELDS}
    return saving.save(testimony, action, changes, actor,
                       also={"testimony.access": access_changes} if access_changes else None)


def create_testimony(data: dict[str, Any], narrator: Any, actor: Any = None) -> Testimony:
    """Create a testimony; new testimonies stay restricted drafts until published."""
    values = testimony_values(data)
    values.setdefault("access", "restricted")
    values.setdefault("status", "draft")
    testimony = Testimony(narrator=narrator)
    changes = _apply_scalars(testimony, values)
    db.session.add(testimony)
    return saving.save(testimony, "testimony.create", changes, actor)


def update_testimony(testimony: Testimony, data: dict[str, Any], expected_version: int | None,
                     actor: Any = None, widen: bool = True) -> Testimony:
    """Save the edited scalar fields, refusing stale forms.

    widen=False (the curators' forms) refuses a status or access change that would show the testimony
    to more people: that goes through the publication checklist (curation/publishing.py).
    """
    check_version(testimony, expected_version)
    values = testimony_values(data, defaults=False)
    if not widen:
        wider = release.widened_audience(testimony, values)
        if wider is not None:
            raise ValidationError({"access": [release.widening_message(wider)]})
    changes = _apply_scalars(testimony, values)
    if "narrator" in data and data["narrator"] is not None and data["narrator"] is not testimony.narrator:
        changes["narrator"] = [testimony.narrator_id, data["narrator"].id]
        testimony.narrator = data["narrator"]
    if not changes:
        return testimony
    return commit_change(testimony, "testimony.update", changes, actor)


def set_route(testimony: Testimony, legs: list[dict[str, Any]], expected_version: int | None,
              actor: Any = None) -> Testimony:
    """Replace the escape route with the given ordered legs."""
    check_version(testimony, expected_version)
    replace_route(testimony, route_values(legs))
    return commit_change(testimony, "testimony.route", {"route": ["…", f"{len(legs)} legs"]}, actor)


def replace_route(testimony: Testimony, legs: list[dict[str, Any]]) -> None:
    """Swap in validated legs (no commit)."""
    testimony.route.clear()
    db.session.flush()
    for position, leg in enumerate(legs, start=1):
        testimony.route.append(RouteLeg(position=position, country=leg["country"], place=leg["place"],
                                        year=leg["year"], event=leg["event"]))


def set_topics(testimony: Testimony, tags: list[str], expected_version: int | None, actor: Any = None) -> Testimony:
    """Replace the testimony's tags with terms from the vocabulary."""
    check_version(testimony, expected_version)
    old = [t.slug for t in testimony.topics]
    topics = topic_values(tags, keep=old)
    testimony.topics = topics
    return commit_change(testimony, "testimony.tags", {"tags": [old, [t.slug for t in topics]]}, actor)


def replace_transcript(testimony: Testimony, segments: Iterable[Any], expected_version: int | None,
                       actor: Any = None, source: str = "") -> Testimony:
    """Replace every transcript segment (an import or a bulk edit)."""
    check_version(testimony, expected_version)
    values = segment_values(segments)
    replace_segments(testimony, values)
    restricted = sum(1 for s in values if s["restricted"])
    return commit_change(testimony, "testimony.transcript",
                   {"transcript": ["…", f"{len(values)} segments ({restricted} restricted)"], "source": source}, actor)


def replace_segments(testimony: Testimony, values: list[dict[str, Any]]) -> None:
    """Swap in validated segments, ordered by start time (no commit)."""
    testimony.segments.clear()
    db.session.flush()
    for position, value in enumerate(sorted(values, key=lambda s: (s["start"], s["end"])), start=1):
        testimony.segments.append(Segment(position=position, **value))


def replace_chapters(testimony: Testimony, values: list[dict[str, Any]]) -> None:
    """Swap in validated chapters (no commit)."""
    testimony.chapters.clear()
    db.session.flush()
    for value in values:
        testimony.chapters.append(Chapter(**value))


def set_chapters(testimony: Testimony, chapters: list[dict[str, Any]], expected_version: int | None,
                 actor: Any = None) -> Testimony:
    """Replace the chapter list."""
    check_version(testimony, expected_version)
    replace_chapters(testimony, chapter_values(chapters))
    return commit_change(testimony, "testimony.chapters", {"chapters": ["…", f"{len(chapters)} chapters"]}, actor)


def update_segment(testimony: Testimony, segment: Segment, data: dict[str, Any], expected_version: int | None,
                   actor: Any = None) -> Testimony:
    """Edit one transcript segment (times, speaker, text, language, restricted flag)."""
    check_version(testimony, expected_version)
    value = segment_values([data])[0]
    changes = {}
    for field, new in value.items():
        if getattr(segment, field) != new:
            changes[f"segment {segment.position}.{field}"] = ["…", "…"] if field == "text" else [getattr(segment, field), new]
            setattr(segment, field, new)
    if not changes:
        return testimony
    return commit_change(testimony, "testimony.segment", changes, actor)


def publish_testimony(testimony: Testimony, expected_version: int | None, actor: Any = None,
                      widen: bool = True) -> Testimony:
    """Publish a testimony (its access level still decides who sees it).

    widen=False (the curators' Publish button) refuses when that would show it outside staff: the
    publication checklist does that (curation/publishing.py); imports and scripts keep this path.
    """
    check_version(testimony, expected_version)
    if not widen:
        wider = release.widened_audience(testimony, {"status": "published"})
        if wider is not None:
            raise ValidationError({"__all__": [release.widening_message(wider)]})
    changes = _apply_scalars(testimony, {"status": "published"})
    return commit_change(testimony, "testimony.publish", changes, actor) if changes else testimony


def unpublish_testimony(testimony: Testimony, expected_version: int | None, actor: Any = None) -> Testimony:
    """Return a testimony to draft: it disappears from every public surface."""
    check_version(testimony, expected_version)
    changes = _apply_scalars(testimony, {"status": "draft"})
    return commit_change(testimony, "testimony.unpublish", changes, actor) if changes else testimony


def withdraw_consent(testimony: Testimony, expected_version: int | None, actor: Any = None,
                     note: str = "") -> Testimony:
    """Record the narrator's withdrawal: the testimony leaves every public surface at once."""
    check_version(testimony, expected_version)
    testimony.consent_withdrawn_at = utcnow()
    return commit_change(testimony, "testimony.consent_withdrawn", {"consent_withdrawn_at": [None, "now"],
                                                             "note": bool(note)}, actor)


def delete_testimony(testimony: Testimony, expected_version: int | None = None, actor: Any = None) -> None:
    """Delete a testimony with its route, transcript and recordings (rows and files); a stale form is refused."""
    check_version(testimony, expected_version)
    files = [rec.storage_path for rec in testimony.recordings]
    audit.record("testimony.delete", testimony, {"title": testimony.title}, actor=actor)
    db.session.delete(testimony)
    db.session.commit()
    remove_files(files)

