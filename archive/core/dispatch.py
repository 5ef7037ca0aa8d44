"""What happens after a flush and after a commit: the one place that listens to the session.

Three areas follow changes to testimonies (or their narrator, route, transcript, tags or recordings,
as `archive.core.changes` defines "touched"). Each registers named handlers from its `init_app`; they
run in this fixed order, whatever order the areas register in:

After a flush that touches testimonies (inside the transaction, so a rollback undoes what they write):
  1. "search-outbox"  archive.search.sync      a `search_outbox` row per touched testimony
  2. "oai-records"    archive.interop.oai      (nothing to write: it only needs the ids after commit)
  3. "public-copies"  archive.jobs.outbox      a `public_copy_outbox` row per touched testimony that has
                                               or had a recording
After the commit (the outermost one, never a savepoint's), for the transaction's touched testimonies:
  1. "search-outbox"  drain the outbox into the index (not with SEARCH_SYNC off)
  2. "oai-records"    bring those testimonies' `oai_records` rows in line (unless OAI_SYNC_ON_COMMIT
                      is off); a failure is logged and left to the next harvest's full pass
  3. "public-copies"  hand the outbox rows to the job queue
The index first (what a curator looks at next), the queue last (an immediate queue makes the copy
right there, the slowest step). A rollback forgets what its flushes announced; their rows are gone
with it. An after-commit handler that raises stops the ones after it and reaches the caller of
`commit()` (the change itself is committed); what stays in an outbox waits for its next drain.

A flush handler returns the testimonies it left work for (none: its after-commit handler does not
run); an area without a flush handler hears of every touched testimony. An after-commit handler gets
the ids gathered over every flush of the transaction.

Inside `deferred()` (bulk work: imports, the test factories) the after-commit handlers wait: each runs
once when the outermost block ends, with the ids of every commit made inside it, so a thousand saves
write the index and the OAI records once, not a thousand times.

`record` and `batches` are the two halves of an outbox table (`id`, `testimony_id`): rows written in
the flush, taken oldest first after commit.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Delete, delete, event, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from archive.core.changes import touched_testimony_ids
from archive.core.extensions import db

ORDER = ("search-outbox", "oai-records", "public-copies")

FlushHandler = Callable[[Session, set[int]], set[int]]
CommitHandler = Callable[[Session, set[int]], None]

_flush_handlers: dict[str, FlushHandler] = {}
_commit_handlers: dict[str, CommitHandler] = {}
_PENDING = "archive.dispatch"  # session.info: area name → ids its after-commit handler will get
_deferred: ContextVar[dict[str, set[int]] | None] = ContextVar("archive.dispatch.deferred", default=None)


def on_flush(name: str, handler: FlushHandler) -> None:
    """Run `handler(session, touched_ids)` inside every flush that touches testimonies.

    It returns the ids it left work for, which the after-commit handler of the same name gets. Registering
    a name again replaces its handler (every app the process builds registers the same ones).
    """
    _flush_handlers[_known(name)] = handler
    _listen()


def after_commit(name: str, handler: CommitHandler) -> None:
    """Run `handler(session, ids)` after a commit whose flushes touched testimonies (see the module doc)."""
    _commit_handlers[_known(name)] = handler
    _listen()


def _known(name: str) -> str:
    if name not in ORDER:
        raise ValueError(f"unknown handler {name!r}: add it to ORDER and to the list in {__name__}'s docstring")
    return name


def _listen() -> None:
    """Attach the three session listeners, once per process (every app shares Flask-SQLAlchemy's session class)."""
    for event_name, listener in (("after_flush", _after_flush), ("after_commit", _after_commit),
                                 ("after_transaction_end", _after_transaction_end)):
        if not event.contains(FlaskSession, event_name, listener):
            event.listen(FlaskSession, event_name, listener)


def _after_flush(session: Session, flush_context: Any) -> None:
    ids = touched_testimony_ids(session)
    if not ids:
        return
    for name in ORDER:
        handler = _flush_handlers.get(name)
        work = handler(session, ids) if handler is not None else ids
        if work and name in _commit_handlers:
            session.info.setdefault(_PENDING, {}).setdefault(name, set()).update(work)


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: the work waits for the real commit
    pending: dict[str, set[int]] = session.info.pop(_PENDING, {})
    batch = _deferred.get()
    if batch is not None:
        for name, ids in pending.items():
            batch.setdefault(name, set()).update(ids)
        return
    _run(session, pending)


def _run(session: Session, pending: dict[str, set[int]]) -> None:
    for name in ORDER:
        if pending.get(name) and name in _commit_handlers:
            _commit_handlers[name](session, pending[name])


@contextmanager
def deferred() -> Iterator[None]:
    """Hold the after-commit work of the commits inside; run each handler once at the end (see module doc).

    A block inside another joins it. The work runs also when the block ends in an error: what was
    committed before the error must still reach the index, the OAI records and the queue.
    """
    if _deferred.get() is not None:
        yield
        return
    batch: dict[str, set[int]] = {}
    token = _deferred.set(batch)
    try:
        yield
    finally:
        _deferred.reset(token)
        _run(db.session(), batch)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without its after-commit (a rollback, a close): forget its work.
    # A savepoint rolled back keeps it: more ids than needed only refresh a testimony for nothing.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def record(session: Session, table: Any, ids: Iterable[int]) -> None:
    """Write one outbox row per testimony in the transaction being flushed (or the session's own)."""
    session.connection().execute(insert(table), [{"testimony_id": i} for i in sorted(ids)])


def batches(session: Session, table: Any, limit: int) -> Iterator[tuple[list[int], Delete]]:
    """An outbox's pending testimonies, oldest rows first, `limit` rows at a time.

    Each batch comes with the statement that deletes its rows (up to its last id, for its testimonies:
    a row another transaction commits meanwhile for another testimony stays); the caller runs and
    commits it when the batch is done, before or after the work, as its failures require.
    """
    while True:
        rows = session.execute(select(table.id, table.testimony_id).order_by(table.id).limit(limit)).all()
        if not rows:
            return
        ids = sorted({row.testimony_id for row in rows})
        yield ids, delete(table).where(table.id <= rows[-1].id, table.testimony_id.in_(ids))
