"""Controlled vocabularies: places, statistical categories and topics, and the old slugs that redirect."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.core.extensions import db
from archive.models.base import utcnow

PLACE_KINDS = ("province", "city", "camp", "china", "country")
CATEGORY_SCHEMES = ("occupation", "education", "residence")
# The vocabularies a curator manages: an old slug redirects within one of them.
VOCABULARIES = ("topic", "place", *CATEGORY_SCHEMES)


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
    # The province a city or camp lies in (None for provinces, Chinese towns and countries).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    # A retired term stays on what it already describes but is no longer offered or accepted.
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    parent: Mapped["Place | None"] = relationship(remote_side=[id])

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
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

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
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<Topic {self.slug}>"


class VocabularyRedirect(db.Model):
    """An old slug of a renamed or merged term, answered by a redirect to the term that carries it on."""

    __tablename__ = "vocabulary_redirects"
    __table_args__ = (
        UniqueConstraint("vocabulary", "old_slug", name="uq_vocabulary_redirects_vocabulary_old_slug"),
        CheckConstraint(f"vocabulary IN {VOCABULARIES!r}", name="vocabulary"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vocabulary: Mapped[str] = mapped_column(String(20))
    old_slug: Mapped[str] = mapped_column(String(80))
    # The term's id in its own table (topics, places or categories): no foreign key spans the three.
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<VocabularyRedirect {self.vocabulary}:{self.old_slug}>"
