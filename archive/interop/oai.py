"""What the archive exposes to metadata harvesters, and the memory of what it once exposed.

The OAI-PMH endpoint shows exactly what the access policy lets an anonymous visitor see, as
Dublin Core. Every testimony that was ever shown gets a row in `oai_records`; when it leaves the
public archive (withdrawn consent, restricted, unpublished, embargoed, deleted) the row stays and is
marked deleted, so harvesters remove their copy. A testimony that was never public has no row and
answers exactly like an identifier that never existed.

Rows follow the database two ways, both through `sync`:
- after every commit that touched a testimony (or its narrator, route, transcript, tags or
  recordings), for those testimonies (the "oai-records" handler of `archive.core.dispatch`): a
  record published and withdrawn between two harvests is still reported as deleted;
- before serving a harvest, for the whole archive (at most every `OAI_FULL_SYNC_SECONDS`): this
  catches what no commit announces, such as an embargo ending or a vocabulary label changing.
A row's datestamp moves whenever the exposed metadata or sets change (compared by fingerprint),
so incremental harvests (`from=`) pick the change up.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from archive.core import dispatch
from archive.core.extensions import db
from archive.models import Narrator, RouteLeg, Testimony, Topic
from archive.models.base import utcnow
from archive.models.oai import OaiRecord
from archive.policy import access, protected
from archive.policy.protected import TestimonyView
from archive.formats.sanitize import html_to_text
from archive.interop import profiles

log = logging.getLogger(__name__)

DEMO_SET = "collection:demo"
ARCHIVE_SET = "collection:archive"
DEFAULT_NAME = "North Korean Defectors' Testimony Archive"
DEFAULT_RIGHTS = ("Published with the narrator's consent for research and education. "
                  "Narrators are identified by pseudonym; ask the archive before reuse.")
FICTIONAL_NOTICE = "Fictional demonstration testimony: the narrator and events are invented."


# -- what a public testimony looks like to the outside world ------------------------------------

def is_demo(testimony: Testimony | TestimonyView) -> bool:
    """Records of the bundled demonstration collection: fictional, or loaded as demo-* records."""
    return testimony.fictional or (testimony.external_id or "").startswith("demo-")


def record_sets(testimony: Testimony | TestimonyView) -> list[str]:
    """The set specs of a public testimony: its collection and one per topic."""
    return [DEMO_SET if is_demo(testimony) else ARCHIVE_SET] + [f"topic:{topic.slug}" for topic in testimony.topics]


def describe(testimony: Testimony | TestimonyView) -> dict[str, list[str]]:
    """Dublin Core (unqualified, element → values) of a testimony as its protected view shows it.

    Harvesters get the public view (`audience_view("public", t)`; a Testimony is read that way); the
    Dublin Core <meta> of a page gets the reader's own view. Only what the view holds goes in: the
    shown name, never a real name; no transcript text at all; recordings only when the audience may
    hear them; the narrator's profile and years generalised (decades, five-year bands, province)
    unless the narrator consented to exact values.
    """
    view = testimony if isinstance(testimony, TestimonyView) else protected.audience_view(access.PUBLIC, testimony)
    if view is None:
        raise LookupError("not a public testimony")
    profile = view.narrator
    description = [text for text in (html_to_text(view.summary).strip(), profiles.sentence(profile)) if text]
    if view.fictional:
        description.append(FICTIONAL_NOTICE)
    types, formats = [], []
    if view.recordings:
        types.append("MovingImage" if any(r.is_video for r in view.recordings) else "Sound")
        formats = sorted({r.mime_type for r in view.recordings if r.mime_type})
    if not types or view.readable_segments:
        types.append("Text")
    coverage = [place for place in (profiles.home(profile),) if place]
    coverage += [stop.country.name_en for stop in view.route if stop.country is not None]
    bands = [band for band in [stop.year for stop in view.route] + [profile.left, profile.arrived] if band]
    if bands:
        low, high = min(band.low for band in bands), max(band.high for band in bands)
        coverage.append(str(low) if low == high else f"{low}/{high}")
    return {
        "title": [view.title],
        "creator": [profile.display_name],
        "subject": [topic.label_en for topic in view.topics],
        "description": description,
        "publisher": [repository_name()],
        "contributor": [view.interviewer] if view.interviewer else [],
        "date": [view.interview_date] if view.interview_date else [],
        "type": types,
        "format": formats,
        "language": list(view.languages),
        "coverage": list(dict.fromkeys(coverage)),
        "rights": [FICTIONAL_NOTICE if view.fictional else current_app.config.get("OAI_RIGHTS") or DEFAULT_RIGHTS,
                   *([current_app.config["RIGHTS_URI"]] if current_app.config.get("RIGHTS_URI") else [])],
    }


def repository_name() -> str:
    """The archive's name as harvesters and citations show it."""
    return current_app.config.get("OAI_REPOSITORY_NAME") or DEFAULT_NAME


def fingerprint(metadata: dict[str, list[str]], sets: list[str]) -> str:
    """A hash of everything a harvester receives for one record."""
    return hashlib.sha256(json.dumps([metadata, sets], sort_keys=True).encode()).hexdigest()


def public_testimony(testimony_id: int) -> Testimony | None:
    """A testimony with everything `describe` needs, if an anonymous visitor may see it."""
    t = db.session.scalars(_public_query().where(Testimony.id == testimony_id)).first()
    return t if access.can_view(None, t) else None


def _public_query() -> Any:
    narrator = selectinload(Testimony.narrator)
    return (select(Testimony).where(access.visible_filter(None))
            .options(narrator.selectinload(Narrator.origin_province), narrator.selectinload(Narrator.origin_place),
                     narrator.selectinload(Narrator.occupation), narrator.selectinload(Narrator.education),
                     narrator.selectinload(Narrator.residence_region),
                     selectinload(Testimony.route).selectinload(RouteLeg.country),
                     selectinload(Testimony.topics), selectinload(Testimony.recordings),
                     selectinload(Testimony.segments)))


# -- keeping oai_records in step -------------------------------------------------------------------

@dataclass
class SyncReport:
    added: int = 0
    changed: int = 0
    deleted: int = 0


def now() -> datetime:
    """The datestamp of a change: UTC, to the second (the protocol's granularity)."""
    return utcnow().replace(microsecond=0)


def sync(ids: Iterable[int] | None = None) -> SyncReport:
    """Bring `oai_records` in line with what anonymous visitors may see now (all, or these testimonies)."""
    id_list = None if ids is None else sorted(set(ids))
    for attempt in (1, 2):
        with Session(db.engine) as session:
            try:
                report = _sync(session, id_list)
                session.commit()
                return report
            except IntegrityError:
                # Another process recorded the same testimony a moment ago; its row is used next time round.
                session.rollback()
                if attempt == 2:
                    raise
    raise AssertionError("unreachable")


def _sync(session: Session, ids: list[int] | None) -> SyncReport:
    report = SyncReport()
    stamp = now()
    query = _public_query()
    rows_query = select(OaiRecord)
    if ids is not None:
        query = query.where(Testimony.id.in_(ids))
        rows_query = rows_query.where(or_(OaiRecord.testimony_id.in_(ids),
                                          and_(OaiRecord.testimony_id.is_(None), OaiRecord.deleted.is_(False))))
    views = (protected.audience_view(access.PUBLIC, t) for t in session.scalars(query))
    public = {view.id: view for view in views if view is not None}
    rows = list(session.scalars(rows_query))
    by_testimony = {row.testimony_id: row for row in rows if row.testimony_id is not None}
    for testimony_id, view in sorted(public.items()):
        sets = record_sets(view)
        print_ = fingerprint(describe(view), sets)
        row = by_testimony.get(testimony_id)
        if row is None:
            session.add(OaiRecord(identifier=_free_identifier(session, testimony_id), testimony_id=testimony_id,
                                  datestamp=stamp, deleted=False, sets=_sets_column(sets), fingerprint=print_))
            report.added += 1
        elif row.deleted or row.fingerprint != print_:
            row.deleted, row.datestamp, row.sets, row.fingerprint = False, stamp, _sets_column(sets), print_
            report.changed += 1
    for row in rows:
        if not row.deleted and row.testimony_id not in public:
            # The sets stay as they were when the record was public, so set-wise harvesters see the deletion.
            row.deleted, row.datestamp = True, stamp
            report.deleted += 1
    return report


def _sets_column(sets: list[str]) -> str:
    return " " + " ".join(sets) + " "


def _free_identifier(session: Session, testimony_id: int) -> str:
    """`testimony/<id>`; should a deleted testimony's id come back (SQLite reuses them), a suffix keeps both apart."""
    base = f"testimony/{testimony_id}"
    taken = set(session.scalars(select(OaiRecord.identifier).where(
        or_(OaiRecord.identifier == base, OaiRecord.identifier.startswith(base + "-")))))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def init_app(app: Flask) -> None:
    """Follow every commit that may change what harvesters see ("oai-records" in `archive.core.dispatch`)."""
    app.extensions["oai_full_sync_at"] = None
    dispatch.after_commit("oai-records", _sync_after_commit)


def _sync_after_commit(session: Session, ids: set[int]) -> None:
    if not current_app.config.get("OAI_SYNC_ON_COMMIT", True):
        return
    try:
        sync(ids)
    except SQLAlchemyError as error:
        # The change itself is committed; the next harvest's full pass records it.
        log.warning("OAI record tracking deferred to the next harvest (%s)", type(error).__name__)


def sync_if_due() -> None:
    """Run the full pass before a harvest, at most every OAI_FULL_SYNC_SECONDS per process."""
    interval = float(current_app.config.get("OAI_FULL_SYNC_SECONDS", 60))
    last = current_app.extensions.get("oai_full_sync_at")
    if last is None or time.monotonic() - last >= interval:
        sync()
        current_app.extensions["oai_full_sync_at"] = time.monotonic()


# -- reading for the protocol -------------------------------------------------------------------------

def earliest_datestamp() -> datetime:
    """The oldest datestamp a harvester can receive (now, while nothing has been exposed)."""
    return db.session.scalar(select(func.min(OaiRecord.datestamp))) or now()


def record(local_identifier: str) -> OaiRecord | None:
    """The tracked record with this local identifier (live or deleted), or None."""
    return db.session.scalar(select(OaiRecord).where(OaiRecord.identifier == local_identifier))


def _records_query(start: datetime | None, end: datetime | None, set_spec: str | None) -> Any:
    query = select(OaiRecord)
    if start is not None:
        query = query.where(OaiRecord.datestamp >= start)
    if end is not None:
        query = query.where(OaiRecord.datestamp <= end)
    if set_spec:
        # A set includes its subsets: "topic" holds every "topic:..." record.
        query = query.where(or_(OaiRecord.sets.contains(f" {set_spec} ", autoescape=True),
                                OaiRecord.sets.contains(f" {set_spec}:", autoescape=True)))
    return query


def records_page(start: datetime | None, end: datetime | None, set_spec: str | None,
                 after_id: int, limit: int) -> tuple[list[OaiRecord], int, bool]:
    """One page of records after `after_id` (in id order), the complete list size, and whether more follow."""
    query = _records_query(start, end, set_spec)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(query.where(OaiRecord.id > after_id).order_by(OaiRecord.id).limit(limit + 1)))
    return rows[:limit], total, len(rows) > limit


def testimonies_for(rows: list[OaiRecord]) -> dict[int, TestimonyView]:
    """The public views of the live testimonies behind live records that an anonymous visitor may still see."""
    ids = [row.testimony_id for row in rows if not row.deleted and row.testimony_id is not None]
    if not ids:
        return {}
    found = db.session.scalars(_public_query().where(Testimony.id.in_(ids)))
    views = (protected.audience_view(access.PUBLIC, t) for t in found if access.can_view(None, t))
    return {view.id: view for view in views if view is not None}


def sets() -> list[tuple[str, str]]:
    """Every set (spec, name): the collections and the whole topic vocabulary (not only topics in use)."""
    topics = db.session.scalars(select(Topic).order_by(Topic.slug))
    return [("collection", "Collections"),
            (ARCHIVE_SET, "Archive testimonies"),
            (DEMO_SET, "Demonstration collection (fictional testimonies and a public-record profile)"),
            ("topic", "Topics")] + [(f"topic:{topic.slug}", topic.label_en) for topic in topics]
