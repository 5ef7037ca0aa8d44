"""Browser tests: the demo collection on a live server, driven in Debian's Chromium by Playwright.

No browser is ever downloaded. When Chromium (or Playwright) is missing the tests are skipped
with a clear message, except under CI=true, where a missing browser is a failure.
Screenshots go to test-artifacts/: of every failed test, and in screenshots/ the looks the tests show (gitignored).
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from archive import create_app
from archive.config import PROJECT_ROOT
from archive.core.extensions import db
from tests.conftest import PASSWORD, _empty_tables, share_compiled_templates

CHROMIUM = os.environ.get("ARCHIVE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder drives a browser."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright; no browser download needed)"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (install Debian's chromium package or set ARCHIVE_CHROMIUM)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole run."""
    problem = _unavailable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {problem}", pytrace=False)
        pytest.skip(f"browser tests skipped: {problem}")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as error:  # a broken local browser is a skip, like a missing one (not under CI)
        playwright.stop()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"browser tests skipped: Chromium at {CHROMIUM} did not start ({error})")
    yield chromium
    chromium.close()
    playwright.stop()


@dataclass
class LiveServer:
    """The app served over HTTP in a thread, with the demo collection loaded."""

    url: str
    app: Flask
    ids: dict[str, int] = field(default_factory=dict)

    def testimony_url(self, external_id: str, query: str = "") -> str:
        return f"{self.url}/testimonies/{self.ids[external_id]}{query}"


@pytest.fixture(scope="module")
def live_server(browser: Any, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Load the demo collection once per module and serve it on 127.0.0.1 at a free port."""
    from archive.models import Testimony
    from archive.search import sync as search_sync
    from archive.curation.imports import load_demo
    from archive.themes.pages import seed_themes

    data_dir = tmp_path_factory.mktemp("live")
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "ARCHIVE_DATA_DIR": str(data_dir),
        "MEDIA_ROOT": str(data_dir / "media"), "SEARCH_INDEX_DIR": str(data_dir / "index"),
        "SECRET_KEY": "browser-test-secret", "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
    })
    share_compiled_templates(app)
    with app.app_context():
        _empty_tables()
        load_demo()
        seed_themes()  # the context theme pages, linked from the home page
        search_sync.drain_outbox()
        ids = {t.external_id: t.id for t in db.session.scalars(select(Testimony)) if t.external_id}
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, ids)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            _empty_tables()
            db.engine.dispose()


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Remember on the test whether it failed, so `tab` keeps a screenshot only of a failure."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        item.stash[FAILED] = True


@dataclass
class BrowserPage:
    """A fresh page plus everything it logged as an error."""

    page: Any
    errors: list[str]

    def assert_no_console_errors(self) -> None:
        assert self.errors == [], "console errors:\n" + "\n".join(self.errors)


@pytest.fixture()
def tab(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[BrowserPage]:
    """A new browser context and page; saves a screenshot when the test fails.

    (The tests that show a page's look, in both widths and languages, save their own screenshots.)"""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []

    def on_console(message: Any) -> None:
        # base.html links no icon, so Chromium's own /favicon.ico probe 404s; that is not the page's doing.
        if message.type == "error" and not str(message.location.get("url", "")).endswith("/favicon.ico"):
            errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    try:
        yield BrowserPage(page, errors)
    finally:
        if request.node.stash.get(FAILED, False):
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:120]
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            except Exception:  # a screenshot is a courtesy; never mask the test's own outcome
                pass
        context.close()


# A curator in the browser: the modules that edit (editor, transcript editor, bulk work, publication) name their
# curator's address in a module-level CURATOR and take these two fixtures.
@pytest.fixture(scope="module")
def curator_account(live_server: LiveServer, request: pytest.FixtureRequest) -> str:
    """The module's curator (its CURATOR address), created once on the module's live server."""
    from archive.accounts import users as user_service

    email: str = request.module.CURATOR
    with live_server.app.app_context():
        user_service.create_user(email, PASSWORD, "curator")
        db.session.remove()
    return email


@pytest.fixture()
def curator_page(browser: Any, live_server: LiveServer, curator_account: str, request: pytest.FixtureRequest
                 ) -> Iterator[tuple[Any, str, list[str]]]:
    """A logged-in curator's page at 1280 px in the language a test asks for by indirect parametrization
    (English by default), with CSP bypassed so axe can be injected: (page, language, page errors)."""
    from tests.browser.test_accessibility import _login

    lang = getattr(request, "param", "en")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url, bypass_csp=True)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _login(page, curator_account)
    yield page, lang, errors
    context.close()
