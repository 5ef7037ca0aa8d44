"""Media delivery: access checks, HTTP ranges, caching headers and hand-off to the web server."""
from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive import create_app
from archive.config import PROJECT_ROOT
from archive.core.extensions import db
from archive.media.files import resolve_media_path
from archive.models import Recording
from archive import models
from archive.models.base import utcnow
from archive.curation.recordings import upload_recording
from archive.media.views import parse_byte_range, sendfile_mode

DEMO_AUDIO = PROJECT_ROOT / "media" / "demo" / "demo-001.ogg"
AUDIO = DEMO_AUDIO.read_bytes()
SIZE = len(AUDIO)
SHA256 = hashlib.sha256(AUDIO).hexdigest()


def with_recording(factory: Any, **fields: Any) -> tuple[models.Testimony, Recording]:
    """A testimony (public and published unless told otherwise) with the demo audio attached.

    The narrator consented to the unaltered voice and nothing is restricted, so the public copy is the
    original file itself (tests/media/test_serving.py and test_redaction.py cover redacted and voice-masked copies).
    """
    t = factory.testimony(**{"consent_face_voice": True, **fields})
    # The uploaded name carries a (fictional) real name: it must never reach a response header.
    upload_recording(t, io.BytesIO(AUDIO), "Kim Chol-su full interview.ogg", None)
    assert t.recording is not None
    return t, t.recording


def url(rec: Recording) -> str:
    return f"/media/recordings/{rec.id}"


def comparable(response: Any) -> tuple[int, bytes, dict[str, str]]:
    headers = {k: v for k, v in response.headers.items() if k not in ("Date",)}
    return response.status_code, response.data, headers


# ------------------------------------------------------------------ whole file and headers


def test_public_recording_is_served_whole_with_long_lived_caching(client: FlaskClient, factory: Any) -> None:
    t, rec = with_recording(factory)
    response = client.get(url(rec))
    assert response.status_code == 200
    assert response.data == AUDIO
    assert response.headers["Content-Type"] == "audio/ogg"
    assert response.headers["Content-Length"] == str(SIZE)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["ETag"] == f'"{SHA256}"'
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert "Content-Range" not in response.headers


def test_content_disposition_is_inline_with_a_safe_generated_name(client: FlaskClient, factory: Any) -> None:
    t, rec = with_recording(factory)
    disposition = client.get(url(rec)).headers["Content-Disposition"]
    assert disposition == f'inline; filename="testimony-{t.id}.ogg"'
    assert "Kim" not in disposition


def test_head_gives_the_headers_without_a_body(client: FlaskClient, factory: Any) -> None:
    _, rec = with_recording(factory)
    response = client.head(url(rec))
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(SIZE)
    assert response.data == b""


def test_matching_if_none_match_answers_304(client: FlaskClient, factory: Any) -> None:
    _, rec = with_recording(factory)
    response = client.get(url(rec), headers={"If-None-Match": f'"{SHA256}"'})
    assert response.status_code == 304
    assert response.data == b""
    assert client.get(url(rec), headers={"If-None-Match": '"other"'}).status_code == 200


# ------------------------------------------------------------------ ranges


@pytest.mark.parametrize(("header", "first", "last"), [
    ("bytes=0-99", 0, 99),
    ("bytes=100-199", 100, 199),
    ("bytes=0-", 0, SIZE - 1),                       # what browsers send first: still 206
    ("bytes=1000-", 1000, SIZE - 1),                 # open-ended
    ("bytes=-500", SIZE - 500, SIZE - 1),            # suffix
    ("bytes=-99999999", 0, SIZE - 1),                # suffix longer than the file
    ("bytes=10-99999999", 10, SIZE - 1),             # end past the file is clamped
    (f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE - 1),
    ("BYTES = 5-9", 5, 9),
])
def test_single_range_gives_206_with_content_range(client: FlaskClient, factory: Any, header: str,
                                                    first: int, last: int) -> None:
    _, rec = with_recording(factory)
    response = client.get(url(rec), headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response.headers["Content-Length"] == str(last - first + 1)
    assert response.data == AUDIO[first:last + 1]
    assert response.headers["Content-Type"] == "audio/ogg"
    assert response.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_unsatisfiable_range_gives_416_with_the_size(client: FlaskClient, factory: Any, header: str) -> None:
    _, rec = with_recording(factory)
    response = client.get(url(rec), headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"
    assert AUDIO[:64] not in response.data


def test_several_ranges_are_answered_with_the_whole_file(client: FlaskClient, factory: Any) -> None:
    """Decision: no multipart/byteranges; RFC 9110 lets a server ignore Range and send 200."""
    _, rec = with_recording(factory)
    for header in ("bytes=0-9,20-29", "bytes=0-9, -5", f"bytes=0-9,{SIZE}-"):
        response = client.get(url(rec), headers={"Range": header})
        assert response.status_code == 200, header
        assert response.data == AUDIO
        assert "Content-Range" not in response.headers
        assert "multipart" not in response.headers["Content-Type"]


@pytest.mark.parametrize("header", ["bytes=abc", "items=0-9", "bytes=9-5", "bytes=", "bytes=--5", "0-9"])
def test_malformed_range_is_ignored(client: FlaskClient, factory: Any, header: str) -> None:
    _, rec = with_recording(factory)
    response = client.get(url(rec), headers={"Range": header})
    assert response.status_code == 200
    assert response.data == AUDIO


def test_if_range_sends_the_part_only_for_the_current_version(client: FlaskClient, factory: Any) -> None:
    _, rec = with_recording(factory)
    same = client.get(url(rec), headers={"Range": "bytes=0-9", "If-Range": f'"{SHA256}"'})
    assert same.status_code == 206 and same.data == AUDIO[:10]
    other = client.get(url(rec), headers={"Range": "bytes=0-9", "If-Range": '"old-version"'})
    assert other.status_code == 200 and other.data == AUDIO
    dated = client.get(url(rec), headers={"Range": "bytes=0-9", "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert dated.status_code == 200


def test_parse_byte_range_edge_cases() -> None:
    assert parse_byte_range(None, 100) is None
    assert parse_byte_range("bytes=0-0", 100) == (0, 0)
    assert parse_byte_range("bytes=-100", 100) == (0, 99)
    assert parse_byte_range("bytes=0-", 0) == "unsatisfiable"
    assert parse_byte_range("bytes=-1", 0) == "unsatisfiable"
    assert parse_byte_range("bytes=1-2,3-4", 100) is None


# ------------------------------------------------------------------ access


HIDDEN = {
    "researchers": {"access": "researchers"},
    "restricted": {"access": "restricted"},
    "draft": {"status": "draft"},
    "embargoed": {"embargo_until": (date.today() + timedelta(days=30)).isoformat()},
    "no audio consent": {"consent_audio": False},
}


@pytest.mark.parametrize("case", list(HIDDEN))
def test_recording_the_user_may_not_hear_answers_like_a_missing_one(client: FlaskClient, factory: Any,
                                                                     case: str) -> None:
    _, rec = with_recording(factory, **HIDDEN[case])
    hidden = client.get(url(rec), headers={"Range": "bytes=0-9"})
    missing = client.get("/media/recordings/987654", headers={"Range": "bytes=0-9"})
    assert hidden.status_code == 404
    assert comparable(hidden) == comparable(missing)


def test_withdrawn_consent_hides_the_recording(client: FlaskClient, factory: Any) -> None:
    t, rec = with_recording(factory)
    t.consent_withdrawn_at = utcnow()
    db.session.commit()
    assert client.get(url(rec)).status_code == 404


def test_researcher_hears_researcher_recordings_without_caching(client: FlaskClient, factory: Any,
                                                                auth: Any) -> None:
    _, rec = with_recording(factory, access="researchers")
    auth.login("researcher", approved=True)
    response = client.get(url(rec), headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response.headers["Cache-Control"] == "no-store, private"
    assert "Access-Control-Allow-Origin" not in response.headers  # never shared with other sites


def test_public_recordings_may_be_played_by_viewers_on_other_sites(client: FlaskClient, factory: Any) -> None:
    _, rec = with_recording(factory)
    response = client.get(url(rec), headers={"Range": "bytes=0-9", "Origin": "https://viewer.example"})
    assert response.status_code == 206
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Content-Range" in response.headers["Access-Control-Expose-Headers"]


def test_unapproved_researcher_is_treated_as_public(client: FlaskClient, factory: Any, auth: Any) -> None:
    _, rec = with_recording(factory, access="researchers")
    auth.login("researcher", approved=False)
    assert client.get(url(rec)).status_code == 404


def test_staff_hear_drafts_and_restricted_recordings_privately(client: FlaskClient, factory: Any,
                                                               auth: Any) -> None:
    _, draft = with_recording(factory, status="draft", access="restricted", consent_audio=False)
    auth.login("curator")
    response = client.get(url(draft))
    assert response.status_code == 200
    assert response.data == AUDIO
    assert response.headers["Cache-Control"] == "no-store, private"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_missing_file_is_a_404(app: Flask, client: FlaskClient, factory: Any) -> None:
    _, rec = with_recording(factory)
    resolve_media_path(Path(app.config["MEDIA_ROOT"]), rec.storage_path).unlink()
    assert client.get(url(rec)).status_code == 404


# ------------------------------------------------------------------ hand-off to the web server


def test_x_sendfile_sends_the_absolute_path_and_no_body(app: Flask, client: FlaskClient, factory: Any) -> None:
    _, rec = with_recording(factory)
    app.config["MEDIA_SENDFILE"] = "X-Sendfile"
    response = client.get(url(rec), headers={"Range": "bytes=0-9"})
    path = resolve_media_path(Path(app.config["MEDIA_ROOT"]), rec.storage_path).resolve()
    assert response.status_code == 200  # the web server answers the range itself
    assert response.headers["X-Sendfile"] == str(path)
    assert Path(response.headers["X-Sendfile"]).is_absolute()
    assert response.data == b""
    assert "Content-Range" not in response.headers
    assert response.headers["Content-Type"] == "audio/ogg"
    assert response.headers["ETag"] == f'"{SHA256}"'
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert "X-Accel-Redirect" not in response.headers


def test_x_accel_redirect_sends_the_prefixed_relative_path(app: Flask, client: FlaskClient, factory: Any) -> None:
    _, rec = with_recording(factory)
    app.config["MEDIA_SENDFILE"] = "X-Accel-Redirect:/internal-media/"
    response = client.get(url(rec))
    assert response.status_code == 200
    assert response.headers["X-Accel-Redirect"] == f"/internal-media/{rec.storage_path}"
    assert response.data == b""
    assert "X-Sendfile" not in response.headers
    assert response.headers["Content-Disposition"].startswith("inline; filename=")


def test_sendfile_modes_still_check_access(app: Flask, client: FlaskClient, factory: Any) -> None:
    _, rec = with_recording(factory, access="researchers")
    for mode in ("X-Sendfile", "X-Accel-Redirect:/internal-media/"):
        app.config["MEDIA_SENDFILE"] = mode
        response = client.get(url(rec))
        assert response.status_code == 404
        assert "X-Sendfile" not in response.headers and "X-Accel-Redirect" not in response.headers


def test_sendfile_setting_is_validated(tmp_path: Path) -> None:
    assert sendfile_mode("") is None
    assert sendfile_mode("X-Sendfile") == ("X-Sendfile", "")
    assert sendfile_mode("X-Accel-Redirect:/internal-media") == ("X-Accel-Redirect", "/internal-media/")
    for bad in ("X-Accel-Redirect:", "X-Accel-Redirect:internal", "nginx", "x-sendfile-please"):
        with pytest.raises(RuntimeError):
            sendfile_mode(bad)
    with pytest.raises(RuntimeError):
        create_app({"MEDIA_SENDFILE": "sendfile", "ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
