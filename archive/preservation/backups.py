"""Backups of a running archive and restoring them into an empty data directory and database.

A backup folder holds `backup.json` (what it holds), the database snapshot (archive/preservation/snapshots.py),
`media/` (the recordings and their public copies, as stored under the media root), `settings.json` (the
settings that are not secrets), `secret_key` only when asked (`--include-secrets`), and
`manifest-sha256.txt` (`sha256sum -c` reads it) with the SHA-256 of every other file.

Consistency while curators save: the media folder is copied first, then the database snapshot is taken,
then any file the snapshot refers to that the first pass did not see (uploaded meanwhile) is copied. A file
is stored before the commit that refers to it and deleted only after the commit that stops referring to it,
so every file the snapshot needs exists at snapshot time; if one is deleted again before the second pass can
read it, a new snapshot is taken (which no longer needs it), up to SNAPSHOT_ATTEMPTS times, after which the
backup fails rather than leave a hole.

Incremental media copies: with `--link-dest PREVIOUS`, a file whose path, size and modification time match
PREVIOUS's manifest is hard-linked from there (stored recordings never change in place), not copied again.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import make_url

from archive.core.extensions import db
from archive.models import PublicCopy, Recording
from archive.preservation import snapshots

FORMAT = 1
MANIFEST = "manifest-sha256.txt"
DESCRIPTION = "backup.json"
SETTINGS = "settings.json"
SECRET = "secret_key"
MEDIA = "media"
CHUNK = 1024 * 1024
SNAPSHOT_ATTEMPTS = 3
# Work files under the media root that are not part of the archive (copies being written).
SKIPPED_MEDIA_DIRS = {".partial"}
# Settings worth knowing when rebuilding a server; secrets are never among them.
LISTED_SETTINGS = (
    "MAX_UPLOAD_BYTES", "MAX_BODY_BYTES", "MEDIA_SENDFILE", "PASSWORD_HASH_METHOD", "LOGIN_MAX_FAILURES",
    "LOGIN_LOCKOUT_SECONDS", "LOGIN_ACCOUNT_MAX_FAILURES", "LOGIN_ACCOUNT_WINDOW_SECONDS", "LOGIN_IP_MAX_FAILURES",
    "LOGIN_IP_WINDOW_SECONDS", "REGISTER_IP_MAX_ATTEMPTS", "REGISTER_IP_WINDOW_SECONDS", "TRUSTED_PROXIES",
    "OAI_ADMIN_EMAIL", "OAI_REPOSITORY_ID", "OAI_PAGE_SIZE", "RIGHTS_URI", "DISCLOSURE_THRESHOLD",
    "SESSION_COOKIE_SECURE", "VOICE_SHIFT_SEMITONES",
)
Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore cannot go on; `problems` lists each reason (nothing was changed by a restore)."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else problems
        super().__init__("; ".join(self.problems))


@dataclass
class BackupReport:
    path: Path
    files: int = 0
    bytes: int = 0
    copied: int = 0
    linked: int = 0
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class RestoreReport:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    indexed: int = 0
    secret_restored: bool = False
    settings: dict[str, Any] = field(default_factory=dict)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, str]:
    """Path → SHA-256 from a `sha256sum`-style manifest."""
    entries: dict[str, str] = {}
    path = folder / MANIFEST
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise BackupError(f"{MANIFEST} line {number}: not '<sha256>  <path>'")
        entries[name] = digest
    return entries


# ------------------------------------------------------------------------------------------------ backup


def backup(dest: Path, *, include_secrets: bool = False, link_dest: Path | None = None,
           progress: Progress | None = None) -> BackupReport:
    """Write a consistent backup of the running archive into dest (which must not exist or be empty)."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not an empty folder; give a new folder for each backup")
    root = Path(current_app.config["MEDIA_ROOT"])
    if dest.resolve().is_relative_to(root.resolve()):
        raise BackupError(f"{dest} is inside the media folder {root}; keep backups outside the data directory")
    previous = _previous(link_dest) if link_dest else {}
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o700)  # the backup holds every restricted passage and real name
    report = BackupReport(dest)
    say = progress or (lambda message: None)
    sums: dict[str, str] = {}
    say("copying media")
    for path in _media_files(root):
        _copy_media(root, path.relative_to(root).as_posix(), dest, previous, sums, report)
    missing: list[str] = []
    for _attempt in range(SNAPSHOT_ATTEMPTS):
        say("taking the database snapshot")
        _remove_snapshot(dest)
        described = snapshots.take(dest)
        missing = []
        for relative in _referenced_files(dest, described):
            if f"{MEDIA}/{relative}" not in sums:
                if (root / relative).is_file():
                    _copy_media(root, relative, dest, previous, sums, report)
                if f"{MEDIA}/{relative}" not in sums:
                    missing.append(relative)
        if not missing:
            break
        # A file the snapshot needs was deleted by a later save before it could be copied: that save
        # committed after the snapshot, so a new snapshot no longer needs the file.
    if missing:
        raise BackupError([f"media/{name}: referred to by the database but deleted while the backup ran; "
                           f"run the backup again" for name in missing])
    report.rows = described["rows"]
    (dest / SETTINGS).write_text(json.dumps(listed_settings(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if include_secrets:
        secret = dest / SECRET
        secret.write_text(str(current_app.config["SECRET_KEY"]) + "\n", encoding="utf-8")
        secret.chmod(0o600)
    description = {
        "format": FORMAT, "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": described, "media": {"files": report.files, "bytes": report.bytes,
                                         "copied": report.copied, "linked": report.linked},
        "secrets_included": include_secrets,
    }
    (dest / DESCRIPTION).write_text(json.dumps(description, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    say("writing the manifest")
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        name = path.relative_to(dest).as_posix()
        if name != MANIFEST and name not in sums:
            sums[name] = sha256_of(path)
    (dest / MANIFEST).write_text("".join(f"{sums[name]}  {name}\n" for name in sorted(sums)), encoding="utf-8")
    return report


def _remove_snapshot(dest: Path) -> None:
    (dest / snapshots.SQLITE_FILE).unlink(missing_ok=True)
    shutil.rmtree(dest / snapshots.ROWS_DIR, ignore_errors=True)


def listed_settings() -> dict[str, Any]:
    """The settings that are not secrets (the database URL without its password)."""
    config = current_app.config
    listed = {key: config.get(key) for key in LISTED_SETTINGS if key in config}
    listed["DATABASE_URL"] = make_url(config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    listed["JOBS_URL"] = _without_password(str(config.get("JOBS_URL", os.environ.get("ARCHIVE_JOBS_URL", ""))))
    return listed


def _without_password(url: str) -> str:
    """A URL with any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and not SKIPPED_MEDIA_DIRS & set(p.relative_to(root).parts))


Earlier = dict[str, tuple[str, int, int, Path]]


def _previous(folder: Path) -> Earlier:
    """Media of an earlier backup: path → (sha256, size, mtime_ns, file), for hard links instead of copies."""
    folder = Path(folder)
    try:
        entries = read_manifest(folder)
    except (OSError, BackupError) as error:
        raise BackupError(f"--link-dest {folder}: not a readable backup ({error})") from None
    found: Earlier = {}
    for name, digest in entries.items():
        if name.startswith(f"{MEDIA}/"):
            try:
                stat = (folder / name).stat()
            except OSError:
                continue
            found[name] = (digest, stat.st_size, stat.st_mtime_ns, folder / name)
    return found


def _copy_media(root: Path, relative: str, dest: Path, previous: Earlier,
                sums: dict[str, str], report: BackupReport) -> None:
    """Copy (or hard-link from the previous backup) one media file, keeping its modification time."""
    source = root / relative
    name = f"{MEDIA}/{relative}"
    target = dest / name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        stat = source.stat()
    except FileNotFoundError:
        return  # deleted since the listing: only a problem if the snapshot refers to it (checked after)
    earlier = previous.get(name)
    if earlier and earlier[1] == stat.st_size and earlier[2] == stat.st_mtime_ns:
        try:
            os.link(earlier[3], target)
            sums[name] = earlier[0]
            report.linked += 1
            report.files += 1
            report.bytes += stat.st_size
            return
        except OSError:
            pass  # another file system: copy instead
    try:
        shutil.copy2(source, target)
    except FileNotFoundError:
        return
    sums[name] = sha256_of(target)
    report.copied += 1
    report.files += 1
    report.bytes += stat.st_size


def _referenced_files(dest: Path, described: dict[str, Any]) -> list[str]:
    """Media paths the snapshot's rows refer to (recordings and ready public copies)."""
    if described["form"] == "rows":
        found: list[str] = []
        for table, column, keep in (("recordings", "storage_path", None), ("public_copies", "storage_path", "state")):
            path = dest / snapshots.ROWS_DIR / f"{table}.jsonl"
            if not path.exists():
                continue
            with path.open(encoding="utf-8") as handle:
                columns = json.loads(handle.readline())
                for line in handle:
                    row = dict(zip(columns, json.loads(line), strict=True))
                    if row[column] and (keep is None or row[keep] == "ready"):
                        found.append(row[column])
        return found
    import sqlite3

    conn = sqlite3.connect(dest / snapshots.SQLITE_FILE)
    try:
        rows = conn.execute("SELECT storage_path FROM recordings UNION "
                            "SELECT storage_path FROM public_copies WHERE state = 'ready' AND storage_path IS NOT NULL")
        return [path for (path,) in rows]
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------------ restore


def verify(src: Path) -> list[str]:
    """Every problem with a backup folder: files missing, changed or not in the manifest."""
    src = Path(src)
    if not (src / MANIFEST).is_file() or not (src / DESCRIPTION).is_file():
        return [f"{src} is not a backup: {MANIFEST} or {DESCRIPTION} is missing"]
    try:
        entries = read_manifest(src)
    except BackupError as error:
        return error.problems
    problems = []
    for name, digest in sorted(entries.items()):
        path = src / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_of(path) != digest:
            problems.append(f"{name}: checksum differs from the manifest")
    extra = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()
                   and p.relative_to(src).as_posix() not in entries and p.name != MANIFEST)
    problems += [f"{name}: not listed in the manifest" for name in extra]
    return problems


def target_problems() -> list[str]:
    """Why the app's data directory and database are not empty (restore refuses them without --force)."""
    problems = []
    root = Path(current_app.config["MEDIA_ROOT"])
    if _media_files(root):
        problems.append(f"the media folder {root} holds files")
    if not snapshots.is_empty():
        url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
        problems.append(f"the database {url} holds data")
    return problems


def restore(src: Path, *, force: bool = False, progress: Progress | None = None) -> RestoreReport:
    """Rebuild the app's data directory and database from a verified backup, then the search index."""
    from archive.search import sync as search_sync

    src = Path(src)
    say = progress or (lambda message: None)
    say("verifying checksums")
    problems = verify(src)
    if problems:
        raise BackupError(problems)
    description = json.loads((src / DESCRIPTION).read_text(encoding="utf-8"))
    if description.get("format") != FORMAT:
        raise BackupError(f"{DESCRIPTION}: backup format {description.get('format')!r} is not one this version reads")
    occupied = target_problems()
    if occupied and not force:
        raise BackupError([*occupied, "restore only into an empty data directory and database, or add --force "
                                      "to replace them"])
    report = RestoreReport()
    say("restoring the database")
    try:
        report.rows = snapshots.load(src, description["database"])
    except snapshots.SnapshotError as error:
        raise BackupError(str(error)) from None
    say("restoring media")
    root = Path(current_app.config["MEDIA_ROOT"])
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    if (src / MEDIA).is_dir():
        shutil.copytree(src / MEDIA, root, dirs_exist_ok=True)
        report.files = len(_media_files(root))
    if (src / SECRET).is_file():
        target = Path(current_app.config["ARCHIVE_DATA_DIR"]) / SECRET
        target.write_text((src / SECRET).read_text(encoding="utf-8").strip(), encoding="utf-8")
        target.chmod(0o600)
        report.secret_restored = True
    report.settings = json.loads((src / SETTINGS).read_text(encoding="utf-8")) if (src / SETTINGS).is_file() else {}
    say("rebuilding the search index")
    db.session.remove()
    report.indexed = search_sync.reindex()
    return report


def media_in_database() -> list[str]:
    """Every media path the database refers to (for tests and checks after a restore)."""
    paths = list(db.session.scalars(select(Recording.storage_path)))
    paths += [p for p in db.session.scalars(select(PublicCopy.storage_path).where(PublicCopy.state == "ready")) if p]
    return sorted(set(paths))
