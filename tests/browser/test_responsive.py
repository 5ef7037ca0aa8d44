"""Responsive layout in real Chromium: no horizontal scrolling at 360 px, a sensible desktop layout at 1280 px.

Full-page screenshots of the main pages at both widths, in both interface languages, are written to
test-artifacts/screenshots/ (gitignored) for people to look at; the tests check that they exist and are
real, non-trivial PNGs.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import AXE, describe, run_axe

LiveServer = Any  # fixture from tests/browser/conftest.py

SHOTS = ARTIFACTS / "screenshots"
PHONE, DESKTOP = 360, 1280
READY = "() => { const p = document.getElementById('player'); return !p || p.readyState >= 1; }"
# Elements that must not stick out of the viewport at 360 px (tables scroll inside their own container).
OVERFLOW_PROBE = """(width) => {
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (e.closest('.table-scroll, .transcript, .skip-link, [hidden]')) continue;
        let clipped = false;  // inside a box that scrolls or clips sideways: that box is what counts
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
            const ox = getComputedStyle(a).overflowX;
            if (ox !== 'visible') { clipped = true; break; }
        }
        if (clipped) continue;
        if (r.right > width + 1 || r.left < -1) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
            + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')
            + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
    return out.slice(0, 15);
}"""


def pages(server: LiveServer) -> dict[str, str]:
    return {"home": "/", "hear": "/hear/", "testimonies": "/testimonies/", "search": "/search?q=China",
            "listening": server.testimony_url("demo-001"), "statistics": "/statistics", "routes": "/routes",
            "places": "/places/", "place": "/places/north-hamgyong", "login": "/account/login",
            "register": "/account/register", "not-found": "/no-such-page"}


SCREENSHOT_PAGES = ("home", "search", "listening", "statistics")


@pytest.fixture(scope="module")
def viewports(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A page per (width, language), made on first use."""
    made: dict[tuple[int, str], Any] = {}

    def get(width: int, lang: str) -> Any:
        if (width, lang) not in made:
            context = browser.new_context(viewport={"width": width, "height": 800}, base_url=live_server.url,
                                          is_mobile=width == PHONE, has_touch=width == PHONE)
            context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15000)
            made[(width, lang)] = page
        return made[(width, lang)]

    yield get
    for page in made.values():
        page.context.close()


def _open(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state()
    page.wait_for_function(READY)


def _png_size(path: Any) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_horizontal_scroll_at_360px(viewports: Any, live_server: LiveServer, lang: str) -> None:
    page = viewports(PHONE, lang)
    problems = []
    for name, path in pages(live_server).items():
        _open(page, path)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > PHONE:
            problems.append(f"{name} ({path}): scrollWidth {scroll_width} > {PHONE}; "
                            f"sticking out: {page.evaluate(OVERFLOW_PROBE, PHONE)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_phone_layout_stacks_and_wraps(viewports: Any, live_server: LiveServer, lang: str) -> None:
    page = viewports(PHONE, lang)
    # The navigation wraps inside the header; every item is on screen.
    _open(page, "/")
    for box in page.locator("header nav a").evaluate_all("els => els.map(e => e.getBoundingClientRect().right)"):
        assert box <= PHONE
    # Search: the facets fold behind a "Filters" button above the results, which open them in place.
    _open(page, "/search?q=China")
    button = page.locator("#filters > summary").bounding_box()
    results = page.locator("section.results").bounding_box()
    assert button and results and button["y"] + button["height"] <= results["y"] < 600
    assert not page.locator("section.facet").first.is_visible()
    page.click("#filters > summary")
    assert page.locator("section.facet").first.is_visible()
    # Listening page: the transcript comes right below the player, in the page's own scroll (no box scrolling
    # inside it), and the player's dock stays on screen while the transcript scrolls under it.
    _open(page, live_server.testimony_url("demo-001"))
    dock = page.locator("#player-dock").bounding_box()
    transcript = page.locator("#transcript").bounding_box()  # under the timeline and the transcript's search box
    assert dock and transcript and dock["y"] + dock["height"] - 1 <= transcript["y"] <= dock["y"] + dock["height"] + 360
    assert page.evaluate("() => { const t = document.getElementById('transcript');"
                         " return t.scrollHeight <= t.clientHeight + 1; }"), "the transcript scrolls in a box"
    tools = page.locator("#player-tools").bounding_box()
    assert tools and tools["x"] + tools["width"] <= PHONE
    page.locator("#seg-12").scroll_into_view_if_needed()
    page.wait_for_function("() => window.scrollY > 600")
    dock = page.locator("#player-dock").bounding_box()
    assert dock and -1 <= dock["y"] <= 1 and dock["height"] < 180, f"the player left the screen: {dock}"
    assert page.locator("#forward-15").is_visible() and page.locator("#back-15").is_visible()
    page.click("#forward-15")
    page.wait_for_function("() => Math.abs(document.getElementById('player').currentTime - 15) < 0.3")
    page.wait_for_function("() => document.getElementById('dock-chapter').textContent.startsWith('1. ')")
    # Statistics: wide data tables scroll inside their own box, not the page.
    _open(page, "/statistics")
    wrappers = page.locator(".table-scroll")
    assert wrappers.count() >= 1
    for i in range(wrappers.count()):
        box = wrappers.nth(i).bounding_box()
        assert box is None or box["x"] + box["width"] <= PHONE + 1


def test_desktop_layout_uses_the_width(viewports: Any, live_server: LiveServer) -> None:
    page = viewports(DESKTOP, "en")
    _open(page, live_server.testimony_url("demo-001"))
    side = page.locator(".listen-side").bounding_box()
    transcript = page.locator(".listen-transcript").bounding_box()
    assert side and transcript and transcript["x"] > side["x"] + side["width"] - 1, "player and transcript side by side"
    _open(page, "/search?q=China")
    facets = page.locator("aside.facets").bounding_box()
    results = page.locator("section.results").bounding_box()
    assert facets and results and results["x"] > facets["x"] + facets["width"] - 1, "facets beside the results"
    assert page.locator("section.facet").first.is_visible() and not page.locator("#filters > summary").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_screenshots_at_both_widths(viewports: Any, live_server: LiveServer, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    all_pages = pages(live_server)
    for width in (PHONE, DESKTOP):
        page = viewports(width, lang)
        for name in SCREENSHOT_PAGES:
            target = SHOTS / f"{name}-{width}-{lang}.png"
            target.unlink(missing_ok=True)
            _open(page, all_pages[name])
            page.screenshot(path=str(target), full_page=True)
            assert target.is_file(), target
            png_width, png_height = _png_size(target)
            assert png_width == width, f"{target}: {png_width} px wide, expected {width}"
            assert png_height >= 600, f"{target}: only {png_height} px tall"
            assert target.stat().st_size > 20_000, f"{target} is suspiciously small"


def test_staff_pages_fit_a_phone(browser: Any, live_server: LiveServer) -> None:
    """Curators sometimes work from a phone: their pages do not scroll sideways either (tables scroll inside)."""
    from archive.core.extensions import db
    from archive.accounts import users as user_service
    from tests.conftest import PASSWORD

    with live_server.app.app_context():
        user_service.create_user("phone-admin@example.org", PASSWORD, "admin")
        db.session.remove()
    context = browser.new_context(viewport={"width": PHONE, "height": 800}, base_url=live_server.url,
                                  is_mobile=True, has_touch=True, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/account/login")
        page.fill("input[name=email]", "phone-admin@example.org")
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        t = live_server.ids["demo-001"]
        problems = []
        for path in ["/curate/", "/curate/narrators/new", "/curate/testimonies/new", f"/curate/testimonies/{t}",
                     f"/curate/testimonies/{t}/withdraw", f"/curate/testimonies/{t}/delete", "/admin/users",
                     "/admin/audit", "/statistics/admin", "/curate/fixity/"]:
            page.goto(path)
            page.wait_for_load_state()
            assert "/account/login" not in page.url
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > PHONE:
                problems.append(f"{path}: scrollWidth {scroll_width}; sticking out: {page.evaluate(OVERFLOW_PROBE, PHONE)}")
            if AXE.is_file():  # the phone layout (scrolling tables) keeps its semantics and stays keyboard-usable
                violations = run_axe(page)
                if violations:
                    problems.append(describe(f"{path} at {PHONE} px", violations))
        assert not problems, "\n".join(problems)
    finally:
        context.close()


CHART_TEXT_PROBE = """() => {
    const out = {small: [], regions: [], captions: []};
    for (const svg of document.querySelectorAll('svg.chart')) {
        const region = svg.closest('.chart-scroll');
        if (!region || region.getAttribute('role') !== 'region' || region.tabIndex !== 0
            || !region.getAttribute('aria-label')) out.regions.push(svg.id);
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        for (const t of svg.querySelectorAll('text')) {
            const px = parseFloat(getComputedStyle(t).fontSize) * scale;
            if (px < 10.9) out.small.push(svg.id + ': "' + t.textContent + '" ' + px.toFixed(1) + ' px');
        }
    }
    for (const c of document.querySelectorAll('caption')) {
        const r = c.getBoundingClientRect();
        if (r.left < -1 || r.right > window.innerWidth + 1) out.captions.push(c.textContent.slice(0, 40));
    }
    return out;
}"""


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_statistics_charts_are_readable_on_a_phone(viewports: Any, live_server: LiveServer, lang: str) -> None:
    """Each chart keeps text of 11 px or more in its own labelled sideways scroll; table captions wrap on screen."""
    page = viewports(PHONE, lang)
    _open(page, "/statistics")
    found = page.evaluate(CHART_TEXT_PROBE)
    assert page.locator("svg.chart").count() >= 7
    assert not found["regions"], f"charts outside a focusable, labelled scroll region: {found['regions']}"
    assert not found["small"], "text under 11 px at 360 px:\n" + "\n".join(found["small"][:10])
    assert not found["captions"], f"table captions wider than the screen: {found['captions']}"
    assert page.locator(".scroll-hint").first.is_visible()
    region = page.locator(".chart-scroll").first
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.chart-scroll').scrollLeft > 0")
    # On a desktop the charts fit: no hint, no sideways scroll.
    desktop = viewports(DESKTOP, lang)
    _open(desktop, "/statistics")
    assert not desktop.locator(".scroll-hint").first.is_visible()
    assert desktop.evaluate("() => [...document.querySelectorAll('.chart-scroll')]"
                            ".every(r => r.scrollWidth <= r.clientWidth + 1)")
