"""The vocabulary pages in Chromium: axe finds nothing in either language, and a merge made by keyboard
re-tags the demo testimonies and sends the old topic's search link to the new one."""
from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_accessibility import CURATOR_EMAIL, _axe_path, _login, describe, run_axe
from tests.vocabulary.conftest import restore, snapshot

LiveServer = Any


@pytest.fixture(scope="module")
def curator_account(live_server: LiveServer) -> str:
    from archive.accounts import users as user_service
    from archive.core.extensions import db
    from tests.conftest import PASSWORD

    with live_server.app.app_context():
        user_service.create_user(CURATOR_EMAIL, PASSWORD, "curator")
        db.session.remove()
    return CURATOR_EMAIL


def _page(browser: Any, live_server: LiveServer, lang: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url, bypass_csp=True)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_vocabulary_pages_have_no_axe_violations(browser: Any, live_server: LiveServer, curator_account: str,
                                                 lang: str) -> None:
    _axe_path()
    page = _page(browser, live_server, lang)
    try:
        _login(page, curator_account)
        failures = []
        for path in ["/curate/vocabulary/", "/curate/vocabulary/topic", "/curate/vocabulary/place",
                     "/curate/vocabulary/topic/famine", "/curate/vocabulary/place/north-hamgyong",
                     "/curate/vocabulary/place/new"]:
            page.goto(path)
            violations = run_axe(page)
            if violations:
                failures.append(describe(path, violations))
        # A form sent back with its errors: each invalid field points at its message.
        page.goto("/curate/vocabulary/place/new")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        invalid = page.locator("main [aria-invalid=true]")
        assert invalid.count() >= 1
        violations = run_axe(page)
        if violations:
            failures.append(describe("new place with errors", violations))
        assert not failures, "\n\n".join(failures)
    finally:
        page.context.close()


def test_merge_by_keyboard_retags_and_redirects(browser: Any, live_server: LiveServer, curator_account: str) -> None:
    with live_server.app.app_context():
        saved = snapshot()
    page = _page(browser, live_server, "en")
    try:
        _login(page, curator_account)
        page.goto("/search?tag=brokers")
        before = set(page.eval_on_selector_all("ol.result-list > li a[href^='/testimonies/']",
                                               "els => els.map(e => e.getAttribute('href'))"))
        assert before, "the demo collection has testimonies tagged brokers"
        page.goto("/curate/vocabulary/topic/brokers")
        page.locator("#target").select_option("human-trafficking")
        page.locator("#target").focus()
        page.keyboard.press("Tab")  # to the confirmation box
        assert page.evaluate("document.activeElement.id") == "confirm"
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the Merge button follows the confirmation box
        page.wait_for_url("**/curate/vocabulary/topic/human-trafficking")
        assert "re-tagged" in page.locator("main").inner_text()
        response = page.goto("/search?tag=brokers")
        assert page.url.endswith("/search?tag=human-trafficking")
        assert response is not None and response.ok
        after = set(page.eval_on_selector_all("ol.result-list > li a[href^='/testimonies/']",
                                              "els => els.map(e => e.getAttribute('href'))"))
        assert before <= after
    finally:
        page.context.close()
        with live_server.app.app_context():
            restore(saved)
