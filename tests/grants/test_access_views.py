"""Access requests over HTTP: the researcher's page that is no existence oracle, the curators' pages, and a grant
opening the testimony page, its downloads and its recording for one researcher only, until it expires."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from archive import models
from archive.core.extensions import db
from archive.models import AccessGrant
from archive.models.base import utcnow
from tests.grants.conftest import REAL_NAME, SECRET, protected_testimony
from tests.security.probes import same_answer
from tests.security.world import csrf_from, fresh_client, log_in

ASK = "/account/access/"


def _client(app: Flask, email: str) -> Any:
    client = fresh_client(app)
    log_in(client, email)
    return client


def _ask(client: Any, reference: str, purpose: str = "A study of crossings.") -> Any:
    return client.post(ASK, data={"reference": reference, "purpose": purpose, "csrf_token": csrf_from(client, ASK)})


def _flash(client: Any) -> str:
    html = client.get(ASK).get_data(as_text=True)
    found = re.search(r'<div class="flashes".*?</div>', html, re.S)
    return found.group(0) if found else ""


def _surfaces(t: models.Testimony) -> dict[str, str]:
    return {"page": f"/testimonies/{t.id}", "txt": f"/testimonies/{t.id}/transcript.txt",
            "vtt": f"/testimonies/{t.id}/transcript.vtt", "recording": f"/media/recordings/{t.recordings[0].id}",
            "api": f"/api/v1/testimonies/{t.id}"}


def _missing(client: Any) -> dict[str, Any]:
    return {"page": client.get("/testimonies/999999"), "txt": client.get("/testimonies/999999/transcript.txt"),
            "vtt": client.get("/testimonies/999999/transcript.vtt"), "recording": client.get("/media/recordings/999999"),
            "api": client.get("/api/v1/testimonies/999999")}


def _unlike_missing(client: Any, t: models.Testimony) -> list[str]:
    missing = _missing(client)
    urls = _surfaces(t)
    return [name for name, url in urls.items()
            if not same_answer(client.get(url), url, missing[name], missing[name].request.path)]


def test_the_answer_to_a_request_is_the_same_whatever_the_reference_names(app: Flask, factory: Any,
                                                                          world: dict[str, Any]) -> None:
    client = _client(app, "asker@example.org")
    draft = factory.testimony(title="A draft", status="draft", access="restricted")
    public = factory.testimony(title="Open to all")
    answers = []
    for reference in (str(world["restricted"].id), "424242", str(draft.id), str(public.id),
                      str(world["researchers"].id), "no-such-thing"):
        response = _ask(client, reference)
        answers.append((response.status_code, response.headers.get("Location"), _flash(client)))
    assert answers[0][0] == 302 and "Your request was recorded" in answers[0][2]
    assert len(set(answers)) == 1, answers
    stored = db.session.scalars(select(models.TestimonyAccessRequest).order_by(models.TestimonyAccessRequest.id))
    assert [r.testimony_id for r in stored] == [world["restricted"].id, None, draft.id, public.id,
                                                world["researchers"].id, None]
    # The researcher's page lists what they typed, never what it named.
    page = client.get(ASK).get_data(as_text=True)
    assert "424242" in page and "A draft" not in page and "Closed crossing" not in page


def test_a_request_form_with_errors_names_each_field_and_stores_nothing(app: Flask, world: dict[str, Any]) -> None:
    client = _client(app, "asker@example.org")
    response = client.post(ASK, data={"reference": "", "purpose": "", "csrf_token": csrf_from(client, ASK)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "s number, permanent link or reference." in html
    assert "Say what you need the testimony for." in html
    assert html.count('aria-invalid="true"') == 2
    response = _ask(client, "12", "p" * 2001)
    assert response.status_code == 400 and "Enter at most 2000 characters." in response.get_data(as_text=True)
    assert client.post(ASK, data={"reference": "12", "purpose": "No token."}).status_code == 400
    assert db.session.scalar(select(db.func.count(models.TestimonyAccessRequest.id))) == 0


def test_only_signed_in_researchers_reach_the_request_page(app: Flask, world: dict[str, Any]) -> None:
    anonymous = fresh_client(app)
    assert anonymous.get(ASK).status_code == 302 and "/account/login" in anonymous.get(ASK).headers["Location"]
    curator = _client(app, "decider@example.org")
    assert curator.get(ASK).status_code == 404
    assert "/account/access/" not in curator.get("/").get_data(as_text=True)
    researcher = _client(app, "asker@example.org")
    assert 'href="/account/access/"' in researcher.get("/").get_data(as_text=True)
    # Researchers never reach the curators' pages.
    assert researcher.get("/curate/access/").status_code == 404


def test_curator_grants_and_the_testimony_opens_for_that_researcher_only_until_it_expires(
        app: Flask, world: dict[str, Any]) -> None:
    t = world["restricted"]
    asker, other, anonymous = _client(app, "asker@example.org"), _client(app, "other@example.org"), fresh_client(app)
    assert _unlike_missing(asker, t) == []
    _ask(asker, f"http://archive.example/testimonies/{t.id}")
    _ask(asker, "no-such-thing")

    curator = _client(app, "decider@example.org")
    assert 'href="/curate/access/"' in curator.get("/curate/").get_data(as_text=True)
    listing = curator.get("/curate/access/").get_data(as_text=True)
    assert "Closed crossing" in listing and "no testimony has this reference" in listing
    asked = db.session.scalar(select(models.TestimonyAccessRequest).where(
        models.TestimonyAccessRequest.testimony_id == t.id))
    page = f"/curate/access/requests/{asked.id}"
    decide = curator.get(page).get_data(as_text=True)
    assert 'name="days"' in decide and 'value="30"' in decide and "A study of crossings." in decide
    bad = curator.post(f"{page}/grant", data={"days": "400", "csrf_token": csrf_from(curator, page)})
    assert bad.status_code == 400 and "Enter a whole number of days from 1 to 365." in bad.get_data(as_text=True)
    granted = curator.post(f"{page}/grant", data={"days": "10", "csrf_token": csrf_from(curator, page)})
    assert granted.status_code == 302
    grant = db.session.scalar(select(AccessGrant))
    assert abs(grant.expires_at - utcnow() - timedelta(days=10)) < timedelta(minutes=1)

    # The grantee opens the page, the downloads and the recording, through the protected view.
    for name, url in _surfaces(t).items():
        response = asker.get(url)
        assert response.status_code == 200, (name, response.status_code)
        if name != "recording":
            body = response.get_data(as_text=True)
            assert REAL_NAME not in body and SECRET.split()[0] not in body, name
    assert "Openwords" in asker.get(f"/testimonies/{t.id}/transcript.txt").get_data(as_text=True)
    assert f'href="/testimonies/{t.id}"' in asker.get("/testimonies/").get_data(as_text=True)
    mine = asker.get(ASK).get_data(as_text=True)
    assert "Closed crossing" in mine and "open until" in mine
    # Nobody else gains anything.
    assert _unlike_missing(other, t) == []
    assert _unlike_missing(anonymous, t) == []
    assert f'href="/testimonies/{t.id}"' not in other.get("/testimonies/").get_data(as_text=True)

    # It expires by itself: the page answers like a missing one, the lists say expired.
    db.session.execute(update(AccessGrant).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert _unlike_missing(asker, t) == []
    mine = asker.get(ASK).get_data(as_text=True)
    assert "expired on" in mine and "Closed crossing" not in mine
    assert "expired on" in curator.get("/curate/access/").get_data(as_text=True)
    assert "Revoke" not in curator.get("/curate/access/").get_data(as_text=True)


def test_curator_refuses_with_a_reason_the_researcher_reads(app: Flask, world: dict[str, Any]) -> None:
    asker = _client(app, "asker@example.org")
    _ask(asker, "no-such-thing")
    asked = db.session.scalar(select(models.TestimonyAccessRequest))
    curator = _client(app, "decider@example.org")
    page = f"/curate/access/requests/{asked.id}"
    decide = curator.get(page).get_data(as_text=True)
    assert 'name="days"' not in decide and "cannot be granted" in decide
    empty = curator.post(f"{page}/refuse", data={"reason": " ", "csrf_token": csrf_from(curator, page)})
    assert empty.status_code == 400 and "Write the reason the researcher will read." in empty.get_data(as_text=True)
    done = curator.post(f"{page}/refuse", data={"reason": "We cannot find this reference.",
                                                 "csrf_token": csrf_from(curator, page)})
    assert done.status_code == 302
    assert "refused: We cannot find this reference." in asker.get(ASK).get_data(as_text=True)
    again = curator.post(f"{page}/refuse", data={"reason": "Twice.", "csrf_token": csrf_from(curator, page)})
    assert again.status_code == 400
    assert db.session.get(models.TestimonyAccessRequest, asked.id).refusal_reason == "We cannot find this reference."


def test_curator_revokes_a_grant(app: Flask, world: dict[str, Any]) -> None:
    t = world["researchers"]
    asker = _client(app, "asker@example.org")
    _ask(asker, str(t.id))
    asked = db.session.scalar(select(models.TestimonyAccessRequest))
    curator = _client(app, "decider@example.org")
    page = f"/curate/access/requests/{asked.id}"
    curator.post(f"{page}/grant", data={"days": "30", "csrf_token": csrf_from(curator, page)})
    assert asker.get(f"/testimonies/{t.id}").status_code == 200
    grant = db.session.scalar(select(AccessGrant))
    assert curator.post(f"/curate/access/grants/{grant.id}/revoke").status_code == 400  # no CSRF token
    response = curator.post(f"/curate/access/grants/{grant.id}/revoke",
                            data={"csrf_token": csrf_from(curator, "/curate/access/")})
    assert response.status_code == 302
    assert asker.get(f"/testimonies/{t.id}").status_code == 404
    assert "revoked on" in asker.get(ASK).get_data(as_text=True)


def test_the_pages_speak_korean(app: Flask, world: dict[str, Any]) -> None:
    asker = _client(app, "asker@example.org")
    asker.set_cookie("lang", "ko")
    html = asker.get(ASK).get_data(as_text=True)
    assert '<html lang="ko">' in html and "열람 신청" in html
    curator = _client(app, "decider@example.org")
    curator.set_cookie("lang", "ko")
    assert "열람 신청" in curator.get("/curate/access/").get_data(as_text=True)


def test_a_second_world_testimony_is_not_opened_by_a_grant_for_the_first(app: Flask, world: dict[str, Any]) -> None:
    first, second = world["restricted"], protected_testimony("restricted", "Second closed crossing")
    asker = _client(app, "asker@example.org")
    _ask(asker, str(first.id))
    curator = _client(app, "decider@example.org")
    asked = db.session.scalar(select(models.TestimonyAccessRequest))
    page = f"/curate/access/requests/{asked.id}"
    curator.post(f"{page}/grant", data={"days": "30", "csrf_token": csrf_from(curator, page)})
    assert asker.get(f"/testimonies/{first.id}").status_code == 200
    assert _unlike_missing(asker, second) == []
