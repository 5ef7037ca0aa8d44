"""Accounts: creation, login (throttled by services.accounts), revocable sessions, approval."""
from __future__ import annotations

import re
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from archive.core.extensions import db
from archive.models import ROLES, User
from archive.models.base import utcnow
from archive.core import audit
from archive.core.errors import DomainError, ValidationError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
# Compared against when the email is unknown, so a login takes as long either way (one per hash method).
_DUMMY_HASHES: dict[str, str] = {}
# The one answer to every refused login: it never says whether the email exists.
LOGIN_REFUSED = _l("Email or password is wrong, or the account is locked or not yet approved.")


def hash_password(password: str) -> str:
    """A new password hash by the configured method (PASSWORD_HASH_METHOD; scrypt unless tests say otherwise)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password("not-a-real-password")
    return _DUMMY_HASHES[method]


class LoginRefused(DomainError):
    """Wrong credentials, a locked or unapproved account; the message never says which."""


def create_user(email: str, password: str, role: str, *, approved: bool | None = None, actor: Any = None) -> User:
    """Create an account; researchers wait for an admin's approval."""
    user = add_user(email, password, role, approved=approved, actor=actor)
    db.session.commit()
    return user


def credential_errors(email: str, password: str) -> dict[str, list[str]]:
    """Shape problems of an email and a password (not whether the email is taken)."""
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        errors["email"] = [_("must be a valid email address")]
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = [_("must be at least %(count)s characters", count=MIN_PASSWORD)]
    return errors


def email_taken(email: str) -> User | None:
    """The account registered under this email (case-insensitive), if any."""
    return db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))


def add_user(email: str, password: str, role: str, *, approved: bool | None = None, actor: Any = None) -> User:
    """Validate and add an account to the current transaction (the caller commits)."""
    errors = credential_errors(email, password)
    email = (email or "").strip().lower()
    if "email" not in errors and email_taken(email) is not None:
        errors["email"] = [_("is already registered")]
    if role not in ROLES:
        errors["role"] = [_("must be one of %(choices)s", choices=", ".join(ROLES))]
    if errors:
        raise ValidationError(errors)
    user = User(email=email, password_hash=hash_password(password), role=role,
                approved=(role != "researcher") if approved is None else approved)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, {"role": role, "approved": user.approved}, actor=actor)
    return user


def authenticate(email: str, password: str) -> User:
    """Check credentials; every refusal does the same work and says the same thing.

    Exactly one password hash is checked on every path (against a dummy hash for an unknown email),
    so an unknown email, a wrong password and a deactivated account take equally long. Throttling
    (per client, per account and client, per account) is `services.accounts`'s, before this runs.
    """
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    matches = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password or "")
    if user is None or not matches or not user.active:
        # The typed email is not kept: it may be a password typed into the wrong box.
        action = "login.unknown" if user is None else "login.failed" if not matches else "login.inactive"
        audit.record(action, user, {}, actor=user)
        db.session.commit()
        raise LoginRefused(str(LOGIN_REFUSED))
    user.last_login_at = utcnow()
    audit.record("login", user, {}, actor=user)
    db.session.commit()
    return user


def load_user(session_id: str) -> User | None:
    """Resolve a session identifier "id:version"; stale versions (after logout) resolve to nobody."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def end_sessions(user: User, reason: str = "logout") -> None:
    """Invalidate every session of this user."""
    user.session_version += 1
    audit.record(f"sessions.{reason}", user, {}, actor=user)
    db.session.commit()


def change_password(user: User, old: str, new: str) -> None:
    """Change a password and end every existing session."""
    if not check_password_hash(user.password_hash, old or ""):
        raise ValidationError({"old_password": [_("is not the current password")]})
    if len(new or "") < MIN_PASSWORD:
        raise ValidationError({"new_password": [_("must be at least %(count)s characters", count=MIN_PASSWORD)]})
    user.password_hash = hash_password(new)
    end_sessions(user, "password_change")


def approve_researcher(user: User, actor: Any = None) -> User:
    """Let an admin approve a researcher account."""
    user.approved = True
    audit.record("user.approve", user, {}, actor=actor)
    db.session.commit()
    return user
