"""Shared fixtures: app, client, runner, auth and factories, on SQLite or PostgreSQL.

Set ARCHIVE_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the
whole suite against PostgreSQL. The schema is built once per run by the Alembic migrations,
and every test starts from empty tables (the vocabularies are kept).
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import text

from archive import create_app
from archive.config import normalize_database_url
from archive.core.extensions import db
from archive import models
from archive.models import Narrator, Testimony, User
from archive.curation import narrators as narrator_service
from archive.core import dispatch
from archive.curation import testimonies as testimony_service
from archive.accounts import users as user_service
from archive.core.vocabulary import seed_vocabulary

# Password hashes: one cheap pbkdf2 round instead of scrypt (which costs every login fixture about half a
# second). Set in the environment so that every app the tests build, in this process or a server process
# they start, uses it; production keeps scrypt (tests/security/test_accounts.py checks the default).
os.environ.setdefault("ARCHIVE_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1")
# Commits do not wait for the disk (the test databases are thrown away; archive/core/extensions.py).
os.environ.setdefault("ARCHIVE_UNSAFE_FAST_COMMITS", "1")

pytest_plugins = ["tests.security.summary"]

# The pytest-xdist worker this process is ("gw0", "gw1", …), or "" when the suite runs in one process.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

VOCABULARY_TABLES = {"places", "categories", "topics", "alembic_version"}
PASSWORD = "correct horse battery"


# Werkzeug's development server, which serves the browser tests' pages, leaves a static file's handle to the
# garbage collector when Chromium drops the connection half-way (it navigated on); gunicorn closes it. That
# ResourceWarning alone is ignored in tests that drive a browser; every other warning still fails a test.
DROPPED_STATIC_FILE = "ignore:unclosed file <_io.BufferedReader name='[^']*/archive/static/:ResourceWarning"


# The files that take longest (about 40–90 s each, most of it Chromium or a crawl of every route) run first, then the
# other browser tests, then the rest in collection order: pytest-xdist hands out whole files in this order, so the
# workers end together instead of one of them starting the axe sweep when the others are done.
LONGEST_FIRST = ["tests/browser/test_accessibility.py", "tests/security/test_leaks.py",
                 "tests/security/test_xss_browser.py"]


def _file_rank(item: pytest.Item) -> int:
    path = Path(str(item.fspath)).relative_to(Path(__file__).parent.parent).as_posix()
    if path in LONGEST_FIRST:
        return LONGEST_FIRST.index(path)
    return len(LONGEST_FIRST) + (0 if item.get_closest_marker("browser") else 1)


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has marked its tests `browser`
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.filterwarnings(DROPPED_STATIC_FILE))
    items.sort(key=_file_rank)  # stable: each file's tests keep their order


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the schema once with the migrations, on a fresh database."""
    url = os.environ.get("ARCHIVE_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    elif WORKER:
        url = _worker_database(url)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                      "ARCHIVE_DATA_DIR": str(tmp_path_factory.mktemp("setup")), "SECRET_KEY": "x"})
    with app.app_context():
        _drop_everything()
        from flask_migrate import upgrade
        upgrade()
        seed_vocabulary()
        db.engine.dispose()
    yield url


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database beside the given one (test_gw0, …)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(normalize_database_url(url))
    name = f"{base.database}_{WORKER}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_everything() -> None:
    """Start from an empty database (PostgreSQL keeps tables between runs)."""
    db.reflect()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


class SharedBytecode(BytecodeCache):
    """Compiled templates kept in memory for every app of this test process.

    Each test builds its own app, and each app would otherwise compile every template it renders again
    (a fifth of a view test's time). Jinja checks each template's source checksum, so an edited
    template is compiled afresh.
    """

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedBytecode()


def _share_url_builders() -> None:
    """Let every app of this test process reuse the URL builders Werkzeug generated for the same rule.

    Each app compiles two small Python functions per URL rule (about 30 ms of every test's app). The
    generated code reads the rule only through `self` (its converters), so one function serves every
    rule with the same parts, defaults and build mode.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    built: dict[Any, Any] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Any:
        try:
            converters = tuple(sorted((name, type(c).__name__) for name, c in self._converters.items()))
            key = (tuple(self._trace), converters, repr(sorted((self.defaults or {}).items())), append_unknown)
            hash(key)
        except TypeError:  # a default that cannot be part of a key: build as Werkzeug does
            return compile_builder(self, append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = shared  # type: ignore[method-assign]


def _share_parsed_rules() -> None:
    """Let every app of this test process reuse Werkzeug's parse of the same rule string (its regular
    expressions and weights, about 8 ms of every test's app). Converters hold their map, so each rule still
    gets its own, made from the arguments the first parse recorded."""
    from werkzeug.routing.rules import Rule

    parse_rule = Rule._parse_rule
    parsed: dict[Any, Any] = {}

    def shared(self: Rule, rule: str) -> Any:
        key = (rule, tuple(sorted(self.map.converters.items())))
        if key not in parsed:
            specs: list[tuple[str, str, Any, Any]] = []
            make = self.get_converter

            def recording(variable: str, name: str, args: Any, kwargs: Any) -> Any:
                specs.append((variable, name, args, dict(kwargs)))
                return make(variable, name, args, kwargs)

            self.get_converter = recording  # type: ignore[method-assign]
            start = len(self._trace)
            try:
                parts = list(parse_rule(self, rule))
            finally:
                del self.get_converter
            parsed[key] = (parts, self._trace[start:], specs)
            return iter(parts)
        parts, trace, specs = parsed[key]
        self._trace.extend(trace)
        for variable, name, args, kwargs in specs:
            self._converters[variable] = self.get_converter(variable, name, args, kwargs)
            self.arguments.add(variable)
        return iter(parts)

    Rule._parse_rule = shared  # type: ignore[method-assign]


def _share_engines() -> None:
    """One SQLAlchemy engine per database and settings for every app of this test process.

    Each test builds its own app, and each app would otherwise open its own connections (on PostgreSQL about
    11 ms a test: the connection, then the dialect's first queries). Apps with the same URL and engine options
    share one engine and its pool; a pooled connection is rolled back when it returns. The fast-commit setting
    is read when a connection opens, so it is part of the key.
    """
    from flask_sqlalchemy import SQLAlchemy

    make_engine = SQLAlchemy._make_engine
    engines: dict[str, Any] = {}

    def shared(self: SQLAlchemy, bind_key: str | None, options: dict[str, Any], app: Flask) -> Any:
        url = str(options.get("url", ""))
        if url in ("sqlite://", "sqlite:///") or ":memory:" in url or "mode=memory" in url:
            return make_engine(self, bind_key, options, app)  # an in-memory database lives in its engine
        key = repr((bind_key, sorted(options.items()), os.environ.get("ARCHIVE_UNSAFE_FAST_COMMITS")))
        if key not in engines:
            engines[key] = make_engine(self, bind_key, options, app)
        return engines[key]

    SQLAlchemy._make_engine = shared  # type: ignore[method-assign]


_share_url_builders()
_share_parsed_rules()
_share_engines()


def share_compiled_templates(app: Flask) -> Flask:
    """Let `app` reuse the templates other apps of this process compiled."""
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


class IsolatedClient(FlaskClient):
    """A test client whose every request sees a fresh `g`, as in production.

    The `app` fixture keeps one app context pushed so tests can call services; Flask reuses it for
    test requests, which would carry `g` (Flask-Login's user, the CSRF token) from one client to
    another. The test's own `g` is put back after each request.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        saved = {name: g.get(name) for name in g} if _has_app_context() else None
        if saved is not None:
            for name in list(g):
                g.pop(name)
        try:
            return super().open(*args, **kwargs)
        finally:
            if saved is not None:
                for name in list(g):
                    g.pop(name)
                for name, value in saved.items():
                    setattr(g, name, value)


def _has_app_context() -> bool:
    from flask import has_app_context

    return has_app_context()


@pytest.fixture()
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARCHIVE_DATA_DIR": str(tmp_path),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "SECRET_KEY": "test-secret",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "MAX_UPLOAD_BYTES": 2 * 1024 * 1024,
        "MAX_CONTENT_LENGTH": 3 * 1024 * 1024,
    })
    app.test_client_class = IsolatedClient
    share_compiled_templates(app)
    with app.app_context():
        _empty_tables()
        app.extensions["search"].ensure()
        pool = db.engine.pool
        yield app
        db.session.remove()  # its connection goes back to the shared pool (see _share_engines)
        if db.engine.pool is not pool:  # the test disposed the shared engine while this session held a
            pool.dispose()  # connection: it went back to the old pool, which is closed here, not left to the GC


def _empty_tables() -> None:
    """Delete every row but the vocabularies', children first, and start the ids at 1 again.

    DELETE rather than TRUNCATE on PostgreSQL: a test leaves a handful of rows, and TRUNCATE of twenty
    tables costs about 200 ms (new files for every table) where DELETE costs about 2 ms.
    """
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in VOCABULARY_TABLES]
    with db.engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        deletes = [f"DELETE FROM {quote(table.name)}" for table in tables]  # plain SQL: nothing to compile
        if conn.dialect.name != "postgresql":
            for statement in deletes:  # sqlite3 runs one statement per call
                conn.exec_driver_sql(statement)
        else:
            conn.exec_driver_sql("; ".join(deletes))  # one round trip (no parameters, so several statements)
            conn.execute(text(
                "SELECT setval(s.seq, 1, false) FROM (SELECT pg_get_serial_sequence(t, 'id') AS seq "
                "FROM unnest(CAST(:tables AS text[])) AS t) AS s WHERE s.seq IS NOT NULL"),
                {"tables": [t.name for t in tables if "id" in t.c]})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture()
def csrf_app(app: Flask) -> Flask:
    """The same app; CSRF stays enabled in every test (see the `csrf_token` helper)."""
    return app


def csrf_token(client: FlaskClient, path: str) -> str:
    """Fetch a page and return the CSRF token of its first form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class AuthActions:
    """Create users and log the test client in and out."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def create(self, role: str = "curator", email: str | None = None, approved: bool | None = None) -> User:
        email = email or f"{role}@example.org"
        return user_service.create_user(email, PASSWORD, role, approved=approved)

    def login(self, role: str = "curator", email: str | None = None, approved: bool | None = None) -> User:
        user = self.create(role, email, approved)
        token = csrf_token(self.client, "/account/login")
        response = self.client.post("/account/login", data={"email": user.email, "password": PASSWORD,
                                                             "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    def logout(self) -> None:
        token = csrf_token(self.client, "/")
        self.client.post("/account/logout", data={"csrf_token": token})


@pytest.fixture()
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


class Factory:
    """Build narrators and testimonies through the services, as curators do."""

    def __init__(self) -> None:
        self.count = 0

    def narrator(self, **data: Any) -> Narrator:
        self.count += 1
        values = {"pseudonym": f"Narrator {self.count}", "gender": "female", "birth_year": 1980,
                  "origin_province": "North Hamgyong", "left_north_year": 2008, "arrived_south_year": 2009}
        values.update(data)
        return narrator_service.create_narrator(values)

    def batch(self) -> Any:
        """Build several testimonies, then index them (and track their OAI records) once, at the end."""
        return dispatch.deferred()

    def testimony(self, narrator: Narrator | None = None, *, segments: list[dict[str, Any]] | None = None,
                  route: list[dict[str, Any]] | None = None, tags: list[str] | None = None,
                  **data: Any) -> Testimony:
        """A published public testimony unless told otherwise."""
        narrator = narrator or self.narrator()
        values: dict[str, Any] = {"title": f"Testimony {self.count}", "languages": ["en"], "access": "public",
                                  "status": "published", "consent_audio": True, "consent_transcript": True,
                                  "interview_date": "2019-05"}
        values.update(data)
        # Each service call commits; the index is written once, when the testimony is complete.
        with dispatch.deferred():
            t = testimony_service.create_testimony(values, narrator)
            if segments is not None:
                testimony_service.replace_transcript(t, segments, None)
            if route is not None:
                testimony_service.set_route(t, route, None)
            if tags is not None:
                testimony_service.set_topics(t, tags, None)
        return t


@pytest.fixture()
def factory(app: Flask) -> Factory:
    return Factory()


# A logged-in curator and a restricted draft with a short transcript (used across the areas' view tests).
@pytest.fixture()
def curator(auth: Any) -> Any:
    return auth.login("curator")


@pytest.fixture()
def draft(factory: Any) -> models.Testimony:
    """A restricted draft with a short transcript."""
    return factory.testimony(title="Crossing at night", access="restricted", status="draft", segments=[
        {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Where were you born?"},
        {"start": 4, "end": 9, "speaker": "Narrator", "text": "In Hoeryong, by the river."},
    ])
