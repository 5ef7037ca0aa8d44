"""Public-copy work recorded in the same transaction as the change that needs it.

A flush touching a testimony with a recording (upload, replacement, removal, a passage restricted or
unrestricted, segment times, consent, publication) inserts an outbox row; after commit the rows are
handed to the queue and deleted. A rollback discards them with the change; a crash between commit and
hand-off leaves them for the next `drain` (every `jobs run` starts with one), and `sweep` compares
every recording with its copy, so even a lost queue message is found again.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session

from archive.core.extensions import db
from archive.models import PublicCopyOutbox, Recording, Testimony
from archive.core.changes import touched_testimony_ids

log = logging.getLogger(__name__)


def install() -> None:
    """Register the session hooks once per process."""
    if not getattr(FlaskSession, "_archive_copy_hooks", False):
        event.listen(FlaskSession, "after_flush", _record)
        event.listen(FlaskSession, "after_commit", _after_commit)
        FlaskSession._archive_copy_hooks = True  # type: ignore[attr-defined]


def _record(session: Session, flush_context: Any) -> None:
    touched = touched_testimony_ids(session)
    if not touched:
        return
    direct = {obj.testimony_id for obj in [*session.new, *session.dirty, *session.deleted]
              if isinstance(obj, Recording) and obj.testimony_id is not None}
    direct |= {obj.id for obj in session.deleted if isinstance(obj, Testimony) and obj.id is not None}
    rest = touched - direct
    if rest:
        direct |= set(session.connection().scalars(
            select(Recording.testimony_id).where(Recording.testimony_id.in_(rest)).distinct()))
    if direct:
        session.connection().execute(insert(PublicCopyOutbox), [{"testimony_id": i} for i in sorted(direct)])
        session.info["copies_dirty"] = True


def _after_commit(session: Session) -> None:
    if session.info.pop("copies_dirty", False) and "jobs" in current_app.extensions:
        drain()


def drain(limit: int = 500) -> int:
    """Hand outbox rows to the queue; returns how many testimonies were queued."""
    jobs = current_app.extensions["jobs"]
    queued = 0
    with Session(db.engine) as session:
        while True:
            rows = session.execute(select(PublicCopyOutbox.id, PublicCopyOutbox.testimony_id)
                                   .order_by(PublicCopyOutbox.id).limit(limit)).all()
            if not rows:
                return queued
            ids = sorted({r.testimony_id for r in rows})
            # Rows go first (an immediate queue runs the job right here, and SQLite allows one writer);
            # a crash before queueing is repaired by the next `sweep`, which compares every copy anyway.
            session.execute(delete(PublicCopyOutbox).where(PublicCopyOutbox.id <= rows[-1].id,
                                                           PublicCopyOutbox.testimony_id.in_(ids)))
            session.commit()
            for testimony_id in ids:
                try:
                    jobs.enqueue_copies(testimony_id)
                except Exception:  # the broker is down: the sweep of the next `jobs run` finds the copy again
                    log.exception("could not queue the public copies of testimony %s", testimony_id)
            queued += len(ids)


def sweep() -> int:
    """Queue every testimony whose copies are missing, outdated or abandoned by a dead worker."""
    from archive.media import copies

    jobs = current_app.extensions["jobs"]
    ids = copies.stale_testimony_ids()
    for testimony_id in ids:
        jobs.enqueue_copies(testimony_id)
    copies.remove_orphan_files()
    return len(ids)
