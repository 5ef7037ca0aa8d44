"""The interoperability surfaces read the protected view: no real name, no exact profile for outsiders.

One narrator, real name "Kim Chol-su", born 1974 in Hoeryong (North Hamgyong), left the North in 2007
and arrived in 2008. Their transcript lines are labelled "Kim Chol-su", "KIM  chol su" and "Narrator
(Kim Chol-su)", and a second testimony's transcript is a WebVTT import with `<v Kim Chol-su>` voices.
The JSON API, OAI-PMH, the IIIF manifest, WebVTT, OHMS XML, the plain-text transcript, the CSV of search
results and the citations are fetched as an anonymous visitor, an unapproved researcher and an approved
researcher: none of them may carry the real name (in any spelling), the exact years or the home town,
and those that describe the narrator show "1970s", "2005–2009" and the province. With the narrator's
consent to a detailed profile and the exact fields chosen, the exact values appear; staff always get them.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive import models
from archive.curation import narrators as narrator_service
from archive.curation import testimonies as testimony_service
from archive.curation.recordings import upload_recording
from archive.formats.transcripts import parse_transcript

AUDIO = (Path(__file__).resolve().parents[2] / "media" / "demo" / "demo-001.ogg").read_bytes()
REAL_NAME = "Kim Chol-su"
PROFILE = {"pseudonym": "Ri Pseudo", "real_name": REAL_NAME, "gender": "male", "birth_year": 1974,
           "origin_province": "North Hamgyong", "origin_place": "Hoeryong", "left_north_year": 2007,
           "arrived_south_year": 2008}
EXACT_YEARS = ("1974", "2007", "2008")
HOME_TOWN = ("Hoeryong", "회령")
VTT_IMPORT = """WEBVTT

00:00:00.000 --> 00:00:04.000
<v Interviewer>When did you arrive?

00:00:04.000 --> 00:00:09.000
<v Kim Chol-su>In the spring, at Incheon airport.

00:00:09.000 --> 00:00:14.000
<v KIM CHOL-SU>The officers asked about my family.
"""
AUDIENCES = ("anonymous", "unapproved researcher", "researcher")


def _squash(text: str) -> str:
    return re.sub(r"[\s\-‐‑–—_.·'’]+", "", text).casefold()


def names_the_narrator(body: str) -> bool:
    """Whether the real name is anywhere in a body, whatever its case, spacing or hyphens."""
    return _squash(REAL_NAME) in _squash(body) or "chol-su" in body.casefold() or "chol su" in body.casefold()


def exact_years_in(body: str) -> list[str]:
    """The exact years of the profile found as whole numbers (not inside times or durations)."""
    return [year for year in EXACT_YEARS if re.search(rf"(?<![\d.:]){year}(?![\d])", body)]


@pytest.fixture()
def narrated(factory: Any) -> dict[str, Any]:
    """Two public testimonies of the narrator: typed labels with the real name, and a WebVTT import."""
    narrator = factory.narrator(**PROFILE)
    typed = factory.testimony(
        narrator, title="Across the Tumen river", interviewer="Lee Interviewer", tags=["famine"],
        interview_date="2019-05", summary="<p>Leaving the northern border in winter.</p>",
        route=[{"country": "China", "place": "Yanji", "year": 2007, "event": "hid"},
               {"country": "South Korea", "place": "Incheon", "year": 2008, "event": "arrived"}],
        segments=[
            {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Where did the tumen crossing begin?"},
            {"start": 4, "end": 9, "speaker": REAL_NAME, "text": "At night, near the tumen bridge."},
            {"start": 9, "end": 14, "speaker": "KIM  chol su", "text": "We waited for the tumen ice."},
            {"start": 14, "end": 20, "speaker": f"Narrator ({REAL_NAME})", "text": "The tumen was frozen."},
        ])
    upload_recording(typed, io.BytesIO(AUDIO), "interview.ogg", None)
    imported = factory.testimony(narrator, title="Arrival at Incheon", tags=["famine"], interview_date="2019-06")
    testimony_service.replace_transcript(imported, parse_transcript(VTT_IMPORT, "arrival.vtt"), None,
                                         source="arrival.vtt")
    return {"narrator": narrator, "typed": typed, "imported": imported}


def _login(auth: Any, audience: str) -> None:
    if audience == "unapproved researcher":
        auth.login("researcher", email="waiting@example.org", approved=False)
    elif audience == "researcher":
        auth.login("researcher", email="approved@example.org", approved=True)
    elif audience == "curator":
        auth.login("curator")


def surfaces(narrated: dict[str, Any]) -> dict[str, str]:
    """Every interoperability address that speaks about the narrator or their words."""
    typed, imported, narrator = narrated["typed"], narrated["imported"], narrated["narrator"]
    out = {
        "api testimonies": "/api/v1/testimonies",
        "api narrators": "/api/v1/narrators",
        "api narrator": f"/api/v1/narrators/{narrator.id}",
        "api search": "/api/v1/search?q=tumen",
        "csv": "/search.csv?tag=famine",
        "oai": "/oai?" + urlencode({"verb": "ListRecords", "metadataPrefix": "oai_dc"}),
        "iiif": f"/iiif/testimonies/{typed.id}/manifest.json",
    }
    for name, t in (("typed", typed), ("imported", imported)):
        out |= {
            f"api testimony {name}": f"/api/v1/testimonies/{t.id}",
            f"api segments {name}": f"/api/v1/testimonies/{t.id}/segments",
            f"vtt {name}": f"/testimonies/{t.id}/transcript.vtt",
            f"txt {name}": f"/testimonies/{t.id}/transcript.txt",
            f"ohms {name}": f"/testimonies/{t.id}/ohms.xml",
            f"bibtex {name}": f"/testimonies/{t.id}/cite.bib",
            f"csl {name}": f"/testimonies/{t.id}/cite.json",
        }
    return out


# Surfaces that describe the narrator's profile (the rest carry only words and names).
PROFILE_SURFACES = ("api testimonies", "api narrators", "api narrator", "csv", "oai", "iiif", "api testimony typed",
                    "bibtex typed", "csl typed", "csl imported", "ohms typed")


def fetch_all(client: FlaskClient, narrated: dict[str, Any]) -> dict[str, str]:
    bodies = {}
    for name, path in surfaces(narrated).items():
        response = client.get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        body = response.get_data(as_text=True)
        if "json" in response.mimetype:  # "\u2013" and "\ud68c" read as the characters they stand for
            body = json.dumps(json.loads(body), ensure_ascii=False)
        bodies[name] = body
    return bodies


@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_surface_names_the_narrator_or_shows_the_exact_profile(client: FlaskClient, auth: Any,
                                                                    narrated: dict[str, Any], audience: str) -> None:
    _login(auth, audience)
    bodies = fetch_all(client, narrated)
    for name, body in bodies.items():
        assert not names_the_narrator(body), f"{audience}: the real name reaches {name}"
        assert not exact_years_in(body), f"{audience}: {exact_years_in(body)} reach {name}"
        for town in HOME_TOWN:
            assert town not in body, f"{audience}: the home town reaches {name}"
    for name in PROFILE_SURFACES:
        body = bodies[name]
        assert "2005–2009" in body or "2005-2009" in body or "2005/2009" in body, (audience, name)
        assert "North Hamgyong" in body, (audience, name)
    for name in ("api narrator", "api narrators", "csv", "oai", "iiif", "bibtex typed", "csl typed", "ohms typed"):
        assert "1970s" in bodies[name], (audience, name)
    # The labels are replaced by the shown name; the interviewer keeps theirs.
    for which in ("typed", "imported"):
        speakers = [item.get("speaker") for item in json.loads(bodies[f"api segments {which}"])["items"]]
        assert speakers[0] == "Interviewer" and set(speakers[1:]) == {"Ri Pseudo"}, speakers
        assert "<v Interviewer>" in bodies[f"vtt {which}"] and "<v Ri Pseudo>" in bodies[f"vtt {which}"]
        assert "Interviewer: " in bodies[f"txt {which}"] and "Ri Pseudo: " in bodies[f"txt {which}"]
    manifest = json.loads(bodies["iiif"])
    labels = {entry["label"]["en"][0]: next(iter(entry["value"].values()))[0] for entry in manifest["metadata"]}
    assert labels["Narrator"] == "Ri Pseudo" and labels["Born"] == "1970s" and labels["From"] == "North Hamgyong"
    assert labels["Left North Korea"] == labels["Arrived in South Korea"] == "2005–2009"
    narrator = json.loads(bodies["api narrator"])
    assert narrator["birth"] == {"label": "1970s", "from": 1970, "to": 1979, "exact": False}
    assert narrator["home_province"]["slug"] == "north-hamgyong" and narrator["home_place"] is None
    assert narrator["left_north"]["label"] == narrator["arrived_south"]["label"] == "2005–2009"
    [csl] = json.loads(bodies["csl typed"])
    assert csl["author"] == [{"literal": "Ri Pseudo"}]
    assert "born 1970s; from North Hamgyong; left North Korea 2005–2009" in csl["note"]


def _consent(narrator: models.Narrator, fields: list[str]) -> None:
    narrator_service.update_narrator(narrator, {**PROFILE, "consent_detailed_profile": True, "exact_fields": fields})


def test_consented_exact_fields_appear_and_only_those(client: FlaskClient, narrated: dict[str, Any]) -> None:
    _consent(narrated["narrator"], ["birth_year", "home_place"])
    bodies = fetch_all(client, narrated)
    narrator = json.loads(bodies["api narrator"])
    assert narrator["birth"] == {"label": "1974", "from": 1974, "to": 1974, "exact": True}
    assert narrator["home_place"]["name_en"] == "Hoeryong"
    assert narrator["left_north"]["label"] == "2005–2009"  # not chosen: still a band
    for name in ("csv", "oai", "iiif", "csl typed"):
        assert "1974" in bodies[name] and "Hoeryong" in bodies[name], name
        assert not re.search(r"(?<![\d.:])200[78](?!\d)", bodies[name]), name
    for body in bodies.values():
        assert not names_the_narrator(body)  # consent to a detailed profile is not consent to the real name


def test_every_exact_field_consented(client: FlaskClient, narrated: dict[str, Any]) -> None:
    _consent(narrated["narrator"], ["birth_year", "home_place", "left_north_year", "arrived_south_year"])
    bodies = fetch_all(client, narrated)
    labels = {entry["label"]["en"][0]: next(iter(entry["value"].values()))[0]
              for entry in json.loads(bodies["iiif"])["metadata"]}
    assert (labels["Born"], labels["From"]) == ("1974", "Hoeryong, North Hamgyong")
    assert (labels["Left North Korea"], labels["Arrived in South Korea"]) == ("2007", "2008")
    detail = json.loads(bodies["api testimony typed"])
    assert [stop["year"]["label"] for stop in detail["route"]] == ["2007", "2008"]
    rows = bodies["csv"].splitlines()
    assert ",1974,2007,2008," in rows[1] or ",1974,2007,2008," in rows[2]
    assert "left North Korea 2007; arrived in South Korea 2008" in bodies["oai"]


def test_without_consent_flag_chosen_fields_stay_generalised(client: FlaskClient, narrated: dict[str, Any]) -> None:
    """Exact fields recorded without the consent flag (say, consent withdrawn later) are not shown."""
    narrator = narrated["narrator"]
    _consent(narrator, ["birth_year"])
    narrator_service.update_narrator(narrator, {**PROFILE, "consent_detailed_profile": False, "exact_fields": []})
    assert json.loads(client.get(f"/api/v1/narrators/{narrator.id}").get_data())["birth"]["label"] == "1970s"


def test_staff_keep_exact_values(client: FlaskClient, auth: Any, narrated: dict[str, Any]) -> None:
    auth.login("curator")
    narrator = json.loads(client.get(f"/api/v1/narrators/{narrated['narrator'].id}").get_data())
    assert narrator["birth"]["label"] == "1974" and narrator["home_place"]["name_en"] == "Hoeryong"
    assert (narrator["left_north"]["label"], narrator["arrived_south"]["label"]) == ("2007", "2008")
    assert REAL_NAME not in json.dumps(narrator)  # the API never serialises the real name, staff or not
    csv_body = client.get("/search.csv?tag=famine").get_data(as_text=True)
    assert ",1974,2007,2008," in csv_body


def test_oai_record_content_follows_the_profile(app: Flask, client: FlaskClient, narrated: dict[str, Any]) -> None:
    """A harvester sees the generalised coverage, and the change of consent as a changed record."""
    app.config.update(OAI_FULL_SYNC_SECONDS=0)
    typed: models.Testimony = narrated["typed"]
    listing = client.get("/oai?" + urlencode({"verb": "ListRecords", "metadataPrefix": "oai_dc"}))
    body = listing.get_data(as_text=True)
    assert "<dc:coverage>2005/2009</dc:coverage>" in body
    assert "<dc:creator>Ri Pseudo</dc:creator>" in body
    _consent(narrated["narrator"], ["left_north_year", "arrived_south_year"])
    record = client.get("/oai?" + urlencode({"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                             "identifier": f"oai:localhost:testimony/{typed.id}"}))
    assert "<dc:coverage>2007/2008</dc:coverage>" in record.get_data(as_text=True)

