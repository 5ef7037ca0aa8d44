"""Statistics tables edited by administrators (the bundled CSV applies while a table has no row)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.core.extensions import db
from archive.models.base import utcnow
from archive.models.users import User


class StatisticsTable(db.Model):
    """The current CSV text of one official statistics table, as last saved by an admin."""

    __tablename__ = "statistics_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A key of archive/data/statistics/datasets.json, e.g. "arrivals_by_year".
    key: Mapped[str] = mapped_column(String(80), unique=True)
    csv_text: Mapped[str] = mapped_column(Text)
    as_of: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<StatisticsTable {self.key}>"
