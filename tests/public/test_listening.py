"""Listening pages: the testimony page with its player, transcript downloads and the Hear landing page."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive.config import PROJECT_ROOT
from archive.core.extensions import db
from archive.policy import access
from archive.public import hear, listening
from archive.curation.recordings import upload_recording
from archive.curation.testimonies import set_chapters

AUDIO = (PROJECT_ROOT / "media" / "demo" / "demo-001.ogg").read_bytes()
SECRET = "Secret-Workplace-Unit-7"
WITHHELD = "[passage withheld to protect the narrator]"

SEGMENTS = [
    {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Where did you grow up?", "language": "en"},
    {"start": 4.5, "end": 12, "speaker": "Narrator A", "text": "I grew up near the harbour in Chongjin.",
     "language": "en"},
    {"start": 12.5, "end": 20, "speaker": "Narrator A", "text": f"My brother still works at {SECRET}.",
     "language": "en", "restricted": True},
    {"start": 20.5, "end": 30, "speaker": "Narrator A", "text": "We crossed the river in winter & hid <there>.",
     "language": "en"},
]


def make(factory: Any, *, audio: bool = True, segments: list[dict[str, Any]] | None = None, **fields: Any) -> Any:
    """A testimony with a transcript (one restricted passage), chapters, a route and tags."""
    fields.setdefault("tags", ["famine", "border-crossing"])
    fields.setdefault("route", [{"country": "China", "place": "Yanji", "year": 2003, "event": "hid"},
                                {"country": "China", "place": "Tumen", "year": 2004, "event": "arrested"},
                                {"country": "North Korea", "place": "Onsong", "year": 2004, "event": "repatriated"},
                                {"country": "Laos", "place": "", "year": 2009, "event": "transit"},
                                {"country": "South Korea", "place": "Incheon", "year": 2009, "event": "arrived"}])
    t = factory.testimony(segments=SEGMENTS if segments is None else segments, **fields)
    set_chapters(t, [{"start": 0, "title": "Childhood"}, {"start": 20.5, "title": "The river"}], None)
    if audio:
        upload_recording(t, io.BytesIO(AUDIO), "interview.ogg", None)
    return t


def page(client: FlaskClient, t: Any, query: str = "") -> str:
    response = client.get(f"/testimonies/{t.id}{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# ------------------------------------------------------------------ the listening page


def test_public_page_has_player_captions_transcript_and_tools(client: FlaskClient, factory: Any) -> None:
    t = make(factory)
    html = page(client, t)
    audio = f'<audio id="player" class="media" controls preload="metadata" src="/media/recordings/{t.recording.id}"'
    assert audio in html
    track = re.search(r"<track [^>]*>", html)
    assert track is not None
    assert f'src="/testimonies/{t.id}/transcript.vtt"' in track.group(0)
    assert 'kind="captions"' in track.group(0) and 'srclang="en"' in track.group(0)
    assert "default" in track.group(0)
    # Every readable line has its moment as a plain link, so the page works without JavaScript.
    assert f'href="/testimonies/{t.id}?t=4.5#seg-2"' in html
    assert 'data-start="4.5" data-end="12.0"' in html
    assert f'href="/testimonies/{t.id}?t=20.5"' in html  # chapter link
    assert "The river" in html and "Childhood" in html
    assert 'id="transcript-search"' in html and 'id="speed"' in html
    for rate in ("0.75", "1.25", "1.5", "2.0"):
        assert f'<option value="{rate}"' in html
    assert f"/testimonies/{t.id}/transcript.vtt?download=1" in html
    assert f"/testimonies/{t.id}/transcript.txt?download=1" in html
    assert 'aria-live="polite"' in html
    assert '<script type="module" src="/static/js/player/main.js"></script>' in html
    assert "/static/css/player.css" in html


def test_page_has_no_inline_script_or_style(client: FlaskClient, factory: Any) -> None:
    html = page(client, make(factory), "?t=5&autoplay=1")
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert re.search(r"<style", html) is None
    assert re.search(r"\sstyle=", html) is None
    assert re.search(r"\son[a-z]+=", html) is None


def test_text_is_escaped(client: FlaskClient, factory: Any) -> None:
    html = page(client, make(factory))
    assert "We crossed the river in winter &amp; hid &lt;there&gt;." in html


def test_restricted_passage_is_withheld_from_the_public(client: FlaskClient, factory: Any) -> None:
    t = make(factory)
    html = page(client, t)
    assert SECRET not in html
    assert "My brother" not in html
    assert WITHHELD in html
    withheld = re.search(r'<li class="line withheld[^"]*" id="seg-3"[^>]*>(.*?)</li>', html, re.S)
    assert withheld is not None and "Narrator A" not in withheld.group(1)
    assert "Restricted passage" not in html


def test_restricted_passage_is_absent_from_public_downloads(client: FlaskClient, factory: Any) -> None:
    t = make(factory)
    vtt = client.get(f"/testimonies/{t.id}/transcript.vtt")
    txt = client.get(f"/testimonies/{t.id}/transcript.txt")
    assert vtt.status_code == txt.status_code == 200
    assert vtt.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert txt.headers["Content-Type"] == "text/plain; charset=utf-8"
    for response in (vtt, txt):
        body = response.get_data(as_text=True)
        assert SECRET not in body and "My brother" not in body and "[restricted]" not in body
        assert response.headers["Cache-Control"] == "no-store, private"
    body = vtt.get_data(as_text=True)
    assert body.startswith("WEBVTT")
    assert body.count(" --> ") == 3  # four segments, one withheld
    assert "I grew up near the harbour" in body
    assert "[00:00:04.500] Narrator A: I grew up near the harbour in Chongjin." in txt.get_data(as_text=True)


def test_staff_see_restricted_text_marked(client: FlaskClient, factory: Any, auth: Any) -> None:
    t = make(factory)
    auth.login("curator")
    html = page(client, t)
    assert SECRET in html
    assert WITHHELD not in html
    assert re.search(r'<li class="line restricted[^"]*" id="seg-3"', html)
    assert "Restricted passage: shown to staff only" in html
    vtt = client.get(f"/testimonies/{t.id}/transcript.vtt").get_data(as_text=True)
    txt = client.get(f"/testimonies/{t.id}/transcript.txt").get_data(as_text=True)
    assert f"[restricted] My brother still works at {SECRET}." in vtt
    assert f"[restricted] Narrator A: My brother still works at {SECRET}." in txt
    assert vtt.count(" --> ") == 4


def test_researchers_see_the_withheld_line_too(client: FlaskClient, factory: Any, auth: Any) -> None:
    t = make(factory, access="researchers")
    auth.login("researcher", approved=True)
    html = page(client, t)
    assert SECRET not in html and WITHHELD in html
    assert SECRET not in client.get(f"/testimonies/{t.id}/transcript.vtt").get_data(as_text=True)


def test_researcher_testimony_is_hidden_from_the_public(client: FlaskClient, factory: Any, auth: Any) -> None:
    t = make(factory, access="researchers")
    missing = client.get("/testimonies/987654")
    for path in (f"/testimonies/{t.id}", f"/testimonies/{t.id}/transcript.vtt",
                 f"/testimonies/{t.id}/transcript.txt", f"/media/recordings/{t.recording.id}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.data == missing.data, path
    auth.login("researcher", approved=True)
    assert client.get(f"/testimonies/{t.id}").status_code == 200
    assert client.get(f"/testimonies/{t.id}/transcript.txt").status_code == 200


@pytest.mark.parametrize("fields", [{"access": "restricted"}, {"status": "draft"},
                                    {"embargo_until": (date.today() + timedelta(days=9)).isoformat()}])
def test_downloads_of_hidden_testimonies_are_404(client: FlaskClient, factory: Any, fields: dict[str, Any]) -> None:
    t = make(factory, **fields)
    assert client.get(f"/testimonies/{t.id}/transcript.vtt").status_code == 404
    assert client.get(f"/testimonies/{t.id}/transcript.txt").status_code == 404


def test_without_transcript_consent_there_is_no_text_caption_or_download(client: FlaskClient, factory: Any) -> None:
    t = make(factory, consent_transcript=False)
    html = page(client, t)
    assert "I grew up near the harbour" not in html
    assert "<track" not in html
    assert "transcript.vtt" not in html and "transcript.txt" not in html
    assert 'id="player"' in html  # the recording itself is consented
    assert client.get(f"/testimonies/{t.id}/transcript.vtt").status_code == 404
    assert client.get(f"/testimonies/{t.id}/transcript.txt").status_code == 404


def test_without_audio_consent_there_is_no_player(client: FlaskClient, factory: Any) -> None:
    t = make(factory, consent_audio=False)
    html = page(client, t)
    assert 'id="player"' not in html
    assert "/media/recordings/" not in html
    assert "I grew up near the harbour" in html
    assert "not available to you" in html


def test_empty_transcript_has_no_downloads(client: FlaskClient, factory: Any) -> None:
    t = make(factory, segments=[])
    assert client.get(f"/testimonies/{t.id}/transcript.vtt").status_code == 404
    assert "No transcript is available" in page(client, t)


def test_downloads_can_be_attachments(client: FlaskClient, factory: Any) -> None:
    t = make(factory)
    inline = client.get(f"/testimonies/{t.id}/transcript.vtt")
    attached = client.get(f"/testimonies/{t.id}/transcript.txt?download=1")
    assert inline.headers["Content-Disposition"] == f'inline; filename="testimony-{t.id}.vtt"'
    assert attached.headers["Content-Disposition"] == f'attachment; filename="testimony-{t.id}.txt"'


@pytest.mark.parametrize(("query", "src_suffix", "current"), [
    ("?t=13", "#t=13", "seg-3"),       # inside the withheld passage: it is the current line
    ("?t=25.5", "#t=25.5", "seg-4"),
    ("?t=1:02", "#t=62", "seg-4"),
    ("?t=nan", "", None),
    ("?t=-5", "", None),
    ("?t=inf", "", None),
    ("?t=abc", "", None),
    ("?t=99999", "", None),            # past the end of the recording
])
def test_start_time_from_the_query(client: FlaskClient, factory: Any, query: str, src_suffix: str,
                                   current: str | None) -> None:
    t = make(factory)
    html = page(client, t, query)
    assert f'src="/media/recordings/{t.recording.id}{src_suffix}"' in html
    marked = re.findall(r'id="(seg-\d+)"[^>]*aria-current="true"', html)
    assert marked == ([current] if current else [])


def test_autoplay_is_only_a_request_to_the_script(client: FlaskClient, factory: Any) -> None:
    t = make(factory)
    assert 'data-autoplay="1"' in page(client, t, "?autoplay=1")
    assert "autoplay" not in page(client, t).split('id="listen"')[1].split(">")[0]
    assert " autoplay" not in page(client, t, "?autoplay=1").split("<audio")[1].split(">")[0]


def _words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def _consent_to_exact_years(narrator: Any) -> None:
    narrator.consent_detailed_profile = True
    narrator.exact_fields = ["left_north_year", "arrived_south_year"]
    db.session.commit()


def test_route_is_an_itinerary_in_words_with_years_in_five_year_bands(client: FlaskClient, factory: Any) -> None:
    html = page(client, make(factory))
    text = _words(html)
    assert "2000–2004 Hid in Yanji, China" in text
    assert "2000–2004 Was arrested in Tumen, China" in text
    assert "2000–2004 Was forcibly returned to Onsong, North Korea" in text
    assert "2005–2009 Passed through Laos" in text
    assert "2005–2009 Arrived in Incheon, South Korea" in text
    route = text.split("The route")[1].split("Cite this testimony")[0]
    assert re.findall(r"(?<![–\d])\d{4}(?![–\d])", route) == []  # no year outside a band
    assert 'href="/hear/?country=china"' in html
    assert 'href="/hear/?country=south-korea"' not in html


def test_route_years_are_exact_only_with_the_narrators_consent(client: FlaskClient, factory: Any) -> None:
    t = make(factory)
    _consent_to_exact_years(t.narrator)
    text = _words(page(client, t))
    assert "2003 Hid in Yanji, China" in text
    assert "2009 Arrived in Incheon, South Korea" in text


def test_statistics_context_links_arrival_band_and_province(client: FlaskClient, factory: Any) -> None:
    narrator = factory.narrator(arrived_south_year=2009, left_north_year=2008, origin_province="North Hamgyong")
    html = page(client, make(factory, narrator=narrator))
    # 2005..2009 in arrivals_by_year.csv: 1,384 + 2,028 + 2,554 + 2,803 + 2,914
    assert '<a href="/statistics#arrivals">Arrived in 2005–2009: 11,683 arrivals in those years</a>' in html
    assert "2,914" not in html and "peak year" not in html
    assert 'href="/statistics#by_home_province">North Hamgyong: 19,941 arrivals' in html
    _consent_to_exact_years(narrator)
    html = page(client, make(factory, narrator=narrator))
    assert '<a href="/statistics#arrivals">Arrived in 2009, the peak year: 2,914 arrivals</a>' in html


@pytest.mark.parametrize(("year", "expected"), [
    (2009, "Arrived in 2009, the peak year: 2,914 arrivals"),
    (2012, "Arrived in 2012: 1,502 arrivals that year (the peak was 2009: 2,914)"),
    (2000, "Arrived in 2000: 1,043 arrivals in 1999–2001 (counted together)"),
    (1997, "Arrived in 1997: 947 arrivals in all up to the end of 1998"),
    (2031, "Arrived in 2031: figures for that year are not yet published"),
])
def test_arrival_figure(app: Flask, year: int, expected: str) -> None:
    figure = listening.arrival_figure(year)
    assert figure is not None and figure.text == expected
    assert figure.url == "/statistics#arrivals"
    assert "Ministry of Unification" in figure.source
    assert listening.arrival_figure(None) is None


def test_arrival_figure_follows_an_administrators_update(app: Flask) -> None:
    from archive.models.statistics import StatisticsTable
    from archive.statistics.data import STATISTICS_DIR
    bundled = (STATISTICS_DIR / "arrivals_by_year.csv").read_text(encoding="utf-8")
    revised = bundled.replace("2012,2012,2012,404,1098,1502,", "2012,2012,2012,404,1100,1504,")
    assert revised != bundled
    db.session.add(StatisticsTable(key="arrivals_by_year", csv_text=revised, as_of="March 2025"))
    db.session.commit()
    figure = listening.arrival_figure(2012)
    assert figure is not None and figure.text.startswith("Arrived in 2012: 1,504 arrivals")
    assert figure.source.endswith("March 2025")


def test_province_figure_matches_korean_spellings(app: Flask) -> None:
    from archive.core.vocabulary import find_place
    ryanggang = find_place("양강도", ("province",))
    figure = listening.province_figure(ryanggang)
    assert figure is not None
    assert figure.text.startswith("Ryanggang: 6,104 arrivals")
    assert "ranked 2 of" in figure.text


def test_related_testimonies_are_only_visible_ones(client: FlaskClient, factory: Any) -> None:
    t = make(factory)
    same_province = factory.testimony(title="Same province public", tags=[])
    hidden = factory.testimony(title="Same province but restricted", access="restricted", tags=["famine"])
    unrelated = factory.testimony(narrator=factory.narrator(origin_province="Kangwon"), title="Nothing shared",
                                  tags=["religion"])
    via_laos = factory.testimony(narrator=factory.narrator(origin_province="Jagang"), title="Also via Laos",
                                 route=[{"country": "Laos", "event": "transit"},
                                        {"country": "South Korea", "event": "arrived"}])
    html = page(client, t)
    related = html.split('id="related-heading"')[1]
    assert same_province.title in related and "also from North Hamgyong" in related
    assert via_laos.title in related and "also through Laos" in related
    assert hidden.title not in html
    assert unrelated.title not in related
    assert "also through South Korea" not in related


def test_names_use_the_pseudonym(client: FlaskClient, factory: Any) -> None:
    narrator = factory.narrator(pseudonym="Pseudo Nym", real_name="Real Person Name")
    html = page(client, make(factory, narrator=narrator))
    assert "Pseudo Nym" in html and "Real Person Name" not in html


# ------------------------------------------------------------------ the Hear landing page


def test_hear_page_lists_only_recordings_the_user_may_hear(client: FlaskClient, factory: Any) -> None:
    shown = make(factory, title="Public with audio")
    make(factory, title="Researchers only", access="researchers")
    make(factory, title="Draft recording", status="draft")
    make(factory, title="No audio consent", consent_audio=False)
    make(factory, title="No recording at all", audio=False)
    html = client.get("/hear/").get_data(as_text=True)
    assert "Public with audio" in html
    for hidden in ("Researchers only", "Draft recording", "No audio consent", "No recording at all"):
        assert hidden not in html
    assert f'href="/testimonies/{shown.id}?autoplay=1#listen"' in html
    assert "1 recording to listen to" in html


def test_hear_cards_show_facts_and_a_quotation_never_restricted(client: FlaskClient, factory: Any) -> None:
    narrator = factory.narrator(pseudonym="Card Narrator", arrived_south_year=2011, left_north_year=2010)
    segments = [dict(SEGMENTS[0]), {**SEGMENTS[2], "start": 4.5, "end": 12},
                {**SEGMENTS[1], "start": 12.5, "end": 20}]
    make(factory, narrator=narrator, segments=segments, languages=["en", "ko"])
    html = client.get("/hear/").get_data(as_text=True)
    card = html.split('class="card listen-card"')[1]
    assert "Card Narrator" in card and "North Hamgyong" in card and "2010–2014" in card and "2011" not in card
    assert "1 min 30 s" in card and "English, Korean" in card
    assert "I grew up near the harbour in Chongjin." in card
    assert SECRET not in html and "Where did you grow up" not in card


def test_hear_researcher_sees_researcher_recordings(client: FlaskClient, factory: Any, auth: Any) -> None:
    make(factory, title="Researchers only", access="researchers")
    auth.login("researcher", approved=True)
    assert "Researchers only" in client.get("/hear/").get_data(as_text=True)


def test_hear_filters_by_topic_country_and_decade(client: FlaskClient, factory: Any) -> None:
    make(factory, narrator=factory.narrator(arrived_south_year=2004, left_north_year=2003), title="Famine via Laos")
    make(factory, narrator=factory.narrator(arrived_south_year=2016, left_north_year=2015), title="Religion via Russia",
         tags=["religion"], route=[{"country": "Russia", "event": "worked"},
                                   {"country": "South Korea", "event": "arrived"}])

    def titles(query: str) -> set[str]:
        html = client.get(f"/hear/{query}").get_data(as_text=True)
        return {title for title in ("Famine via Laos", "Religion via Russia") if title in html}

    assert titles("") == {"Famine via Laos", "Religion via Russia"}
    assert titles("?topic=famine") == {"Famine via Laos"}
    assert titles("?topic=religion") == {"Religion via Russia"}
    assert titles("?country=russia") == {"Religion via Russia"}
    assert titles("?country=laos&decade=2000") == {"Famine via Laos"}
    assert titles("?decade=2010") == {"Religion via Russia"}
    assert titles("?decade=2010&topic=famine") == set()
    assert titles("?decade=abc&topic=") == {"Famine via Laos", "Religion via Russia"}
    html = client.get("/hear/?topic=famine").get_data(as_text=True)
    assert "<strong>Famine</strong>" in html
    assert '<option value="russia">Russia (1)</option>' in client.get("/hear/").get_data(as_text=True)
    assert 'value="south-korea"' not in html
    assert '<option value="2000">2000s (1)</option>' in html


def test_hear_pages(client: FlaskClient, factory: Any) -> None:
    for number in range(hear.PER_PAGE + 1):
        make(factory, title=f"Recording number {number:02d}", segments=[])
    first = client.get("/hear/").get_data(as_text=True)
    second = client.get("/hear/?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'href="/hear/?page=2"' in first
    assert second.count('class="card listen-card"') == 1


def test_hearable_filter_agrees_with_can_hear(app: Flask, factory: Any, auth: Any) -> None:
    cases = [{}, {"access": "researchers"}, {"access": "restricted"}, {"status": "draft"},
             {"consent_audio": False}, {"embargo_until": (date.today() + timedelta(days=3)).isoformat()}]
    testimonies = [make(factory, segments=[], **fields) for fields in cases]
    testimonies.append(make(factory, segments=[], audio=False))
    from sqlalchemy import select

    from archive.models import Testimony
    users = [None, auth.create("researcher", approved=True), auth.create("researcher", "r2@example.org", False),
             auth.create("curator")]
    for user in users:
        found = set(db.session.scalars(select(Testimony.id).where(access.hearable_filter(user))))
        expected = {t.id for t in testimonies if t.recording is not None and access.can_hear(user, t)}
        assert found == expected, getattr(user, "role", None)


# ?t= and the clock: tests/formats/test_timecode.py


# ------------------------------------------------------------------ the demo collection


@pytest.fixture()
def demo(app: Flask) -> dict[str, Any]:
    from sqlalchemy import select

    from archive.models import Testimony
    from archive.curation.imports import load_demo
    load_demo()
    return {t.external_id: t for t in db.session.scalars(select(Testimony))}


def test_demo_restricted_passage_never_reaches_the_public(client: FlaskClient, demo: dict[str, Any],
                                                          auth: Any) -> None:
    t = demo["demo-002"]
    public = [client.get(path).get_data(as_text=True) for path in (
        f"/testimonies/{t.id}", f"/testimonies/{t.id}/transcript.vtt", f"/testimonies/{t.id}/transcript.txt",
        "/hear/", "/hear/?topic=repatriation", f"/testimonies/{demo['demo-004'].id}")]
    for body in public:
        assert "라남" not in body and "3직장" not in body
    assert WITHHELD in public[0]
    assert client.get(f"/testimonies/{demo['demo-003'].id}").status_code == 404
    auth.login("curator")
    assert "라남" in client.get(f"/testimonies/{t.id}").get_data(as_text=True)
    assert "라남" in client.get(f"/testimonies/{t.id}/transcript.vtt").get_data(as_text=True)
