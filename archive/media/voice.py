"""Voice masking: a streaming pitch shifter that keeps timing exactly.

Two read heads sweep a short delay line at `ratio` times the playback speed and cross-fade with
sin² windows (whose sum is 1), so every output sample is made from input at most `window` samples
old: the length, every time code and every silenced range stay where they were, and memory stays
constant whatever the recording's length.
"""
from __future__ import annotations

import numpy as np

DEFAULT_WINDOW_SECONDS = 0.04


def ratio_for(semitones: float) -> float:
    """The frequency ratio of a shift by `semitones` (12 per octave)."""
    return float(2.0 ** (semitones / 12.0))


class PitchShifter:
    """Shift the pitch of consecutive blocks of samples (channels × samples, float32)."""

    def __init__(self, semitones: float, rate: int, channels: int,
                 window_seconds: float = DEFAULT_WINDOW_SECONDS) -> None:
        self.ratio = ratio_for(semitones)
        self.window = max(int(rate * window_seconds), 64)
        self.history = np.zeros((channels, self.window + 2), dtype=np.float32)
        self.position = 0  # index of the next input sample

    def process(self, block: np.ndarray) -> np.ndarray:
        """Shift one block; returns as many samples as were given."""
        count = block.shape[1]
        if count == 0:
            return block
        keep = self.history.shape[1]
        buffer = np.concatenate([self.history, block.astype(np.float32, copy=False)], axis=1)
        n = self.position + np.arange(count, dtype=np.float64)
        phase = np.mod((1.0 - self.ratio) * n / self.window, 1.0)
        out = np.zeros((block.shape[0], count), dtype=np.float32)
        for offset in (0.0, 0.5):
            tap = np.mod(phase + offset, 1.0)
            delay = tap * self.window
            # Index in `buffer` of the sample `delay` before sample n (the buffer starts `keep` before the block).
            where = keep + np.arange(count) - delay
            low = np.floor(where).astype(np.int64)
            frac = (where - low).astype(np.float32)
            gain = (np.sin(np.pi * tap) ** 2).astype(np.float32)
            out += gain * ((1.0 - frac) * buffer[:, low] + frac * buffer[:, np.minimum(low + 1, buffer.shape[1] - 1)])
        self.history = buffer[:, -keep:]
        self.position += count
        return out
