"""Publishing through the checklist: who will see it, refusals with reasons, the justification rule."""
from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from archive import models as m
from archive.core.extensions import db
from archive.policy import access
from archive.curation import publishing
from archive.curation import sensitive
from archive.curation import testimonies as testimony_service
from archive.core.errors import ConflictError, ValidationError
from tests.sound import wav_bytes

REAL = "Ri Myong-ok"


@pytest.fixture()
def draft(factory: Any) -> m.Testimony:
    narrator = factory.narrator(real_name=REAL, pseudonym="Sparrow")
    return factory.testimony(narrator, title="The river", access="restricted", status="draft", segments=[
        {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Where did you work?"},
        {"start": 4, "end": 9, "speaker": "Ri Myong-ok", "text": "At the Hyesan textile mill, with my cousin Jang."},
        {"start": 9, "end": 15, "speaker": "Narrator", "text": "[restricted] The guard was called Choe Il."},
    ])


def entries(action: str) -> list[m.AuditEntry]:
    return list(db.session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == action).order_by(m.AuditEntry.id)))


def test_checklist_shows_what_the_audience_will_get(draft: m.Testimony) -> None:
    review = publishing.checklist(draft, "public")
    assert review.audience == "public" and review.current is None and not review.already_released
    assert review.profile.display_name == "Sparrow" and review.profile.real_name is None
    assert review.profile.birth is not None and review.profile.birth.label == "1980s"  # generalised
    assert review.estimate.population > 30000 and review.estimate.threshold == 50
    assert [s.position for s in review.restricted] == [3]
    assert review.consents == {"audio": True, "transcript": True, "name": False, "face_voice": False,
                               "detailed_profile": False}
    assert not review.recording.exists and not review.recording.audible
    assert review.scan.clean and review.can_publish
    # Speaker labels are shown as the protected view will show them.
    assert [s.speaker for s in review.view.segments][1] == "Sparrow"
    assert review.view.segments[2].text is None


def test_the_recording_state_says_what_the_audience_will_hear(draft: m.Testimony) -> None:
    from archive.curation import recordings
    import io

    recordings.upload_recording(draft, io.BytesIO(wav_bytes(seconds=16)), "talk.wav", draft.version)
    state = publishing.checklist(draft, "researchers").recording
    assert state.exists and state.audible and state.protection is not None
    assert state.protection.state != "not-public" and state.protection.silenced == 1  # passage 3 is silenced
    assert state.protection.masked  # no consent to the unaltered voice
    testimony_service.update_testimony(draft, {"consent_audio": False}, draft.version)
    state = publishing.checklist(draft, "researchers").recording
    assert state.exists and not state.audible and state.protection.state == "not-public"


def test_publishing_needs_confirmation(draft: m.Testimony) -> None:
    with pytest.raises(ValidationError) as caught:
        publishing.publish_testimony(draft, "public", draft.version, confirmed=False)
    assert set(caught.value.errors) == {"confirm"}
    db.session.rollback()
    assert draft.status == "draft" and draft.access == "restricted"


def test_publishing_is_refused_while_hits_remain_then_allowed(draft: m.Testimony) -> None:
    sensitive.add_term(draft, "Jang")
    with pytest.raises(ValidationError) as caught:
        publishing.publish_testimony(draft, "public", draft.version, confirmed=True)
    reason = caught.value.errors["__all__"][0]
    assert "1 sensitive-term hits are not resolved (passage 2 at 0:04)" in reason
    db.session.rollback()
    assert db.session.get(m.Testimony, draft.id).status == "draft"
    sensitive.restrict_passage(draft, draft.segments[1], draft.version)
    publishing.publish_testimony(draft, "public", draft.version, confirmed=True)
    assert (draft.status, draft.access) == ("published", "public")
    assert access.testimony_visibility(draft) == access.PUBLIC
    publish = entries("testimony.publish")[-1]
    assert json.loads(publish.details)["changes"]["access"] == ["restricted", "public"]
    check = json.loads(entries("testimony.disclosure_check")[-1].details)
    assert check["audience"] == "public" and check["below"] is False and check["justification"] == ""
    assert check["handled_hits"] == 1  # the real name as a speaker label


def test_real_name_in_the_text_blocks_publication(draft: m.Testimony) -> None:
    testimony_service.update_segment(draft, draft.segments[0], {
        "start": 0, "end": 4, "speaker": "Interviewer", "text": "So, ri myongok, where did you work?"}, draft.version)
    review = publishing.checklist(draft, "researchers")
    assert not review.can_publish and "passage 1" in review.blockers[0]


def test_below_the_threshold_a_justification_is_required_and_audited(app: Flask, draft: m.Testimony) -> None:
    app.config["DISCLOSURE_THRESHOLD"] = 10 ** 9
    review = publishing.checklist(draft, "researchers")
    assert review.estimate.below and review.needs_justification
    with pytest.raises(ValidationError) as caught:
        publishing.publish_testimony(draft, "researchers", draft.version, confirmed=True, justification="ok")
    assert "is required" in caught.value.errors["justification"][0]
    db.session.rollback()
    why = "The narrator asked to be recognisable; she speaks publicly under this name."
    publishing.publish_testimony(draft, "researchers", draft.version, confirmed=True, justification=why)
    assert draft.disclosure_justification == why and (draft.status, draft.access) == ("published", "researchers")
    check = json.loads(entries("testimony.disclosure_check")[-1].details)
    assert check["below"] is True and check["justification"] == why and check["threshold"] == 10 ** 9
    assert check["factors"] and {"field", "label", "share"} <= set(check["factors"][0])


def test_widening_a_published_testimony_goes_through_the_checklist(draft: m.Testimony) -> None:
    testimony_service.publish_testimony(draft, draft.version, widen=False)  # restricted: nobody new sees it
    assert draft.status == "published"
    with pytest.raises(ValidationError) as caught:
        testimony_service.update_testimony(draft, {"access": "researchers"}, draft.version, widen=False)
    assert "publication checklist" in caught.value.errors["access"][0]
    db.session.rollback()
    publishing.publish_testimony(draft, "researchers", draft.version, confirmed=True)
    with pytest.raises(ValidationError):
        testimony_service.update_testimony(draft, {"access": "public"}, draft.version, widen=False)
    db.session.rollback()
    # Narrowing is always allowed from the form.
    testimony_service.update_testimony(draft, {"access": "restricted"}, draft.version, widen=False)
    assert draft.access == "restricted"


def test_the_publish_button_refuses_to_widen(factory: Any) -> None:
    t = factory.testimony(access="public", status="draft")
    with pytest.raises(ValidationError, match="checklist"):
        testimony_service.publish_testimony(t, t.version, widen=False)
    db.session.rollback()
    # Imports and scripts keep the direct path.
    testimony_service.publish_testimony(t, t.version)
    assert t.status == "published"


def test_already_visible_and_withdrawn_are_refused(factory: Any, draft: m.Testimony) -> None:
    public = factory.testimony()
    review = publishing.checklist(public, "researchers")
    assert review.already_released and not review.can_publish
    testimony_service.withdraw_consent(draft, draft.version)
    with pytest.raises(ValidationError, match="withdrew consent"):
        publishing.publish_testimony(draft, "public", draft.version, confirmed=True)


def test_stale_version_and_bad_audience(draft: m.Testimony) -> None:
    with pytest.raises(ConflictError):
        publishing.publish_testimony(draft, "public", draft.version - 1 or 99, confirmed=True)
    with pytest.raises(ValidationError, match="public"):
        publishing.checklist(draft, "everyone")
