"""Account rules: creation, login, revocable sessions."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from archive.core.extensions import db
from archive.models import AuditEntry, User
from archive.accounts import users
from archive.core.errors import ValidationError

PASSWORD = "correct horse battery"
REFUSED = "Email or password is wrong, or the account is locked or not yet approved."


def actions(user: User) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "user",
                                                                   AuditEntry.object_id == user.id)
                                   .order_by(AuditEntry.id)))


# --- creation ------------------------------------------------------------------------------------

def test_create_user_rules(app: Flask) -> None:
    with pytest.raises(ValidationError) as caught:
        users.create_user("no-at-sign", "short", "owner")
    assert set(caught.value.errors) == {"email", "password", "role"}
    assert caught.value.errors["password"] == ["must be at least 10 characters"]

    user = users.create_user("  Mixed.Case@Example.ORG ", PASSWORD, "curator")
    assert user.email == "mixed.case@example.org" and user.approved and user.session_version == 1
    with pytest.raises(ValidationError) as caught:
        users.create_user("MIXED.case@example.org", PASSWORD, "admin")
    assert caught.value.errors == {"email": ["is already registered"]}


def test_researchers_wait_for_approval(app: Flask, auth: Any) -> None:
    researcher = users.create_user("r@example.org", PASSWORD, "researcher")
    assert not researcher.approved
    admin = auth.create("admin")
    users.approve_researcher(researcher, actor=admin)
    db.session.expire_all()
    assert db.session.get(User, researcher.id).approved
    assert "user.approve" in actions(researcher)


# --- login and lockout ---------------------------------------------------------------------------

@pytest.fixture()
def user(app: Flask) -> User:
    return users.create_user("c@example.org", PASSWORD, "curator")


def test_login_with_any_case_of_the_email(user: User) -> None:
    assert users.authenticate("C@Example.org ", PASSWORD).id == user.id
    assert user.last_login_at is not None
    assert actions(user)[-1] == "login"


def test_authentication_never_locks_the_account_itself(app: Flask, user: User) -> None:
    # Failures are throttled per client and per (account, client) by services.accounts, before
    # authenticate runs (tests/security/test_accounts.py); the account itself is never locked, so
    # wrong passwords typed elsewhere cannot keep its owner out.
    for attempt in range(app.config["LOGIN_MAX_FAILURES"] * 2):
        with pytest.raises(users.LoginRefused) as caught:
            users.authenticate(user.email, f"wrong {attempt}")
        assert str(caught.value) == REFUSED
    assert users.authenticate(user.email, PASSWORD).id == user.id
    assert actions(user) == ["user.create"] + ["login.failed"] * app.config["LOGIN_MAX_FAILURES"] * 2 + ["login"]


def test_unknown_email_and_inactive_account_look_the_same(app: Flask, user: User) -> None:
    with pytest.raises(users.LoginRefused) as unknown:
        users.authenticate("nobody@example.org", PASSWORD)
    user.active = False
    db.session.commit()
    with pytest.raises(users.LoginRefused) as inactive:
        users.authenticate(user.email, PASSWORD)
    assert str(unknown.value) == str(inactive.value) == REFUSED


# --- sessions ------------------------------------------------------------------------------------

def test_logout_ends_every_session(user: User) -> None:
    old_id = user.get_id()
    assert old_id == f"{user.id}:1"
    assert users.load_user(old_id) is user

    users.end_sessions(user)

    assert users.load_user(old_id) is None
    assert users.load_user(user.get_id()) is user
    assert user.get_id() == f"{user.id}:2"
    assert actions(user)[-1] == "sessions.logout"


def test_password_change_ends_every_session(user: User) -> None:
    old_id = user.get_id()
    with pytest.raises(ValidationError) as caught:
        users.change_password(user, "not the password", "a brand new password")
    assert caught.value.errors == {"old_password": ["is not the current password"]}
    with pytest.raises(ValidationError) as caught:
        users.change_password(user, PASSWORD, "short")
    assert "new_password" in caught.value.errors
    assert users.load_user(old_id) is user, "failed changes keep the session"

    users.change_password(user, PASSWORD, "a brand new password")

    assert users.load_user(old_id) is None
    assert users.load_user(user.get_id()) is user
    assert actions(user)[-1] == "sessions.password_change"
    with pytest.raises(users.LoginRefused):
        users.authenticate(user.email, PASSWORD)
    assert users.authenticate(user.email, "a brand new password").id == user.id


@pytest.mark.parametrize("session_id", ["", "abc", "1", "1:x", "999999:1", None])
def test_malformed_session_ids_resolve_to_nobody(user: User, session_id: Any) -> None:
    assert users.load_user(session_id) is None


def test_deactivated_user_loses_sessions(user: User) -> None:
    session_id = user.get_id()
    user.active = False
    db.session.commit()
    assert users.load_user(session_id) is None


def test_old_session_cookie_stops_working_after_logout(app: Flask, client: Any, auth: Any) -> None:
    auth.login("curator")
    with client.session_transaction() as session:
        stolen = dict(session)
    assert client.get("/account/password").status_code == 200
    auth.logout()
    with client.session_transaction() as session:  # replay the cookie from before the logout
        session.clear()
        session.update(stolen)
    response = client.get("/account/password")
    assert response.status_code in (302, 401)
