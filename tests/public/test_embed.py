"""The embeddable player /embed/testimonies/<id>: public testimonies only, framable by any site, no cookies needed."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from archive import models
from archive.core.extensions import db
from archive.public.embedding import parse_clip

MISSING = 987654
RESTRICTED_WORDS = ("라남", "3직장")  # in demo-002's restricted passage


@pytest.fixture()
def demo(app: Flask) -> dict[str, models.Testimony]:
    from archive.curation.imports import load_demo
    load_demo()
    return {t.external_id: t for t in db.session.scalars(select(models.Testimony))}


def embed_url(t: models.Testimony | int, query: str = "") -> str:
    return f"/embed/testimonies/{t if isinstance(t, int) else t.id}{query}"


def csp(response: Any) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in response.headers["Content-Security-Policy"].split(";")
            if part.strip()}


def test_embed_plays_the_public_recording_with_transcript_and_chapters(client: FlaskClient,
                                                                       demo: dict[str, models.Testimony]) -> None:
    t = demo["demo-001"]
    response = client.get(embed_url(t))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'src="/media/recordings/{t.recording.id}?copy=public"' in page
    assert f"/testimonies/{t.id}/transcript.vtt?as=public" in page
    assert page.count('class="chapter"') == len(t.chapters) > 0
    assert 'id="transcript"' in page and "js/player/main.js" in page and "js/player/clip.js" in page
    # Any site may frame it; nothing else changes: no inline script, no cookie set.
    assert csp(response)["frame-ancestors"] == ["*"] and csp(response)["script-src"] == ["'self'"]
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert "<script>" not in page and 'target="_blank"' in page


def test_only_the_embed_route_may_be_framed(client: FlaskClient, demo: dict[str, models.Testimony]) -> None:
    t = demo["demo-001"]
    for url in (f"/testimonies/{t.id}", "/", f"/testimonies/{t.id}/transcript.vtt"):
        response = client.get(url)
        assert csp(response)["frame-ancestors"] == ["'none'"] and response.headers["X-Frame-Options"] == "DENY", url


def test_hidden_and_silent_testimonies_have_no_embed(client: FlaskClient, demo: dict[str, models.Testimony],
                                                     auth: Any) -> None:
    keys = ("demo-003", "demo-007", "demo-thae-yong-ho")  # researchers only, restricted draft, no recording
    for login in (None, "curator"):  # a curator's login changes nothing: the embed is the public's
        if login:
            auth.login(login)
            client.get("/")  # shows (and so clears) the "logged in" message
        missing = client.get(embed_url(MISSING))
        for key in keys:
            response = client.get(embed_url(demo[key]))
            assert response.status_code == missing.status_code == 404, key
            body = missing.get_data(as_text=True).replace(embed_url(MISSING), embed_url(demo[key]))
            assert response.get_data(as_text=True) == body, key
            assert csp(response)["frame-ancestors"] == ["'none'"] and response.headers["X-Frame-Options"] == "DENY"
    assert client.get(embed_url(2**40)).status_code == 404


def test_a_curator_gets_the_public_embed(client: FlaskClient, demo: dict[str, models.Testimony], auth: Any) -> None:
    t = demo["demo-002"]  # has a restricted passage
    auth.login("curator")
    page = client.get(embed_url(t)).get_data(as_text=True)
    assert all(word not in page for word in RESTRICTED_WORDS)
    assert "[passage withheld to protect the narrator]" in page
    captions = client.get(f"/testimonies/{t.id}/transcript.vtt?as=public")
    assert captions.status_code == 200
    assert all(word not in captions.get_data(as_text=True) for word in RESTRICTED_WORDS)
    assert any(word in client.get(f"/testimonies/{t.id}/transcript.vtt").get_data(as_text=True)
               for word in RESTRICTED_WORDS)  # the staff copy without ?as=public, as before


def test_clip_parameter_sets_start_and_end(client: FlaskClient, demo: dict[str, models.Testimony]) -> None:
    t = demo["demo-001"]
    page = client.get(embed_url(t, "?t=4.5,12")).get_data(as_text=True)
    assert 'data-start="4.5"' in page and 'data-clip-end="12"' in page
    page = client.get(embed_url(t, "?t=12,4")).get_data(as_text=True)  # an end before the start is no clip
    assert 'data-start="12"' in page and "data-clip-end" not in page
    assert parse_clip("1:05,1:10", 100) == (65, 70)
    assert parse_clip("nonsense", 100) == (0, None)
    assert parse_clip("5,500", 100) == (5, None)


def test_listening_page_offers_the_embed_code_only_for_embeddable_testimonies(
        client: FlaskClient, demo: dict[str, models.Testimony], auth: Any) -> None:
    t = demo["demo-001"]
    page = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
    code = re.search(r'<textarea id="embed-code"[^>]*>([^<]*)</textarea>', page)
    assert code is not None and "js/player/embedcode.js" in page and "js/player/clip.js" in page
    assert f'src=&#34;http://localhost/embed/testimonies/{t.id}&#34;' in code.group(1)
    auth.login("researcher", approved=True)
    page = client.get(f"/testimonies/{demo['demo-003'].id}").get_data(as_text=True)
    assert 'id="embed-code"' not in page  # researchers may hear it; the public may not, so no embed


def test_embed_in_korean(client: FlaskClient, demo: dict[str, models.Testimony]) -> None:
    page = client.get(embed_url(demo["demo-001"]), headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert '<html lang="ko">' in page and "북한이탈주민 증언 아카이브" in page and "장" in page


def test_ids_past_the_database_range_answer_like_missing_ones(client: FlaskClient,
                                                              demo: dict[str, models.Testimony]) -> None:
    """On PostgreSQL an id past its integer range made the query fail (a 500); now it is simply missing."""
    for path in ("/iiif/testimonies/{}/manifest.json", "/testimonies/{}", "/testimonies/{}/transcript.vtt",
                 "/testimonies/{}/ohms.xml", "/embed/testimonies/{}"):
        assert client.get(path.format(2_147_483_648)).status_code == 404, path
