"""The waveform endpoint of the player's timeline: only where the audience may hear the recording, the public
copy's peaks, chapter starts and the withheld passages as times (never their text), nothing while not ready."""
from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive.core.extensions import db
from archive.media import copies
from archive.models import Recording
from archive.curation import testimonies as testimony_service
from archive.curation.recordings import upload_recording
from tests.media.samples import FORMATS, RESTRICTED, make_sample

SECRET = "My brother's unit at Hoeryong."
SEGMENTS = [{"start": 0.0, "end": 1.0, "text": "Before."},
            {"start": RESTRICTED[0], "end": RESTRICTED[1], "text": SECRET, "restricted": True},
            {"start": 2.0, "end": 3.0, "text": "After."}]
CHAPTERS = [{"start": 0.0, "title": "Leaving home"}, {"start": 2.0, "title": "The river"}]
MISSING = "/media/recordings/999999/waveform"


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    directory = tmp_path_factory.mktemp("samples")
    return {name: make_sample(directory, name).read_bytes() for name in ("wav", "mp4-video")}


def with_recording(factory: Any, data: bytes, name: str = "wav", **fields: Any) -> Recording:
    t = factory.testimony(segments=SEGMENTS, **{"consent_face_voice": True, **fields})
    testimony_service.set_chapters(t, CHAPTERS, None)
    upload_recording(t, io.BytesIO(data), f"Kim Chol-su{FORMATS[name][1]}", None)
    assert t.recording is not None
    return t.recording


def url(rec: Recording, query: str = "") -> str:
    return f"/media/recordings/{rec.id}/waveform{query}"


def assert_like_missing(client: FlaskClient, response: Any) -> None:
    missing = client.get(MISSING)
    assert response.status_code == missing.status_code == 404
    assert response.data == missing.data
    assert response.content_type == missing.content_type == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_public_gets_the_public_copys_peaks_chapters_and_gaps(client: FlaskClient, factory: Any,
                                                                  samples: dict[str, bytes]) -> None:
    rec = with_recording(factory, samples["wav"])
    response = client.get(url(rec))
    assert response.status_code == 200 and response.content_type == "application/json"
    body = response.get_json()
    copy = copies.servable_copy(rec)
    assert body["ready"] is True and body["of"] == "public-copy"
    assert body["peaks"] == copy.waveform["peaks"] and body["seconds_per_peak"] == copy.waveform["seconds_per_peak"]
    assert body["duration"] == pytest.approx(3.0, abs=0.03)
    assert body["chapters"] == [{"start": 0.0, "title": "Leaving home"}, {"start": 2.0, "title": "The river"}]
    assert body["gaps"] == [{"start": RESTRICTED[0], "end": RESTRICTED[1]}]
    # The peaks are the public copy's: the restricted passage is silent in them, the rest is not.
    step = body["seconds_per_peak"]
    inside = body["peaks"][int((RESTRICTED[0] + 0.1) / step):int((RESTRICTED[1] - 0.1) / step)]
    before = body["peaks"][int(0.1 / step):int(0.9 / step)]
    assert inside and max(inside) <= 1 and min(before) > 30  # a tone at -12 dBFS: about 64 of 255
    # Times only: the withheld passage's text is nowhere, nor anything but the listed keys.
    text = response.get_data(as_text=True)
    assert SECRET not in text and "Hoeryong" not in text and "Kim Chol-su" not in text
    assert set(body) == {"recording", "testimony", "ready", "of", "duration", "seconds_per_peak", "peaks",
                         "chapters", "gaps"}
    # Anonymous listeners' caches may keep it, revalidated with the ETag.
    assert response.headers["Cache-Control"] == "public, no-cache"
    etag = response.headers["ETag"]
    assert client.get(url(rec), headers={"If-None-Match": etag}).status_code == 304


def test_researchers_get_the_waveform_of_a_researchers_testimony_and_the_public_a_missing_answer(
        client: FlaskClient, factory: Any, auth: Any, samples: dict[str, bytes]) -> None:
    rec = with_recording(factory, samples["wav"], access="researchers")
    assert_like_missing(client, client.get(url(rec)))
    auth.login("researcher", approved=True)
    response = client.get(url(rec))
    assert response.status_code == 200
    body = response.get_json()
    assert body["ready"] and body["peaks"] and body["gaps"] == [{"start": RESTRICTED[0], "end": RESTRICTED[1]}]
    assert SECRET not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store, private"


def test_staff_get_the_public_copys_drawing_of_any_recording(client: FlaskClient, factory: Any, auth: Any,
                                                              samples: dict[str, bytes]) -> None:
    public = with_recording(factory, samples["wav"])
    draft = with_recording(factory, samples["wav"], status="draft", access="restricted")
    anonymous = {rec.id: client.get(url(rec)) for rec in (public, draft)}
    assert_like_missing(client, anonymous[draft.id])
    auth.login("curator")
    for rec in (public, draft):
        response = client.get(url(rec))
        assert response.status_code == 200, rec
        body = response.get_json()
        assert body["ready"] and body["of"] == "public-copy"
        assert body["peaks"] == copies.servable_copy(rec).waveform["peaks"]
        assert body["gaps"] == [{"start": RESTRICTED[0], "end": RESTRICTED[1]}]
        assert SECRET not in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store, private"
        # The recording route's ?copy=public asks the same question here: the drawing is always the copy's.
        assert client.get(url(rec, "?copy=public")).get_json() == body
    assert client.get(url(public)).get_json()["peaks"] == anonymous[public.id].get_json()["peaks"]


@pytest.mark.parametrize("case", ["draft", "restricted", "embargoed", "no audio consent", "consent withdrawn",
                                  "video without face consent"])
def test_a_recording_the_public_may_not_hear_answers_like_a_missing_one(client: FlaskClient, factory: Any,
                                                                         samples: dict[str, bytes], case: str) -> None:
    fields: dict[str, Any] = {
        "draft": {"status": "draft"}, "restricted": {"access": "restricted"},
        "embargoed": {"embargo_until": "2999-01-01"}, "no audio consent": {"consent_audio": False},
        "consent withdrawn": {}, "video without face consent": {"consent_face_voice": False},
    }[case]
    name = "mp4-video" if case.startswith("video") else "wav"
    rec = with_recording(factory, samples[name], name, **fields)
    if case == "consent withdrawn":
        testimony_service.withdraw_consent(rec.testimony, None)
    assert_like_missing(client, client.get(url(rec)))
    assert client.get(f"/media/recordings/{rec.id}").status_code == 404
    for odd in ("/media/recordings/0/waveform", "/media/recordings/99999999999999999999/waveform"):
        assert_like_missing(client, client.get(odd))


def test_no_peaks_while_the_public_copy_is_not_ready(app: Flask, client: FlaskClient, factory: Any, auth: Any,
                                                     samples: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["JOBS_COPY_CACHE"] = ""
    monkeypatch.setattr(copies, "make_public_copy", lambda *a, **k: (_ for _ in ()).throw(
        copies.RedactionError("the encoder gave up")))
    rec = with_recording(factory, samples["wav"])
    assert copies.servable_copy(rec) is None
    response = client.get(url(rec))
    assert response.status_code == 200
    assert response.get_json() == {"recording": rec.id, "testimony": rec.testimony_id, "ready": False}
    assert response.headers["Cache-Control"] == "no-store, private"
    # The page shows the notice and no player, so no timeline either.
    page = client.get(f"/testimonies/{rec.testimony_id}").get_data(as_text=True)
    assert 'id="timeline"' not in page and "timeline.js" not in page
    # Staff hear the original meanwhile; their timeline has nothing to draw yet.
    auth.login("curator")
    assert client.get(url(rec)).get_json()["ready"] is False
    page = client.get(f"/testimonies/{rec.testimony_id}").get_data(as_text=True)
    assert 'id="timeline" hidden' in page


def test_a_stale_copy_gives_no_peaks(client: FlaskClient, factory: Any, samples: dict[str, bytes],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    rec = with_recording(factory, samples["wav"])
    assert client.get(url(rec)).get_json()["ready"] is True
    # A passage restricted later: until the new copy is made, the old one (and its peaks) is not served.
    monkeypatch.setattr(copies, "refresh_testimony", lambda *a, **k: 0)
    segment = rec.testimony.segments[0]
    testimony_service.update_segment(rec.testimony, segment, {**SEGMENTS[0], "restricted": True}, None)
    db.session.expire_all()
    body = client.get(url(rec)).get_json()
    assert body["ready"] is False and "peaks" not in body


def test_without_transcript_consent_the_drawing_has_no_chapters_or_gaps(client: FlaskClient, factory: Any,
                                                                         samples: dict[str, bytes]) -> None:
    rec = with_recording(factory, samples["wav"], consent_transcript=False)
    body = client.get(url(rec)).get_json()
    assert body["ready"] and body["peaks"]
    assert body["chapters"] == [] and body["gaps"] == []


def test_the_listening_page_carries_the_timeline_hidden_until_drawn(client: FlaskClient, factory: Any,
                                                                     samples: dict[str, bytes]) -> None:
    rec = with_recording(factory, samples["wav"])
    page = client.get(f"/testimonies/{rec.testimony_id}").get_data(as_text=True)
    assert f'data-waveform-url="/media/recordings/{rec.id}/waveform"' in page
    assert 'id="timeline" hidden aria-hidden="true"' in page
    assert '<script type="module" src="/static/js/timeline.js"></script>' in page
    assert "Withheld passage: silent" in page and "Chapter start" in page
