"""Real recordings in every accepted format, made with ffmpeg at test time, and ways to measure them."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

FFMPEG = shutil.which("ffmpeg")
TONE_HZ = 220.0
SECONDS = 3.0
RESTRICTED = (1.0, 2.0)  # the passage marked restricted in every test

# name: (mime type, file extension, ffmpeg output options)
FORMATS: dict[str, tuple[str, str, list[str]]] = {
    "ogg-opus": ("audio/ogg", ".ogg", ["-c:a", "libopus", "-b:a", "48k"]),
    "mp3": ("audio/mpeg", ".mp3", ["-c:a", "libmp3lame", "-b:a", "96k"]),
    "m4a-aac": ("audio/mp4", ".m4a", ["-c:a", "aac", "-b:a", "96k"]),
    "wav": ("audio/wav", ".wav", ["-c:a", "pcm_s16le"]),
    "flac": ("audio/flac", ".flac", ["-c:a", "flac"]),
    "mp4-video": ("video/mp4", ".mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]),
}


def make_sample(directory: Path, name: str, seconds: float = SECONDS, tone_hz: float = TONE_HZ) -> Path:
    """A tone at -12 dBFS in the format `name`, tagged with a (fictional) real name as its title."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed, so samples cannot be generated")
    mime, extension, options = FORMATS[name]
    target = directory / f"{name}{extension}"
    inputs = ["-f", "lavfi", "-i", f"sine=frequency={tone_hz}:duration={seconds}:sample_rate=44100"]
    if mime.startswith("video/"):
        inputs = ["-f", "lavfi", "-i", f"testsrc=size=64x48:rate=10:duration={seconds}", *inputs]
    subprocess.run([FFMPEG, "-v", "error", "-y", *inputs, "-af", "volume=2", "-metadata", "title=Kim Chol-su",
                    *options, str(target)], check=True, capture_output=True, timeout=120)
    return target


def decode(path: Path) -> tuple[np.ndarray, int]:
    """The first audio track as mono float samples and its rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        parts = [f.to_ndarray().reshape(-1) for frame in container.decode(stream) for f in resampler.resample(frame)]
        parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts), rate


def loudest_dbfs(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    part = np.abs(samples[int(start * rate):int(end * rate)])
    peak = float(part.max()) if part.size else 0.0
    return -120.0 if peak < 1e-6 else 20 * float(np.log10(peak))


def main_frequency(samples: np.ndarray, rate: int, start: float, end: float) -> float:
    """The strongest frequency of a stretch (Hann window, zero-padded FFT, parabolic peak)."""
    part = samples[int(start * rate):int(end * rate)]
    size = 1 << 18
    spectrum = np.abs(np.fft.rfft(part * np.hanning(part.size), size))
    k = int(np.argmax(spectrum[1:]) + 1)
    a, b, c = np.log(spectrum[k - 1:k + 2] + 1e-12)
    shift = 0.5 * (a - c) / (a - 2 * b + c)
    return (k + shift) * rate / size


def video_packets(path: Path) -> list[tuple[int | None, int | None, bytes]]:
    """Every video packet: (pts, dts, bytes)."""
    with av.open(str(path)) as container:
        return [(p.pts, p.dts, bytes(p)) for p in container.demux(container.streams.video[0]) if p.size]


def container_and_codec(path: Path) -> tuple[str, str]:
    with av.open(str(path)) as container:
        return container.format.name, container.streams.audio[0].codec_context.name


def tags(path: Path) -> dict[str, str]:
    with av.open(str(path)) as container:
        found = dict(container.metadata)
        for stream in container.streams:
            found.update(stream.metadata)
    return found
