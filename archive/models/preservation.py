"""Fixity checks: each recomputation of a stored file's SHA-256, kept as a history per file."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from archive.core.extensions import db
from archive.models.base import utcnow

FIXITY_KINDS = ("original", "public_copy")
FIXITY_RESULTS = ("ok", "mismatch", "missing", "unreadable")


class FixityCheck(db.Model):
    """One check of one file: the original recording or its public copy, what was expected and what was found."""

    __tablename__ = "fixity_checks"
    __table_args__ = (Index("ix_fixity_checks_file", "recording_id", "kind", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # FIXITY_KINDS
    storage_path: Mapped[str] = mapped_column(String(300))  # relative to the media root, as stored
    expected_sha256: Mapped[str] = mapped_column(String(64))
    actual_sha256: Mapped[str | None] = mapped_column(String(64))  # None when the file is missing or unreadable
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[str] = mapped_column(String(12), index=True)  # FIXITY_RESULTS
    # Checks made by one run of `archive fixity` share it.
    run: Mapped[str] = mapped_column(String(32), default="")
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def failed(self) -> bool:
        return self.result != "ok"
