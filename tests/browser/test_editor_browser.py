"""The testimony editor in real Chromium: no edit is lost across its sections, leaving with unsaved changes
asks, the home-place list follows the province, and the refused forms (with their error summary) pass axe in
English and Korean."""
from __future__ import annotations

from typing import Any

import pytest

from archive.core.extensions import db
from tests.browser.test_accessibility import _axe_path, describe, run_axe

LiveServer = Any  # fixtures from tests/browser/conftest.py
CURATOR = "editor-curator@example.org"



def _draft(live_server: LiveServer, title: str) -> int:
    """A restricted draft with one route stop and one chapter."""
    from archive.curation import narrators, testimonies

    with live_server.app.app_context():
        narrator = narrators.create_narrator({"pseudonym": f"Magpie {title}", "gender": "female",
                                              "birth_year": 1975, "origin_province": "North Hamgyong"})
        t = testimonies.create_testimony({"title": title, "languages": ["ko"]}, narrator)
        testimonies.set_route(t, [{"country": "china", "place": "Yanji", "year": 2008, "event": "transit"}], t.version)
        testimonies.set_chapters(t, [{"start": 0, "title": "Childhood"}], t.version)
        testimony_id = t.id
        db.session.remove()
    return testimony_id


def _saved(live_server: LiveServer, testimony_id: int) -> Any:
    from archive.models import Testimony

    with live_server.app.app_context():
        t = db.session.get(Testimony, testimony_id)
        saved = (t.title, [(leg.country.slug, leg.place) for leg in t.route], t.version)
        db.session.remove()
    return saved



def _type(page: Any, selector: str, text: str) -> None:
    """Type as a person does (a real key press also gives the page the user activation beforeunload needs)."""
    page.click(selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_saving_one_section_asks_before_dropping_edits_in_another(curator_page: Any, live_server: LiveServer
                                                                   ) -> None:
    page, _lang, errors = curator_page
    testimony_id = _draft(live_server, "The river crossing")
    page.goto(f"/curate/testimonies/{testimony_id}")
    assert page.locator(".unsaved-mark").count() == 0

    _type(page, "#meta-title", "The river crossing at night")
    assert page.locator(".section-nav a[href='#metadata'] .unsaved-mark").count() == 1
    assert page.locator("#metadata form .unsaved-note").inner_text() == "This section has unsaved changes."
    _type(page, "#route-legs-0-place", "Tumen")

    # Save route while Details holds an edit: the page asks, naming Details; saying no keeps everything.
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Save route").click()
    page.wait_for_timeout(300)
    assert len(questions) == 1 and "“Details”" in questions[0] and "“Escape route”" in questions[0]
    assert page.url.endswith(f"/curate/testimonies/{testimony_id}")
    assert page.input_value("#meta-title") == "The river crossing at night"
    assert page.evaluate("document.activeElement.id") == "meta-title"  # taken to the unsaved section
    assert _saved(live_server, testimony_id)[:2] == ("The river crossing", [("china", "Yanji")])

    # Saving Details first, then the route, keeps both edits.
    page.get_by_role("button", name="Save route").evaluate("b => b.form.reset()")  # undo the route edit
    page.get_by_role("button", name="Save details").click()
    page.wait_for_load_state()
    assert page.locator(".unsaved-mark").count() == 0
    _type(page, "#route-legs-0-place", "Tumen")
    page.get_by_role("button", name="Save route").click()  # nothing else unsaved: no question
    page.wait_for_load_state()
    assert _saved(live_server, testimony_id)[:2] == ("The river crossing at night", [("china", "Tumen")])

    # Agreeing to drop the other section's edit saves the one pressed, as asked.
    _type(page, "#meta-title", "Dropped on purpose")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Save route").click()
    page.wait_for_load_state()
    assert _saved(live_server, testimony_id)[0] == "The river crossing at night"
    assert errors == []


def test_leaving_with_unsaved_changes_asks(curator_page: Any, live_server: LiveServer) -> None:
    page, _lang, errors = curator_page
    testimony_id = _draft(live_server, "The long winter")
    page.goto(f"/curate/testimonies/{testimony_id}")
    _type(page, "#ch-chapters-0-title", "Childhood in Musan")
    kinds: list[str] = []

    def stay(dialog: Any) -> None:
        kinds.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.locator(".breadcrumbs a").click()
    page.wait_for_timeout(500)
    assert kinds == ["beforeunload"]
    assert page.url.endswith(f"/curate/testimonies/{testimony_id}")
    assert page.input_value("#ch-chapters-0-title") == "Childhood in Musan"

    page.once("dialog", lambda dialog: (kinds.append(dialog.type), dialog.accept()))
    page.locator(".breadcrumbs a").click()
    page.wait_for_url("**/curate/")
    assert kinds == ["beforeunload", "beforeunload"]

    # Nothing changed: leaving does not ask.
    page.goto(f"/curate/testimonies/{testimony_id}")
    page.once("dialog", lambda dialog: (kinds.append(dialog.type), dialog.accept()))
    page.locator(".breadcrumbs a").click()
    page.wait_for_url("**/curate/")
    assert len(kinds) == 2
    assert errors == []


def test_home_places_follow_the_province(curator_page: Any) -> None:
    page, _lang, errors = curator_page
    page.goto("/curate/narrators/new")

    def places() -> set[str]:
        return set(page.eval_on_selector_all("#origin_place option", "os => os.map(o => o.value)"))

    everything = places()
    assert {"hoeryong", "hyesan", "yodok-kwalliso-15"} <= everything
    page.select_option("#origin_province", "north-hamgyong")
    shown = places()
    assert {"", "hoeryong", "chongjin", "north-hamgyong"} <= shown
    assert "hyesan" not in shown and "sinuiju" not in shown and "south-hamgyong" not in shown
    page.select_option("#origin_place", "hoeryong")
    page.select_option("#origin_province", "ryanggang")
    assert {"hyesan", "ryanggang", "hoeryong"} <= places()  # the chosen place stays, nothing is lost silently
    assert "chongjin" not in places()
    page.select_option("#origin_province", "")
    assert places() == everything
    assert errors == []


@pytest.mark.parametrize("curator_page", ["en", "ko"], indirect=True)
def test_refused_forms_pass_axe_with_their_error_summary(curator_page: Any, live_server: LiveServer) -> None:
    _axe_path()
    page, lang, errors = curator_page
    testimony_id = _draft(live_server, f"Axe {lang}")
    failures: list[str] = []

    def axe(label: str) -> None:
        violations = run_axe(page)
        if violations:
            failures.append(describe(f"{label} ({lang})", violations))

    page.goto(f"/curate/testimonies/{testimony_id}")
    assert page.locator("html").get_attribute("lang") == lang
    axe("editor")
    # Details without a title and with a bad date: the summary leads the page, focused, linking to each field.
    page.fill("#meta-title", "")
    page.fill("#meta-interview_date", "May")
    page.locator("#metadata form button[type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator("[data-error-summary]")
    assert summary.count() == 1 and summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')"), page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    assert page.locator("[data-error-summary] a").count() == 2
    assert page.locator("#meta-title[aria-invalid=true]").get_attribute("aria-describedby") == "meta-title-errors"
    assert page.locator(".section-nav a[href='#metadata'] .unsaved-mark").count() == 1  # refused = unsaved
    axe("editor with errors in Details")
    page.locator("[data-error-summary] a").first.click()
    assert page.evaluate("document.activeElement.id") == "meta-title"

    # The route: every stop's problems at once.
    page.goto(f"/curate/testimonies/{testimony_id}")
    page.select_option("#route-legs-0-country", "")
    page.fill("#route-legs-0-year", "1850")
    page.fill("#route-legs-1-place", "Bangkok")
    page.fill("#route-legs-1-year", "20x")
    page.locator("#route form button[type=submit]").click()
    page.wait_for_load_state()
    links = page.locator("[data-error-summary] a")
    assert links.count() == 4, page.locator("[data-error-summary]").inner_text()
    axe("editor with errors on the route")

    page.goto("/curate/narrators/new")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-error-summary] a[href='#pseudonym']").count() == 1
    axe("narrator form with errors")
    page.goto("/curate/testimonies/new")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-error-summary] a[href='#title']").count() == 1
    axe("new testimony with errors")
    assert failures == [], "\n".join(failures)
    assert errors == []
