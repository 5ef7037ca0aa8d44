"""Real media files made at test time."""
from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path


def wav_bytes(seconds: float = 1.0, rate: int = 8000, tone_hz: float | None = None) -> bytes:
    """A valid mono 16-bit WAV file: silence, or a sine tone so different calls differ in content."""
    count = int(seconds * rate)
    if tone_hz is None:
        frames = b"\x00\x00" * count
    else:
        frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * tone_hz * i / rate)))
                          for i in range(count))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def stored_originals(media_root: str | Path) -> list[Path]:
    """Every file under the media root (temporary upload files included), public copies aside
    (tests/media/ checks those, and that they go with their recording)."""
    root = Path(media_root)
    return sorted(p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "public") \
        if root.exists() else []
