"""Batch import of testimonies from JSON Lines, validated whole before anything is written.

Each line is one testimony keyed by `external_id`: importing it again updates that testimony
instead of duplicating it, and a line whose content (and media and VTT files) did not change is
skipped. An updated testimony ends exactly as a fresh import of its line would: fields left out
of the line fall back to their defaults. Each testimony is committed on its own, so an import
killed half-way and run again ends with the same archive as one clean run.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from archive.config import PROJECT_ROOT
from archive.core.extensions import db
from archive.media.files import MediaError, probe_media, resolve_media_path, store_upload
from archive.models import Narrator, Testimony
from archive.models.base import utcnow
from archive.core import audit, dispatch
from archive.core.errors import ValidationError
from archive.curation.narrators import apply_narrator, narrator_values
from archive.curation.recordings import attach_stored
from archive.media.files import media_root, remove_files
from archive.curation.testimonies import (
    chapter_values, replace_chapters, replace_route, replace_segments, route_values, segment_values,
    testimony_values, topic_values,
)
from archive.core.vocabulary import DATA_DIR, find_topic, fold
from archive.vocabulary.terms import add_imported_topics
from archive.formats.transcripts import TranscriptError, parse_transcript

DEMO_FILE = PROJECT_ROOT / "archive" / "demo" / "collection.jsonl"
# What a testimony field becomes when its line leaves it out (on create and on update alike).
SCALAR_DEFAULTS: dict[str, Any] = {
    "interview_date": None, "interviewer": "", "interview_place": "", "summary": "", "access": "restricted",
    "status": "draft", "embargo_until": None, "fictional": False, "featured": False,
}
# Service field names that differ from the names used in import lines.
_LINE_FIELDS = {"languages": "language", "consent_notes": "consent.notes"}
Progress = Callable[[int, int], None]


@dataclass
class Problem:
    """One thing wrong with one line of an import file."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        if self.field:
            return _("line %(line)s: %(field)s: %(problem)s", line=self.line, field=self.field, problem=self.message)
        return _("line %(line)s: %(problem)s", line=self.line, problem=self.message)


class ImportProblems(ValidationError):
    """The file is invalid; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__({"file": [str(p) for p in problems]})


@dataclass
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    external_ids: list[str] = field(default_factory=list)
    new_topics: list[str] = field(default_factory=list)


@dataclass
class _Record:
    line: int
    data: dict[str, Any]
    values: dict[str, Any]
    fingerprint: str
    media_path: Path | None
    media_sha256: str | None


@lru_cache(maxsize=1)
def schema_validator() -> Draft202012Validator:
    """The JSON Schema every line must satisfy (archive/data/import-schema.json)."""
    schema = json.loads((DATA_DIR / "import-schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_file(path: Path, root: Path) -> list[_Record]:
    """Check every line; raise ImportProblems listing each problem with its line and field."""
    problems: list[Problem] = []
    records: list[_Record] = []
    seen: dict[str, int] = {}
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportProblems([Problem(line, "", _("the file is not valid UTF-8"))]) from None
    # Only "\n" ends a JSON Lines record: str.splitlines() would also split inside strings holding
    # U+2028, U+0085 or \x1c-\x1e, which JSON allows unescaped.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(number, "", _("invalid JSON at column %(column)s: %(problem)s", column=error.colno,
                                                  problem=error.msg)))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(number, "", _("each line must be a JSON object")))
            continue
        schema_errors = sorted(schema_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
        for error in schema_errors:
            problems.extend(Problem(number, field, message) for field, message in _schema_problems(error))
        if schema_errors:
            continue
        external_id = data["external_id"]
        if external_id in seen:
            problems.append(Problem(number, "external_id", _("%(value)s already appears on line %(line)s",
                                                              value=repr(external_id), line=seen[external_id])))
        seen.setdefault(external_id, number)
        record = _check_record(number, data, root, problems)
        if record is not None:
            records.append(record)
    if not records and not problems:
        problems.append(Problem(1, "", _("the file holds no records")))
    if problems:
        raise ImportProblems(problems)
    return records


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_problems(error: Any) -> list[tuple[str, str]]:
    """Name the field a schema error is about: the missing or unknown property, not its parent."""
    where = _path(error.absolute_path)

    def inside(name: str) -> str:
        return f"{where}.{name}" if where else name

    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [(inside(name), _("is required")) for name in missing]
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {})
        return [(inside(name), _("unknown field")) for name in error.instance if name not in known]
    if error.validator == "not" and not error.absolute_path:
        return [("transcript_vtt", _("give either transcript or transcript_vtt, not both"))]
    message = error.message if len(error.message) < 200 else error.message[:200] + "…"
    return [(where or "(record)", message)]


def _check_record(number: int, data: dict[str, Any], root: Path, problems: list[Problem]) -> _Record | None:
    """Apply the archive's own rules (vocabularies, dates, times) to one schema-valid record."""
    values: dict[str, Any] = {}
    before = len(problems)
    consent = data.get("consent") or {}
    scalars = {k: data[k] for k in ("title", "external_id", "interview_date", "interviewer", "interview_place",
                                    "summary", "access", "status", "embargo_until", "fictional", "featured")
               if k in data}
    scalars["languages"] = data.get("language") or []
    for key, default in SCALAR_DEFAULTS.items():
        if scalars.get(key) is None:
            scalars[key] = default
    for key in ("audio", "transcript", "name", "face_voice"):
        scalars[f"consent_{key}"] = consent.get(key, False)
    scalars["consent_notes"] = consent.get("notes") or ""
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("testimony", lambda: testimony_values(scalars)),
        ("narrator", lambda: narrator_values(data.get("narrator") or {"pseudonym": ""}, prefix="narrator.")),
        ("route", lambda: route_values(data.get("route"))),
        ("topics", lambda: topic_values(data.get("tags"))),
        ("chapters", lambda: chapter_values(data.get("chapters"))),
    ]
    for key, step in steps:
        try:
            values[key] = step()
        except ValidationError as error:
            problems.extend(Problem(number, _LINE_FIELDS.get(f, f), m) for f, ms in error.errors.items() for m in ms)
    if "narrator" in values:
        # Curator notes cannot be given in a line; a re-import must not wipe the ones typed in.
        values["narrator"].pop("curator_notes", None)
    segments: list[Any] = data.get("transcript") or []
    vtt_sha = None
    if data.get("transcript_vtt"):
        try:
            vtt = resolve_media_path(root, data["transcript_vtt"])
            vtt_bytes = vtt.read_bytes()
            vtt_sha = hashlib.sha256(vtt_bytes).hexdigest()
            segments = parse_transcript(vtt_bytes, filename=vtt.name)
        except MediaError as error:
            problems.append(Problem(number, "transcript_vtt", str(error)))
        except OSError:
            problems.append(Problem(number, "transcript_vtt", _("cannot read %(path)s under %(root)s",
                                                                 path=repr(data["transcript_vtt"]), root=root)))
        except TranscriptError as error:
            problems.extend(Problem(number, "transcript_vtt", f"{data['transcript_vtt']} {where}")
                            for where in _transcript_problems(error))
    try:
        values["segments"] = segment_values(segments)
    except ValidationError as error:
        problems.extend(Problem(number, f, m) for f, ms in error.errors.items() for m in ms)
    media_path = media_sha = None
    if data.get("media"):
        try:
            media_path = resolve_media_path(root, data["media"])
            if not media_path.is_file():
                raise MediaError(_("no file %(path)s under %(root)s", path=repr(data["media"]), root=root))
            # Checked now, not when storing: a rejected file half-way would leave a half-done import.
            media_sha = probe_media(media_path).sha256
        except MediaError as error:
            problems.append(Problem(number, "media", str(error)))
    if len(problems) > before:
        return None
    # The files count too: a replaced recording or edited VTT file under an unchanged line is a change.
    fingerprint = hashlib.sha256(json.dumps([data, media_sha, vtt_sha], sort_keys=True).encode()).hexdigest()
    return _Record(number, data, values, fingerprint, media_path, media_sha)


def _transcript_problems(error: TranscriptError) -> list[str]:
    return [_("line %(line)s: %(problem)s", line=line, problem=msg) if line else msg for line, msg in error.problems]


def unknown_topics(path: Path) -> dict[str, int]:
    """The tags of an import file that no topic (slug, label or old slug) answers to, with their first line."""
    found: dict[str, int] = {}
    folded: set[str] = set()
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return found  # validate_file reports it
    for number, line in enumerate(text.split("\n"), start=1):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        tags = data.get("tags") if isinstance(data, dict) else None
        for tag in tags if isinstance(tags, list) else []:
            if isinstance(tag, str) and tag.strip() and fold(tag) not in folded and find_topic(tag) is None:
                folded.add(fold(tag))
                found[tag.strip()] = number
    return found


def import_jsonl(path: Path, root: Path, progress: Progress | None = None, actor: Any = None,
                 new_topics: bool = False) -> ImportReport:
    """Validate the whole file, then create or update one testimony per line.

    With `new_topics`, tags no topic answers to become topics first (English label as given, Korean
    label left for a curator), committed only once the whole file is valid with them.
    """
    added = []
    if new_topics:
        added = add_imported_topics(list(unknown_topics(path)), source=Path(path).name, actor=actor)
    try:
        records = validate_file(Path(path), Path(root))
    except ImportProblems:
        db.session.rollback()
        raise
    db.session.commit()
    report = ImportReport(new_topics=[topic.slug for topic in added])
    with dispatch.deferred():
        for done, record in enumerate(records, start=1):
            outcome = _import_record(record, actor)
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.external_ids.append(record.data["external_id"])
            if progress:
                progress(done, len(records))
    return report


def _import_record(record: _Record, actor: Any) -> str:
    """Write one record in its own transaction; returns created, updated or unchanged."""
    values = record.values
    testimony = db.session.scalar(select(Testimony).where(Testimony.external_id == record.data["external_id"]))
    if testimony is not None and testimony.import_fingerprint == record.fingerprint:
        return "unchanged"
    outcome = "updated" if testimony is not None else "created"
    stored_path = None
    old_files: list[str] = []
    # Everything up to the commit is in one try: whatever fails, the session is rolled back and a
    # file stored for this record is removed, so nothing of a half-written record survives.
    try:
        if testimony is None:
            testimony = Testimony(narrator=Narrator())
        apply_narrator(testimony.narrator, values["narrator"])
        for name, value in values["testimony"].items():
            setattr(testimony, name, value)
        # Added only now: an autoflush of a half-filled new row would break NOT NULL constraints.
        db.session.add(testimony)
        if testimony.status == "published" and testimony.published_at is None:
            testimony.published_at = utcnow()
        testimony.import_fingerprint = record.fingerprint
        testimony.topics = values["topics"]
        db.session.flush()
        replace_route(testimony, values["route"])
        replace_chapters(testimony, values["chapters"])
        replace_segments(testimony, values["segments"])
        current = testimony.recording
        if record.media_path is None:
            old_files = [rec.storage_path for rec in testimony.recordings]
            testimony.recordings.clear()
        elif current is None or current.sha256 != record.media_sha256:
            with record.media_path.open("rb") as handle:
                stored = store_upload(handle, record.media_path.name, media_root(), 1 << 40, subdir="recordings")
            stored_path = stored.relative_path
            old_files = attach_stored(testimony, stored)
        # Not core/saving.save: an import has no form version to check, and its audit entry names the source
        # line rather than field changes; the version still goes up with the flush, as in every save.
        db.session.flush()
        audit.record(f"import.{outcome}", testimony, {"external_id": record.data["external_id"], "line": record.line},
                     actor=actor, version=testimony.version)
        db.session.commit()
    except Exception:
        db.session.rollback()
        if stored_path:
            remove_files([stored_path])
        raise
    remove_files(old_files)
    return outcome


def load_demo(progress: Progress | None = None) -> ImportReport:
    """Import the bundled demonstration collection."""
    return import_jsonl(DEMO_FILE, Path(current_app.config["DEMO_MEDIA_ROOT"]), progress=progress)


def archive_has_testimonies() -> bool:
    """Whether any testimony exists."""
    return db.session.scalar(select(Testimony.id).limit(1)) is not None


def count_testimonies() -> int:
    """How many testimonies the archive holds."""
    return db.session.scalar(select(func.count(Testimony.id))) or 0
