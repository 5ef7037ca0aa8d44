"""Login throttling per client and researchers' access requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.core.extensions import db
from archive.models.base import utcnow
from archive.models.users import User


class ClientThrottle(db.Model):
    """Failed attempts of one client (a keyed hash of its address) in the current window.

    Kept in the database so every gunicorn worker counts the same attempts; the address itself is
    never stored.
    """

    __tablename__ = "client_throttle"

    # "<scope>:<hmac of the address>", e.g. "login:3f2a…"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(index=True)


class AccessRequest(db.Model):
    """What a researcher told us when registering: who they are and why they need access."""

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    affiliation: Mapped[str] = mapped_column(String(300), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()
