"""Public copies: what a recording's copy must contain, making it safely, and which copy may be served.

(Over 400 lines on purpose: claiming, making, verifying, caching and serving a copy all read the same
row states and spec; one module keeps the state machine in one place.)

The database is the truth. A copy is served only when its row is `ready`, its `spec` equals what the
testimony needs now (the original's bytes, the restricted passages, the masking choice) and its file
exists; anything else (not made yet, being made, failed, made for an older state) means no audio for
the public, never the original. Files are written under a temporary name, verified (duration within
DURATION_TOLERANCE of the original, every restricted range below SILENT_DBFS) and only then renamed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive.core.extensions import db
from archive.media.files import ALLOWED_MEDIA, MediaError, media_root, resolve_media_path
from archive.media.analysis import Analysis, AnalysisError, analyse
from archive.media.redaction import RedactionError, descriptive_tags, make_public_copy, merge_ranges
from archive.models import PublicCopy, Recording, Testimony
from archive.models.base import utcnow
from archive.policy import access

log = logging.getLogger(__name__)

ALGORITHM = 1  # bump when the redaction or masking changes: every copy is remade
PAD_SECONDS = 0.05
DURATION_TOLERANCE = 0.02
SILENT_DBFS = -60.0
DEFAULT_SEMITONES = -4.0
PUBLIC_DIR = "public"
PARTIAL_DIR = ".partial"


class CopyFailed(Exception):
    """A public copy could not be made or did not pass verification."""


class CopyBusy(Exception):
    """Another worker holds this recording's job; try again later."""


@dataclass(frozen=True)
class Plan:
    """What the public copy of a recording must be now."""

    needed: bool
    restricted: tuple[tuple[float, float], ...]  # the restricted passages as stored
    silenced: tuple[tuple[float, float], ...]  # padded and merged: what the copy silences
    semitones: float
    spec: str

    @property
    def masked(self) -> bool:
        return bool(self.semitones)


def voice_shift() -> float:
    """Semitones of the voice mask (ARCHIVE_VOICE_SHIFT_SEMITONES, default -4)."""
    value = current_app.config.get("VOICE_SHIFT_SEMITONES", os.environ.get("ARCHIVE_VOICE_SHIFT_SEMITONES"))
    return float(value) if value not in (None, "") else DEFAULT_SEMITONES


def copy_needed(rec: Recording, t: Testimony) -> bool:
    """Whether some non-staff audience could ever hear this recording (so it needs a public copy).

    Made before publication too, so curators can check the copy before the public hears it.
    """
    if not t.consent_audio or t.consent_withdrawn_at is not None:
        return False
    return not rec.is_video or bool(t.consent_face_voice)


def plan_for(rec: Recording, t: Testimony | None = None) -> Plan:
    """The public copy this recording needs given its testimony's passages and consents."""
    t = t or rec.testimony
    restricted = tuple(sorted((float(s.start), float(s.end)) for s in t.segments
                              if s.restricted and s.end is not None and s.end > s.start))
    silenced = tuple(merge_ranges(list(restricted), PAD_SECONDS))
    semitones = voice_shift() if access.masks_voice(t) and not rec.is_video else 0.0
    needed = copy_needed(rec, t)
    fingerprint = json.dumps({"v": ALGORITHM, "sha": rec.sha256, "mime": rec.mime_type, "silenced":
                              [[round(a, 3), round(b, 3)] for a, b in silenced], "semitones": semitones})
    return Plan(needed, restricted, silenced, semitones, hashlib.sha256(fingerprint.encode()).hexdigest())


def copy_path(copy: PublicCopy) -> Path | None:
    """The copy's file, or None when it is missing or outside the media root."""
    if not copy.storage_path:
        return None
    try:
        path = resolve_media_path(media_root(), copy.storage_path)
    except MediaError:
        return None
    return path if path.is_file() else None


def copy_of(rec: Recording, session: Session | None = None) -> PublicCopy | None:
    """The copy row of a recording, whatever its state."""
    return (session or db.session).scalar(select(PublicCopy).where(PublicCopy.recording_id == rec.id))


def servable_copy(rec: Recording) -> PublicCopy | None:
    """The public copy that may be served for this recording now, or None (then nobody but staff hears it)."""
    copy = copy_of(rec)
    if copy is None or copy.state != "ready":
        return None
    plan = plan_for(rec)
    if not plan.needed or copy.spec != plan.spec or copy_path(copy) is None:
        return None
    return copy


@dataclass(frozen=True)
class Protection:
    """A recording's protection state, for curators."""

    state: str  # "not-public", "pending", "running", "ready", "failed"
    masked: bool
    silenced: int
    error: str = ""
    sha256: str | None = None
    loudest_dbfs: float | None = None
    attempts: int = 0


def protection(rec: Recording) -> Protection:
    """Where the recording's public copy stands (stale copies count as pending)."""
    plan = plan_for(rec)
    if not plan.needed:
        return Protection("not-public", False, 0)
    copy = copy_of(rec)
    if copy is None or copy.spec != plan.spec:
        return Protection("pending", plan.masked, len(plan.restricted))
    state = copy.state
    if state == "ready" and copy_path(copy) is None:
        state = "pending"
    return Protection(state, plan.masked, len(plan.restricted), copy.error, copy.sha256,
                      copy.loudest_silenced_dbfs, copy.attempts)


# ----------------------------------------------------------------------------------- making copies


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_seconds() -> int:
    return int(current_app.config.get("JOBS_LEASE_SECONDS", os.environ.get("ARCHIVE_JOBS_LEASE_SECONDS", 1800)))


def refresh_testimony(testimony_id: int, *, final_attempt: bool = True) -> int:
    """Bring every public copy of a testimony up to date (the job); returns how many were made.

    Idempotent: a copy that already matches is left alone, so running it twice costs one comparison.
    """
    made = 0
    with Session(db.engine, expire_on_commit=False) as session:
        t = session.get(Testimony, testimony_id)
        recordings = list(t.recordings) if t is not None else []
        for rec in recordings:
            if _refresh_recording(session, rec, t, final_attempt):
                made += 1
    remove_orphan_files()
    return made


def _refresh_recording(session: Session, rec: Recording, t: Testimony, final_attempt: bool) -> bool:
    plan = plan_for(rec, t)
    copy = copy_of(rec, session)
    if not plan.needed:
        if copy is not None:
            session.delete(copy)
            session.commit()
        return False
    if copy is not None and copy.state == "ready" and copy.spec == plan.spec and copy_path(copy) is not None:
        return False
    copy = _claim(session, rec, plan)
    try:
        made = _make(rec, plan)
    except Exception as problem:  # recorded for curators, then retried by the queue
        message = str(problem) if isinstance(problem, (CopyFailed, RedactionError, AnalysisError)) \
            else f"{type(problem).__name__}: {problem}"
        session.execute(update(PublicCopy).where(PublicCopy.id == copy.id).values(
            state="failed" if final_attempt else "pending", error=message[:2000], worker="", lease_until=None))
        session.commit()
        raise CopyFailed(message) from problem
    partial, values = made
    session.execute(update(PublicCopy).where(PublicCopy.id == copy.id, PublicCopy.worker == worker_id())
                    .values(**values, state="ready", spec=plan.spec, error="", worker="", lease_until=None,
                            made_at=utcnow()))
    session.commit()
    # Committed first, renamed second: a file at a final name always belongs to a row (see remove_orphan_files),
    # and a crash in between leaves a ready row without its file, which is remade.
    if partial is not None:
        final = resolve_media_path(media_root(), values["storage_path"])
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, final)
    log.info("public copy of recording %s made (%s)", rec.id, "shared" if partial is None else values["storage_path"])
    return True


def _claim(session: Session, rec: Recording, plan: Plan) -> PublicCopy:
    """Take the recording's job for this worker, or raise CopyBusy while another live worker holds it."""
    now = utcnow()
    lease = now + timedelta(seconds=lease_seconds())
    copy = copy_of(rec, session)
    if copy is None:
        copy = PublicCopy(recording_id=rec.id, testimony_id=rec.testimony_id, spec=plan.spec, state="running",
                          mime_type=rec.mime_type, worker=worker_id(), lease_until=lease, attempts=1)
        session.add(copy)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise CopyBusy(f"recording {rec.id} is being copied by another worker") from None
        return copy
    claimed = session.execute(update(PublicCopy).where(
        PublicCopy.id == copy.id,
        or_(PublicCopy.state != "running", PublicCopy.lease_until.is_(None), PublicCopy.lease_until < now))
        .values(state="running", worker=worker_id(), lease_until=lease, attempts=PublicCopy.attempts + 1))
    session.commit()
    if claimed.rowcount != 1:
        raise CopyBusy(f"recording {rec.id} is being copied by another worker")
    session.refresh(copy)
    return copy


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _make(rec: Recording, plan: Plan) -> tuple[Path | None, dict[str, object]]:
    """Write and verify the copy; returns the temporary file (None when the original is shared) and the row values."""
    root = media_root()
    try:
        source = resolve_media_path(root, rec.storage_path)
    except MediaError:
        raise CopyFailed("the original recording is outside the media root") from None
    if not source.is_file():
        raise CopyFailed("the original recording file is missing")
    share = not plan.silenced and not plan.semitones and not descriptive_tags(source)
    if share:
        # Nothing to silence, mask or strip: the public copy is the original file itself (one decoding
        # for its duration and waveform).
        checked = analyse(source, [], rec.duration_seconds)
        values: dict[str, object] = {"storage_path": rec.storage_path, "shared_original": True,
                                     "sha256": rec.sha256, "size_bytes": source.stat().st_size}
        partial = None
    else:
        extension = ALLOWED_MEDIA.get(rec.mime_type) or source.suffix
        partial = root / PUBLIC_DIR / PARTIAL_DIR / f"{os.getpid()}-{uuid.uuid4().hex}{extension}"
        partial.parent.mkdir(parents=True, exist_ok=True)
        cached = _cached(plan.spec, extension)
        try:
            if cached is not None:
                shutil.copyfile(cached[0], partial)
                checked = cached[1]
            else:
                # The copy's maker decodes the whole original: its sample count is the original's duration.
                made = make_public_copy(source, partial, rec.mime_type, list(plan.silenced), plan.semitones)
                checked = verify(partial, plan, made.duration_seconds)
                _keep(plan.spec, extension, partial, checked)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        relative = PurePosixPath(PUBLIC_DIR, f"{datetime.now(UTC):%Y}", uuid.uuid4().hex + extension)
        values = {"storage_path": relative.as_posix(), "shared_original": False, "sha256": _sha256(partial),
                  "size_bytes": partial.stat().st_size}
    values.update(mime_type=rec.mime_type, duration_seconds=checked.duration_seconds, masked=plan.masked,
                  silenced_json=json.dumps([[a, b] for a, b in plan.silenced]),
                  loudest_silenced_dbfs=checked.loudest_range_dbfs if plan.restricted else None,
                  peaks_json=json.dumps(checked.waveform(), separators=(",", ":")))
    return partial, values


def _cache_dir() -> Path | None:
    """JOBS_COPY_CACHE (ARCHIVE_JOBS_COPY_CACHE in the environment): verified copies kept by spec, so the same
    original with the same passages and masking is encoded once (the test suite uploads the same demo files
    thousands of times); off unless set or testing."""
    setting = current_app.config.get("JOBS_COPY_CACHE", os.environ.get("ARCHIVE_JOBS_COPY_CACHE"))
    if setting is None and current_app.testing:
        setting = str(Path(tempfile.gettempdir()) / f"archive-copy-cache-{os.getuid()}")
    if not setting:
        return None
    path = Path(setting)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cached(spec: str, extension: str) -> tuple[Path, Analysis] | None:
    cache = _cache_dir()
    if cache is None or not (cache / f"{spec}{extension}").is_file() or not (cache / f"{spec}.json").is_file():
        return None
    try:
        return cache / f"{spec}{extension}", Analysis(**json.loads((cache / f"{spec}.json").read_text()))
    except (ValueError, TypeError):
        return None


def _keep(spec: str, extension: str, path: Path, checked: Analysis) -> None:
    cache = _cache_dir()
    if cache is None:
        return
    temporary = cache / f".{uuid.uuid4().hex}{extension}"
    shutil.copyfile(path, temporary)
    os.replace(temporary, cache / f"{spec}{extension}")
    (cache / f"{spec}.json").write_text(json.dumps(checked.__dict__))


def verify(path: Path, plan: Plan, original_seconds: float) -> Analysis:
    """Decode the copy: duration within DURATION_TOLERANCE of the original, restricted ranges below SILENT_DBFS."""
    checked = analyse(path, list(plan.restricted), original_seconds)
    drift = abs(checked.duration_seconds - original_seconds)
    if drift > DURATION_TOLERANCE:
        raise CopyFailed(f"the copy lasts {checked.duration_seconds:.3f} s, the original {original_seconds:.3f} s "
                         f"(more than {DURATION_TOLERANCE * 1000:.0f} ms apart)")
    for (start, end), level in zip(plan.restricted, checked.range_dbfs):
        if level > SILENT_DBFS:
            raise CopyFailed(f"the restricted passage {start:.2f}–{end:.2f} s is still audible in the copy "
                             f"({level:.1f} dBFS, above {SILENT_DBFS:.0f})")
    return checked


# ----------------------------------------------------------------------------------- housekeeping


def remove_orphan_files() -> int:
    """Delete public files no row refers to, and temporary files of workers that are gone."""
    base = media_root() / PUBLIC_DIR
    if not base.is_dir():
        return 0
    removed = 0
    partial_dir = base / PARTIAL_DIR
    if partial_dir.is_dir():
        for path in partial_dir.iterdir():
            pid = path.name.split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                path.unlink(missing_ok=True)
                removed += 1
    # Files first, rows second: a file renamed after the listing is not in it, one renamed before is referenced.
    files = [p for p in base.rglob("*") if p.is_file() and PARTIAL_DIR not in p.relative_to(base).parts]
    if not files:
        return removed
    with Session(db.engine) as session:
        referenced = set(session.scalars(select(PublicCopy.storage_path).where(
            PublicCopy.storage_path.like(f"{PUBLIC_DIR}/%"))))
    root = media_root()
    for path in files:
        if path.relative_to(root).as_posix() not in referenced:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_testimony_ids(reset_abandoned: bool = True) -> list[int]:
    """Testimonies whose public copies are missing, outdated, unfinished or held by a worker that died
    (whose claim is released when `reset_abandoned`)."""
    ids: set[int] = set()
    now = utcnow()
    host = socket.gethostname()
    with Session(db.engine) as session:
        copies = {c.recording_id: c for c in session.scalars(select(PublicCopy))}
        for rec in session.scalars(select(Recording)):
            plan = plan_for(rec)
            copy = copies.get(rec.id)
            if not plan.needed:
                if copy is not None:
                    ids.add(rec.testimony_id)
                continue
            if copy is None or copy.spec != plan.spec:
                ids.add(rec.testimony_id)
            elif copy.state == "pending" or (copy.state == "ready" and copy_path(copy) is None):
                ids.add(rec.testimony_id)
            elif copy.state == "running" and _abandoned(copy, now, host):
                ids.add(rec.testimony_id)
                if not reset_abandoned:
                    continue
                session.execute(update(PublicCopy).where(PublicCopy.id == copy.id, PublicCopy.state == "running",
                                                         PublicCopy.worker == copy.worker)
                                .values(state="pending", worker="", lease_until=None,
                                        error="the worker stopped before finishing; the copy is made again"))
        session.commit()
    return sorted(ids)


def _abandoned(copy: PublicCopy, now: datetime, host: str) -> bool:
    if copy.lease_until is None or copy.lease_until < now:
        return True
    name, _, pid = copy.worker.rpartition(":")
    return name == host and pid.isdigit() and not _alive(int(pid))
