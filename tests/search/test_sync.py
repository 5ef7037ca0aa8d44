"""The index follows the database: the four commit cases, crash repair, concurrent writers."""
from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from archive.core.extensions import db
from archive import models
from archive.search import sync as search_sync
from archive.search import requests as searching
from archive.curation import testimonies as testimony_service


def found(word: str, audience_user: Any = None) -> list[int]:
    """Ids of testimonies the search service returns for a word."""
    return [hit.id for hit in searching.run(MultiDict({"q": word}), audience_user).results.hits]


def test_commit_makes_new_text_searchable(app: Flask, factory: Any) -> None:
    t = factory.testimony(segments=[{"start": 0, "end": 5, "text": "the quxhalite river crossing"}])
    assert found("quxhalite") == [t.id]


def test_rollback_leaves_nothing_in_the_index(app: Flask, factory: Any) -> None:
    t = factory.testimony(segments=[{"start": 0, "end": 5, "text": "an ordinary passage"}])
    segment = db.session.get(models.Segment, t.segments[0].id)
    segment.text = "a rolled back zorvenite passage"
    db.session.flush()
    db.session.rollback()
    search_sync.drain_outbox()
    assert found("zorvenite") == []
    assert db.session.scalar(select(func.count(models.SearchOutbox.id))) == 0


def test_delete_removes_from_the_index(app: Flask, factory: Any) -> None:
    t = factory.testimony(segments=[{"start": 0, "end": 5, "text": "the plimsoquet harbour"}])
    assert found("plimsoquet") == [t.id]
    testimony_service.delete_testimony(t)
    assert found("plimsoquet") == []


def test_flush_then_commit_is_searchable(app: Flask, factory: Any) -> None:
    narrator = factory.narrator()
    t = models.Testimony(title="Flushed before commit", narrator=narrator, access="public", status="published",
                  consent_transcript=True, languages_csv="en")
    db.session.add(t)
    db.session.flush()
    t.segments.append(models.Segment(position=1, start=0, end=3, text="the brastowine orchard", language="en"))
    db.session.flush()
    db.session.commit()
    assert found("brastowine") == [t.id]


def test_narrator_edit_reindexes_their_testimonies(app: Flask, factory: Any) -> None:
    narrator = factory.narrator(pseudonym="Kim Old")
    t = factory.testimony(narrator=narrator, segments=[{"start": 0, "end": 2, "text": "words"}])
    narrator = db.session.get(models.Narrator, narrator.id)
    narrator.pseudonym = "Wexlorind"
    db.session.commit()
    assert found("Wexlorind") == [t.id]


def test_unpublishing_removes_from_public_search_at_once(app: Flask, factory: Any) -> None:
    t = factory.testimony(segments=[{"start": 0, "end": 2, "text": "the glenthorpe mine"}])
    assert found("glenthorpe") == [t.id]
    testimony_service.withdraw_consent(t, None)
    assert found("glenthorpe") == []


def test_crash_between_commit_and_indexing_is_repaired(app: Flask, factory: Any, runner: Any) -> None:
    app.config["SEARCH_SYNC"] = False  # the process "dies" before draining the outbox
    t = factory.testimony(segments=[{"start": 0, "end": 2, "text": "the morvantic ferry"}])
    assert found("morvantic") == []
    assert db.session.scalar(select(func.count(models.SearchOutbox.id))) > 0
    app.config["SEARCH_SYNC"] = True
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1 and "missing" in result.output
    result = runner.invoke(args=["search", "verify", "--repair"])
    assert result.exit_code == 0, result.output
    assert found("morvantic") == [t.id]
    assert db.session.scalar(select(func.count(models.SearchOutbox.id))) == 0
    assert runner.invoke(args=["search", "verify"]).exit_code == 0


def test_next_start_drains_what_a_crash_left(app: Flask, factory: Any) -> None:
    app.config["SEARCH_SYNC"] = False
    t = factory.testimony(segments=[{"start": 0, "end": 2, "text": "the trevalliant bridge"}])
    app.config["SEARCH_SYNC"] = True
    app.extensions["search_drained_at_start"] = False
    assert app.test_client().get("/").status_code == 200  # first request of a "new" process
    assert found("trevalliant") == [t.id]


def test_reindex_rebuilds_from_the_database(app: Flask, factory: Any, runner: Any) -> None:
    ids = [factory.testimony(segments=[{"start": 0, "end": 2, "text": f"common wordzz{i}"}]).id for i in range(3)]
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "Indexed 3 testimonies" in result.output
    assert sorted(found("common")) == sorted(ids)


def test_rebuild_and_save_paths_build_the_same_documents(app: Flask, factory: Any) -> None:
    # A rebuild reads segments as plain rows, a save as objects: the documents must not differ.
    segments = [{"start": 4, "end": 6, "text": "second passage", "restricted": True},
                {"start": 0, "end": 2, "text": "first passage", "speaker": "Narrator", "language": "ko"}]
    kept = [factory.testimony(segments=segments), factory.testimony(segments=segments, consent_transcript=False),
            factory.testimony(segments=[])]
    rebuilt = {doc["id"]: doc for doc in search_sync.iter_all_documents()}
    saved, missing = search_sync.load_documents(db.session, [t.id for t in kept])
    assert missing == [] and len(saved) == 3
    for doc in saved:
        assert rebuilt[doc["id"]] == doc
    audiences = rebuilt[kept[0].id]["audiences"]
    assert [s["text"] for s in audiences["staff"]["segments"]] == ["first passage", "second passage"]
    assert [s["restricted"] for s in audiences["staff"]["segments"]] == [False, True]
    for audience in ("public", "researcher"):
        assert [s["text"] for s in audiences[audience]["segments"]] == ["first passage"]
    # Without consent to the transcript, no audience but staff gets any of its text.
    unconsented = rebuilt[kept[1].id]["audiences"]
    assert unconsented["public"]["segments"] == unconsented["researcher"]["segments"] == []
    assert len(unconsented["staff"]["segments"]) == 2


def _write_many(database_url: str, data_dir: str, worker: int, count: int) -> None:
    """A separate process (like a gunicorn worker or a CLI import) saving testimonies."""
    from archive import create_app
    from archive.curation import narrators
    from archive.curation import testimonies

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ARCHIVE_DATA_DIR": data_dir,
                      "MEDIA_ROOT": f"{data_dir}/media", "SEARCH_INDEX_DIR": f"{data_dir}/index",
                      "SECRET_KEY": "x"})
    with app.app_context():
        for i in range(count):
            n = narrators.create_narrator({"pseudonym": f"W{worker}-{i}"})
            t = testimonies.create_testimony({"title": f"Concurrent {worker}-{i}", "access": "public",
                                              "status": "published", "consent_transcript": True}, n)
            testimonies.replace_transcript(t, [{"start": 0, "end": 1, "text": f"concurrentmark w{worker}x{i}"}], None)


def test_concurrent_writers_lose_no_update(app: Flask) -> None:
    data_dir = str(Path(app.config["SEARCH_INDEX_DIR"]).parent)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(url, data_dir, w, 6)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    search_sync.drain_outbox()
    assert len(found("concurrentmark")) == 18
    report = search_sync.verify()
    assert report == {"missing": [], "stale": [], "orphaned": []}


def test_ended_embargo_reaches_public_search_on_the_next_day(app: Flask, factory: Any) -> None:
    from datetime import timedelta

    from archive.models.base import utcnow

    today = utcnow().date()
    t = factory.testimony(embargo_until=today + timedelta(days=1),
                          segments=[{"start": 0, "end": 2, "text": "the sealed quenvarish letter"}])
    assert found("quenvarish") == []
    # The day passes: the row is as it was, only the date moved on.
    db.session.execute(models.Testimony.__table__.update().where(models.Testimony.id == t.id)
                       .values(embargo_until=today))
    db.session.commit()
    app.extensions["search_embargo_sweep"] = today - timedelta(days=1)
    assert app.test_client().get("/").status_code == 200
    assert found("quenvarish") == [t.id]


def test_index_of_another_schema_version_is_rebuilt_at_start(app: Flask, factory: Any, caplog: Any,
                                                             monkeypatch: Any) -> None:
    import logging

    # Alembic's fileConfig() in migrations/env.py disables loggers that existed before it ran.
    monkeypatch.setattr(logging.getLogger("archive.search.sync"), "disabled", False)
    t = factory.testimony(segments=[{"start": 0, "end": 2, "text": "the quorvalent mill"}])
    engine = app.extensions["search"]
    store = engine._store
    (store.root / str(store.current()) / "VERSION").write_text("0")  # built by older code
    old_generation = store.current()
    app.extensions["search_schema_checked"] = False  # a new process starting
    with caplog.at_level(logging.WARNING, logger="archive.search.sync"):
        assert app.test_client().get("/").status_code == 200
    assert "search reindex" in caplog.text
    assert engine.schema_outdated() is None and store.current() != old_generation
    assert found("quorvalent") == [t.id]
