"""Generalised narrator profiles on every surface: no exact birth year, home town or years unless consented.

A narrator born in 1947 in Kimchaek who left in 1996 and arrived in 1997 is shown to the public and
to researchers as born in the 1940s, from North Hamgyong, leaving and arriving in 1995–1999. The
exact values appear only where the narrator consented to a detailed profile and a curator chose
those fields; staff always see them.
"""
from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from archive.core.extensions import db
from archive.curation.recordings import upload_recording
from tests.sound import wav_bytes

from .world import role_client

EXACT = ("1947", "1996", "1997", "Kimchaek", "김책")


def _surfaces(t: Any) -> list[str]:
    n = t.narrator_id
    return [
        f"/testimonies/{t.id}", f"/narrators/{n}", "/testimonies/", "/", "/hear/", "/hear/?decade=1990",
        "/search?q=orchard", "/search?q=orchard&arrived=1997", "/search?q=year:1997", "/api/v1/search?q=orchard",
        "/search.csv?q=orchard", f"/api/v1/testimonies/{t.id}", f"/api/v1/narrators/{n}", "/api/v1/testimonies",
        f"/api/v1/testimonies/{t.id}/segments", f"/iiif/testimonies/{t.id}/manifest.json",
        f"/testimonies/{t.id}/cite.bib", f"/testimonies/{t.id}/cite.json", f"/testimonies/{t.id}/ohms.xml",
        "/oai?verb=ListRecords&metadataPrefix=oai_dc", "/places/north-hamgyong",
    ]


@pytest.fixture()
def narrated(app: Flask, factory: Any) -> Any:
    narrator = factory.narrator(pseudonym="Orchard Keeper", birth_year=1947, origin_province="North Hamgyong",
                                origin_place="Kimchaek", left_north_year=1996, arrived_south_year=1997)
    t = factory.testimony(narrator, title="The orchard", access="public",
                          segments=[{"start": 0, "end": 4, "speaker": "Narrator", "text": "The orchard was ours."}],
                          route=[{"country": "China", "place": "Yanji", "year": 1996, "event": "hid"},
                                 {"country": "South Korea", "place": "", "year": 1997, "event": "arrived"}])
    upload_recording(t, io.BytesIO(wav_bytes(0.5)), "orchard.wav", None)
    return t


@pytest.mark.parametrize("role", ["anonymous", "researcher"])
def test_no_surface_shows_exact_profile_values(app: Flask, narrated: Any, role: str) -> None:
    client = role_client(app, role)
    problems = []
    for url in _surfaces(narrated):
        response = client.get(url)
        body = response.get_data(as_text=True)
        # A search page echoes the query it was given: only values the request did not carry count.
        problems += [f"{url}: {value}" for value in EXACT if value in body and value not in url]
    assert problems == [], "\n".join(problems)
    page = client.get(f"/narrators/{narrated.narrator_id}").get_data(as_text=True)
    assert "1940s" in page and "1995–1999" in page and "North Hamgyong" in page


def test_korean_pages_show_the_decade_in_korean(app: Flask, narrated: Any) -> None:
    client = role_client(app, "anonymous")
    client.set_cookie("lang", "ko")
    page = client.get(f"/narrators/{narrated.narrator_id}").get_data(as_text=True)
    assert "1940년대" in page and "1947" not in page


def test_consented_exact_fields_are_shown_and_only_those(app: Flask, narrated: Any) -> None:
    narrator = narrated.narrator
    narrator.consent_detailed_profile = True
    narrator.exact_fields = ["birth_year", "home_place"]
    db.session.commit()
    client = role_client(app, "anonymous")
    page = client.get(f"/narrators/{narrator.id}").get_data(as_text=True)
    assert "1947" in page and "Kimchaek" in page
    assert "1996" not in page and "1997" not in page and "1995–1999" in page


def test_exact_fields_chosen_without_consent_stay_generalised(app: Flask, narrated: Any) -> None:
    narrator = narrated.narrator
    narrator.exact_fields = ["birth_year", "home_place", "left_north_year", "arrived_south_year"]
    db.session.commit()
    page = role_client(app, "anonymous").get(f"/narrators/{narrator.id}").get_data(as_text=True)
    assert not [value for value in EXACT if value in page]


def test_staff_see_exact_values(app: Flask, narrated: Any) -> None:
    page = role_client(app, "curator").get(f"/narrators/{narrated.narrator_id}").get_data(as_text=True)
    assert "1947" in page and "Kimchaek" in page and "1996" in page and "1997" in page
