"""The front door (issue 18): a search box on the home page; the testimony list with count, sort and filters."""
from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient


def titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/testimonies/\d+"[^>]*>([^<]+)</a></h2>', html)


def test_home_page_has_a_search_box(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    form = html[html.index('class="home-search"'):html.index("</form>", html.index('class="home-search"'))]
    assert 'action="/search"' in html[html.rindex("<form", 0, html.index('class="home-search"')):][:120]
    assert 'name="q"' in form and '<label for="home-q">' in form


def test_testimony_list_counts_sorts_and_filters(client: FlaskClient, factory: Any) -> None:
    factory.testimony(title="Bravo", interview_date="2018-01", languages=["ko"], tags=["famine"])
    factory.testimony(title="Alpha", interview_date="2020-01", languages=["en"], tags=["famine"])
    factory.testimony(title="Charlie", interview_date="2019-01", languages=["en", "ko"])
    factory.testimony(title="Hidden", status="draft")
    html = client.get("/testimonies/").get_data(as_text=True)
    assert "3 testimonies" in html and titles(html) == ["Alpha", "Charlie", "Bravo"]
    assert titles(client.get("/testimonies/?sort=date").get_data(as_text=True)) == ["Bravo", "Charlie", "Alpha"]
    assert titles(client.get("/testimonies/?sort=title").get_data(as_text=True)) == ["Alpha", "Bravo", "Charlie"]
    korean = client.get("/testimonies/?language=ko&sort=title").get_data(as_text=True)
    assert titles(korean) == ["Bravo", "Charlie"] and "2 testimonies" in korean
    assert 'href="/testimonies/?sort=title">Clear all filters' in korean
    famine = client.get("/testimonies/?language=ko&topic=famine").get_data(as_text=True)
    assert titles(famine) == ["Bravo"] and "1 testimony" in famine
    # Unknown values fall back to the defaults instead of failing.
    odd = client.get("/testimonies/?sort=evil&language=xx&topic=%3Cscript%3E")
    assert odd.status_code == 200 and titles(odd.get_data(as_text=True)) == ["Alpha", "Charlie", "Bravo"]
    assert "증언 3건" in client.get("/testimonies/", headers={"Accept-Language": "ko"}).get_data(as_text=True)


def test_speaker_roles_are_said_in_the_interface_language(client: FlaskClient, factory: Any) -> None:
    t = factory.testimony(segments=[
        {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Where did you grow up?", "language": "en"},
        {"start": 4, "end": 8, "speaker": "Kim", "text": "In Hyesan.", "language": "en"}])
    korean = client.get(f"/testimonies/{t.id}", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert '<span class="speaker" lang="ko">면담자:</span>' in korean
    assert '<span class="speaker">Kim:</span>' in korean  # a name is no role
    english = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
    assert '<span class="speaker">Interviewer:</span>' in english
