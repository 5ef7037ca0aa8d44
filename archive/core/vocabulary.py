"""Controlled vocabularies: seeding from the bundled data and resolving any spelling."""
from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from archive.core.extensions import db
from archive.models import Category, Place, Topic, VocabularyRedirect

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CATEGORY_FILES = {
    "occupation": "statistics/by_occupation_in_north.csv",
    "education": "statistics/by_education.csv",
    "residence": "statistics/by_residence_in_south.csv",
}


def slugify(value: str) -> str:
    """Turn a label into a stable ASCII slug ("North Hamgyong" -> "north-hamgyong")."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def fold(value: str) -> str:
    """Fold case, diacritics, apostrophes and separators so spellings compare equal."""
    folded = unicodedata.normalize("NFKD", value)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[\s'’`\-_.()]+", "", folded.casefold())


def age_group(age: int | None) -> str | None:
    """Age band used by the Ministry of Unification's table of ages at entry."""
    if age is None or age < 0:
        return None
    return "60+" if age >= 60 else f"{age // 10 * 10}-{age // 10 * 10 + 9}"


def seed_vocabulary() -> dict[str, int]:
    """Insert missing places, categories and topics; existing rows (and renamed or merged ones) are left as they are."""
    added = {"places": 0, "categories": 0, "topics": 0}
    # A slug a curator renamed or merged away is not seeded again: it lives on as a redirect.
    moved = {(v, slug) for v, slug in db.session.execute(
        select(VocabularyRedirect.vocabulary, VocabularyRedirect.old_slug))}
    existing = set(db.session.scalars(select(Place.slug))) | {slug for v, slug in moved if v == "place"}
    rows = _read_csv("places.csv")
    for row in rows:
        slug = slugify(row["english"])
        if slug in existing:
            continue
        db.session.add(Place(
            slug=slug, kind=row["kind"], name_en=row["english"], name_ko=row["hangul"],
            mccune_reischauer=row["mccune_reischauer"], revised_romanization=row["revised_romanization"],
            other_variants=row["other_variants"],
        ))
        existing.add(slug)
        added["places"] += 1
    db.session.flush()
    # A town's or camp's province (the narrator form's place list follows the chosen province): set where
    # none is recorded yet, so an older seed gains it and a curator's own choice stays.
    places = {p.slug: p for p in db.session.scalars(select(Place))}
    for row in rows:
        place, province = places.get(slugify(row["english"])), places.get(slugify(row.get("province") or ""))
        if place is not None and province is not None and place.parent is None and province.kind == "province":
            place.parent = province
    existing_categories = {(c.scheme, c.slug) for c in db.session.scalars(select(Category))} | moved
    for scheme, filename in CATEGORY_FILES.items():
        for position, row in enumerate(_read_csv(filename)):
            slug = slugify(row["category"])
            if (scheme, slug) in existing_categories:
                continue
            db.session.add(Category(scheme=scheme, slug=slug, label_en=row["category"],
                                    label_ko=row.get("category_ko") or "", position=position))
            added["categories"] += 1
    existing_topics = set(db.session.scalars(select(Topic.slug))) | {slug for v, slug in moved if v == "topic"}
    for row in _read_csv("topics.csv"):
        if row["slug"] not in existing_topics:
            db.session.add(Topic(slug=row["slug"], label_en=row["label_en"], label_ko=row["label_ko"],
                                 description=row["description"]))
            added["topics"] += 1
    db.session.commit()
    return added


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _place_index() -> dict[str, list[tuple[int, str]]]:
    """Map every folded spelling to (place id, kind) pairs.

    The rows are read every time (a light query, so a place added by another process is seen at once);
    folding hundreds of spellings is the costly part, done again only when the rows differ.
    """
    rows = tuple(tuple(row) for row in db.session.execute(select(
        Place.id, Place.kind, Place.slug, Place.name_en, Place.name_ko, Place.mccune_reischauer,
        Place.revised_romanization, Place.other_variants).order_by(Place.id)))
    return _folded_index(rows)


@lru_cache(maxsize=4)
def _folded_index(rows: tuple[tuple[Any, ...], ...]) -> dict[str, list[tuple[int, str]]]:
    index: dict[str, list[tuple[int, str]]] = {}
    for place_id, kind, slug, *names, other in rows:
        spellings = dict.fromkeys(n for n in [*names, *(other or "").split("|"), slug] if n)
        for name in spellings:
            index.setdefault(fold(name), []).append((place_id, kind))
    return index


def find_place(name: str, kinds: tuple[str, ...]) -> Place | None:
    """Resolve any spelling (English, Hangul, McCune-Reischauer, Revised Romanization) to a place."""
    if not name or not name.strip():
        return None
    for place_id, kind in _place_index().get(fold(name), []):
        if kind in kinds:
            return db.session.get(Place, place_id)
    return None


def find_category(scheme: str, value: str) -> Category | None:
    """Resolve a category by slug, English label or Korean label."""
    if not value or not value.strip():
        return None
    wanted = fold(value)
    for category in db.session.scalars(select(Category).where(Category.scheme == scheme)):
        if wanted in (fold(category.slug), fold(category.label_en), fold(category.label_ko or "-")):
            return category
    return _redirected(Category, scheme, value)


def find_topic(value: str) -> Topic | None:
    """Resolve a topic by slug or either label."""
    wanted = fold(value or "")
    if not wanted:
        return None
    for topic in db.session.scalars(select(Topic)):
        if wanted in (fold(topic.slug), fold(topic.label_en), fold(topic.label_ko)):
            return topic
    return _redirected(Topic, "topic", value)


def _redirected(model: type, vocabulary: str, value: str) -> Any:
    """The term an old slug (of a renamed or merged term) now points to, or None."""
    target_id = db.session.scalar(select(VocabularyRedirect.target_id).where(
        VocabularyRedirect.vocabulary == vocabulary, VocabularyRedirect.old_slug == slugify(value)))
    return None if target_id is None else db.session.get(model, target_id)


def places_of_kind(*kinds: str, keep: Iterable[str] | None = None) -> list[Place]:
    """Places of the given kinds in English alphabetical order; with `keep`, retired ones only if their slug is in it."""
    rows = db.session.scalars(select(Place).where(Place.kind.in_(kinds)).order_by(Place.name_en))
    return [p for p in rows if keep is None or not p.retired or p.slug in keep]


def categories(scheme: str, keep: Iterable[str] | None = None) -> list[Category]:
    """Categories of one scheme in the order of the official tables; with `keep`, as for places."""
    rows = db.session.scalars(select(Category).where(Category.scheme == scheme).order_by(Category.position))
    return [c for c in rows if keep is None or not c.retired or c.slug in keep]


def all_topics(keep: tuple[str, ...] | list[str] = ()) -> list[Topic]:
    """Every topic in use, by English label: retired ones only when their slug is in `keep`."""
    return [t for t in db.session.scalars(select(Topic).order_by(Topic.label_en)) if not t.retired or t.slug in keep]
