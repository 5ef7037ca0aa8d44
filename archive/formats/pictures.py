"""Small PNG pictures drawn from numbers: a recording's waveform as a thumbnail (pure: no app, no db).

A two-colour indexed PNG written with the standard library (zlib), so no imaging library is needed
for a picture of a few kilobytes. IIIF viewers show it where they expect a thumbnail.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

BACKGROUND = (0xF4, 0xF1, 0xEA)
INK = (0x2B, 0x4A, 0x6F)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _columns(peaks: Sequence[int], width: int) -> list[int]:
    """The loudest peak (0..255) of the stretch each pixel column stands for."""
    if not peaks:
        return [0] * width
    out = []
    for x in range(width):
        first = x * len(peaks) // width
        last = max((x + 1) * len(peaks) // width, first + 1)
        out.append(max(0, min(255, max(int(p) for p in peaks[first:last]))))
    return out


def waveform_png(peaks: Sequence[int], width: int = 320, height: int = 80) -> bytes:
    """A PNG of the waveform: one bar per pixel column, mirrored about the middle line."""
    if not (1 <= width <= 4096 and 2 <= height <= 4096):
        raise ValueError("the picture must be between 1x2 and 4096x4096 pixels")
    middle = height / 2
    bars = [max(1, round(value / 255 * middle)) for value in _columns(peaks, width)]
    rows = bytearray()
    for y in range(height):
        distance = abs(y + 0.5 - middle)
        rows.append(0)  # filter: none
        rows.extend(1 if distance <= bar else 0 for bar in bars)
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8-bit palette indices
    palette = bytes(BACKGROUND + INK)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"PLTE", palette)
            + _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _chunk(b"IEND", b""))
