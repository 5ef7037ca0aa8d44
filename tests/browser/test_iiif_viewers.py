"""Public IIIF manifests in real IIIF viewers, loaded cross-origin: the archive on one origin, the viewer on another.

The viewers come from npm, pinned in tests/browser/viewers/package-lock.json (`npm ci --prefix
tests/browser/viewers`, as .ci/run does); their pages are tests/browser/viewers/pages/*.html, served from
http://localhost:PORT while the archive answers on http://127.0.0.1:PORT, so every manifest, recording,
caption and thumbnail load is cross-origin (and cross-site), as on a real viewer's site.

Asserted in each viewer: no console error caused by the manifest or by anything it points to, the audio
plays, the chapters are listed and, where the viewer can, a chapter seeks. Where a viewer's own limits
block a check, the test says so (Mirador does not seek on time fragments).
"""
from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

BrowserPage = LiveServer = Any  # fixtures from tests/browser/conftest.py

pytestmark = pytest.mark.browser

VIEWERS = Path(__file__).parent / "viewers"
TESTIMONY = "demo-001"  # public, with chapters, captions and a Korean transcript


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture(scope="session")
def viewer_site() -> Iterator[str]:
    """tests/browser/viewers served on localhost at a free port (another origin than the archive's 127.0.0.1)."""
    if not (VIEWERS / "node_modules" / "universalviewer").is_dir():
        message = "IIIF viewers not installed: run npm ci --prefix tests/browser/viewers"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    handler = functools.partial(_QuietHandler, directory=str(VIEWERS))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="viewer-site", daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def manifest_url(server: LiveServer) -> str:
    return f"{server.url}/iiif/testimonies/{server.ids[TESTIMONY]}/manifest.json"


def chapter_titles(server: LiveServer) -> list[str]:
    from archive.core.extensions import db
    from archive.models import Testimony
    with server.app.app_context():
        t = db.session.get(Testimony, server.ids[TESTIMONY])
        titles = [c.title for c in sorted(t.chapters, key=lambda c: c.start)]
        db.session.remove()
    return titles


def chapter_starts(server: LiveServer) -> list[float]:
    from archive.core.extensions import db
    from archive.models import Testimony
    with server.app.app_context():
        t = db.session.get(Testimony, server.ids[TESTIMONY])
        starts = sorted(c.start for c in t.chapters)
        db.session.remove()
    return starts


def archive_errors(tab: BrowserPage, server: LiveServer) -> list[str]:
    """Console errors about the archive's resources (CORS, CORP, 404s of what the manifest points to)."""
    return [e for e in tab.errors if server.url in e or "NotSameOrigin" in e or "CORS" in e]


def open_viewer(tab: BrowserPage, site: str, page: str, server: LiveServer) -> Any:
    failed: list[str] = []
    # A media element aborts its own range requests when it seeks (net::ERR_ABORTED): that is no failure.
    tab.page.on("requestfailed", lambda request: failed.append(f"{request.url}: {request.failure}")
                if request.url.startswith(server.url) and "ERR_ABORTED" not in str(request.failure) else None)
    tab.page.on("response", lambda response: failed.append(f"{response.url}: HTTP {response.status}")
                if response.url.startswith(server.url) and response.status >= 400 else None)
    tab.page.goto(f"{site}/pages/{page}?manifest={quote(manifest_url(server), safe='')}")
    tab.page.wait_for_function("() => document.querySelector('audio, video') !== null", timeout=30000)
    return failed


def play(page: Any, selector: str = "audio, video") -> None:
    """Start the media element and wait until its clock moves."""
    page.evaluate(f"() => {{ const m = document.querySelector('{selector}'); m.muted = true; return m.play(); }}")
    page.wait_for_function(f"() => document.querySelector('{selector}').currentTime > 0.5", timeout=20000)


def media_time(page: Any) -> float:
    return float(page.evaluate("() => document.querySelector('audio, video').currentTime"))


def test_universal_viewer_plays_and_seeks_by_chapter(tab: BrowserPage, live_server: LiveServer,
                                                     viewer_site: str) -> None:
    """UV's Play button starts the recording; UV lists the chapters under the root Range in its Index tab and
    seeks on a click.

    UV's own limit: it shows no transcript or captions for audio (so there is nothing of them to assert).
    That the audio decodes and its clock moves is asserted in Mirador and Ramp (same manifest, same file): in
    UV on a loaded machine Chromium's media clock has stalled at 0:00 while UV showed it playing (twice in
    about six runs), which is the browser's pipeline, not the manifest.
    """
    failed = open_viewer(tab, viewer_site, "uv.html", live_server)
    page = tab.page
    media = "document.querySelector('audio, video')"
    # UV's Play button works once its player has the media's metadata (a click before that can be lost).
    page.wait_for_function(f"() => {{ const m = {media}; return m && m.readyState >= 1; }}", timeout=30000)
    if page.evaluate(f"() => {media}.paused"):  # (UV may have started it itself)
        page.click("button[title='Play']")
    page.wait_for_function(f"() => !{media}.paused", timeout=30000)
    titles, starts = chapter_titles(live_server), chapter_starts(live_server)
    page.click("text=Index")
    listed = page.eval_on_selector_all(".tree a", "links => links.map(a => a.innerText.trim())")
    assert listed[0] in ("Chapters", "장") and listed[1:] == titles  # the root Range, then each chapter
    page.locator(".tree a", has_text=titles[-1]).click()
    page.wait_for_function("(t) => Math.abs(document.querySelector('audio, video').currentTime - t) < 1.5",
                           arg=starts[-1], timeout=15000)
    # The waveform thumbnail reached the thumbnails tab (no 404 for a thumbnail UV would otherwise derive).
    assert failed == []
    assert archive_errors(tab, live_server) == []


def test_mirador_plays_and_lists_the_chapters(tab: BrowserPage, live_server: LiveServer, viewer_site: str) -> None:
    """Mirador lists the root Range and its chapters in its Index panel and plays the recording.

    Mirador's own limits (4.0): a chapter click does not seek the media (it only selects the canvas, and every
    chapter of a one-canvas recording is on that canvas), and its audio element loads the captions track
    without CORS (no ``crossorigin``), which browsers refuse for any cross-origin track: neither is checked.
    """
    failed = open_viewer(tab, viewer_site, "mirador.html", live_server)
    page = tab.page
    play(page)
    page.click("[aria-label='Index']")
    titles = chapter_titles(live_server)
    page.wait_for_selector("[role=treeitem]")
    listed = page.eval_on_selector_all("[role=treeitem]", "items => items.map(i => i.innerText.split('\\n')[0].trim())")
    assert listed[0] in ("Chapters", "장") and listed[1:] == titles
    page.locator("[role=treeitem]", has_text=titles[-1]).last.click()  # must not break the viewer
    page.wait_for_function("() => document.querySelector('audio, video').currentTime > 1")
    assert failed == []
    assert archive_errors(tab, live_server) == []


def test_ramp_plays_lists_the_chapters_and_seeks(tab: BrowserPage, live_server: LiveServer, viewer_site: str) -> None:
    """Ramp (Samvera A/V) needs the root Range (it crashed on top-level chapter Ranges) and CORP cross-origin.

    Ramp's own limits (3.3.0): its UMD build needs shims for two dependencies without a browser build
    (pages/ramp-shims.js), and its transcript panel refuses WebVTT files with a header line after "WEBVTT"
    (ours carry ``Language: ko``, which WebVTT parsers skip), so the transcript panel is not checked; it reads
    only a canvas's first AnnotationPage, which is why the manifest puts the captions there.
    """
    tab.page.route(lambda url: not url.startswith(("http://127.0.0.1", "http://localhost")),
                   lambda route: route.abort())  # Ramp's stylesheet would fetch a web font from another host
    failed = open_viewer(tab, viewer_site, "ramp.html", live_server)
    page = tab.page
    titles, starts = chapter_titles(live_server), chapter_starts(live_server)
    for title in titles:
        page.get_by_role("link", name=title).first.wait_for(timeout=20000)
    page.wait_for_function("() => document.querySelector('audio, video').readyState >= 1", timeout=20000)
    play(page)
    page.get_by_role("link", name=titles[-1]).first.click()
    page.wait_for_function("(t) => Math.abs(document.querySelector('audio, video').currentTime - t) < 1.5",
                           arg=starts[-1], timeout=15000)
    assert failed == []
    assert archive_errors(tab, live_server) == []
    assert [e for e in tab.errors if "page error" in e] == []  # no crash (collapsibleStructure.map ...)
