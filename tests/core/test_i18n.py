"""The language helpers: locale choice, vocabulary labels, dates, numbers, lang attributes, safe `next`."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from contextlib import contextmanager
from datetime import date
from types import SimpleNamespace

import flask_babel
import pytest
from flask import Flask

from archive.core import i18n
from archive.policy.redirects import safe_next


@contextmanager
def in_request(app: Flask, lang: str | None = None, cookie: str | None = None) -> Iterator[None]:
    """A request with these preferences (the shared test app context keeps `g`: forget its locale)."""
    headers = {"Accept-Language": lang} if lang else {}
    if cookie:
        headers["Cookie"] = f"lang={cookie}"
    with app.test_request_context("/", headers=headers):
        flask_babel.refresh()
        yield
    flask_babel.refresh()


@pytest.mark.parametrize(("accept", "cookie", "expected"), [
    (None, None, "en"), ("ko-KR,ko;q=0.9", None, "ko"), ("fr-FR,fr;q=0.9", None, "en"),
    ("en-GB,en;q=0.8,ko;q=0.5", None, "en"), ("ko", "en", "en"), (None, "ko", "ko"), ("ko", "xx", "ko"),
])
def test_locale_choice(app: Flask, accept: str | None, cookie: str | None, expected: str) -> None:
    with in_request(app, accept, cookie):
        assert i18n.current_locale() == expected
        assert i18n.other_locale() == ("ko" if expected == "en" else "en")


def test_outside_a_request_the_interface_is_english(app: Flask) -> None:
    assert i18n.select_locale() == "en"
    assert i18n.current_locale() == "en"


def test_labels_pick_the_interface_language_and_fall_back_to_english(app: Flask) -> None:
    place = SimpleNamespace(name_en="North Hamgyong", name_ko="함경북도")
    untranslated = SimpleNamespace(label_en="Something new", label_ko="")
    row = {"category": "Workers", "male": 1, "female": 2}  # statistics row without a Korean column
    with in_request(app, "ko"):
        assert i18n.label(place) == "함경북도" and i18n.label(place, "en") == "North Hamgyong"
        assert i18n.label(untranslated) == "Something new" and i18n.label_lang(untranslated) == "en"
        assert i18n.label(row) == "노동자" and i18n.label_lang(row) == "ko"
        assert i18n.label(None) == ""
    with in_request(app, "en"):
        assert i18n.label(place) == "North Hamgyong" and i18n.label(place, "ko") == "함경북도"
        assert i18n.label(row) == "Workers"


def test_dates_keep_their_precision(app: Flask) -> None:
    with in_request(app, "ko"):
        assert i18n.date_text("2019-05-03") == "2019년 5월 3일"
        assert i18n.date_text("2019-05") == "2019년 5월"
        assert i18n.date_text("2019") == "2019"
        assert i18n.date_text(date(2020, 1, 31)) == "2020년 1월 31일"
        assert i18n.date_text("2019-13-45") == "2019-13-45"  # not a date: shown as stored
        assert i18n.date_text(None) == ""
    with in_request(app, "en"):
        assert i18n.date_text("2019-05") == "May 2019"
        assert i18n.date_text("2019-05-03") == "May 3, 2019"


def test_numbers_and_language_names(app: Flask) -> None:
    with in_request(app, "ko"):
        assert i18n.number(34314) == "34,314" and i18n.number(13.66) == "13.7" and i18n.number(2, 2) == "2.00"
        assert i18n.number("fewer than 5") == "fewer than 5" and i18n.number(None) == ""
        assert i18n.language_name("ko") == "한국어" and i18n.language_name("zh") == "중국어"
        assert i18n.gender_label("female") == "여성"
    with in_request(app, "en"):
        assert i18n.language_name("ko") == "Korean" and i18n.gender_label("male") == "Male"


def test_lang_attributes_only_where_the_language_differs(app: Flask) -> None:
    with in_request(app, "en"):
        assert i18n.lang_attr("en") == "" and i18n.lang_attr("ko") == ' lang="ko"'
        assert i18n.lang_attr('ko" onload="x') == ""  # never an attribute injection
        assert i18n.lang_of("함경북도 회령") == "ko" and i18n.lang_of("Growing up in Hoeryong") == "en"
        assert i18n.lang_of("Kim 김정숙 씨") == "ko" and i18n.lang_of("") == "en"
    with in_request(app, "ko"):
        assert i18n.lang_attr("ko") == "" and i18n.lang_attr("en") == ' lang="en"'


@pytest.mark.parametrize(("target", "expected"), [
    ("/statistics", "/statistics"), ("/search?q=famine", "/search?q=famine"), ("/hear/?", "/hear/"),
    (None, "/"), ("", "/"), ("https://evil.example/", "/"), ("//evil.example", "/"), ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"), ("/\t/evil.example", "/"), ("statistics", "/"), ("/" + "a" * 3000, "/"),
])
def test_safe_next(app: Flask, target: str | None, expected: str) -> None:
    with app.test_request_context("/"):
        assert safe_next(target) == expected


def test_a_message_met_many_times_waits_once(client: Any) -> None:
    """A visitor who meets the login wall again and again before opening a page is told once, not ten times."""
    for _ in range(10):
        assert client.get("/curate/").status_code == 302
    html = client.get("/account/login").get_data(as_text=True)
    assert html.count("Please log in to access this page.") == 1
    with client.session_transaction() as session:
        assert not session.get("_flashes")  # shown, so gone
