"""Request limits: small bodies everywhere but the upload routes, and page numbers that never break a page."""
from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive import models
from archive.config import build_config
from archive.core.paging import MAX_PAGE, page_number
from archive.core.security import UPLOAD_ENDPOINTS
from archive.core import audit
from archive.core.extensions import db
from tests.curation.test_curator import edit_url, html_of, load_form, make_wav, reload
from tests.curation.test_curator_uploads import post_multipart, upload

from .world import csrf_from, fresh_client, role_client

TWO_MB = 2 * 1024 * 1024


def _error_page(response: Any) -> str:
    html = html_of(response)
    assert "Traceback" not in html and "werkzeug" not in html.lower()
    return html


# -- request bodies ------------------------------------------------------------------------------


def test_the_body_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("ARCHIVE_MAX_BODY_KB", raising=False)
    assert build_config({"ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})["MAX_BODY_BYTES"] == 1024 * 1024
    monkeypatch.setenv("ARCHIVE_MAX_BODY_KB", "64")
    assert build_config({"ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})["MAX_BODY_BYTES"] == 64 * 1024


def test_every_upload_route_named_by_the_limit_exists(app: Flask) -> None:
    # A renamed view would silently fall under the small limit: keep the list and the routes in step.
    assert UPLOAD_ENDPOINTS <= set(app.view_functions)
    methods = {rule.endpoint: rule.methods for rule in app.url_map.iter_rules()}
    assert all("POST" in methods[endpoint] for endpoint in UPLOAD_ENDPOINTS)


def test_a_large_login_form_is_refused_with_the_normal_413_page(app: Flask) -> None:
    client = fresh_client(app)
    response = client.post("/account/login", data={"email": "a" * TWO_MB, "password": "x"})
    assert response.status_code == 413
    html = _error_page(response)
    assert "Request Entity Too Large" in html and "The request is larger than the archive accepts." in html


@pytest.mark.parametrize("method,url", [
    ("POST", "/oai"),  # a public route that takes POST
    ("POST", "/account/register"),
    ("GET", "/testimonies/"),  # a body sent to a route that never reads one
    ("POST", "/no/such/page"),
    ("POST", "/api/v1/testimonies"),
])
def test_a_body_over_the_limit_is_refused_on_public_routes(app: Flask, method: str, url: str) -> None:
    response = fresh_client(app).open(url, method=method, data=b"x" * TWO_MB,
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    if url.startswith("/api/"):
        assert "error" in response.get_json()  # the API answers in JSON, as for every error
    else:
        _error_page(response)


def test_a_body_just_under_the_limit_is_read(app: Flask) -> None:
    response = fresh_client(app).post("/oai", data={"verb": "Identify", "pad": "x" * (1024 * 1024 - 1000)})
    assert response.status_code == 200 and b"Identify does not take the argument 'pad'" in response.data


def test_a_streamed_body_without_a_length_is_cut_at_the_limit(app: Flask) -> None:
    # A chunked upload carries no Content-Length: the stream itself stops at the limit.
    body = b"email=" + b"a" * TWO_MB
    client = fresh_client(app)

    def send(body: bytes) -> Any:
        return client.post("/account/login", input_stream=io.BytesIO(body),
                           content_type="application/x-www-form-urlencoded", headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})

    response = send(body)
    assert response.status_code == 413
    _error_page(response)
    # A short streamed body is read whole: the form sees every field and the login is merely refused.
    fields = {"email": "someone@example.org", "password": "wrong password",
              "csrf_token": csrf_from(client, "/account/login")}
    assert send(urlencode(fields).encode()).status_code == 401


@pytest.fixture()
def draft(factory: Any) -> models.Testimony:
    return factory.testimony(title="Crossing at night", access="restricted", status="draft")


def test_an_upload_route_still_takes_a_file_over_the_small_limit(app: Flask, client: FlaskClient, auth: Any,
                                                                 draft: models.Testimony) -> None:
    auth.login("curator")
    # The transcript import is an upload route (before the recording, whose length would bound its times).
    lines = b"".join(b"[%02d:%02d:%02d] Narrator: %s\n" % (i // 3600, i // 60 % 60, i % 60, b"words " * 40)
                     for i in range(5_000))
    assert len(lines) > app.config["MAX_BODY_BYTES"]
    data = load_form(client, edit_url(draft), f"/{draft.id}/transcript")
    response = post_multipart(client, f"{edit_url(draft)}/transcript", {**data, "tr-file": (lines, "long.txt")})
    assert response.status_code == 302, html_of(response)[:500]
    assert len(reload(draft).segments) == 5_000
    wav = make_wav(seconds=1.5 * 1024 * 1024 / 16000)
    assert app.config["MAX_BODY_BYTES"] < len(wav) < app.config["MAX_UPLOAD_BYTES"]
    response = upload(client, draft, wav, "long.wav")
    assert response.status_code == 302, html_of(response)[:500]
    assert reload(draft).recording.size_bytes == len(wav)


def test_a_large_body_on_a_curator_form_without_a_file_is_refused_plainly(app: Flask, client: FlaskClient,
                                                                          auth: Any, draft: models.Testimony) -> None:
    auth.login("curator")
    data = load_form(client, edit_url(draft), f"/{draft.id}/metadata")
    response = client.post(f"{edit_url(draft)}/metadata", data={**data, "meta-summary": "x" * TWO_MB})
    assert response.status_code == 413
    html = _error_page(response)
    assert "The request is larger than the archive accepts." in html and "upload limit" not in html
    assert reload(draft).version == draft.version


# -- page numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw,expected", [
    (None, 1), ("", 1), ("3", 3), (" 7 ", 7), ("+2", 2), ("0", 1), ("-5", 1), ("abc", 1), ("1e5", 1), ("2.5", 1),
    ("٣", 1),  # digits of other scripts are not page numbers
    ("99999999999999999999", MAX_PAGE), ("9" * 5000, MAX_PAGE), ("000004", 4), (str(MAX_PAGE + 1), MAX_PAGE),
])
def test_page_numbers_are_read_leniently(raw: str | None, expected: int) -> None:
    assert page_number({} if raw is None else {"page": raw}) == expected


HUGE = "99999999999999999999"
PAGE_VALUES = [HUGE, "9" * 400, "-1", "0", "abc", "1e9", "2.5", "%00", "50"]
HTML_ROUTES = ["/testimonies/", "/hear/", "/search", "/search?q=night"]
ADMIN_ROUTES = ["/admin/users", "/admin/audit", "/admin/users?status=pending", "/admin/audit?action=test."]
API_ROUTES = ["/api/v1/testimonies", "/api/v1/narrators", "/api/v1/vocabulary/topics", "/api/v1/statistics",
              "/api/v1/search", "/search.csv"]


@pytest.fixture()
def listed(factory: Any) -> list[models.Testimony]:
    """A few public testimonies with recordings, so every listing has a first (and last) page."""
    from archive.curation import recordings

    made = []
    for i in range(3):
        t = factory.testimony(title=f"Night crossing {i}")
        recordings.upload_recording(t, io.BytesIO(make_wav(0.2)), "talk.wav", None)
        made.append(t)
    return made


def _with_page(url: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}page={value}"


def test_any_page_value_answers_a_page_never_a_500(app: Flask, listed: list[models.Testimony]) -> None:
    for i in range(120):
        audit.record("test.event", None, {"i": i})
    db.session.commit()
    clients = {"anonymous": fresh_client(app), "admin": role_client(app, "admin")}
    for value in PAGE_VALUES:
        for url in HTML_ROUTES:
            response = clients["anonymous"].get(_with_page(url, value))
            assert response.status_code in (200, 404), (url, value, response.status_code)
        for url in ADMIN_ROUTES:
            response = clients["admin"].get(_with_page(url, value))
            assert response.status_code in (200, 404), (url, value, response.status_code)
        for url in API_ROUTES:
            # The JSON API keeps its documented contract: a page outside 1..10000 or not a number is a 400
            # naming the parameter; any page within it answers, empty past the end.
            response = clients["anonymous"].get(_with_page(url, value))
            assert response.status_code in (200, 400), (url, value, response.status_code)
            if response.status_code == 400:
                assert "page" in response.get_data(as_text=True)


def test_a_page_past_the_end_shows_the_last_page(app: Flask, listed: list[models.Testimony]) -> None:
    client = fresh_client(app)
    for url in ("/testimonies/", "/hear/"):
        first = client.get(url).get_data(as_text=True)
        for value in (HUGE, "50"):
            html = client.get(_with_page(url, value)).get_data(as_text=True)
            assert all(t.title in html for t in listed), (url, value)
            assert all(t.title in first for t in listed)


def test_admin_pages_past_the_end_show_the_last_page(app: Flask) -> None:
    from archive.accounts import administration as accounts

    for i in range(120):
        audit.record("test.event", None, {"i": i})
    db.session.commit()
    admin = role_client(app, "admin")
    last = admin.get(f"/admin/audit?page={HUGE}").get_data(as_text=True)
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert accounts.audit_page(10 ** 30).page == accounts.audit_page(10 ** 30).pages > 1
    assert accounts.list_users("all", 10 ** 30).page == 1  # one account: the last page is the first
    assert accounts.audit_page(-4).page == 1
