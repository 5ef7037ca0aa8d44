"""Tracking what harvesters were shown: rows follow commits, deletions persist, metadata stays public-only."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from archive.core.extensions import db
from archive.models import OaiRecord
from archive.curation import narrators as narrator_service
from archive.interop import oai
from archive.curation import testimonies as testimony_service

T0 = datetime(2026, 3, 1, 12, 0, 0)


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime]:
    state = {"now": T0}
    monkeypatch.setattr(oai, "now", lambda: state["now"])
    return state


def row_for(testimony_id: int) -> OaiRecord | None:
    db.session.expire_all()
    return db.session.scalar(select(OaiRecord).where(OaiRecord.testimony_id == testimony_id))


def test_a_commit_records_a_public_testimony_at_once(app: Flask, factory: Any, clock: dict[str, datetime]) -> None:
    t = factory.testimony(tags=["famine"])
    row = row_for(t.id)
    assert row is not None and not row.deleted
    assert row.identifier == f"testimony/{t.id}" and row.datestamp == T0
    assert row.set_specs == ["collection:archive", "topic:famine"]
    draft = factory.testimony(status="draft")
    assert row_for(draft.id) is None  # never public: never tracked


def test_a_rolled_back_change_leaves_no_trace(app: Flask, factory: Any) -> None:
    t = factory.testimony(status="draft")
    t.status = "published"
    db.session.flush()
    db.session.rollback()
    assert row_for(t.id) is None
    assert oai.sync().added == 0


def test_published_then_withdrawn_before_any_harvest_is_still_a_deletion(app: Flask, factory: Any,
                                                                         clock: dict[str, datetime]) -> None:
    t = factory.testimony()
    clock["now"] = T0 + timedelta(minutes=5)
    testimony_service.withdraw_consent(t, None)
    row = row_for(t.id)
    assert row.deleted and row.datestamp == T0 + timedelta(minutes=5)
    assert row.set_specs == ["collection:archive"]  # kept, so set-wise harvesters learn of the deletion


def test_datestamps_move_only_when_what_harvesters_see_changes(app: Flask, factory: Any,
                                                               clock: dict[str, datetime]) -> None:
    t = factory.testimony()
    clock["now"] = T0 + timedelta(hours=1)
    testimony_service.update_testimony(t, {"consent_notes": "Asked not to be contacted on weekends."}, None)
    assert row_for(t.id).datestamp == T0
    clock["now"] = T0 + timedelta(hours=2)
    narrator_service.update_narrator(t.narrator, {"pseudonym": "Renamed narrator"})
    assert row_for(t.id).datestamp == T0 + timedelta(hours=2)
    clock["now"] = T0 + timedelta(hours=3)
    testimony_service.set_topics(t, ["brokers"], None)
    row = row_for(t.id)
    assert row.datestamp == T0 + timedelta(hours=3) and row.set_specs == ["collection:archive", "topic:brokers"]


def test_republishing_revives_the_same_identifier(app: Flask, factory: Any, clock: dict[str, datetime]) -> None:
    t = factory.testimony()
    testimony_service.unpublish_testimony(t, None)
    assert row_for(t.id).deleted
    clock["now"] = T0 + timedelta(days=1)
    testimony_service.publish_testimony(t, None)
    row = row_for(t.id)
    assert not row.deleted and row.identifier == f"testimony/{t.id}" and row.datestamp == T0 + timedelta(days=1)
    assert db.session.scalar(select(db.func.count(OaiRecord.id))) == 1


def test_a_deleted_testimony_keeps_its_deleted_record_and_its_identifier_is_never_reused(app: Flask,
                                                                                         factory: Any) -> None:
    t = factory.testimony()
    testimony_service.delete_testimony(t)
    old = db.session.scalar(select(OaiRecord))
    assert old.deleted and old.testimony_id is None and old.identifier == f"testimony/{t.id}"
    fresh = factory.testimony()
    assert row_for(fresh.id).identifier != old.identifier


def test_an_id_handed_out_again_gets_a_new_identifier(app: Flask, factory: Any) -> None:
    """SQLite may reuse the id of a deleted testimony: its old deleted record keeps the plain identifier."""
    draft = factory.testimony(status="draft")
    db.session.add(OaiRecord(identifier=f"testimony/{draft.id}", testimony_id=None, deleted=True, datestamp=T0,
                             sets=" collection:archive ", fingerprint=""))
    db.session.commit()
    testimony_service.publish_testimony(draft, None)
    assert row_for(draft.id).identifier == f"testimony/{draft.id}-2"
    orphan = db.session.scalar(select(OaiRecord).where(OaiRecord.identifier == f"testimony/{draft.id}"))
    assert orphan.deleted and orphan.testimony_id is None


def test_a_failed_tracking_pass_never_breaks_the_commit_and_the_next_harvest_repairs_it(
        app: Flask, factory: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    original = oai.sync

    def broken(ids: Any = None) -> Any:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(oai, "sync", broken)
    # Alembic's logging setup (run by the session fixture) disables loggers that existed before it.
    monkeypatch.setattr(oai.log, "disabled", False)
    with caplog.at_level(logging.WARNING, logger="archive.interop.oai"):
        t = factory.testimony(title="Committed anyway")
    assert "deferred to the next harvest" in caplog.text
    assert db.session.get(type(t), t.id).title == "Committed anyway"
    assert row_for(t.id) is None
    monkeypatch.setattr(oai, "sync", original)
    assert oai.sync().added == 1 and row_for(t.id) is not None


def test_described_metadata_is_only_what_the_public_page_shows(app: Flask, factory: Any) -> None:
    narrator = factory.narrator(pseudonym="Kim Pseudonym", real_name="Real Person", public_name="Public Name",
                                curator_notes="Curator secret")
    t = factory.testimony(narrator, title="On the river", consent_notes="Consent secret", consent_name=False,
                          summary="<p>Crossing <em>at night</em>.</p>", interviewer="Park Interviewer",
                          segments=[{"start": 0, "end": 4, "text": "Open passage"},
                                    {"start": 4, "end": 8, "text": "Secret passage", "restricted": True}],
                          route=[{"country": "China", "year": 2009, "event": "transit"},
                                 {"country": "South Korea", "year": 2010, "event": "arrived"}],
                          tags=["famine"])
    metadata = oai.describe(t)
    text = repr(metadata)
    for secret in ("Real Person", "Public Name", "Curator secret", "Consent secret", "Secret passage",
                   "Open passage"):
        assert secret not in text
    assert metadata["creator"] == ["Kim Pseudonym"]
    assert metadata["description"] == ["Crossing at night.", "Narrator: born 1980s; from North Hamgyong; left North "
                                       "Korea 2005–2009; arrived in South Korea 2005–2009."]
    assert metadata["subject"] == ["Famine"] and metadata["language"] == ["en"]
    assert {"China", "South Korea", "2005/2014"} <= set(metadata["coverage"])  # years in five-year bands
    assert metadata["type"] == ["Text"] and metadata["contributor"] == ["Park Interviewer"]
    testimony_service.update_testimony(t, {"consent_name": True}, None)
    assert oai.describe(t)["creator"] == ["Public Name"]


def test_fictional_records_form_the_demo_collection_and_say_so(app: Flask, factory: Any) -> None:
    t = factory.testimony(fictional=True)
    assert oai.record_sets(t)[0] == "collection:demo"
    assert oai.FICTIONAL_NOTICE in oai.describe(t)["rights"]
    assert oai.FICTIONAL_NOTICE in oai.describe(t)["description"]
