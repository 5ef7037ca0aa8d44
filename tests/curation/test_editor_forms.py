"""The curator's forms over HTTP: the error summary, messages said for people, required fields marked, every
problem at once, conflicting saves that keep the input beside what changed, a recording given as a transcript,
and where curators land after logging in."""
from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from archive import models
from archive.core.extensions import db
from archive.models import Narrator
from tests.conftest import PASSWORD, csrf_token
from tests.curation.test_curator import NARRATOR, _second_curator, edit_url, html_of, load_form, post_section, reload
from tests.sound import wav_bytes

KO = {"Accept-Language": "ko"}


def summary_of(html: str) -> str:
    """The error summary's HTML (it must be there, and only once)."""
    found = re.findall(r'<div class="error-summary" role="alert".*?</div>', html, re.S)
    assert len(found) == 1, html
    return found[0]


def links_of(summary: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


# ---------------------------------------------------------------- summary, messages, required fields

def test_narrator_form_has_a_summary_linking_each_field(client: FlaskClient, curator: Any) -> None:
    page = client.get("/curate/narrators/new")
    html = html_of(page)
    assert 'class="error-summary"' not in html
    assert re.search(r'<label for="pseudonym">Pseudonym <span class="required-marker">\(required\)</span></label>',
                     html)
    assert 'aria-required="true"' in html and html.count("(required)") == 1  # only the pseudonym is required
    data = {**load_form(client, "/curate/narrators/new", "/curate/narrators/new"), **NARRATOR,
            "pseudonym": "", "birth_year": "19x5", "left_north_year": "1850"}
    response = client.post("/curate/narrators/new", data=data)
    assert response.status_code == 400
    html = html_of(response)
    summary = summary_of(html)
    assert "There is a problem" in summary and 'aria-labelledby="error-summary-title"' in summary
    assert links_of(summary) == [
        ("pseudonym", "Enter a pseudonym"),
        ("birth_year", "Enter the birth year as a year of four digits, such as 2009"),
        ("left_north_year", "The year left the North must be between 1945 and 2100"),
    ]
    assert "is required" not in html and "Pseudonym: " not in html
    field = re.search(r'<input[^>]*id="pseudonym"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="pseudonym-hint pseudonym-errors"' in field
    assert re.search(r'<ul class="errors" id="pseudonym-errors">.*Enter a pseudonym', html, re.S)
    assert db.session.scalar(select(func.count()).select_from(Narrator)) == 0


def test_home_places_carry_their_province_and_the_full_list_works_without_javascript(client: FlaskClient,
                                                                                    curator: Any) -> None:
    html = html_of(client.get("/curate/narrators/new"))
    place_select = re.search(r'<select[^>]*id="origin_place".*?</select>', html, re.S).group(0)
    assert re.search(r'<option[^>]*data-province="north-hamgyong"[^>]*value="hoeryong"', place_select)
    assert re.search(r'<option[^>]*data-province="ryanggang"[^>]*value="hyesan"', place_select)  # all listed
    assert 'data-filters="origin_place"' in html  # the province select names the list it filters
    data = {**load_form(client, "/curate/narrators/new", "/curate/narrators/new"), **NARRATOR,
            "origin_province": "ryanggang", "origin_place": "hyesan"}
    assert client.post("/curate/narrators/new", data=data).status_code == 302


def test_narrator_summary_in_korean(client: FlaskClient, curator: Any) -> None:
    data = {**load_form(client, "/curate/narrators/new", "/curate/narrators/new", headers=KO), **NARRATOR,
            "pseudonym": ""}
    html = html_of(client.post("/curate/narrators/new", data=data, headers=KO))
    summary = summary_of(html)
    assert "문제가 있습니다" in summary and ("pseudonym", "가명을 입력하세요") in links_of(summary)
    assert "(필수)" in html


def test_new_testimony_form_marks_required_fields_and_shows_every_problem(client: FlaskClient, curator: Any,
                                                                         factory: Any) -> None:
    factory.narrator()
    html = html_of(client.get("/curate/testimonies/new"))
    for name in ("narrator", "title"):
        assert re.search(rf'<label for="{name}">[^<]+<span class="required-marker">\(required\)</span></label>', html)
    data = {**load_form(client, "/curate/testimonies/new", "/curate/testimonies/new"),
            "narrator": "", "title": " ", "interview_date": "2019-02-30", "embargo_until": "soon"}
    summary = summary_of(html_of(client.post("/curate/testimonies/new", data=data)))
    assert links_of(summary) == [
        ("narrator", "Choose a narrator from the list"),
        ("title", "Enter a title"),
        ("interview_date", "The interview date 2019-02-30 is not a date on the calendar: check the month and the day"),
        ("embargo_until", "Enter the end of the embargo as a date, YYYY-MM-DD, such as 2030-01-31"),
    ]


def test_editor_summary_leads_the_page_for_the_refused_section(client: FlaskClient, curator: Any,
                                                               draft: models.Testimony) -> None:
    response = post_section(client, draft, "metadata", {"meta-title": "", "meta-interview_date": "May"})
    assert response.status_code == 400
    html = html_of(response)
    summary = summary_of(html)
    assert links_of(summary) == [("meta-title", "Enter a title"), (
        "meta-interview_date", "Enter the interview date as YYYY, YYYY-MM or YYYY-MM-DD, such as 2019-05")]
    assert html.index("error-summary") < html.index('id="metadata"')
    assert re.search(r'<form [^>]*data-section="metadata"[^>]*data-unsaved', html)  # refused input is unsaved
    assert 'value="May"' in html


def test_every_stop_of_the_route_is_checked_at_once(client: FlaskClient, curator: Any,
                                                    draft: models.Testimony) -> None:
    assert post_section(client, draft, "route", {"route-legs-0-country": "china"}).status_code == 302
    response = post_section(client, draft, "route", {
        "route-legs-0-country": "", "route-legs-0-year": "1850",
        "route-legs-1-place": "Bangkok", "route-legs-1-year": "20x", "route-legs-1-position": "two"})
    assert response.status_code == 400
    links = links_of(summary_of(html_of(response)))
    assert ("route-legs-0-country", "Stop 1: Choose the country of this stop") in links
    assert ("route-legs-0-year", "Stop 1: The year must be between 1945 and 2100") in links
    assert ("route-legs-1-country", "Stop 2: Choose the country of this stop") in links
    assert ("route-legs-1-year", "Stop 2: Enter the year as a year of four digits, such as 2009") in links
    assert any(target == "route-legs-1-position" for target, _text in links)
    assert [leg.country.slug for leg in reload(draft).route] == ["china"]


def test_every_chapter_is_checked_at_once(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    response = post_section(client, draft, "chapters", {"ch-chapters-0-title": "No start"})
    assert response.status_code == 400
    assert links_of(summary_of(html_of(response))) == [
        ("ch-chapters-0-start", "Chapter 1: Enter the start as hh:mm:ss, such as 0:01:23")]
    response = post_section(client, draft, "chapters", {"ch-chapters-0-start": "1:xx"})
    assert links_of(summary_of(html_of(response))) == [
        ("ch-chapters-0-start", "Chapter 1: Enter the start as hh:mm:ss, such as 1:02:03 (or as seconds, such as 83.5)"),
        ("ch-chapters-0-title", "Chapter 1: Enter the chapter title")]
    assert reload(draft).chapters == []


def test_a_recording_given_as_the_transcript_is_named_as_such(client: FlaskClient, curator: Any,
                                                              draft: models.Testimony) -> None:
    response = post_section(client, draft, "transcript", {"tr-confirm": "y",
                                                          "tr-file": (io.BytesIO(wav_bytes(seconds=1)), "interview.vtt")},
                            content_type="multipart/form-data")
    assert response.status_code == 400
    html = html_of(response)
    expected = ("The transcript file is an audio file (audio/wav), not a transcript: choose a WebVTT (.vtt), "
                "SubRip (.srt) or text (.txt) file")
    assert ("tr-file", expected) in links_of(summary_of(html))
    assert "UTF-8" not in html
    assert len(reload(draft).segments) == 2
    # Text in another encoding is still explained by the decoder, naming the byte.
    response = post_section(client, draft, "transcript", {"tr-confirm": "y", "tr-file": (
        io.BytesIO("[00:00:01] Narrator: caf\u00e9".encode("latin-1")), "notes.txt")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "not valid UTF-8" in html_of(response)


# ---------------------------------------------------------------- conflicts keep the input beside what changed

@pytest.mark.parametrize("action, changes, kept", [
    ("metadata", {"meta-title": "Mine"}, 'value="Mine"'),
    ("route", {"route-legs-0-country": "china", "route-legs-0-place": "My town"}, 'value="My town"'),
    ("tags", {"tags-tags": ["famine"]}, re.compile(r'<input checked[^>]*value="famine"')),
    ("chapters", {"ch-chapters-0-start": "5", "ch-chapters-0-title": "My chapter"}, 'value="My chapter"'),
    ("transcript", {"tr-text": "[00:00:01] Narrator: my pasted line", "tr-confirm": "y"}, "my pasted line"),
])
def test_a_conflicting_save_keeps_the_input_beside_what_changed(app: Flask, client: FlaskClient, auth: Any,
                                                                draft: models.Testimony, action: str,
                                                                changes: dict[str, Any], kept: Any) -> None:
    auth.login("curator", email="first@example.org")
    second = _second_curator(app, auth)
    stale = load_form(second, edit_url(draft), f"/{draft.id}/{action}")
    assert post_section(client, draft, "metadata", {"meta-interviewer": "Someone"}).status_code == 302
    response = second.post(f"{edit_url(draft)}/{action}", data={**stale, **changes})
    assert response.status_code == 409
    html = html_of(response)
    assert kept.search(html) if isinstance(kept, re.Pattern) else kept in html  # the input, in its section
    assert "first@example.org" in html and "edited the details (testimony.update)" in html  # what changed
    assert "changed interviewer" in html
    assert re.search(rf'<form [^>]*data-section="{action}"[^>]*data-unsaved', html)


def test_a_conflicting_narrator_save_keeps_the_input_beside_what_changed(app: Flask, client: FlaskClient,
                                                                        auth: Any, factory: Any) -> None:
    narrator = factory.narrator(pseudonym="Mr. Oak")
    page = f"/curate/narrators/{narrator.id}"
    auth.login("curator", email="first@example.org")
    second = _second_curator(app, auth)
    mine, theirs = load_form(client, page, page), load_form(second, page, page)
    assert client.post(page, data={**mine, "birth_year": "1977"}).status_code == 302
    response = second.post(page, data={**theirs, "pseudonym": "Mr. Elm", "curator_notes": "My notes"})
    assert response.status_code == 409
    html = html_of(response)
    assert 'value="Mr. Elm"' in html and "My notes" in html
    assert "first@example.org" in html and "edited the profile (narrator.update)" in html
    assert "changed birth_year" in html
    assert 'data-unsaved' in html and 'class="error-summary"' not in html


# ---------------------------------------------------------------- where a login lands

def _login(client: FlaskClient, auth: Any, role: str, query: str = "") -> str:
    user = auth.create(role, approved=True if role == "researcher" else None)
    token = csrf_token(client, "/account/login")
    response = client.post(f"/account/login{query}", data={"email": user.email, "password": PASSWORD,
                                                           "csrf_token": token})
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize("role, query, landing", [
    ("curator", "", "/curate/"),
    ("admin", "", "/curate/"),
    ("researcher", "", "/"),
    ("curator", "?next=/testimonies/", "/testimonies/"),
    ("curator", "?next=https://evil.example/", "/curate/"),
    ("curator", "?next=//evil.example/", "/curate/"),
    ("researcher", "?next=https://evil.example/", "/"),
])
def test_curators_land_on_their_dashboard(client: FlaskClient, auth: Any, role: str, query: str,
                                          landing: str) -> None:
    assert _login(client, auth, role, query) == landing
