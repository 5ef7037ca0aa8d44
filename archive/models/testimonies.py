"""Testimonies (interviews) with their route, chapters and transcript segments."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.core.extensions import db
from archive.models.base import utcnow
from archive.models.narrators import Narrator
from archive.models.vocabulary import Place, Topic

ACCESS_LEVELS = ("public", "researchers", "restricted")
STATUSES = ("draft", "published")
ROUTE_EVENTS = ("transit", "worked", "hid", "arrested", "repatriated", "arrived")
LANGUAGES = {"ko": "Korean", "en": "English", "zh": "Chinese", "ru": "Russian", "ja": "Japanese"}

testimony_topics = Table(
    "testimony_topics",
    db.metadata,
    Column("testimony_id", ForeignKey("testimonies.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Testimony(db.Model):
    """One interview. New testimonies are restricted drafts until a curator publishes them."""

    __tablename__ = "testimonies"
    __table_args__ = (
        CheckConstraint(f"access IN {ACCESS_LEVELS!r}", name="access"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    narrator_id: Mapped[int] = mapped_column(ForeignKey("narrators.id"), index=True)
    # "YYYY", "YYYY-MM" or "YYYY-MM-DD": oral historians often know only the year.
    interview_date: Mapped[str | None] = mapped_column(String(10))
    interviewer: Mapped[str] = mapped_column(String(200), default="")
    interview_place: Mapped[str] = mapped_column(String(200), default="")
    languages_csv: Mapped[str] = mapped_column("languages", String(60), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    access: Mapped[str] = mapped_column(String(20), default="restricted")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    embargo_until: Mapped[date | None] = mapped_column(Date)
    consent_audio: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_transcript: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_name: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_face_voice: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column()
    consent_notes: Mapped[str] = mapped_column(Text, default="")
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    # Written by the curator who published although fewer people than the disclosure threshold share
    # the profile shown (archive/policy/disclosure.py); audited with the publication.
    disclosure_justification: Mapped[str] = mapped_column(Text, default="")
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Hash of the last imported JSONL record: re-importing an unchanged line touches nothing.
    import_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()

    narrator: Mapped[Narrator] = relationship(back_populates="testimonies")
    topics: Mapped[list[Topic]] = relationship(secondary=testimony_topics, order_by=Topic.slug)
    route: Mapped[list["RouteLeg"]] = relationship(
        back_populates="testimony", order_by="RouteLeg.position", cascade="all, delete-orphan"
    )
    chapters: Mapped[list["Chapter"]] = relationship(
        back_populates="testimony", order_by="Chapter.start", cascade="all, delete-orphan"
    )
    segments: Mapped[list["Segment"]] = relationship(
        back_populates="testimony", order_by="Segment.position", cascade="all, delete-orphan"
    )
    recordings: Mapped[list["Recording"]] = relationship(  # noqa: F821
        back_populates="testimony", cascade="all, delete-orphan", order_by="Recording.id"
    )
    sensitive_terms: Mapped[list["SensitiveTerm"]] = relationship(
        back_populates="testimony", cascade="all, delete-orphan", order_by="SensitiveTerm.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def languages(self) -> list[str]:
        """Language codes of the interview, e.g. ["ko", "en"]."""
        return [code for code in (self.languages_csv or "").split(",") if code]

    @languages.setter
    def languages(self, codes: list[str]) -> None:
        self.languages_csv = ",".join(dict.fromkeys(c.strip().lower() for c in codes if c.strip()))

    @property
    def recording(self) -> "Recording | None":  # noqa: F821
        """The main recording, if any."""
        return self.recordings[0] if self.recordings else None

    def __repr__(self) -> str:
        return f"<Testimony {self.id} {self.title!r}>"


class RouteLeg(db.Model):
    """One stop of the escape route, in order."""

    __tablename__ = "route_legs"
    __table_args__ = (
        UniqueConstraint("testimony_id", "position", name="uq_route_legs_testimony_position"),
        CheckConstraint(f"event IN {ROUTE_EVENTS!r}", name="event"),
        CheckConstraint("year IS NULL OR (year BETWEEN 1945 AND 2100)", name="year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    country_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    place: Mapped[str] = mapped_column(String(200), default="")
    year: Mapped[int | None] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(20), default="transit")

    testimony: Mapped[Testimony] = relationship(back_populates="route")
    country: Mapped[Place] = relationship()


class Chapter(db.Model):
    """A titled section of the recording (an OHMS-style index point)."""

    __tablename__ = "chapters"
    __table_args__ = (CheckConstraint("start >= 0", name="start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"), index=True)
    start: Mapped[float] = mapped_column(Float)
    title: Mapped[str] = mapped_column(String(300))
    synopsis: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(Text, default="")

    testimony: Mapped[Testimony] = relationship(back_populates="chapters")


class Segment(db.Model):
    """A time-coded transcript passage; restricted ones are never shown to the public."""

    __tablename__ = "segments"
    __table_args__ = (
        CheckConstraint("start >= 0 AND \"end\" > start", name="times"),
        UniqueConstraint("testimony_id", "position", name="uq_segments_testimony_position"),
        Index("ix_segments_testimony_start", "testimony_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    speaker: Mapped[str] = mapped_column(String(120), default="")
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10), default="")
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)

    testimony: Mapped[Testimony] = relationship(back_populates="segments")


class SensitiveTerm(db.Model):
    """A name or detail that must never be public in this testimony (a relative's name, a unit number)."""

    __tablename__ = "sensitive_terms"
    __table_args__ = (UniqueConstraint("testimony_id", "term", name="uq_sensitive_terms_testimony_term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    testimony_id: Mapped[int] = mapped_column(ForeignKey("testimonies.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    testimony: Mapped[Testimony] = relationship(back_populates="sensitive_terms")
