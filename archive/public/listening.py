"""Read side of the listening page: the player settings, the context around a testimony and related ones.

Every query goes through the access policy (`access.visible_filter`, `access.hearable_filter`), and
everything rendered of a testimony is its protected view (`archive.policy.protected`); nothing here commits.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from archive.statistics import data as statistics_data
from archive.core.extensions import db
from archive.core.i18n import current_locale, label, number
from archive.media import copies
from archive.models import Narrator, Place, Recording, RouteLeg, Testimony
from archive.models.testimonies import testimony_topics
from archive.policy import access, protected
from archive.policy.disclosure import Band
from archive.policy.protected import TestimonyView
from archive.formats import timecode
from archive.public import moments as search_moments
from archive.public.hear import ROUTE_DESTINATION, card_details
from archive.interop import citations, exchange
from archive.statistics.figures import current_table
from archive.statistics.wording import as_of_text, table_source

log = logging.getLogger(__name__)

RELATED_LIMIT = 4
STATISTICS_URL = "/statistics"
ARRIVALS_ANCHOR = "arrivals"
PROVINCE_ANCHOR = "by_home_province"
SPEEDS = (0.75, 1.0, 1.25, 1.5, 2.0)

# What happened at each stop of a route, said in words ("Was arrested in Tumen, China");
# %(where)s is filled in by the template (the place, then a link to the country).
EVENT_PHRASES = {
    "transit": _l("Passed through %(where)s"),
    "worked": _l("Worked in %(where)s"),
    "hid": _l("Hid in %(where)s"),
    "arrested": _l("Was arrested in %(where)s"),
    "repatriated": _l("Was forcibly returned to %(where)s"),
    "arrived": _l("Arrived in %(where)s"),
}


# ---------------------------------------------------------------------------------------------
# Listening page


@dataclass
class Stop:
    """One stop of the narrator's route, in words."""

    phrase: str
    place: str
    country: str
    country_slug: str
    year: str | None
    event: str

    @property
    def browsable(self) -> bool:
        """Whether the landing page can usefully be filtered by this stop's country."""
        return bool(self.country_slug) and self.country_slug != ROUTE_DESTINATION


@dataclass
class Figure:
    """A sentence linking the narrator to the published statistics."""

    text: str
    url: str
    source: str
    source_lang: str = "en"


@dataclass
class Related:
    """A related testimony and why it is related."""

    testimony: TestimonyView
    reasons: list[str]


@dataclass
class ListeningPage:
    """What the listening page shows beside the testimony itself."""

    start: float
    autoplay: bool
    can_hear: bool
    can_read_transcript: bool
    staff: bool
    itinerary: list[Stop]
    arrival: Figure | None
    province: Figure | None
    related: list[Related]
    caption_language: str
    current_position: int | None
    citation: citations.Citation  # the citation box
    dublin_core: dict[str, Any]  # <meta name="DC.*"> tags
    downloads: exchange.Downloads  # captions per language, OHMS, IIIF beside the transcripts
    speeds: tuple[float, ...] = SPEEDS
    copy_pending: bool = False  # the public copy is being made (or failed): no audio yet, a notice instead
    moments: search_moments.Moments | None = None  # ?q=: the searched words, marked in the transcript


def _short_source(table: Any) -> tuple[str, str]:
    """"Ministry of Unification of the Republic of Korea, end of 2024" (통일부, 2024년 말) and its language."""
    source, lang = table_source(table)
    name = source.split("(")[0].split(";")[0].strip().rstrip(",") or source
    as_of = as_of_text(table.as_of) if lang == "ko" else table.as_of
    return (f"{name}, {as_of}" if as_of else name), lang


def itinerary(view: TestimonyView) -> list[Stop]:
    """The route as ordered stops with what happened at each, in words (years as the audience sees them)."""
    stops = []
    for leg in view.route:
        phrase = str(EVENT_PHRASES.get(leg.event, leg.event.capitalize() + " %(where)s"))
        stops.append(Stop(phrase, leg.place, label(leg.country) if leg.country else "",
                          leg.country.slug if leg.country else "", leg.year.label if leg.year else None, leg.event))
    return stops


def arrival_figure(arrived: int | Band | None) -> Figure | None:
    """Place the arrival among the yearly figures (an administrator's update wins over the CSV).

    A generalised profile shows a band of years ("2005–2009"): the figure then counts the arrivals
    of the whole band, so the sentence reveals no more than the profile does.
    """
    if arrived is None:
        return None
    if isinstance(arrived, Band) and arrived.low != arrived.high:
        return _band_figure(arrived)
    year = arrived.low if isinstance(arrived, Band) else arrived
    try:
        table = current_table(statistics_data.ARRIVALS)
        peak, peak_count = statistics_data.peak_year(table)
    except (OSError, ValueError, KeyError):  # a broken statistics file must not break a testimony page
        log.warning("arrivals statistics unavailable", exc_info=True)
        return None
    url = f"{STATISTICS_URL}#{ARRIVALS_ANCHOR}"
    source = _short_source(table)
    for row in table.rows:
        first, last = row.get("first_year"), row["last_year"]
        if not (first is None and year <= last) and not (first is not None and first <= year <= last):
            continue
        total = number(row["total"])
        if first == last:
            if year == peak:
                text = _("Arrived in %(year)s, the peak year: %(total)s arrivals", year=year, total=total)
            else:
                text = _("Arrived in %(year)s: %(total)s arrivals that year (the peak was %(peak)s: %(peak_count)s)",
                         year=year, total=total, peak=peak, peak_count=number(peak_count))
        elif first is None:
            text = _("Arrived in %(year)s: %(total)s arrivals in all up to the end of %(last)s",
                     year=year, total=total, last=last)
        else:
            text = _("Arrived in %(year)s: %(total)s arrivals in %(first)s–%(last)s (counted together)",
                     year=year, total=total, first=first, last=last)
        return Figure(text, url, *source)
    return Figure(_("Arrived in %(year)s: figures for that year are not yet published", year=year), url, *source)


def _band_figure(band: Band) -> Figure | None:
    """The arrivals of every year of a band, from the yearly rows that lie inside it."""
    try:
        table = current_table(statistics_data.ARRIVALS)
    except (OSError, ValueError, KeyError):
        log.warning("arrivals statistics unavailable", exc_info=True)
        return None
    url = f"{STATISTICS_URL}#{ARRIVALS_ANCHOR}"
    inside = [row for row in table.rows
              if row.get("first_year") is not None and band.low <= row["first_year"] and row["last_year"] <= band.high]
    covered = {year for row in inside for year in range(row["first_year"], row["last_year"] + 1)}
    if not inside or len(covered) < band.high - band.low + 1:
        return Figure(_("Arrived in %(years)s: figures for all of those years are not yet published",
                        years=band.label), url, *_short_source(table))
    total = sum(int(row["total"]) for row in inside)
    return Figure(_("Arrived in %(years)s: %(total)s arrivals in those years", years=band.label, total=number(total)),
                  url, *_short_source(table))


def province_figure(place: Place | None) -> Figure | None:
    """How many arrivals came from the narrator's home province."""
    if place is None:
        return None
    try:
        table = current_table("by_home_province")
    except (OSError, ValueError, KeyError):
        log.warning("province statistics unavailable", exc_info=True)
        return None
    names = {name.casefold() for name in place.variants}
    totals = [(row, int(row["male"]) + int(row["female"])) for row in table.rows]
    everyone = sum(total for _, total in totals)
    ranked = sorted(totals, key=lambda item: -item[1])
    for rank, (row, total) in enumerate(ranked, start=1):
        labels = {str(row.get("category") or "").casefold(), str(row.get("category_ko") or "").casefold()}
        labels |= {label.removesuffix("도").removesuffix("시") for label in labels}
        if not names & labels:
            continue
        share = round(100 * total / everyone) if everyone else 0
        if rank == 1:
            text = _("%(place)s: %(total)s arrivals (%(share)s%% of those whose home province is recorded), "
                     "the most of any province", place=label(place), total=number(total), share=share)
        else:
            text = _("%(place)s: %(total)s arrivals (%(share)s%% of those whose home province is recorded), "
                     "ranked %(rank)s of %(count)s provinces", place=label(place), total=number(total), share=share,
                     rank=rank, count=len(ranked))
        return Figure(text, f"{STATISTICS_URL}#{PROVINCE_ANCHOR}", *_short_source(table))
    return None


def related(user: Any, t: Testimony, limit: int = RELATED_LIMIT) -> list[Related]:
    """Visible testimonies sharing the home province, a route country or a topic, best matches first."""
    visible = access.visible_filter(user)
    scores: Counter[int] = Counter()
    reasons: dict[int, list[str]] = {}

    def note(testimony_id: int, weight: int, reason: str) -> None:
        scores[testimony_id] += weight
        reasons.setdefault(testimony_id, []).append(reason)

    province = t.narrator.origin_province
    if province is not None:
        for (other,) in db.session.execute(
                select(Testimony.id).join(Narrator, Testimony.narrator_id == Narrator.id)
                .where(visible, Testimony.id != t.id, Narrator.origin_province_id == province.id)):
            note(other, 2, _("also from %(place)s", place=label(province)))
    countries = {leg.country_id: leg.country for leg in t.route
                 if leg.country and leg.country.slug != ROUTE_DESTINATION}
    if countries:
        for other, country_id in db.session.execute(
                select(RouteLeg.testimony_id, RouteLeg.country_id).distinct()
                .join(Testimony, Testimony.id == RouteLeg.testimony_id)
                .where(visible, Testimony.id != t.id, RouteLeg.country_id.in_(list(countries)))):
            note(other, 1, _("also through %(country)s", country=label(countries[country_id])))
    topics = {topic.id: topic for topic in t.topics}
    if topics:
        for other, topic_id in db.session.execute(
                select(testimony_topics.c.testimony_id, testimony_topics.c.topic_id)
                .join(Testimony, Testimony.id == testimony_topics.c.testimony_id)
                .where(visible, Testimony.id != t.id, testimony_topics.c.topic_id.in_(list(topics)))):
            name = label(topics[topic_id])
            note(other, 1, _("also about %(topic)s", topic=name.lower() if current_locale() == "en" else name))
    if not scores:
        return []
    loaded = {other.id: other for other in db.session.scalars(
        select(Testimony).where(Testimony.id.in_(list(scores)), visible).options(*card_details()))}
    newest_first = sorted(loaded, key=lambda other: (loaded[other].published_at or datetime.min, other), reverse=True)
    best = sorted(newest_first, key=lambda other: -scores[other])
    return [Related(view, reasons[view.id]) for view in protected.testimony_views(
        user, [loaded[other] for other in best[:limit]])]


def listening_page(user: Any, view: TestimonyView, *, start_param: str | None = None,
                   autoplay: bool = False, query: str | None = None) -> ListeningPage:
    """Gather the player settings and the context around a testimony's protected view.

    ``?t=START,END`` (a passage) starts at START here; ``?q=`` marks the searched words, and without a
    start the page opens on their first line.
    """
    can_hear = view.recording is not None
    copy_pending = can_hear and not view.staff and copies.servable_copy(view.recording) is None
    can_hear = can_hear and not copy_pending
    duration = view.recording.duration_seconds if view.recording is not None else None
    start = timecode.parse_start((start_param or "").split(",", 1)[0], duration)
    moments = search_moments.find(user, view, query, start)
    if moments is not None and moments.matches and not start:
        start = moments.matches[0].start
    current = None
    if start or (moments is not None and moments.matches):
        for segment in view.segments:
            if segment.start <= start:
                current = segment.position
            else:
                break
    languages = [s.language for s in view.readable_segments if s.language]
    caption_language = view.main_language or (Counter(languages).most_common(1)[0][0] if languages else "")
    return ListeningPage(
        start=start, autoplay=autoplay and can_hear, can_hear=can_hear,
        can_read_transcript=view.can_read_transcript, staff=view.staff,
        itinerary=itinerary(view), arrival=arrival_figure(view.narrator.arrived),
        province=province_figure(view.narrator.home_province), related=related(user, view.model),
        caption_language=caption_language, current_position=current, copy_pending=copy_pending,
        citation=citations.cite(view), dublin_core=citations.dublin_core(view),
        downloads=exchange.offered_downloads(user, view), moments=moments,
    )


def recording_is_public(t: Testimony) -> bool:
    """Whether anyone at all may hear the recording (so shared caches may keep it): the same rule as for an
    anonymous visitor, the face-and-voice consent of a video included."""
    return access.can_hear(None, t)


def hearable_recording(user: Any, recording_id: int) -> Recording | None:
    """The recording if the user may hear it, else None (missing and hidden look the same)."""
    recording = db.session.get(Recording, recording_id)
    if recording is None or not access.can_hear(user, recording.testimony):
        return None
    return recording
