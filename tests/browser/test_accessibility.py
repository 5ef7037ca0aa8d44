"""Accessibility in real Chromium: axe-core (WCAG 2.0/2.1/2.2 A and AA) on every page, in both languages,
plus a keyboard-only walk through the listening page and checks of its live region and captions.

axe-core is pinned in tests/browser/axe/package-lock.json (`npm ci --prefix tests/browser/axe`). Without
it the axe checks are skipped locally and fail under CI=true, like a missing Chromium.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive.core.extensions import db
from tests.conftest import PASSWORD

LiveServer = BrowserPage = Any  # fixtures from tests/browser/conftest.py

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
LANGS = ["en", "ko"]
READY = "() => { const p = document.getElementById('player'); return p && p.readyState >= 1; }"
PUBLIC_DEMO = ["demo-thae-yong-ho", "demo-001", "demo-002", "demo-004", "demo-005", "demo-006"]
CURATOR_EMAIL = "a11y-curator@example.org"
ADMIN_EMAIL = "a11y-admin@example.org"


def _axe_path() -> Path:
    if not AXE.is_file():
        problem = f"axe-core not installed at {AXE} (run: npm ci --prefix tests/browser/axe)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"accessibility tests cannot run under CI: {problem}", pytrace=False)
        pytest.skip(f"accessibility tests skipped: {problem}")
    return AXE


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> dict[str, Any]:
    """Staff accounts and the ids the page list needs, read from the demo collection."""
    from archive.models import Narrator, Segment, Testimony
    from archive.accounts import users as user_service

    with live_server.app.app_context():
        user_service.create_user(CURATOR_EMAIL, PASSWORD, "curator")
        user_service.create_user(ADMIN_EMAIL, PASSWORD, "admin")
        t = db.session.get(Testimony, live_server.ids["demo-001"])
        assert t is not None
        segment = db.session.scalars(select(Segment).where(Segment.testimony_id == t.id)
                                     .order_by(Segment.position)).first()
        narrator = db.session.scalars(select(Narrator).order_by(Narrator.id)).first()
        data = {"narrator_id": t.narrator_id, "testimony_id": t.id, "segment_id": segment.id if segment else None,
                "any_narrator_id": narrator.id if narrator else t.narrator_id,
                "has_themes": any(rule.endpoint.startswith("themes.") for rule in live_server.app.url_map.iter_rules())}
        db.session.remove()
    return data


def public_pages(server: LiveServer, world: dict[str, Any]) -> list[str]:
    pages = ["/", "/hear/", "/hear/?topic=famine", "/testimonies/", f"/narrators/{world['narrator_id']}",
             "/search?q=China", "/search?q=famine&sort=date", "/search?q=zzqxvnotaword", '/search?q=%22unclosed+(+AND',
             "/search?q=tag%3A+year%3Aabc", "/statistics", "/routes", "/places/", "/places/north-hamgyong",
             "/places/yodok-kwalliso-15", "/no-such-page", "/testimonies/999999", "/account/login", "/account/register"]
    pages += [f"/testimonies/{server.ids[e]}" for e in PUBLIC_DEMO if e in server.ids]
    # A search's words marked on the listening page, chips, a run did-you-mean, no results at all.
    pages += [f"/testimonies/{server.ids['demo-002']}?q=%EC%B2%AD%EC%A7%84", "/search?q=grew&language=en&tag=famine",
              "/search?q=conscrpt", "/search?q=famine&tag=prison&language=ko"]
    pages.append(f"/embed/testimonies/{server.ids['demo-001']}")  # the embeddable player (other sites frame it)
    if world["has_themes"]:
        pages.append("/themes/")
    return pages


def staff_pages(world: dict[str, Any]) -> list[str]:
    t = world["testimony_id"]
    pages = ["/curate/", "/curate/narrators/new", f"/curate/narrators/{world['narrator_id']}", "/curate/testimonies/new",
             f"/curate/testimonies/{t}", f"/curate/testimonies/{t}/withdraw", f"/curate/testimonies/{t}/delete",
             f"/testimonies/{t}", "/account/password", "/curate/fixity/"]
    if world["segment_id"]:
        pages.append(f"/curate/testimonies/{t}/segments/{world['segment_id']}")
    if world["has_themes"]:
        pages += ["/curate/themes/", "/curate/themes/north-korea-in-brief", "/curate/themes/new"]
    return pages


ADMIN_PAGES = ["/admin/users", "/admin/audit", "/statistics/admin"]


def _login(page: Any, email: str) -> None:
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/account/login" not in page.url, f"could not log in as {email}"


@pytest.fixture(scope="module")
def axe_contexts(browser: Any, live_server: LiveServer, world: dict[str, Any]) -> Iterator[Any]:
    """One browser context per (role, language), made on first use. CSP is bypassed so axe can be injected."""
    contexts: dict[tuple[str, str], Any] = {}

    def get(role: str, lang: str) -> Any:
        key = (role, lang)
        if key not in contexts:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url,
                                          bypass_csp=True)
            context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
            preload_axe(context)
            page = context.new_page()
            page.set_default_timeout(15000)
            if role != "anonymous":
                _login(page, CURATOR_EMAIL if role == "curator" else ADMIN_EMAIL)
            contexts[key] = page
        return contexts[key]

    yield get
    for page in contexts.values():
        page.context.close()


def preload_axe(context: Any) -> None:
    """Give every page the context opens axe-core before its own scripts run (top frame only, as a script
    tag would), so a sweep over many pages does not send the 550 KB script to each one again."""
    if AXE.is_file():
        context.add_init_script(script="if (window === window.top) {\n" + AXE.read_text(encoding="utf-8") + "\n}")


def run_axe(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.add_script_tag(path=str(_axe_path()))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                          html: n.html.slice(0, 200)}))}));
        }""", WCAG_TAGS)


def axe_into(page: Any, label: str, failures: list[str]) -> None:
    """Run axe on the page as it is now and add what it finds, described under `label`, to `failures`."""
    violations = run_axe(page)
    if violations:
        failures.append(describe(label, violations))


def describe(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} axe violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:4]:
            lines.append(f"    at {node['target']}: {node['html']}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
        if len(v["nodes"]) > 4:
            lines.append(f"    … and {len(v['nodes']) - 4} more node(s)")
    return "\n".join(lines)


def check(page: Any, path: str, failures: list[str]) -> None:
    """Run axe on one page; describe its violations in failures."""
    page.goto(path)
    page.wait_for_load_state()
    if page.locator("#player").count():
        page.wait_for_function(READY)
    violations = run_axe(page)
    if violations:
        failures.append(describe(path, violations))


def test_the_sweep_s_axe_is_there_before_the_page_and_finds_a_violation(axe_contexts: Any) -> None:
    """The control for the sweeps below: the axe preloaded into their pages runs and reports what it sees."""
    _axe_path()
    page = axe_contexts("anonymous", "en")
    page.goto("/")
    assert page.evaluate("() => typeof window.axe.run") == "function"
    failures: list[str] = []
    page.evaluate("() => { const img = document.createElement('img'); img.src = 'data:,';"
                  " document.querySelector('main').append(img); }")
    axe_into(page, "home with an image without alt text", failures)
    assert len(failures) == 1 and "image-alt" in failures[0], failures


@pytest.mark.parametrize("lang", LANGS)
def test_public_pages_have_no_axe_violations(axe_contexts: Any, live_server: LiveServer, world: dict[str, Any],
                                             lang: str) -> None:
    _axe_path()
    page = axe_contexts("anonymous", lang)
    failures = []
    for path in public_pages(live_server, world):
        check(page, path, failures)
    # Search with results, facets and a facet chosen.
    page.goto("/search?q=China")
    assert page.locator("ol.result-list > li").count() >= 2, "the search page should show results"
    facet_links = page.eval_on_selector_all("aside.facets a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert facet_links, "the search page should offer facets"
    check(page, facet_links[0], failures)
    assert page.locator("aside.facets [aria-current=true]").count() >= 1
    if world["has_themes"]:
        page.goto("/themes/")
        theme_links = page.eval_on_selector_all("main a[href^='/themes/']", "els => els.map(e => e.getAttribute('href'))")
        theme_pages = sorted({h for h in theme_links if h.rstrip("/") != "/themes"})
        assert theme_pages, "the themes index links to no theme page"
        for path in theme_pages[:3]:
            check(page, path, failures)
    # The listening page with its settings open and "Where am I?" answered on screen, a searched moment marked.
    page.goto(live_server.testimony_url("demo-001", "?t=4.98&q=Wonsan"))
    page.wait_for_function(READY)
    page.click("#player-settings > summary")
    page.click("#where-am-i")
    page.wait_for_selector("#where-out", state="visible")
    violations = run_axe(page)
    if violations:
        failures.append(describe("listening page, settings open, where-am-i shown, search marked", violations))
    # At 360 px: the phone layouts (docked player, filters behind a button, charts in their own scroll).
    page.set_viewport_size({"width": 360, "height": 800})
    try:
        for path in ("/", "/statistics", live_server.testimony_url("demo-001")):
            check(page, path, failures)
        page.goto("/search?q=China&tag=border-crossing")
        page.click("#filters > summary")
        violations = run_axe(page)
        if violations:
            failures.append(describe("search at 360 px, filters open, one chosen", violations))
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("lang", LANGS)
def test_curator_pages_have_no_axe_violations(axe_contexts: Any, world: dict[str, Any], lang: str) -> None:
    _axe_path()
    page = axe_contexts("curator", lang)
    failures = []
    for path in staff_pages(world):
        check(page, path, failures)
    # A form sent back with errors: the messages are tied to their fields.
    page.goto("/curate/narrators/new")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    invalid = page.locator("main [aria-invalid=true]")
    assert invalid.count() >= 1, "an empty narrator form should mark at least one field invalid"
    for i in range(invalid.count()):
        described = invalid.nth(i).get_attribute("aria-describedby") or ""
        assert described, "an invalid field has no aria-describedby"
        for ref in described.split():
            assert page.locator(f"[id='{ref}']").count() == 1, f"aria-describedby points at a missing id {ref}"
    violations = run_axe(page)
    if violations:
        failures.append(describe("narrator form with errors", violations))
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("lang", LANGS)
def test_admin_pages_have_no_axe_violations(axe_contexts: Any, lang: str) -> None:
    _axe_path()
    page = axe_contexts("admin", lang)
    failures = []
    for path in ADMIN_PAGES:
        check(page, path, failures)
    assert not failures, "\n\n".join(failures)


# ---------------------------------------------------------------- without axe: the listening page by keyboard


def _open(tab: BrowserPage, server: LiveServer, external_id: str = "demo-001") -> Any:
    page = tab.page
    page.goto(server.testimony_url(external_id))
    page.wait_for_function(READY)
    return page


def _active(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => { const e = document.activeElement;
        const style = getComputedStyle(e);
        return {tag: e.tagName.toLowerCase(), id: e.id, cls: e.className || '', focusVisible: e.matches(':focus-visible'),
                outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2}; }""")


def _tab_until(page: Any, predicate: str, limit: int = 200) -> dict[str, Any]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate):
            return _active(page)
    raise AssertionError(f"Tab never reached an element matching {predicate}")


def test_skip_link_is_first_visible_on_focus_and_moves_focus_to_main(tab: BrowserPage) -> None:
    page = tab.page
    page.goto("/")
    page.keyboard.press("Tab")
    active = _active(page)
    assert active["cls"] == "skip-link" and active["focusVisible"] and active["outline"]
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0 and box["width"] > 20, "skip link is off screen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tab.assert_no_console_errors()


def test_listening_page_works_by_keyboard_alone(tab: BrowserPage, live_server: LiveServer) -> None:
    page = _open(tab, live_server)
    # Tab to the media element, start it with the keyboard (space toggles a focused native player).
    active = _tab_until(page, "document.activeElement.id === 'player'")
    assert active["focusVisible"] and active["outline"], "the player has no visible focus"
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.getElementById('player').paused")
    # Arrow keys seek the focused player.
    before = float(page.evaluate("document.getElementById('player').currentTime"))
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(t) => document.getElementById('player').currentTime >= t + 4", arg=before)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("(t) => document.getElementById('player').currentTime < t + 2", arg=before)
    # The speed control is reachable and labelled.
    active = _tab_until(page, "document.activeElement.id === 'speed'")
    assert active["focusVisible"] and active["outline"]
    page.keyboard.press("End")  # the fastest speed
    assert page.evaluate("document.getElementById('player').playbackRate") > 1
    # A chapter by keyboard.
    active = _tab_until(page, "document.activeElement.classList.contains('chapter')")
    assert active["focusVisible"] and active["outline"]
    chapter_start = float(page.evaluate("parseFloat(document.activeElement.dataset.start)"))
    page.keyboard.press("Enter")
    page.wait_for_function("(t) => Math.abs(document.getElementById('player').currentTime - t) < 1.5", arg=chapter_start)
    page.evaluate("document.getElementById('player').pause()")
    # A transcript line: Tab to it, arrow down to another one, Enter seeks there.
    active = _tab_until(page, "document.activeElement.matches('li.line[tabindex]')")
    assert active["focusVisible"] and active["outline"], "a transcript line has no visible focus"
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    target = page.evaluate("document.activeElement.id")
    start = float(page.evaluate("parseFloat(document.activeElement.dataset.start)"))
    assert target.startswith("seg-")
    page.keyboard.press("Enter")
    page.wait_for_function("(t) => Math.abs(document.getElementById('player').currentTime - t) < 1.5", arg=start)
    assert page.get_attribute(f"#{target}", "aria-current") == "true"
    focused = _active(page)
    assert focused["id"] == target and focused["focusVisible"] and focused["outline"]
    tab.assert_no_console_errors()


WATCH_LIVE_REGION = """() => {
    window.__announcements = [];
    new MutationObserver(() => { const t = document.getElementById('announcer').textContent;
                                 if (t) window.__announcements.push(t); })
        .observe(document.getElementById('announcer'), {childList: true, characterData: true, subtree: true});
    window.__timeupdates = 0;
    window.__lines = new Set();
    document.getElementById('player').addEventListener('timeupdate', () => {
        window.__timeupdates += 1;
        const line = document.querySelector('#transcript li[aria-current="true"]');
        if (line) window.__lines.add(line.id);
    });
}"""


def _play_across_chapter(page: Any, chapter: int) -> dict[str, Any]:
    """Play from 2 s before a chapter starts until 2 s into it; what did the live region say meanwhile?"""
    start = float(page.locator("a.chapter").nth(chapter).get_attribute("data-start") or 0)
    page.evaluate("""(t) => { const p = document.getElementById('player'); p.pause(); p.currentTime = t;
                              window.__announcements = []; window.__timeupdates = 0; window.__lines = new Set(); }""",
                  max(0.0, start - 2))
    page.wait_for_timeout(300)  # let the seek settle; it is not part of the playback being observed
    page.evaluate("() => { window.__announcements = []; return document.getElementById('player').play(); }")
    page.wait_for_function("(t) => document.getElementById('player').currentTime > t", arg=start + 2, timeout=30000)
    page.evaluate("document.getElementById('player').pause()")
    return page.evaluate("() => ({said: window.__announcements, timeupdates: window.__timeupdates,"
                         " lines: window.__lines.size})")


def test_live_region_is_quiet_during_playback(tab: BrowserPage, live_server: LiveServer) -> None:
    page = _open(tab, live_server)
    live = page.locator("#announcer")
    assert live.get_attribute("aria-live") == "polite" and live.get_attribute("aria-atomic") == "true"
    assert page.locator("a.chapter").count() >= 3
    page.evaluate(WATCH_LIVE_REGION)
    # Playback across several lines and a chapter change: one announcement, for the chapter, none per line
    # or per timeupdate.
    spoken = _play_across_chapter(page, 1)
    assert spoken["timeupdates"] >= 8 and spoken["lines"] >= 2, spoken
    assert len(spoken["said"]) == 1 and spoken["said"][0].startswith("Chapter 2"), spoken
    # The helpers sit in a closed "Listening settings" disclosure, which opens from the keyboard.
    assert page.locator("#player-settings #announce-chapters").count() == 1
    assert page.locator("#player-settings #follow").count() == 1
    assert not page.is_visible("#announce-chapters") and page.is_visible("#where-am-i")
    page.focus("#player-settings > summary")
    page.keyboard.press("Enter")
    page.wait_for_selector("#announce-chapters", state="visible")
    # With chapter announcements turned off, playback says nothing at all; the choice is remembered.
    page.uncheck("#announce-chapters")
    quiet = _play_across_chapter(page, 2)
    assert quiet["timeupdates"] >= 8 and quiet["lines"] >= 2, quiet
    assert quiet["said"] == [], quiet
    page.reload()
    page.wait_for_function(READY)
    assert not page.is_checked("#announce-chapters")
    # Asking "Where am I?" is an explicit request: it is answered.
    page.click("#where-am-i")
    page.wait_for_function("() => /at \\d+:\\d\\d/.test(document.getElementById('announcer').textContent)")
    tab.assert_no_console_errors()


def test_every_public_recording_has_captions(tab: BrowserPage, live_server: LiveServer) -> None:
    page = tab.page
    checked = 0
    for external_id in PUBLIC_DEMO:
        page.goto(live_server.testimony_url(external_id))
        if not page.locator("#player").count():
            continue
        checked += 1
        track = page.locator("#player track[kind=captions]")
        assert track.count() == 1, f"{external_id}: the recording has no captions track"
        src = track.get_attribute("src") or ""
        assert re.search(r"/transcript\.vtt$", src), src
        assert track.get_attribute("label"), f"{external_id}: the captions track has no label"
        response = page.request.get(src)
        assert response.status == 200 and response.text().startswith("WEBVTT"), external_id
        assert "-->" in response.text()
    assert checked >= 3, "expected several public recordings in the demo collection"
    tab.assert_no_console_errors()


def test_charts_have_text_alternatives_and_data_tables(tab: BrowserPage) -> None:
    page = tab.page
    page.goto("/statistics")
    charts = page.locator("svg.chart")
    assert charts.count() >= 5
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart_id = chart.get_attribute("id")
        assert chart.get_attribute("role") in {"img", "group", "figure", "graphics-document"}, chart_id
        # The accessible name and description come from the chart's own <title> and <desc>.
        refs = (chart.get_attribute("aria-labelledby") or "").split()
        assert refs == [f"{chart_id}-title", f"{chart_id}-desc"], chart_id
        for ref in refs:
            text = page.evaluate("(r) => { const e = document.getElementById(r); return e ? e.textContent.trim() : ''; }", ref)
            assert len(text) > 10, f"{chart_id}: {ref} is empty"
        # The same figures as a real table, in a keyboard-scrollable, labelled region.
        table = page.locator(f"table#{chart_id}-table")
        assert table.count() == 1, f"{chart_id}: no data table"
        assert table.locator("th[scope]").count() >= 2, chart_id
        region = page.locator(f".table-scroll:has(table#{chart_id}-table)")
        assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-label"), chart_id
    tab.assert_no_console_errors()


def test_player_wording_is_in_the_page_language_or_marked_english(browser: Any, live_server: LiveServer) -> None:
    """WCAG 3.1.2: what the player's scripts write is in the interface language, or marked lang="en" when it is English."""
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies([{"name": "lang", "value": "ko", "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto(live_server.testimony_url("demo-001"))
        page.wait_for_function(READY)
        assert page.get_attribute("html", "lang") == "ko"
        label = page.locator("#seg-1 .copy-link .copy-label")
        if label.inner_text().strip() == "Copy link":
            assert label.get_attribute("lang") == "en"
        else:
            assert label.get_attribute("lang") is None
        page.click("#where-am-i")
        page.wait_for_function("() => document.getElementById('announcer').textContent.length > 0")
        # Each piece of the announcement is spoken in its own language: the wording in Korean (or marked English),
        # the English chapter title and transcript line of this English testimony marked lang="en".
        pieces = page.evaluate("""() => Array.from(document.getElementById('announcer').childNodes).map(n => ({
            text: n.textContent, lang: n.nodeType === 1 ? n.getAttribute('lang') : null}))""")
        text = "".join(p["text"] for p in pieces)
        assert re.search(r"\d+:\d\d", text), text
        wording = pieces[0]
        if wording["text"].startswith("Paused at"):
            assert wording["lang"] == "en", pieces
        else:
            assert wording["lang"] in (None, "ko"), pieces
        title = next(p for p in pieces if "Childhood in Wonsan" in p["text"])
        assert title["lang"] == "en", pieces
        line = next(p for p in pieces if "Thank you for agreeing" in p["text"])
        assert line["lang"] == "en", pieces
        # The speaker's role is said in the interface language (면담자, "Interviewer").
        role = next(p for p in pieces if "면담자" in p["text"])
        assert role["lang"] == "ko", pieces
    finally:
        context.close()


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.strip().lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_focus_rings_contrast_with_what_is_around_them(tab: BrowserPage) -> None:
    """WCAG 1.4.11: the focus indicator has 3:1 against the page, the cards, the current line and the header."""
    page = tab.page
    page.goto("/")
    palette = page.evaluate("""() => { const s = getComputedStyle(document.documentElement);
        const v = (n) => s.getPropertyValue(n).trim();
        return {focus: v('--focus'), dark: v('--focus-on-dark'), bg: v('--bg'), card: v('--card'),
                header: getComputedStyle(document.querySelector('.site-header')).backgroundColor}; }""")
    header = "#" + "".join(f"{int(n):02x}" for n in re.findall(r"\d+", palette["header"])[:3])
    for background in (palette["bg"], palette["card"], "#eef4fb", "#f4f2ec"):
        assert _contrast(palette["focus"], background) >= 3, (palette["focus"], background)
    assert _contrast(palette["dark"], header) >= 3, (palette["dark"], header)
    # And it is what a focused link actually shows, in the page and in the header.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert re.findall(r"\d+", ring)[:3] == [str(int(palette["dark"][i:i + 2], 16)) for i in (1, 3, 5)], ring
    page.locator("main a").first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert re.findall(r"\d+", ring)[:3] == [str(int(palette["focus"][i:i + 2], 16)) for i in (1, 3, 5)], ring
