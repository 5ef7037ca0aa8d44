"""Attaching and removing recordings; the files live under the media root."""
from __future__ import annotations

from typing import Any, BinaryIO

from flask import current_app

from archive.core.extensions import db
from archive.media.files import MediaError, StoredMedia, media_root, remove_files, store_upload
from archive.models import Recording, Testimony
from archive.core.errors import ValidationError
from archive.core.saving import check_version, save


def store_file(stream: BinaryIO, filename: str) -> StoredMedia:
    """Check and store an upload, turning media problems into a form error on the recording field."""
    try:
        return store_upload(stream, filename, media_root(), current_app.config["MAX_UPLOAD_BYTES"])
    except MediaError as problem:
        raise ValidationError({"recording": [str(problem)]}) from None


def attach_stored(testimony: Testimony, stored: StoredMedia) -> list[str]:
    """Make a stored file the testimony's recording (no commit); returns the paths it replaces."""
    old = [rec.storage_path for rec in testimony.recordings]
    testimony.recordings.clear()
    testimony.recordings.append(Recording(
        storage_path=stored.relative_path, original_filename=stored.original_filename,
        mime_type=stored.mime_type, size_bytes=stored.size, duration_seconds=stored.duration_seconds,
        sha256=stored.sha256,
    ))
    return old


def upload_recording(testimony: Testimony, stream: BinaryIO, filename: str, expected_version: int | None,
                     actor: Any = None) -> Testimony:
    """Store an uploaded recording and attach it, replacing any earlier one."""
    check_version(testimony, expected_version)
    stored = store_file(stream, filename)
    try:
        old = attach_stored(testimony, stored)
        save(testimony, "testimony.recording", {
            "recording": ["…", {"mime_type": stored.mime_type, "size": stored.size, "sha256": stored.sha256}]}, actor)
    except Exception:
        db.session.rollback()
        remove_files([stored.relative_path])
        raise
    remove_files(old)
    return testimony


def delete_recording(testimony: Testimony, expected_version: int | None, actor: Any = None) -> Testimony:
    """Remove the recording from a testimony and delete its file."""
    check_version(testimony, expected_version)
    old = [rec.storage_path for rec in testimony.recordings]
    testimony.recordings.clear()
    save(testimony, "testimony.recording_removed", {"recording": ["…", None]}, actor)
    remove_files(old)
    return testimony
