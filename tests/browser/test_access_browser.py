"""Access requests in Chromium: a researcher asks for one researchers-only demo testimony, a curator grants it,
the researcher opens it (protected: no real name, no restricted passage) until the grant expires, and then the
page answers like a missing one; axe finds nothing on the new pages in either language."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.browser.test_accessibility import _axe_path, _login, describe, run_axe

LiveServer = Any
CURATOR = "access-curator@example.org"
RESEARCHER = "access-researcher@example.org"
AXE_RESEARCHER = "access-axe-researcher@example.org"


@pytest.fixture(scope="module")
def accounts(live_server: LiveServer) -> None:
    from archive.accounts import users as user_service
    from archive.core.extensions import db
    from tests.conftest import PASSWORD

    with live_server.app.app_context():
        user_service.create_user(CURATOR, PASSWORD, "curator")
        user_service.create_user(RESEARCHER, PASSWORD, "researcher", approved=False)
        user_service.create_user(AXE_RESEARCHER, PASSWORD, "researcher", approved=False)
        db.session.remove()


def _page(browser: Any, live_server: LiveServer, lang: str = "en", bypass_csp: bool = False) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url,
                                  bypass_csp=bypass_csp)
    context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def _main_text(page: Any) -> str:
    return page.locator("main").inner_text()


def _expire_grants(live_server: LiveServer, email: str) -> None:
    """Move the researcher's grants' expiry into the past, through the database."""
    from sqlalchemy import select, update

    from archive.core.extensions import db
    from archive.models import AccessGrant, User
    from archive.models.base import utcnow

    with live_server.app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        db.session.execute(update(AccessGrant).where(AccessGrant.user_id == user_id)
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        db.session.remove()


def test_researcher_asks_curator_grants_researcher_opens_until_it_expires(browser: Any, live_server: LiveServer,
                                                                          accounts: None) -> None:
    testimony = live_server.ids["demo-003"]  # published, researchers only; narrator Ri Sun-ok, a restricted passage
    url = f"/testimonies/{testimony}"
    researcher, curator = _page(browser, live_server), _page(browser, live_server)
    try:
        _login(researcher, RESEARCHER)
        missing = researcher.goto("/testimonies/999999")
        assert missing is not None and missing.status == 404
        missing_text = _main_text(researcher)
        closed = researcher.goto(url)
        assert closed is not None and closed.status == 404 and _main_text(researcher) == missing_text

        researcher.get_by_role("link", name="Access requests").click()
        researcher.wait_for_load_state()
        researcher.get_by_role("textbox", name="Testimony").fill(f"{live_server.url}{url}")
        researcher.get_by_role("textbox", name="Purpose").fill("A thesis on market traders who left through Laos.")
        researcher.get_by_role("button", name="Send the request").click()
        researcher.wait_for_load_state()
        assert "Your request was recorded" in _main_text(researcher)
        assert "waiting for a curator" in researcher.locator("#my-requests").inner_text()

        _login(curator, CURATOR)
        curator.goto("/curate/")
        curator.get_by_role("link", name="Access requests").click()
        curator.wait_for_load_state()
        row = curator.locator("#pending-requests tbody tr", has_text=RESEARCHER)
        assert "A market trader from Hyesan" in row.inner_text()
        row.get_by_role("link", name="Decide").click()
        curator.wait_for_load_state()
        days = curator.get_by_role("textbox", name="Days")
        assert days.input_value() == "30"
        days.fill("14")
        curator.get_by_role("button", name="Grant access").click()
        curator.wait_for_load_state()
        assert "Access granted to" in _main_text(curator)
        assert "open until" in curator.locator("#grants").inner_text()

        researcher.goto("/account/access/")
        researcher.locator("#my-grants").get_by_role("link", name="A market trader from Hyesan").click()
        researcher.wait_for_load_state()
        assert researcher.url.endswith(url)
        opened = _main_text(researcher)
        assert "A market trader from Hyesan" in opened
        assert "Ri Sun-ok" not in researcher.content() and "Auntie Seo" not in researcher.content()

        _expire_grants(live_server, RESEARCHER)
        expired = researcher.goto(url)
        assert expired is not None and expired.status == 404 and _main_text(researcher) == missing_text
        researcher.goto("/account/access/")
        grants = researcher.locator("#my-grants").inner_text()
        assert "expired on" in grants and "A market trader from Hyesan" not in grants
        curator.goto("/curate/access/")
        assert "expired on" in curator.locator("#grants").inner_text()
    finally:
        researcher.context.close()
        curator.context.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_access_pages_have_no_axe_violations(browser: Any, live_server: LiveServer, accounts: None,
                                             lang: str) -> None:
    _axe_path()
    researcher = _page(browser, live_server, lang, bypass_csp=True)
    curator = _page(browser, live_server, lang, bypass_csp=True)
    failures: list[str] = []

    def check(page: Any, label: str) -> None:
        violations = run_axe(page)
        if violations:
            failures.append(describe(f"{label} ({lang})", violations))

    try:
        _login(researcher, AXE_RESEARCHER)
        researcher.goto("/account/access/")
        check(researcher, "researcher page")
        researcher.locator("main form button[type=submit]").click()  # empty: both fields in error
        researcher.wait_for_load_state()
        assert researcher.locator("main [aria-invalid=true]").count() == 2
        check(researcher, "researcher page with errors")
        researcher.locator("#reference").fill(f"axe-{lang}-reference")
        researcher.locator("#purpose").fill("Checking the pages.")
        researcher.locator("main form button[type=submit]").click()
        researcher.wait_for_load_state()
        check(researcher, "researcher page with a request")

        _login(curator, CURATOR)
        curator.goto("/curate/access/")
        check(curator, "curators' list")
        curator.locator("#pending-requests tbody tr", has_text=f"axe-{lang}-reference").locator("a").last.click()
        curator.wait_for_load_state()
        check(curator, "decision page")
        curator.locator("form[action$='/refuse'] button[type=submit]").click()  # no reason: refused with an error
        curator.wait_for_load_state()
        assert curator.locator("main [aria-invalid=true]").count() == 1
        check(curator, "decision page with errors")
        assert not failures, "\n\n".join(failures)
    finally:
        researcher.context.close()
        curator.context.close()
