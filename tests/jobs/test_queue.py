"""The job queue end to end, on SQLite and on Redis: outbox, `jobs run --until-idle`, retries, status, a killed worker."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from archive.core.extensions import db
from archive.media import copies
from archive.models import PublicCopy, PublicCopyOutbox, Recording
from archive.curation import testimonies as testimony_service
from archive.curation.recordings import upload_recording
from tests.media.samples import RESTRICTED, decode, loudest_dbfs, make_sample

SEGMENTS = [{"start": 0.0, "end": 1.0, "text": "Before."},
            {"start": RESTRICTED[0], "end": RESTRICTED[1], "text": "My brother's unit.", "restricted": True},
            {"start": 2.0, "end": 3.0, "text": "After."}]


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_sample(tmp_path_factory.mktemp("wav"), "wav").read_bytes()


def uploaded(factory: Any, wav: bytes, **fields: Any) -> Recording:
    t = factory.testimony(segments=SEGMENTS, **{"consent_face_voice": True, **fields})
    upload_recording(t, io.BytesIO(wav), "Kim Chol-su.wav", None)
    assert t.recording is not None
    return t.recording


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PublicCopyOutbox)) or 0


def copy_row(rec: Recording) -> PublicCopy | None:
    db.session.expire_all()
    return db.session.scalar(select(PublicCopy).where(PublicCopy.recording_id == rec.id))


def test_upload_queues_a_job_that_the_worker_runs(queue: str, factory: Any, wav: bytes, client: FlaskClient,
                                                 runner: FlaskCliRunner) -> None:
    rec = uploaded(factory, wav)
    assert copy_row(rec) is None  # queued, not made in the request
    assert client.get(f"/media/recordings/{rec.id}").status_code == 404  # no audio yet, never the original
    status = runner.invoke(args=["jobs", "status"])
    assert "1 queued" in status.output or "1 testimonies with a copy to make" in status.output
    result = runner.invoke(args=["jobs", "run", "--until-idle"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
    row = copy_row(rec)
    assert row is not None and row.state == "ready" and not row.shared_original
    response = client.get(f"/media/recordings/{rec.id}")
    assert response.status_code == 200 and response.data != wav
    assert response.headers["ETag"] == f'"{row.sha256}"'
    assert outbox_count() == 0
    assert "failed: 0" in runner.invoke(args=["jobs", "status"]).output


def test_a_rolled_back_change_queues_nothing(queue: str, factory: Any, wav: bytes, runner: FlaskCliRunner) -> None:
    rec = uploaded(factory, wav)
    runner.invoke(args=["jobs", "run", "--until-idle"])
    before = outbox_count()
    rec.testimony.segments[0].restricted = True
    db.session.flush()
    assert outbox_count() == before + 1  # written in the flush, in the same transaction
    db.session.rollback()
    assert outbox_count() == before


def test_restricting_a_passage_withdraws_the_old_copy_until_the_new_one_is_made(
        queue: str, factory: Any, wav: bytes, client: FlaskClient, runner: FlaskCliRunner) -> None:
    rec = uploaded(factory, wav)
    runner.invoke(args=["jobs", "run", "--until-idle"])
    assert client.get(f"/media/recordings/{rec.id}").status_code == 200
    t = rec.testimony
    segments = [dict(s, restricted=True) if s["start"] == 2.0 else s for s in SEGMENTS]
    testimony_service.replace_transcript(t, segments, None)
    # The old copy lets the newly restricted passage be heard: it is never served again.
    assert client.get(f"/media/recordings/{rec.id}").status_code == 404
    runner.invoke(args=["jobs", "run", "--until-idle"])
    response = client.get(f"/media/recordings/{rec.id}")
    assert response.status_code == 200
    path = Path(copies.media_root()) / copy_row(rec).storage_path
    samples, rate = decode(path)
    assert loudest_dbfs(samples, rate, 2.0, 2.95) < -60


def test_a_failing_job_is_retried_then_shown_to_curators(queue: str, factory: Any, wav: bytes, client: FlaskClient,
                                                         runner: FlaskCliRunner, auth: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def broken(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        raise copies.RedactionError("the encoder gave up")

    monkeypatch.setattr(copies, "make_public_copy", broken)
    rec = uploaded(factory, wav)
    result = runner.invoke(args=["jobs", "run", "--until-idle"])
    assert len(calls) == 3  # the first try and two retries
    assert "1 failed" in result.output and "the encoder gave up" in result.output
    row = copy_row(rec)
    assert row.state == "failed" and row.attempts == 3
    assert "the encoder gave up" in runner.invoke(args=["jobs", "status"]).output
    assert client.get(f"/media/recordings/{rec.id}").status_code == 404
    auth.login("curator")
    page = client.get(f"/curate/testimonies/{rec.testimony_id}").get_data(as_text=True)
    assert "the encoder gave up" in page
    monkeypatch.undo()
    # A later change (or a curator saving again) tries again.
    testimony_service.replace_transcript(rec.testimony, SEGMENTS[:2], None)
    runner.invoke(args=["jobs", "run", "--until-idle"])
    assert copy_row(rec).state == "ready"


def test_a_killed_worker_s_job_is_redone_and_nothing_half_written_is_served(
        queue: str, app: Flask, factory: Any, wav: bytes, client: FlaskClient, runner: FlaskCliRunner) -> None:
    rec = uploaded(factory, wav)
    # A worker process that dies (SIGKILL-like os._exit) after writing its temporary file, before verifying it.
    script = """
import json, os, sys
from archive import create_app
from archive.media import copies
config = json.loads(sys.argv[1])
app = create_app(config)
def die(*args, **kwargs):
    os._exit(137)
copies.verify = die
with app.app_context():
    app.extensions["jobs"].run_until_idle()
"""
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "ARCHIVE_DATA_DIR", "MEDIA_ROOT",
                                               "SEARCH_INDEX_DIR", "SECRET_KEY", "JOBS_URL", "JOBS_RETRY_DELAY",
                                               "JOBS_RETRIES", "JOBS_COPY_CACHE")}
    config["TESTING"] = True
    done = subprocess.run([sys.executable, "-c", script, json.dumps(config)], cwd=Path(__file__).parents[2],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 137, done.stderr[-2000:]
    row = copy_row(rec)
    assert row.state == "running"  # the dead worker's claim
    partial = list((copies.media_root() / copies.PUBLIC_DIR / copies.PARTIAL_DIR).iterdir())
    assert partial, "the killed worker left its temporary file"
    assert client.get(f"/media/recordings/{rec.id}").status_code == 404
    result = runner.invoke(args=["jobs", "run", "--until-idle"])
    assert result.exit_code == 0 and "0 failed" in result.output
    row = copy_row(rec)
    assert row.state == "ready" and row.attempts == 2
    assert not any(p.exists() for p in partial)  # the half-written file is gone, never served
    response = client.get(f"/media/recordings/{rec.id}")
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{row.sha256}"'
