"""The flask commands: seed, users create, search reindex/verify (import and load-demo: tests/curation/test_imports.py)."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from archive.core.extensions import db
from archive.models import AuditEntry, Category, Place, Topic, User

PASSWORD = "a long enough password"


def get_user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def create(runner: FlaskCliRunner, email: str, *options: str, stdin: str | None = PASSWORD + "\n") -> Any:
    return runner.invoke(args=["users", "create", email, *options, "--password-stdin"], input=stdin)


# --- seed ----------------------------------------------------------------------------------------

def test_seed_is_idempotent(app: Flask, runner: FlaskCliRunner) -> None:
    before = [db.session.scalar(select(func.count()).select_from(m)) for m in (Place, Category, Topic)]
    assert all(before), "the test database is seeded"
    result = runner.invoke(args=["archive", "seed"])
    assert result.exit_code == 0, result.output
    assert "Vocabulary: 0 places, 0 categories, 0 topics added." in result.output
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (Place, Category, Topic)] == before


# --- users create --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "curator"])
def test_create_staff_with_password_from_stdin(app: Flask, runner: FlaskCliRunner, role: str) -> None:
    result = create(runner, f"{role}@example.org", "--role", role)
    assert result.exit_code == 0, result.output
    assert f"Created {role} {role}@example.org." in result.output
    user = get_user(f"{role}@example.org")
    assert user is not None and user.role == role and user.approved
    assert check_password_hash(user.password_hash, PASSWORD)
    assert PASSWORD not in user.password_hash
    assert PASSWORD not in result.output


def test_researcher_is_unapproved_by_default(app: Flask, runner: FlaskCliRunner) -> None:
    result = create(runner, "Reader@Example.org", "--role", "researcher")
    assert result.exit_code == 0, result.output
    assert "(awaiting approval)" in result.output
    user = get_user("reader@example.org")  # stored in lower case
    assert user is not None and user.role == "researcher" and not user.approved

    result = create(runner, "approved@example.org", "--role", "researcher", "--approved")
    assert result.exit_code == 0, result.output
    assert "awaiting approval" not in result.output
    assert get_user("approved@example.org").approved


def test_password_with_spaces_and_crlf(app: Flask, runner: FlaskCliRunner) -> None:
    result = create(runner, "c@example.org", "--role", "curator", stdin="  spaced out pass  \r\nignored\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(get_user("c@example.org").password_hash, "  spaced out pass  ")


def test_password_prompt_with_confirmation(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "p@example.org", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(get_user("p@example.org").password_hash, PASSWORD)


@pytest.mark.parametrize(("email", "options", "stdin", "expected"), [
    ("x@example.org", ["--role", "superuser"], PASSWORD + "\n", "Error: role must be one of admin, curator, researcher"),
    ("x@example.org", ["--role", "curator"], "short\n", "Error: password must be at least 10 characters"),
    ("x@example.org", ["--role", "curator"], "", "Error: password must be at least 10 characters"),
    ("not-an-email", ["--role", "curator"], PASSWORD + "\n", "Error: email must be a valid email address"),
])
def test_invalid_input_is_a_clear_error(app: Flask, runner: FlaskCliRunner, email: str, options: list[str],
                                        stdin: str, expected: str) -> None:
    result = create(runner, email, *options, stdin=stdin)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_several_problems_are_all_reported(app: Flask, runner: FlaskCliRunner) -> None:
    result = create(runner, "nope", "--role", "boss", stdin="short\n")
    assert result.exit_code == 1
    for field in ("email", "role", "password"):
        assert f"Error: {field} " in result.output


def test_duplicate_email_is_refused(app: Flask, runner: FlaskCliRunner) -> None:
    assert create(runner, "dup@example.org", "--role", "curator").exit_code == 0
    result = create(runner, "DUP@example.org", "--role", "admin")
    assert result.exit_code == 1
    assert "Error: email is already registered" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_role_is_required(app: Flask, runner: FlaskCliRunner) -> None:
    result = create(runner, "r@example.org")
    assert result.exit_code != 0
    assert "--role" in result.output


def test_user_creation_is_audited(app: Flask, runner: FlaskCliRunner) -> None:
    assert create(runner, "audit@example.org", "--role", "curator").exit_code == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert entry is not None and entry.object_id == get_user("audit@example.org").id
    assert PASSWORD not in entry.details


# --- search --------------------------------------------------------------------------------------

@pytest.fixture()
def search_engine(app: Flask) -> Any:
    engine = app.extensions.get("search")
    if engine is None:  # archive.search not wired yet
        pytest.skip("no search engine configured")
    return engine


def test_reindex_and_verify(app: Flask, runner: FlaskCliRunner, factory: Any, search_engine: Any) -> None:
    factory.testimony(title="First")
    factory.testimony(title="Second", access="restricted", status="draft")
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 testimonies." in result.output

    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 0, result.output
    assert "Index matches the database." in result.output


def test_verify_finds_and_repairs_differences(app: Flask, runner: FlaskCliRunner, factory: Any,
                                              search_engine: Any) -> None:
    factory.testimony(title="Indexed")
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    # Change the database behind the index's back (no outbox row): the index is now stale.
    app.config["SEARCH_SYNC"] = False
    try:
        factory.testimony(title="Never indexed")
        from archive.models import SearchOutbox
        db.session.execute(SearchOutbox.__table__.delete())
        db.session.commit()
    finally:
        app.config["SEARCH_SYNC"] = True

    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1, result.output
    assert "missing: 1" in result.output and "--repair" in result.output

    result = runner.invoke(args=["search", "verify", "--repair"])
    assert result.exit_code == 0, result.output
    assert "Repaired 1 difference(s)." in result.output
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 0 and "Index matches the database." in result.output


def test_seed_places_towns_and_camps_in_their_province(app: Flask, runner: FlaskCliRunner) -> None:
    """The narrator form's home-place list follows the province: the seed says where each town and camp lies."""
    def place(slug: str) -> Place:
        db.session.expire_all()
        return db.session.scalar(select(Place).where(Place.slug == slug))

    assert place("hoeryong").parent.slug == "north-hamgyong"
    assert place("hyesan").parent.slug == "ryanggang"
    assert place("yodok-kwalliso-15").parent.slug == "south-hamgyong"
    assert place("north-hamgyong").parent is None and place("yanji").parent is None
    # A curator's choice stays; a province nobody recorded is filled in again.
    hoeryong, hyesan, ryanggang = place("hoeryong"), place("hyesan"), place("ryanggang")
    hoeryong.parent, hyesan.parent = ryanggang, None
    db.session.commit()
    try:
        result = runner.invoke(args=["archive", "seed"])
        assert result.exit_code == 0, result.output
        assert place("hoeryong").parent.slug == "ryanggang" and place("hyesan").parent.slug == "ryanggang"
    finally:  # the vocabularies outlive a test
        hoeryong, north = place("hoeryong"), place("north-hamgyong")
        hoeryong.parent = north
        db.session.commit()
