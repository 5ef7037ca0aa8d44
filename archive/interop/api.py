"""The read-only JSON API (/api/v1/...) and the CSV export of search results.

(A little over 400 lines: one serializer per resource, all from the protected view; parameters and
errors are in api_params.py.)

Everything a caller receives about a testimony or narrator comes from its protected view
(`archive.policy.protected`), as the pages do: a testimony or narrator the caller may not see answers
exactly like a missing one, restricted passages are withheld, speaker labels never carry the
narrator's real name, recordings are listed only when the caller may hear them, narrators appear
only under their shown name, and their birth year, home place and years of leaving and arriving are
generalised (decade, province, five-year bands) unless the narrator consented to exact values. Staff
get exact values, as on the pages. Real names, consent notes and curator notes are never serialised.
Nothing here commits.

Parameters are read strictly (archive/interop/api_params.py).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from archive.formats import csvsafe, timecode
from archive.interop.api_params import not_found, page_params, slug_param, choice_param, datetime_param
from archive.core.extensions import db
from archive.models import (
    CATEGORY_SCHEMES,
    LANGUAGES,
    PLACE_KINDS,
    Category,
    Narrator,
    Place,
    RouteLeg,
    Segment,
    Testimony,
    Topic,
)
from archive.policy import access, protected
from archive.policy.disclosure import Band
from archive.policy.protected import ProfileView, TestimonyView
from archive.formats.sanitize import clean_html, html_to_text
from archive.search.engine import SearchRequest
from archive.search import requests as searching
from archive.statistics.figures import current_table
from archive.statistics.data import Table, dataset_keys

CSV_MAX_ROWS = 5_000
SEARCH_BATCH = 100
# Years and places as the audience's profile shows them: "1970s", "2005–2009" and the province only,
# unless the narrator consented to exact values (staff get exact values).
CSV_COLUMNS = ("id", "external_id", "title", "url", "interview_date", "languages", "topics", "home_province",
               "home_place", "route_countries", "born", "year_left", "year_arrived", "gender", "age_group",
               "fictional")


# --- listings --------------------------------------------------------------------------------

@dataclass
class Listing:
    """One page of a collection."""

    items: list[dict[str, Any]]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page) if self.total else 0

    def envelope(self, link: Callable[[int], str]) -> dict[str, Any]:
        """The JSON body: items, counts and links to this, the next and the previous page."""
        return {
            "items": self.items, "page": self.page, "per_page": self.per_page, "total": self.total,
            "pages": self.pages,
            "links": {"self": link(self.page),
                      "next": link(self.page + 1) if self.page < self.pages else None,
                      "prev": link(min(self.page - 1, max(self.pages, 1))) if self.page > 1 else None},
        }


def _paginate(query: Select[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return rows, total


def _slice(items: list[dict[str, Any]], page: int, per_page: int) -> Listing:
    first = (page - 1) * per_page
    return Listing(items[first:first + per_page], page, per_page, len(items))


# --- shared pieces ---------------------------------------------------------------------------

def _place(place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {"slug": place.slug, "kind": place.kind, "name_en": place.name_en, "name_ko": place.name_ko}


def _category(category: Category | None) -> dict[str, Any] | None:
    if category is None:
        return None
    return {"scheme": category.scheme, "slug": category.slug, "label_en": category.label_en,
            "label_ko": category.label_ko}


def _topic(topic: Topic) -> dict[str, Any]:
    return {"slug": topic.slug, "label_en": topic.label_en, "label_ko": topic.label_ko}


def _years(band: Band | None) -> dict[str, Any] | None:
    """A year as shown: {"label": "2005–2009", "from": 2005, "to": 2009, "exact": false}."""
    if band is None:
        return None
    return {"label": band.label, "from": band.low, "to": band.high, "exact": band.low == band.high}


def _testimony_ref(view: TestimonyView) -> dict[str, Any]:
    return {"id": view.id, "title": view.title, "url": url_for("public.testimony", testimony_id=view.id),
            "api_url": url_for("api.testimony", testimony_id=view.id)}


def _narrator_ref(profile: ProfileView) -> dict[str, Any]:
    return {"id": profile.id, "name": profile.display_name,
            "url": url_for("public.narrator", narrator_id=profile.id),
            "api_url": url_for("api.narrator", narrator_id=profile.id)}


def _narrator_options() -> tuple[Any, ...]:
    return (Narrator.origin_province, Narrator.origin_place, Narrator.occupation, Narrator.education,
            Narrator.residence_region)


def _details() -> tuple[Any, ...]:
    narrator = selectinload(Testimony.narrator)
    return (*(narrator.selectinload(option) for option in _narrator_options()),
            selectinload(Testimony.route).selectinload(RouteLeg.country),
            selectinload(Testimony.topics), selectinload(Testimony.recordings))


def _visible_testimony(user: Any, testimony_id: int) -> TestimonyView:
    view = protected.testimony_view(user, db.session.get(Testimony, testimony_id))
    if view is None:
        raise not_found()
    return view


# --- testimonies -----------------------------------------------------------------------------

def _with_segments(ids: list[int]) -> set[int]:
    """Which of these testimonies have a transcript (without loading it)."""
    if not ids:
        return set()
    return set(db.session.scalars(select(Segment.testimony_id).where(Segment.testimony_id.in_(ids)).distinct()))


def testimony_summary(view: TestimonyView, has_segments: bool | None = None) -> dict[str, Any]:
    """The fields of a testimony shown in listings, from the caller's view of it."""
    profile = view.narrator
    if has_segments is None:
        has_segments = bool(_with_segments([view.id]))
    return {
        **_testimony_ref(view),
        "external_id": view.external_id,
        "narrator": _narrator_ref(profile),
        "interview_date": view.interview_date,
        "languages": view.languages,
        "topics": [_topic(topic) for topic in view.topics],
        "home_province": _place(profile.home_province),
        "home_place": _place(profile.home_place),
        "left_north": _years(profile.left),
        "arrived_south": _years(profile.arrived),
        "fictional": bool(view.fictional),
        "has_recording": bool(view.recordings),
        "has_transcript": view.can_read_transcript and has_segments,
        "updated_at": _timestamp(view.updated_at),
    }


def _timestamp(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value is not None else None


def list_testimonies(user: Any, args: Mapping[str, Any]) -> Listing:
    """Visible testimonies by id, filtered by topic, language and time of the last change."""
    page, per_page = page_params(args)
    topic = slug_param(args, "topic")
    language = choice_param(args, "language", tuple(LANGUAGES))
    since = datetime_param(args, "updated_since")
    query = select(Testimony).where(access.visible_filter(user)).options(*_details()).order_by(Testimony.id)
    if topic is not None:
        query = query.where(Testimony.topics.any(Topic.slug == topic))
    if language is not None:
        # languages_csv holds codes like "ko,en": match whole codes only.
        padded = "," + Testimony.languages_csv + ","
        query = query.where(padded.like(f"%,{language},%"))
    if since is not None:
        query = query.where(Testimony.updated_at >= since)
    rows, total = _paginate(query, page, per_page)
    transcribed = _with_segments([t.id for t in rows])
    views = protected.testimony_views(user, rows)
    return Listing([testimony_summary(view, view.id in transcribed) for view in views], page, per_page, total)


def testimony_detail(user: Any, testimony_id: int) -> dict[str, Any]:
    """Public metadata of one testimony, with what this user may hear and read."""
    view = _visible_testimony(user, testimony_id)
    transcribed = bool(_with_segments([view.id]))
    has_segments = view.can_read_transcript and transcribed
    data = testimony_summary(view, transcribed)
    data.update({
        "interviewer": view.interviewer or None,
        "interview_place": view.interview_place or None,
        "summary_html": str(clean_html(view.summary)),
        "summary_text": html_to_text(view.summary),
        "route": [{"position": stop.position, "country": _place(stop.country), "place": stop.place or None,
                   "year": _years(stop.year), "event": stop.event} for stop in view.route],
        # The listening page shows chapters only beside a transcript the user may read.
        "chapters": [{"start": ch.start, "title": ch.title, "synopsis": ch.synopsis or None,
                      "url": url_for("public.testimony", testimony_id=view.id, t=timecode.seconds_param(ch.start))}
                     for ch in view.chapters] if has_segments else [],
        "recordings": [{"id": r.id, "mime_type": r.mime_type, "duration_seconds": r.duration_seconds,
                        "url": url_for("media.recording", recording_id=r.id)}
                       for r in view.recordings],
        "transcript": {
            "segments_url": url_for("api.segments", testimony_id=view.id),
            "vtt_url": url_for("listen.transcript_vtt", testimony_id=view.id),
            "text_url": url_for("listen.transcript_txt", testimony_id=view.id),
        } if has_segments else None,
    })
    return data


def testimony_segments(user: Any, testimony_id: int, args: Mapping[str, Any]) -> Listing:
    """Transcript passages in order; those the user may not read are only marked as withheld."""
    page, per_page = page_params(args)
    view = _visible_testimony(user, testimony_id)
    if not view.can_read_transcript:
        return Listing([], page, per_page, 0)
    query = select(Segment).where(Segment.testimony_id == view.id).order_by(Segment.position)
    rows, total = _paginate(query, page, per_page)
    items = []
    # Only this page's rows are read, each through the view (speaker scrubbed, withheld text None).
    for s in (view.segment_from_row(row) for row in rows):
        if s.withheld:  # as on the listening page: the time is kept, the words are not
            items.append({"position": s.position, "start": s.start, "end": s.end, "withheld": True})
            continue
        item: dict[str, Any] = {"position": s.position, "start": s.start, "end": s.end, "withheld": False,
                                "speaker": s.speaker or None, "text": s.text, "language": s.language or None,
                                "url": url_for("public.testimony", testimony_id=view.id,
                                               t=timecode.seconds_param(s.start))}
        if view.staff:
            item["restricted"] = s.restricted
        items.append(item)
    return Listing(items, page, per_page, total)


# --- narrators -------------------------------------------------------------------------------

def narrator_summary(profile: ProfileView) -> dict[str, Any]:
    """A narrator as the narrator page shows them to the caller: generalised profile, never the real name."""
    return {
        **_narrator_ref(profile),
        "gender": profile.gender,
        "birth": _years(profile.birth),
        "home_province": _place(profile.home_province),
        "home_place": _place(profile.home_place),
        "occupation": _category(profile.occupation),
        "education": _category(profile.education),
        "left_north": _years(profile.left),
        "arrived_south": _years(profile.arrived),
        "residence_region": _category(profile.residence),
    }


def list_narrators(user: Any, args: Mapping[str, Any]) -> Listing:
    """Narrators with at least one testimony the user may see, by id."""
    page, per_page = page_params(args)
    query = (select(Narrator).where(access.narrator_filter(user)).order_by(Narrator.id)
             .options(selectinload(Narrator.testimonies),
                      *(selectinload(option) for option in _narrator_options())))
    rows, total = _paginate(query, page, per_page)
    found = (protected.narrator_view(user, n) for n in rows)
    return Listing([narrator_summary(profile) for profile, _views in filter(None, found)], page, per_page, total)


def narrator_detail(user: Any, narrator_id: int) -> dict[str, Any]:
    """One narrator and the testimonies the user may see; otherwise exactly like a missing one."""
    found = protected.narrator_view(user, db.session.get(Narrator, narrator_id))
    if found is None:
        raise not_found()
    profile, views = found
    data = narrator_summary(profile)
    data["testimonies"] = [_testimony_ref(view) for view in sorted(views, key=lambda view: view.id)]
    return data


# --- vocabulary ------------------------------------------------------------------------------

VOCABULARIES = ("places", "topics", "categories")


def vocabulary(kind: str, args: Mapping[str, Any]) -> Listing:
    """Places, topics or statistical categories with their English and Korean labels."""
    page, per_page = page_params(args)
    if kind == "places":
        place_kind = choice_param(args, "kind", PLACE_KINDS)
        query: Select[Any] = select(Place).order_by(Place.kind, Place.slug)
        if place_kind is not None:
            query = query.where(Place.kind == place_kind)
        rows, total = _paginate(query, page, per_page)
        items = [{**(_place(p) or {}), "variants": p.variants} for p in rows]
    elif kind == "topics":
        rows, total = _paginate(select(Topic).order_by(Topic.slug), page, per_page)
        items = [{**_topic(t), "description": t.description or None,
                  "url": url_for("listen.hear", topic=t.slug)} for t in rows]
    else:
        scheme = choice_param(args, "scheme", CATEGORY_SCHEMES)
        query = select(Category).order_by(Category.scheme, Category.position, Category.slug)
        if scheme is not None:
            query = query.where(Category.scheme == scheme)
        rows, total = _paginate(query, page, per_page)
        items = [_category(c) or {} for c in rows]
    return Listing(items, page, per_page, total)


# --- statistics ------------------------------------------------------------------------------

def _table_info(table: Table) -> dict[str, Any]:
    return {
        "key": table.key, "title_en": table.title, "title_ko": table.title_ko or None,
        "unit": table.unit or None, "source": table.source, "as_of": table.as_of,
        "attribution": f"{table.source} ({table.as_of})" if table.as_of else table.source,
        "columns": list(table.columns),
        "api_url": url_for("api.statistics_table", key=table.key),
        "csv_url": url_for("statistics.download", key=table.key),
        "page_url": url_for("statistics.index") + f"#{table.key}",
    }


def statistics_index(args: Mapping[str, Any]) -> Listing:
    """Every official statistics table, with its source."""
    page, per_page = page_params(args)
    return _slice([_table_info(current_table(key)) for key in dataset_keys()], page, per_page)


def statistics_table(key: str) -> dict[str, Any]:
    """One table with its rows; an unknown key answers 404."""
    if key not in dataset_keys():
        raise not_found()
    table = current_table(key)
    data = _table_info(table)
    data["rows"] = [{column: row.get(column) for column in table.columns} for row in table.rows]
    return data


# --- search results as CSV -------------------------------------------------------------------

@dataclass
class SearchExport:
    """All results of a search (up to the cap) as CSV text."""

    csv: str
    total: int
    rows: int

    @property
    def truncated(self) -> bool:
        return self.rows < self.total


def search_csv(args: Mapping[str, Any], user: Any) -> SearchExport:
    """Run the search of /search (same parameters, same audience) and list every result's metadata."""
    request: SearchRequest = searching.parse_request(args, user)
    engine = current_app.extensions["search"]
    ids: list[int] = []
    total = 0
    page = 1
    while len(ids) < CSV_MAX_ROWS:
        results = engine.search(replace(request, page=page, per_page=SEARCH_BATCH, max_passages=0))
        total = results.total
        ids.extend(hit.id for hit in results.hits)
        if page >= results.pages or not results.hits:
            break
        page += 1
    ids = list(dict.fromkeys(ids))[:CSV_MAX_ROWS]
    # The index already answered for this audience; the database is asked again all the same.
    loaded = {view.id: view for view in protected.testimony_views(user, list(db.session.scalars(
        select(Testimony).where(Testimony.id.in_(ids), access.visible_filter(user)).options(*_details()))))} \
        if ids else {}
    rows = [_csv_row(loaded[i]) for i in ids if i in loaded]
    return SearchExport(csvsafe.write_csv(CSV_COLUMNS, rows), total, len(rows))


def _csv_row(view: TestimonyView) -> list[Any]:
    profile = view.narrator
    countries = list(dict.fromkeys(stop.country.name_en for stop in view.route if stop.country is not None))
    return [
        view.id, view.external_id or "", view.title,
        url_for("public.testimony", testimony_id=view.id, _external=True),
        view.interview_date or "", ";".join(view.languages), ";".join(topic.slug for topic in view.topics),
        profile.home_province.name_en if profile.home_province else "",
        profile.home_place.name_en if profile.home_place else "", ";".join(countries),
        _label(profile.birth), _label(profile.left), _label(profile.arrived), profile.gender,
        profile.age_group or "", "yes" if view.fictional else "no",
    ]


def _label(band: Band | None) -> str:
    return band.label if band is not None else ""
