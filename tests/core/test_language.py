"""The bilingual interface: Korean or English, chosen by the visitor and remembered, else by the browser."""
from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

TRANSLATIONS = Path(__file__).resolve().parents[2] / "archive" / "translations"
KO = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue() -> None:
    """`make test` compiles the catalogue; a bare pytest run compiles it here if it is missing or stale."""
    po = TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as f:
            catalog = read_po(f, locale="ko")
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]*)"', html)
    assert match, "no <html lang>"
    return match.group(1)


def korean_testimony(factory: Any, **data: Any) -> Any:
    segments = [
        {"start": 0, "end": 4, "speaker": "면담자", "text": "어디에서 자라셨어요?", "language": "ko"},
        {"start": 4, "end": 9, "speaker": "구술자", "text": "함경북도 회령에서 자랐어요.", "language": "ko"},
    ]
    values = {"title": "Growing up in Hoeryong", "languages": ["ko"], "interview_date": "2019-05-03",
              "summary": "A childhood by the Tumen river."}
    values.update(data)
    return factory.testimony(segments=segments, tags=["famine"], **values)


def test_english_is_the_default(client: FlaskClient) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert html_lang(html) == "en"
    assert "Skip to content" in html and "Hear the Defectors" in html
    assert response.headers["Content-Language"] == "en"


def test_accept_language_korean_gives_a_korean_page(client: FlaskClient) -> None:
    response = client.get("/statistics", headers=KO)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html_lang(html) == "ko"
    assert "본문으로 건너뛰기" in html and "Skip to content" not in html
    assert "한국의 북한이탈주민: 공식 통계" in html
    # The chart titles follow the interface, the other language stays as a subtitle marked as such.
    assert '<h2 id="heading-arrivals_by_year">북한이탈주민 연도별 입국 인원 현황</h2>' in html
    assert '<p class="title-ko" lang="en">North Korean defectors arriving in South Korea, by year and sex</p>' in html
    assert "<title id=\"arrivals-title\">북한이탈주민 연도별 입국 인원 현황</title>" in html
    # Shared caches must not hand this page to an English reader.
    vary = {v.strip() for v in response.headers["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary
    assert response.headers["Content-Language"] == "ko"


def test_english_page_varies_too(client: FlaskClient) -> None:
    vary = {v.strip() for v in client.get("/testimonies/").headers["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


def test_the_switch_sets_a_lasting_cookie_and_goes_back(client: FlaskClient) -> None:
    response = client.get("/language/ko?next=/search%3Fq%3Dfamine")
    assert response.status_code == 303
    assert response.headers["Location"] == "/search?q=famine"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=ko;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "no-store" in response.headers["Cache-Control"]
    # The choice persists without any Accept-Language, and beats the browser's preference.
    html = client.get("/").get_data(as_text=True)
    assert html_lang(html) == "ko" and "증언 아카이브" in html
    client.get("/language/en?next=/")
    html = client.get("/", headers=KO).get_data(as_text=True)
    assert html_lang(html) == "en" and "Testimony Archive" in html


def test_the_cookie_is_secure_unless_insecure_cookies_are_allowed(app: Flask, client: FlaskClient) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True  # production: ARCHIVE_INSECURE_COOKIES unset
    assert "; Secure" in client.get("/language/ko").headers["Set-Cookie"]
    app.config["SESSION_COOKIE_SECURE"] = False
    assert "; Secure" not in client.get("/language/ko").headers["Set-Cookie"]


def test_the_header_offers_the_other_language(client: FlaskClient) -> None:
    html = client.get("/testimonies/?page=1").get_data(as_text=True)
    assert ('<a href="/language/ko?next=/testimonies/?page%3D1" lang="ko" hreflang="ko">한국어</a>' in html)
    assert '<span class="current-language" aria-current="true" lang="en">English</span>' in html


@pytest.mark.parametrize("code", ["fr", "KO", "x", "ko-KR", "../ko"])
def test_an_unknown_language_is_refused(client: FlaskClient, code: str) -> None:
    response = client.get(f"/language/{code}?next=/")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "http:/evil.example", " //evil.example", "/%0a//evil.example\n", "evil.example", "/\t/evil.example",
])
def test_next_never_leaves_the_site(client: FlaskClient, target: str) -> None:
    response = client.get("/language/ko", query_string={"next": target})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == "/" or (location.startswith("/") and not location.startswith(("//", "/\\"))), location
    assert "evil.example" not in location or location.startswith("/%0a"), location


def test_korean_transcript_on_an_english_page_is_marked(client: FlaskClient, factory: Any) -> None:
    t = korean_testimony(factory)
    html = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
    assert html_lang(html) == "en"
    line = re.search(r'<li class="line[^"]*" id="seg-1"[^>]*>', html)
    assert line and 'lang="ko"' in line.group(0)
    assert re.search(r'<li class="line[^"]*" id="seg-1"[^>]*lang="ko"[^>]*>.*?함경북도 회령에서', html, re.S)
    # The English title on the English page needs no lang of its own; the Korean province name does.
    assert '<h1>Growing up in Hoeryong</h1>' in html
    assert '<span lang="ko">함경북도</span>' in html


def test_the_player_speaks_the_interface_language(client: FlaskClient, factory: Any) -> None:
    t = korean_testimony(factory)

    def messages(headers: dict[str, str]) -> dict[str, str]:
        html = client.get(f"/testimonies/{t.id}", headers=headers).get_data(as_text=True)
        match = re.search(r'id="player-messages"[^>]*data-messages=\'([^\']*)\'', html)
        assert match, "no player messages"
        return json.loads(unescape(match.group(1)))

    korean = messages(KO)
    assert korean["copy_link"] == "링크 복사" and korean["match_n"] == "{total}건 중 {n}번째"
    assert messages({}) == {}  # English: the script's own wording, with its plurals


def test_english_text_on_a_korean_page_is_marked(client: FlaskClient, factory: Any) -> None:
    t = korean_testimony(factory)
    html = client.get(f"/testimonies/{t.id}", headers=KO).get_data(as_text=True)
    assert html_lang(html) == "ko"
    assert '<h1 lang="en">Growing up in Hoeryong</h1>' in html
    assert '<span lang="en">North Hamgyong</span>' in html
    # Korean segments on a Korean page need nothing more than the page language says.
    assert "함경북도 회령에서 자랐어요." in html


def test_vocabulary_labels_follow_the_interface(client: FlaskClient, factory: Any) -> None:
    t = korean_testimony(factory)
    english = text_of(client.get(f"/testimonies/{t.id}").get_data(as_text=True))
    korean = text_of(client.get(f"/testimonies/{t.id}", headers=KO).get_data(as_text=True))
    assert "Topics Famine" in english
    assert "주제 기근" in korean and "Famine" not in korean
    assert "출신 지역 함경북도 North Hamgyong" in korean
    related = factory.testimony(title="Another famine story", tags=["famine"])
    html = client.get(f"/testimonies/{related.id}", headers=KO).get_data(as_text=True)
    assert "같은 주제: 기근" in html and "같은 함경북도 출신" in html  # why testimonies are related
    cards = client.get("/testimonies/", headers=KO).get_data(as_text=True)
    assert "<dt>출신</dt><dd>함경북도</dd>" in cards


def test_dates_and_durations_follow_the_locale(client: FlaskClient, factory: Any) -> None:
    t = korean_testimony(factory)
    english = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
    korean = client.get(f"/testimonies/{t.id}", headers=KO).get_data(as_text=True)
    assert '<time datetime="2019-05-03">May 3, 2019</time>' in english
    assert '<time datetime="2019-05-03">2019년 5월 3일</time>' in korean
    month_only = factory.testimony(interview_date="2018-03")
    assert '<time datetime="2018-03">2018년 3월</time>' in client.get(
        f"/testimonies/{month_only.id}", headers=KO).get_data(as_text=True)


def test_numbers_follow_the_locale(client: FlaskClient) -> None:
    english = text_of(client.get("/statistics").get_data(as_text=True))
    korean = text_of(client.get("/statistics", headers=KO).get_data(as_text=True))
    assert "34,314 North Koreans had arrived in South Korea by the end of 2024" in english
    assert "2024년 말까지 북한 주민 34,314명이 한국에 입국했습니다" in korean
    assert "2009년으로, 2,914명이 입국했습니다" in korean


def test_statistics_categories_follow_the_interface(client: FlaskClient) -> None:
    html = client.get("/statistics", headers=KO).get_data(as_text=True)
    table = html[html.index('id="occupation-table"'):]
    table = table[:table.index("</table>")]
    # Korean first, the English category beside it (marked as English), in the Ministry’s wording.
    assert '<th scope="col">영어</th>' in table
    assert re.search(r'<th scope="row"><a href="/search\?occupation=workers">노동자</a></th><td lang="en">Workers</td>', table)
    assert "<title>노동자: " in html  # the bar's own title in the chart
    english = client.get("/statistics").get_data(as_text=True)
    assert re.search(r'<th scope="row"><a href="/search\?occupation=workers">Workers</a></th>', english)


def test_search_notices_and_facets_in_korean(client: FlaskClient, factory: Any) -> None:
    korean_testimony(factory)
    html = client.get('/search?q="famine', headers=KO).get_data(as_text=True)
    assert "1번째 위치의 짝이 맞지 않는 따옴표를 무시했습니다." in html
    html = client.get("/search?q=hoeryong", headers=KO).get_data(as_text=True)
    assert "<h3>주제</h3>" in html and "기근" in html
    assert "(1)" in html and "5건 미만" not in html  # exact counts: they only count what the reader may open


def test_error_pages_in_korean_reveal_nothing_more(client: FlaskClient, factory: Any) -> None:
    hidden = factory.testimony(access="restricted")
    missing = client.get("/testimonies/987654", headers=KO)
    restricted = client.get(f"/testimonies/{hidden.id}", headers=KO)
    assert missing.status_code == restricted.status_code == 404
    assert missing.data == restricted.data
    assert "404 찾을 수 없음" in missing.get_data(as_text=True)
    # The language links of an error page do not repeat the address that was asked for.
    assert "987654" not in missing.get_data(as_text=True).split("<main")[0]
