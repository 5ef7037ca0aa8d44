"""Exchange formats: IIIF Presentation 3 manifests, WebVTT captions and OHMS XML, in and out.

Every export asks the access policy (`archive.policy.access`) what the reader may have:
recordings only when `can_hear`, transcript text and chapters only when `can_read_transcript`,
passages only when `can_see_segment` (restricted ones reach staff alone, marked ``[restricted]``).
Speaker labels are exported as stored, except that a label containing the narrator's real name is
replaced by the name the policy shows (`display_name`) for anyone who may not see real names.

Imports (OHMS index and transcript) are curator actions: they replace the chapters (and, when
asked, the transcript) in one commit, refusing stale forms through the testimony's version.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from sqlalchemy import select

from archive import iiif
from archive.extensions import db
from archive.i18n import language_name
from archive.models import Segment, Testimony
from archive.ohms import IndexPoint, OhmsError, OhmsRecord, build_ohms, parse_ohms
from archive.sanitize import html_to_text
from archive.policy import access
from archive.services.errors import ValidationError
from archive.services.testimonies import (
    chapter_values, check_version, commit_change, replace_chapters, replace_segments, segment_values,
)
from archive.transcripts import RESTRICTED_MARKER, to_webvtt

_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")
OHMS_PROFILE = "https://www.weareavp.com/nunncenter/ohms"
ATTRIBUTION = ("North Korean Defectors' Testimony Archive. Testimonies are published with the narrators' "
               "consent; narrators are named by pseudonym unless they chose otherwise.")
FICTIONAL_NOTICE = "Fictional demonstration testimony: the narrator and events are invented."


class NotFound(LookupError):
    """Nothing to export for this reader: answered exactly like a missing testimony."""


# ---------------------------------------------------------------------------------- shared reading


def _main_language(t: Testimony) -> str:
    return t.languages[0] if t.languages else ""


def speaker_label(user: Any, t: Testimony, speaker: str | None) -> str:
    """The speaker label a reader may see: never the narrator's real name unless they may see it."""
    label = (speaker or "").strip()
    real = (t.narrator.real_name or "").strip() if t.narrator else ""
    if label and real and real.casefold() in label.casefold() and not access.can_see_real_name(user):
        return access.display_name(t.narrator, t)
    return label


def visible_segments(user: Any, t: Testimony) -> list[Segment]:
    """Passages the reader may read (none without transcript access)."""
    if not access.can_read_transcript(user, t):
        return []
    return [s for s in t.segments if access.can_see_segment(user, s)]


def export_segments(user: Any, t: Testimony, language: str | None = None) -> list[dict[str, Any]]:
    """Passages as plain values for the exporters, optionally only those in one language."""
    main = _main_language(t)
    out = []
    for s in visible_segments(user, t):
        lang = s.language or main
        if language and lang != language:
            continue
        out.append({"start": s.start, "end": s.end, "speaker": speaker_label(user, t, s.speaker), "text": s.text,
                    "language": s.language or None, "restricted": s.restricted, "position": s.position})
    return out


def caption_languages(user: Any, t: Testimony) -> list[str]:
    """Languages with at least one passage the reader may read, main language first."""
    main = _main_language(t)
    found = list(dict.fromkeys((s.language or main) for s in visible_segments(user, t)))
    return sorted((code for code in found if code), key=lambda code: (code != main, code))


def webvtt(user: Any, t: Testimony, language: str | None = None) -> str:
    """WebVTT captions with speaker voices; ``language`` keeps only that language's passages (NotFound if none)."""
    if language is not None and not _LANGUAGE_RE.match(language):
        raise NotFound("not a language tag")
    segments = export_segments(user, t, language)
    if language is not None and not segments:
        raise NotFound("no passages in that language")
    header = language or _main_language(t) or None
    return to_webvtt(segments, header, include_restricted=access.is_user_staff(user))


def captions_are_public(user: Any, t: Testimony) -> bool:
    """Whether this reader's captions are the ones anyone gets (so other sites' players may load them)."""
    return access.can_read_transcript(None, t) and not access.is_user_staff(user)


def is_public(t: Testimony) -> bool:
    """Whether an anonymous visitor would be given this testimony's manifest (for CORS and caching)."""
    return access.can_hear(None, t) and any(r.duration_seconds for r in t.recordings)


# ---------------------------------------------------------------------------------- IIIF


def manifest(user: Any, t: Testimony) -> dict[str, Any]:
    """The IIIF Presentation 3 manifest of a testimony the reader may hear; NotFound otherwise."""
    if not access.can_hear(user, t):
        raise NotFound("recording not available")
    recordings = [iiif.Recording(str(r.id), url_for("media.recording", recording_id=r.id, _external=True),
                                 r.mime_type, float(r.duration_seconds), r.is_video)
                  for r in t.recordings if r.duration_seconds and r.duration_seconds > 0]
    if not recordings:
        raise NotFound("no recording with a known duration")
    language = _main_language(t)
    staff = access.is_user_staff(user)
    passages = [iiif.Passage(str(s["position"]), s["start"], s["end"],
                             f"{RESTRICTED_MARKER} {s['text']}" if s["restricted"] else s["text"],
                             s["speaker"], s["language"] or language)
                for s in export_segments(user, t)]
    readable = access.can_read_transcript(user, t)
    chapters = [iiif.Chapter(c.start, c.title, c.synopsis) for c in t.chapters] if readable else []
    captions = [iiif.Link(url_for("listen.transcript_vtt", testimony_id=t.id, lang=code, _external=True), "Text",
                          "text/vtt", f"Captions ({language_name(code)})", code)
                for code in caption_languages(user, t)]
    see_also = []
    if readable and (passages or chapters):
        see_also.append(iiif.Link(url_for("exchange.ohms_xml", testimony_id=t.id, _external=True), "Dataset",
                                  "text/xml", "OHMS XML (index and transcript)", profile=OHMS_PROFILE))
    if passages:
        see_also.append(iiif.Link(url_for("listen.transcript_vtt", testimony_id=t.id, _external=True), "Text",
                                  "text/vtt", "Transcript (WebVTT, all languages)", language))
    notice = ATTRIBUTION + (f" {FICTIONAL_NOTICE}" if t.fictional else "")
    if staff and access.testimony_visibility(t) != access.PUBLIC:
        notice += " Not public: for archive staff only."
    metadata = [
        ("Narrator", [access.display_name(t.narrator, t)], "none"),
        ("Interviewed", [t.interview_date] if t.interview_date else [], "none"),
        ("Interviewer", [t.interviewer] if t.interviewer else [], "none"),
        ("Place of interview", [t.interview_place] if t.interview_place else [], "none"),
        ("Languages", [language_name(code) for code in t.languages], "en"),
        ("Topics", [topic.label_en for topic in t.topics], "en"),
    ]
    data = iiif.Manifest(
        id=url_for("exchange.manifest", testimony_id=t.id, _external=True), title=t.title, language=language,
        recordings=recordings, summary=html_to_text(t.summary), metadata=metadata,
        required_statement=("Attribution", notice), rights=current_app.config.get("RIGHTS_URI", ""),
        homepage=iiif.Link(url_for("public.testimony", testimony_id=t.id, _external=True), "Text", "text/html",
                           "Listening page", language),
        see_also=see_also, passages=passages, chapters=chapters, captions=captions,
    )
    return iiif.build_manifest(data)


# ---------------------------------------------------------------------------------- OHMS export


def ohms_export(user: Any, t: Testimony) -> str:
    """The OHMS XML of a testimony: index points and the passages the reader may read."""
    if not access.can_read_transcript(user, t):
        raise NotFound("transcript not available")
    segments = export_segments(user, t)
    if not segments and not t.chapters:
        raise NotFound("nothing to export")
    staff = access.is_user_staff(user)
    language = _main_language(t)
    hear = access.can_hear(user, t) and t.recording is not None
    rec = t.recording if hear else None
    points = [IndexPoint(c.start, c.title, c.synopsis, [k.strip() for k in (c.keywords or "").split(",") if k.strip()])
              for c in t.chapters]
    parsed = [_Line(s["start"], s["end"], s["speaker"], s["text"], s["restricted"]) for s in segments]
    record = OhmsRecord(
        # External identifiers are internal catalogue numbers: only staff copies carry them.
        title=t.title, record_id=(t.external_id if staff and t.external_id else f"testimony-{t.id}"),
        date=_iso_date(t.interview_date),
        duration=rec.duration_seconds if rec else None, language=language,
        interviewee=access.display_name(t.narrator, t), interviewer=t.interviewer or "",
        media_url=url_for("media.recording", recording_id=rec.id, _external=True) if rec else "",
        clip_format="video" if rec is not None and rec.is_video else "audio",
        rights=ATTRIBUTION + (f" {FICTIONAL_NOTICE}" if t.fictional else ""), description=html_to_text(t.summary),
        points=points, segments=parsed,
        vtt=to_webvtt(segments, language or None, include_restricted=staff) if segments else "",
    )
    return build_ohms(record)


@dataclass
class _Line:
    start: float
    end: float
    speaker: str
    text: str
    restricted: bool


def _iso_date(value: str | None) -> str:
    """A partial interview date ("2019", "2019-05") padded to a full one for OHMS ("2019-01-01")."""
    if not value:
        return ""
    parts = value.split("-") + ["01", "01"]
    return "-".join(parts[:3])


# ---------------------------------------------------------------------------------- OHMS import


@dataclass
class OhmsImport:
    """What an OHMS import changed."""

    chapters: int | None  # None: the chapters were left as they were
    segments: int | None  # None: the transcript was left as it was


def import_ohms(t: Testimony, data: bytes | str, expected_version: int | None, *, with_transcript: bool = False,
                actor: Any = None, source: str = "") -> OhmsImport:
    """Replace the chapters with the file's index points (and the transcript with its WebVTT transcript).

    Raises OhmsError for an unreadable file, ValidationError for values the archive refuses and
    ConflictError for a stale form; nothing is written unless everything is valid.
    """
    record = parse_ohms(data, with_transcript=with_transcript)
    check_version(t, expected_version)
    if with_transcript and not record.segments:
        raise ValidationError({"file": ["the file has no transcript to import (neither <vtt_transcript> nor "
                                        "<transcript>)"]})
    if not record.points and not with_transcript:
        raise ValidationError({"file": ["the file has no index points (<index><point>) to import"]})
    # A file without index points leaves the chapters alone (it was imported for its transcript).
    chapters = chapter_values([p.chapter() for p in record.points]) if record.points else None
    segments = segment_values(record.segments) if with_transcript else None
    changes: dict[str, Any] = {"source": source or "OHMS XML"}
    if chapters is not None:
        replace_chapters(t, chapters)
        changes["chapters"] = ["…", f"{len(chapters)} chapters"]
    if segments is not None:
        replace_segments(t, segments)
        changes["transcript"] = ["…", f"{len(segments)} segments ({sum(s['restricted'] for s in segments)} "
                                      "restricted)"]
    # Logged as the curator sections' own actions, with the file named as the source.
    commit_change(t, "testimony.transcript" if segments is not None else "testimony.chapters", changes, actor)
    return OhmsImport(None if chapters is None else len(chapters), None if segments is None else len(segments))


def testimony_by_external_id(external_id: str) -> Testimony | None:
    """The testimony with this external identifier (for the command line)."""
    return db.session.scalar(select(Testimony).where(Testimony.external_id == external_id))


__all__ = ["NotFound", "OhmsError", "OhmsImport", "caption_languages", "export_segments", "import_ohms",
           "is_public", "manifest", "ohms_export", "speaker_label", "testimony_by_external_id", "webvtt"]
