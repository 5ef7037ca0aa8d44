"""The vocabulary pages (curators only, CSRF, both languages) and the redirects from old slugs."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from archive import models
from archive.core.extensions import db
from archive.core.vocabulary import find_place, find_topic
from archive.models import AuditEntry
from archive.vocabulary import terms
from tests.conftest import csrf_token


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def test_only_curators_see_the_pages(client: FlaskClient, auth: Any) -> None:
    assert client.get("/curate/vocabulary/").status_code == 302
    auth.login("researcher", approved=True)
    assert client.get("/curate/vocabulary/topic").status_code == 404  # as every curator page: not there


def test_the_lists_in_both_languages(client: FlaskClient, curator: Any) -> None:
    html = html_of(client.get("/curate/vocabulary/"))
    assert "/curate/vocabulary/place" in html and "/curate/vocabulary/occupation" in html
    html = html_of(client.get("/curate/vocabulary/place"))
    assert "North Hamgyong" in html and "함경북도" in html
    client.get("/language/ko")
    html = html_of(client.get("/curate/vocabulary/place"))
    assert "<h1>지명</h1>" in html and "도시" in html
    html = html_of(client.get("/curate/vocabulary/topic/famine"))
    assert "다른 용어에 병합" in html and "이 용어 폐기" in html
    assert client.get("/curate/vocabulary/colours").status_code == 404
    assert client.get("/curate/vocabulary/topic/no-such-topic").status_code == 404


def test_add_a_place_and_see_every_problem(client: FlaskClient, curator: Any) -> None:
    token = csrf_token(client, "/curate/vocabulary/place/new")
    response = client.post("/curate/vocabulary/place/new", data={
        "csrf_token": token, "label_en": "", "kind": "moon", "parent": "china"})
    assert response.status_code == 400
    html = html_of(response)
    assert "English label: is required" in html and "Choose the kind of place" in html
    assert "is not a province of the vocabulary" in html
    response = client.post("/curate/vocabulary/place/new", data={
        "csrf_token": token, "label_en": "Waudo", "label_ko": "와우도", "kind": "city", "parent": "nampo",
        "mccune_reischauer": "Waudo", "other_variants": "Wau Island\n와우도구역"})
    assert response.status_code == 302
    place = find_place("와우도구역", ("city",))
    assert place.parent.slug == "nampo"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vocabulary.add")).actor == curator.email


def test_without_the_csrf_token_nothing_changes(client: FlaskClient, curator: Any) -> None:
    response = client.post("/curate/vocabulary/topic/new", data={"label_en": "Ghosts"})
    assert response.status_code == 400
    assert find_topic("ghosts") is None


def test_rename_redirects_old_links(client: FlaskClient, curator: Any, factory: Any) -> None:
    t = factory.testimony(tags=["brokers"], route=[{"country": "Laos", "event": "transit"}])
    token = csrf_token(client, "/curate/vocabulary/topic/brokers")
    response = client.post("/curate/vocabulary/topic/brokers", data={
        "csrf_token": token, "label_en": "Smugglers", "label_ko": "밀수꾼", "slug": "smugglers"})
    assert response.headers["Location"].endswith("/curate/vocabulary/topic/smugglers")
    assert client.get("/curate/vocabulary/topic/brokers").headers["Location"].endswith("/topic/smugglers")
    response = client.get("/search?q=river&tag=brokers&tag=famine")
    assert response.status_code == 301
    assert response.headers["Location"] == "/search?q=river&tag=smugglers&tag=famine"
    html = html_of(client.get("/search?tag=smugglers"))
    assert f"/testimonies/{t.id}" in html and "Smugglers" in html
    assert client.get("/hear/?topic=brokers").headers["Location"] == "/hear/?topic=smugglers"
    assert client.get("/api/v1/testimonies?topic=brokers").status_code == 301
    assert client.get("/search?tag=famine").status_code == 200


def test_merge_from_the_page_retags_and_redirects(client: FlaskClient, curator: Any, factory: Any) -> None:
    t = factory.testimony(route=[{"country": "Burma", "event": "transit"}])
    path = "/curate/vocabulary/place/myanmar"
    html = html_of(client.get(path))
    assert "Describes 1 testimony." in html
    merge_choices = html[html.index('id="target"'):].split("</select>")[0]
    assert '<option value="laos">' in merge_choices and 'value="pyongyang"' not in merge_choices  # countries only
    token = csrf_token(client, path)
    response = client.post(path + "/merge", data={"csrf_token": token, "target": "laos"})
    assert response.status_code == 400 and "Tick the box to confirm the merge." in html_of(response)
    response = client.post(path + "/merge", data={"csrf_token": token, "target": "laos", "confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/place/laos")
    db.session.expire_all()
    assert db.session.get(models.Testimony, t.id).route[0].country.slug == "laos"
    assert client.get("/search?route=myanmar").headers["Location"] == "/search?route=laos"
    assert find_place("Burma", ("country",)).slug == "laos"


def test_place_pages_follow_a_renamed_slug(client: FlaskClient, curator: Any) -> None:
    terms.update_term(find_place("Chongjin", ("city",)), {"slug": "chongjin-city"})
    response = client.get("/places/chongjin?x=1")
    assert response.status_code == 301 and response.headers["Location"] == "/places/chongjin-city?x=1"


def test_retire_and_bring_back(client: FlaskClient, curator: Any) -> None:
    path = "/curate/vocabulary/topic/diplomacy"
    token = csrf_token(client, path)
    client.post(path + "/retire", data={"csrf_token": token, "retired": "1"})
    assert find_topic("diplomacy").retired
    assert "Retired" in html_of(client.get("/curate/vocabulary/topic"))
    client.post(path + "/retire", data={"csrf_token": token, "retired": "0"})
    db.session.expire_all()
    assert not find_topic("diplomacy").retired
    assert client.post(path + "/retire", data={"retired": "1"}).status_code == 400


def test_retired_terms_leave_the_selects_but_stay_where_chosen(client: FlaskClient, curator: Any,
                                                               factory: Any) -> None:
    narrator = factory.narrator(origin_province="Kaesong")
    t = factory.testimony(narrator, tags=["diplomacy"])
    for term in (find_place("Kaesong", ("province",)), find_topic("diplomacy")):
        terms.set_retired(term, True)
    assert 'value="kaesong"' not in html_of(client.get("/curate/narrators/new"))
    assert 'value="kaesong"' in html_of(client.get(f"/curate/narrators/{narrator.id}"))
    editor = html_of(client.get(f"/curate/testimonies/{t.id}"))
    assert 'value="diplomacy"' in editor
    other = factory.testimony(tags=["famine"])
    assert 'value="diplomacy"' not in html_of(client.get(f"/curate/testimonies/{other.id}"))
