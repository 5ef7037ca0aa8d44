"""Tests for media sniffing, probing, storage and path resolution."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast

import pytest

from tests.sound import wav_bytes
from archive.media.files import (
    ALLOWED_MEDIA,
    MAX_DISPLAY_NAME,
    MediaError,
    probe_media,
    resolve_media_path,
    safe_display_filename,
    sniff_media_type,
    store_upload,
)

STORED_NAME = re.compile(r"^recordings/(\d{4})/[0-9a-f]{32}(\.[a-z0-9]+)$")



def files_under(root: Path) -> list[Path]:
    """List every file below root, hidden temporary files included."""
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    return root


# --- sniff_media_type -------------------------------------------------------

OGG_PAGE = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 100, "audio/mpeg"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x04" + b"\x00" * 4 + b"fLaC" + b"\x00" * 40, "audio/flac"),
        (b"\xff\xfb\x90\x64" + b"\x00" * 100, "audio/mpeg"),
        (b"\xff\xf3\x48\xc4" + b"\x00" * 100, "audio/mpeg"),
        (OGG_PAGE + b"\x01vorbis" + b"\x00" * 30, "audio/ogg"),
        (OGG_PAGE + b"OpusHead" + b"\x00" * 30, "audio/ogg"),
        (OGG_PAGE + b"\x80theora" + b"\x00" * 30, "video/ogg"),
        (OGG_PAGE + b"OVP80" + b"\x00" * 30, "video/ogg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A mp42isom\x00\x00\x00\x00", "audio/mp4"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41", "video/mp4"),
        (b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomM4A mp41", "audio/mp4"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video/mp4"),
        (b"\x00\x00\x00\x20ftypM4V \x00\x00\x00\x01M4V M4A mp42isom", "video/mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87\x81\x04", "video/webm"),
    ],
)
def test_sniff_recognises_allowed_formats(head: bytes, expected: str) -> None:
    assert sniff_media_type(head) == expected
    assert expected in ALLOWED_MEDIA


NOT_MEDIA = {
    "empty": b"",
    "html": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    "svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    "zip": b"PK\x03\x04\x14\x00\x06\x00",
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",
    "elf": b"\x7fELF\x02\x01\x01\x00",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "text": b"This is not an mp3 file at all.\n",
    "id3-text": b"ID3 tags are described in this text file.",
    "adts-aac": b"\xff\xf1\x50\x80\x02\x1f\xfc",
    "avi": b"RIFF\x24\x00\x00\x00AVI LIST",
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    "quicktime": b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ",
    "matroska": b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x88matroska",
    "truncated": b"\xff",
}


@pytest.mark.parametrize("name", sorted(NOT_MEDIA))
def test_sniff_rejects_everything_else(name: str) -> None:
    assert sniff_media_type(NOT_MEDIA[name]) is None


def test_sniff_a_real_wav() -> None:
    assert sniff_media_type(wav_bytes()[:64]) == "audio/wav"


# --- probe_media ------------------------------------------------------------


def test_probe_media_measures_a_wav(tmp_path: Path) -> None:
    data = wav_bytes(2.0)
    path = tmp_path / "anything.bin"
    path.write_bytes(data)
    info = probe_media(path)
    assert info.mime_type == "audio/wav"
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.duration_seconds == pytest.approx(2.0)


def test_probe_media_rejects_non_media(tmp_path: Path) -> None:
    path = tmp_path / "page.mp3"
    path.write_bytes(NOT_MEDIA["html"])
    with pytest.raises(MediaError, match="HTML page"):
        probe_media(path)


def test_probe_media_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="cannot read"):
        probe_media(tmp_path / "gone.wav")


def test_probe_media_damaged_file_has_no_duration(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp3"
    path.write_bytes(b"\xff\xfb\x90\x64" + b"\x00" * 10)
    info = probe_media(path)
    assert (info.mime_type, info.duration_seconds) == ("audio/mpeg", None)


# --- store_upload -----------------------------------------------------------


def test_store_upload_saves_under_generated_name(media_root: Path) -> None:
    data = wav_bytes(1.0)
    stored = store_upload(io.BytesIO(data), "C:\\Users\\kim\\interview 1.wav", media_root, max_bytes=10**6)
    match = STORED_NAME.match(stored.relative_path)
    assert match and match.group(1) == str(datetime.now(UTC).year) and match.group(2) == ".wav"
    path = resolve_media_path(media_root, stored.relative_path)
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stored.original_filename == "interview 1.wav"
    assert (stored.mime_type, stored.size) == ("audio/wav", len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.duration_seconds == pytest.approx(1.0)
    assert files_under(media_root) == [path]


def test_store_upload_extension_comes_from_content_not_name(media_root: Path) -> None:
    stored = store_upload(io.BytesIO(wav_bytes()), "../../etc/passwd.exe", media_root, max_bytes=10**6, subdir="clips")
    assert stored.relative_path.startswith("clips/") and stored.relative_path.endswith(".wav")
    assert stored.original_filename == "passwd.exe"
    assert "passwd" not in stored.relative_path


def test_store_upload_accepts_exactly_max_bytes(media_root: Path) -> None:
    data = wav_bytes(0.5)
    assert store_upload(io.BytesIO(data), "a.wav", media_root, max_bytes=len(data)).size == len(data)


def test_store_upload_rejects_oversize_and_leaves_nothing(media_root: Path) -> None:
    data = wav_bytes(3.0)
    with pytest.raises(MediaError, match=r"larger than the 1\.0 KiB upload limit"):
        store_upload(io.BytesIO(data), "big.wav", media_root, max_bytes=1024)
    assert files_under(media_root) == []


class EndlessStream(io.RawIOBase):
    """A stream that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = (b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * size)[: max(size, 1)]
        self.served += len(chunk)
        return chunk


def test_store_upload_stops_reading_once_over_the_limit(media_root: Path) -> None:
    stream = EndlessStream()
    with pytest.raises(MediaError, match="larger than"):
        store_upload(cast(BinaryIO, stream), "endless.wav", media_root, max_bytes=200_000)
    assert stream.served < 200_000 + 128 * 1024
    assert files_under(media_root) == []


class FailingStream(io.RawIOBase):
    """A stream that breaks after its first chunk, like a dropped connection."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise OSError("connection reset")
        return wav_bytes()[:size]


def test_store_upload_cleans_up_when_the_stream_fails(media_root: Path) -> None:
    with pytest.raises(OSError, match="connection reset"):
        store_upload(cast(BinaryIO, FailingStream()), "a.wav", media_root, max_bytes=10**6)
    assert files_under(media_root) == []


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (NOT_MEDIA["html"], "page.html", "it looks like an HTML page"),
        (NOT_MEDIA["pdf"], "statement.pdf", "it looks like a PDF document"),
        (b"just some words, honestly\n" * 10, "song.mp3", "although its name ends in .mp3: it looks like plain text"),
        (NOT_MEDIA["zip"], "archive.wav", "ZIP archive"),
        (NOT_MEDIA["exe"], "setup.mp4", "Windows program"),
        (NOT_MEDIA["svg"], "image.svg", "XML or SVG"),
        (NOT_MEDIA["heic"], "photo.heic", "unsupported ISO media file"),
        (bytes(range(256)) * 4, "noise.ogg", "unrecognised binary format"),
    ],
)
def test_store_upload_rejects_wrong_types(media_root: Path, data: bytes, filename: str, expected: str) -> None:
    with pytest.raises(MediaError) as caught:
        store_upload(io.BytesIO(data), filename, media_root, max_bytes=10**6)
    message = str(caught.value)
    assert expected in message
    assert "not a supported audio or video file" in message and "Accepted formats" in message
    assert files_under(media_root) == []


def test_store_upload_rejects_empty_files(media_root: Path) -> None:
    with pytest.raises(MediaError, match="is empty"):
        store_upload(io.BytesIO(b""), "empty.mp3", media_root, max_bytes=100)
    assert files_under(media_root) == []


@pytest.mark.parametrize("subdir", ["", "../x", "/abs", "a/../b", "Recordings", "a//b", "a\\b"])
def test_store_upload_rejects_unsafe_subdir(media_root: Path, subdir: str) -> None:
    with pytest.raises(ValueError, match="subdirectory"):
        store_upload(io.BytesIO(wav_bytes()), "a.wav", media_root, max_bytes=10**6, subdir=subdir)


def test_store_upload_rejects_non_positive_limit(media_root: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        store_upload(io.BytesIO(wav_bytes()), "a.wav", media_root, max_bytes=0)


def test_store_upload_creates_missing_media_root(tmp_path: Path) -> None:
    stored = store_upload(io.BytesIO(wav_bytes()), "a.wav", tmp_path / "new" / "root", max_bytes=10**6)
    assert (tmp_path / "new" / "root" / stored.relative_path).is_file()


# --- real encoded files (need ffmpeg) ----------------------------------------

FFMPEG = shutil.which("ffmpeg")
TONE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1.5"]
PICTURE = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1.5"]
ENCODED = {
    "mp3": ([*TONE, "-c:a", "libmp3lame"], "audio/mpeg", ".mp3", 1.5),
    "mp3-no-id3": ([*TONE, "-c:a", "libmp3lame", "-id3v2_version", "0"], "audio/mpeg", ".mp3", 1.5),
    "ogg": ([*TONE, "-c:a", "libvorbis"], "audio/ogg", ".ogg", 1.5),
    "opus.ogg": ([*TONE, "-c:a", "libopus"], "audio/ogg", ".ogg", 1.5),
    "flac": ([*TONE, "-c:a", "flac"], "audio/flac", ".flac", 1.5),
    "m4a": ([*TONE, "-c:a", "aac"], "audio/mp4", ".m4a", 1.5),
    "mp4": ([*PICTURE, *TONE, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"], "video/mp4", ".mp4", 1.5),
    "webm": ([*PICTURE, *TONE, "-c:v", "libvpx", "-c:a", "libopus"], "video/webm", ".webm", None),
    "ogv": ([*PICTURE, *TONE, "-c:v", "libtheora", "-c:a", "libvorbis"], "video/ogg", ".ogv", 1.5),
}


@pytest.fixture(scope="module")
def encoded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed, so MP3/Ogg/FLAC/M4A/MP4/WebM samples cannot be generated")
    return tmp_path_factory.mktemp("encoded")


def encode(directory: Path, name: str) -> Path:
    """Generate a short sample with ffmpeg, skipping when an encoder is missing."""
    args, _, extension, _ = ENCODED[name]
    target = directory / f"sample-{name}{extension}"  # ffmpeg picks the container from the extension
    result = subprocess.run(
        [FFMPEG or "ffmpeg", "-v", "error", "-y", *args, str(target)], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        pytest.skip(f"ffmpeg cannot encode {name} here: {result.stderr.strip()[:200]}")
    return target


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_encoded_samples_are_stored_with_type_and_duration(encoded_dir: Path, media_root: Path, name: str) -> None:
    _, mime_type, extension, duration = ENCODED[name]
    path = encode(encoded_dir, name)
    if name == "mp3":
        assert path.read_bytes().startswith(b"ID3")
    if name == "mp3-no-id3":
        assert path.read_bytes()[0] == 0xFF
    with path.open("rb") as handle:
        stored = store_upload(handle, path.name, media_root, max_bytes=10**7)
    assert (stored.mime_type, Path(stored.relative_path).suffix) == (mime_type, extension)
    if duration is None:
        assert stored.duration_seconds is None  # mutagen cannot read Matroska/WebM durations
    else:
        assert stored.duration_seconds == pytest.approx(duration, abs=0.1)
    info = probe_media(resolve_media_path(media_root, stored.relative_path))
    assert (info.mime_type, info.sha256, info.size) == (mime_type, stored.sha256, stored.size)


# --- resolve_media_path -----------------------------------------------------


def test_resolve_media_path_inside_root(media_root: Path) -> None:
    assert resolve_media_path(media_root, "recordings/2024/abc.mp3") == media_root.resolve() / "recordings/2024/abc.mp3"
    assert resolve_media_path(media_root, "./a/./b.wav") == media_root.resolve() / "a/b.wav"


@pytest.mark.parametrize(
    "relative",
    [
        "../../etc/passwd",
        "recordings/../../outside.mp3",
        "/etc/passwd",
        "//server/share/x",
        "C:\\evil.mp3",
        "C:evil.mp3",
        "recordings\\..\\..\\evil",
        "a/\x00b.mp3",
        "",
        "   ",
        ".",
        "a/..",
    ],
)
def test_resolve_media_path_rejects_escapes(media_root: Path, relative: str) -> None:
    with pytest.raises(MediaError):
        resolve_media_path(media_root, relative)


def test_resolve_media_path_rejects_symlink_escape(tmp_path: Path, media_root: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "file.mp3").write_bytes(b"x")
    os.symlink(outside, media_root / "link")
    os.symlink(outside / "file.mp3", media_root / "direct.mp3")
    for relative in ("link/file.mp3", "direct.mp3"):
        with pytest.raises(MediaError, match="leaves the media root"):
            resolve_media_path(media_root, relative)


def test_resolve_media_path_allows_symlink_inside_root(media_root: Path) -> None:
    (media_root / "real").mkdir()
    os.symlink(media_root / "real", media_root / "alias")
    assert resolve_media_path(media_root, "alias/x.mp3") == media_root.resolve() / "real/x.mp3"


def test_resolve_media_path_rejects_non_strings(media_root: Path) -> None:
    with pytest.raises(MediaError):
        resolve_media_path(media_root, None)  # type: ignore[arg-type]


# --- safe_display_filename --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("interview.mp3", "interview.mp3"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\kim\\evil.mp3", "evil.mp3"),
        ("C:evil.mp3", "evil.mp3"),
        ("/abs/path/tape 3.wav", "tape 3.wav"),
        ("bad\x00name.mp3", "badname.mp3"),
        ("line\nbreak\r\n.mp3", "line break .mp3"),
        ("tab\tname.mp3", "tab name.mp3"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("zero\u200bwidth.ogg", "zerowidth.ogg"),
        ("  .hidden.wav  ", "hidden.wav"),
        ("trailing...", "trailing"),
        ("증언 녹음 1.m4a", "증언 녹음 1.m4a"),
        ("..", "upload"),
        ("", "upload"),
        ("/", "upload"),
        ("\x00\x01", "upload"),
    ],
)
def test_safe_display_filename(name: str, expected: str) -> None:
    assert safe_display_filename(name) == expected


def test_safe_display_filename_truncates_keeping_extension() -> None:
    result = safe_display_filename("a" * 500 + ".flac")
    assert len(result) == MAX_DISPLAY_NAME
    assert result.endswith("a.flac")
    assert len(safe_display_filename("b" * 500)) == MAX_DISPLAY_NAME


def test_safe_display_filename_decomposed_korean_is_composed() -> None:
    assert safe_display_filename("\u1100\u1161.mp3") == "가.mp3"
