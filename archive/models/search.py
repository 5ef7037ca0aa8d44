"""The search outbox: index work recorded in the same transaction as the change."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from archive.core.extensions import db
from archive.models.base import utcnow


class SearchOutbox(db.Model):
    """A testimony whose index entry must be refreshed from the database after commit."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a deleted testimony still needs its index entry removed.
    testimony_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
