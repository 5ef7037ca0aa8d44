"""What each audience receives: the public copy (redacted, voice-masked) or, for staff, the original."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive.core.extensions import db
from archive.media import copies
from archive.media.voice import ratio_for
from archive.models import Recording
from archive.curation.recordings import upload_recording
from tests.media.samples import (
    FORMATS, RESTRICTED, TONE_HZ, decode, loudest_dbfs, main_frequency, make_sample, video_packets,
)

SEGMENTS = [{"start": 0.0, "end": 1.0, "text": "Before."},
            {"start": RESTRICTED[0], "end": RESTRICTED[1], "text": "My brother's unit.", "restricted": True},
            {"start": 2.0, "end": 3.0, "text": "After."}]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    directory = tmp_path_factory.mktemp("samples")
    return {name: make_sample(directory, name).read_bytes() for name in FORMATS}


def with_recording(factory: Any, data: bytes, name: str, **fields: Any) -> Recording:
    t = factory.testimony(segments=SEGMENTS, **{"consent_face_voice": True, **fields})
    upload_recording(t, io.BytesIO(data), f"Kim Chol-su{FORMATS[name][1]}", None)
    assert t.recording is not None
    return t.recording


def served(tmp_path: Path, response: Any, name: str) -> Path:
    path = tmp_path / f"served{FORMATS[name][1]}"
    path.write_bytes(response.data)
    return path


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_public_hears_the_restricted_passage_as_silence(client: FlaskClient, factory: Any, tmp_path: Path,
                                                            samples: dict[str, bytes], name: str) -> None:
    rec = with_recording(factory, samples[name], name)
    response = client.get(f"/media/recordings/{rec.id}")
    assert response.status_code == 200
    assert response.data != samples[name]
    assert response.headers["Content-Type"] == FORMATS[name][0]
    copy = copies.servable_copy(rec)
    assert copy is not None and response.headers["ETag"] == f'"{copy.sha256}"' != f'"{rec.sha256}"'
    audio, rate = decode(served(tmp_path, response, name))
    assert loudest_dbfs(audio, rate, *RESTRICTED) < -60
    assert loudest_dbfs(audio, rate, 0.1, 0.9) > -20
    original, original_rate = decode(_write(tmp_path, samples[name], name))
    assert abs(audio.size / rate - original.size / original_rate) <= 0.02
    if name == "mp4-video":
        assert video_packets(served(tmp_path, response, name)) == video_packets(_write(tmp_path, samples[name], name))
    assert copy.waveform and copy.waveform["peaks"]


def _write(tmp_path: Path, data: bytes, name: str) -> Path:
    path = tmp_path / f"original{FORMATS[name][1]}"
    path.write_bytes(data)
    return path


def test_no_url_gives_non_staff_the_original(client: FlaskClient, factory: Any, auth: Any,
                                            samples: dict[str, bytes]) -> None:
    rec = with_recording(factory, samples["wav"], "wav", access="researchers")
    auth.login("researcher", approved=True)
    original = samples["wav"]
    copy = (copies.media_root() / copies.servable_copy(rec).storage_path).read_bytes()
    assert copy != original
    for query in ("", "?copy=public", "?copy=original", "?original=1"):
        for headers, expected in (({}, copy), ({"Range": "bytes=0-"}, copy), ({"Range": "bytes=-100"}, copy[-100:]),
                                  ({"Range": "bytes=0-99"}, copy[:100]),
                                  ({"If-None-Match": f'"{rec.sha256}"'}, copy)):
            response = client.get(f"/media/recordings/{rec.id}{query}", headers=headers)
            assert response.status_code in (200, 206)
            assert response.data == expected
            assert rec.sha256 not in response.headers.get("ETag", "")
    manifest = client.get(f"/iiif/testimonies/{rec.testimony_id}/manifest.json").get_data(as_text=True)
    for media_url in re.findall(r'"(http[^"]*/media/recordings/[^"]*)"', manifest):
        assert client.get(media_url).data != original


def test_staff_hear_the_original_and_can_check_the_public_copy(client: FlaskClient, factory: Any, auth: Any,
                                                              samples: dict[str, bytes]) -> None:
    rec = with_recording(factory, samples["wav"], "wav")
    auth.login("curator")
    original = client.get(f"/media/recordings/{rec.id}")
    assert original.data == samples["wav"] and original.headers["Cache-Control"] == "no-store, private"
    public = client.get(f"/media/recordings/{rec.id}?copy=public")
    assert public.data != samples["wav"] and public.headers["ETag"] == f'"{copies.servable_copy(rec).sha256}"'
    page = client.get(f"/curate/testimonies/{rec.testimony_id}").get_data(as_text=True)
    assert "Ready and verified." in page and "1 restricted passage is silenced." in page


def test_without_voice_consent_the_public_hears_a_masked_voice(client: FlaskClient, factory: Any, tmp_path: Path,
                                                               samples: dict[str, bytes]) -> None:
    rec = with_recording(factory, samples["wav"], "wav", consent_face_voice=False)
    response = client.get(f"/media/recordings/{rec.id}")
    audio, rate = decode(served(tmp_path, response, "wav"))
    assert main_frequency(audio, rate, 2.1, 2.9) == pytest.approx(TONE_HZ * ratio_for(copies.DEFAULT_SEMITONES),
                                                                  rel=0.03)
    assert copies.servable_copy(rec).masked
    # Consent to the unaltered voice given later: a new copy, the voice as recorded.
    rec.testimony.consent_face_voice = True
    db.session.commit()
    audio, rate = decode(served(tmp_path, client.get(f"/media/recordings/{rec.id}"), "wav"))
    assert main_frequency(audio, rate, 2.1, 2.9) == pytest.approx(TONE_HZ, rel=0.01)


def test_while_the_copy_is_missing_the_public_gets_no_audio_and_a_notice(app: Flask, client: FlaskClient,
                                                                         factory: Any, samples: dict[str, bytes],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app.config["JOBS_COPY_CACHE"] = ""
    monkeypatch.setattr(copies, "make_public_copy", lambda *a, **k: (_ for _ in ()).throw(
        copies.RedactionError("the encoder gave up")))
    rec = with_recording(factory, samples["wav"], "wav")
    assert client.get(f"/media/recordings/{rec.id}").status_code == 404
    page = client.get(f"/testimonies/{rec.testimony_id}").get_data(as_text=True)
    assert "being prepared for listening" in page
    assert f"/media/recordings/{rec.id}" not in page


def test_replacing_or_deleting_a_recording_removes_its_public_copy(factory: Any, samples: dict[str, bytes]) -> None:
    from archive.curation.recordings import delete_recording

    rec = with_recording(factory, samples["wav"], "wav")
    first = copies.media_root() / copies.servable_copy(rec).storage_path
    assert first.is_file()
    t = rec.testimony
    upload_recording(t, io.BytesIO(samples["flac"]), "again.flac", None)
    second = copies.media_root() / copies.servable_copy(t.recording).storage_path
    assert second.is_file() and not first.exists()
    delete_recording(t, None)
    assert not second.exists()
    assert not [p for p in (copies.media_root() / copies.PUBLIC_DIR).rglob("*") if p.is_file()]


def test_a_video_without_face_consent_is_never_public(client: FlaskClient, factory: Any,
                                                      samples: dict[str, bytes]) -> None:
    from archive.public import listening

    rec = with_recording(factory, samples["mp4-video"], "mp4-video", consent_face_voice=False)
    assert client.get(f"/media/recordings/{rec.id}").status_code == 404
    # Not public, so no response about it may be marked for shared caches.
    assert not listening.recording_is_public(rec.testimony)
    rec.testimony.consent_face_voice = True
    db.session.commit()
    assert listening.recording_is_public(rec.testimony)
    assert client.get(f"/media/recordings/{rec.id}").headers["Cache-Control"] == "public, no-cache"
