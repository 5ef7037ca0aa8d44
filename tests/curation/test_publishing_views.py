"""The publication checklist and the sensitive-term pages through HTTP: guard, CSRF, restricting, publishing."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from archive import models
from archive.core.extensions import db
from archive.curation import sensitive
from tests.conftest import csrf_token
from tests.curation.test_curator import edit_url, html_of, load_form, post_section, read_form, reload

REAL = "Han Song-i"


@pytest.fixture()
def tempting(factory: Any) -> models.Testimony:
    """A restricted draft whose second passage names the narrator's brother; the third is restricted."""
    narrator = factory.narrator(real_name=REAL, pseudonym="Magpie")
    t = factory.testimony(narrator, title="Across the Tumen", access="restricted", status="draft", segments=[
        {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Who went with you?"},
        {"start": 4, "end": 65, "speaker": "Han Song-i", "text": "My brother Han Chol went first."},
        {"start": 65, "end": 70, "speaker": "Narrator", "text": "[restricted] He works at the Musan mine."},
    ])
    sensitive.add_term(t, "Han Chol", "brother")
    return t


def checklist_url(t: models.Testimony, audience: str = "") -> str:
    return f"{edit_url(t)}/checklist" + (f"?audience={audience}" if audience else "")


def sensitive_url(t: models.Testimony) -> str:
    return f"{edit_url(t)}/sensitive"


def restrict_action(t: models.Testimony, segment: models.Segment) -> str:
    return f"/segments/{segment.id}/restrict"


# ---------------------------------------------------------------- who may see these pages

@pytest.mark.parametrize("role", [None, "researcher"])
def test_only_staff_see_the_pages(client: FlaskClient, auth: Any, tempting: models.Testimony, role: str | None) -> None:
    if role:
        auth.login(role, approved=True)
    for url in (checklist_url(tempting), sensitive_url(tempting)):
        response = client.get(url)
        assert response.status_code in (302, 404)
        assert "Han Chol" not in html_of(response)


def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(app: Flask, client: FlaskClient, curator: Any,
                                                               tempting: models.Testimony) -> None:
    segment = tempting.segments[1]
    term = tempting.sensitive_terms[0]
    ids = {"testimony_id": tempting.id, "segment_id": segment.id, "term_id": term.id}
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("publishing.") and "POST" in (r.methods or ())]
    assert len(rules) == 4, [r.endpoint for r in rules]
    data = {"version": str(tempting.version), "audience": "public", "confirm": "y", "term": "New term",
            "back": "sensitive", "justification": "x" * 40}
    for rule in rules:
        url = rule.build({k: v for k, v in ids.items() if k in rule.arguments})[1]
        for token in (None, "wrong"):
            response = client.post(url, data={**data, **({"csrf_token": token} if token else {})})
            assert response.status_code == 400, (rule.endpoint, token)
    t = reload(tempting)
    assert (t.status, t.access, len(t.sensitive_terms)) == ("draft", "restricted", 1)
    assert not any(s.restricted for s in t.segments[:2])


# ---------------------------------------------------------------- sensitive terms

def test_the_scan_lists_hits_with_where_and_a_restrict_button(client: FlaskClient, curator: Any,
                                                               tempting: models.Testimony) -> None:
    html = html_of(client.get(sensitive_url(tempting)))
    assert "Han Chol" in html and "brother" in html
    assert "passage 2 at 0:04" in html and "<mark>Han Chol</mark>" in html
    assert "Handled: speaker labels naming the narrator (1)" in html
    assert "Inside restricted passages" not in html  # the restricted passage names no term
    assert "Restrict this passage" in html


def test_add_and_remove_a_term_through_the_form(client: FlaskClient, curator: Any, tempting: models.Testimony) -> None:
    page = sensitive_url(tempting)
    form = load_form(client, page, page)
    response = client.post(page, data={**form, "term": "Musan mine", "note": "his workplace"})
    assert response.status_code == 302
    html = html_of(client.get(page))
    assert "Musan mine" in html and "Inside restricted passages (1)" in html
    added = db.session.scalars(select(models.AuditEntry).where(
        models.AuditEntry.action == "testimony.sensitive_term_added").order_by(models.AuditEntry.id)).all()
    assert added and all("Musan" not in e.details for e in added) and added[-1].actor == "curator@example.org"
    term = next(t for t in reload(tempting).sensitive_terms if t.term == "Musan mine")
    remove = f"/sensitive/{term.id}/remove"
    response = client.post(f"{page}/{term.id}/remove", data=read_form(html, remove))
    assert response.status_code == 302
    assert "Musan mine" not in html_of(client.get(page))


def test_a_bad_term_is_refused_with_an_error_summary(client: FlaskClient, curator: Any,
                                                     tempting: models.Testimony) -> None:
    page = sensitive_url(tempting)
    form = load_form(client, page, page)
    response = client.post(page, data={**form, "term": "han  chol"})
    assert response.status_code == 400
    html = html_of(response)
    assert "The term was not added" in html and 'href="#term"' in html and "already listed" in html
    assert 'aria-invalid="true"' in html
    assert len(reload(tempting).sensitive_terms) == 1


def test_restrict_this_passage_then_the_scan_is_clean(client: FlaskClient, curator: Any,
                                                      tempting: models.Testimony) -> None:
    page = sensitive_url(tempting)
    segment = tempting.segments[1]
    html = html_of(client.get(page))
    data = read_form(html, restrict_action(tempting, segment))
    response = client.post(f"{edit_url(tempting)}/segments/{segment.id}/restrict", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/sensitive#scan")
    assert db.session.get(models.Segment, segment.id).restricted is True
    html = html_of(client.get(page))
    assert "No unresolved hits" in html and "is now restricted" in html
    entry = db.session.scalars(select(models.AuditEntry).where(models.AuditEntry.action == "testimony.segment")).one()
    assert json.loads(entry.details)["changes"] == {"segment 2.restricted": [False, True]}


def test_a_stale_restrict_button_gets_409(client: FlaskClient, curator: Any, tempting: models.Testimony) -> None:
    segment = tempting.segments[1]
    stale = read_form(html_of(client.get(sensitive_url(tempting))), restrict_action(tempting, segment))
    post_section(client, tempting, "metadata", {"meta-title": "Renamed"})
    response = client.post(f"{edit_url(tempting)}/segments/{segment.id}/restrict", data=stale)
    assert response.status_code == 409
    assert "Not saved: someone else changed this first" in html_of(response)
    assert db.session.get(models.Segment, segment.id).restricted is False


def test_restricting_another_testimonys_segment_is_404(client: FlaskClient, curator: Any, factory: Any,
                                                       tempting: models.Testimony) -> None:
    other = factory.testimony(segments=[{"start": 0, "end": 2, "text": "Other"}])
    token = csrf_token(client, sensitive_url(tempting))
    response = client.post(f"{edit_url(tempting)}/segments/{other.segments[0].id}/restrict",
                           data={"csrf_token": token, "version": tempting.version})
    assert response.status_code == 404


# ---------------------------------------------------------------- the checklist and publishing

def test_checklist_shows_audience_consent_profile_hits_passages_and_recording(
        client: FlaskClient, curator: Any, tempting: models.Testimony) -> None:
    html = html_of(client.get(checklist_url(tempting, "public")))
    assert "Publishing to: everyone, including anonymous visitors." in html
    assert "Now: curators only." in html
    assert "Audio may be published" in html and "Detailed profile (exact values)" in html
    assert "Magpie" in html and "1980s" in html and "defectors in the official statistics" in html
    assert "passage 2 at 0:04" in html and "Restrict this passage" in html
    assert "Restricted passages (1)" in html and "passage 3, 1:05–1:10" in html
    assert "There is no recording." in html
    assert "cannot be published to this audience yet" in html and "not resolved" in html
    assert 'action="/curate/testimonies/%d/checklist"' % tempting.id not in html  # no publish form while blocked
    researchers = html_of(client.get(checklist_url(tempting, "researchers")))
    assert "Publishing to: approved researchers (and curators)." in researchers


def test_publishing_is_refused_with_the_reason_while_hits_remain(client: FlaskClient, curator: Any,
                                                                 tempting: models.Testimony) -> None:
    token = csrf_token(client, checklist_url(tempting))
    response = client.post(checklist_url(tempting), data={"csrf_token": token, "version": tempting.version,
                                                          "audience": "public", "confirm": "y"})
    assert response.status_code == 400
    html = html_of(response)
    assert "The testimony was not published" in html and "1 sensitive-term hits are not resolved" in html
    assert reload(tempting).status == "draft"


def test_restrict_from_the_checklist_then_publish_with_confirmation(app: Flask, client: FlaskClient, curator: Any,
                                                                     tempting: models.Testimony) -> None:
    page = checklist_url(tempting, "public")
    segment = tempting.segments[1]
    data = read_form(html_of(client.get(page)), restrict_action(tempting, segment) + "?audience=public")
    assert data["back"] == "checklist"
    response = client.post(f"{edit_url(tempting)}/segments/{segment.id}/restrict?audience=public", data=data)
    assert response.status_code == 302 and "/checklist?audience=public#scan" in response.headers["Location"]
    html = html_of(client.get(page))
    assert "No unresolved hits" in html
    form = read_form(html, f"/{tempting.id}/checklist")
    assert "justification" not in form  # above the threshold: no justification asked
    response = client.post(checklist_url(tempting), data=form)  # the box is not ticked
    assert response.status_code == 400 and "tick this box to confirm" in html_of(response)
    assert reload(tempting).status == "draft"
    response = client.post(checklist_url(tempting), data={**form, "confirm": "y"})
    assert response.status_code == 302
    t = reload(tempting)
    assert (t.status, t.access) == ("published", "public")
    public = app.test_client()
    body = html_of(public.get(f"/testimonies/{t.id}"))
    assert "Han Chol" not in body and REAL not in body
    assert "visible to everyone" in html_of(client.get(edit_url(t)))


def test_below_the_threshold_the_justification_is_required(app: Flask, client: FlaskClient, curator: Any,
                                                           factory: Any) -> None:
    app.config["DISCLOSURE_THRESHOLD"] = 10 ** 9
    t = factory.testimony(access="restricted", status="draft")
    html = html_of(client.get(checklist_url(t, "researchers")))
    assert "fewer than the threshold" in html
    form = read_form(html, f"/{t.id}/checklist")
    response = client.post(checklist_url(t), data={**form, "confirm": "y"})
    assert response.status_code == 400
    assert re.search(r'href="#justification">Justification: is required', html_of(response))
    why = "Her story is already public in her own book; she asked to be recognisable."
    response = client.post(checklist_url(t), data={**form, "confirm": "y", "justification": why})
    assert response.status_code == 302
    t = reload(t)
    assert (t.status, t.access, t.disclosure_justification) == ("published", "researchers", why)


def test_stale_checklist_gets_409(client: FlaskClient, curator: Any, factory: Any) -> None:
    t = factory.testimony(access="restricted", status="draft")
    form = read_form(html_of(client.get(checklist_url(t))), f"/{t.id}/checklist")
    post_section(client, t, "metadata", {"meta-title": "Renamed"})
    response = client.post(checklist_url(t), data={**form, "confirm": "y"})
    assert response.status_code == 409 and reload(t).status == "draft"


# ---------------------------------------------------------------- the editor no longer widens directly

def test_details_form_cannot_widen_a_published_testimony(client: FlaskClient, curator: Any, factory: Any) -> None:
    t = factory.testimony(access="restricted", status="published")
    response = post_section(client, t, "metadata", {"meta-access": "public", "meta-title": "Also renamed"})
    assert response.status_code == 400
    html = html_of(response)
    assert "publication checklist" in html and 'href="/curate/testimonies/%d/checklist"' % t.id in html
    assert (reload(t).access, reload(t).title) == ("restricted", t.title)
    # A draft may get its access level in advance: it is still hidden.
    draft = factory.testimony(access="restricted", status="draft")
    assert post_section(client, draft, "metadata", {"meta-access": "public"}).status_code == 302


def test_publish_button_sends_a_widening_draft_to_the_checklist(client: FlaskClient, curator: Any,
                                                                factory: Any) -> None:
    t = factory.testimony(access="restricted", status="draft")
    assert post_section(client, t, "metadata", {"meta-access": "researchers"}).status_code == 302
    html = html_of(client.get(edit_url(t)))
    assert f'href="/curate/testimonies/{t.id}/checklist"' in html
    token = csrf_token(client, edit_url(t))
    response = client.post(f"{edit_url(t)}/publish", data={"csrf_token": token, "pub-version": reload(t).version})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{t.id}/checklist")
    assert reload(t).status == "draft"
    assert "review the checklist" in html_of(client.get(response.headers["Location"]))


def test_dashboard_links_the_checklist(client: FlaskClient, curator: Any, tempting: models.Testimony) -> None:
    assert f'href="/curate/testimonies/{tempting.id}/checklist"' in html_of(client.get("/curate/"))


def test_checklist_shows_the_public_copy_of_the_recording(client: FlaskClient, curator: Any,
                                                          tempting: models.Testimony) -> None:
    import io

    from archive.curation import recordings
    from tests.sound import wav_bytes

    recordings.upload_recording(tempting, io.BytesIO(wav_bytes(seconds=72)), "talk.wav", tempting.version)
    html = html_of(client.get(checklist_url(tempting, "public")))
    assert "public copy, never the original" in html and 'id="public-copy"' in html
    assert "1 restricted passage is silenced." in html and "The voice is masked" in html
