"""Bulk work through HTTP: the dashboard's selection, the preview, one confirmation, in both languages."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from archive import models as m
from archive.core.extensions import db
from archive.curation import sensitive
from archive.curation import testimonies as testimony_service
from tests.conftest import csrf_token
from tests.curation.test_curator import html_of, load_form, read_form, reload

KO = {"Accept-Language": "ko"}


@pytest.fixture()
def three(factory: Any) -> list[m.Testimony]:
    with factory.batch():
        return [factory.testimony(title=title, access=level, status=status) for title, level, status in (
            ("Crossing the Tumen", "public", "published"), ("Tumen in winter", "restricted", "draft"),
            ("Seoul years", "researchers", "published"))]


def selection(client: FlaskClient, query: str = "", headers: dict[str, str] | None = None,
              **changes: Any) -> dict[str, Any]:
    """The dashboard's bulk form as a browser would send it, with `changes` (ticked ids, the change) applied."""
    data: dict[str, Any] = load_form(client, f"/curate/{query}", "/curate/bulk/preview", headers=headers)
    data.update(changes)
    return data


def preview(client: FlaskClient, data: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return client.post("/curate/bulk/preview", data=data, headers=headers)


def confirm(client: FlaskClient, preview_html: str, headers: dict[str, str] | None = None) -> Any:
    return client.post("/curate/bulk/apply", data=read_form(preview_html, "/curate/bulk/apply"), headers=headers)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ---------------------------------------------------------------- guard and CSRF

@pytest.mark.parametrize("role", [None, "researcher"])
def test_only_staff_may_use_bulk_work(client: FlaskClient, auth: Any, three: list[m.Testimony],
                                      role: str | None) -> None:
    if role:
        auth.login(role, approved=True)
    token = csrf_token(client, "/account/password" if role else "/account/login")
    for path, data in (("/curate/bulk/preview", {"ids": [three[0].id], "action": "unpublish"}),
                       ("/curate/bulk/apply", {"action": "unpublish", "item": f"{three[0].id}:{three[0].version}"})):
        response = client.post(path, data={**data, "csrf_token": token})
        # Anonymous visitors are sent to log in; a researcher is answered as if the page did not exist.
        assert response.status_code == (404 if role else 302), path
    assert reload(three[0]).status == "published"


def test_a_post_without_its_csrf_token_is_refused(client: FlaskClient, curator: Any, three: list[m.Testimony]) -> None:
    data = selection(client, ids=[str(three[0].id)], action="unpublish")
    data.pop("csrf_token")
    assert preview(client, data).status_code == 400
    response = client.post("/curate/bulk/apply", data={"action": "unpublish", "item": f"{three[0].id}:1"})
    assert response.status_code == 400 and reload(three[0]).status == "published"


# ---------------------------------------------------------------- the whole path

def test_two_ticked_by_hand_previewed_then_confirmed(client: FlaskClient, curator: Any,
                                                     three: list[m.Testimony]) -> None:
    html = html_of(client.get("/curate/"))
    assert f'name="ids" value="{three[0].id}"' in html
    data = selection(client, ids=[str(three[0].id), str(three[1].id)], action="access", new_access="researchers")
    response = preview(client, data)
    assert response.status_code == 200
    page = text_of(html_of(response))
    assert "Will change (2)" in page and "Access: public → researchers" in page
    assert "Seen outside staff by: everyone → approved researchers" in page
    assert "Access: restricted → researchers" in page  # a draft: nobody outside staff sees it yet
    assert "Apply the change to 2 testimonies" in page
    assert reload(three[0]).access == "public"  # the preview saves nothing
    response = confirm(client, html_of(response))
    assert response.status_code == 200
    page = text_of(html_of(response))
    assert "Changed (2)" in page and "2 testimonies were changed." in page
    assert (reload(three[0]).access, reload(three[1]).access, reload(three[2]).access) == \
        ("researchers", "researchers", "researchers")
    updates = db.session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "testimony.update")).all()
    assert sorted(e.object_id for e in updates) == sorted([three[0].id, three[1].id])
    assert {e.actor for e in updates} == {"curator@example.org"}
    [summary] = db.session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "testimony.bulk")).all()
    assert sorted(json.loads(summary.details)["applied"]) == sorted([three[0].id, three[1].id])


def test_all_matching_the_filters(client: FlaskClient, curator: Any, three: list[m.Testimony]) -> None:
    html = html_of(client.get("/curate/?q=tumen"))
    assert "Crossing the Tumen" in html and "Seoul years" not in html
    assert "2 of 3 testimonies match the filters." in text_of(html)
    assert "All 2 testimonies shown (all matching the filters)" in text_of(html)
    data = selection(client, "?q=tumen", scope="matching", action="embargo", embargo_until="2099-12-31")
    response = preview(client, data)
    page = text_of(html_of(response))
    assert response.status_code == 200 and "Will change (2)" in page and "Embargo: none → 2099-12-31" in page
    assert "Seoul years" not in page
    response = confirm(client, html_of(response))
    assert "Changed (2)" in text_of(html_of(response))
    assert [str(reload(t).embargo_until) for t in three] == ["2099-12-31", "2099-12-31", "None"]
    # The way back keeps the filters.
    assert 'href="/curate/?q=tumen"' in html_of(response)


def test_filters_by_status_access_and_topic(client: FlaskClient, curator: Any, factory: Any,
                                            three: list[m.Testimony]) -> None:
    testimony_service.set_topics(three[2], ["religion"], None)
    assert "Seoul years" in (html := html_of(client.get("/curate/?topic=religion"))) and "Tumen" not in html
    assert "Tumen in winter" in (html := html_of(client.get("/curate/?status=draft"))) and "Seoul" not in html
    assert "Seoul years" in (html := html_of(client.get("/curate/?access=researchers"))) and "Tumen" not in html
    html = html_of(client.get("/curate/?q=nothing+like+it"))
    assert "No testimony matches these filters." in html and "bulk-form" not in html


def test_publishing_refused_by_the_checks_is_listed_with_the_reason(client: FlaskClient, curator: Any,
                                                                    factory: Any) -> None:
    with factory.batch():
        hit = factory.testimony(title="Names a brother", access="public", status="draft", segments=[
            {"start": 0, "end": 5, "text": "My brother Pak Chol went first."}])
        fine = factory.testimony(title="Nothing to hide", access="public", status="draft")
    sensitive.add_term(hit, "Pak Chol")
    data = selection(client, ids=[str(hit.id), str(fine.id)], action="publish")
    response = preview(client, data)
    page = text_of(html_of(response))
    assert "Will change (1)" in page and "Refused (1)" in page
    assert "1 sensitive-term hits are not resolved (passage 1 at 0:00)" in page
    assert f'href="/curate/testimonies/{hit.id}/checklist"' in html_of(response)
    assert "Passes the publication checks" in page
    confirm_data = read_form(html_of(response), "/curate/bulk/apply")
    assert confirm_data["item"] == f"{fine.id}:{fine.version}"  # only what will change is confirmed
    response = confirm(client, html_of(response))
    assert "Changed (1)" in text_of(html_of(response))
    assert reload(fine).status == "published" and reload(hit).status == "draft"


def test_a_testimony_changed_since_the_preview_is_skipped_and_reported(client: FlaskClient, curator: Any,
                                                                       auth: Any, three: list[m.Testimony]) -> None:
    data = selection(client, ids=[str(three[0].id), str(three[2].id)], action="unpublish")
    response = preview(client, data)
    other = auth.create("curator", "colleague@example.org")
    testimony_service.update_testimony(three[0], {"summary": "Edited meanwhile."}, three[0].version, actor=other)
    response = confirm(client, html_of(response))
    page = text_of(html_of(response))
    assert response.status_code == 200
    assert "Skipped (1)" in page and "Changed by colleague@example.org since the preview" in page
    assert "Changed (1)" in page and "1 was skipped because it changed since the preview." in page
    assert reload(three[0]).status == "published" and reload(three[2]).status == "draft"


def test_nothing_would_change_offers_nothing_to_confirm(client: FlaskClient, curator: Any,
                                                        three: list[m.Testimony]) -> None:
    response = preview(client, selection(client, ids=[str(three[1].id)], action="unpublish"))
    page = text_of(html_of(response))
    assert "Unchanged (1)" in page and "It is already a draft." in page
    assert "there is nothing to confirm" in page and "/curate/bulk/apply" not in html_of(response)


# ---------------------------------------------------------------- clear messages

def test_every_problem_is_shown_at_once_and_the_ticks_are_kept(client: FlaskClient, curator: Any,
                                                               three: list[m.Testimony]) -> None:
    response = preview(client, selection(client))
    assert response.status_code == 400
    page = text_of(html_of(response))
    assert "Nothing was previewed" in page
    assert "Select at least one testimony" in page and "Choose a change to make" in page
    response = preview(client, selection(client, ids=[str(three[1].id)], action="embargo",
                                         embargo_until="2031-02-30"))
    html = html_of(response)
    assert response.status_code == 400
    assert "Enter the embargo date as a real date in the form YYYY-MM-DD" in text_of(html)
    assert 'href="#embargo_until"' in html and 'aria-invalid="true"' in html
    assert f'name="ids" value="{three[1].id}" id="select-{three[1].id}" checked' in html
    response = preview(client, selection(client, ids=[str(three[1].id)], action="access"))
    assert "Choose the access level to set." in text_of(html_of(response))
    response = preview(client, selection(client, ids=[str(three[1].id)], action="add_topics"))
    assert "Choose at least one topic to add or remove." in text_of(html_of(response))
    assert reload(three[1]).version == three[1].version


def test_a_confirmation_without_testimonies_is_refused(client: FlaskClient, curator: Any,
                                                       three: list[m.Testimony]) -> None:
    data = selection(client, ids=[str(three[0].id)], action="unpublish")
    form = read_form(html_of(preview(client, data)), "/curate/bulk/apply")
    form.pop("item")
    response = client.post("/curate/bulk/apply", data=form)
    assert response.status_code == 400 and "names no testimony to change" in html_of(response)
    form["item"], form["action"] = f"{three[0].id}:{three[0].version}", "explode"
    response = client.post("/curate/bulk/apply", data=form)
    assert response.status_code == 400 and "Choose a change to make" in html_of(response)
    assert reload(three[0]).status == "published"


def test_bulk_work_in_korean(client: FlaskClient, curator: Any, three: list[m.Testimony]) -> None:
    html = html_of(client.get("/curate/", headers=KO))
    assert "여러 증언을 한꺼번에 바꾸기" in html
    data = selection(client, headers=KO, ids=[str(three[0].id)], action="access", new_access="restricted")
    response = preview(client, data, headers=KO)
    assert response.status_code == 200 and "일괄 변경: 미리 보기" in html_of(response)
    response = confirm(client, html_of(response), headers=KO)
    assert "일괄 변경: 완료" in html_of(response) and reload(three[0]).access == "restricted"
    response = preview(client, selection(client, headers=KO), headers=KO)
    assert response.status_code == 400 and "증언을 하나 이상 선택하십시오" in html_of(response)
