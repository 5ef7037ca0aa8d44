"""Recordings stored under the media root."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.core.extensions import db
from archive.models.base import utcnow
from archive.models.testimonies import Testimony


class Recording(db.Model):
    """An audio or video file; the path is relative to the media root and generated, never user-given."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"), index=True)
    storage_path: Mapped[str] = mapped_column(String(300), unique=True)
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    mime_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    testimony: Mapped[Testimony] = relationship(back_populates="recordings")

    @property
    def is_video(self) -> bool:
        """Whether the recording should be played in a <video> element."""
        return self.mime_type.startswith("video/")
