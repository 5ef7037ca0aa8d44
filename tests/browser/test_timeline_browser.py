"""The listening page's timeline in real Chromium: the public copy's waveform with its chapter markers and a gap
where the withheld passage is, in English and Korean, at phone and desktop widths; clicking it seeks; axe-clean;
nothing shown while the public copy is not ready.

Screenshots of the player with its timeline go to test-artifacts/screenshots/ (gitignored).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from archive.core.extensions import db
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import _axe_path, _login, describe, run_axe
from tests.conftest import PASSWORD

BrowserPage = LiveServer = Any  # fixtures from tests/browser/conftest.py

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "screenshots"
WIDTHS = {"phone": 360, "desktop": 1280}
DEMO = "demo-002"  # public, three chapters, one restricted passage (93.95–103.98 s)
WITHHELD = (93.95, 103.98)
CURATOR_EMAIL = "timeline-curator@example.org"
DRAWN = "() => { const t = document.getElementById('timeline'); return t && !t.hidden && t.querySelector('path'); }"
GEOMETRY = """() => {
    const track = document.querySelector('#timeline .timeline-track').getBoundingClientRect();
    const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left - track.left, width: r.width,
                                                                      title: e.title}; };
    return {
        track: {left: track.left, right: track.right, width: track.width, height: track.height},
        chapters: [...document.querySelectorAll('#timeline .timeline-chapter')].map(box),
        gaps: [...document.querySelectorAll('#timeline .timeline-gap')].map(box),
        starts: [...document.querySelectorAll('a.chapter[data-start]')].map((a) => parseFloat(a.dataset.start)),
        path: document.querySelector('#timeline path').getAttribute('d'),
        focusable: document.querySelectorAll('#timeline a, #timeline button, #timeline [tabindex]').length,
        hidden: document.getElementById('timeline').getAttribute('aria-hidden'),
        legend: document.querySelector('#timeline .timeline-legend').innerText,
        scrollWidth: document.documentElement.scrollWidth,
    };
}"""


@pytest.fixture(scope="module")
def duration(live_server: LiveServer) -> float:
    """The demo recording's length as its waveform gives it."""
    with live_server.app.test_client() as client:
        from archive.models import Testimony

        with live_server.app.app_context():
            t = db.session.get(Testimony, live_server.ids[DEMO])
            rec_id = t.recordings[0].id
            db.session.remove()
        body = client.get(f"/media/recordings/{rec_id}/waveform").get_json()
    assert body["ready"] and body["gaps"] == [{"start": WITHHELD[0], "end": WITHHELD[1]}], body.get("gaps")
    return float(body["duration"])


@pytest.fixture()
def page_at(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page at a width and in a language, CSP enforced, its console errors collected."""
    made: list[Any] = []

    def get(width: str, lang: str, bypass_csp: bool = False) -> tuple[Any, list[str]]:
        context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900}, base_url=live_server.url,
                                      is_mobile=width == "phone", has_touch=width == "phone", bypass_csp=bypass_csp)
        context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" and
                not str(m.location.get("url", "")).endswith("/favicon.ico") else None)
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        made.append(context)
        return page, errors

    yield get
    for context in made:
        context.close()


def _split_x(path: str) -> list[tuple[float, float]]:
    """Each closed shape of the waveform's path: its first and last x (seconds)."""
    shapes = []
    for shape in path.split("M")[1:]:
        xs = [float(point.split()[0]) for point in shape.rstrip("Z").split("L")]
        shapes.append((min(xs), max(xs)))
    return shapes


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_timeline_draws_chapters_and_a_gap_for_the_withheld_passage(page_at: Any, live_server: LiveServer,
                                                                    duration: float, lang: str, width: str) -> None:
    page, errors = page_at(width, lang)
    page.goto(live_server.testimony_url(DEMO))
    assert page.get_attribute("html", "lang") == lang
    page.wait_for_function(DRAWN)
    g = page.evaluate(GEOMETRY)
    track = g["track"]
    # It fits the width: nothing sticks out at 360 px, the track is as wide as the player.
    assert g["scrollWidth"] <= WIDTHS[width] and track["right"] <= WIDTHS[width] and track["width"] > 200
    assert track["height"] >= 40
    # A marker at every chapter of the page's chapter list, where its start falls on the track.
    assert len(g["starts"]) == 3 and len(g["chapters"]) == 3
    for start, marker in zip(g["starts"], g["chapters"]):
        assert marker["left"] == pytest.approx(start / duration * track["width"], abs=2.5)
    assert g["chapters"][1]["title"].startswith("Chapter 2: " if lang == "en" else "2장: ")
    # One gap, exactly over the withheld passage; the waveform is cut there (two shapes, none inside it).
    assert len(g["gaps"]) == 1
    gap = g["gaps"][0]
    assert gap["left"] == pytest.approx(WITHHELD[0] / duration * track["width"], abs=2.5)
    assert gap["width"] == pytest.approx((WITHHELD[1] - WITHHELD[0]) / duration * track["width"], abs=2.5)
    assert "1:33–1:43" in gap["title"]
    shapes = _split_x(g["path"])
    assert len(shapes) == 2
    assert shapes[0] == pytest.approx((0.0, WITHHELD[0]), abs=0.01)
    assert shapes[1] == pytest.approx((WITHHELD[1], duration), abs=0.01)
    # Decorative for assistive technology, with nothing to focus inside; the legend in the page's language.
    assert g["hidden"] == "true" and g["focusable"] == 0
    assert ("Withheld passage: silent" if lang == "en" else "비공개 대목: 무음") in g["legend"]
    assert ("Chapter start" if lang == "en" else "장 시작") in g["legend"]
    # Clicking (tapping) the timeline seeks the player, and the transcript follows.
    target = 0.7 * duration
    page.locator("#timeline .timeline-track").scroll_into_view_if_needed()
    box = page.locator("#timeline .timeline-track").bounding_box()
    x, y = box["x"] + 0.7 * box["width"], box["y"] + box["height"] / 2
    if width == "phone":
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)
    page.wait_for_function("(t) => Math.abs(document.getElementById('player').currentTime - t) < 1.5", arg=target)
    page.wait_for_function("() => document.querySelector('#transcript li[aria-current=\"true\"]') !== null")
    # The played part of the track follows the player.
    page.wait_for_function("(w) => Math.abs(document.querySelector('#timeline .timeline-played')"
                           ".getBoundingClientRect().width - w) < 0.03 * w", arg=0.7 * track["width"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    # On a phone the player's section is no box of its own (its dock sticks to the top of the screen).
    shot = "#player-section" if width != "phone" else "#timeline"
    page.locator(shot).screenshot(path=str(SHOTS / f"timeline-{lang}-{width}.png"))
    page.screenshot(path=str(SHOTS / f"timeline-page-{lang}-{width}.png"))
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_page_with_its_timeline_has_no_axe_violations(page_at: Any, live_server: LiveServer,
                                                          lang: str, width: str) -> None:
    _axe_path()
    page, _ = page_at(width, lang, bypass_csp=True)  # axe is injected as a script tag
    page.goto(live_server.testimony_url(DEMO))
    page.wait_for_function(DRAWN)
    violations = run_axe(page)
    assert not violations, describe(f"{DEMO} ({lang}, {width})", violations)


def test_nothing_is_shown_while_the_public_copy_is_not_ready(page_at: Any, live_server: LiveServer) -> None:
    """Staff hear the original while the copy is remade: the player is there, the timeline box is not."""
    from archive.models import PublicCopy, Testimony
    from archive.accounts import users as user_service

    with live_server.app.app_context():
        user_service.create_user(CURATOR_EMAIL, PASSWORD, "curator")
        t = db.session.get(Testimony, live_server.ids[DEMO])
        rec_id = t.recordings[0].id
        db.session.execute(update(PublicCopy).where(PublicCopy.recording_id == rec_id).values(state="running"))
        db.session.commit()
        db.session.remove()
    try:
        page, errors = page_at("desktop", "en")
        _login(page, CURATOR_EMAIL)
        with page.expect_response(lambda r: r.url.endswith(f"/media/recordings/{rec_id}/waveform")) as answer:
            page.goto(live_server.testimony_url(DEMO))
        assert json.loads(answer.value.body()) == {"recording": rec_id, "testimony": live_server.ids[DEMO],
                                                   "ready": False}
        page.wait_for_load_state("networkidle")
        assert page.is_visible("#player")
        assert page.get_attribute("#timeline", "hidden") is not None and not page.is_visible("#timeline")
        assert page.locator("#timeline .timeline-track > *").count() == 0
        assert errors == [], "\n".join(errors)
        # The public meanwhile gets the notice and no player at all.
        public, _ = page_at("desktop", "en")
        public.goto(live_server.testimony_url(DEMO))
        assert public.locator("#player").count() == 0 and public.locator("#timeline").count() == 0
    finally:
        with live_server.app.app_context():
            db.session.execute(update(PublicCopy).where(PublicCopy.recording_id == rec_id).values(state="ready"))
            db.session.commit()
            db.session.remove()
