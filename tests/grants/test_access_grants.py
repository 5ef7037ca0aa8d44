"""Access requests and grants through the services and the one access policy, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from archive.core.errors import ValidationError
from archive.core.extensions import db
from archive.curation import testimonies
from archive.grants import decisions, requests
from archive import models
from archive.models import AccessGrant, AuditEntry
from archive.models.base import utcnow
from archive.policy import access, protected
from tests.grants.conftest import REAL_NAME, SECRET
from tests.security.world import make_user


def _audit(action: str) -> list[dict[str, Any]]:
    return [json.loads(e.details) | {"object_id": e.object_id, "actor": e.actor}
            for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def _visible_ids(user: Any) -> set[int]:
    return set(db.session.scalars(select(models.Testimony.id).where(access.visible_filter(user))))


def _expire(grant: AccessGrant) -> None:
    db.session.execute(update(AccessGrant).where(AccessGrant.id == grant.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    db.session.expire_all()


def test_a_request_is_recorded_with_what_its_reference_names_and_audited(world: dict[str, Any]) -> None:
    t = world["restricted"]
    asked = requests.ask_for_access(world["asker"], f"  #{t.id} ", "A thesis on crossings of the Tumen.")
    assert (asked.state, asked.testimony_id, asked.reference) == ("pending", t.id, f"#{t.id}")
    by_link = requests.ask_for_access(world["asker"], f"https://archive.example/testimonies/{t.id}?t=3", "Same.")
    assert by_link.testimony_id == t.id
    nothing = requests.ask_for_access(world["asker"], "no-such-reference", "Looking for it.")
    assert nothing.testimony_id is None and nothing.state == "pending"
    huge = requests.ask_for_access(world["asker"], "99999999999", "An id larger than any column holds.")
    assert huge.testimony_id is None
    entries = _audit("access.request")
    assert [e["testimony_id"] for e in entries] == [t.id, t.id, None, None]
    assert entries[0]["actor"] == "asker@example.org" and entries[0]["object_id"] == asked.id


def test_asking_twice_for_the_same_reference_keeps_one_pending_request(world: dict[str, Any]) -> None:
    first = requests.ask_for_access(world["asker"], "Some-Ref", "Purpose one.")
    again = requests.ask_for_access(world["asker"], "some-ref", "Purpose two.")
    assert again.id == first.id
    assert db.session.scalar(select(db.func.count(models.TestimonyAccessRequest.id))) == 1


@pytest.mark.parametrize(("reference", "purpose", "field"), [
    ("", "Why", "reference"), ("   ", "Why", "reference"), ("x" * 201, "Why", "reference"),
    ("12", "", "purpose"), ("12", "  \n ", "purpose"), ("12", "p" * 2001, "purpose")])
def test_a_request_needs_a_reference_and_a_purpose_of_bounded_length(world: dict[str, Any], reference: str,
                                                                     purpose: str, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        requests.ask_for_access(world["asker"], reference, purpose)
    assert field in refused.value.errors
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(models.TestimonyAccessRequest.id))) == 0
    assert _audit("access.request") == []


def test_only_researchers_may_ask_and_waiting_requests_are_bounded(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        requests.ask_for_access(world["curator"], "1", "Curators see everything already.")
    db.session.rollback()
    for n in range(requests.MAX_PENDING):
        requests.ask_for_access(world["asker"], f"ref-{n}", "Purpose.")
    with pytest.raises(ValidationError, match="waiting"):
        requests.ask_for_access(world["asker"], "one-more", "Purpose.")


def test_a_grant_opens_one_testimony_for_one_researcher_as_an_approved_researcher_sees_it(
        world: dict[str, Any]) -> None:
    t, asker, other = world["restricted"], world["asker"], world["other"]
    assert not access.can_view(asker, t) and protected.testimony_view(asker, t) is None
    asked = requests.ask_for_access(asker, str(t.id), "Thesis.")
    grant = decisions.grant_request(asked, actor=world["curator"])
    assert abs((grant.expires_at - utcnow()) - timedelta(days=decisions.DEFAULT_DAYS)) < timedelta(minutes=1)
    assert asked.state == "granted" and asked.decided_by_id == world["curator"].id
    entry = _audit("access.grant")[0]
    assert (entry["user_id"], entry["testimony_id"], entry["days"], entry["actor"]) == (
        asker.id, t.id, 30, "decider@example.org")

    view = protected.testimony_view(asker, t)
    assert view is not None and view.granted and not view.staff
    assert access.can_view(asker, t) and access.can_read_transcript(asker, t) and access.can_hear(asker, t)
    assert not access.hears_original(asker)
    # Never the real name, never the restricted passage.
    assert view.narrator.real_name is None and view.narrator.display_name == f"Pseudonym of {t.title}"
    assert [s.speaker for s in view.segments][0] == view.narrator.display_name
    assert [s.text for s in view.segments] == ["Openwords about the river crossing.", None]
    assert REAL_NAME not in repr([vars(s) for s in view.segments]) and SECRET not in repr(view.readable_segments)
    # The SQL twin agrees; nobody else gains anything.
    assert t.id in _visible_ids(asker)
    assert t.id not in _visible_ids(other) and protected.testimony_view(other, t) is None
    assert t.id not in _visible_ids(None)
    assert world["researchers"].id not in _visible_ids(asker)  # one testimony, not every closed one


def test_a_grant_expires_by_itself_at_read_time(world: dict[str, Any]) -> None:
    t, asker = world["restricted"], world["asker"]
    grant = decisions.grant_request(requests.ask_for_access(asker, str(t.id), "Thesis."), days=7,
                                    actor=world["curator"])
    assert abs((grant.expires_at - utcnow()) - timedelta(days=7)) < timedelta(minutes=1)
    assert grant.state() == "active" and access.can_view(asker, t)
    assert grant.state(grant.expires_at + timedelta(seconds=1)) == "expired"
    _expire(grant)
    assert grant.state() == "expired"
    assert not access.can_view(asker, t) and protected.testimony_view(asker, t) is None
    assert t.id not in _visible_ids(asker)


def test_a_revoked_grant_opens_nothing_and_revoking_is_audited_once(world: dict[str, Any]) -> None:
    t, asker = world["researchers"], world["asker"]
    grant = decisions.grant_request(requests.ask_for_access(asker, str(t.id), "Thesis."), actor=world["curator"])
    assert access.can_view(asker, t)
    decisions.revoke_grant(grant, actor=world["curator"])
    assert grant.state() == "revoked" and grant.revoked_by_id == world["curator"].id
    assert not access.can_view(asker, t) and t.id not in _visible_ids(asker)
    with pytest.raises(ValidationError, match="already revoked"):
        decisions.revoke_grant(grant, actor=world["curator"])
    entries = _audit("access.revoke")
    assert len(entries) == 1 and entries[0]["was"] == "active" and entries[0]["testimony_id"] == t.id


def test_a_refusal_needs_a_reason_and_decides_the_request_once(world: dict[str, Any]) -> None:
    asked = requests.ask_for_access(world["asker"], str(world["restricted"].id), "Thesis.")
    with pytest.raises(ValidationError) as refused:
        decisions.refuse_request(asked, "   ", actor=world["curator"])
    assert "reason" in refused.value.errors
    decisions.refuse_request(asked, "The narrator asked that nobody read it.", actor=world["curator"])
    assert asked.state == "refused" and asked.refusal_reason == "The narrator asked that nobody read it."
    assert _audit("access.refuse")[0]["reason"] == "The narrator asked that nobody read it."
    with pytest.raises(ValidationError, match="already answered"):
        decisions.grant_request(asked, actor=world["curator"])
    with pytest.raises(ValidationError, match="already answered"):
        decisions.refuse_request(asked, "Again.", actor=world["curator"])
    assert db.session.scalar(select(db.func.count(AccessGrant.id))) == 0
    assert not access.can_view(world["asker"], world["restricted"])


@pytest.mark.parametrize("days", [0, -3, 366, "ten", "", None, "2.5"])
def test_the_period_is_bounded(world: dict[str, Any], days: Any) -> None:
    asked = requests.ask_for_access(world["asker"], str(world["restricted"].id), "Thesis.")
    with pytest.raises(ValidationError) as refused:
        decisions.grant_request(asked, days=days, actor=world["curator"])
    assert "days" in refused.value.errors
    db.session.rollback()
    assert db.session.get(models.TestimonyAccessRequest, asked.id).state == "pending"
    assert db.session.scalar(select(db.func.count(AccessGrant.id))) == 0


def test_requests_that_cannot_be_granted_are_marked_and_refused_by_the_service(app: Any, factory: Any,
                                                                                world: dict[str, Any]) -> None:
    asker = world["asker"]
    public = factory.testimony(title="Open to all")
    draft = factory.testimony(title="Still a draft", status="draft", access="restricted")
    embargoed = factory.testimony(title="Embargoed", access="restricted",
                                  embargo_until=(access.today() + timedelta(days=5)).isoformat())
    approved = world["other"]
    cases = {
        "missing": requests.ask_for_access(asker, "nothing-here", "P."),
        "public": requests.ask_for_access(asker, str(public.id), "P."),
        "draft": requests.ask_for_access(asker, str(draft.id), "P."),
        "embargoed": requests.ask_for_access(asker, str(embargoed.id), "P."),
        "already": requests.ask_for_access(approved, str(world["researchers"].id), "P."),
        None: requests.ask_for_access(asker, str(world["researchers"].id), "P."),
    }
    assert {row.request.id: row.obstacle for row in decisions.pending_requests()} == {
        r.id: reason for reason, r in cases.items()}
    for reason, asked in cases.items():
        if reason is None:
            continue
        with pytest.raises(ValidationError, match="cannot be granted"):
            decisions.grant_request(asked, actor=world["curator"])
        db.session.rollback()
    assert db.session.scalar(select(db.func.count(AccessGrant.id))) == 0


def test_a_grant_never_outlasts_a_consent_withdrawal(world: dict[str, Any]) -> None:
    t, asker = world["restricted"], world["asker"]
    decisions.grant_request(requests.ask_for_access(asker, str(t.id), "Thesis."), actor=world["curator"])
    assert access.can_view(asker, t)
    testimonies.withdraw_consent(t, None)
    assert not access.can_view(asker, t) and t.id not in _visible_ids(asker)


def test_a_grant_is_for_a_researcher_account_only(world: dict[str, Any]) -> None:
    t, asker = world["restricted"], world["asker"]
    decisions.grant_request(requests.ask_for_access(asker, str(t.id), "Thesis."), actor=world["curator"])
    asker.active = False
    db.session.commit()
    assert not access.can_view(asker, t)
    asker.active = True
    db.session.commit()
    assert access.can_view(asker, t)
    stranger = make_user("stranger@example.org", "researcher", approved=True)
    assert not access.can_view(stranger, t)
