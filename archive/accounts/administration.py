"""Account administration: researcher registration, approval, roles, deactivation, the audit log pages.

`accounts.users` authenticates and ends sessions, `accounts.throttling` limits attempts per client; this
module adds what admins and anonymous visitors do with accounts. Every change is written to the audit log
in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from archive.core.extensions import db
from archive.models import ROLES, AuditEntry, User
from archive.models.base import utcnow
from archive.models.security import AccessRequest
from archive.core.paging import last_page
from archive.core import audit
from archive.accounts import users
from archive.core.errors import DomainError, ValidationError

MAX_AFFILIATION = 300
MAX_PURPOSE = 5000
AUDIT_PER_PAGE = 50
USERS_PER_PAGE = 50


class AccountRefused(DomainError):
    """An account change the rules do not allow (e.g. removing the last admin)."""


# ---------------------------------------------------------------------------------------------
# Researcher self-registration


def register_researcher(email: str, password: str, affiliation: str, purpose: str) -> User | None:
    """Create an unapproved researcher together with their access request.

    Whether an email is already registered is never revealed: every shape problem is reported first,
    then a taken email creates nothing, the caller shows the same confirmation and the admins see
    the attempt in the audit log.
    """
    errors = users.credential_errors(email, password)
    affiliation = " ".join((affiliation or "").split())
    purpose = (purpose or "").strip()
    if not affiliation:
        errors["affiliation"] = [_("is required")]
    elif len(affiliation) > MAX_AFFILIATION:
        errors["affiliation"] = [_("must be at most %(count)s characters", count=MAX_AFFILIATION)]
    if not purpose:
        errors["purpose"] = [_("is required")]
    elif len(purpose) > MAX_PURPOSE:
        errors["purpose"] = [_("must be at most %(count)s characters", count=MAX_PURPOSE)]
    if errors:
        raise ValidationError(errors)
    existing = users.email_taken(email)
    if existing is not None:
        users.hash_password(password)  # take as long as a real registration
        audit.record("user.register_duplicate", existing, {}, actor=None)
        db.session.commit()
        return None
    user = users.add_user(email, password, "researcher", approved=False)
    db.session.add(AccessRequest(user=user, affiliation=affiliation, purpose=purpose))
    audit.record("user.register", user, {"role": "researcher"}, actor=user)
    db.session.commit()
    return user


# ---------------------------------------------------------------------------------------------
# Admin operations


@dataclass
class Page:
    """One page of rows with what pagination links need."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return last_page(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class UserRow:
    """One account as the admin list shows it."""

    user: User
    request: AccessRequest | None


def list_users(status: str = "all", page: int = 1, per_page: int = USERS_PER_PAGE) -> Any:
    """Accounts, those waiting for approval first; `status` is all, pending or inactive."""
    query = select(User, AccessRequest).outerjoin(AccessRequest, AccessRequest.user_id == User.id)
    if status == "pending":
        query = query.where(User.role == "researcher", User.approved.is_(False), User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    pending_first = ((User.role == "researcher") & User.approved.is_(False) & User.active.is_(True)).desc()
    query = query.order_by(pending_first, User.created_at.desc(), User.id.desc())
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = min(max(page, 1), last_page(total, per_page))  # past the end: the last page
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page([UserRow(user, req) for user, req in rows], page, per_page, total)


def pending_count() -> int:
    """How many researchers wait for approval."""
    return db.session.scalar(select(func.count(User.id)).where(
        User.role == "researcher", User.approved.is_(False), User.active.is_(True))) or 0


def get_user(user_id: int) -> User | None:
    """An account by id."""
    return db.session.get(User, user_id)


def approve(user: User, actor: Any) -> User:
    """Approve a researcher: they now see testimonies open to researchers."""
    if user.role != "researcher":
        raise AccountRefused(_("Only researcher accounts need approval."))
    if user.approved:
        return user
    _mark_decided(user)
    return users.approve_researcher(user, actor=actor)


def revoke_approval(user: User, actor: Any) -> User:
    """Withdraw a researcher's approval; their sessions end so nothing stays open in a browser."""
    if user.role != "researcher" or not user.approved:
        return user
    user.approved = False
    user.session_version += 1
    audit.record("user.revoke_approval", user, {}, actor=actor)
    db.session.commit()
    return user


def set_active(user: User, active: bool, actor: Any) -> User:
    """Deactivate (ending every session) or reactivate an account."""
    if user.active == active:
        return user
    if not active:
        if getattr(actor, "id", None) == user.id:
            raise AccountRefused(_("You cannot deactivate your own account."))
        _keep_an_admin(user)
        user.session_version += 1
    user.active = active
    audit.record("user.activate" if active else "user.deactivate", user, {}, actor=actor)
    db.session.commit()
    return user


def set_role(user: User, role: str, actor: Any) -> User:
    """Change an account's role; the person's open sessions end so the new role applies at once."""
    if role not in ROLES:
        raise ValidationError({"role": [_("must be one of %(choices)s", choices=", ".join(ROLES))]})
    if user.role == role:
        return user
    if getattr(actor, "id", None) == user.id:
        raise AccountRefused(_("You cannot change your own role."))
    if user.role == "admin":
        _keep_an_admin(user)
    old = user.role
    user.role = role
    # Staff do not need approval; a demoted account must be approved again before seeing more.
    user.approved = role != "researcher"
    user.session_version += 1
    audit.record("user.role", user, {"changes": {"role": [old, role]}}, actor=actor)
    db.session.commit()
    return user


def _keep_an_admin(user: User) -> None:
    if user.role != "admin" or not user.active:
        return
    others = db.session.scalar(select(func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)) or 0
    if not others:
        raise AccountRefused(_("The archive needs at least one active admin."))


def _mark_decided(user: User) -> None:
    request = db.session.scalar(select(AccessRequest).where(AccessRequest.user_id == user.id))
    if request is not None and request.decided_at is None:
        request.decided_at = utcnow()


# ---------------------------------------------------------------------------------------------
# The audit log


def audit_page(page: int = 1, action: str = "", per_page: int = AUDIT_PER_PAGE) -> Page:
    """Audit entries, newest first, optionally only actions starting with `action`."""
    query = select(AuditEntry)
    action = (action or "").strip()[:80]
    if action:
        escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEntry.action.like(f"{escaped}%", escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), last_page(total, per_page))  # past the end: the last page
    entries = db.session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                 .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(entries), page, per_page, total)

