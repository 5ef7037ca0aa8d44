"""Researchers' requests for access to one testimony, and the limited grants curators give in answer."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.core.extensions import db
from archive.models.base import utcnow
from archive.models.testimonies import Testimony
from archive.models.users import User

REQUEST_STATES = ("pending", "granted", "refused")


class TestimonyAccessRequest(db.Model):
    """A researcher asks to see one testimony, named by the reference they know, for a stated purpose.

    `testimony_id` is what the reference named when the request was made (None: nothing, or the
    testimony was deleted since); the researcher is never told which.
    """

    __tablename__ = "testimony_access_requests"
    __table_args__ = (CheckConstraint(f"state IN {REQUEST_STATES!r}", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(200))
    testimony_id: Mapped[int | None] = mapped_column(ForeignKey("testimonies.id", ondelete="SET NULL"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Shown to the researcher.
    refusal_reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    testimony: Mapped[Testimony | None] = relationship()


class AccessGrant(db.Model):
    """One researcher may open one testimony as an approved researcher would, until `expires_at`.

    Judged at read time against the clock (archive/policy/access.py): an expired or revoked grant opens
    nothing, and is kept for the record.
    """

    __tablename__ = "access_grants"
    __table_args__ = (Index("ix_access_grants_user_testimony", "user_id", "testimony_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("testimony_access_requests.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    testimony: Mapped[Testimony] = relationship()
    request: Mapped[TestimonyAccessRequest | None] = relationship()

    def state(self, now: datetime | None = None) -> str:
        """active, expired or revoked, judged against `now` (default: the current UTC time)."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > (now or utcnow()) else "expired"
