"""Recording uploads through the curator form: real files, size limits, type sniffing and file names."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from archive import models
from archive.core.extensions import db
from archive.models import Recording
from tests.sound import stored_originals
from tests.curation.test_curator import edit_url, html_of, load_form, make_wav, reload  # noqa: F401


@pytest.fixture()
def draft(factory: Any) -> models.Testimony:
    return factory.testimony(title="Crossing at night", access="restricted", status="draft")


def media_files(app: Flask) -> list[Path]:
    return stored_originals(app.config["MEDIA_ROOT"])


def upload(client: FlaskClient, t: models.Testimony, content: bytes, filename: str) -> Any:
    """Submit the upload form with a file, as a browser does."""
    return post_multipart(client, f"{edit_url(t)}/recording",
                          {**load_form(client, edit_url(t), f"/{t.id}/recording"), "rec-file": (content, filename)})


def post_multipart(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    """Post a multipart body built in memory (the test client would spool a large one to an unclosed temp file)."""
    fields = MultiDict()
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                item = FileStorage(io.BytesIO(item[0]), filename=item[1], content_type="application/octet-stream")
            fields.add(name, item)
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def recording_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Recording)) or 0


def test_valid_wav_is_stored_with_its_duration(app: Flask, client: FlaskClient, curator: Any,
                                               draft: models.Testimony) -> None:
    wav = make_wav(seconds=1.5)
    response = upload(client, draft, wav, "interview.wav")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#recording")
    rec = reload(draft).recording
    assert rec is not None
    assert (rec.mime_type, rec.size_bytes, rec.original_filename) == ("audio/wav", len(wav), "interview.wav")
    assert rec.duration_seconds == pytest.approx(1.5, abs=0.01)
    html = html_of(client.get(edit_url(draft)))
    for shown in ("audio/wav", rec.sha256, "2 s", "interview.wav", "Replace recording",
                  "Remove the recording and delete its file"):
        assert shown in html
    assert [p.name for p in media_files(app)] == [Path(rec.storage_path).name]


def test_replacing_and_removing_a_recording_deletes_the_old_files(app: Flask, client: FlaskClient, curator: Any,
                                                                   draft: models.Testimony) -> None:
    upload(client, draft, make_wav(1.0), "first.wav")
    first = media_files(app)
    assert upload(client, draft, make_wav(2.0), "second.wav").status_code == 302
    second = media_files(app)
    assert len(second) == 1 and second != first
    data = load_form(client, edit_url(draft), f"/{draft.id}/recording/delete")
    assert client.post(f"{edit_url(draft)}/recording/delete", data=data).status_code == 302
    assert reload(draft).recording is None and media_files(app) == []


@pytest.mark.parametrize("size", [
    2 * 1024 * 1024 + 10_000,  # over MAX_UPLOAD_BYTES, under MAX_CONTENT_LENGTH: the service refuses it
    4 * 1024 * 1024,  # over MAX_CONTENT_LENGTH: Werkzeug refuses the body before the view runs
])
def test_oversized_upload_is_refused_with_413_and_nothing_is_stored(app: Flask, client: FlaskClient, curator: Any,
                                                                    draft: models.Testimony, size: int) -> None:
    wav = make_wav(seconds=size / 16000)
    assert len(wav) > app.config["MAX_UPLOAD_BYTES"]
    response = upload(client, draft, wav, "long.wav")
    assert response.status_code == 413
    html = html_of(response)
    assert "larger than the 2.0 MiB upload limit" in html
    assert "Recording file:" in html  # the message sits on the field of the re-rendered edit page
    assert recording_count() == 0 and media_files(app) == []
    assert reload(draft).version == draft.version


def test_oversized_transcript_file_gets_413_on_the_transcript_field(client: FlaskClient, curator: Any,
                                                                   draft: models.Testimony) -> None:
    data = load_form(client, edit_url(draft), f"/{draft.id}/transcript")
    response = post_multipart(client, f"{edit_url(draft)}/transcript",
                              {**data, "tr-file": (b"[00:00:01] A: hi\n" * 250_000, "huge.txt")})
    assert response.status_code == 413
    assert "Transcript file: the file is larger than the 2.0 MiB upload limit" in html_of(response)
    assert reload(draft).segments == []


def test_oversized_body_from_a_non_curator_reveals_nothing(app: Flask, client: FlaskClient, auth: Any,
                                                           draft: models.Testimony) -> None:
    response = post_multipart(client, f"{edit_url(draft)}/recording", {"rec-file": (b"x" * 4 * 1024 * 1024, "a.wav")})
    assert response.status_code == 413
    assert "Crossing at night" not in html_of(response)


@pytest.mark.parametrize("content, filename, looks_like", [
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "song.mp3", "an HTML page"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "song.mp3", "a PDF document"),
    (b"Just some notes about the interview.\n", "song.mp3", "plain text"),
    (b"MZ\x90\x00" + b"\x00" * 200, "voice.wav", "a Windows program"),
])
def test_non_media_renamed_as_audio_is_rejected(app: Flask, client: FlaskClient, curator: Any,
                                                draft: models.Testimony, content: bytes, filename: str,
                                                looks_like: str) -> None:
    response = upload(client, draft, content, filename)
    assert response.status_code == 400
    html = html_of(response)
    assert "is not a supported audio or video file" in html and looks_like in html
    assert "Recording file:" in html
    assert recording_count() == 0 and media_files(app) == []


def test_empty_upload_is_rejected(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    data: dict[str, Any] = load_form(client, edit_url(draft), f"/{draft.id}/recording")
    response = client.post(f"{edit_url(draft)}/recording", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose an audio or video file" in html_of(response)


@pytest.mark.parametrize("filename", ["../../etc/passwd.wav", "..\\..\\Windows\\win.ini.wav", "/etc/passwd.wav",
                                      "C:\\temp\\x.wav", "\u202egnp.wav"])
def test_path_tricks_in_the_file_name_only_change_the_display_name(app: Flask, client: FlaskClient, curator: Any,
                                                                   draft: models.Testimony, tmp_path: Path,
                                                                   filename: str) -> None:
    response = upload(client, draft, make_wav(0.5), filename)
    assert response.status_code == 302
    rec = reload(draft).recording
    assert rec.storage_path.startswith("recordings/") and ".." not in rec.storage_path
    assert rec.storage_path.rsplit("/", 1)[-1] != rec.original_filename
    assert len(Path(rec.storage_path).stem) == 32  # a generated uuid name
    assert "/" not in rec.original_filename and "\\" not in rec.original_filename
    assert "\u202e" not in rec.original_filename
    files = media_files(app)
    assert len(files) == 1 and files[0].resolve().is_relative_to(Path(app.config["MEDIA_ROOT"]).resolve())
    assert not (tmp_path / "etc").exists() and not (Path(app.config["MEDIA_ROOT"]).parent / "etc").exists()
    assert oct(os.stat(files[0]).st_mode & 0o777) == "0o640"


def test_stale_upload_gets_409_and_stores_nothing(app: Flask, client: FlaskClient, auth: Any,
                                                 draft: models.Testimony) -> None:
    auth.login("curator")
    stale: dict[str, Any] = load_form(client, edit_url(draft), f"/{draft.id}/recording")
    meta = load_form(client, edit_url(draft), f"/{draft.id}/metadata")
    assert client.post(f"{edit_url(draft)}/metadata", data={**meta, "meta-title": "Renamed"}).status_code == 302
    response = post_multipart(client, f"{edit_url(draft)}/recording", {**stale, "rec-file": (make_wav(0.5), "late.wav")})
    assert response.status_code == 409
    assert "changed title" in html_of(response)
    assert recording_count() == 0 and media_files(app) == []


def test_deleting_a_testimony_deletes_its_recording_file(app: Flask, client: FlaskClient, curator: Any,
                                                         draft: models.Testimony) -> None:
    assert upload(client, draft, make_wav(0.5), "x.wav").status_code == 302
    assert len(media_files(app)) == 1
    page = f"{edit_url(draft)}/delete"
    response = client.post(page, data={**load_form(client, page, page), "confirm": "y"})
    assert response.status_code == 302
    assert recording_count() == 0 and media_files(app) == []
