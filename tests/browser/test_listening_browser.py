"""The listening page in real Chromium: the transcript follows the recording and drives it."""
from __future__ import annotations

from typing import Any

import pytest

BrowserPage = LiveServer = Any  # fixtures from tests/browser/conftest.py

pytestmark = pytest.mark.browser

READY = "() => { const p = document.getElementById('player'); return p && p.readyState >= 1; }"


def open_page(tab: BrowserPage, server: LiveServer, external_id: str, query: str = "") -> Any:
    page = tab.page
    page.goto(server.testimony_url(external_id, query))
    page.wait_for_function(READY)
    return page


def line_start(page: Any, line_id: str) -> float:
    return float(page.get_attribute(f"#{line_id}", "data-start"))


def current_line(page: Any) -> str | None:
    return page.evaluate("() => { const l = document.querySelector('#transcript li[aria-current=\"true\"]');"
                         " return l ? l.id : null; }")


def current_time(page: Any) -> float:
    return float(page.evaluate("() => document.getElementById('player').currentTime"))


def wait_for_time_near(page: Any, seconds: float, tolerance: float = 0.6) -> None:
    page.wait_for_function(
        "([t, tol]) => Math.abs(document.getElementById('player').currentTime - t) < tol", arg=[seconds, tolerance])


def test_playback_advances_and_highlights_the_spoken_line(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-001")
    assert current_line(page) is None
    start = line_start(page, "seg-4")
    page.evaluate("(t) => { const p = document.getElementById('player'); p.currentTime = t; return p.play(); }",
                  start + 0.5)
    page.wait_for_function("(t) => document.getElementById('player').currentTime > t", arg=start + 1.3)
    assert page.evaluate("() => document.getElementById('player').paused") is False
    page.wait_for_function("() => document.querySelector('#seg-4[aria-current=\"true\"]') !== null")
    assert current_line(page) == "seg-4"
    assert page.locator("#transcript li.current").count() == 1
    assert "current" in (page.get_attribute("#seg-4", "class") or "")
    # The chapter list follows too.
    assert page.get_attribute("a.chapter[aria-current='true'] .chapter-title", "class") is not None
    tab.assert_no_console_errors()


def test_clicking_a_line_seeks_the_player(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-001")
    start = line_start(page, "seg-8")
    page.click("#seg-8 .text")
    wait_for_time_near(page, start, 1.5)
    assert current_time(page) >= start - 0.05
    assert current_line(page) == "seg-8"
    # A time link seeks in place instead of reloading the page.
    url_before = page.url
    page.click("#seg-2 a.time")
    wait_for_time_near(page, line_start(page, "seg-2"), 1.5)
    assert page.url == url_before
    tab.assert_no_console_errors()


def test_chapter_links_seek(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-001")
    chapter = page.locator("a.chapter").nth(2)
    target = float(chapter.get_attribute("data-start") or 0)
    chapter.click()
    wait_for_time_near(page, target, 1.5)
    assert chapter.get_attribute("aria-current") == "true"
    tab.assert_no_console_errors()


def test_query_t_starts_at_that_moment(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-001", "?t=50")
    wait_for_time_near(page, 50, 0.3)
    assert current_line(page) == "seg-8"  # 47.94 – 61.22
    assert page.evaluate("() => { const l = document.getElementById('seg-8').getBoundingClientRect();"
                         " const c = document.getElementById('transcript').getBoundingClientRect();"
                         " return l.top >= c.top - 1 && l.bottom <= c.bottom + 1; }")
    tab.assert_no_console_errors()


def test_fragment_t_starts_at_that_moment(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-001", "#t=65")
    wait_for_time_near(page, 65, 0.3)
    assert current_line(page) == "seg-10"
    tab.assert_no_console_errors()


def test_in_page_search_counts_and_jumps(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-001")
    assert page.is_visible("#transcript-search")
    page.fill("#transcript-query", "foggy")
    page.wait_for_function("() => /1 match in 1 line/.test(document.getElementById('search-count').textContent)")
    page.press("#transcript-query", "Enter")
    wait_for_time_near(page, line_start(page, "seg-8"), 0.6)
    assert page.locator("#seg-8 mark.match-current").inner_text() == "foggy"
    assert current_line(page) == "seg-8"
    assert "Match 1 of 1" in page.inner_text("#search-count")
    # Case-insensitive, several matches, Previous wraps around.
    page.fill("#transcript-query", "THE")
    page.wait_for_function("() => /matches in/.test(document.getElementById('search-count').textContent)")
    count = page.locator("#transcript mark").count()
    assert count > 3
    page.click("#search-prev")
    assert f"Match {count} of {count}" in page.inner_text("#search-count")
    page.press("#transcript-query", "Escape")
    assert page.locator("#transcript mark").count() == 0
    tab.assert_no_console_errors()


def test_keyboard_only_tab_to_a_line_and_press_enter(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-001")
    page.focus("#transcript-query")
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.matches('li.line')"):
            break
    else:
        pytest.fail("Tab never reached a transcript line")
    first = page.evaluate("() => document.activeElement.id")
    assert first == "seg-1"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.id") == "seg-3"
    page.keyboard.press("Enter")
    wait_for_time_near(page, line_start(page, "seg-3"), 1.0)
    assert current_line(page) == "seg-3"
    page.keyboard.press("ArrowDown")
    page.keyboard.press(" ")
    wait_for_time_near(page, line_start(page, "seg-4"), 1.0)
    # Space on a line seeks; it must not scroll the page instead.
    assert current_line(page) == "seg-4"
    tab.assert_no_console_errors()


def test_captions_track_loads_every_public_cue(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-002")
    page.evaluate("() => { document.querySelector('#player track').track.mode = 'hidden'; }")
    page.wait_for_function("() => { const t = document.querySelector('#player track').track;"
                           " return t.cues && t.cues.length > 0; }")
    cues = page.evaluate("() => Array.from(document.querySelector('#player track').track.cues, c => c.text)")
    assert len(cues) == 13  # fourteen segments, one withheld
    assert not any("라남" in cue for cue in cues)
    readable = page.locator("#transcript li.line:not(.withheld)").count()
    assert len(cues) == readable
    tab.assert_no_console_errors()


def test_restricted_passage_is_absent_from_the_dom(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-002")
    assert "라남" not in page.content()
    assert "3직장" not in page.evaluate("() => document.documentElement.outerHTML")
    withheld = page.locator("#transcript li.withheld")
    assert withheld.count() == 1
    assert "[passage withheld to protect the narrator]" in withheld.inner_text()
    # Playing through the withheld passage highlights its placeholder, nothing more.
    start = float(withheld.get_attribute("data-start") or 0)
    page.evaluate("(t) => { document.getElementById('player').currentTime = t; }", start + 1)
    page.wait_for_function("() => document.querySelector('#transcript li.withheld[aria-current=\"true\"]')")
    assert "라남" not in page.content()
    tab.assert_no_console_errors()


def test_speed_control(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-001")
    assert page.is_visible("#speed")
    page.select_option("#speed", "1.5")
    assert page.evaluate("() => document.getElementById('player').playbackRate") == 1.5
    page.select_option("#speed", "0.75")
    assert page.evaluate("() => document.getElementById('player').playbackRate") == 0.75
    tab.assert_no_console_errors()


def test_copy_link_puts_the_moment_on_the_clipboard(tab: BrowserPage, live_server: LiveServer) -> None:
    page = tab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = open_page(tab, live_server, "demo-001")
    page.click("#seg-6 button.copy-link")
    page.wait_for_function("() => document.querySelector('#seg-6 .copy-label').textContent === 'Copied'")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == live_server.testimony_url("demo-001", "?t=35.64")
    tab.assert_no_console_errors()


def test_chapter_changes_are_announced_but_lines_are_not(tab: BrowserPage, live_server: LiveServer) -> None:
    page = open_page(tab, live_server, "demo-001")
    page.evaluate("""() => {
        window.announcements = [];
        new MutationObserver(() => {
            const text = document.getElementById('announcer').textContent;
            if (text) window.announcements.push(text);
        }).observe(document.getElementById('announcer'), {childList: true, characterData: true, subtree: true});
    }""")
    # Play across a line boundary inside chapter 1: nothing is announced.
    page.evaluate("() => { const p = document.getElementById('player'); p.currentTime = 5.0; return p.play(); }")
    page.wait_for_function("() => document.getElementById('player').currentTime > 6.6")
    assert current_line(page) == "seg-2"
    assert page.evaluate("() => window.announcements") == []
    # Crossing into chapter 2 is announced once.
    page.evaluate("() => { document.getElementById('player').currentTime = 18.3; }")
    page.wait_for_function("() => window.announcements.length > 0")
    page.evaluate("() => document.getElementById('player').pause()")
    assert page.evaluate("() => window.announcements") == ["Chapter 2: Conscription in the famine years"]
    # "Where am I?" answers when asked.
    page.click("#where-am-i")
    page.wait_for_function("() => window.announcements.length > 1")
    assert page.evaluate("() => window.announcements[1]").startswith("Paused at 0:1")
    # ... and a sighted visitor sees the answer under the player.
    assert page.is_visible("#where-out") and page.inner_text("#where-out").startswith("Paused at 0:1")
    tab.assert_no_console_errors()


def test_play_button_on_the_hear_page_starts_the_recording(tab: BrowserPage, live_server: LiveServer) -> None:
    page = tab.page
    page.goto(f"{live_server.url}/hear/")
    cards = page.locator(".listen-card")
    assert cards.count() == 5  # demo-001, -002, -004, -005 and -006; nothing hidden, no profile
    assert "라남" not in page.content()
    assert page.locator(".listen-card", has_text="Pak Un-sim").count() == 1
    page.locator(".listen-card", has_text="Han Song-il").locator("a.play-button").click()
    page.wait_for_url("**/testimonies/*?autoplay=1#listen")
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.wait_for_function("() => document.getElementById('player').currentTime > 0.5")
    assert page.is_hidden("#autoplay-note")
    page.goto(f"{live_server.url}/hear/?country=mongolia")
    assert page.locator(".listen-card").count() == 1
    tab.assert_no_console_errors()


def test_without_javascript_the_page_is_a_readable_transcript(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.testimony_url("demo-001", "?t=50"))
        assert page.locator("#player[controls]").count() == 1
        assert page.is_hidden("#transcript-search")
        assert page.is_hidden("#player-tools")
        assert page.locator("#transcript li.line a.time").count() == 12
        assert page.get_attribute("#seg-8", "aria-current") == "true"
        page.click("#seg-10 a.time")
        page.wait_for_url("**?t=64.75#seg-10")
    finally:
        context.close()


def test_time_codes_are_read_and_shown_with_hours(tab: BrowserPage, live_server: LiveServer) -> None:
    """static/js/player/timecode.js, the one JavaScript place for time codes: #t= in H:MM:SS, M:SS or seconds,
    and moments shown as M:SS, or H:MM:SS from an hour on (as the server's clock and parse_start)."""
    page = open_page(tab, live_server, "demo-001", "#t=0:01:05")
    wait_for_time_near(page, 65, 0.3)
    assert current_line(page) == "seg-10"
    # The line's copy button says which moment it links to (64.75 s, rounded down).
    assert page.text_content("#seg-10 button.copy-link .visually-hidden") == " to 1:04"
    # A new #t= seeks in place.
    page.evaluate("() => { window.location.hash = '#t=1:23'; }")
    wait_for_time_near(page, 83, 0.5)
    codes = page.evaluate("""async () => {
        const { clock, parseTime, hashTime, secondsParam } = await import('/static/js/player/timecode.js');
        return {
            clocks: [0, 59.99, 65, 599, 3600, 3723.9, 36000, -4, null].map(clock),
            parsed: ['1:02:03', '62:03', '3723', '83.5s', '0:01:05', '1:2x', '-5', '1::3', ''].map(parseTime),
            hashes: ['#t=1%3A02%3A03', '#x=1&t=65', '#seg-3', '#t=soon'].map(hashTime),
            params: [35.6449, 12, 0.005, -3].map(secondsParam),
        };
    }""")
    assert codes["clocks"] == ["0:00", "0:59", "1:05", "9:59", "1:00:00", "1:02:03", "10:00:00", "0:00", "0:00"]
    assert codes["parsed"] == [3723, 3723, 3723, 83.5, 65, None, None, None, None]
    assert codes["hashes"] == [3723, 65, None, None]
    assert codes["params"] == ["35.64", "12", "0.01", "0"]
    tab.assert_no_console_errors()


@pytest.mark.parametrize("blocked", ["player/sync.js", "player/timecode.js"])
def test_a_player_module_that_fails_to_load_leaves_the_plain_page(tab: BrowserPage, live_server: LiveServer,
                                                                  blocked: str) -> None:
    """Progressive enhancement: when one of the player's modules does not arrive, none of them runs, and the
    page is what it is without JavaScript (native player with its controls, plain ?t= links), never half-wired.
    The timeline needs only timecode.js and messages.js: without sync.js it still seeks, by itself."""
    page = tab.page
    page.route(f"**/static/js/{blocked}", lambda route: route.abort())
    page.goto(live_server.testimony_url("demo-002", "?t=50"))
    page.wait_for_function(READY)
    page.wait_for_load_state("networkidle")
    assert page.locator("button.copy-link").count() == 0
    assert page.locator("#transcript li.line[tabindex]").count() == 0
    assert page.is_hidden("#player-tools") and page.is_hidden("#transcript-search")
    # The native player starts where ?t= asked (its media fragment) and plays from the keyboard.
    assert page.locator("#player[controls]").count() == 1
    wait_for_time_near(page, 50, 0.5)
    page.focus("#player")
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.wait_for_function("() => document.getElementById('player').currentTime > 50.5")
    page.evaluate("() => document.getElementById('player').pause()")
    if blocked == "player/timecode.js":
        assert page.is_hidden("#timeline")
    else:
        page.wait_for_function("() => { const t = document.getElementById('timeline'); return t && !t.hidden; }")
        box = page.locator("#timeline .timeline-track").bounding_box()
        page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + box["height"] / 2)
        page.wait_for_function("() => Math.abs(document.getElementById('player').currentTime"
                               " - 0.25 * document.getElementById('player').duration) < 2")
    # A line's time is a plain link to that moment.
    link = page.locator("#transcript li.line:not(.withheld) a.time").nth(3)
    href = link.get_attribute("href") or ""
    link.click()
    page.wait_for_url(lambda url: url.endswith(href))
    assert tab.errors and all(blocked in error for error in tab.errors), tab.errors  # only the blocked file


def test_on_a_phone_the_side_column_is_part_of_the_page(browser: Any, live_server: LiveServer) -> None:
    """At 360 px the player, chapters, search and downloads scroll with the page: no box of their own that
    would cut the downloads off (on a wide screen the column is sticky and scrolls by itself)."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, base_url=live_server.url,
                                  is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(live_server.testimony_url("demo-001"))
        page.wait_for_function(READY)
        side = page.evaluate("() => { const s = document.querySelector('.listen-side');"
                             " return {scroll: s.scrollHeight, client: s.clientHeight}; }")
        assert side["scroll"] <= side["client"] + 1, side
        downloads = page.locator("section.downloads a").last
        downloads.scroll_into_view_if_needed()
        assert downloads.is_visible()
        # Nothing covers it: the point in the middle of its first line is the link itself.
        assert page.evaluate("(e) => { const r = e.getClientRects()[0];"
                             " return e.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)); }",
                             downloads.element_handle())
    finally:
        context.close()
