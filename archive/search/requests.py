"""Researchers' search: the one place that turns request parameters into engine requests.

The audience comes from the access policy, so search, facet counts and suggestions can never show
more than the pages do. Facet counts are exact for everyone: they only ever count testimonies the
reader may open (and the total above the results is exact anyway), so hiding small ones would protect
nobody; the small-count rule (archive/policy/small_counts.py) stays where counts come from the official
statistics or stand for narrators the reader cannot open. Values are OR-ed within a facet and facets
AND-ed with each other. The years of leaving and arriving are five-year bands for everyone but staff:
a filter on one year selects its band (see `archive.search.widen_years`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.core.extensions import db
from archive.core.i18n import GENDER_LABELS, current_locale, label, language_name
from archive.models import LANGUAGES, Category, Place, Testimony, Topic
from archive.core.paging import page_number
from archive.media import copies
from archive.search.engine import FACETS, SearchRequest, SearchResults, widen_years
from archive.policy import access, protected
from archive.policy.protected import TestimonyView

MAX_QUERY_CHARS = 10_000
RELATED_TOPICS = 6
MAX_MOMENTS = 50  # matching moments asked for per hit (the engine's own cap)
SHOWN_MOMENTS = 3  # moments shown per hit before "N more moments"
FACET_TITLES = {
    "province": _l("Home province"), "route": _l("Route country"), "left": _l("Left the North"),
    "arrived": _l("Arrived in the South"), "gender": _l("Gender"), "age": _l("Age at arrival"),
    "occupation": _l("Occupation in the North"), "education": _l("Education"),
    "residence": _l("Lives in (South Korea)"), "tag": _l("Topic"), "language": _l("Language"),
}
YEAR_FACETS = ("left", "arrived")
SORT_LABELS = {"relevance": _l("Relevance"), "date": _l("Interview date (oldest first)"),
               "-date": _l("Interview date (newest first)"), "duration": _l("Duration (shortest first)"),
               "-duration": _l("Duration (longest first)"), "arrival": _l("Arrival year (earliest first)"),
               "-arrival": _l("Arrival year (latest first)")}


@dataclass
class FacetValue:
    """One facet value as shown to this user."""

    value: str
    label: str
    count: int  # testimonies in the results with this value (for a chosen facet: had it been chosen alone)
    selected: bool


@dataclass
class Chip:
    """An applied filter, shown above the results with a link that removes it."""

    name: str
    title: str
    value: str
    label: str


@dataclass
class SearchPage:
    """Everything the search page and API need."""

    request: SearchRequest
    results: SearchResults
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    # Years of leaving and arriving are five-year bands (everyone but staff).
    banded: bool = True
    views: dict[int, TestimonyView] = field(default_factory=dict)  # each hit as this reader may see it
    corrected_from: str | None = None  # the query as typed, when its did-you-mean was run instead
    topics: list[FacetValue] = field(default_factory=list)  # no results: the archive's biggest topics


def parse_request(args: Mapping[str, Any], user: Any) -> SearchRequest:
    """Build an engine request from query parameters; unknown or malformed values fall back to defaults."""
    getlist = getattr(args, "getlist", lambda k: [args[k]] if k in args else [])
    q = str(args.get("q", "") or "")[:MAX_QUERY_CHARS]
    filters = {name: [v[:100] for v in getlist(name) if v][:20] for name in FACETS if getlist(name)}
    sort = args.get("sort", "relevance")
    if sort not in SORT_LABELS:
        sort = "relevance"
    audience = access.audience_for(user)
    filters = {k: v for k, v in filters.items() if v}
    if audience != access.STAFF:
        filters = widen_years(filters)
    return SearchRequest(q=q, audience=audience, filters=filters,
                         sort=sort, page=page_number(args),
                         per_page=_int(args.get("per_page"), 20, 1, 100))


def _int(value: Any, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


def run(args: Mapping[str, Any], user: Any) -> SearchPage:
    """Search for this user and label the facets.

    Every matching moment of each hit comes back (up to MAX_MOMENTS). A query that finds
    nothing while its did-you-mean finds something is replaced by it (``exact=1`` keeps it as typed).
    """
    engine = current_app.extensions["search"]
    request = replace(parse_request(args, user), max_passages=MAX_MOMENTS)
    results = engine.search(request)
    corrected_from = None
    if not results.total and results.suggestion and args.get("exact") != "1":
        corrected = engine.search(replace(request, q=results.suggestion))
        if corrected.total:
            corrected_from, request, results = request.q, replace(request, q=results.suggestion), corrected
            results = replace(results, suggestion=None)
    # Notices quote the visitor's input; from here on they are plain text, escaped by every template
    # and written as text (not HTML entities) into JSON.
    results = replace(results, notices=[str(notice) for notice in results.notices])
    page = SearchPage(request=request, results=results, banded=request.audience != access.STAFF,
                      corrected_from=corrected_from, views=hit_views(user, [hit.id for hit in results.hits]))
    everything = None
    if not results.total:
        everything = engine.search(SearchRequest(audience=request.audience, per_page=1, max_passages=0))
    related = list(everything.facets.get("tag", {}).items())[:RELATED_TOPICS] if everything else []
    shown = {name: set(results.facets.get(name, {})) | set(request.filters.get(name, [])) for name in FACETS}
    shown["tag"] |= {value for value, _ in related}
    labels = facet_labels(shown)
    for name in FACETS:
        counts = results.facets.get(name, {})
        selected = set(request.filters.get(name, []))
        values = [FacetValue(value=value, label=labels.get(name, {}).get(value, value), count=count,
                             selected=value in selected)
                  for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        values += [FacetValue(value=value, label=labels.get(name, {}).get(value, value), count=0, selected=True)
                   for value in sorted(selected - set(counts))]
        page.facets[name] = values
    page.topics = [FacetValue(value, labels["tag"].get(value, value), count, False) for value, count in related]
    return page


def hearable(view: TestimonyView | None) -> bool:
    """Whether the reader may play this hit's recording now (staff: always; others: once its public copy is ready)."""
    if view is None or view.recording is None:
        return False
    return view.staff or copies.servable_copy(view.recording) is not None


def hit_views(user: Any, ids: list[int]) -> dict[int, TestimonyView]:
    """The protected views of the hits (narrator, date, duration, languages, topics), by id."""
    if not ids:
        return {}
    rows = db.session.scalars(select(Testimony).where(Testimony.id.in_(ids), access.visible_filter(user)).options(
        selectinload(Testimony.narrator), selectinload(Testimony.topics), selectinload(Testimony.recordings)))
    return {view.id: view for view in protected.testimony_views(user, list(rows))}


def chips(page: SearchPage) -> list[Chip]:
    """The applied filters, in the order of the facet groups."""
    return [Chip(name, str(FACET_TITLES[name]), v.value, v.label)
            for name, values in page.facets.items() for v in values if v.selected]


def facet_labels(shown: Mapping[str, set[str]]) -> dict[str, dict[str, str]]:
    """Display labels (in the interface language) of the facet values on a page, by facet: only the
    vocabulary rows those values name are read, and the language is looked up once."""
    lang = current_locale()
    place_slugs = set(shown.get("province", ())) | set(shown.get("route", ()))
    places = ({p.slug: label(p, lang) for p in db.session.scalars(select(Place).where(Place.slug.in_(place_slugs)))}
              if place_slugs else {})
    schemes = ("occupation", "education", "residence")
    category_slugs = set().union(*(shown.get(scheme, ()) for scheme in schemes))
    cats: dict[str, dict[str, str]] = {scheme: {} for scheme in schemes}
    if category_slugs:
        for c in db.session.scalars(select(Category).where(Category.scheme.in_(schemes),
                                                            Category.slug.in_(category_slugs))):
            cats[c.scheme][c.slug] = label(c, lang)
    tags = set(shown.get("tag", ()))
    topics = ({t.slug: label(t, lang) for t in db.session.scalars(select(Topic).where(Topic.slug.in_(tags)))}
              if tags else {})
    return {
        "province": places, "route": places, **cats, "tag": topics,
        "language": {code: language_name(code) for code in LANGUAGES},
        "gender": {code: str(name) for code, name in GENDER_LABELS.items()},
        **{name: _YearLabels() for name in YEAR_FACETS},
    }


class _YearLabels(dict):
    """Labels of year facet values: "2005-2009" reads "2005–2009"."""

    def __missing__(self, value: str) -> str:
        return value.replace("-", "–")

    def get(self, value: str, default: Any = None) -> Any:  # dict.get skips __missing__
        return self[value]


def api_payload(page: SearchPage, url_for_testimony: Any) -> dict[str, Any]:
    """The JSON body of GET /api/v1/search."""
    r = page.results
    return {
        "q": page.request.q,
        "total": r.total,
        "page": r.page,
        "per_page": r.per_page,
        "pages": r.pages,
        "sort": page.request.sort,
        "results": [
            {"id": hit.id, "external_id": hit.external_id, "title": hit.title, "url": url_for_testimony(hit.id),
             "score": round(hit.score, 4), **_hit_metadata(page.views.get(hit.id)),
             "segments": [{"start": p.start, "end": p.end, "snippet": p.snippet,
                           "url": url_for_testimony(hit.id, p.start, page.request.q),
                           "passage_url": url_for_testimony(hit.id, p.start, page.request.q, p.end)}
                          for p in hit.passages]}
            for hit in r.hits
        ],
        "facets": {name: {v.value: v.count for v in values} for name, values in page.facets.items()},
        "filters": {name: values for name, values in page.request.filters.items()},
        "suggestion": r.suggestion,
        "corrected_from": page.corrected_from,
        "notices": r.notices,
    }


def _hit_metadata(view: TestimonyView | None) -> dict[str, Any]:
    """What a hit shows of its testimony beside the title."""
    if view is None:  # unpublished between the search and the read: nothing more to say
        return {"narrator": None, "interview_date": None, "duration": None, "languages": [], "topics": []}
    return {"narrator": view.narrator.display_name, "interview_date": view.interview_date,
            "duration": view.duration, "languages": list(view.languages),
            "topics": [topic.slug for topic in view.topics]}
