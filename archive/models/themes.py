"""Context themes: curated pages on the stories around the testimonies."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.core.extensions import db
from archive.models.base import utcnow
from archive.models.users import User
from archive.models.vocabulary import Place, Topic

# A theme's testimonies are those tagged with any of its topics.
theme_topics = Table(
    "theme_topics",
    db.metadata,
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)

# Place pages (e.g. the political prison camps) linked from a theme.
theme_places = Table(
    "theme_places",
    db.metadata,
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
)


class Theme(db.Model):
    """A context page written by the archive, in English and Korean, with its cited sources."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title_en: Mapped[str] = mapped_column(String(200))
    title_ko: Mapped[str] = mapped_column(String(200), default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_ko: Mapped[str] = mapped_column(Text, default="")
    # Curator HTML as typed; rendered only through sanitize.clean_html.
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_ko: Mapped[str] = mapped_column(Text, default="")
    # [{"author", "title", "publisher", "year", "url", "accessed"}, ...] in the order shown.
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Keys of archive/data/statistics/datasets.json whose figures the page shows.
    statistics_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    topics: Mapped[list[Topic]] = relationship(secondary=theme_topics, order_by=Topic.slug)
    places: Mapped[list[Place]] = relationship(secondary=theme_places, order_by=Place.name_en)
    updated_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Theme {self.slug}>"
