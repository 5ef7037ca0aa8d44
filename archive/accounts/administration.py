"""Account administration: researcher registration, approval, roles, deactivation, client throttling.

`services.users` authenticates and ends sessions; this module adds what admins and anonymous
visitors do with accounts. Every change is written to the audit log in the same transaction.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from archive.core.extensions import db
from archive.models import ROLES, AuditEntry, User
from archive.models.base import utcnow
from archive.models.security import AccessRequest, ClientThrottle
from archive.core.paging import last_page
from archive.core import audit
from archive.accounts import users
from archive.core.errors import DomainError, ValidationError

# Attempts allowed before the key must wait, per scope:
# (config key for the limit, default limit, config key for the window, default window in seconds).
# Login failures are counted three ways, and any one of them makes the login wait:
# - "login": per client address, whatever the account (one client guessing many accounts);
# - "login-account": per account *and* client, so five wrong passwords from one client never lock the
#   owner (or an admin) out on another;
# - "login-any": per account across all clients, a safety net set far higher (100 an hour), because
#   without it a botnet could guess one account's password from thousands of addresses unchecked.
#   Reaching it takes 20 addresses at five failures each, so only a distributed attack can make an
#   account wait, and then only for an hour; the audit log shows it (throttle.login-any).
# The account scopes key on the email as typed (normalised), whether or not it is registered, so a
# throttled answer is the same for an unknown email as for a real one.
SCOPES = {
    "login": ("LOGIN_IP_MAX_FAILURES", 20, "LOGIN_IP_WINDOW_SECONDS", 900),
    "login-account": ("LOGIN_MAX_FAILURES", 5, "LOGIN_LOCKOUT_SECONDS", 900),
    "login-any": ("LOGIN_ACCOUNT_MAX_FAILURES", 100, "LOGIN_ACCOUNT_WINDOW_SECONDS", 3600),
    "register": ("REGISTER_IP_MAX_ATTEMPTS", 5, "REGISTER_IP_WINDOW_SECONDS", 3600),
}
MAX_AFFILIATION = 300
MAX_PURPOSE = 5000
AUDIT_PER_PAGE = 50
USERS_PER_PAGE = 50


class Throttled(DomainError):
    """Too many attempts from one client; `retry_after` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AccountRefused(DomainError):
    """An account change the rules do not allow (e.g. removing the last admin)."""


# ---------------------------------------------------------------------------------------------
# Client throttling, shared by every worker through the database


def client_address(remote_addr: str | None, access_route: list[str]) -> str:
    """The client's address, trusting X-Forwarded-For only as far as the configured proxies wrote it.

    Each of TRUSTED_PROXIES (e.g. 1 for nginx in front of gunicorn) appends the address it saw, so
    the client is the entry that many places from the end; anything before it is client-supplied.
    """
    proxies = int(current_app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies > 0 and len(access_route) >= proxies:
        return access_route[-proxies]
    return remote_addr or "unknown"


def _key(scope: str, *parts: str) -> str:
    # A keyed hash: the table never holds a visitor's address or a typed email.
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, "\0".join((scope, *parts)).encode(), hashlib.sha256).hexdigest()
    return f"{scope}:{digest[:64]}"


def _login_keys(email: str, address: str) -> dict[str, str]:
    email = (email or "").strip().lower()
    return {"login": _key("login", address), "login-account": _key("login-account", email, address),
            "login-any": _key("login-any", email)}


def _limits(scope: str) -> tuple[int, int]:
    limit_key, limit, window_key, window = SCOPES[scope]
    return int(current_app.config.get(limit_key, limit)), int(current_app.config.get(window_key, window))


def check_client(scope: str, address: str) -> None:
    """Raise Throttled if this client has used up its attempts for the scope."""
    _check(scope, _key(scope, address))


def check_login(email: str, address: str) -> None:
    """Raise Throttled if this client, this account from this client, or this account anywhere must wait.

    Nothing here depends on whether the email is registered, so the answer cannot tell.
    """
    for scope, key in _login_keys(email, address).items():
        _check(scope, key)


def _check(scope: str, key: str) -> None:
    row = db.session.get(ClientThrottle, key, populate_existing=True)
    now = utcnow()
    if row is not None and row.blocked_until is not None and row.blocked_until > now:
        wait = max(int((row.blocked_until - now).total_seconds()) + 1, 1)
        raise Throttled(_throttle_message(scope, wait), wait)


def note_attempt(scope: str, address: str) -> None:
    """Count one failed (or, for registration, any) attempt; block the client when the limit is reached."""
    _count(scope, _key(scope, address))
    _forget_old()
    db.session.commit()


def note_login_failure(email: str, address: str) -> None:
    """Count a failed login against the client, the account from this client and the account anywhere."""
    for scope, key in _login_keys(email, address).items():
        _count(scope, key)
    _forget_old()
    db.session.commit()


def note_login_success(email: str, address: str) -> None:
    """The right password from this client clears its failures on this account (not the other counts)."""
    db.session.execute(delete(ClientThrottle).where(ClientThrottle.key == _login_keys(email, address)["login-account"]))
    db.session.commit()


def _count(scope: str, key: str) -> None:
    # Counting is a single UPDATE so concurrent workers cannot lose increments.
    limit, window = _limits(scope)
    now = utcnow()
    window_open = now - timedelta(seconds=window)
    for _attempt in range(3):
        counted = db.session.execute(
            update(ClientThrottle).where(ClientThrottle.key == key, ClientThrottle.window_start > window_open)
            .values(attempts=ClientThrottle.attempts + 1)).rowcount
        if not counted:  # no row yet, or its window has passed: start a new window
            counted = db.session.execute(
                update(ClientThrottle).where(ClientThrottle.key == key)
                .values(attempts=1, window_start=now, blocked_until=None)).rowcount
        if not counted:
            try:
                with db.session.begin_nested():
                    db.session.execute(insert(ClientThrottle).values(key=key, attempts=1, window_start=now))
            except IntegrityError:
                continue  # another worker inserted it first: count again
        break
    blocked = db.session.execute(
        update(ClientThrottle)
        .where(ClientThrottle.key == key, ClientThrottle.attempts >= limit, ClientThrottle.blocked_until.is_(None))
        .values(blocked_until=now + timedelta(seconds=window))).rowcount
    if blocked:
        audit.record(f"throttle.{scope}", None, {"limit": limit, "window_seconds": window})


def _forget_old() -> None:
    # Forget windows that ended long ago so the table stays small.
    now = utcnow()
    db.session.execute(delete(ClientThrottle).where(ClientThrottle.window_start < now - timedelta(days=1),
                                                    (ClientThrottle.blocked_until.is_(None))
                                                    | (ClientThrottle.blocked_until < now)))


def _throttle_message(scope: str, wait: int) -> str:
    minutes = max((wait + 59) // 60, 1)
    if scope == "login":
        return ngettext("Too many failed logins from your network. Please wait %(num)d minute and try again.",
                        "Too many failed logins from your network. Please wait %(num)d minutes and try again.",
                        minutes)
    if scope == "login-account":
        return ngettext("Too many failed logins for this email address from your network. Please wait %(num)d "
                        "minute and try again.",
                        "Too many failed logins for this email address from your network. Please wait %(num)d "
                        "minutes and try again.", minutes)
    if scope == "login-any":
        return ngettext("Too many failed logins for this email address. Please wait %(num)d minute and try again.",
                        "Too many failed logins for this email address. Please wait %(num)d minutes and try again.",
                        minutes)
    return ngettext("Too many registration attempts from your network. Please wait %(num)d minute and try again.",
                    "Too many registration attempts from your network. Please wait %(num)d minutes and try again.",
                    minutes)


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

