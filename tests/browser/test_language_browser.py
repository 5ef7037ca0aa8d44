"""The language switch in real Chromium: the header link switches, comes back and is remembered."""
from __future__ import annotations

from typing import Any

import pytest

BrowserPage = LiveServer = Any  # fixtures from tests/browser/conftest.py

pytestmark = pytest.mark.browser

READY = "() => { const p = document.getElementById('player'); return p && p.readyState >= 1; }"


def test_switch_to_korean_and_back(tab: BrowserPage, live_server: LiveServer) -> None:
    page = tab.page
    page.goto(live_server.testimony_url("demo-001", "?t=5"))
    assert page.get_attribute("html", "lang") == "en"
    page.click(".language-switch a[hreflang=ko]")
    page.wait_for_function("() => document.documentElement.lang === 'ko'")
    assert page.url == live_server.testimony_url("demo-001", "?t=5")  # back on the same page and moment
    assert page.inner_text("#transcript-heading") == "녹취록"
    # The player's own messages are Korean too.
    page.wait_for_function(READY)
    page.fill("#transcript-query", "foggy")
    page.wait_for_function("() => document.getElementById('search-count').textContent === '1줄에서 1건 일치'")
    assert page.get_attribute("#search-count", "lang") is None
    # The choice is remembered on every page, then undone the same way.
    page.goto(f"{live_server.url}/statistics")
    assert page.get_attribute("html", "lang") == "ko"
    assert page.inner_text("h1") == "한국의 북한이탈주민: 공식 통계"
    page.click(".language-switch a[hreflang=en]")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert page.url == f"{live_server.url}/statistics"
    assert "official figures" in page.inner_text("h1")
    tab.assert_no_console_errors()
