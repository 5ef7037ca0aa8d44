"""The staff and account pages speak Korean when the visitor asks for it, and English otherwise.

These tests read the real Korean catalog (archive/translations/ko/LC_MESSAGES/messages.mo).
"""
from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive import models
from archive.core.extensions import db
from archive.accounts import users as user_service
from archive.core.errors import ValidationError
from archive.curation.narrators import create_narrator
from archive.formats.transcripts import TranscriptError, parse_transcript
from tests.conftest import PASSWORD, csrf_token
from tests.curation.test_curator import html_of, load_form

KO = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}


def test_curator_dashboard_is_korean_for_a_korean_browser_and_english_by_default(
        client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    korean = html_of(client.get("/curate/", headers=KO))
    assert "새 구술자</a>" in korean and "새 증언" in korean and "구술자(1)" in korean
    assert ">초안</span>" in korean and ">제한</span>" in korean  # the status and access badges
    assert "New narrator" not in korean

    english = html_of(client.get("/curate/"))
    assert "<h1>Curate</h1>" in english and "Narrators (1)" in english and ">Draft</span>" in english
    assert "새 구술자" not in english


def test_the_language_cookie_wins_over_the_browser(client: FlaskClient, curator: Any) -> None:
    client.set_cookie("lang", "ko")
    assert "새 증언</a>" in html_of(client.get("/curate/", headers={"Accept-Language": "en"}))
    client.set_cookie("lang", "en")
    assert "New testimony</a>" in html_of(client.get("/curate/", headers=KO))


def test_login_page_labels_and_refusal_are_korean(client: FlaskClient) -> None:
    page = html_of(client.get("/account/login", headers=KO))
    assert "<h1>로그인</h1>" in page
    assert re.search(r"<label[^>]*>이메일</label>", page) and re.search(r"<label[^>]*>비밀번호</label>", page)
    assert "열람 권한을 신청</a>" in page

    user_service.create_user("someone@example.org", PASSWORD, "curator")
    token = csrf_token(client, "/account/login")
    response = client.post("/account/login", headers=KO, data={
        "email": "someone@example.org", "password": "wrong password", "csrf_token": token})
    assert response.status_code == 401
    assert "이메일 또는 비밀번호가 틀렸거나" in html_of(response)


def test_curator_form_errors_are_korean(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    # A rule of the form itself (the confirmation box of a consent withdrawal).
    page = f"/curate/testimonies/{draft.id}/withdraw"
    response = client.post(page, headers=KO, data=load_form(client, page, page, KO))
    assert response.status_code == 400
    assert "철회를 확인하려면 확인란을 선택하십시오" in html_of(response)

    # A rule of the service (a year that is not a year), shown on the field with its Korean label.
    data = load_form(client, "/curate/narrators/new", "/curate/narrators/new", KO)
    data.update({"pseudonym": "Ms. Pine", "gender": "female", "birth_year": "nineteen"})
    response = client.post("/curate/narrators/new", headers=KO, data=data)
    assert response.status_code == 400
    assert "출생 연도을(를) 2009처럼 네 자리 연도로 입력하세요" in html_of(response)  # said as a sentence


def test_transcript_import_problems_keep_their_line_numbers_in_korean(
        client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    bad = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nFine.\n\n00:00:09.000 --> banana\nBroken cue.\n"
    url = f"/curate/testimonies/{draft.id}"
    data = load_form(client, url, url + "/transcript", KO)
    data.update({"tr-file": (io.BytesIO(bad.encode()), "bad.vtt"), "tr-confirm": "y"})
    response = client.post(f"{url}/transcript", headers=KO, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    html = html_of(response)
    assert "녹취록을 가져오지 않았으며 기존 구간은 바뀌지 않았습니다" in html
    assert "<li>6행: 잘못된 종료 시각 &#39;banana&#39;. 00:00:01.000 형식이어야 합니다</li>" in html
    db.session.expire_all()
    assert [s.text for s in db.session.get(models.Testimony, draft.id).segments] == [
        "Where were you born?", "In Hoeryong, by the river."]


def test_messages_outside_a_request_stay_english_plain_strings(app: Flask) -> None:
    """CLI commands and the audit log see readable English, never a lazy object."""
    with pytest.raises(TranscriptError) as caught:
        parse_transcript("WEBVTT\n\n00:00:09.000 --> banana\nBroken cue.\n", "x.vtt")
    assert str(caught.value) == "line 3: invalid end time 'banana'; expected 00:00:01.000"
    with pytest.raises(ValidationError) as refused:
        create_narrator({"pseudonym": "Ms. Pine", "birth_year": "nineteen"})
    [message] = refused.value.errors["birth_year"]
    # A str (core.fields.Problem, which also carries the kind of problem for the forms), never a lazy object.
    assert isinstance(message, str) and str.__str__(message) == "must be a year such as 2009, not 'nineteen'"
    assert json.loads(json.dumps(message)) == "must be a year such as 2009, not 'nineteen'"


def test_the_login_required_notice_is_korean(client: FlaskClient) -> None:
    response = client.get("/curate/", headers=KO, follow_redirects=True)
    assert response.request.path == "/account/login"
    assert "이 페이지를 보려면 로그인하십시오." in html_of(response)
    english = client.get("/curate/", follow_redirects=True)
    assert "Please log in to access this page." in html_of(english)
