"""Make a public copy: restricted ranges silenced, optionally the voice masked, video copied untouched.

The audio is decoded, edited sample by sample (ranges are counted in decoded samples from the
start, which is where the player's time codes count from) and re-encoded in the same container and
codec family at a comparable bitrate; every other stream (video) is copied packet for packet.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from archive.media.voice import PitchShifter

# Metadata keys that describe the file technically; anything else (title, artist, comment, location,
# creation time...) can identify a narrator and never reaches a public copy.
TECHNICAL_TAGS = frozenset({"encoder", "major_brand", "minor_version", "compatible_brands", "handler_name",
                            "vendor_id", "language", "duration"})


@dataclass(frozen=True)
class Target:
    """How a public copy of one kind of file is written."""

    format: str
    codec: str
    sample_format: str
    rates: tuple[int, ...] = ()  # the rates the encoder accepts (empty: any)
    default_bit_rate: int | None = None
    options: tuple[tuple[str, str], ...] = ()  # encoder options


TARGETS: dict[str, Target] = {
    # Opus in its speech mode: the archive holds spoken word, and its default music mode lets a cut
    # ring on for ~80 ms (still above -60 dBFS 50 ms into a silenced passage), where speech mode stops at once.
    "audio/ogg": Target("ogg", "libopus", "flt", (48000,), 64000, (("application", "voip"), ("compression_level", "5"))),
    "video/ogg": Target("ogg", "libopus", "flt", (48000,), 64000, (("application", "voip"), ("compression_level", "5"))),
    "video/webm": Target("webm", "libopus", "flt", (48000,), 96000, (("application", "voip"), ("compression_level", "5"))),
    "audio/mpeg": Target("mp3", "libmp3lame", "fltp", (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
                         128000),
    "audio/mp4": Target("ipod", "aac", "fltp", (), 128000),
    "video/mp4": Target("mp4", "aac", "fltp", (), 128000),
    "audio/wav": Target("wav", "pcm_s16le", "s16", ()),
    "audio/flac": Target("flac", "flac", "s16", ()),
}


class RedactionError(Exception):
    """The file cannot be turned into a public copy (unreadable, no audio, unsupported)."""


@dataclass(frozen=True)
class CopyResult:
    """What was written."""

    duration_seconds: float
    sample_rate: int
    channels: int


def descriptive_tags(path: Path) -> dict[str, str]:
    """Metadata in the file that is not purely technical (container and every stream)."""
    try:
        with av.open(str(path)) as container:
            tags = dict(container.metadata)
            for stream in container.streams:
                tags.update(stream.metadata)
    except av.error.FFmpegError as problem:
        raise RedactionError(f"cannot read the recording: {problem}") from None
    return {key: value for key, value in tags.items() if key.lower() not in TECHNICAL_TAGS}


def merge_ranges(ranges: list[tuple[float, float]], pad: float = 0.0) -> list[tuple[float, float]]:
    """Padded, sorted, non-overlapping ranges (seconds, never before 0)."""
    merged: list[list[float]] = []
    for start, end in sorted((max(0.0, s - pad), e + pad) for s, e in ranges if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _silence(block: np.ndarray, first: int, rate: int, ranges: list[tuple[float, float]]) -> None:
    """Zero the samples of `block` (starting at sample `first`) that fall in any range."""
    count = block.shape[1]
    for start, end in ranges:
        a = max(int(np.floor(start * rate)) - first, 0)
        b = min(int(np.ceil(end * rate)) - first, count)
        if a < b:
            block[:, a:b] = 0.0


def _frames(block: np.ndarray, fmt: str, layout: str, rate: int, frame_size: int) -> Iterator[av.AudioFrame]:
    """Encoder-sized frames of a planar float block, in the encoder's sample format."""
    step = frame_size or block.shape[1] or 1
    for begin in range(0, block.shape[1], step):
        part = np.ascontiguousarray(block[:, begin:begin + step])
        if fmt == "flt":
            array = np.ascontiguousarray(part.T.reshape(1, -1))
        elif fmt == "s16":
            array = np.ascontiguousarray((np.clip(part, -1.0, 1.0) * 32767.0).round().astype(np.int16).T.reshape(1, -1))
        else:
            array = part
        frame = av.AudioFrame.from_ndarray(array, format=fmt, layout=layout)
        frame.sample_rate = rate
        yield frame


def make_public_copy(source: Path, target: Path, mime_type: str, ranges: list[tuple[float, float]],
                     semitones: float = 0.0) -> CopyResult:
    """Write `target`: `source` with `ranges` (seconds, already padded) silent and the voice shifted by
    `semitones` (0: unchanged); video streams are copied packet for packet, metadata is dropped."""
    spec = TARGETS.get(mime_type)
    if spec is None:
        raise RedactionError(f"no public copy can be made of {mime_type} files")
    try:
        return _transcode(source, target, spec, ranges, semitones)
    except av.error.FFmpegError as problem:
        raise RedactionError(f"cannot make the public copy: {problem}") from None


def _transcode(source: Path, target: Path, spec: Target, ranges: list[tuple[float, float]],
               semitones: float) -> CopyResult:
    with av.open(str(source)) as inp:
        if not inp.streams.audio:
            raise RedactionError("the recording has no audio track")
        audio_in = inp.streams.audio[0]
        rate = audio_in.codec_context.sample_rate or 48000
        if spec.rates and rate not in spec.rates:
            rate = min(spec.rates, key=lambda r: (r < rate, abs(r - rate)))
        channels = min(audio_in.codec_context.channels or 1, 2)
        layout = "mono" if channels == 1 else "stereo"
        bit_rate = audio_in.codec_context.bit_rate or inp.bit_rate or spec.default_bit_rate
        with av.open(str(target), "w", format=spec.format) as out:
            copied = {s.index: out.add_stream_from_template(s) for s in inp.streams.video}
            audio_out = out.add_stream(spec.codec, rate=rate, layout=layout)
            audio_out.codec_context.format = spec.sample_format
            if spec.options:
                audio_out.codec_context.options = dict(spec.options)
            if spec.default_bit_rate and bit_rate:
                audio_out.codec_context.bit_rate = int(min(max(bit_rate, 32000), 320000))
            audio_out.codec_context.time_base = Fraction(1, rate)
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            shifter = PitchShifter(semitones, rate, channels) if semitones else None
            fifo_size = audio_out.codec_context.frame_size or 0
            pending = np.zeros((channels, 0), dtype=np.float32)
            written = 0

            def encode(block: np.ndarray, flush: bool = False) -> None:
                nonlocal written
                for frame in _frames(block, spec.sample_format, layout, rate, fifo_size):
                    frame.pts = written
                    frame.time_base = Fraction(1, rate)
                    written += frame.samples
                    out.mux(audio_out.encode(frame))

            def edit(block: np.ndarray, first: int) -> np.ndarray:
                _silence(block, first, rate, ranges)
                if shifter is not None:
                    block = shifter.process(block)
                    _silence(block, first, rate, ranges)  # the shifter reads up to a window back
                return block

            decoded = 0
            gathered: list[np.ndarray] = []  # decoded frames gathered into ~1 s blocks: fewer, larger numpy steps
            gathered_count = 0

            def flush_gathered() -> None:
                nonlocal pending, decoded, gathered_count
                if not gathered:
                    return
                block = edit(np.concatenate(gathered, axis=1), decoded)
                gathered.clear()
                gathered_count = 0
                decoded += block.shape[1]
                pending = np.concatenate([pending, block], axis=1)
                usable = (pending.shape[1] // fifo_size) * fifo_size if fifo_size else pending.shape[1]
                if usable:
                    encode(pending[:, :usable])
                    pending = pending[:, usable:]

            streams = [audio_in, *inp.streams.video]
            for packet in inp.demux(*streams):
                if packet.stream.index in copied:
                    if packet.dts is None:
                        continue
                    packet.stream = copied[packet.stream.index]
                    out.mux(packet)
                    continue
                for frame in packet.decode():
                    for converted in resampler.resample(frame):
                        gathered.append(converted.to_ndarray().astype(np.float32, copy=True))
                        gathered_count += gathered[-1].shape[1]
                        if gathered_count >= rate:
                            flush_gathered()
            for converted in resampler.resample(None):
                gathered.append(converted.to_ndarray().astype(np.float32, copy=True))
            flush_gathered()
            if pending.shape[1]:
                encode(pending)
            out.mux(audio_out.encode(None))
    return CopyResult(duration_seconds=decoded / rate, sample_rate=rate, channels=channels)
