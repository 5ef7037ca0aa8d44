"""The audit log: every change and every refused curator action."""
from __future__ import annotations

import json
from typing import Any

from flask import has_request_context
from flask_login import current_user

from archive.core.extensions import db
from archive.models import AuditEntry


def current_actor() -> Any:
    """The logged-in user of this request, or None outside requests."""
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record(action: str, obj: Any = None, details: dict[str, Any] | None = None, actor: Any = None,
           version: int | None = None) -> AuditEntry:
    """Add an audit entry to the current transaction (the calling service commits)."""
    actor = actor if actor is not None else current_actor()
    entry = AuditEntry(
        user_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or "system",
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None),
        version=version,
        details=json.dumps(details or {}, default=str, ensure_ascii=False, sort_keys=True),
    )
    db.session.add(entry)
    return entry


def record_refusal(action: str, obj: Any = None, reason: str = "", actor: Any = None) -> None:
    """Log a refused action in its own transaction so a later rollback cannot erase it."""
    db.session.rollback()
    record(f"refused:{action}", obj, {"reason": reason}, actor=actor)
    db.session.commit()
