"""Controlled vocabularies: places, statistical categories and topics."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from archive.core.extensions import db

PLACE_KINDS = ("province", "city", "camp", "china", "country")
CATEGORY_SCHEMES = ("occupation", "education", "residence")


class Place(db.Model):
    """A North Korean province, city or camp, a Chinese town or a country on an escape route."""

    __tablename__ = "places"
    __table_args__ = (CheckConstraint(f"kind IN {PLACE_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_ko: Mapped[str] = mapped_column(String(120))
    mccune_reischauer: Mapped[str] = mapped_column(String(160), default="")
    revised_romanization: Mapped[str] = mapped_column(String(160), default="")
    other_variants: Mapped[str] = mapped_column(Text, default="")

    @property
    def variants(self) -> list[str]:
        """Every spelling of this place, English first."""
        names = [self.name_en, self.name_ko, self.mccune_reischauer, self.revised_romanization]
        names += [v for v in self.other_variants.split("|")]
        seen: list[str] = []
        for name in names:
            if name and name not in seen:
                seen.append(name)
        return seen

    def __repr__(self) -> str:
        return f"<Place {self.slug}>"


class Category(db.Model):
    """A category of the Ministry of Unification statistics (occupation, education, residence)."""

    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("scheme", "slug", name="uq_categories_scheme_slug"),
        CheckConstraint(f"scheme IN {CATEGORY_SCHEMES!r}", name="scheme"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(String(20), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    label_en: Mapped[str] = mapped_column(String(160))
    label_ko: Mapped[str] = mapped_column(String(160), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Category {self.scheme}:{self.slug}>"


class Topic(db.Model):
    """A tag from the controlled topic vocabulary, labelled in English and Korean."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    label_en: Mapped[str] = mapped_column(String(160))
    label_ko: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<Topic {self.slug}>"
