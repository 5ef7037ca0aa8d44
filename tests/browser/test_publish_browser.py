"""The sensitive-term scan and the publication checklist in real Chromium, in English and Korean.

A curator adds a term, sees the hit on the scan, restricts the passage from the checklist with one
click, and publishes with confirmation (in Korean below the disclosure threshold, with a justification);
axe-core finds no violations on either page in either language, before and after.
"""
from __future__ import annotations

import io
from typing import Any

import pytest

from archive.core.extensions import db
from tests.browser.test_accessibility import _axe_path, axe_into

LiveServer = BrowserPage = Any  # fixtures from tests/browser/conftest.py
CURATOR = "publish-curator@example.org"
REAL = "Yun Bok-hui"



def _draft(live_server: LiveServer, lang: str) -> int:
    """A restricted draft whose second passage names the narrator's son and her real name as its speaker."""
    from archive.curation import narrators
    from archive.curation import recordings
    from archive.curation import sensitive
    from archive.curation import testimonies
    from tests.sound import wav_bytes

    with live_server.app.app_context():
        narrator = narrators.create_narrator({
            "pseudonym": f"Heron {lang}", "real_name": REAL, "gender": "female", "birth_year": 1972,
            "origin_province": "North Hamgyong", "left_north_year": 2011, "arrived_south_year": 2012})
        t = testimonies.create_testimony({"title": f"The ferry ({lang})", "languages": ["ko", "en"],
                                          "consent_audio": True, "consent_transcript": True}, narrator)
        testimonies.replace_transcript(t, [
            {"start": 0, "end": 6, "speaker": "Interviewer", "text": "Who stayed behind?"},
            {"start": 6, "end": 14, "speaker": REAL, "text": "My son Jo Min-guk stayed with his grandmother."},
            {"start": 14, "end": 20, "speaker": REAL, "text": "[restricted] She lives near the station."},
        ], None)
        sensitive.add_term(t, "Hamhung station", "where the grandmother lives")
        recordings.upload_recording(t, io.BytesIO(wav_bytes(seconds=21)), "ferry.wav", t.version)
        testimony_id = t.id
        db.session.remove()
    return testimony_id



@pytest.mark.parametrize("curator_page", ["en", "ko"], indirect=True)
def test_scan_restrict_and_publish(curator_page: Any, browser: Any, live_server: LiveServer) -> None:
    _axe_path()
    page, lang, errors = curator_page
    testimony_id = _draft(live_server, lang)
    below = lang == "ko"  # in Korean, publish below the threshold: the justification is asked for
    live_server.app.config["DISCLOSURE_THRESHOLD"] = 10 ** 9 if below else 50
    failures: list[str] = []
    try:
        # The sensitive-term page: add a term, and the scan lists its hit with where it stands.
        page.goto(f"/curate/testimonies/{testimony_id}/sensitive")
        assert page.locator("html").get_attribute("lang") == lang
        page.fill("input[name=term]", "jo minguk")
        page.fill("input[name=note]", "the narrator's son")
        page.locator("#add-term form button[type=submit]").click()
        page.wait_for_load_state()
        hits = page.locator("table.hits tbody tr")
        assert hits.count() == 1, page.locator("main").inner_text()
        assert hits.first.locator("mark").inner_text() == "Jo Min-guk"
        assert ("passage 2 at 0:06" if lang == "en" else "0:06 구간 2") in hits.first.inner_text()
        axe_into(page, f"sensitive terms ({lang})", failures)

        # A term shorter than two letters is refused with an error summary tied to the field.
        page.fill("input[name=term]", "J")
        page.locator("#add-term form button[type=submit]").click()
        page.wait_for_load_state()
        summary = page.locator("main [role=alert]")
        assert summary.count() >= 1 and page.locator("#term[aria-invalid=true]").count() == 1
        axe_into(page, f"sensitive terms with an error ({lang})", failures)

        # The checklist: blocked while the hit remains; one click restricts the passage.
        page.goto(f"/curate/testimonies/{testimony_id}/checklist?audience=public")
        assert page.locator("form[action$='/checklist'] input[name=confirm]").count() == 0
        assert page.locator("#restricted-heading").inner_text().endswith("(1)")
        axe_into(page, f"checklist with a hit ({lang})", failures)
        page.locator("form[action*='/restrict'] button[type=submit]").first.click()
        page.wait_for_load_state()
        assert "/checklist?audience=public" in page.url
        assert page.locator("table.hits").count() == 0
        assert page.locator("#restricted-heading").inner_text().endswith("(2)")
        assert page.locator(".scan-clean").count() == 1
        assert page.locator("#public-copy").count() == 1  # what the audience will hear of the recording

        # Publishing asks for confirmation (and, below the threshold, a justification).
        publish = page.locator("form[action$='/checklist'] button[type=submit]")
        publish.click()
        page.wait_for_load_state()
        assert page.locator("#publish-problems-heading").count() == 1
        assert page.locator("input[name=confirm][aria-invalid=true]").count() == 1
        if below:
            assert page.locator("textarea[name=justification][aria-invalid=true]").count() == 1
        axe_into(page, f"checklist refused for want of confirmation ({lang})", failures)
        if below:
            page.fill("textarea[name=justification]", "The narrator asked to be recognisable by her family abroad.")
        page.check("input[name=confirm]")
        page.locator("form[action$='/checklist'] button[type=submit]").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/curate/testimonies/{testimony_id}#publication")
        flash = page.locator(".flash").first.inner_text()
        assert flash == ("Published: visible to everyone." if lang == "en" else "게시함: 누구나 볼 수 있습니다.")
    finally:
        live_server.app.config["DISCLOSURE_THRESHOLD"] = 50
    from archive.models import Testimony

    with live_server.app.app_context():
        t = db.session.get(Testimony, testimony_id)
        assert (t.status, t.access) == ("published", "public")
        assert bool(t.disclosure_justification) is below
        db.session.remove()
    # An anonymous visitor's page shows neither the son's name nor the real name.
    visitor = browser.new_page(base_url=live_server.url)
    try:
        assert visitor.goto(f"/testimonies/{testimony_id}").status == 200
        body = visitor.locator("main").inner_text()
    finally:
        visitor.close()
    assert "Jo Min-guk" not in body and REAL not in body and f"Heron {lang}" in body
    assert errors == []
    assert not failures, "\n\n".join(failures)
