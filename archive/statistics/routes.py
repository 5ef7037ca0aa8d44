"""Read side of the escape routes and places pages.

Country descriptions and route geography come from ``archive/data/route_countries.json`` and
``archive/data/routes.json``. Distances are great-circle distances computed here from the stated
coordinates, never travel distances. Counts of testimonies are taken for the anonymous audience
and withheld below ``SMALL_COUNT``; lists of testimonies follow the access policy of the reader.
"""
from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import abort, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from archive.formats.charts import Bar, bar_chart, data_table
from archive.core.extensions import db
from archive.core.i18n import number
from archive.models import Narrator, Place, RouteLeg, Segment, Testimony
from archive.search.engine import SearchRequest
from archive.policy import access, protected
from archive.policy.protected import TestimonyView
from archive.policy.small_counts import FEWER, shown, withheld
from archive.statistics.figures import search_url
from archive.core.vocabulary import DATA_DIR

log = logging.getLogger(__name__)

PLACE_PAGE_KINDS = ("province", "camp")
PLACE_KIND_TITLES = {"province": _l("Provinces and directly governed cities"), "camp": _l("Prison camps")}
MAX_PLACE_TESTIMONIES = 100
_NODE_HEIGHT = 28
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")


@cache
def routes_data() -> dict[str, Any]:
    """The coordinates, missions and diagram layout of routes.json."""
    return json.loads((DATA_DIR / "routes.json").read_text(encoding="utf-8"))


@cache
def _country_descriptions() -> list[dict[str, str]]:
    return json.loads((DATA_DIR / "route_countries.json").read_text(encoding="utf-8"))["countries"]


# --- distances --------------------------------------------------------------------------

def great_circle_km(a: tuple[float, float], b: tuple[float, float], radius: float = 6371.0) -> float:
    """Haversine distance between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))


@dataclass
class MissionDistance:
    """The great-circle length of one route from Dandong to a South Korean mission."""

    key: str
    name: str
    short: str
    waypoints: list[str]
    legs: list[int]  # km per leg, rounded

    @property
    def total_km(self) -> int:
        """Sum of the rounded legs, so the table adds up."""
        return sum(self.legs)


def mission_distances() -> list[MissionDistance]:
    """Every mission of routes.json with its leg-by-leg great-circle distances."""
    data = routes_data()
    cities, radius = data["cities"], float(data["earth_radius_km"])
    out = []
    for mission in data["missions"]:
        via = mission["via"]
        legs = [round(great_circle_km((cities[a]["lat"], cities[a]["lon"]), (cities[b]["lat"], cities[b]["lon"]),
                                      radius)) for a, b in zip(via, via[1:])]
        out.append(MissionDistance(mission["key"], mission["name"], mission["short"],
                                   [cities[c]["name"] for c in via], legs))
    return out


def distance_chart() -> tuple[Markup, Markup]:
    """The distances chart and its data table."""
    data = routes_data()
    distances = mission_distances()
    bars = [Bar(d.short, {"km": float(d.total_km)}) for d in distances]
    title = _("Distance from Dandong to South Korean missions along the main routes")
    svg = bar_chart("distances", title, bars, series=["km"], series_labels={"km": _("Great-circle distance (km)")},
                    x_label=_("South Korean mission"), y_label=_("Kilometres (%(note)s)", note=data["distance_note"]),
                    horizontal=True, source=data["source"], as_of=data["as_of"], unit="km")
    rows: list[list[object]] = []
    for d in distances:
        legs = "; ".join(f"{a}–{b}: {number(km)} km" for a, b, km in zip(d.waypoints, d.waypoints[1:], d.legs))
        rows.append([d.name, " → ".join(d.waypoints), legs, d.total_km])
    table = data_table("distances", f"{title} ({data['distance_note']})",
                       [_("Mission"), _("Route"), _("Legs"), _("Total (km)")], rows)
    return svg, table


# --- countries of the routes --------------------------------------------------------------

@dataclass
class RouteCountry:
    """One country of the escape routes as listed on /routes."""

    slug: str
    name_en: str
    name_ko: str
    description: str
    count: int | str  # 0, "fewer than 5" or the number of public testimonies
    url: str


def coverage_by_route_country() -> dict[str, int]:
    """Public testimonies whose route passes through each country (place slug)."""
    query = (select(Place.slug, func.count(func.distinct(Testimony.id)))
             .join(RouteLeg, RouteLeg.testimony_id == Testimony.id).join(Place, RouteLeg.country_id == Place.id)
             .where(access.visible_filter(None)).group_by(Place.slug))
    return {slug: int(n) for slug, n in db.session.execute(query)}


def route_countries() -> list[RouteCountry]:
    """The countries of the journey with their descriptions and protected testimony counts."""
    places = {p.slug: p for p in db.session.scalars(select(Place).where(Place.kind == "country"))}
    counts = coverage_by_route_country()
    out = []
    for item in _country_descriptions():
        place = places.get(item["slug"])
        out.append(RouteCountry(item["slug"], place.name_en if place else item["slug"],
                                place.name_ko if place else "", item["description"],
                                shown(counts.get(item["slug"], 0)), search_url("route", item["slug"])))
    return out


# --- the schematic diagram ------------------------------------------------------------

@dataclass
class DiagramNode:
    key: str
    label: str
    kind: str
    x: float
    y: float
    width: float
    height: float = _NODE_HEIGHT

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.height / 2


@dataclass
class DiagramEdge:
    mode: str
    x1: float
    y1: float
    x2: float
    y2: float
    label: str


@dataclass
class Diagram:
    width: int
    height: int
    nodes: list[DiagramNode] = field(default_factory=list)
    edges: list[DiagramEdge] = field(default_factory=list)
    in_words: list[str] = field(default_factory=list)


def _label_width(text: str) -> float:
    return len(text) * 7.4 + 22


def _border_point(node: DiagramNode, towards_x: float, towards_y: float, gap: float) -> tuple[float, float]:
    """Where the line from the node's centre towards a point leaves its box, plus a gap."""
    dx, dy = towards_x - node.x, towards_y - node.y
    length = math.hypot(dx, dy) or 1.0
    half_w, half_h = node.width / 2, node.height / 2
    t = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    return node.x + dx * t + dx / length * gap, node.y + dy * t + dy / length * gap


def route_diagram() -> Diagram:
    """Lay out the hand-placed nodes and clip each edge to the boxes it joins."""
    spec = routes_data()["diagram"]
    nodes = {n["key"]: DiagramNode(n["key"], n["label"], n["kind"], n["x"], n["y"],
                                   n.get("width") or _label_width(n["label"])) for n in spec["nodes"]}
    diagram = Diagram(spec["width"], spec["height"], list(nodes.values()), in_words=list(spec["routes_in_words"]))
    for edge in spec["edges"]:
        a, b = nodes[edge["from"]], nodes[edge["to"]]
        if b.width >= 300 or "to_offset" in edge:
            # Wide boxes are entered straight from above or below, at the given offset from the centre.
            bx = a.x if b.width >= 300 else b.x + edge["to_offset"]
            by = b.top - 4 if a.y < b.y else b.top + b.height + 4
            x1, y1 = _border_point(a, bx, by, 2)
            x2, y2 = bx, by
        else:
            x1, y1 = _border_point(a, b.x, b.y, 2)
            x2, y2 = _border_point(b, a.x, a.y, 4)
        diagram.edges.append(DiagramEdge(edge["mode"], x1, y1, x2, y2, f"{a.label} to {b.label} ({edge['mode']})"))
    return diagram


# --- places -----------------------------------------------------------------------------

@dataclass
class PlaceSummary:
    """A place in the /places/ index with its protected public count."""

    place: Place
    count: int | str


@dataclass
class PlaceTestimony:
    """A testimony that mentions a place, with matching passages if the search engine found any."""

    testimony: TestimonyView
    passages: list[Any] = field(default_factory=list)


def place_or_404(slug: str) -> Place:
    """A province or camp by slug; every other slug answers 404."""
    place = db.session.scalar(select(Place).where(Place.slug == slug, Place.kind.in_(PLACE_PAGE_KINDS)))
    if place is None:
        abort(404)
    return place


def main_name(place: Place) -> str:
    """The English name without its parenthetical: "Yodok (Kwalliso 15)" -> "Yodok"."""
    return _PARENTHESIS.sub("", place.name_en).strip() or place.name_en


def place_query(place: Place) -> str:
    """Search text for testimonies from, through or mentioning a place (any spelling).

    A quoted name matches the place in transcripts and summaries and in the narrator's origin and
    route. (``place:"South Hamgyong"`` is avoided: it also expands to North Hamgyong.)
    """
    name = main_name(place).replace('"', "")
    return f'"{name}"'


def _engine() -> Any:
    return current_app.extensions.get("search")


def _search_place(place: Place, audience: str, per_page: int) -> tuple[int, list[tuple[int, list[Any]]]] | None:
    """(total, [(testimony id, passages)]) from the search engine, or None if it is unavailable."""
    engine = _engine()
    if engine is None:
        return None
    try:
        results = engine.search(SearchRequest(q=place_query(place), audience=audience, per_page=per_page))
    except Exception:  # the index is derived data: fall back to the database rather than fail the page
        log.exception("place search failed; using the database")
        return None
    return results.total, [(hit.id, hit.passages) for hit in results.hits]


def _database_place_ids(place: Place, user: Any) -> list[int]:
    """Fallback without the search engine: origin, route or a spelling in visible text."""
    names = [n for n in {*place.variants, main_name(place)} if len(n) >= 2]
    likes = [f"%{n}%" for n in names]
    text = or_(*[Testimony.summary.ilike(p) for p in likes], *[RouteLeg.place.ilike(p) for p in likes])
    segment_ok = access.segment_filter(user)
    if access.audience_for(user) != access.STAFF:
        segment_ok = segment_ok & Testimony.consent_transcript.is_(True)
    in_segments = (select(Segment.testimony_id).join(Testimony, Segment.testimony_id == Testimony.id)
                   .where(segment_ok, or_(*[Segment.text.ilike(p) for p in likes])))
    # A home town is shown only where the narrator consented: matching on it is for staff alone.
    home = Narrator.origin_province_id == place.id
    if access.audience_for(user) == access.STAFF:
        home = or_(home, Narrator.origin_place_id == place.id)
    query = (select(Testimony.id).join(Narrator, Testimony.narrator_id == Narrator.id)
             .outerjoin(RouteLeg, RouteLeg.testimony_id == Testimony.id)
             .where(access.visible_filter(user), or_(home, text, Testimony.id.in_(in_segments)))
             .distinct().order_by(Testimony.id))
    return list(db.session.scalars(query))


def place_testimonies(place: Place, user: Any) -> list[PlaceTestimony]:
    """Testimonies the user may see that come from, pass through or mention the place."""
    found = _search_place(place, access.audience_for(user), MAX_PLACE_TESTIMONIES)
    pairs = found[1] if found is not None else [(i, []) for i in _database_place_ids(place, user)]
    ids = [i for i, _ in pairs]
    loaded = {t.id: t for t in db.session.scalars(
        select(Testimony).where(Testimony.id.in_(ids))
        .options(selectinload(Testimony.narrator), selectinload(Testimony.route)))}
    # The index may lag behind the database: the access policy (through the protected view) has the last word.
    found_views = []
    for i, passages in pairs:
        view = protected.testimony_view(user, loaded.get(i))
        if view is not None:
            found_views.append(PlaceTestimony(view, passages))
    return found_views[:MAX_PLACE_TESTIMONIES]


def public_place_count(place: Place) -> int:
    """How many public testimonies mention the place (anonymous audience)."""
    found = _search_place(place, access.PUBLIC, 1)
    if found is not None:
        return found[0]
    return len(_database_place_ids(place, None))


def place_index() -> list[tuple[str, list[PlaceSummary]]]:
    """Provinces and camps, each with the protected number of public testimonies mentioning them."""
    out = []
    for kind in PLACE_PAGE_KINDS:
        places = db.session.scalars(select(Place).where(Place.kind == kind).order_by(Place.name_en))
        out.append((str(PLACE_KIND_TITLES[kind]), [PlaceSummary(p, shown(public_place_count(p))) for p in places]))
    return out


def count_label(count: int, protect: bool) -> str:
    """'1 testimony', '3 testimonies' or 'fewer than 5 testimonies' when protected."""
    if protect and withheld(count):
        return _("%(fewer)s testimonies", fewer=FEWER)
    return ngettext("%(count)s testimony", "%(count)s testimonies", count, count=number(count))
