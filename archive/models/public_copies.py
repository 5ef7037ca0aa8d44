"""Public copies of recordings and the outbox of testimonies whose copies must be checked.

A recording's public copy is what every non-staff audience hears: restricted passages silenced and,
without consent to the unaltered voice, the voice masked. `spec` fingerprints what the copy was made
for (original bytes, silenced ranges, masking, algorithm): a copy whose spec differs from what the
testimony needs now is never served.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archive.core.extensions import db
from archive.models.base import utcnow


class PublicCopy(db.Model):
    """The derived public copy of one recording and the state of the job that makes it."""

    __tablename__ = "public_copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), unique=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"), index=True)
    spec: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(12), default="pending")
    # Relative to the media root; the original's own path when nothing had to change (`shared_original`).
    storage_path: Mapped[str | None] = mapped_column(String(300))
    shared_original: Mapped[bool] = mapped_column(Boolean, default=False)
    mime_type: Mapped[str] = mapped_column(String(60), default="")
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    masked: Mapped[bool] = mapped_column(Boolean, default=False)
    silenced_json: Mapped[str] = mapped_column(Text, default="[]")
    loudest_silenced_dbfs: Mapped[float | None] = mapped_column(Float)
    peaks_json: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    # host:pid of the worker holding the job, and until when its claim holds.
    worker: Mapped[str] = mapped_column(String(120), default="")
    lease_until: Mapped[datetime | None] = mapped_column()
    made_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def silenced(self) -> list[tuple[float, float]]:
        """The silenced ranges (seconds, padded)."""
        return [(float(a), float(b)) for a, b in json.loads(self.silenced_json or "[]")]

    @property
    def waveform(self) -> dict[str, Any] | None:
        """Peaks for the player ({"seconds_per_peak", "peaks"}), None before the copy is made."""
        return json.loads(self.peaks_json) if self.peaks_json else None


class PublicCopyOutbox(db.Model):
    """A testimony whose public copies must be checked (and made) after commit."""

    __tablename__ = "public_copy_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a deleted testimony's copies still need their files removed.
    testimony_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
