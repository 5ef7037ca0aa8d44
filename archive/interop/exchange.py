"""Exchange formats: IIIF Presentation 3 manifests, WebVTT captions and OHMS XML, in and out.

Every export reads the testimony through its protected view (`archive.policy.protected`), the one
place that decides what an audience may have: recordings only when it may hear them, transcript text
and chapters only when it may read them, restricted passages for staff alone (marked ``[restricted]``),
speaker labels with the narrator's real name replaced by the shown name, and the narrator's profile
generalised unless the narrator consented to exact values. Nothing here reads `Segment.speaker`,
`Narrator.real_name` or the narrator's years itself.

The export functions take the reader and either the testimony or a view already built for that
reader (`_view`), so callers that hold a view do not build it twice.

Imports (OHMS index and transcript) are curator actions: they replace the chapters (and, when
asked, the transcript) in one commit, refusing stale forms through the testimony's version.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from sqlalchemy import select

from archive.formats import iiif
from archive.core.extensions import db
from archive.core.i18n import in_every_locale, lang_of, language_name, texts_by_language
from archive.media import copies
from archive.models import Testimony
from archive.formats.ohms import IndexPoint, OhmsError, OhmsRecord, build_ohms, parse_ohms
from archive.policy import access, protected
from archive.policy.protected import SegmentView, TestimonyView
from archive.formats.sanitize import html_to_text
from archive.interop import profiles
from archive.core.errors import ValidationError
from archive.core.saving import check_version
from archive.curation.testimonies import (
    chapter_values, commit_change, replace_chapters, replace_segments, segment_values,
)
from archive.formats.transcripts import RESTRICTED_MARKER, to_webvtt

_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")
OHMS_PROFILE = "https://www.weareavp.com/nunncenter/ohms"
ATTRIBUTION = ("North Korean Defectors' Testimony Archive. Testimonies are published with the narrators' "
               "consent; narrators are named by pseudonym unless they chose otherwise.")
THUMBNAIL_SIZE = (320, 80)  # the waveform picture (archive/media/views.py draws it at this size)
FICTIONAL_NOTICE = "Fictional demonstration testimony: the narrator and events are invented."


class NotFound(LookupError):
    """Nothing to export for this reader: answered exactly like a missing testimony."""


# ---------------------------------------------------------------------------------- shared reading


def _view(user: Any, t: Testimony | TestimonyView) -> TestimonyView:
    """The reader's view of the testimony (NotFound when they may not know it exists)."""
    view = t if isinstance(t, TestimonyView) else protected.testimony_view(user, t)
    if view is None:
        raise NotFound("not visible")
    return view


def export_segments(user: Any, t: Testimony | TestimonyView, language: str | None = None) -> list[SegmentView]:
    """The passages the reader may read, as the view gives them, optionally only those in one language."""
    view = _view(user, t)
    main = view.main_language
    return [s for s in view.readable_segments if not language or (s.language or main) == language]


def caption_languages(user: Any, t: Testimony | TestimonyView) -> list[str]:
    """Languages with at least one passage the reader may read, main language first."""
    view = _view(user, t)
    main = view.main_language
    found = list(dict.fromkeys((s.language or main) for s in view.readable_segments))
    return sorted((code for code in found if code), key=lambda code: (code != main, code))


def webvtt(user: Any, t: Testimony | TestimonyView, language: str | None = None) -> str:
    """WebVTT captions with speaker voices; ``language`` keeps only that language's passages (NotFound if none)."""
    if language is not None and not _LANGUAGE_RE.match(language):
        raise NotFound("not a language tag")
    view = _view(user, t)
    segments = export_segments(user, view, language)
    if language is not None and not segments:
        raise NotFound("no passages in that language")
    header = language or view.main_language or None
    return to_webvtt(segments, header, include_restricted=view.staff)


def captions_are_public(user: Any, t: Testimony | TestimonyView) -> bool:
    """Whether this reader's captions are the ones anyone gets (so other sites' players may load them)."""
    public = protected.audience_view(access.PUBLIC, _model(t))
    return public is not None and public.can_read_transcript and not access.is_user_staff(user)


def is_public(t: Testimony | TestimonyView) -> bool:
    """Whether an anonymous visitor would be given this testimony's manifest (for CORS and caching)."""
    public = protected.audience_view(access.PUBLIC, _model(t))
    return public is not None and any(r.duration_seconds for r in public.recordings)


def _model(t: Testimony | TestimonyView) -> Testimony:
    return t.model if isinstance(t, TestimonyView) else t


# ---------------------------------------------------------------------------------- IIIF


def manifest(user: Any, t: Testimony | TestimonyView) -> dict[str, Any]:
    """The IIIF Presentation 3 manifest of a testimony the reader may hear; NotFound otherwise."""
    view = _view(user, t)
    if not view.can_hear:
        raise NotFound("recording not available")
    recordings = [iiif.Recording(str(r.id), url_for("media.recording", recording_id=r.id, _external=True),
                                 r.mime_type, float(r.duration_seconds), r.is_video)
                  for r in view.recordings if r.duration_seconds and r.duration_seconds > 0]
    if not recordings:
        raise NotFound("no recording with a known duration")
    language = view.main_language
    passages = [iiif.Passage(str(s.position), s.start, s.end,
                             f"{RESTRICTED_MARKER} {s.text}" if s.restricted else s.text or "",
                             s.speaker, s.language or language)
                for s in export_segments(user, view)]
    chapters = [iiif.Chapter(c.start, c.title, c.synopsis, texts_by_language(c.title),
                             lang_of(c.synopsis)) for c in view.chapters]
    captions = [iiif.Link(url_for("listen.transcript_vtt", testimony_id=view.id, lang=code, _external=True), "Text",
                          "text/vtt", f"Captions ({language_name(code)})", code)
                for code in caption_languages(user, view)]
    see_also = []
    if view.can_read_transcript and (passages or chapters):
        see_also.append(iiif.Link(url_for("exchange.ohms_xml", testimony_id=view.id, _external=True), "Dataset",
                                  "text/xml", "OHMS XML (index and transcript)", profile=OHMS_PROFILE))
    renderings = []
    if passages:
        see_also.append(iiif.Link(url_for("listen.transcript_vtt", testimony_id=view.id, _external=True), "Text",
                                  "text/vtt", "Transcript (WebVTT, all languages)", language))
        renderings = [
            iiif.Link(url_for("listen.transcript_txt", testimony_id=view.id, _external=True), "Text", "text/plain",
                      "Transcript (plain text)", language),
            iiif.Link(url_for("listen.transcript_vtt", testimony_id=view.id, _external=True), "Text", "text/vtt",
                      "Transcript (WebVTT)", language)]
    notice = ATTRIBUTION + (f" {FICTIONAL_NOTICE}" if view.fictional else "")
    if view.staff and view.visibility != access.PUBLIC:
        notice += " Not public: for archive staff only."
    metadata = [
        ("Narrator", [view.narrator.display_name], "none"),
        # Place names are given in English; years and decades belong to no language.
        *((label, [value], "en" if label == "From" else "none") for label, value in profiles.facts(view.narrator)),
        ("Interviewed", [view.interview_date] if view.interview_date else [], "none"),
        ("Interviewer", [view.interviewer] if view.interviewer else [], "none"),
        ("Place of interview", [view.interview_place] if view.interview_place else [], "none"),
        ("Languages", [language_name(code) for code in view.languages], "en"),
        ("Topics", [topic.label_en for topic in view.topics], "en"),
    ]
    data = iiif.Manifest(
        id=url_for("exchange.manifest", testimony_id=view.id, _external=True), title=view.title, language=language,
        recordings=recordings, summary=html_to_text(view.summary), metadata=metadata,
        required_statement=("Attribution", notice), rights=current_app.config.get("RIGHTS_URI", ""),
        homepage=iiif.Link(url_for("public.testimony", testimony_id=view.id, _external=True), "Text", "text/html",
                           "Listening page", language),
        see_also=see_also, passages=passages, chapters=chapters, captions=captions,
        title_label=texts_by_language(view.title), contents_label=in_every_locale("Chapters"), renderings=renderings,
        thumbnail=_thumbnail(view.recordings[0]) if recordings and recordings[0].key == str(view.recordings[0].id)
        else None,
    )
    return iiif.build_manifest(data)


def _thumbnail(recording: Any) -> iiif.Thumbnail | None:
    """The waveform picture of a recording whose public copy is drawn (none while it is being made)."""
    copy = copies.servable_copy(recording)
    if copy is None or not copy.waveform or not copy.waveform.get("peaks"):
        return None
    return iiif.Thumbnail(url_for("media.waveform_picture", recording_id=recording.id, _external=True), "image/png",
                          *THUMBNAIL_SIZE)


# ---------------------------------------------------------------------------------- OHMS export


def ohms_export(user: Any, t: Testimony | TestimonyView) -> str:
    """The OHMS XML of a testimony: index points and the passages the reader may read."""
    view = _view(user, t)
    if not view.can_read_transcript:
        raise NotFound("transcript not available")
    segments = export_segments(user, view)
    if not segments and not view.chapters:
        raise NotFound("nothing to export")
    language = view.main_language
    rec = view.recording
    points = [IndexPoint(c.start, c.title, c.synopsis, [k.strip() for k in c.keywords.split(",") if k.strip()])
              for c in view.chapters]
    parsed = [_Line(s.start, s.end, s.speaker, s.text or "", s.restricted) for s in segments]
    record = OhmsRecord(
        # External identifiers are internal catalogue numbers: only staff copies carry them.
        title=view.title, record_id=(view.external_id if view.staff and view.external_id else f"testimony-{view.id}"),
        date=_iso_date(view.interview_date),
        duration=rec.duration_seconds if rec else None, language=language,
        interviewee=view.narrator.display_name, interviewer=view.interviewer,
        media_url=url_for("media.recording", recording_id=rec.id, _external=True) if rec else "",
        clip_format="video" if rec is not None and rec.is_video else "audio",
        rights=ATTRIBUTION + (f" {FICTIONAL_NOTICE}" if view.fictional else ""),
        description=" ".join(part for part in (html_to_text(view.summary), profiles.sentence(view.narrator)) if part),
        points=points, segments=parsed,
        vtt=to_webvtt(segments, language or None, include_restricted=view.staff) if segments else "",
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


__all__ = ["NotFound", "OhmsError", "OhmsImport", "caption_languages", "captions_are_public", "export_segments",
           "import_ohms", "is_public", "manifest", "ohms_export", "testimony_by_external_id", "webvtt"]


@dataclass(frozen=True)
class Downloads:
    """The exchange downloads the listening page offers a reader (templates/public/_downloads.html)."""

    captions: list[tuple[str, str]]  # (language code, its name) when more than one language has captions
    ohms: bool
    manifest: bool


def offered_downloads(user: Any, view: TestimonyView) -> Downloads:
    """What the reader may download of this testimony besides the WebVTT and text transcripts."""
    languages = caption_languages(user, view)
    return Downloads(
        captions=[(code, language_name(code)) for code in languages] if len(languages) > 1 else [],
        ohms=view.can_read_transcript and bool(view.chapters or languages),
        manifest=any(r.duration_seconds for r in view.recordings),
    )
