"""The one after-flush/after-commit dispatcher, through the services: the search outbox, OAI-PMH tracking
and the public-copy outbox follow a testimony change together, in the documented order, and roll back
together."""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive import create_app
from archive.core import audit, dispatch
from archive.core.extensions import db
from archive.curation import testimonies as testimony_service
from archive.curation.recordings import upload_recording
from archive.interop import oai
from archive import models
from archive.models import OaiRecord, PublicCopyOutbox, SearchOutbox
from tests.media.samples import make_sample

Calls = list[tuple[str, str, set[int]]]


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_sample(tmp_path_factory.mktemp("wav"), "wav").read_bytes()


@pytest.fixture()
def calls(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Every handler call, (event, name, ids), in the order they ran; the real handlers still run."""
    seen: Calls = []

    def spy(event: str, name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        def run(session: Session, ids: set[int]) -> Any:
            seen.append((event, name, set(ids)))
            return handler(session, ids)
        return run

    for event, table in (("flush", dispatch._flush_handlers), ("commit", dispatch._commit_handlers)):
        for name, handler in list(table.items()):
            monkeypatch.setitem(table, name, spy(event, name, handler))
    return seen


def with_recording(factory: Any, wav: bytes) -> models.Testimony:
    t = factory.testimony(segments=[{"start": 0.0, "end": 1.0, "text": "Before."}], consent_face_voice=True)
    upload_recording(t, io.BytesIO(wav), "tone.wav", None)
    return t


def count(table: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(table)) or 0


def oai_row(testimony_id: int) -> OaiRecord | None:
    db.session.expire_all()
    return db.session.scalar(select(OaiRecord).where(OaiRecord.testimony_id == testimony_id))


def test_the_docstring_lists_the_handlers_in_the_order_they_run(app: Flask) -> None:
    doc = dispatch.__doc__ or ""
    flush_part, commit_part = doc.split("After the commit")
    for part in (flush_part, commit_part):
        listed = re.findall(r'^\s+\d\. "([a-z-]+)"', part, re.MULTILINE)
        assert tuple(listed) == dispatch.ORDER
    # Every area registered from its init_app: search and copies at both moments, OAI after commit only.
    assert sorted(dispatch._flush_handlers) == ["public-copies", "search-outbox"]
    assert sorted(dispatch._commit_handlers) == sorted(dispatch.ORDER)
    with pytest.raises(ValueError, match="add it to ORDER"):
        dispatch.after_commit("thumbnails", lambda session, ids: None)


def test_a_change_commits_one_row_per_outbox_and_one_oai_change(
        app: Flask, factory: Any, wav: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    t = with_recording(factory, wav)
    assert count(SearchOutbox) == count(PublicCopyOutbox) == 0  # drained after each commit
    before = oai_row(t.id)
    assert before is not None
    stamp, fingerprint = before.datestamp, before.fingerprint
    monkeypatch.setattr(oai, "now", lambda: stamp.replace(year=stamp.year + 1))
    app.config["SEARCH_SYNC"] = False  # leave the search row where the flush wrote it
    seen: dict[str, int] = {}
    original = dispatch._commit_handlers["search-outbox"]

    def counting(session: Session, ids: set[int]) -> None:
        # The transaction is committed: its rows are there for another connection to read.
        with Session(db.engine) as other:
            seen["search"], seen["copies"] = (other.scalar(select(func.count()).select_from(table))
                                              for table in (SearchOutbox, PublicCopyOutbox))
        original(session, ids)

    monkeypatch.setitem(dispatch._commit_handlers, "search-outbox", counting)
    testimony_service.update_testimony(t, {"title": "Renamed"}, t.version)
    assert seen == {"search": 1, "copies": 1}
    assert count(SearchOutbox) == 1 and count(PublicCopyOutbox) == 0  # SEARCH_SYNC off; copies queued
    after = oai_row(t.id)
    assert after.datestamp.year == stamp.year + 1 and after.fingerprint != fingerprint
    assert count(OaiRecord) == 1


def test_handlers_run_search_then_oai_then_copies(app: Flask, factory: Any, wav: bytes, calls: Calls) -> None:
    t = with_recording(factory, wav)
    calls.clear()
    testimony_service.update_testimony(t, {"title": "Renamed again"}, t.version)
    assert [(event, name) for event, name, _ in calls] == [
        ("flush", "search-outbox"), ("flush", "public-copies"),
        ("commit", "search-outbox"), ("commit", "oai-records"), ("commit", "public-copies")]
    assert all(ids == {t.id} for _, _, ids in calls)
    assert count(SearchOutbox) == count(PublicCopyOutbox) == 0


def test_an_error_after_the_flush_rolls_every_outbox_back_together(
        app: Flask, factory: Any, wav: bytes, calls: Calls, monkeypatch: pytest.MonkeyPatch) -> None:
    t = with_recording(factory, wav)
    tracked = oai_row(t.id).fingerprint
    calls.clear()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the audit log is full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        testimony_service.update_testimony(t, {"title": "Never saved"}, t.version)
    # Flushed, not committed: the rows are in the failed transaction.
    assert count(SearchOutbox) == 1 and count(PublicCopyOutbox) == 1
    db.session.rollback()
    assert count(SearchOutbox) == count(PublicCopyOutbox) == 0
    assert [event for event, _, _ in calls] == ["flush", "flush"]  # nothing ran after a commit
    db.session.commit()  # a later empty commit has nothing left to announce
    assert [event for event, _, _ in calls] == ["flush", "flush"]
    assert oai_row(t.id).fingerprint == tracked
    assert db.session.get(models.Testimony, t.id).title != "Never saved"


def test_a_savepoint_waits_for_the_real_commit_and_its_rollback_forgets_nothing(
        app: Flask, factory: Any, calls: Calls) -> None:
    t = factory.testimony()
    calls.clear()
    t.title = "Changed outside the savepoint"
    db.session.flush()
    with db.session.begin_nested():
        t.summary = "Changed in a released savepoint"
    with pytest.raises(RuntimeError), db.session.begin_nested():
        t.interviewer = "Changed in a savepoint rolled back"
        db.session.flush()
        raise RuntimeError
    assert {event for event, _, _ in calls} == {"flush"}
    db.session.commit()
    assert [(event, name) for event, name, _ in calls if event == "commit"] == [
        ("commit", "search-outbox"), ("commit", "oai-records")]  # no recording: no copies
    assert count(SearchOutbox) == 0


def test_deferred_runs_each_handler_once_at_the_end_with_every_commits_ids(app: Flask, factory: Any,
                                                                          calls: Calls) -> None:
    t = factory.testimony()
    other = factory.testimony()
    calls.clear()
    with dispatch.deferred():
        testimony_service.update_testimony(t, {"title": "First"}, t.version)
        with dispatch.deferred():  # a block inside another joins it
            testimony_service.update_testimony(other, {"title": "Other"}, other.version)
        testimony_service.update_testimony(t, {"title": "Second"}, t.version)
        assert count(SearchOutbox) == 3  # the flushes wrote their rows; nothing has drained them yet
        assert not [name for event, name, _ in calls if event == "commit"]
    assert [(name, ids) for event, name, ids in calls if event == "commit"] == [
        ("search-outbox", {t.id, other.id}), ("oai-records", {t.id, other.id})]
    assert count(SearchOutbox) == 0
    assert app.test_client().get("/api/v1/search?q=Second").get_json()["total"] == 1


def test_deferred_work_still_runs_when_the_block_fails(app: Flask, factory: Any, calls: Calls) -> None:
    t = factory.testimony()
    calls.clear()
    with pytest.raises(RuntimeError), dispatch.deferred():
        testimony_service.update_testimony(t, {"title": "Committed before the error"}, t.version)
        raise RuntimeError
    assert [name for event, name, _ in calls if event == "commit"] == ["search-outbox", "oai-records"]
    assert count(SearchOutbox) == 0


def test_a_second_app_in_the_process_registers_nothing_twice(app: Flask, factory: Any) -> None:
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "ARCHIVE_DATA_DIR", "MEDIA_ROOT",
                                               "SEARCH_INDEX_DIR", "SECRET_KEY")}
    before = {name: dict(table) for name, table in (("flush", dispatch._flush_handlers),
                                                    ("commit", dispatch._commit_handlers))}
    create_app({"TESTING": True, **config})
    create_app({"TESTING": True, **config})
    assert before == {"flush": dispatch._flush_handlers, "commit": dispatch._commit_handlers}
    session = db.session()
    for event_name in ("after_flush", "after_commit", "after_transaction_end", "after_rollback"):
        ours = [f"{fn.__module__}.{fn.__qualname__}" for fn in getattr(session.dispatch, event_name)
                if fn.__module__.startswith("archive")]
        assert ours == ([] if event_name == "after_rollback" else [f"archive.core.dispatch._{event_name}"])
    app.config["SEARCH_SYNC"] = False
    t = factory.testimony()
    testimony_service.update_testimony(t, {"title": "Once"}, t.version)
    rows = db.session.scalars(select(SearchOutbox.testimony_id)).all()
    assert rows.count(t.id) == 2  # one a flush: the creation and this change (twice each, were it doubled)
