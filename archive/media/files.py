"""Store, identify and locate testimony recordings under a media root.

Uploads are recognised by their magic bytes only (never the client's file
name or declared type), stored under a generated name, and referred to by a
POSIX path relative to the media root. ``resolve_media_path`` is the one place
such a path becomes a filesystem path. Audio-only WebM is stored as
``video/webm``: the magic bytes do not say whether a WebM has a video track,
and browsers play both through the same element.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

import mutagen
from flask import current_app
from flask_babel import gettext, lazy_gettext

ALLOWED_MEDIA: dict[str, str] = {
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
    "audio/flac": ".flac",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/ogg": ".ogv",
}
ALLOWED_DESCRIPTION = "MP3, Ogg (Vorbis/Opus/Theora), WAV, FLAC, M4A, MP4 or WebM"
SNIFF_BYTES = 8192
CHUNK_BYTES = 64 * 1024
MAX_DISPLAY_NAME = 200
FALLBACK_DISPLAY_NAME = "upload"
STORED_FILE_MODE = 0o640  # testimonies can be sensitive: no world-readable copies

_AUDIO_MP4_BRANDS = {b"M4A ", b"M4B ", b"F4A "}
_VIDEO_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash",
    b"M4V ", b"mmp4", b"MSNV", b"f4v ",
}
_EXPLICIT_VIDEO_MP4_BRANDS = {b"M4V ", b"f4v ", b"avc1", b"MSNV"}
_OGG_VIDEO_IDS = (b"\x80theora", b"OVP80")
_SUBDIR_RE = re.compile(r"^[a-z0-9_-]+(?:/[a-z0-9_-]+)*$")
# Display names lose control, format (bidi override, zero-width), separator and surrogate characters.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class MediaError(ValueError):
    """A media file was rejected or a media path is unsafe."""


@dataclass(frozen=True)
class MediaInfo:
    """What probing a stored media file found."""

    mime_type: str
    duration_seconds: float | None
    size: int
    sha256: str


@dataclass(frozen=True)
class StoredMedia:
    """An accepted upload: where it lives (relative to the media root) and what it is."""

    relative_path: str
    original_filename: str
    mime_type: str
    size: int
    sha256: str
    duration_seconds: float | None


def _is_mpeg_audio_frame(head: bytes) -> bool:
    """Check for a plausible MPEG-1/2/2.5 audio frame header at the start."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 0b11
    # Layer 0 is ADTS AAC, not MP3; the other values are reserved or "bad".
    return version != 0b01 and layer != 0 and bitrate not in (0, 0xF) and sample_rate != 0b11


def _is_id3v2_header(head: bytes) -> bool:
    """Check for an ID3v2.2-2.4 tag header (version and sizes sane, not just 'ID3')."""
    return (
        len(head) >= 10
        and head.startswith(b"ID3")
        and head[3] in (2, 3, 4)
        and head[4] != 0xFF
        and all(byte < 0x80 for byte in head[6:10])
    )


def _ebml_doctype(head: bytes) -> bytes | None:
    """Return the DocType of an EBML header ('webm', 'matroska'), if readable."""
    index = head.find(b"\x42\x82", 4, 64)
    if index < 0 or index + 3 > len(head):
        return None
    size_byte = head[index + 2]
    if not size_byte & 0x80:  # only the one-byte size form is used for such short strings
        return None
    length = size_byte & 0x7F
    return head[index + 3 : index + 3 + length]


def sniff_media_type(head: bytes) -> str | None:
    """Return the MIME type of an allowed media format from its first bytes, else None."""
    if _is_id3v2_header(head):
        tag_size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        after_tag = head[10 + tag_size + (10 if head[5] & 0x10 else 0) :]
        # ID3 tags also prefix some FLAC files; what follows the tag decides when it is in view.
        return "audio/flac" if after_tag.startswith(b"fLaC") else "audio/mpeg"
    if _is_mpeg_audio_frame(head):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "video/ogg" if any(marker in head for marker in _OGG_VIDEO_IDS) else "audio/ogg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        box_size = int.from_bytes(head[:4], "big")
        compatible = {head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
        major = head[8:12]
        if major in _AUDIO_MP4_BRANDS:
            return "audio/mp4"
        if major in _VIDEO_MP4_BRANDS:
            # A generic brand (isom, mp42...) says nothing about tracks; an audio brand among the
            # compatible ones marks an .m4a written by a muxer that kept the generic major brand.
            generic = major not in _EXPLICIT_VIDEO_MP4_BRANDS
            return "audio/mp4" if generic and compatible & _AUDIO_MP4_BRANDS else "video/mp4"
        return None  # HEIC, AVIF, QuickTime, 3GPP and friends are not accepted
    if head.startswith(b"\x1a\x45\xdf\xa3") and _ebml_doctype(head) == b"webm":
        return "video/webm"
    return None


_KNOWN_NON_MEDIA: tuple[tuple[bytes, object], ...] = (
    (b"%PDF-", lazy_gettext("a PDF document")),
    (b"PK\x03\x04", lazy_gettext("a ZIP archive (or an Office document)")),
    (b"MZ", lazy_gettext("a Windows program")),
    (b"\x7fELF", lazy_gettext("a Linux program")),
    (b"\x89PNG", lazy_gettext("a PNG image")),
    (b"\xff\xd8\xff", lazy_gettext("a JPEG image")),
    (b"GIF8", lazy_gettext("a GIF image")),
    (b"\x1f\x8b", lazy_gettext("a gzip archive")),
    (b"Rar!", lazy_gettext("a RAR archive")),
    (b"7z\xbc\xaf", lazy_gettext("a 7-Zip archive")),
)


def _describe_content(head: bytes) -> str:
    """Say in words what a rejected file appears to be."""
    for magic, description in _KNOWN_NON_MEDIA:
        if head.startswith(magic):
            return str(description)
    if head[4:8] == b"ftyp":
        return gettext("an unsupported ISO media file (brand %(brand)r, e.g. HEIC or QuickTime)",
                       brand=head[8:12].decode("latin-1"))
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return gettext("a Matroska file that is not WebM")
    if head.startswith(b"RIFF"):
        return gettext("an unsupported RIFF file (%(kind)r)", kind=head[8:12].decode("latin-1"))
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return gettext("an HTML page")
    if text.startswith((b"<?xml", b"<svg")):
        return gettext("an XML or SVG document")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # a cut in the middle of a character at the end is still text
            return gettext("an unrecognised binary format")
    return gettext("plain text") if b"\x00" not in head else gettext("an unrecognised binary format")


def binary_kind(head: bytes) -> str | None:
    """What a file expected to be text (a transcript) is instead, said in words ("an audio file (audio/wav)");
    None when it may be text (text in another encoding is left to the decoder, which names the byte)."""
    mime_type = sniff_media_type(head)
    if mime_type is not None:
        kind = gettext("an audio file") if mime_type.startswith("audio/") else gettext("a video file")
        return f"{kind} ({mime_type})"
    if any(head.startswith(magic) for magic, _description in _KNOWN_NON_MEDIA) or head[4:8] == b"ftyp" or \
            head.startswith((b"RIFF", b"\x1a\x45\xdf\xa3")):
        return _describe_content(head)
    return None


def _unsupported_message(display_name: str, head: bytes) -> str:
    """Explain why an upload is not accepted as audio or video."""
    suffix = PurePosixPath(display_name).suffix.lower()
    values = {"name": repr(display_name), "suffix": suffix, "looks": _describe_content(head),
              "formats": ALLOWED_DESCRIPTION}
    if suffix in ALLOWED_MEDIA.values():
        return gettext("%(name)s is not a supported audio or video file although its name ends in %(suffix)s: "
                       "it looks like %(looks)s. Accepted formats: %(formats)s.", **values)
    return gettext("%(name)s is not a supported audio or video file: it looks like %(looks)s. "
                   "Accepted formats: %(formats)s.", **values)


def _probe_duration(path: Path) -> float | None:
    """Return the duration in seconds, or None when it cannot be read."""
    try:
        audio = mutagen.File(path)
    except Exception:  # mutagen raises many types on damaged files; the duration is only a nicety
        return None
    length = getattr(getattr(audio, "info", None), "length", None)
    if not isinstance(length, (int, float)) or not length > 0 or length == float("inf"):
        return None
    return float(length)


def probe_media(path: Path) -> MediaInfo:
    """Identify a media file by content and measure its size, hash and duration."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
            digest.update(head)
            size = len(head)
            while chunk := handle.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise MediaError(gettext("cannot read media file %(name)r: %(problem)s", name=path.name,
                                 problem=exc.strerror or exc)) from exc
    mime_type = sniff_media_type(head)
    if mime_type is None:
        raise MediaError(_unsupported_message(path.name, head))
    return MediaInfo(mime_type, _probe_duration(path), size, digest.hexdigest())


def _format_bytes(count: int) -> str:
    """Format a byte count for people."""
    if count < 1024:
        return f"{count} bytes"
    for power, unit in ((3, "GiB"), (2, "MiB"), (1, "KiB")):
        if count >= 1024**power:
            return f"{count / 1024**power:.1f} {unit}"
    raise AssertionError("unreachable")


def store_upload(
    stream: BinaryIO,
    original_filename: str,
    media_root: Path,
    max_bytes: int,
    subdir: str = "recordings",
) -> StoredMedia:
    """Stream an upload into the media root under a generated name and describe it."""
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")
    if not _SUBDIR_RE.match(subdir):
        raise ValueError(f"invalid media subdirectory {subdir!r}")
    display_name = safe_display_filename(original_filename)
    media_root.mkdir(parents=True, exist_ok=True)
    # The temporary file sits in the media root so the final move is an atomic rename.
    fd, temp_name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=media_root)
    temp_path = Path(temp_name)
    try:
        digest = hashlib.sha256()
        head = b""
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise MediaError(gettext("%(name)s is larger than the %(limit)s upload limit",
                                                   name=repr(display_name), limit=_format_bytes(max_bytes)))
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise MediaError(gettext("%(name)s is empty", name=repr(display_name)))
        mime_type = sniff_media_type(head)
        if mime_type is None:
            raise MediaError(_unsupported_message(display_name, head))
        relative = PurePosixPath(subdir, f"{datetime.now(UTC):%Y}", uuid.uuid4().hex + ALLOWED_MEDIA[mime_type])
        final_path = media_root.joinpath(*relative.parts)
        final_path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temp_path, STORED_FILE_MODE)
        os.replace(temp_path, final_path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return StoredMedia(
        relative_path=relative.as_posix(),
        original_filename=display_name,
        mime_type=mime_type,
        size=size,
        sha256=digest.hexdigest(),
        duration_seconds=_probe_duration(final_path),
    )


def resolve_media_path(media_root: Path, relative_path: str) -> Path:
    """Turn a stored relative path into an absolute path that is inside the media root."""
    if not isinstance(relative_path, str) or not relative_path.strip():
        raise MediaError("media path is empty")
    if "\x00" in relative_path:
        raise MediaError("media path contains a NUL byte")
    # Stored paths are generated POSIX paths; a backslash or drive only comes from tampering.
    if "\\" in relative_path or PureWindowsPath(relative_path).drive:
        raise MediaError(f"media path {relative_path!r} is not a relative POSIX path")
    candidate = PurePosixPath(relative_path)
    if candidate.is_absolute():
        raise MediaError(f"media path {relative_path!r} is absolute")
    if ".." in candidate.parts:
        raise MediaError(f"media path {relative_path!r} leaves the media root")
    root = media_root.resolve()
    resolved = root.joinpath(*candidate.parts).resolve()
    # resolve() follows symlinks, so a link pointing outside is caught here.
    if resolved == root or not resolved.is_relative_to(root):
        raise MediaError(f"media path {relative_path!r} leaves the media root")
    return resolved


def safe_display_filename(name: str) -> str:
    """Reduce a client-supplied file name to a harmless display name."""
    name = unicodedata.normalize("NFC", str(name))
    name = "".join(" " if char.isspace() else char for char in name)
    name = "".join(char for char in name if unicodedata.category(char) not in _UNSAFE_CATEGORIES)
    name = re.split(r"[/\\]", name)[-1]  # browsers on Windows send full paths with backslashes
    name = re.sub(r"^[A-Za-z]:", "", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return FALLBACK_DISPLAY_NAME
    if len(name) > MAX_DISPLAY_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10 and stem:
            name = stem[: MAX_DISPLAY_NAME - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:MAX_DISPLAY_NAME].rstrip(" .")
    return name or FALLBACK_DISPLAY_NAME


def media_root() -> Path:
    """The app's media root (MEDIA_ROOT), created on first use."""
    root = Path(current_app.config["MEDIA_ROOT"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def remove_files(relative_paths: list[str]) -> None:
    """Delete media files that no row refers to any more."""
    root = media_root()
    for relative in relative_paths:
        try:
            resolve_media_path(root, relative).unlink(missing_ok=True)
        except MediaError:
            current_app.logger.warning("refusing to delete media outside the media root")
