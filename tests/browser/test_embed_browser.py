"""The embeddable player framed by another site, and clips (?t=START,END) there and on the listening page."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.browser.test_iiif_viewers import viewer_site  # noqa: F401 - the other site, a fixture

BrowserPage = LiveServer = Any  # fixtures from tests/browser/conftest.py

pytestmark = pytest.mark.browser

TESTIMONY = "demo-001"
PLAYER_READY = "() => { const p = document.getElementById('player'); return p && p.readyState >= 1; }"


def embed_src(server: LiveServer, query: str = "") -> str:
    return f"{server.url}/embed/testimonies/{server.ids[TESTIMONY]}{query}"


def framed(tab: BrowserPage, site: str, src: str) -> Any:
    """Open the other site's page framing `src`; the frame once its player knows the recording."""
    tab.page.goto(f"{site}/pages/embed.html?src={quote(src, safe='')}")
    frame = tab.page.frame_locator("#embedded")
    frame.locator("#player").wait_for(state="attached")
    inner = next(f for f in tab.page.frames if f.url.startswith(src.split("?")[0]))
    inner.wait_for_function(PLAYER_READY)
    return inner


def test_another_site_frames_the_player_and_the_transcript_follows(tab: BrowserPage, live_server: LiveServer,
                                                                   viewer_site: str) -> None:  # noqa: F811
    frame = framed(tab, viewer_site, embed_src(live_server))
    assert frame.locator("a.chapter").count() >= 2 and frame.locator("#transcript li.line").count() > 3
    start = float(frame.get_attribute("#seg-3", "data-start") or 0)
    frame.evaluate("(t) => { const p = document.getElementById('player'); p.muted = true; p.currentTime = t; "
                   "return p.play(); }", start + 0.3)
    frame.wait_for_function("() => document.querySelector('#seg-3[aria-current=\"true\"]') !== null")
    # A chapter link seeks in place (main.js), inside the frame.
    chapter = frame.locator("a.chapter").nth(1)
    target = float(chapter.get_attribute("data-start") or 0)
    chapter.click()
    frame.wait_for_function("(t) => Math.abs(document.getElementById('player').currentTime - t) < 1.5", arg=target)
    tab.assert_no_console_errors()


def test_a_clip_plays_its_stretch_and_stops_in_the_embed(tab: BrowserPage, live_server: LiveServer,
                                                          viewer_site: str) -> None:  # noqa: F811
    frame = framed(tab, viewer_site, embed_src(live_server, "?t=2,4.5"))
    frame.wait_for_function("() => Math.abs(document.getElementById('player').currentTime - 2) < 0.3")
    frame.evaluate("() => { const p = document.getElementById('player'); p.muted = true; return p.play(); }")
    frame.wait_for_function("() => document.getElementById('player').paused", timeout=15000)
    assert abs(float(frame.evaluate("() => document.getElementById('player').currentTime")) - 4.5) < 0.3
    tab.assert_no_console_errors()


@pytest.mark.parametrize(("width", "lang"), [(1280, "en"), (360, "en"), (1280, "ko"), (360, "ko")])
def test_a_clip_on_the_listening_page_stops_and_then_plays_on(tab: BrowserPage, live_server: LiveServer, width: int,
                                                              lang: str) -> None:
    page = tab.page
    page.set_viewport_size({"width": width, "height": 800 if width < 600 else 900})
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page.goto(live_server.testimony_url(TESTIMONY, "?t=1:00,1:03"))
    page.wait_for_function(PLAYER_READY)
    page.wait_for_function("() => Math.abs(document.getElementById('player').currentTime - 60) < 0.3")
    page.evaluate("() => { const p = document.getElementById('player'); p.muted = true; return p.play(); }")
    page.wait_for_function("() => document.getElementById('player').paused", timeout=15000)
    assert abs(float(page.evaluate("() => document.getElementById('player').currentTime")) - 63) < 0.3
    # Once stopped, the player is an ordinary one again: play goes on past the clip's end.
    page.evaluate("() => document.getElementById('player').play()")
    page.wait_for_function("() => document.getElementById('player').currentTime > 63.8", timeout=15000)
    assert page.evaluate("() => document.getElementById('player').paused") is False
    tab.assert_no_console_errors()


def test_copy_embed_code_on_the_listening_page(tab: BrowserPage, live_server: LiveServer) -> None:
    page = tab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.testimony_url(TESTIMONY))
    page.click("details.embed-code summary")
    page.click("#copy-embed-code")
    page.wait_for_function("() => document.getElementById('embed-code-status').textContent.length > 0")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.input_value("#embed-code")
    assert copied.startswith(f'<iframe src="{embed_src(live_server)}"')
    tab.assert_no_console_errors()


def test_other_pages_refuse_to_be_framed(tab: BrowserPage, live_server: LiveServer,
                                         viewer_site: str) -> None:  # noqa: F811
    page_url = live_server.testimony_url(TESTIMONY)
    tab.page.goto(f"{viewer_site}/pages/embed.html?src={quote(page_url, safe='')}")
    tab.page.wait_for_timeout(1500)
    frame = tab.page.frames[-1]
    assert frame.evaluate("() => document.getElementById('player')") is None  # nothing of the page was shown
    assert any("frame-ancestors" in error for error in tab.errors), tab.errors
