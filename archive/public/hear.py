"""Read side of the "Hear the Defectors" landing page: recordings by topic, route and decade, as cards.

Every query goes through the access policy (`access.visible_filter`, `access.hearable_filter`), and
everything rendered of a testimony is its protected view (`archive.policy.protected`); nothing here commits.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import selectinload

from archive.core.extensions import db
from archive.core.i18n import decade_label, label
from archive.core.paging import page_number, paginate
from archive.formats.sanitize import excerpt
from archive.models import Narrator, Place, RouteLeg, Testimony, Topic
from archive.models.testimonies import testimony_topics
from archive.policy import access, protected
from archive.policy.protected import TestimonyView

PER_PAGE = 12
EXCERPT_LENGTH = 180
# Every route ends in the South: sharing it says nothing, so it is no facet and no reason to relate.
ROUTE_DESTINATION = "south-korea"


@dataclass(frozen=True)
class HearQuery:
    """The browsing choices of the landing page: a topic, a route country and a decade of arrival."""

    topic: str = ""
    country: str = ""
    decade: int | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> HearQuery:
        """Read the query string leniently: anything unreadable is simply not a filter."""
        decade = args.get("decade", type=int)
        if decade is not None and (decade % 10 or not 1940 <= decade <= 2100):
            decade = None
        return cls(topic=(args.get("topic") or "").strip()[:80], country=(args.get("country") or "").strip()[:80],
                   decade=decade, page=page_number(args))

    @property
    def active(self) -> bool:
        """Whether any filter is chosen."""
        return bool(self.topic or self.country or self.decade is not None)

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link, with some choices changed (None removes one)."""
        values = {"topic": self.topic, "country": self.country, "decade": self.decade}
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None)}


@dataclass
class FacetValue:
    """One choice of a facet with the number of testimonies it would show."""

    value: str
    label: str
    count: int


@dataclass
class Card:
    """What a card on the landing page shows besides the testimony's own fields."""

    testimony: TestimonyView
    excerpt: str
    excerpt_lang: str
    quoted: bool
    can_hear: bool


@dataclass
class Landing:
    """Everything the landing page renders."""

    query: HearQuery
    featured: list[Card]
    cards: list[Card]
    pagination: Any
    topics: list[FacetValue]
    countries: list[FacetValue]
    decades: list[FacetValue]
    chosen: dict[str, str] = field(default_factory=dict)
    total: int = 0


def card_details() -> tuple[Any, ...]:
    """Loader options for what a card shows (narrator, home province, recordings)."""
    return (selectinload(Testimony.narrator).selectinload(Narrator.origin_province),
            selectinload(Testimony.recordings))


def _filters(query: HearQuery, skip: str = "") -> list[ColumnElement[bool]]:
    """SQL conditions for the chosen filters, leaving out one facet's own (for its counts)."""
    conditions: list[ColumnElement[bool]] = []
    if query.topic and skip != "topic":
        conditions.append(Testimony.topics.any(Topic.slug == query.topic))
    if query.country and skip != "country":
        conditions.append(Testimony.route.any(RouteLeg.country.has(Place.slug == query.country)))
    if query.decade is not None and skip != "decade":
        conditions.append(Testimony.narrator.has(and_(Narrator.arrived_south_year >= query.decade,
                                                      Narrator.arrived_south_year <= query.decade + 9)))
    return conditions


def landing(user: Any, query: HearQuery) -> Landing:
    """Featured and recent recordings the user may hear, filtered by topic, route country and decade."""
    base = access.hearable_filter(user)
    listing = (select(Testimony).where(base, *_filters(query)).options(*card_details())
               .order_by(Testimony.published_at.desc().nulls_last(), Testimony.id.desc()))
    pagination = paginate(listing, query.page, PER_PAGE)  # a page past the end is the last page
    featured: list[Testimony] = []
    if not query.active and query.page == 1:
        featured = list(db.session.scalars(
            select(Testimony).where(base, Testimony.featured.is_(True)).options(*card_details())
            .order_by(Testimony.published_at.desc().nulls_last(), Testimony.id.desc()).limit(6)))
    topics, countries, decades = _facets(user, query)
    chosen = {}
    for key, values in (("topic", topics), ("country", countries)):
        wanted = getattr(query, key)
        if wanted:
            chosen[key] = next((v.label for v in values if v.value == wanted), wanted)
    if query.decade is not None:
        chosen["decade"] = decade_label(query.decade)
    total = db.session.scalar(select(func.count(Testimony.id)).where(base)) or 0
    return Landing(query=query, featured=cards(user, featured), cards=cards(user, list(pagination.items)),
                   pagination=pagination, topics=topics, countries=countries, decades=decades,
                   chosen=chosen, total=total)


def _facets(user: Any, query: HearQuery) -> tuple[list[FacetValue], list[FacetValue], list[FacetValue]]:
    """Choices of each facet with counts under the other chosen filters."""
    base = access.hearable_filter(user)
    topic_rows = db.session.execute(
        select(Topic.slug, Topic.label_en, Topic.label_ko, func.count(func.distinct(Testimony.id)))
        .join(testimony_topics, testimony_topics.c.topic_id == Topic.id)
        .join(Testimony, Testimony.id == testimony_topics.c.testimony_id)
        .where(base, *_filters(query, skip="topic"))
        .group_by(Topic.slug, Topic.label_en, Topic.label_ko))
    topics = sorted((FacetValue(slug, label({"label_en": en, "label_ko": ko}), count)
                     for slug, en, ko, count in topic_rows), key=lambda v: (v.label, v.value))
    country_rows = db.session.execute(
        select(Place.slug, Place.name_en, Place.name_ko, func.count(func.distinct(Testimony.id)))
        .join(RouteLeg, RouteLeg.country_id == Place.id)
        .join(Testimony, Testimony.id == RouteLeg.testimony_id)
        .where(base, Place.slug != ROUTE_DESTINATION, *_filters(query, skip="country"))
        .group_by(Place.slug, Place.name_en, Place.name_ko))
    countries = sorted((FacetValue(slug, label({"name_en": en, "name_ko": ko}), count)
                        for slug, en, ko, count in country_rows), key=lambda v: (v.label, v.value))
    year_rows = db.session.execute(
        select(Narrator.arrived_south_year, func.count(func.distinct(Testimony.id)))
        .join(Testimony, Testimony.narrator_id == Narrator.id)
        .where(base, Narrator.arrived_south_year.is_not(None), *_filters(query, skip="decade"))
        .group_by(Narrator.arrived_south_year))
    per_decade: Counter[int] = Counter()
    for year, count in year_rows:
        per_decade[year // 10 * 10] += count
    decades = [FacetValue(str(decade), decade_label(decade), per_decade[decade]) for decade in sorted(per_decade)]
    return topics, countries, decades


def cards(user: Any, testimonies: list[Testimony]) -> list[Card]:
    """Cards with a short quotation of the narrator (never a restricted passage), else the summary."""
    views = protected.testimony_views(user, testimonies)
    quotes = protected.opening_quotes(views)
    result = []
    for view in views:
        quote = quotes.get(view.id)
        if quote is not None and quote.text:
            result.append(Card(view, excerpt(quote.text, EXCERPT_LENGTH), quote.language or view.main_language, True,
                               view.can_hear))
        else:
            result.append(Card(view, excerpt(view.summary, EXCERPT_LENGTH), "", False, view.can_hear))
    return result


