"""Search in real Chromium (issue 18): a hit's link lands on the passage that holds the words and marks them."""
from __future__ import annotations

from typing import Any

import pytest

BrowserPage = LiveServer = Any  # fixtures from tests/browser/conftest.py

pytestmark = pytest.mark.browser

READY = "() => { const p = document.getElementById('player'); return p && p.readyState >= 1; }"
SHOTS = "test-artifacts/screenshots"


def use(tab: BrowserPage, server: LiveServer, width: int, lang: str) -> Any:
    page = tab.page
    page.set_viewport_size({"width": width, "height": 800 if width < 600 else 900})
    page.context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    return page


def current_line(page: Any) -> str | None:
    return page.evaluate("() => { const l = document.querySelector('#transcript li[aria-current=\"true\"]');"
                         " return l ? l.id : null; }")


@pytest.mark.parametrize(("width", "lang", "query", "first", "second"), [
    (1280, "en", "grew", "seg-1", "seg-2"),
    (360, "en", "grew", "seg-1", "seg-2"),
    (1280, "ko", "청진", "seg-2", "seg-4"),
    (360, "ko", "청진", "seg-2", "seg-4"),
])
def test_a_hit_lands_on_its_passage_marks_the_words_and_steps_through_matches(
        tab: BrowserPage, live_server: LiveServer, width: int, lang: str, query: str, first: str, second: str) -> None:
    page = use(tab, live_server, width, lang)
    page.goto(f"/search?q={query}")
    link = page.locator("ol.result-list a.time").first
    href = link.get_attribute("href")
    assert "?t=" in href and "&q=" in href
    link.click()
    page.wait_for_function(READY)
    assert current_line(page) == first
    assert page.locator("#transcript li[aria-current='true']").count() == 1
    start = float(page.get_attribute(f"#{first}", "data-start"))
    assert f"t={start:g}" in page.url
    page.wait_for_function("(t) => Math.abs(document.getElementById('player').currentTime - t) < 0.3", arg=start)
    marks = page.locator(f"#{first} mark.hit")
    assert marks.count() >= 1 and marks.first.is_visible()
    assert query in marks.first.inner_text()
    marks.first.scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/listening-search-{lang}-{width}.png")
    # Next match seeks in place (no reload) to the next line holding the words.
    page.evaluate("() => { window.stayed = true; }")
    page.click("#match-next")
    page.wait_for_function("(id) => document.querySelector('#transcript li[aria-current=\"true\"]').id === id",
                           arg=second)
    assert page.evaluate("() => window.stayed") is True
    assert page.locator("#transcript li[aria-current='true']").count() == 1
    second_start = float(page.get_attribute(f"#{second}", "data-start"))
    assert abs(page.evaluate("() => document.getElementById('player').currentTime") - second_start) < 0.3
    assert f"#{second}" in page.url and f"t={second_start:g}" in page.url
    status = page.inner_text("#match-status")
    assert ("Match 2 of" in status) if lang == "en" else ("2번째" in status)
    page.click("#match-prev")
    page.wait_for_function("(id) => document.querySelector('#transcript li[aria-current=\"true\"]').id === id",
                           arg=first)
    tab.assert_no_console_errors()


def test_copy_passage_link_copies_start_and_end(tab: BrowserPage, live_server: LiveServer) -> None:
    page = tab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.testimony_url("demo-001"))
    page.wait_for_function(READY)
    page.click("#seg-4 button.copy-passage")
    page.wait_for_function("() => document.querySelector('#seg-4 button.copy-passage .copy-label').textContent"
                           " === 'Copied'")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    start, end = page.get_attribute("#seg-4", "data-start"), page.get_attribute("#seg-4", "data-end")
    assert copied == live_server.testimony_url("demo-001", f"?t={float(start):g},{float(end):g}")
    tab.assert_no_console_errors()


def open_filters(page: Any) -> None:
    """On a phone the facets are behind the "Filters" button: open them."""
    if page.locator("#filters > summary").is_visible() and not page.evaluate("() => filters.open"):
        page.click("#filters > summary")


def follow(page: Any, link: Any) -> None:
    """Click a link and wait for the page it loads (so nothing is read from the page being left)."""
    with page.expect_navigation():
        link.click()


def total(page: Any) -> int:
    return int("".join(ch for ch in page.inner_text("#results-heading") if ch.isdigit()))


@pytest.mark.parametrize(("width", "lang"), [(1280, "en"), (360, "en"), (1280, "ko"), (360, "ko")])
def test_filters_combine_and_clear(tab: BrowserPage, live_server: LiveServer, width: int, lang: str) -> None:
    page = use(tab, live_server, width, lang)
    page.goto("/search")
    everything = total(page)
    open_filters(page)
    languages = page.locator("section.facet", has=page.locator("h3", has_text="Language" if lang == "en" else "언어"))
    options = languages.locator("a.facet-option")
    assert options.count() >= 2
    first_count = int(options.nth(0).locator(".count").inner_text().strip("()"))
    follow(page, options.nth(0))
    assert total(page) == first_count and page.locator("a.chip").count() == 1
    open_filters(page)
    # Another value of the same group widens (OR); the group keeps offering its values.
    follow(page, languages.locator("a.facet-option:not(.facet-selected)").first)
    widened = total(page)
    assert widened > first_count and page.locator("a.chip").count() == 2
    open_filters(page)
    # A value of another group narrows (AND).
    topics = page.locator("section.facet", has=page.locator("h3", has_text="Topic" if lang == "en" else "주제"))
    topic = topics.locator("a.facet-option").first
    topic_count = int(topic.locator(".count").inner_text().strip("()"))
    follow(page, topic)
    assert total(page) == topic_count <= widened and page.locator("a.chip").count() == 3
    page.screenshot(path=f"{SHOTS}/search-filters-{lang}-{width}.png", full_page=True)
    follow(page, page.locator("a.chip:not([href*='tag='])"))  # the topic's chip: its link drops the topic
    assert total(page) == widened and page.locator("a.chip").count() == 2
    follow(page, page.locator("a.clear-filters"))
    assert total(page) == everything and page.locator("a.chip").count() == 0
    tab.assert_no_console_errors()


def test_print_layout_of_a_testimony(tab: BrowserPage, live_server: LiveServer) -> None:
    page = tab.page
    page.goto(live_server.testimony_url("demo-002"))
    page.wait_for_function(READY)
    page.emulate_media(media="print")
    # Metadata, chapters and the transcript with time codes; no player, tools or downloads.
    for shown in ("h1", ".about", "nav.chapters", "#transcript", "#seg-2 .time"):
        assert page.locator(shown).first.is_visible(), shown
    for gone in ("#player", "#player-dock", "#transcript-search", ".downloads", "header nav", "#seg-2 .copy-link"):
        assert not page.locator(gone).first.is_visible(), gone
    assert page.inner_text("#seg-2 .time") == "0:07"
    # The restricted passage prints as withheld, without its words.
    assert "[passage withheld to protect the narrator]" in page.inner_text("#seg-12")
    assert "기계공장" not in page.inner_text("main")
    page.screenshot(path=f"{SHOTS}/print-demo-002.png", full_page=True)
    tab.assert_no_console_errors()


def test_a_hit_plays_in_place_from_its_first_matching_moment(tab: BrowserPage, live_server: LiveServer) -> None:
    page = tab.page
    page.goto("/search?q=foggy")
    link = page.locator("a.hit-play").first
    start = float(link.get_attribute("data-start"))
    assert start > 0 and "autoplay=1" in link.get_attribute("href")
    link.click()
    page.wait_for_function("(t) => { const a = document.querySelector('audio.hit-audio');"
                           " return a && !a.paused && a.currentTime >= t - 0.3; }", arg=start)
    assert page.url.endswith("/search?q=foggy")  # still on the results
    assert link.inner_text().strip().endswith("Pause")
    link.click()
    # The label follows the audio's pause event, which comes a moment after `paused` turns true.
    page.wait_for_function("() => document.querySelector('audio.hit-audio').paused"
                           " && document.querySelector('a.hit-play').innerText.includes('Play from')")
    assert "Play from 0:47" in link.inner_text()
    tab.assert_no_console_errors()
