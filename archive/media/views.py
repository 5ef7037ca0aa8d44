"""Recordings, served only where the access policy allows, with HTTP range support, and their waveforms.

A recording the user may not hear answers exactly like a missing one (404). Ranges follow
RFC 9110: one range gives 206, an unsatisfiable one 416 with ``Content-Range: bytes */SIZE``;
a request for several ranges is answered with the whole file (200), which the RFC allows and
which media players never need otherwise. In production ``MEDIA_SENDFILE`` hands the transfer
(ranges included) to the web server after the access check.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, render_template, request
from flask_login import current_user

from archive.media.files import ALLOWED_MEDIA, MediaError, resolve_media_path
from archive.media import copies
from archive.models import Recording
from archive.policy import access
from archive.interop import api as api_service
from archive.public import listening
from archive.media.waveform import recording_waveform
from archive.core.security import share_with_other_sites
from archive.formats.pictures import waveform_png

bp = Blueprint("media", __name__, url_prefix="/media")

CHUNK_BYTES = 64 * 1024
# Public media may be cached but is revalidated (a cheap 304 via the ETag) so a withdrawal takes effect at once.
PUBLIC_CACHE = "public, no-cache"
PRIVATE_CACHE = "no-store, private"
X_SENDFILE = "X-Sendfile"
X_ACCEL = "X-Accel-Redirect:"
THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT = 320, 80
_RANGE_SPEC = re.compile(r"^(?:(\d+)-(\d*)|-(\d+))$")


@bp.record_once
def _check_config(state: object) -> None:
    app: Flask = state.app  # type: ignore[attr-defined]
    sendfile_mode(app.config.get("MEDIA_SENDFILE", ""))


def sendfile_mode(setting: str | None) -> tuple[str, str] | None:
    """Parse MEDIA_SENDFILE: None, ("X-Sendfile", "") or ("X-Accel-Redirect", "/prefix/")."""
    setting = (setting or "").strip()
    if not setting:
        return None
    if setting == X_SENDFILE:
        return X_SENDFILE, ""
    if setting.startswith(X_ACCEL):
        prefix = setting[len(X_ACCEL):].strip()
        if prefix.startswith("/"):
            return "X-Accel-Redirect", prefix.rstrip("/") + "/"
    raise RuntimeError(f"MEDIA_SENDFILE must be empty, {X_SENDFILE!r} or 'X-Accel-Redirect:/internal-prefix/', "
                       f"not {setting!r}")


def parse_byte_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """Read a Range header against a file size.

    Returns (first, last) inclusive for one satisfiable range, "unsatisfiable", or None when the
    header is absent, malformed, not in bytes or asks for several ranges (then the whole file is sent).
    """
    if not header:
        return None
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or not specs.strip():
        return None
    parts = [part.strip() for part in specs.split(",")]
    matches = [_RANGE_SPEC.match(part) for part in parts]
    if not all(matches) or len(parts) != 1:
        return None  # malformed or several ranges: RFC 9110 lets a server ignore Range
    match = matches[0]
    assert match is not None
    if match.group(3) is not None:  # suffix: the last N bytes
        suffix = int(match.group(3))
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
    first = int(match.group(1))
    if match.group(2) and int(match.group(2)) < first:
        return None  # an invalid range-spec: ignore the header
    if first >= size:
        return "unsatisfiable"
    last = int(match.group(2)) if match.group(2) else size - 1
    return first, min(last, size - 1)


def _read(path: Path, first: int, length: int) -> Iterator[bytes]:
    """Stream `length` bytes of a file from `first`."""
    with path.open("rb") as handle:
        handle.seek(first)
        while length > 0:
            chunk = handle.read(min(CHUNK_BYTES, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk


def download_name(rec: Recording) -> str:
    """A safe, non-identifying file name: uploaded names can carry a narrator's real name."""
    extension = ALLOWED_MEDIA.get(rec.mime_type) or Path(rec.storage_path).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,5}", extension or ""):
        extension = ""
    return f"testimony-{int(rec.testimony_id)}{extension}"


def _headers(rec: Recording, public: bool, etag: str) -> dict[str, str]:
    headers = {
        "Content-Type": rec.mime_type,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{download_name(rec)}"',
        "ETag": f'"{etag}"',
        "Cache-Control": PUBLIC_CACHE if public else PRIVATE_CACHE,
    }
    if public:
        # IIIF viewers on other sites play public recordings (their manifests allow it too), some without
        # CORS (so CORP must allow it); with "*" no cookies travel: nothing beyond what anonymous visitors get.
        share_with_other_sites(headers)
        headers["Access-Control-Expose-Headers"] = "Accept-Ranges, Content-Length, Content-Range, ETag"
    return headers


@bp.get("/recordings/<int:recording_id>")
def recording(recording_id: int) -> Response:
    """Serve a recording the user may hear: whole, one byte range, or through the web server.

    Staff get the original (or the public copy with ?copy=public, to check it); everyone else gets
    only the public copy, and no audio at all while it is being made or has failed.
    """
    rec = listening.hearable_recording(current_user, recording_id)
    if rec is None:
        abort(404)
    original = access.hears_original(current_user) and request.args.get("copy") != "public"
    copy = None if original else copies.servable_copy(rec)
    if not original and copy is None:
        abort(404)
    storage_path, etag = (rec.storage_path, rec.sha256) if copy is None else (copy.storage_path, copy.sha256)
    root = Path(current_app.config["MEDIA_ROOT"])
    try:
        path = resolve_media_path(root, storage_path or "")
    except MediaError:
        abort(404)
    if not path.is_file():
        abort(404)
    # Originals are never stored by shared caches: the same URL gives everyone else the public copy.
    headers = _headers(rec, copy is not None and listening.recording_is_public(rec.testimony), etag)

    mode = sendfile_mode(current_app.config.get("MEDIA_SENDFILE"))
    if mode is not None:
        name, prefix = mode
        if name == X_SENDFILE:
            headers[X_SENDFILE] = str(path.resolve())
        else:
            relative = path.resolve().relative_to(root.resolve()).as_posix()
            headers[name] = prefix + quote(relative)
        # The web server supplies the body, its length and any range; the app only decided who may hear.
        return Response(b"", status=200, headers=headers)

    if request.if_none_match and request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)

    size = path.stat().st_size
    wanted = parse_byte_range(request.headers.get("Range"), size)
    if_range = request.headers.get("If-Range")
    if wanted is not None and if_range is not None and if_range.strip() != f'"{etag}"':
        wanted = None  # the client holds another version (or only a date): send it the whole file
    if wanted == "unsatisfiable":
        response = Response(
            render_template("errors/error.html", code=416, name="Range Not Satisfiable",
                            description="The requested range of the file is not available."),
            status=416, mimetype="text/html")
        response.headers.update({key: value for key, value in headers.items()
                                 if key not in ("Content-Type", "Content-Disposition")})
        response.headers["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is None:
        first, last, status = 0, size - 1, 200
    else:
        assert isinstance(wanted, tuple)
        (first, last), status = wanted, 206
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    length = max(last - first + 1, 0)
    headers["Content-Length"] = str(length)
    response = Response(_read(path, first, length), status=status, headers=headers, direct_passthrough=True)
    return response


@bp.get("/recordings/<int:recording_id>/waveform")
def waveform(recording_id: int) -> Response:
    """The public copy's peaks, chapter starts and withheld stretches (times only) for the player's timeline.

    Answers only where the user may hear the recording (the same check as `recording`); anything else is
    the same JSON 404 for a missing and a hidden record. ``ready: false`` and no peaks while the copy is
    being made or failed. Staff get the public copy's drawing too (``?copy=public`` changes nothing).
    """
    found = recording_waveform(current_user, recording_id)
    if found is None:
        response = jsonify(api_service.not_found().body())
        response.status_code = 404
        return response
    response = jsonify(found.body)
    if found.ready and found.public:
        # Anonymous listeners' caches may keep it, revalidated like the recording (a 304 via the ETag).
        response.headers["Cache-Control"] = PUBLIC_CACHE
        response.add_etag()
        return response.make_conditional(request)
    response.headers["Cache-Control"] = PRIVATE_CACHE
    return response


@bp.get("/recordings/<int:recording_id>/waveform.png")
def waveform_picture(recording_id: int) -> Response:
    """The public copy's waveform as a small PNG (the IIIF manifest's thumbnail).

    The same check as `waveform`: a recording the user may not hear, or whose public copy is not ready,
    answers like a missing one (the 404 page). Public pictures may be kept by caches and loaded by other sites.
    """
    found = recording_waveform(current_user, recording_id)
    if found is None or not found.ready:
        abort(404)
    response = Response(waveform_png(found.body["peaks"], THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT), mimetype="image/png")
    if not found.public:
        response.headers["Cache-Control"] = PRIVATE_CACHE
        return response
    response.headers["Cache-Control"] = PUBLIC_CACHE
    share_with_other_sites(response.headers)
    response.add_etag()
    return response.make_conditional(request)
