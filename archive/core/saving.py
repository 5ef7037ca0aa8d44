"""The one way a versioned record (a testimony, a narrator, a theme) is saved: optimistic locking plus an audited commit.

Each versioned table has an integer ``version`` column that SQLAlchemy uses as its ``version_id_col``:
every flush that updates the row adds one to it and matches the row only at the version it read.

- ``check_version(record, expected)`` refuses a save made from a form rendered at another version,
  with a ConflictError that names the version of each side and lists what was changed since (who,
  when, which action and which fields, from the audit log).
- ``save(record, action, changes, actor)`` stamps the record (``updated_at``, and ``updated_by_id``
  where the table has one), flushes (which bumps the version), writes one audit entry carrying the
  new version (and any ``also`` entries beside it) and commits. A concurrent save of the same version
  makes the flush match no row: the transaction is rolled back and a ConflictError raised, so nothing
  of the refused save is written.

The area services decide what the changes are; the views turn a ConflictError into a 409 page.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from archive.core import audit
from archive.core.errors import ConflictError
from archive.core.extensions import db
from archive.models import AuditEntry
from archive.models.base import utcnow

Record = TypeVar("Record")

# What a stale form is told, per versioned table (the audit log's object type): %(expected)s is the
# version the form was rendered with, %(saved)s the saved one.
STALE_MESSAGES = {
    "testimony": _l("This testimony was changed by someone else after you opened the form (your copy is version "
                    "%(expected)s, the saved one is version %(saved)s). Nothing was saved; reload to see their "
                    "changes."),
    "theme": _l("This theme was changed by someone else after you opened the form (your copy is version "
                "%(expected)s, the saved one is version %(saved)s). Nothing was saved; reload to see their "
                "changes."),
    "narrator": _l("This narrator was changed by someone else after you opened the form (your copy is version "
                   "%(expected)s, the saved one is version %(saved)s). Nothing was saved; reload to see their "
                   "changes."),
}
# What the second of two saves made at the same moment from the same version is told.
CONCURRENT_MESSAGES = {
    "testimony": _l("This testimony was saved by someone else at the same moment. Nothing was saved; "
                    "reload and try again."),
    "theme": _l("This theme was saved by someone else at the same moment. Nothing was saved; reload and try again."),
    "narrator": _l("This narrator was saved by someone else at the same moment. Nothing was saved; reload and try "
                   "again."),
}


def object_type(record: Any) -> str:
    """The record's name in the audit log (as audit.record writes it) and in the message tables."""
    return type(record).__name__.lower()


def check_version(record: Any, expected: int | None) -> None:
    """Refuse a save made from a stale form (expected None: no form, nothing to check).

    The ConflictError's ``changes`` list every audit entry written since `expected`, oldest first, as
    {"actor", "at", "action", "fields"}.
    """
    if expected is None or expected == record.version:
        return
    kind = object_type(record)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == kind, AuditEntry.object_id == record.id,
                                 AuditEntry.version > expected).order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    changes = [{"actor": entry.actor, "at": entry.at, "action": entry.action,
                "fields": sorted((json.loads(entry.details or "{}").get("changes") or {}).keys())}
               for entry in entries]
    raise ConflictError(STALE_MESSAGES[kind] % {"expected": expected, "saved": record.version}, changes)


def save(record: Record, action: str, changes: Mapping[str, Any], actor: Any = None, *,
         also: Mapping[str, Mapping[str, Any]] | None = None) -> Record:
    """Bump the version, log the change and commit; a concurrent save surfaces as a ConflictError.

    `record` must already be in the session (new or loaded). `changes` ({field: [old, new]} or any
    description) is logged as ``{"changes": changes}`` under `action`; `also` maps further actions to
    the changes they log beside it (a testimony's access entry), with the same version. `actor`
    defaults to the logged-in user of the request.
    """
    actor = actor if actor is not None else audit.current_actor()
    # Loading an expired actor (one read before the last commit) must not flush the changes made so
    # far on their own: that would bump the version, and the flush below would bump it a second time.
    with db.session.no_autoflush:
        actor_id = getattr(actor, "id", None)
    stamped: Any = record
    stamped.updated_at = utcnow()
    if hasattr(type(record), "updated_by_id"):
        stamped.updated_by_id = actor_id
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(str(CONCURRENT_MESSAGES[object_type(record)]), []) from None
    version = stamped.version
    audit.record(action, record, {"changes": dict(changes)}, actor=actor, version=version)
    for other, other_changes in (also or {}).items():
        audit.record(other, record, {"changes": dict(other_changes)}, actor=actor, version=version)
    db.session.commit()
    return record
