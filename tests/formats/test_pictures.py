"""The waveform thumbnail: a real PNG (checked by decoding it by hand: chunks, CRCs, pixels)."""
from __future__ import annotations

import struct
import zlib

import pytest

from archive.formats.pictures import PNG_SIGNATURE, waveform_png


def decode(data: bytes) -> tuple[int, int, list[list[int]]]:
    """Width, height and palette indices of an 8-bit indexed PNG, checking every chunk's CRC."""
    assert data.startswith(PNG_SIGNATURE)
    offset, chunks = len(PNG_SIGNATURE), {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind, body = data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks[kind] = body
        offset += 12 + length
    assert set(chunks) == {b"IHDR", b"PLTE", b"IDAT", b"IEND"}
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 3)
    raw = zlib.decompress(chunks[b"IDAT"])
    rows = [list(raw[y * (width + 1) + 1:(y + 1) * (width + 1)]) for y in range(height)]
    assert all(raw[y * (width + 1)] == 0 for y in range(height))
    return width, height, rows


def test_loud_columns_are_taller_than_quiet_ones() -> None:
    width, height, rows = decode(waveform_png([0, 0, 255, 255, 64, 64], width=3, height=20))
    assert (width, height) == (3, 20)
    inked = [sum(row[x] for row in rows) for x in range(3)]
    assert inked[1] == 20 and inked[0] < inked[2] < inked[1]
    assert rows[10] == [1, 1, 1]  # the middle line is always drawn


def test_empty_peaks_draw_a_flat_line_and_sizes_are_checked() -> None:
    _, _, rows = decode(waveform_png([], width=4, height=10))
    assert sum(map(sum, rows)) == 8  # two middle rows
    with pytest.raises(ValueError):
        waveform_png([1], width=0)
