"""Narrators' disclosure controls: consent to a detailed profile and the fields shown exactly.

Through the service (validation, audit, search outbox) and through the curator's form over HTTP (the
refusal names the field, the page shows the generalised profile and its population estimate).
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from archive.core.extensions import db
from archive.models import AuditEntry, Narrator, SearchOutbox
from archive.policy import disclosure, protected
from archive.curation import narrators as narrator_service
from archive.core.errors import ValidationError
from tests.curation.test_curator import html_of, load_form

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
PROFILE = {"pseudonym": "Ms. Pine", "gender": "female", "birth_year": 1979, "origin_province": "North Hamgyong",
           "origin_place": "Hoeryong", "left_north_year": 2006, "arrived_south_year": 2008}


def entries(action: str) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    return [json.loads(row.details) for row in rows]


# ---------------------------------------------------------------------------------------- service


def test_exact_fields_need_consent_and_each_refused_field_is_named(app: Flask) -> None:
    with pytest.raises(ValidationError) as refused:
        narrator_service.create_narrator({**PROFILE, "exact_fields": ["birth_year", "home_place"]})
    assert refused.value.errors == {"exact_fields": [
        "exact birth year can be shown exactly only when the narrator consented to a detailed public profile",
        "home town can be shown exactly only when the narrator consented to a detailed public profile"]}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Narrator)) == 0
    with pytest.raises(ValidationError) as unknown:
        narrator_service.create_narrator({**PROFILE, "consent_detailed_profile": True, "exact_fields": "real_name"})
    assert unknown.value.errors["exact_fields"] == [
        "unknown field 'real_name' (known: birth_year, home_place, left_north_year, arrived_south_year)"]


def test_consent_and_exact_fields_are_saved_audited_and_shown(app: Flask) -> None:
    n = narrator_service.create_narrator(PROFILE)
    assert not n.consent_detailed_profile and n.exact_fields == []
    assert entries("narrator.disclosure") == []  # nothing disclosed beyond the default
    assert protected.profile_view(n, "public").birth.label == "1970s"

    narrator_service.update_narrator(n, {**PROFILE, "consent_detailed_profile": "y",
                                         "exact_fields": ["home_place", "birth_year"]})
    db.session.expire_all()
    n = db.session.get(Narrator, n.id)
    assert n.consent_detailed_profile and n.exact_fields == ["birth_year", "home_place"]  # in EXACT_FIELDS order
    assert entries("narrator.disclosure") == [{"changes": {
        "consent_detailed_profile": [False, True], "exact_fields": [[], ["birth_year", "home_place"]]}}]
    view = protected.profile_view(n, "public")
    assert view.birth.label == "1979" and view.home_place.slug == "hoeryong" and view.arrived.label == "2005–2009"

    # Consent withdrawn: the fields must go with it, and the profile is generalised again.
    narrator_service.update_narrator(n, {**PROFILE, "consent_detailed_profile": False, "exact_fields": []})
    assert entries("narrator.disclosure")[-1] == {"changes": {
        "consent_detailed_profile": [True, False], "exact_fields": [["birth_year", "home_place"], []]}}
    view = protected.profile_view(n, "public")
    assert view.birth.label == "1970s" and view.home_place is None


def test_callers_that_do_not_send_the_disclosure_fields_leave_them_alone(app: Flask) -> None:
    n = narrator_service.create_narrator({**PROFILE, "consent_detailed_profile": True, "exact_fields": "birth_year"})
    assert entries("narrator.disclosure") == [{"changes": {"consent_detailed_profile": [None, True],
                                                           "exact_fields": [[], ["birth_year"]]}}]
    narrator_service.update_narrator(n, {**PROFILE, "pseudonym": "Ms. Oak"})  # an import or a script
    assert n.consent_detailed_profile and n.exact_fields == ["birth_year"]
    assert len(entries("narrator.disclosure")) == 1


def test_a_disclosure_change_queues_the_narrators_testimonies_for_the_index(app: Flask, factory: Any) -> None:
    n = narrator_service.create_narrator(PROFILE)
    t = factory.testimony(n)
    app.config["SEARCH_SYNC"] = False  # keep the outbox as the change left it
    db.session.execute(SearchOutbox.__table__.delete())
    db.session.commit()
    narrator_service.update_narrator(n, {**PROFILE, "consent_detailed_profile": True,
                                         "exact_fields": ["arrived_south_year"]})
    assert db.session.scalars(select(SearchOutbox.testimony_id)).all() == [t.id]


# ---------------------------------------------------------------------------------------- form


def test_form_refuses_exact_fields_without_consent_and_saves_them_with_it(client: FlaskClient, auth: Any) -> None:
    auth.login("curator")
    n = narrator_service.create_narrator(PROFILE)
    page = f"/curate/narrators/{n.id}"
    form = load_form(client, page, page)
    assert "consent_detailed_profile" not in form and "exact_fields" not in form
    html = html_of(client.get(page))
    for text in ("The narrator consented to a detailed public profile", "Show exactly", "Exact birth year",
                 "Home town", "Exact year left", "Exact year arrived"):
        assert text in html

    response = client.post(page, data={**form, "exact_fields": ["home_place"]})
    assert response.status_code == 400
    assert ("Show exactly: home town can be shown exactly only when the narrator consented to a detailed public "
            "profile") in html_of(response)
    db.session.expire_all()
    assert db.session.get(Narrator, n.id).exact_fields == []

    response = client.post(page, data={**form, "consent_detailed_profile": "y",
                                       "exact_fields": ["home_place", "arrived_south_year"]})
    assert response.status_code == 302
    db.session.expire_all()
    n = db.session.get(Narrator, n.id)
    assert n.consent_detailed_profile and n.exact_fields == ["home_place", "arrived_south_year"]
    audited = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "narrator.disclosure"))
    assert audited.actor == "curator@example.org" and audited.object_id == n.id
    form = load_form(client, page, page)  # the form shows what was saved
    assert form["consent_detailed_profile"] == "y" and form["exact_fields"] == ["home_place", "arrived_south_year"]
    view = protected.profile_view(n, "public")
    assert view.home_place.slug == "hoeryong" and view.arrived.label == "2008" and view.left.label == "2005–2009"


def test_edit_page_shows_the_public_profile_and_its_estimate(client: FlaskClient, auth: Any, app: Flask) -> None:
    auth.login("curator")
    n = narrator_service.create_narrator({**PROFILE, "birth_year": "", "left_north_year": "",
                                          "origin_place": ""})
    page = f"/curate/narrators/{n.id}"
    html = html_of(client.get(page))
    assert "Public profile as shown" in html
    # Women (24,746) × arrivals 2005–2009 (8,901 of them) × North Hamgyong (15,080 of 24,421): about 5,496.
    assert "About 5,496 of the 34,314 defectors in the official statistics" in html
    assert "Fewer than 50 people" not in html
    assert html.index(">Year arrived in the South</th>") < html.index(">Home province</th>") < html.index(
        ">Gender</th>")  # the narrowest field first

    form = load_form(client, page, page)
    client.post(page, data={**form, "birth_year": "1975", "origin_place": "hoeryong", "occupation": "management",
                            "arrived_south_year": "2007", "consent_detailed_profile": "y",
                            "exact_fields": ["birth_year", "home_place", "arrived_south_year"]})
    html = html_of(client.get(page))
    assert ">Hoeryong</dd>" in html and ">1975</dd>" in html
    assert "Fewer than 50 people:" in html and "needs a written justification" in html
    db.session.expire_all()
    estimate = protected.estimate_for(db.session.get(Narrator, n.id))
    assert estimate.below and f"About {estimate.expected:.1f} of the 34,314" in html

    korean = html_of(client.get(page, headers=KO))
    assert "공개되는 프로필" in korean and "50명 미만:" in korean and "서면 사유가 필요합니다" in korean
    assert "구술자가 상세한 공개 프로필에 동의함" in korean and "정확한 출생 연도" in korean
    assert "Public profile as shown" not in korean


def test_form_choices_are_the_policys_exact_fields() -> None:
    from archive.curation.forms import EXACT_FIELD_CHOICES

    assert tuple(name for name, _ in EXACT_FIELD_CHOICES) == disclosure.EXACT_FIELDS
