"""Bulk work on the curators' dashboard in real Chromium, in English and Korean.

A curator ticks two testimonies by hand, chooses a new access level, previews the change and confirms it;
axe-core finds no violations on the dashboard (also with its error summary), the preview and the result.
"""
from __future__ import annotations

from typing import Any

import pytest

from archive.core.extensions import db
from tests.browser.test_accessibility import _axe_path, axe_into

LiveServer = Any  # fixture from tests/browser/conftest.py
CURATOR = "bulk-curator@example.org"
# Each language changes its own two published public testimonies of the demo collection.
PICKS = {"en": ("demo-004", "demo-005"), "ko": ("demo-006", "demo-001")}




def _access(live_server: LiveServer, external_ids: tuple[str, ...]) -> list[str]:
    from archive.models import Testimony

    with live_server.app.app_context():
        levels = [db.session.get(Testimony, live_server.ids[e]).access for e in external_ids]
        db.session.remove()
    return levels


@pytest.mark.parametrize("curator_page", ["en", "ko"], indirect=True)
def test_select_two_by_hand_set_access_preview_and_confirm(curator_page: Any, live_server: LiveServer) -> None:
    _axe_path()
    page, lang, errors = curator_page
    picks = PICKS[lang]
    ids = [live_server.ids[e] for e in picks]
    assert _access(live_server, picks) == ["public", "public"]
    failures: list[str] = []

    page.goto("/curate/")
    assert page.locator("html").get_attribute("lang") == lang
    axe_into(page, f"dashboard ({lang})", failures)

    # Previewing with nothing selected and no change chosen: every problem at once, linked to its field.
    page.locator("#bulk-form button[type=submit]").click()
    page.wait_for_load_state()
    problems = page.locator("#bulk-problems li")
    assert problems.count() == 2, page.locator("main").inner_text()
    axe_into(page, f"dashboard with the bulk error summary ({lang})", failures)

    # Two testimonies ticked by hand, a new access level, then the preview.
    for testimony_id in ids:
        page.check(f"#select-{testimony_id}")
    page.check("input[name=action][value=access]")
    page.select_option("#new_access", "researchers")
    page.locator("#bulk-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/curate/bulk/preview")
    heading = page.locator("#bulk-change-heading").inner_text()
    assert heading == ("Will change (2)" if lang == "en" else "바뀔 증언 (2)")
    rows = page.locator("#bulk-change tbody tr")
    assert rows.count() == 2
    assert ("Access: public → researchers" if lang == "en" else "열람 등급: 공개 → 연구자") in rows.first.inner_text()
    assert _access(live_server, picks) == ["public", "public"]  # nothing saved by the preview
    axe_into(page, f"bulk preview ({lang})", failures)

    # One confirmation applies it to both.
    page.locator("form[action$='/curate/bulk/apply'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#bulk-applied-heading").inner_text().endswith("(2)")
    assert page.locator("[role=status]").first.inner_text() == (
        "2 testimonies were changed." if lang == "en" else "증언 2건을 바꾸었습니다.")
    axe_into(page, f"bulk result ({lang})", failures)
    assert _access(live_server, picks) == ["researchers", "researchers"]
    assert errors == []
    assert not failures, "\n\n".join(failures)
