"""The transcript editor in real Chromium: split, merge, times from the playhead, restrict, undo and
autosave, once by mouse and once by keyboard alone; axe finds no violations in English and Korean.

Each test makes its own restricted draft with a 21-second recording and three passages
(0–6, 6–14, 14–20 s) and checks the database after "Save transcript".
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from archive.core.extensions import db
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import _axe_path, axe_into

LiveServer = Any  # fixtures from tests/browser/conftest.py
CURATOR = "transcript-curator@example.org"
PASSAGES = [
    {"start": 0, "end": 6, "speaker": "Interviewer", "text": "Where did you cross the river?"},
    {"start": 6, "end": 14, "speaker": "Narrator", "text": "Near Hoeryong, in the winter of 2008, at night."},
    {"start": 14, "end": 20, "speaker": "Narrator", "text": "My brother waited on the other side."},
]
READY = "() => document.getElementById('transcript-editor').dataset.ready === 'true'"
AUDIO_READY = "() => { const a = document.getElementById('te-audio'); return a && a.readyState >= 1; }"



def _testimony(live_server: LiveServer, title: str) -> int:
    from archive.curation import narrators, recordings, testimonies
    from tests.sound import wav_bytes

    with live_server.app.app_context():
        narrator = narrators.create_narrator({
            "pseudonym": f"Otter {title}", "gender": "male", "birth_year": 1975, "origin_province": "North Hamgyong",
            "left_north_year": 2008, "arrived_south_year": 2009})
        t = testimonies.create_testimony({"title": title, "languages": ["en"], "consent_audio": True,
                                          "consent_transcript": True}, narrator)
        testimonies.replace_transcript(t, PASSAGES, None)
        recordings.upload_recording(t, io.BytesIO(wav_bytes(seconds=21, tone_hz=220)), "river.wav", t.version)
        testimony_id = t.id
        db.session.remove()
    return testimony_id


def _saved(live_server: LiveServer, testimony_id: int) -> list[tuple[float, float, str, str, bool]]:
    from archive.models import Testimony

    with live_server.app.app_context():
        t = db.session.get(Testimony, testimony_id)
        rows = [(s.start, s.end, s.speaker, s.text, s.restricted) for s in t.segments]
        db.session.remove()
    return rows


@pytest.fixture()
def editor(curator_page: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The curator's page (tests/browser/conftest.py), console errors counted too, with a screenshot at the end."""
    page, lang, errors = curator_page
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page, lang, errors
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"transcript-editor-{request.node.name[-40:]}.png"), full_page=True)
    except Exception:  # a screenshot is a courtesy; never mask the test's own outcome
        pass


def _open(page: Any, testimony_id: int) -> None:
    page.goto(f"/curate/testimonies/{testimony_id}/transcript/editor")
    page.wait_for_function(READY)
    page.wait_for_function(AUDIO_READY)


def _passages(page: Any) -> list[dict[str, Any]]:
    """What the page shows: each passage's fields."""
    return page.evaluate("""() => [...document.querySelectorAll('#te-list .te-passage')].map((item) => ({
        start: item.querySelector('[data-field=start]').value, end: item.querySelector('[data-field=end]').value,
        speaker: item.querySelector('[data-field=speaker]').value, text: item.querySelector('[data-field=text]').value,
        restricted: item.querySelector('[data-field=restricted]').checked}))""")


def _said(page: Any, fragment: str) -> None:
    """The live region says something containing fragment."""
    page.wait_for_function("(fragment) => document.getElementById('te-announcer').textContent.includes(fragment)",
                           arg=fragment)


def _seconds(clock: str) -> float:
    value = 0.0
    for part in clock.split(":"):
        value = value * 60 + float(part)
    return value


def _time(page: Any) -> float:
    return page.evaluate("() => document.getElementById('te-audio').currentTime")


def _click_timeline(page: Any, seconds: float) -> None:
    box = page.locator("#te-timeline .te-track").bounding_box()
    duration = page.evaluate("() => document.getElementById('te-audio').duration")
    page.mouse.click(box["x"] + box["width"] * seconds / duration, box["y"] + box["height"] / 2)


def _wait_for_draft(page: Any) -> None:
    """Autosave: every change so far is in a stored draft (no key pressed, no button clicked)."""
    page.wait_for_function("() => document.getElementById('transcript-editor').dataset.pending === 'false'")
    status = page.locator("#te-save-status").inner_text()
    assert "Draft saved at" in status or "초안을 저장했습니다" in status, status


# ---------------------------------------------------------------- by mouse


def test_editing_by_mouse(editor: Any, live_server: LiveServer) -> None:
    page, _, errors = editor
    testimony_id = _testimony(live_server, "The river by mouse")
    _open(page, testimony_id)
    assert [p["text"] for p in _passages(page)] == [p["text"] for p in PASSAGES]

    # Split: click the timeline inside passage 2, then the toolbar button.
    _click_timeline(page, 9.5)
    at = _time(page)
    assert 9 < at < 10
    page.locator("#te-p-1-text").click()
    page.get_by_role("button", name="Split at the playhead").click()
    _said(page, "Passage 2 split at")
    shown = _passages(page)
    assert len(shown) == 4
    assert _seconds(shown[1]["end"]) == pytest.approx(at, abs=0.006) == _seconds(shown[2]["start"])
    assert f'{shown[1]["text"]} {shown[2]["text"]}' == PASSAGES[1]["text"]
    assert shown[2]["speaker"] == "Narrator"

    # Merge passage 2 with the next one again.
    page.locator("#te-p-1-text").click()
    page.get_by_role("button", name="Merge with the next passage").click()
    _said(page, "Passages 2 and 3 merged")
    shown = _passages(page)
    assert len(shown) == 3 and shown[1]["text"] == PASSAGES[1]["text"] and shown[1]["end"] == "0:14"

    # Restrict passage 3 by its checkbox; undo and redo it.
    page.locator("#te-p-2-restricted").check()
    _said(page, "Passage 3 is restricted")
    assert page.locator("#te-p-2 .te-badge").count() == 1
    page.get_by_role("button", name="Undo", exact=True).click()
    _said(page, "Undone: restriction of passage 3")
    assert _passages(page)[2]["restricted"] is False
    page.get_by_role("button", name="Redo", exact=True).click()
    _said(page, "Redone: restriction of passage 3")
    assert _passages(page)[2]["restricted"] is True

    # Times from the playhead: the start while paused, the end while playing.
    _click_timeline(page, 14.6)
    page.locator("#te-p-2-text").click()
    page.get_by_role("button", name="Start from the playhead").click()
    start = _seconds(_passages(page)[2]["start"])
    assert start == pytest.approx(_time(page), abs=0.006) and 14 < start < 15.5
    page.locator("#te-p-2 button[data-action=play-passage]").click()
    page.wait_for_function("() => { const a = document.getElementById('te-audio'); return !a.paused && a.currentTime > 16; }")
    page.get_by_role("button", name="End from the playhead").click()
    _said(page, "Passage 3 now ends at")
    end = _seconds(_passages(page)[2]["end"])
    assert 16 < end < 21
    page.get_by_role("button", name="Play or pause").click()

    # Edit a text in place; the draft is autosaved and restored after a reload.
    page.locator("#te-p-0-text").fill("Where did you cross the Tumen river?")
    _wait_for_draft(page)
    _open(page, testimony_id)
    assert page.locator(".te-draft-notice").count() == 1
    shown = _passages(page)
    assert shown[0]["text"] == "Where did you cross the Tumen river?" and shown[2]["restricted"] is True
    assert _seconds(shown[2]["start"]) == pytest.approx(start, abs=0.002)
    assert _saved(live_server, testimony_id)[0][3] == PASSAGES[0]["text"]  # a draft changes nothing yet

    # Find and replace, with the count; a new speaker for passage 3.
    page.locator("summary", has_text="Find and replace").click()
    page.locator("#te-find").fill("Hoeryong")
    page.wait_for_function("() => document.getElementById('te-find-count').textContent === 'Matches: 1'")
    page.locator("#te-replace").fill("Hoeryŏng")
    page.get_by_role("button", name="Replace all").click()
    assert page.locator("#te-find-count").inner_text() == "Occurrences replaced: 1. Passages changed: 1."
    page.locator("summary", has_text="Speakers").click()
    page.locator("#te-new-speaker").fill("Second interviewer")
    page.get_by_role("button", name="Add speaker").click()
    _said(page, "Speaker Second interviewer added")
    page.locator("#te-p-2-speaker").select_option("Second interviewer")
    _said(page, "Passage 3: speaker Second interviewer")

    page.get_by_role("button", name="Save transcript").click()
    page.wait_for_function("() => document.getElementById('te-save-status').textContent.startsWith('Transcript saved')")
    saved = _saved(live_server, testimony_id)
    assert [row[3] for row in saved] == ["Where did you cross the Tumen river?",
                                         PASSAGES[1]["text"].replace("Hoeryong", "Hoeryŏng"), PASSAGES[2]["text"]]
    assert [row[2] for row in saved] == ["Interviewer", "Narrator", "Second interviewer"]
    assert saved[2][4] is True and saved[2][0] == pytest.approx(start, abs=0.002)
    assert saved[2][1] == pytest.approx(end, abs=0.002)
    assert errors == []


# ---------------------------------------------------------------- by keyboard alone


def _tab_to(page: Any, element_id: str, backwards: bool = False, limit: int = 250) -> None:
    """Press Tab (or Shift+Tab) until the element has focus; each stop must show a focus outline."""
    for _ in range(limit):
        if page.evaluate("(id) => document.activeElement && document.activeElement.id === id", element_id):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("", "none"), f"#{element_id} has focus but no visible outline"
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"#{element_id} not reached by keyboard")


@pytest.mark.parametrize("curator_page", ["ko"], indirect=True)
def test_editing_by_keyboard_alone(editor: Any, live_server: LiveServer) -> None:
    page, lang, errors = editor
    testimony_id = _testimony(live_server, "The river by keyboard")
    _open(page, testimony_id)
    assert page.locator("html").get_attribute("lang") == "ko"

    # Move the playhead by typing a time, then split passage 2 there with Alt+Enter.
    _tab_to(page, "te-playhead")
    page.keyboard.press("Control+A")
    page.keyboard.type("0:10")
    page.keyboard.press("Enter")
    _said(page, "재생 위치 0:10")
    _tab_to(page, "te-p-1-text")
    page.keyboard.press("Control+Home")
    for _ in range(len("Near Hoeryong,")):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Alt+Enter")
    _said(page, "2번 구간을 0:10에서 나누었습니다")
    shown = _passages(page)
    assert len(shown) == 4 and (shown[1]["end"], shown[2]["start"]) == ("0:10", "0:10")
    assert (shown[1]["text"], shown[2]["text"]) == ("Near Hoeryong,", "in the winter of 2008, at night.")
    assert page.evaluate("() => document.activeElement.id") == "te-p-2-text"  # focus follows the new passage

    # Undo the split, redo it, then merge passage 3 with passage 4 (Alt+M) and undo that.
    page.keyboard.press("Control+Z")
    _said(page, "실행 취소: 2번 구간 나누기")
    assert len(_passages(page)) == 3
    page.keyboard.press("Control+Y")
    _said(page, "다시 실행: 2번 구간 나누기")
    assert len(_passages(page)) == 4
    page.keyboard.press("Alt+M")
    _said(page, "3번과 4번 구간을 3번 구간으로 합쳤습니다")
    shown = _passages(page)
    assert len(shown) == 3 and (shown[2]["start"], shown[2]["end"]) == ("0:10", "0:20")
    assert shown[2]["text"] == "in the winter of 2008, at night. My brother waited on the other side."
    page.keyboard.press("Control+Z")
    _said(page, "실행 취소: 3번과 4번 구간 합치기")
    assert len(_passages(page)) == 4

    # Nudge the end of passage 1 with the arrows: down 0.1 s, then Shift+down 1 s.
    _tab_to(page, "te-p-0-end", backwards=True)
    page.keyboard.press("ArrowDown")
    _said(page, "1번 구간이 이제 0:05.9에 끝납니다")
    page.keyboard.press("Shift+ArrowDown")
    _said(page, "1번 구간이 이제 0:04.9에 끝납니다")
    assert _passages(page)[0]["end"] == "0:04.9"

    # Typing in place is one undo step.
    _tab_to(page, "te-p-0-text")
    page.keyboard.press("Control+End")
    page.keyboard.type(" Tell me.")
    assert _passages(page)[0]["text"] == "Where did you cross the river? Tell me."
    page.keyboard.press("Control+Z")
    _said(page, "실행 취소: 1번 구간 내용")
    assert _passages(page)[0]["text"] == PASSAGES[0]["text"]
    assert _passages(page)[0]["end"] == "0:04.9"  # the nudges before it stay

    # Passage 4: play it from its start (Alt+P), set its start from the playhead while it plays (Alt+[).
    _tab_to(page, "te-p-3-text")
    page.keyboard.press("Alt+P")
    page.wait_for_function("() => { const a = document.getElementById('te-audio'); return !a.paused && a.currentTime > 15; }")
    page.keyboard.press("Alt+BracketLeft")
    _said(page, "4번 구간이 이제")
    start = _seconds(_passages(page)[3]["start"])
    assert 15 < start < 20
    page.keyboard.press("Alt+K")
    page.wait_for_function("() => document.getElementById('te-audio').paused")

    # Restrict passage 4 (Alt+R), undo, and restrict it again.
    page.keyboard.press("Alt+R")
    _said(page, "4번 구간을 제한했습니다")
    page.keyboard.press("Control+Z")
    _said(page, "실행 취소: 4번 구간 제한")
    assert _passages(page)[3]["restricted"] is False
    page.keyboard.press("Alt+R")
    _said(page, "4번 구간을 제한했습니다")

    # Autosave, then a reload restores the draft.
    _wait_for_draft(page)
    _open(page, testimony_id)
    shown = _passages(page)
    assert len(shown) == 4 and shown[0]["end"] == "0:04.9" and shown[3]["restricted"] is True
    assert page.locator(".te-draft-notice").count() == 1

    # Save with Ctrl+S from a passage.
    _tab_to(page, "te-p-0-text")
    page.keyboard.press("Control+S")
    page.wait_for_function("() => document.getElementById('te-save-status').textContent.startsWith('녹취록을 저장했습니다')")
    saved = _saved(live_server, testimony_id)
    assert [(row[0], row[1]) for row in saved][:3] == [(0, 4.9), (6, 10), (10, 14)]
    assert saved[3][0] == pytest.approx(start, abs=0.002) and saved[3][4] is True
    assert errors == []


# ---------------------------------------------------------------- axe, both languages


@pytest.mark.parametrize("curator_page", ["en", "ko"], indirect=True)
def test_no_axe_violations(editor: Any, live_server: LiveServer) -> None:
    _axe_path()
    page, lang, errors = editor
    testimony_id = _testimony(live_server, f"The river for axe ({lang})")
    failures: list[str] = []
    _open(page, testimony_id)
    for summary in page.locator("details.te-tools summary").all():
        summary.click()
    page.locator("#te-find").fill("river")
    page.locator("#te-p-1-text").click()
    axe_into(page, f"transcript editor ({lang})", failures)

    # A refused save: the problems listed at the top, the fields marked.
    page.locator("#te-p-1-end").fill("0:03")
    page.locator("#te-p-1-end").press("Enter")
    page.locator("#te-save").click()
    page.wait_for_selector("#te-problems:not([hidden])")
    assert page.locator("#te-p-1-end[aria-invalid=true]").count() == 1
    assert page.evaluate("() => document.activeElement.id") == "te-problems"
    expected = "Passage 2 end" if lang == "en" else "2번 구간 끝"
    assert expected in page.locator("#te-problems").inner_text()
    axe_into(page, f"transcript editor with problems ({lang})", failures)

    # A stale save: someone else changed the transcript; the choice is offered.
    from archive.curation import testimonies
    from archive.models import Testimony

    with live_server.app.app_context():
        t = db.session.get(Testimony, testimony_id)
        testimonies.replace_transcript(t, PASSAGES[:2], None)
        db.session.remove()
    page.locator("#te-p-1-end").fill("0:14")
    page.locator("#te-p-1-end").press("Enter")
    page.locator("#te-save").click()
    page.wait_for_selector(".te-conflict")
    axe_into(page, f"transcript editor with a conflict ({lang})", failures)
    assert len(_saved(live_server, testimony_id)) == 2
    assert failures == [], "\n\n".join(failures)
    # The refused saves answered 400 and 409 on purpose (Chromium logs those); nothing else went wrong.
    assert [e for e in errors if not ("status of 400" in e or "status of 409" in e)] == []
