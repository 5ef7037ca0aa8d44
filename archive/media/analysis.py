"""Decode a recording once to measure what verification and the player need.

Duration (decoded samples / rate), the loudest sample inside given ranges (dBFS) and a compact
waveform: the peak of every bucket of `seconds_per_peak`, scaled to 0..255.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

MAX_PEAKS = 2000
PEAKS_PER_SECOND = 10
SILENT_DBFS = -120.0


class AnalysisError(Exception):
    """The file cannot be decoded."""


@dataclass
class Analysis:
    """What one decoding pass found."""

    duration_seconds: float
    sample_rate: int
    range_dbfs: list[float] = field(default_factory=list)  # loudest sample per range, in dBFS
    seconds_per_peak: float = 0.1
    peaks: list[int] = field(default_factory=list)

    @property
    def loudest_range_dbfs(self) -> float:
        return max(self.range_dbfs, default=SILENT_DBFS)

    def waveform(self) -> dict[str, object]:
        """The peaks as stored for the player."""
        return {"seconds_per_peak": round(self.seconds_per_peak, 6), "peaks": self.peaks}


def dbfs(amplitude: float) -> float:
    """An amplitude (1.0 = full scale) in dB relative to full scale."""
    return SILENT_DBFS if amplitude <= 10 ** (SILENT_DBFS / 20) else 20 * math.log10(amplitude)


def analyse(path: Path, ranges: list[tuple[float, float]] = (), expected_seconds: float | None = None) -> Analysis:
    """Decode `path` (its first audio track) and measure it."""
    try:
        return _analyse(path, list(ranges), expected_seconds)
    except av.error.FFmpegError as problem:
        raise AnalysisError(f"cannot decode {path.name}: {problem}") from None


def _analyse(path: Path, ranges: list[tuple[float, float]], expected_seconds: float | None) -> Analysis:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise AnalysisError(f"{path.name} has no audio track")
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or 48000
        guess = expected_seconds or (float(container.duration) / av.time_base if container.duration else 600.0)
        seconds_per_peak = max(1.0 / PEAKS_PER_SECOND, guess / MAX_PEAKS)
        bucket = max(int(round(seconds_per_peak * rate)), 1)
        loudest = [0.0] * len(ranges)
        bounds = [(int(math.floor(a * rate)), int(math.ceil(b * rate))) for a, b in ranges]
        peaks: list[float] = []
        carry = 0.0  # peak of the bucket still being filled
        filled = 0
        done = 0
        resampler = av.AudioResampler(format="fltp", rate=rate)
        for frame in container.decode(stream):
            for converted in resampler.resample(frame):
                samples = np.abs(converted.to_ndarray()).max(axis=0)
                count = samples.shape[0]
                for i, (a, b) in enumerate(bounds):
                    lo, hi = max(a - done, 0), min(b - done, count)
                    if lo < hi:
                        loudest[i] = max(loudest[i], float(samples[lo:hi].max()))
                start = 0
                if filled:
                    take = min(bucket - filled, count)
                    carry = max(carry, float(samples[:take].max()) if take else 0.0)
                    filled += take
                    start = take
                    if filled == bucket:
                        peaks.append(carry)
                        carry, filled = 0.0, 0
                whole = (count - start) // bucket
                if whole:
                    peaks.extend(samples[start:start + whole * bucket].reshape(whole, bucket).max(axis=1).tolist())
                rest = samples[start + whole * bucket:]
                if rest.size:
                    carry, filled = float(rest.max()), rest.size
                done += count
        if filled:
            peaks.append(carry)
    return Analysis(duration_seconds=done / rate, sample_rate=rate, range_dbfs=[dbfs(v) for v in loudest],
                    seconds_per_peak=bucket / rate,
                    peaks=[min(int(round(p * 255)), 255) for p in peaks])
