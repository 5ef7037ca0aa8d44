"""Bulk work through the service: each change, the publication checks, stale versions, audit and search."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from archive import models as m
from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.curation import bulk, sensitive
from archive.curation import testimonies as testimony_service
from archive.policy import access
from archive.search import requests as searching


def found(word: str, user: Any = None) -> list[int]:
    """Ids the search service returns to the user (anonymous: the public index)."""
    return [hit.id for hit in searching.run(MultiDict({"q": word}), user).results.hits]


def entries(action: str, testimony: m.Testimony | None = None) -> list[m.AuditEntry]:
    query = select(m.AuditEntry).where(m.AuditEntry.action == action).order_by(m.AuditEntry.id)
    if testimony is not None:
        query = query.where(m.AuditEntry.object_type == "testimony", m.AuditEntry.object_id == testimony.id)
    return list(db.session.scalars(query))


def versions(*testimonies: m.Testimony) -> list[tuple[int, int]]:
    return [(t.id, t.version) for t in testimonies]


def run(change: dict[str, Any], *testimonies: m.Testimony) -> bulk.Outcome:
    """Preview, then apply at the versions the preview showed (as the confirmation does)."""
    c = bulk.change_from(change)
    shown = bulk.preview(list(testimonies), c)
    return bulk.apply(c, [(i.testimony_id, i.version) for i in shown.of(bulk.CHANGE)])


@pytest.fixture()
def drafts(factory: Any) -> list[m.Testimony]:
    with factory.batch():
        return [factory.testimony(title=f"Draft {n}", access="restricted", status="draft", segments=[
            {"start": 0, "end": 5, "text": f"the quellbrook{n} ferry at dawn"}]) for n in (1, 2)]


# ---------------------------------------------------------------- the change and the selection

@pytest.mark.parametrize("data, field", [
    ({}, "action"), ({"action": "shout"}, "action"), ({"action": "access"}, "access"),
    ({"action": "access", "access": "everyone"}, "access"), ({"action": "add_topics"}, "topics"),
    ({"action": "add_topics", "topics": ["no-such-topic"]}, "topics"), ({"action": "embargo"}, "embargo_until"),
    ({"action": "embargo", "embargo_until": "2030-02-30"}, "embargo_until"),
    ({"action": "embargo", "embargo_until": "next year"}, "embargo_until"),
    ({"action": "embargo", "embargo_until": "2001-01-01"}, "embargo_until"),
])
def test_a_bad_change_is_refused_naming_its_field(app: Flask, data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        bulk.change_from(data)
    assert list(caught.value.errors) == [field]


def test_nothing_selected_is_refused(app: Flask, drafts: list[m.Testimony]) -> None:
    with pytest.raises(ValidationError) as caught:
        bulk.selected("ticked", [], bulk.Filters())
    assert "Select at least one testimony" in caught.value.errors["ids"][0]
    with pytest.raises(ValidationError):
        bulk.selected("ticked", [9999], bulk.Filters())
    with pytest.raises(ValidationError) as caught:
        bulk.selected("matching", [], bulk.Filters(q="nothing like this"))
    assert "No testimony matches" in caught.value.errors["ids"][0]


def test_filters_select_by_status_access_topic_and_title(factory: Any) -> None:
    with factory.batch():
        a = factory.testimony(title="Crossing the Tumen", tags=["famine"])
        b = factory.testimony(title="Tumen in winter 100%", access="restricted", status="draft")
        c = factory.testimony(title="Seoul years", access="researchers", tags=["famine"])
    ids = lambda **kw: sorted(t.id for t in bulk.matching(bulk.Filters(**kw)))  # noqa: E731
    assert ids() == sorted([a.id, b.id, c.id])
    assert ids(q="tumen") == sorted([a.id, b.id])
    assert ids(q="winter tumen") == [b.id]
    assert ids(q="100%") == [b.id] and ids(q="%") == [b.id]
    assert ids(status="draft") == [b.id]
    assert ids(access="researchers") == [c.id]
    assert ids(topic="famine") == sorted([a.id, c.id])
    assert ids(topic="famine", q="seoul") == [c.id]
    # Unknown values are dropped rather than matching nothing.
    assert bulk.Filters.from_args({"status": "gone", "access": "x", "topic": "nope", "q": "  a  b "}) == \
        bulk.Filters(q="a b")
    assert [t.id for t in bulk.selected("ticked", [a.id, c.id, 12345], bulk.Filters())] == [c.id, a.id]


# ---------------------------------------------------------------- each change

def test_set_access_narrows_directly_and_is_audited_per_testimony(factory: Any, curator: Any) -> None:
    with factory.batch():
        ts = [factory.testimony(title=f"Open {n}") for n in (1, 2)]
        already = factory.testimony(title="Closed", access="restricted")
    c = bulk.change_from({"action": "access", "access": "restricted"})
    shown = bulk.preview([*ts, already], c)
    assert [i.testimony_id for i in shown.of(bulk.CHANGE)] == [t.id for t in ts]
    assert [i.reason for i in shown.of(bulk.SAME)] == ["Its access level is already the one chosen."]
    assert shown.items[0].changes == {"access": ("public", "restricted")}
    assert shown.items[0].reach == ("public", None) and shown.items[0].widens is None
    outcome = bulk.apply(c, versions(*ts, already), actor=curator)
    assert [i.testimony_id for i in outcome.of(bulk.APPLIED)] == [t.id for t in ts]
    assert [i.testimony_id for i in outcome.of(bulk.SAME)] == [already.id]
    for t in ts:
        db.session.refresh(t)
        assert t.access == "restricted" and t.version == 2
        [update] = entries("testimony.update", t)
        assert json.loads(update.details)["changes"] == {"access": ["public", "restricted"]}
        assert update.actor == "curator@example.org" and update.version == 2
        assert len(entries("testimony.access", t)) == 1
    [summary] = entries("testimony.bulk")
    details = json.loads(summary.details)
    assert details["applied"] == [t.id for t in ts] and details["change"]["access"] == "restricted"


def test_publish_and_unpublish_change_what_search_finds(app: Flask, factory: Any, drafts: list[m.Testimony]) -> None:
    testimony_service.update_testimony(drafts[0], {"access": "public"}, None)  # a draft: nobody new sees it
    testimony_service.update_testimony(drafts[1], {"access": "public"}, None)
    assert found("quellbrook1") == [] and found("quellbrook2") == []
    outcome = run({"action": "publish"}, *drafts)
    assert len(outcome.of(bulk.APPLIED)) == 2
    assert all(i.widens == "public" and i.reach == (None, "public") for i in outcome.of(bulk.APPLIED))
    assert found("quellbrook1") == [drafts[0].id] and found("quellbrook2") == [drafts[1].id]
    assert len(entries("testimony.publish")) == 2 and len(entries("testimony.disclosure_check")) == 2
    outcome = run({"action": "unpublish"}, drafts[0])
    assert [i.testimony_id for i in outcome.of(bulk.APPLIED)] == [drafts[0].id]
    assert found("quellbrook1") == [] and found("quellbrook2") == [drafts[1].id]
    assert db.session.get(m.Testimony, drafts[0].id).status == "draft"
    assert len(entries("testimony.unpublish", drafts[0])) == 1
    # The OAI records followed through the same path: the unpublished one is a deleted record now.
    oai = {r.testimony_id: r.deleted for r in db.session.scalars(select(m.OaiRecord))}
    assert oai == {drafts[0].id: True, drafts[1].id: False}


def test_the_index_is_written_once_for_the_whole_bulk_change(app: Flask, drafts: list[m.Testimony],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.search import sync as search_sync

    calls: list[int] = []
    drain = search_sync.drain_outbox
    monkeypatch.setattr(search_sync, "drain_outbox", lambda *a, **k: calls.append(1) or drain(*a, **k))
    run({"action": "access", "access": "researchers"}, *drafts)
    assert all(db.session.get(m.Testimony, t.id).access == "researchers" for t in drafts)
    assert len(calls) == 1  # two saves, one drain when the bulk change ends


def test_publishing_restricted_drafts_needs_no_checklist(drafts: list[m.Testimony]) -> None:
    sensitive.add_term(drafts[0], "quellbrook1")  # a hit, but nobody outside staff will see it
    outcome = run({"action": "publish"}, *drafts)
    assert len(outcome.of(bulk.APPLIED)) == 2 and all(i.widens is None for i in outcome.items)
    assert {db.session.get(m.Testimony, t.id).status for t in drafts} == {"published"}
    assert found("quellbrook1") == []  # published but restricted: staff only
    assert entries("testimony.disclosure_check") == []


def test_publishing_is_refused_with_the_checklists_reasons(app: Flask, factory: Any) -> None:
    with factory.batch():
        hit = factory.testimony(title="Names a brother", access="public", status="draft", segments=[
            {"start": 0, "end": 5, "text": "My brother Pak Chol went first."}])
        withdrawn = factory.testimony(title="Withdrawn", access="public", status="draft")
        rare = factory.testimony(title="Rare profile", access="researchers", status="draft")
        fine = factory.testimony(title="Fine", access="public", status="draft", segments=[
            {"start": 0, "end": 5, "text": "the zarnovite mill"}])
    sensitive.add_term(hit, "Pak Chol")
    testimony_service.withdraw_consent(withdrawn, None)
    c = bulk.change_from({"action": "publish"})
    app.config["DISCLOSURE_THRESHOLD"] = 10 ** 9
    shown = bulk.preview([rare], c)
    assert shown.items[0].outcome == bulk.REFUSED and "fewer than the threshold" in shown.items[0].reason
    app.config["DISCLOSURE_THRESHOLD"] = 50
    shown = bulk.preview([hit, withdrawn, fine], c)
    by_id = {i.testimony_id: i for i in shown.items}
    assert by_id[hit.id].outcome == bulk.REFUSED and "sensitive-term hits are not resolved" in by_id[hit.id].reason
    assert by_id[withdrawn.id].outcome == bulk.REFUSED and "withdrew consent" in by_id[withdrawn.id].reason
    assert by_id[fine.id].outcome == bulk.CHANGE
    # Confirming with all of them (a tampered confirmation) still refuses the ones the checks refuse.
    done = bulk.apply(c, versions(hit, withdrawn, fine))
    assert [i.testimony_id for i in done.of(bulk.APPLIED)] == [fine.id]
    assert sorted(i.testimony_id for i in done.of(bulk.REFUSED)) == sorted([hit.id, withdrawn.id])
    assert db.session.get(m.Testimony, hit.id).status == "draft"
    assert db.session.get(m.Testimony, withdrawn.id).status == "draft"
    assert found("zarnovite") == [fine.id] and found("Chol") == []


def test_a_hit_found_after_the_preview_still_refuses_publication(factory: Any) -> None:
    t = factory.testimony(title="Later hit", access="public", status="draft", segments=[
        {"start": 0, "end": 5, "text": "My aunt Ri Sun-hui stayed."}])
    c = bulk.change_from({"action": "publish"})
    [item] = bulk.preview([t], c).items
    assert item.outcome == bulk.CHANGE
    sensitive.add_term(t, "Ri Sun-hui")  # not a versioned change of the testimony
    [done] = bulk.apply(c, [(t.id, item.version)]).items
    assert done.outcome == bulk.REFUSED and "not resolved" in done.reason
    assert db.session.get(m.Testimony, t.id).status == "draft" and entries("testimony.publish") == []


def test_widening_access_of_a_published_testimony_passes_the_checks(factory: Any) -> None:
    with factory.batch():
        a = factory.testimony(title="Researchers only", access="researchers")
        b = factory.testimony(title="Researchers too", access="researchers", segments=[
            {"start": 0, "end": 5, "text": "Kang Yong-su drove the truck."}])
    sensitive.add_term(b, "Kang Yong-su")
    outcome = run({"action": "access", "access": "public"}, a, b)
    assert [i.testimony_id for i in outcome.of(bulk.APPLIED)] == [a.id]
    assert db.session.get(m.Testimony, a.id).access == "public"
    assert db.session.get(m.Testimony, b.id).access == "researchers"
    assert json.loads(entries("testimony.disclosure_check", a)[0].details)["audience"] == "public"


def test_topics_are_added_and_removed(factory: Any) -> None:
    with factory.batch():
        a = factory.testimony(title="Famine", tags=["famine"], segments=[{"start": 0, "end": 3, "text": "words"}])
        b = factory.testimony(title="No topics")
    outcome = run({"action": "add_topics", "topics": ["famine", "religion"]}, a, b)
    assert len(outcome.of(bulk.APPLIED)) == 2
    assert [t.slug for t in db.session.get(m.Testimony, a.id).topics] == ["famine", "religion"]
    assert [t.slug for t in db.session.get(m.Testimony, b.id).topics] == ["famine", "religion"]
    assert json.loads(entries("testimony.tags", b)[-1].details)["changes"]["tags"] == [[], ["famine", "religion"]]
    tagged = [hit.id for hit in searching.run(MultiDict({"tag": "religion"}), None).results.hits]
    assert sorted(tagged) == sorted([a.id, b.id])
    outcome = run({"action": "remove_topics", "topics": ["famine"]}, a, b)
    assert [t.slug for t in db.session.get(m.Testimony, a.id).topics] == ["religion"]
    [item] = bulk.preview([a], bulk.change_from({"action": "remove_topics", "topics": ["famine"]})).items
    assert item.outcome == bulk.SAME and item.reason == "It has none of these topics."


def test_embargo_set_and_cleared(factory: Any) -> None:
    with factory.batch():
        t = factory.testimony(title="Soon", segments=[{"start": 0, "end": 3, "text": "the vintrelle orchard"}])
    assert found("vintrelle") == [t.id]
    until = access.today() + timedelta(days=30)
    outcome = run({"action": "embargo", "embargo_until": until.isoformat()}, t)
    assert outcome.of(bulk.APPLIED)[0].changes == {"embargo_until": (None, until)}
    assert db.session.get(m.Testimony, t.id).embargo_until == until and found("vintrelle") == []
    run({"action": "clear_embargo"}, t)
    assert db.session.get(m.Testimony, t.id).embargo_until is None and found("vintrelle") == [t.id]
    assert len(entries("testimony.update", t)) == 2


# ---------------------------------------------------------------- optimistic locking

def test_a_testimony_changed_since_the_preview_is_skipped_and_the_others_applied(
        auth: Any, drafts: list[m.Testimony]) -> None:
    editor = auth.create("curator", "other@example.org")
    c = bulk.change_from({"action": "access", "access": "researchers"})
    shown = bulk.preview(drafts, c)
    testimony_service.update_testimony(drafts[0], {"title": "Renamed meanwhile"}, drafts[0].version, actor=editor)
    done = bulk.apply(c, [(i.testimony_id, i.version) for i in shown.items])
    [skipped] = done.of(bulk.SKIPPED)
    assert skipped.testimony_id == drafts[0].id
    assert "Changed by other@example.org since the preview" in skipped.reason
    assert [i.testimony_id for i in done.of(bulk.APPLIED)] == [drafts[1].id]
    assert db.session.get(m.Testimony, drafts[0].id).access == "restricted"
    assert db.session.get(m.Testimony, drafts[1].id).access == "researchers"
    details = json.loads(entries("testimony.bulk")[-1].details)
    assert details["skipped"] == [drafts[0].id] and details["applied"] == [drafts[1].id]


def test_a_testimony_deleted_since_the_preview_is_skipped(drafts: list[m.Testimony]) -> None:
    c = bulk.change_from({"action": "unpublish"})
    pairs = versions(*drafts)
    testimony_service.delete_testimony(drafts[0])
    done = bulk.apply(bulk.change_from({"action": "access", "access": "researchers"}), pairs)
    assert done.of(bulk.SKIPPED)[0].reason == "It was deleted since the preview."
    assert len(done.of(bulk.APPLIED)) == 1 and c.action == "unpublish"
