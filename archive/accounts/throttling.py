"""Client throttling of logins and registrations, shared by every worker through the database.

Counters live in `ClientThrottle` rows keyed by a keyed hash (never a visitor's address or a typed email).
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from archive.core import audit
from archive.core.errors import DomainError
from archive.core.extensions import db
from archive.models.base import utcnow
from archive.models.security import ClientThrottle

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


class Throttled(DomainError):
    """Too many attempts from one client; `retry_after` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
