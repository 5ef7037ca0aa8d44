"""The guards of the staff areas: anonymous visitors are sent to log in; anyone else without the role gets
the 404 page of a missing page, and the refusal is audited."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, request
from flask_login import current_user, login_required

from archive.policy import access
from archive.core.audit import record_refusal


def require_curator() -> None:
    """Answer a non-curator like a missing page and record the refusal."""
    if not access.can_edit(current_user):
        record_refusal("curate", reason="not a curator")
        abort(404)


def curators_area(bp: Blueprint) -> Blueprint:
    """Put every view of a blueprint behind the curators' guard (visitors log in, others get the 404 page)."""
    bp.before_request(login_required(require_curator))
    return bp


def curators_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a view of another blueprint that belongs to the curators' area."""
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        require_curator()
        return view(*args, **kwargs)
    return wrapped


def require_admin() -> None:
    """Answer a non-admin like a missing page; logged so admins see others probing the admin pages."""
    if not access.can_administer(current_user):
        record_refusal("admin", reason=f"{current_user.role} may not {request.method} {request.path}")
        abort(404)
