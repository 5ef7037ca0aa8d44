"""The JSON API (/api/v1/...) through HTTP: pagination, visibility, withheld passages, public names."""
from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive.core.extensions import db
from archive.models import Topic
from archive.curation.recordings import upload_recording
from archive.statistics.figures import current_table
from archive.curation.testimonies import set_chapters, withdraw_consent
from archive.statistics.data import dataset_keys

AUDIO = (Path(__file__).resolve().parents[2] / "media" / "demo" / "demo-001.ogg").read_bytes()
SECRET = "Secret-Workplace-Unit-7"
SEGMENTS = [
    {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Where did you grow up?", "language": "en"},
    {"start": 4.5, "end": 12, "speaker": "Narrator A", "text": "Near the harbour in Chongjin.", "language": "en"},
    {"start": 12.5, "end": 20, "speaker": "Narrator A", "text": f"My brother works at {SECRET}.", "language": "en",
     "restricted": True},
    {"start": 20.5, "end": 30, "speaker": "Narrator A", "text": "We crossed the river in winter.", "language": "en"},
]


def get(client: FlaskClient, path: str, status: int = 200) -> Any:
    response = client.get(path)
    assert response.status_code == status, (path, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture()
def rich(factory: Any) -> Any:
    """A public testimony with a transcript (one restricted passage), chapters, a route, tags and audio."""
    narrator = factory.narrator(pseudonym="Kim Hae-won", real_name="REALNAME-Choe", public_name="Choe Public")
    t = factory.testimony(narrator, segments=SEGMENTS, tags=["famine", "border-crossing"], languages=["ko", "en"],
                          route=[{"country": "China", "place": "Yanji", "year": 2003, "event": "hid"},
                                 {"country": "South Korea", "place": "Incheon", "year": 2009, "event": "arrived"}],
                          interviewer="Lee Interviewer", interview_place="Seoul")
    set_chapters(t, [{"start": 0, "title": "Childhood"}, {"start": 20.5, "title": "The river"}], None)
    upload_recording(t, io.BytesIO(AUDIO), "Choe-real-name.ogg", None)
    return t


# --- pagination ------------------------------------------------------------------------------

def test_pagination_envelope_and_links(client: FlaskClient, factory: Any) -> None:
    made = [factory.testimony(title=f"T{i}") for i in range(5)]
    first = get(client, "/api/v1/testimonies?per_page=2")
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 2, 5, 3)
    assert [item["id"] for item in first["items"]] == [made[0].id, made[1].id]
    assert first["links"]["prev"] is None
    assert first["links"]["self"] == "/api/v1/testimonies?per_page=2&page=1"
    second = get(client, first["links"]["next"])
    assert [item["id"] for item in second["items"]] == [made[2].id, made[3].id]
    last = get(client, second["links"]["next"])
    assert [item["id"] for item in last["items"]] == [made[4].id]
    assert last["links"]["next"] is None and last["links"]["prev"] == "/api/v1/testimonies?per_page=2&page=2"
    beyond = get(client, "/api/v1/testimonies?per_page=2&page=9")
    assert beyond["items"] == [] and beyond["links"]["next"] is None
    assert beyond["links"]["prev"] == "/api/v1/testimonies?per_page=2&page=3"
    # filters are kept in the links
    tagged = get(client, "/api/v1/testimonies?language=en&per_page=1")
    assert tagged["links"]["next"] == "/api/v1/testimonies?language=en&per_page=1&page=2"


@pytest.mark.parametrize("query, parameter", [
    ("per_page=0", "per_page"), ("per_page=101", "per_page"), ("per_page=abc", "per_page"),
    ("page=0", "page"), ("page=-1", "page"), ("page=1.5", "page"), ("page=10001", "page"),
    ("topic=Not%20A%20Slug", "topic"), ("language=klingon", "language"),
    ("updated_since=yesterday", "updated_since"), ("updated_since=2024-02-30T00:00:00Z", "updated_since"),
    ("updated_since=2024-01-01", "updated_since"),
])
def test_bad_parameters_answer_400_naming_the_parameter(client: FlaskClient, query: str, parameter: str) -> None:
    body = get(client, f"/api/v1/testimonies?{query}", 400)
    assert body["error"]["code"] == "invalid_parameter"
    assert body["error"]["parameter"] == parameter
    assert parameter in body["error"]["message"]


def test_per_page_bounds_apply_to_every_listing(client: FlaskClient, factory: Any) -> None:
    t = factory.testimony(segments=SEGMENTS)
    for path in ("/api/v1/testimonies", f"/api/v1/testimonies/{t.id}/segments", "/api/v1/narrators",
                 "/api/v1/vocabulary/places", "/api/v1/vocabulary/topics", "/api/v1/vocabulary/categories",
                 "/api/v1/statistics"):
        assert get(client, f"{path}?per_page=100")["per_page"] == 100
        assert get(client, f"{path}?per_page=101", 400)["error"]["parameter"] == "per_page"
        assert get(client, path)["per_page"] == 20


# --- testimonies -----------------------------------------------------------------------------

def test_testimony_listing_shows_only_visible_testimonies_and_filters(client: FlaskClient, factory: Any,
                                                                      auth: Any) -> None:
    public = factory.testimony(title="Public one", tags=["famine"], languages=["ko"])
    other = factory.testimony(title="Other", tags=["brokers"], languages=["en"])
    researchers = factory.testimony(title="For researchers", access="researchers")
    factory.testimony(title="Draft", status="draft")
    factory.testimony(title="Restricted", access="restricted")
    factory.testimony(title="Embargoed", embargo_until=date.today() + timedelta(days=30))
    withdraw_consent(factory.testimony(title="Withdrawn"), None)
    items = get(client, "/api/v1/testimonies")["items"]
    assert [i["title"] for i in items] == ["Public one", "Other"]
    assert [i["id"] for i in get(client, "/api/v1/testimonies?topic=famine")["items"]] == [public.id]
    assert [i["id"] for i in get(client, "/api/v1/testimonies?language=en")["items"]] == [other.id]
    assert get(client, "/api/v1/testimonies?topic=no-such-topic")["total"] == 0
    assert get(client, "/api/v1/testimonies?updated_since=2000-01-01T00:00:00Z")["total"] == 2
    assert get(client, "/api/v1/testimonies?updated_since=2999-01-01T00:00:00%2B09:00")["total"] == 0
    auth.login("researcher", approved=True)
    assert {i["id"] for i in get(client, "/api/v1/testimonies")["items"]} == {public.id, other.id, researchers.id}
    auth.logout()
    auth.login("curator")
    assert get(client, "/api/v1/testimonies")["total"] == 7


def test_testimony_detail(client: FlaskClient, rich: Any) -> None:
    data = get(client, f"/api/v1/testimonies/{rich.id}")
    assert data["title"] == rich.title and data["url"] == f"/testimonies/{rich.id}"
    assert data["narrator"]["name"] == "Kim Hae-won"  # no consent to the public name
    assert data["languages"] == ["ko", "en"]
    assert {t["slug"]: t["label_ko"] for t in data["topics"]}["famine"] == "기근"
    # route years in five-year bands, as the listening page shows them (no consent to exact years)
    assert [(s["country"]["slug"], s["place"], s["year"]["label"], s["event"]) for s in data["route"]] == [
        ("china", "Yanji", "2000–2004", "hid"), ("south-korea", "Incheon", "2005–2009", "arrived")]
    assert data["left_north"] == {"label": "2005–2009", "from": 2005, "to": 2009, "exact": False}
    assert [c["title"] for c in data["chapters"]] == ["Childhood", "The river"]
    assert data["chapters"][1]["url"] == f"/testimonies/{rich.id}?t=20.5"
    [recording] = data["recordings"]
    assert recording["url"] == f"/media/recordings/{rich.recording.id}"
    assert recording["duration_seconds"] and recording["duration_seconds"] > 0
    assert client.get(recording["url"]).status_code == 200
    assert data["transcript"]["vtt_url"] == f"/testimonies/{rich.id}/transcript.vtt"
    assert client.get(data["transcript"]["vtt_url"]).status_code == 200
    assert data["has_recording"] and data["has_transcript"]
    assert data["interviewer"] == "Lee Interviewer" and data["interview_place"] == "Seoul"
    body = json.dumps(data, ensure_ascii=False)
    for secret in ("REALNAME", "Choe", SECRET, "consent", "curator_notes", "real_name"):
        assert secret not in body


def test_recordings_and_transcript_follow_consent(client: FlaskClient, factory: Any) -> None:
    t = factory.testimony(segments=SEGMENTS, consent_audio=False, consent_transcript=False)
    upload_recording(t, io.BytesIO(AUDIO), "interview.ogg", None)
    set_chapters(t, [{"start": 0, "title": "Childhood"}], None)
    data = get(client, f"/api/v1/testimonies/{t.id}")
    assert data["recordings"] == [] and data["chapters"] == [] and data["transcript"] is None
    assert not data["has_recording"] and not data["has_transcript"]
    segments = get(client, f"/api/v1/testimonies/{t.id}/segments")
    assert segments["items"] == [] and segments["total"] == 0


@pytest.mark.parametrize("fields", [
    {"access": "restricted"}, {"status": "draft"}, {"access": "researchers"},
    {"embargo_until": date.today() + timedelta(days=3)}, "withdrawn",
])
def test_hidden_testimony_answers_exactly_like_a_missing_one(client: FlaskClient, factory: Any,
                                                             fields: Any) -> None:
    if fields == "withdrawn":
        t = factory.testimony(segments=SEGMENTS)
        withdraw_consent(t, None)
    else:
        t = factory.testimony(segments=SEGMENTS, **fields)
    missing = 987654
    for suffix in ("", "/segments", "/segments?page=2"):
        hidden = client.get(f"/api/v1/testimonies/{t.id}{suffix}")
        absent = client.get(f"/api/v1/testimonies/{missing}{suffix}")
        assert hidden.status_code == absent.status_code == 404
        assert hidden.get_data() == absent.get_data()
        assert hidden.headers["Content-Type"] == absent.headers["Content-Type"] == "application/json"
    hidden_narrator = client.get(f"/api/v1/narrators/{t.narrator.id}")
    assert hidden_narrator.status_code == 404
    assert hidden_narrator.get_data() == client.get(f"/api/v1/narrators/{missing}").get_data()


def test_huge_ids_are_simply_missing(client: FlaskClient) -> None:
    for path in ("/api/v1/testimonies/99999999999999999999999", "/api/v1/narrators/9223372036854775808",
                 "/api/v1/testimonies/99999999999999999999/segments", "/api/v1/testimonies/abc",
                 "/api/v1/testimonies/-1"):
        assert get(client, path, 404)["error"]["code"] == "not_found"


# --- segments --------------------------------------------------------------------------------

def test_restricted_passages_are_withheld_as_on_the_listening_page(client: FlaskClient, rich: Any,
                                                                   auth: Any) -> None:
    data = get(client, f"/api/v1/testimonies/{rich.id}/segments")
    assert data["total"] == 4
    withheld = data["items"][2]
    assert withheld == {"position": withheld["position"], "start": 12.5, "end": 20.0, "withheld": True}
    assert [item["withheld"] for item in data["items"]] == [False, False, True, False]
    assert data["items"][1]["text"] == "Near the harbour in Chongjin." and "restricted" not in data["items"][1]
    assert SECRET not in json.dumps(data)
    assert SECRET not in client.get(f"/testimonies/{rich.id}").get_data(as_text=True)
    auth.login("researcher", approved=True)
    assert SECRET not in client.get(f"/api/v1/testimonies/{rich.id}/segments").get_data(as_text=True)
    auth.logout()
    auth.login("curator")
    staff = get(client, f"/api/v1/testimonies/{rich.id}/segments")
    assert staff["items"][2]["text"] == f"My brother works at {SECRET}."
    assert [item["restricted"] for item in staff["items"]] == [False, False, True, False]


def test_segments_are_paginated(client: FlaskClient, rich: Any) -> None:
    page = get(client, f"/api/v1/testimonies/{rich.id}/segments?per_page=3&page=2")
    assert (page["total"], page["pages"], len(page["items"])) == (4, 2, 1)
    assert page["items"][0]["text"] == "We crossed the river in winter."
    assert page["links"]["prev"] == f"/api/v1/testimonies/{rich.id}/segments?per_page=3&page=1"


# --- narrators -------------------------------------------------------------------------------

def test_narrators_show_public_facts_only(client: FlaskClient, factory: Any, auth: Any) -> None:
    shown = factory.narrator(pseudonym="Pseudo One", real_name="REALNAME-One", public_name="Public One",
                             curator_notes="NOTES-secret")
    factory.testimony(shown, title="Consented", consent_name=True)
    factory.testimony(shown, title="Draft of one", status="draft")
    quiet = factory.narrator(pseudonym="Pseudo Two", real_name="REALNAME-Two", public_name="Public Two")
    factory.testimony(quiet, title="Not consented")
    hidden = factory.narrator(pseudonym="Pseudo Three", real_name="REALNAME-Three")
    factory.testimony(hidden, access="restricted")
    listing = get(client, "/api/v1/narrators")
    assert [n["name"] for n in listing["items"]] == ["Public One", "Pseudo Two"]
    detail = get(client, f"/api/v1/narrators/{shown.id}")
    assert detail["home_province"]["name_ko"] == "함경북도" and detail["birth"]["label"] == "1980s"
    assert [t["title"] for t in detail["testimonies"]] == ["Consented"]
    for body in (json.dumps(listing, ensure_ascii=False), json.dumps(detail, ensure_ascii=False)):
        assert "REALNAME" not in body and "NOTES" not in body and "real_name" not in body
    assert client.get(f"/api/v1/narrators/{hidden.id}").status_code == 404
    auth.login("curator")  # even staff get no real names from the API
    staff = client.get(f"/api/v1/narrators/{hidden.id}")
    assert staff.status_code == 200 and "REALNAME" not in staff.get_data(as_text=True)


# --- vocabulary and statistics ---------------------------------------------------------------

def test_vocabulary_has_english_and_korean_labels(client: FlaskClient, app: Flask) -> None:
    topics = get(client, "/api/v1/vocabulary/topics?per_page=100")
    assert topics["total"] == db.session.query(Topic).count() and topics["total"] > 0
    famine = next(t for t in topics["items"] if t["slug"] == "famine")
    assert famine["label_en"] == "Famine" and famine["label_ko"] == "기근"
    assert famine["url"] == "/hear/?topic=famine"
    provinces = get(client, "/api/v1/vocabulary/places?kind=province&per_page=100")["items"]
    assert {p["kind"] for p in provinces} == {"province"}
    hamgyong = next(p for p in provinces if p["slug"] == "north-hamgyong")
    assert hamgyong["name_ko"] == "함경북도" and "함경북도" in hamgyong["variants"]
    categories = get(client, "/api/v1/vocabulary/categories?scheme=education&per_page=100")["items"]
    assert categories and {c["scheme"] for c in categories} == {"education"}
    assert get(client, "/api/v1/vocabulary/places?kind=planet", 400)["error"]["parameter"] == "kind"
    assert get(client, "/api/v1/vocabulary/categories?scheme=x", 400)["error"]["parameter"] == "scheme"


def test_statistics_carry_their_source(client: FlaskClient, app: Flask) -> None:
    listing = get(client, "/api/v1/statistics?per_page=100")
    assert [t["key"] for t in listing["items"]] == dataset_keys()
    for item in listing["items"]:
        assert "Ministry of Unification" in item["source"] and item["as_of"] in item["attribution"]
        assert client.get(item["csv_url"]).status_code == 200
    table = get(client, "/api/v1/statistics/arrivals_by_year")
    current = current_table("arrivals_by_year")
    assert table["source"] == current.source and table["columns"] == current.columns
    assert len(table["rows"]) == len(current.rows)
    assert table["rows"][-1]["total"] == current.rows[-1]["total"]
    assert get(client, "/api/v1/statistics/no_such_table", 404) == get(client, "/api/v1/testimonies/987654", 404)


# --- errors ----------------------------------------------------------------------------------

def test_api_errors_are_json_and_html_pages_stay_html(client: FlaskClient) -> None:
    response = client.post("/api/v1/testimonies")
    assert response.status_code == 405 and response.is_json
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    assert get(client, "/api/v1/no-such-endpoint", 404)["error"]["code"] == "not_found"
    html = client.get("/testimonies/987654")
    assert html.status_code == 404 and html.mimetype == "text/html"
    assert client.get("/api/v1/openapi.json").get_json()["openapi"].startswith("3.1")
