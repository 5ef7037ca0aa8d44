"""The transcript editor's JSON endpoints: drafts, applying a draft, stale versions, problems, guards."""
from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from archive import models
from archive.core.extensions import db
from archive.curation import testimonies as testimony_service
from archive.curation import transcript_drafts as drafts
from archive.search import requests as searching
from tests.conftest import csrf_token


def urls(t: models.Testimony) -> dict[str, str]:
    base = f"/curate/testimonies/{t.id}/transcript"
    return {"page": f"{base}/editor", "state": f"{base}/editor.json", "draft": f"{base}/draft",
            "discard": f"{base}/draft/discard", "apply": f"{base}/apply"}


def post(client: FlaskClient, t: models.Testimony, what: str, body: Any, token: str | None = None) -> Any:
    token = token if token is not None else csrf_token(client, urls(t)["page"])
    return client.post(urls(t)[what], data=json.dumps(body), content_type="application/json",
                       headers={"X-CSRFToken": token, "Accept": "application/json"})


def state(client: FlaskClient, t: models.Testimony) -> dict[str, Any]:
    response = client.get(urls(t)["state"])
    assert response.status_code == 200
    return response.get_json()


def edited(opened: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The opened state with the first passage's fields changed, as the page posts it."""
    passages = [dict(p) for p in opened["passages"]]
    passages[0].update(changes)
    return {"version": opened["version"], "passages": passages, "speakers": opened["speakers"]}


def found(word: str) -> list[int]:
    return [hit.id for hit in searching.run(MultiDict({"q": word}), None).results.hits]


def test_page_links_its_endpoints_and_the_state_is_the_saved_transcript(client: FlaskClient, curator: Any,
                                                                        draft: models.Testimony) -> None:
    html = client.get(urls(draft)["page"]).get_data(as_text=True)
    assert 'id="transcript-editor"' in html and urls(draft)["apply"] in html and "js/transcript/main.js" in html
    assert "<script>" not in html  # no inline script (CSP)
    opened = state(client, draft)
    assert [p["text"] for p in opened["passages"]] == ["Where were you born?", "In Hoeryong, by the river."]
    assert opened["speakers"] == ["Interviewer", "Narrator"] and opened["draft"] is None
    assert opened["version"] == drafts.transcript_version(draft)
    edit_page = client.get(f"/curate/testimonies/{draft.id}").get_data(as_text=True)
    assert urls(draft)["page"] in edit_page


def test_draft_is_kept_per_curator_and_restored(client: FlaskClient, auth: Any, draft: models.Testimony) -> None:
    auth.login("curator")
    opened = state(client, draft)
    response = post(client, draft, "draft", edited(opened, text="Where were you born, exactly?"))
    assert response.status_code == 200 and response.get_json()["saved_at"]
    restored = state(client, draft)
    assert restored["passages"][0]["text"] == "Where were you born, exactly?"
    assert restored["draft"]["stale"] is False and restored["version"] == opened["version"]
    # Nothing public changed, and nothing was audited for a draft.
    db.session.expire_all()
    assert draft.segments[0].text == "Where were you born?"
    # Another curator opens the saved transcript, not the first one's draft.
    auth.logout()
    auth.login("curator", email="second@example.org")
    assert state(client, draft)["draft"] is None


def test_apply_replaces_segments_through_the_service(client: FlaskClient, curator: Any, factory: Any) -> None:
    t = factory.testimony(segments=[
        {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Where were you born?"},
        {"start": 4, "end": 9, "speaker": "Narrator", "text": "In Hoeryong, by the river."},
    ])
    opened = state(client, t)
    body = edited(opened, text="Where were you born, zorbulite?")
    body["passages"].append({"start": 9, "end": 12, "speaker": "Narrator", "text": "My cousin's name was Quellan.",
                             "language": "", "restricted": True})
    body["speakers"].append("Second interviewer")
    response = post(client, t, "apply", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["passages"] == 3 and answer["restricted"] == 1
    db.session.expire_all()
    assert [(s.position, s.text, s.restricted) for s in t.segments] == [
        (1, "Where were you born, zorbulite?", False), (2, "In Hoeryong, by the river.", False),
        (3, "My cousin's name was Quellan.", True)]
    assert answer["version"] == drafts.transcript_version(t) != opened["version"]
    assert db.session.scalar(select(models.TranscriptDraft)) is None  # applied: the draft is gone
    entry = db.session.scalars(select(models.AuditEntry).where(models.AuditEntry.action == "testimony.transcript")
                               .order_by(models.AuditEntry.id.desc())).first()
    assert entry.actor == "curator@example.org" and "transcript editor" in entry.details
    # The public page and the search index follow; the restricted passage never leaks.
    assert found("zorbulite") == [t.id]
    assert found("Quellan") == []
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/")})
    public = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
    assert "zorbulite" in public and "Quellan" not in public


def test_stale_apply_is_refused_and_the_draft_kept(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    opened = state(client, draft)
    # Someone else changes the transcript after the editor was opened.
    testimony_service.replace_transcript(draft, [{"start": 0, "end": 3, "text": "Their version."}], None)
    response = post(client, draft, "apply", edited(opened, text="My version."))
    assert response.status_code == 409
    answer = response.get_json()
    assert "changed by someone else" in answer["conflict"] and "draft is kept" in answer["conflict"]
    assert answer["current_version"] == drafts.transcript_version(draft) != opened["version"]
    db.session.expire_all()
    assert [s.text for s in draft.segments] == ["Their version."]
    reopened = state(client, draft)
    assert reopened["passages"][0]["text"] == "My version." and reopened["draft"]["stale"] is True
    # Keeping the draft: the page posts it again at the current version, and it applies.
    body = edited(reopened)
    body["version"] = answer["current_version"]
    assert post(client, draft, "apply", body).status_code == 200
    db.session.expire_all()
    assert [s.text for s in draft.segments] == ["My version.", "In Hoeryong, by the river."]


def test_other_testimony_edits_do_not_make_the_transcript_stale(client: FlaskClient, curator: Any,
                                                                 draft: models.Testimony) -> None:
    opened = state(client, draft)
    testimony_service.update_testimony(draft, {"title": "Crossing at dawn"}, draft.version)
    assert post(client, draft, "apply", edited(opened, text="Where were you born then?")).status_code == 200


@pytest.mark.parametrize(("change", "expected"), [
    ({"end": 0}, "Passage 1 end: (0.0) must be after start (0.0)"),
    ({"end": 6}, "Passage 2 start: (4.0) overlaps passage 1, which ends at 6.0"),
    ({"text": "   "}, "Passage 1 text: is required"),
    ({"start": "soon"}, "Passage 1 start: start must be a number of seconds, not 'soon'"),
])
def test_problems_name_passage_and_field(client: FlaskClient, curator: Any, draft: models.Testimony,
                                         change: dict[str, Any], expected: str) -> None:
    opened = state(client, draft)
    response = post(client, draft, "apply", edited(opened, **change))
    assert response.status_code == 400
    problems = response.get_json()["problems"]
    assert expected in [p["message"] for p in problems], problems
    field = next(iter(change))
    assert any(p["passage"] in (1, 2) and p["field"] in (field, "start") for p in problems)
    db.session.expire_all()
    assert [s.text for s in draft.segments] == ["Where were you born?", "In Hoeryong, by the river."]
    kept = state(client, draft)  # the refused draft is kept
    assert kept["draft"] is not None and kept["passages"][0][field] == change[field]


def test_malformed_draft_is_refused_with_a_message(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    response = post(client, draft, "draft", {"passages": "all of them"})
    assert response.status_code == 400
    messages = [p["message"] for p in response.get_json()["problems"]]
    assert "passages: must be a list of passages" in messages
    assert any(m.startswith("version:") for m in messages)
    assert post(client, draft, "draft", ["not", "an", "object"]).status_code == 400
    assert db.session.scalar(select(models.TranscriptDraft)) is None


def test_discard_returns_to_the_saved_transcript(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    opened = state(client, draft)
    post(client, draft, "draft", edited(opened, text="Changed my mind."))
    response = post(client, draft, "discard", {})
    assert response.get_json() == {"discarded": True}
    assert state(client, draft)["passages"][0]["text"] == "Where were you born?"


def test_posts_need_the_csrf_header(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    opened = state(client, draft)
    response = client.post(urls(draft)["apply"], data=json.dumps(edited(opened, text="Sneaky.")),
                           content_type="application/json")
    assert response.status_code == 400
    db.session.expire_all()
    assert draft.segments[0].text == "Where were you born?"
    assert db.session.scalar(select(models.TranscriptDraft)) is None


def test_visitors_are_sent_to_log_in(client: FlaskClient, draft: models.Testimony) -> None:
    for what in ("page", "state"):
        response = client.get(urls(draft)[what])
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_researchers_get_the_curator_guards_answer(client: FlaskClient, auth: Any, draft: models.Testimony) -> None:
    auth.login("researcher", approved=True)
    token = csrf_token(client, "/")
    for what in ("page", "state"):
        assert client.get(urls(draft)[what]).status_code == 404
    opened = {"version": drafts.transcript_version(draft), "speakers": [],
              "passages": [drafts.passage_of(s) for s in draft.segments]}
    for what in ("draft", "apply", "discard"):
        assert post(client, draft, what, edited(opened, text="Mine now."), token).status_code == 404
    db.session.expire_all()
    assert draft.segments[0].text == "Where were you born?"
    assert db.session.scalar(select(models.TranscriptDraft)) is None
    refusals = db.session.scalars(select(models.AuditEntry).where(models.AuditEntry.action == "refused:curate")).all()
    assert len(refusals) == 5


def test_applying_an_unchanged_draft_saves_nothing(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    opened = state(client, draft)
    version = draft.version
    response = post(client, draft, "apply", edited(opened))
    assert response.status_code == 200 and response.get_json()["version"] == opened["version"]
    db.session.expire_all()
    assert draft.version == version
    assert db.session.scalar(select(models.TranscriptDraft)) is None
