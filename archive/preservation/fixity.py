"""Fixity audits: recompute the SHA-256 of stored recordings and public copies and record each check.

Files are only ever opened for reading. Every check is kept (`fixity_checks`), so the curator page can show
the last check of every file and the history of a failure. `--sample N` checks the N files whose last check
is oldest (never-checked files first), so a daily sample walks the whole collection in turn.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from archive.core.extensions import db
from archive.media.files import MediaError, media_root, resolve_media_path
from archive.models import FixityCheck, PublicCopy, Recording, Testimony
from archive.models.base import utcnow
from archive.preservation.backups import sha256_of

COMMIT_EVERY = 50


@dataclass(frozen=True)
class StoredFile:
    """A file the archive keeps and the SHA-256 it should have."""

    kind: str  # "original" or "public_copy"
    recording_id: int
    testimony_id: int
    external_id: str | None
    title: str
    storage_path: str
    expected_sha256: str


@dataclass
class FixityReport:
    run: str
    checked: int = 0
    failures: list[FixityCheck] | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


def stored_files() -> list[StoredFile]:
    """Every original recording and every ready public copy that is a file of its own."""
    files = [StoredFile("original", rec.id, t.id, t.external_id, t.title, rec.storage_path, rec.sha256)
             for rec, t in db.session.execute(select(Recording, Testimony).join(Testimony)
                                              .order_by(Recording.id))]
    copies = db.session.execute(
        select(PublicCopy, Testimony).join(Testimony, Testimony.id == PublicCopy.testimony_id)
        .where(PublicCopy.state == "ready", PublicCopy.shared_original.is_(False),
               PublicCopy.storage_path.is_not(None), PublicCopy.sha256.is_not(None))
        .order_by(PublicCopy.recording_id))
    files += [StoredFile("public_copy", copy.recording_id, t.id, t.external_id, t.title, copy.storage_path or "",
                         copy.sha256 or "") for copy, t in copies]
    return files


def _last_checked() -> dict[tuple[int, str], datetime]:
    rows = db.session.execute(select(FixityCheck.recording_id, FixityCheck.kind, func.max(FixityCheck.checked_at))
                              .group_by(FixityCheck.recording_id, FixityCheck.kind))
    return {(recording_id, kind): when for recording_id, kind, when in rows}


def run_fixity(sample: int | None = None) -> FixityReport:
    """Check every stored file (or the `sample` checked longest ago), record each result, commit once."""
    files = stored_files()
    if sample is not None:
        last = _last_checked()
        files = sorted(files, key=lambda f: (last.get((f.recording_id, f.kind)) or datetime.min, f.kind,
                                             f.recording_id))[:sample]
    run = uuid.uuid4().hex
    root = media_root()
    checks = []
    for start in range(0, len(files), COMMIT_EVERY):  # a run stopped half-way keeps what it checked
        batch = [check_file(root, stored, run) for stored in files[start:start + COMMIT_EVERY]]
        db.session.add_all(batch)
        db.session.commit()
        checks += batch
    return FixityReport(run, len(checks), [c for c in checks if c.failed])


_FOUND = {"missing": "file missing", "unreadable": "file unreadable"}


def describe(check: FixityCheck) -> str:
    """One line naming the testimony (id and external identifier), the recording and the file, and what is wrong."""
    t = db.session.get(Testimony, check.testimony_id)
    who = f"testimony {check.testimony_id}" + (f" ({t.external_id})" if t is not None and t.external_id else "")
    kind = "public copy" if check.kind == "public_copy" else "original"
    found = _FOUND.get(check.result) or (f"checksum {check.actual_sha256} differs from the recorded "
                                         f"{check.expected_sha256}")
    return f"{who}, recording {check.recording_id}, {kind} media/{check.storage_path}: {found}"


def check_file(root: Path, stored: StoredFile, run: str) -> FixityCheck:
    """Recompute one file's checksum (reading only) and describe the outcome as an unsaved check row."""
    check = FixityCheck(recording_id=stored.recording_id, testimony_id=stored.testimony_id, kind=stored.kind,
                        storage_path=stored.storage_path, expected_sha256=stored.expected_sha256, run=run,
                        checked_at=utcnow())
    try:
        path = resolve_media_path(root, stored.storage_path)
    except MediaError:
        check.result = "unreadable"
        return check
    try:
        check.size_bytes = path.stat().st_size
        check.actual_sha256 = sha256_of(path)
    except FileNotFoundError:
        check.result = "missing"
        return check
    except OSError:
        check.result = "unreadable"
        return check
    check.result = "ok" if check.actual_sha256 == stored.expected_sha256 else "mismatch"
    return check


# ------------------------------------------------------------------------------------------ the curator page


@dataclass(frozen=True)
class FileStatus:
    """A stored file with its testimony and last check (None: never checked)."""

    file: StoredFile
    last: FixityCheck | None


def latest_checks() -> list[FileStatus]:
    """Every stored file with its last check, failures first, then by testimony."""
    latest = (select(func.max(FixityCheck.id).label("id"))
              .group_by(FixityCheck.recording_id, FixityCheck.kind).subquery())
    check = aliased(FixityCheck)
    last = {(c.recording_id, c.kind): c for c in db.session.scalars(select(check).join(latest, latest.c.id == check.id))}
    rows = [FileStatus(f, last.get((f.recording_id, f.kind))) for f in stored_files()]
    return sorted(rows, key=lambda r: (r.last is None or not r.last.failed, r.file.testimony_id, r.file.kind))


def recent_failures(limit: int = 50) -> list[tuple[FixityCheck, Testimony]]:
    """The most recent failed checks with their testimonies."""
    return list(db.session.execute(select(FixityCheck, Testimony).join(Testimony, Testimony.id == FixityCheck.testimony_id)
                                   .where(FixityCheck.result != "ok")
                                   .order_by(FixityCheck.checked_at.desc(), FixityCheck.id.desc()).limit(limit)))
