"""Service rules for testimonies and narrators: validation that names fields, and the audit log."""
from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from archive import models as m
from archive.core.extensions import db
from archive.curation import narrators as narrator_service
from archive.curation import testimonies as testimony_service
from archive.core.errors import ValidationError


def audit_entries(obj: Any = None, action_prefix: str = "") -> list[m.AuditEntry]:
    query = select(m.AuditEntry).order_by(m.AuditEntry.id)
    if obj is not None:
        query = query.where(m.AuditEntry.object_type == type(obj).__name__.lower(), m.AuditEntry.object_id == obj.id)
    if action_prefix:
        query = query.where(m.AuditEntry.action.startswith(action_prefix))
    return list(db.session.scalars(query))


def details(entry: m.AuditEntry) -> dict[str, Any]:
    return json.loads(entry.details)


# --- validation ----------------------------------------------------------------------------------

def test_create_testimony_names_every_bad_field(app: Flask, factory: Any) -> None:
    narrator = factory.narrator()
    with pytest.raises(ValidationError) as caught:
        testimony_service.create_testimony({
            "title": "  ", "interview_date": "2019-02-30", "access": "secret", "status": "pending",
            "languages": ["ko", "klingon"], "embargo_until": "next year", "interviewer": "x" * 201,
        }, narrator)
    errors = caught.value.errors
    assert set(errors) == {"title", "interview_date", "access", "status", "languages", "embargo_until", "interviewer"}
    assert errors["title"] == ["is required"]
    assert "not a calendar date" in errors["interview_date"][0]
    assert "public, researchers, restricted" in errors["access"][0]
    assert "klingon" in errors["languages"][0]
    assert "at most 200 characters" in errors["interviewer"][0]
    assert "title: is required" in str(caught.value)
    assert db.session.scalar(select(m.Testimony.id)) is None


@pytest.mark.parametrize(("value", "stored"), [("2019", "2019"), ("2019-05", "2019-05"), ("2019-05-14", "2019-05-14"),
                                               ("", None)])
def test_partial_interview_dates(app: Flask, factory: Any, value: str, stored: str | None) -> None:
    t = factory.testimony(interview_date=value)
    assert t.interview_date == stored


def test_route_problems_name_the_leg(app: Flask, factory: Any) -> None:
    t = factory.testimony()
    with pytest.raises(ValidationError) as caught:
        testimony_service.set_route(t, [{"country": "China"}, {"country": "Atlantis", "year": 1800, "event": "swam"}],
                                    t.version)
    assert set(caught.value.errors) == {"route[2].country", "route[2].year", "route[2].event"}
    assert "'Atlantis'" in caught.value.errors["route[2].country"][0]


def test_route_keeps_order_and_resolves_spellings(app: Flask, factory: Any) -> None:
    t = factory.testimony(route=[{"country": "중국", "place": "Yanji", "year": 2005},
                                 {"country": "Laos", "event": "hid"},
                                 {"country": "대한민국", "event": "arrived", "year": 2007}])
    assert [(leg.position, leg.country.slug, leg.event) for leg in t.route] == [
        (1, "china", "transit"), (2, "laos", "hid"), (3, "south-korea", "arrived")]


def test_transcript_problems_name_the_segment(app: Flask, factory: Any) -> None:
    t = factory.testimony()
    with pytest.raises(ValidationError) as caught:
        testimony_service.replace_transcript(t, [
            {"start": 0, "end": 2, "text": "fine"},
            {"start": 5, "end": 5, "text": "no length"},
            {"start": "soon", "end": 9, "text": ""},
        ], t.version)
    errors = caught.value.errors
    assert "transcript[2].end" in errors and "must be after start" in errors["transcript[2].end"][0]
    assert {"transcript[3].start", "transcript[3].text"} <= set(errors)
    assert "transcript[1].start" not in errors


def test_unknown_tags_are_listed(app: Flask, factory: Any) -> None:
    t = factory.testimony()
    with pytest.raises(ValidationError) as caught:
        testimony_service.set_topics(t, ["famine", "aliens", "ghosts"], t.version)
    assert caught.value.errors == {"tags": ["not in the topic vocabulary: 'aliens', 'ghosts'"]}


def test_narrator_rules(app: Flask) -> None:
    with pytest.raises(ValidationError) as caught:
        narrator_service.create_narrator({
            "pseudonym": "", "gender": "x", "birth_year": 1990, "left_north_year": 1985, "arrived_south_year": 1984,
            "origin_province": "Atlantis", "occupation": "Astronaut",
        })
    errors = caught.value.errors
    assert {"pseudonym", "gender", "left_north_year", "arrived_south_year", "origin_province", "occupation"} <= set(errors)
    assert "(1984) cannot be before the year the narrator left the North (1985)" in errors["arrived_south_year"][0]


def test_narrator_vocabularies_accept_any_spelling(app: Flask) -> None:
    for spelling in ("North Hamgyong", "함경북도", "Hamgyŏng-bukto", "north hamgyong"):
        narrator = narrator_service.create_narrator({"pseudonym": "A", "origin_province": spelling})
        assert narrator.origin_province.slug == "north-hamgyong", spelling


# --- the audit log -------------------------------------------------------------------------------

def test_create_and_update_are_audited(app: Flask, factory: Any, auth: Any) -> None:
    curator = auth.create("curator")
    narrator = factory.narrator()
    t = testimony_service.create_testimony({"title": "First", "interviewer": "A"}, narrator, actor=curator)
    testimony_service.update_testimony(t, {"title": "Second", "interviewer": "A"}, t.version, actor=curator)

    entries = audit_entries(t)
    assert [e.action for e in entries] == ["testimony.create", "testimony.update"]
    assert all(e.actor == "curator@example.org" and e.user_id == curator.id for e in entries)
    assert entries[1].version == t.version == 2
    assert details(entries[1])["changes"] == {"title": ["First", "Second"]}


def test_access_changes_get_their_own_entry(app: Flask, factory: Any) -> None:
    t = factory.testimony(access="restricted", status="draft")
    before = len(audit_entries(t, "testimony.access"))
    testimony_service.update_testimony(t, {"title": "Only the title"}, t.version)
    assert len(audit_entries(t, "testimony.access")) == before

    testimony_service.update_testimony(t, {"access": "public", "title": "And access"}, t.version)
    testimony_service.publish_testimony(t, t.version)
    testimony_service.update_testimony(t, {"title": t.title, "embargo_until": "2031-01-01"}, t.version)
    testimony_service.update_testimony(t, {"title": t.title, "consent_name": True}, t.version)
    testimony_service.unpublish_testimony(t, t.version)

    access = audit_entries(t, "testimony.access")[before:]
    assert [details(e)["changes"] for e in access] == [
        {"access": ["restricted", "public"]},
        {"status": ["draft", "published"]},
        {"embargo_until": [None, "2031-01-01"]},
        {"consent_name": [False, True]},
        {"status": ["published", "draft"]},
    ]
    # The ordinary entry keeps all fields; the access entry only the access ones.
    update = [e for e in audit_entries(t, "testimony.update") if "access" in details(e)["changes"]][0]
    assert set(details(update)["changes"]) == {"access", "title"}


def test_publish_sets_published_at_once(app: Flask, factory: Any) -> None:
    t = factory.testimony(access="public", status="draft")
    assert t.published_at is None
    testimony_service.publish_testimony(t, t.version)
    first = t.published_at
    assert first is not None
    testimony_service.unpublish_testimony(t, t.version)
    testimony_service.publish_testimony(t, t.version)
    assert t.published_at == first


def test_private_values_stay_out_of_the_audit_log(app: Flask, factory: Any) -> None:
    narrator = narrator_service.create_narrator({"pseudonym": "Pseudo", "real_name": "Secret Realname"})
    narrator_service.update_narrator(narrator, {"pseudonym": "Pseudo", "real_name": "Other Realname"})
    t = factory.testimony(narrator=narrator, consent_notes="Her brother Secret Brother is still in Hoeryong")
    testimony_service.update_testimony(t, {"title": t.title, "consent_notes": "Changed: Other Brother"},
                                      t.version)
    segment_text = "the secret factory name"
    testimony_service.replace_transcript(t, [{"start": 0, "end": 1, "text": segment_text}], t.version)
    testimony_service.update_segment(t, t.segments[0], {"start": 0, "end": 1, "text": "a new secret"}, t.version)

    logged = " ".join(e.details for e in audit_entries())
    for secret in ("Secret Realname", "Other Realname", "Secret Brother", "Other Brother", segment_text,
                   "a new secret"):
        assert secret not in logged
    narrator_changes = details(audit_entries(narrator, "narrator.update")[0])["changes"]
    assert narrator_changes == {"real_name": ["…", "…"]}


def test_other_changes_are_audited(app: Flask, factory: Any) -> None:
    t = factory.testimony()
    testimony_service.set_chapters(t, [{"start": 0, "title": "Intro"}], t.version)
    testimony_service.withdraw_consent(t, t.version, note="by phone")
    testimony_id = t.id
    testimony_service.delete_testimony(t)
    actions = [e.action for e in db.session.scalars(
        select(m.AuditEntry).where(m.AuditEntry.object_id == testimony_id, m.AuditEntry.object_type == "testimony")
        .order_by(m.AuditEntry.id))]
    assert actions[-4:] == ["testimony.chapters", "testimony.consent_withdrawn", "testimony.access", "testimony.delete"]


def test_a_refused_change_saves_nothing(app: Flask, factory: Any) -> None:
    t = factory.testimony(title="Kept")
    version = t.version
    entries = len(audit_entries())
    with pytest.raises(ValidationError):
        testimony_service.update_testimony(t, {"title": "New", "access": "everyone"}, version)
    db.session.rollback()
    db.session.expire_all()
    saved = db.session.get(m.Testimony, t.id)
    assert (saved.title, saved.access, saved.version) == ("Kept", "public", version)
    assert len(audit_entries()) == entries
