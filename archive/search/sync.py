"""Keep the search index in step with the database through an outbox.

Every flush that touches a testimony (or its narrator, route, transcript, tags or recording) inserts
outbox rows in the same transaction. After commit the outbox is drained: each listed testimony is
re-read from the database and written to (or removed from) the index. A rollback discards the rows
with everything else; a crash before draining leaves them for the next start or for
`flask search verify --repair`. Both steps are the "search-outbox" handlers of `archive.core.dispatch`,
which says what else runs after a flush and after a commit, and in which order.
"""
from __future__ import annotations

import fcntl
import logging
import threading
import time
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from archive.core import dispatch
from archive.core.extensions import db
from archive.models.base import utcnow
from archive.models import Narrator, RouteLeg, SearchOutbox, Segment, Testimony
from archive.formats.sanitize import html_to_text
from archive.search.engine import AUDIENCES, IndexBusy, SearchEngine, load_place_groups
from archive.policy.access import testimony_visibility
from archive.policy.protected import SegmentView, TestimonyView, audience_view
from archive.core.vocabulary import DATA_DIR

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Create the app's engine; register the outbox's flush and commit handlers with `archive.core.dispatch`."""
    # Outside tests, small index segments are merged by a background thread so that a curator's
    # save only writes its own testimony; tests merge in the foreground (deterministic).
    app.extensions["search"] = SearchEngine(
        Path(app.config["SEARCH_INDEX_DIR"]), load_place_groups(DATA_DIR / "places.csv"),
        background_merge=bool(app.config.get("SEARCH_BACKGROUND_MERGE", not app.testing)))
    app.extensions["search_drained_at_start"] = False
    dispatch.on_flush("search-outbox", _record_outbox)
    dispatch.after_commit("search-outbox", _drain_after_commit)

    app.extensions["search_embargo_sweep"] = None

    @app.before_request
    def _repair_once() -> None:
        # Repairs what a crash between commit and indexing left behind, once per process, and
        # once a day releases testimonies whose embargo has just ended into the public index.
        today = utcnow().date()
        if app.extensions["search_embargo_sweep"] != today:
            app.extensions["search_embargo_sweep"] = today
            enqueue_ended_embargoes(today)
            app.extensions["search_drained_at_start"] = False
        if not app.extensions.get("search_schema_checked"):
            app.extensions["search_schema_checked"] = True
            rebuild_if_outdated(app)
        if not app.extensions["search_drained_at_start"]:
            if not app.testing and not app.extensions.get("search_warmed"):
                app.extensions["search_warmed"] = True
                engine().warm_up()  # serving processes load Kiwi before the first Korean query
            app.extensions["search_drained_at_start"] = True
            drain_outbox()


def rebuild_if_outdated(app: Flask) -> bool:
    """Rebuild the index if it was built with another schema version; True if a rebuild ran or started.

    Outside tests the rebuild runs in a background thread: searches keep using the old index
    until the new one is swapped in (a large archive takes minutes to reindex).
    """
    found = app.extensions["search"].schema_outdated()
    if found is None:
        return False
    log.warning("search index schema version %s differs from this code's; rebuilding it "
                "(the same as `flask --app wsgi search reindex`)", found)

    def rebuild() -> None:
        with app.app_context():
            try:
                count = reindex()
            except IndexBusy:
                log.warning("another process is already rebuilding the search index")
                return
            except Exception:
                log.exception("automatic search reindex failed; run `flask --app wsgi search reindex`")
                return
            log.warning("search index rebuilt: %d testimonies", count)

    if app.config.get("SEARCH_REBUILD_IN_BACKGROUND", not app.testing):
        threading.Thread(target=rebuild, name="search-reindex", daemon=True).start()
    else:
        rebuild()
    return True


def enqueue_ended_embargoes(today: date, window_days: int = 31) -> int:
    """Queue testimonies whose embargo ended recently: the index judged them when they were sealed."""
    with Session(db.engine) as session:
        ids = session.scalars(select(Testimony.id).where(
            Testimony.embargo_until.is_not(None), Testimony.embargo_until <= today,
            Testimony.embargo_until > today - timedelta(days=window_days))).all()
        if ids:
            dispatch.record(session, SearchOutbox, ids)
            session.commit()
    return len(ids)


def engine() -> SearchEngine:
    """The current app's search engine."""
    return current_app.extensions["search"]


def _record_outbox(session: Session, ids: set[int]) -> set[int]:
    dispatch.record(session, SearchOutbox, ids)
    return ids


def _drain_after_commit(session: Session, ids: set[int]) -> None:
    if current_app.config.get("SEARCH_SYNC", True):
        drain_outbox()


def drain_outbox(limit: int = 500, timeout: float = 30.0) -> int:
    """Apply pending outbox rows to the index; returns how many testimonies were refreshed.

    Drains in different processes take turns: one that read the database before another process's
    commit must not overwrite the fresher document that process indexes afterwards.
    """
    with _drain_lock(timeout) as acquired:
        if not acquired:
            log.warning("another process is draining the search outbox; rows stay for later")
            return 0
        return _drain(limit)


@contextmanager
def _drain_lock(timeout: float) -> Iterator[bool]:
    """An exclusive advisory lock on a file beside the index, shared by every process."""
    directory = Path(current_app.config["SEARCH_INDEX_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "outbox.lock", "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.02)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _drain(limit: int) -> int:
    done = 0
    with Session(db.engine) as session:
        for ids, clear in dispatch.batches(session, SearchOutbox, limit):
            upserts, deletes = load_documents(session, ids)
            try:
                engine().apply(upserts, deletes)
            except IndexBusy:
                log.warning("search index busy; %d testimonies stay in the outbox", len(ids))
                return done
            session.execute(clear)  # only once indexed: a failure leaves the rows for the next drain
            session.commit()
            done += len(ids)
    return done


def load_documents(session: Session, ids: Iterable[int]) -> tuple[list[dict[str, Any]], list[int]]:
    """Build index documents for the testimonies that exist; the rest are deletions."""
    ids = list(ids)
    testimonies = session.scalars(_document_query().where(Testimony.id.in_(ids))).all()
    found = {t.id for t in testimonies}
    return [build_document(t) for t in testimonies], [i for i in ids if i not in found]


def _document_query(segments: bool = True) -> Any:
    narrator = selectinload(Testimony.narrator)
    return select(Testimony).options(
        *([selectinload(Testimony.segments)] if segments else []),
        selectinload(Testimony.route).selectinload(RouteLeg.country),
        selectinload(Testimony.topics), selectinload(Testimony.recordings),
        narrator.selectinload(Narrator.origin_province), narrator.selectinload(Narrator.origin_place),
        narrator.selectinload(Narrator.occupation), narrator.selectinload(Narrator.education),
        narrator.selectinload(Narrator.residence_region),
    )


def _segment_rows(session: Session, ids: list[int]) -> dict[int, list[Any]]:
    """The segments of these testimonies as plain rows, in order (a rebuild reads millions)."""
    rows: dict[int, list[Any]] = {}
    query = (
        select(Segment.testimony_id, Segment.id, Segment.position, Segment.start, Segment.end, Segment.speaker,
               Segment.text, Segment.language, Segment.restricted)
        .where(Segment.testimony_id.in_(ids))
        .order_by(Segment.testimony_id, Segment.position, Segment.id)
    )
    for row in session.execute(query):
        rows.setdefault(row.testimony_id, []).append(row)
    return rows


def build_document(t: Testimony, segments: list[Any] | None = None) -> dict[str, Any]:
    """The document the engine indexes: one per audience, each built from that audience's protected view.

    An audience that may not see the testimony gets None (the engine removes it from that
    audience's index). Everything in an audience's document comes from `audience_view`:
    transcript text only with transcript access (consent, for researchers as for the public)
    and without withheld passages, speaker labels with the narrator's real name replaced,
    the generalised profile (bands, province) unless the audience is staff. Consent notes are
    never part of any document, and real names of none but the staff one (a speaker label
    there may still carry it; labels are not indexed).

    `segments` (rows with the Segment columns) saves loading `t.segments` as objects.
    """
    visibility = testimony_visibility(t)
    audiences: dict[str, dict[str, Any] | None] = {}
    for audience in AUDIENCES:
        view = audience_view(audience, t)
        audiences[audience] = None if view is None else _audience_document(view, segments)
    n = t.narrator
    return {
        "id": t.id,
        "stamp": f"{t.version}:{t.updated_at.isoformat()}:{n.updated_at.isoformat()}:{visibility}",
        "audiences": audiences,
    }


def _band(band: Any) -> list[int] | None:
    return None if band is None else [band.low, band.high]


def _audience_document(view: TestimonyView, rows: list[Any] | None) -> dict[str, Any]:
    """One audience's document: only what `view` shows."""
    profile = view.narrator
    passages: list[SegmentView]
    if not view.can_read_transcript:
        passages = []
    elif rows is None:
        passages = view.segments
    else:
        passages = [view.segment_from_row(row) for row in rows]
    places = [place.name_en for place in (profile.home_province, profile.home_place) if place is not None]
    places += [stop.place for stop in view.route if stop.place]
    # The public and researchers find the narrator by the name they are shown; staff also by the
    # pseudonym and the public name whatever the consent (never by the real name).
    names = [profile.display_name] if not view.staff else [view.model.narrator.pseudonym,
                                                           view.model.narrator.public_name]
    return {
        "external_id": view.external_id or "",
        "title": view.title,
        "summary": html_to_text(view.summary),
        "pseudonym": names[0],
        "public_name": names[1] if len(names) > 1 else None,
        "origin_province": profile.home_province.slug if profile.home_province else None,
        "origin_place": profile.home_place.slug if profile.home_place else None,
        "place_names": places,
        "route_countries": list(dict.fromkeys(stop.country.slug for stop in view.route if stop.country)),
        "tags": [topic.slug for topic in view.topics],
        "languages": view.languages,
        "gender": profile.gender,
        "left_north": _band(profile.left),
        "arrived_south": _band(profile.arrived),
        "age_group": profile.age_group,
        "occupation": profile.occupation.slug if profile.occupation else None,
        "education": profile.education.slug if profile.education else None,
        "residence_region": profile.residence.slug if profile.residence else None,
        "interview_date": view.interview_date,
        "duration": view.duration,  # shown on the testimony page to whoever sees it; sorts results
        # Withheld passages are left out altogether; only staff documents hold restricted ones.
        "segments": [
            {"id": s.id, "start": s.start, "end": s.end, "speaker": s.speaker, "text": s.text,
             "language": s.language or view.main_language, "restricted": s.restricted}
            for s in passages if not s.withheld
        ],
    }


def iter_all_documents(progress: Callable[[int], None] | None = None, batch: int = 200) -> Iterable[dict[str, Any]]:
    """Every testimony as a document, in batches so memory stays flat."""
    with Session(db.engine) as session:
        ids = session.scalars(select(Testimony.id).order_by(Testimony.id)).all()
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            segments = _segment_rows(session, chunk)
            for t in session.scalars(_document_query(segments=False).where(Testimony.id.in_(chunk))):
                yield build_document(t, segments.get(t.id, []))
            session.expunge_all()


def reindex(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the index from the database; pending outbox rows become redundant."""
    with Session(db.engine) as session:
        session.execute(delete(SearchOutbox))
        session.commit()
    return engine().rebuild(iter_all_documents(), progress=progress)


def verify(repair: bool = False) -> dict[str, list[int]]:
    """Compare the index with the database; with repair, fix every difference found."""
    indexed = engine().stamps("staff")
    expected: dict[int, str] = {doc["id"]: doc["stamp"] for doc in iter_all_documents()}
    report = {
        "missing": sorted(set(expected) - set(indexed)),
        "stale": sorted(i for i in expected if i in indexed and indexed[i] != expected[i]),
        "orphaned": sorted(set(indexed) - set(expected)),
    }
    if repair and any(report.values()):
        with _drain_lock(60.0) as acquired, Session(db.engine) as session:
            if not acquired:
                raise IndexBusy("another process holds the search outbox lock; try again")
            ids = report["missing"] + report["stale"] + report["orphaned"]
            upserts, deletes = load_documents(session, ids)
            engine().apply(upserts, deletes)
    return report
