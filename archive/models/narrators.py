"""Narrators: the people who give testimony."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.core.extensions import db
from archive.models.base import utcnow
from archive.models.vocabulary import Category, Place

GENDERS = ("female", "male", "unspecified")


class Narrator(db.Model):
    """A narrator; only the pseudonym (or a consented public name) is ever shown publicly."""

    __tablename__ = "narrators"
    __table_args__ = (
        CheckConstraint(f"gender IN {GENDERS!r}", name="gender"),
        CheckConstraint("birth_year IS NULL OR (birth_year BETWEEN 1900 AND 2100)", name="birth_year"),
        CheckConstraint("left_north_year IS NULL OR (left_north_year BETWEEN 1945 AND 2100)", name="left_north_year"),
        CheckConstraint("arrived_south_year IS NULL OR (arrived_south_year BETWEEN 1945 AND 2100)", name="arrived_south_year"),
        CheckConstraint(
            "left_north_year IS NULL OR arrived_south_year IS NULL OR arrived_south_year >= left_north_year",
            name="arrival_after_departure",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(120))
    # Never rendered publicly: relatives in the North can be punished for a defector's testimony.
    real_name: Mapped[str | None] = mapped_column(String(200))
    public_name: Mapped[str | None] = mapped_column(String(200))
    gender: Mapped[str] = mapped_column(String(20), default="unspecified")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    origin_province_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    origin_place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    occupation_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    education_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    residence_region_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    left_north_year: Mapped[int | None] = mapped_column(Integer)
    arrived_south_year: Mapped[int | None] = mapped_column(Integer)
    curator_notes: Mapped[str] = mapped_column(Text, default="")
    # Disclosure control: public and researcher profiles are generalised (birth decade, home province,
    # five-year bands) unless the narrator consented to a detailed profile; even then only the fields a
    # curator chose (EXACT_FIELDS, comma-separated) are shown exactly. See archive/policy/disclosure.py.
    consent_detailed_profile: Mapped[bool] = mapped_column(Boolean, default=False)
    exact_fields_csv: Mapped[str] = mapped_column("exact_fields", String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking (archive/core/saving.py): each update adds one; a save from an older form is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    origin_province: Mapped[Place | None] = relationship(foreign_keys=[origin_province_id])
    origin_place: Mapped[Place | None] = relationship(foreign_keys=[origin_place_id])
    occupation: Mapped[Category | None] = relationship(foreign_keys=[occupation_id])
    education: Mapped[Category | None] = relationship(foreign_keys=[education_id])
    residence_region: Mapped[Category | None] = relationship(foreign_keys=[residence_region_id])
    testimonies: Mapped[list["Testimony"]] = relationship(back_populates="narrator")  # noqa: F821

    @property
    def exact_fields(self) -> list[str]:
        """Profile fields the curator chose to publish exactly (effective only with consent)."""
        return [f for f in (self.exact_fields_csv or "").split(",") if f]

    @exact_fields.setter
    def exact_fields(self, names: list[str]) -> None:
        self.exact_fields_csv = ",".join(dict.fromkeys(n.strip() for n in names if n.strip()))

    @property
    def age_at_arrival(self) -> int | None:
        """Age in the year of arrival in the South, when both years are known."""
        if self.birth_year is None or self.arrived_south_year is None:
            return None
        return self.arrived_south_year - self.birth_year

    def __repr__(self) -> str:
        return f"<Narrator {self.id} {self.pseudonym!r}>"
