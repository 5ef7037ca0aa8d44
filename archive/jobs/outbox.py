"""Public-copy work recorded in the same transaction as the change that needs it.

A flush touching a testimony with a recording (upload, replacement, removal, a passage restricted or
unrestricted, segment times, consent, publication) inserts an outbox row; after commit the rows are
handed to the queue and deleted (the "public-copies" handlers of `archive.core.dispatch`, registered
by `archive.jobs.init_app`). A rollback discards them with the change; a crash between commit and
hand-off leaves them for the next `drain` (every `jobs run` starts with one), and `sweep` compares
every recording with its copy, so even a lost queue message is found again.
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.core import dispatch
from archive.core.extensions import db
from archive.models import PublicCopyOutbox, Recording, Testimony

log = logging.getLogger(__name__)


def record(session: Session, touched: set[int]) -> set[int]:
    """The "public-copies" flush handler: an outbox row per touched testimony that has or had a recording."""
    direct = {obj.testimony_id for obj in [*session.new, *session.dirty, *session.deleted]
              if isinstance(obj, Recording) and obj.testimony_id is not None}
    direct |= {obj.id for obj in session.deleted if isinstance(obj, Testimony) and obj.id is not None}
    rest = touched - direct
    if rest:
        direct |= set(session.connection().scalars(
            select(Recording.testimony_id).where(Recording.testimony_id.in_(rest)).distinct()))
    if direct:
        dispatch.record(session, PublicCopyOutbox, direct)
    return direct


def drain_after_commit(session: Session, ids: set[int]) -> None:
    """The "public-copies" after-commit handler (an app without a queue leaves the rows to `jobs run`)."""
    if "jobs" in current_app.extensions:
        drain()


def drain(limit: int = 500) -> int:
    """Hand outbox rows to the queue; returns how many testimonies were queued."""
    jobs = current_app.extensions["jobs"]
    queued = 0
    with Session(db.engine) as session:
        for ids, clear in dispatch.batches(session, PublicCopyOutbox, limit):
            # Rows go first (an immediate queue runs the job right here, and SQLite allows one writer);
            # a crash before queueing is repaired by the next `sweep`, which compares every copy anyway.
            session.execute(clear)
            session.commit()
            for testimony_id in ids:
                try:
                    jobs.enqueue_copies(testimony_id)
                except Exception:  # the broker is down: the sweep of the next `jobs run` finds the copy again
                    log.exception("could not queue the public copies of testimony %s", testimony_id)
            queued += len(ids)
    return queued


def sweep() -> int:
    """Queue every testimony whose copies are missing, outdated or abandoned by a dead worker."""
    from archive.media import copies

    jobs = current_app.extensions["jobs"]
    ids = copies.stale_testimony_ids()
    for testimony_id in ids:
        jobs.enqueue_copies(testimony_id)
    copies.remove_orphan_files()
    return len(ids)
