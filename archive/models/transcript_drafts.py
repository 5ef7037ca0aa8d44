"""A curator's unsaved work in the transcript editor: one draft per testimony and curator."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from archive.core.extensions import db
from archive.models.base import utcnow


class TranscriptDraft(db.Model):
    """The whole transcript as the curator left it in the editor, not yet applied to the segments.

    `base_version` is the transcript version (a fingerprint of the saved segments) the editor was opened
    at: applying the draft is refused when the saved transcript has changed since.
    """

    __tablename__ = "transcript_drafts"
    __table_args__ = (UniqueConstraint("testimony_id", "user_id", name="uq_transcript_drafts_testimony_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    base_version: Mapped[str] = mapped_column(String(64))
    # JSON: {"passages": [{start, end, speaker, text, language, restricted}], "speakers": [...]}
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
