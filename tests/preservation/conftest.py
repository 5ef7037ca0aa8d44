"""A populated archive (recordings, transcripts with restricted passages, accounts, audit log) and a second,
empty archive to restore into: a fresh data directory and a fresh database (SQLite, or the PostgreSQL
database `<test database>_restore` beside ARCHIVE_TEST_DATABASE_URL)."""
from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url

from archive import create_app
from archive.config import PROJECT_ROOT, normalize_database_url
from archive.core.extensions import db
from archive.curation.recordings import upload_recording
from archive.models import Testimony
from archive.themes.pages import seed_themes
from tests.conftest import PASSWORD, IsolatedClient, csrf_token

DEMO = PROJECT_ROOT / "media" / "demo"
REAL_NAME = "Choe Myong-hui"
RESTRICTED_TEXT = "The broker who took us was Pak Yong-chol from Musan"
DRAFT_TEXT = "A draft nobody outside the staff may read"


@dataclass
class Populated:
    public: Testimony  # public, a restricted passage: its public copy silences it
    plain: Testimony  # public, nothing restricted: the public copy is the original itself
    researchers: Testimony  # approved researchers only
    draft: Testimony  # a restricted draft with a recording

    @property
    def all(self) -> list[Testimony]:
        return [self.public, self.plain, self.researchers, self.draft]


def attach(t: Testimony, name: str) -> None:
    upload_recording(t, io.BytesIO((DEMO / name).read_bytes()), f"{REAL_NAME} interview.ogg", None)


@pytest.fixture()
def populated(app: Flask, factory: Any, auth: Any) -> Populated:
    """Four testimonies covering each audience, three recordings, accounts of every role, the context themes."""
    seed_themes()  # JSON columns (sources, statistics keys) go through the snapshot too
    for role in ("curator", "admin"):
        auth.create(role)
    auth.create("researcher", approved=True)
    narrator = factory.narrator(pseudonym="Narrator A", real_name=REAL_NAME, birth_year=1978)
    public = factory.testimony(
        narrator, title="Crossing the Tumen in winter", external_id="pres-001", consent_face_voice=True,
        tags=["famine", "brokers"], route=[{"country": "China", "place": "Yanji", "year": 2008, "event": "hid"}],
        segments=[
            {"start": 0, "end": 5, "speaker": "Interviewer", "text": "Where did you cross the river?"},
            {"start": 5, "end": 12, "speaker": REAL_NAME, "text": "Near Hoeryong, when the ice was thick."},
            {"start": 12, "end": 20, "speaker": "Narrator", "text": RESTRICTED_TEXT, "restricted": True},
            {"start": 20, "end": 30, "speaker": "Narrator", "text": "Then we walked for three nights."},
        ])
    attach(public, "demo-001.ogg")
    plain = factory.testimony(title="Working in Shenyang", external_id="pres-002", consent_face_voice=True,
                              segments=[{"start": 0, "end": 6, "text": "I worked in a restaurant kitchen."}])
    attach(plain, "demo-002.ogg")
    researchers = factory.testimony(title="A researcher's testimony", external_id="pres-003", access="researchers",
                                    segments=[{"start": 0, "end": 4, "text": "Only researchers read this."}])
    draft = factory.testimony(title="An unpublished draft", external_id="pres-004", access="restricted",
                              status="draft", segments=[{"start": 0, "end": 4, "text": DRAFT_TEXT}])
    attach(draft, "demo-003.ogg")
    return Populated(public, plain, researchers, draft)


# ------------------------------------------------------------------------------------------ the second archive


def _fresh_database(source_url: str, tmp_path: Path) -> str:
    """An empty database of the same kind as the suite's: a new SQLite file, or <name>_restore emptied."""
    url = make_url(normalize_database_url(source_url))
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    name = f"{url.database}_restore"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = url.set(database=name)
    engine = create_engine(target)
    with engine.begin() as conn:
        metadata = MetaData()
        metadata.reflect(conn)
        metadata.drop_all(conn)
    engine.dispose()
    return target.render_as_string(hide_password=False)


@pytest.fixture()
def second_archive(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app over an empty data directory and an empty database of the suite's kind (the restore target)."""
    yield from _archive(_fresh_database(database_url, tmp_path), tmp_path / "restored")


@pytest.fixture()
def sqlite_archive(tmp_path: Path) -> Iterator[Flask]:
    """An empty archive on SQLite whatever the suite runs on (a PostgreSQL backup restored into SQLite)."""
    yield from _archive(f"sqlite:///{tmp_path / 'moved.sqlite3'}", tmp_path / "moved")


def _archive(url: str, data: Path) -> Iterator[Flask]:
    other = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
        "ARCHIVE_DATA_DIR": str(data), "MEDIA_ROOT": str(data / "media"), "SEARCH_INDEX_DIR": str(data / "index"),
        "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
        "MAX_UPLOAD_BYTES": 2 * 1024 * 1024, "MAX_CONTENT_LENGTH": 3 * 1024 * 1024,
    })
    other.test_client_class = IsolatedClient
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def log_in(client: FlaskClient, email: str) -> None:
    token = csrf_token(client, "/account/login")
    response = client.post("/account/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


_VOLATILE = [
    (re.compile(r'(name="[\w-]*csrf_token"[^>]*value=")[^"]+'), r"\1…"),
    (re.compile(r'(<meta name="csrf-token" content=")[^"]+'), r"\1…"),
    (re.compile(r'nonce="[^"]+"'), 'nonce="…"'),
    (re.compile(r"nonce-[A-Za-z0-9+/=_-]+"), "nonce-…"),
    (re.compile(r"<responseDate>[^<]+</responseDate>"), "<responseDate>…</responseDate>"),  # OAI-PMH: now
]


def comparable(response: Any) -> tuple[int, str | None, str]:
    """Status, ETag and body with what differs per request (CSRF tokens, nonces) masked; media as its SHA-256."""
    data = response.get_data()
    if not (response.mimetype or "").startswith(("text/", "application/")) or response.mimetype == "application/ogg":
        return response.status_code, response.headers.get("ETag"), hashlib.sha256(data).hexdigest()
    body = data.decode()
    for pattern, replacement in _VOLATILE:
        body = pattern.sub(replacement, body)
    return response.status_code, response.headers.get("ETag"), body
