"""Search moments on the listening page: ?t= exact starts, ?q= marks the searched words, previous/next match."""
from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.public.test_listening import SECRET, make, page

KOREAN = [
    {"start": 0, "end": 4.9, "speaker": "Interviewer", "text": "어디에서 자랐어요?", "language": "ko"},
    {"start": 4.98, "end": 9, "speaker": "Narrator A", "text": "저는 청진에서 태어났습니다.", "language": "ko"},
    {"start": 9.5, "end": 14, "speaker": "Narrator A", "text": "청진 항구 근처에 살았어요.", "language": "ko"},
    {"start": 14.5, "end": 18, "speaker": "Narrator A", "text": "Later I left Chongjin.", "language": "en"},
]


def current_line(html: str) -> str | None:
    found = re.search(r'<li class="line[^"]*" id="(seg-\d+)"[^>]*aria-current="true"', html)
    return found.group(1) if found else None


def test_an_exact_start_opens_on_the_line_that_begins_there(client: FlaskClient, factory: Any) -> None:
    t = make(factory, segments=KOREAN)
    html = page(client, t, "?t=4.98")
    assert current_line(html) == "seg-2" and 'data-start="4.98"' in html
    # Just before it is still the question.
    assert current_line(page(client, t, "?t=4.97")) == "seg-1"
    # A passage link (?t=START,END) opens at its start.
    assert current_line(page(client, t, "?t=9.5,14")) == "seg-3"


def test_korean_query_words_are_marked_with_the_search_analysis(client: FlaskClient, factory: Any) -> None:
    t = make(factory, segments=KOREAN)
    html = page(client, t, "?t=9.5&q=%EC%B2%AD%EC%A7%84")  # q=청진
    assert current_line(html) == "seg-3"
    # 청진 inside 청진에서 is marked; the English spelling Chongjin is the same place for the search.
    assert '저는 <mark class="hit">청진</mark>에서 태어났습니다.' in html
    assert '<mark class="hit">청진</mark> 항구' in html
    assert "Match 2 of" in html
    nav = html[html.index('id="match-nav"'):html.index("</nav>", html.index('id="match-nav"'))]
    assert f'id="match-prev" data-step="-1" href="/testimonies/{t.id}?t=4.98&amp;q=%EC%B2%AD%EC%A7%84#seg-2"' in nav
    assert 'id="match-next"' in nav and "Clear the marks" in nav


def test_without_a_start_the_page_opens_on_the_first_match(client: FlaskClient, factory: Any) -> None:
    t = make(factory)
    html = page(client, t, "?q=river+winter")
    assert current_line(html) == "seg-4"
    assert 'data-start="20.5"' in html
    # The text is still escaped around the marks.
    assert 'We crossed the <mark class="hit">river</mark> in <mark class="hit">winter</mark> &amp; hid &lt;there&gt;.' in html
    assert "Match 1 of 1." in html


def test_restricted_and_missing_words_are_never_marked(client: FlaskClient, factory: Any, auth: Any) -> None:
    t = make(factory)
    html = page(client, t, f"?q={SECRET}")
    assert "still works at" not in html and 'class="hit"' not in html
    assert "are not in this transcript" in html
    auth.login("curator")
    staff = page(client, t, f"?q={SECRET}")
    assert 'My brother still works at <mark class="hit">' in staff and "Match 1 of 1." in staff


def test_the_query_is_escaped_and_korean_pages_translate_the_controls(client: FlaskClient, factory: Any) -> None:
    t = make(factory)
    html = page(client, t, "?q=%3Cscript%3Eriver")
    assert "<script>river" not in html and "&lt;script&gt;river" in html
    korean = client.get(f"/testimonies/{t.id}?q=river", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "다음 일치 항목" in korean and "이전 일치 항목" in korean and "1건 중 1번째" in korean
