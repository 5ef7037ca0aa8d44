"""The copy maker on real files in every accepted format: silence, duration, codec family, video, voice."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.media.analysis import analyse
from archive.media.redaction import RedactionError, make_public_copy, merge_ranges
from archive.media.voice import ratio_for
from tests.media.samples import (
    FORMATS, RESTRICTED, SECONDS, TONE_HZ, container_and_codec, decode, loudest_dbfs, main_frequency, make_sample,
    tags, video_packets,
)

PADDED = merge_ranges([RESTRICTED], 0.05)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("samples")
    return {name: make_sample(directory, name) for name in FORMATS}


@pytest.mark.parametrize("name", list(FORMATS))
def test_restricted_range_is_silent_and_the_rest_untouched(samples: dict[str, Path], tmp_path: Path,
                                                            name: str) -> None:
    mime, extension, _ = FORMATS[name]
    out = tmp_path / f"copy{extension}"
    result = make_public_copy(samples[name], out, mime, PADDED)
    copy, rate = decode(out)
    original, original_rate = decode(samples[name])
    assert loudest_dbfs(copy, rate, *RESTRICTED) < -60
    assert loudest_dbfs(copy, rate, 0.1, 0.9) > -20  # the tone is still there before...
    assert loudest_dbfs(copy, rate, 2.1, 2.9) > -20  # ...and after the passage
    assert abs(copy.size / rate - original.size / original_rate) <= 0.02
    assert abs(result.duration_seconds - original.size / original_rate) <= 0.02
    assert container_and_codec(out)[0] == container_and_codec(samples[name])[0]
    assert "title" in tags(samples[name]) and "title" not in tags(out)  # identifying metadata is dropped


@pytest.mark.parametrize("name", list(FORMATS))
def test_codec_family_is_kept(samples: dict[str, Path], tmp_path: Path, name: str) -> None:
    mime, extension, _ = FORMATS[name]
    out = tmp_path / f"copy{extension}"
    make_public_copy(samples[name], out, mime, PADDED)
    assert container_and_codec(out) == container_and_codec(samples[name])


def test_video_stream_is_copied_packet_for_packet(samples: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "copy.mp4"
    make_public_copy(samples["mp4-video"], out, "video/mp4", PADDED)
    before, after = video_packets(samples["mp4-video"]), video_packets(out)
    assert len(before) > 10
    assert after == before


@pytest.mark.parametrize("name", ["wav", "ogg-opus", "mp3"])
def test_voice_mask_shifts_the_pitch_and_keeps_timing(samples: dict[str, Path], tmp_path: Path, name: str) -> None:
    mime, extension, _ = FORMATS[name]
    out = tmp_path / f"masked{extension}"
    make_public_copy(samples[name], out, mime, PADDED, semitones=-4)
    copy, rate = decode(out)
    original, original_rate = decode(samples[name])
    assert main_frequency(original, original_rate, 0.1, 0.9) == pytest.approx(TONE_HZ, rel=0.01)
    # The cross-fading read heads leave sidebands a few hertz either side of the shifted tone: within 3 %,
    # and in any case more than three semitones below the original.
    for start, end in ((0.1, 0.9), (2.1, 2.9)):
        found = main_frequency(copy, rate, start, end)
        assert found == pytest.approx(TONE_HZ * ratio_for(-4), rel=0.03)
        assert found < TONE_HZ * ratio_for(-3)
    assert loudest_dbfs(copy, rate, *RESTRICTED) < -60
    assert abs(copy.size / rate - SECONDS) <= 0.02 or abs(copy.size / rate - original.size / original_rate) <= 0.02


def test_analysis_measures_duration_ranges_and_peaks(samples: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "copy.wav"
    make_public_copy(samples["wav"], out, "audio/wav", PADDED)
    found = analyse(out, [RESTRICTED, (0.2, 0.8)])
    assert found.duration_seconds == pytest.approx(SECONDS, abs=0.001)
    assert found.range_dbfs[0] < -60 < found.range_dbfs[1]
    assert len(found.peaks) == pytest.approx(SECONDS / found.seconds_per_peak, abs=1)
    silent = [p for i, p in enumerate(found.peaks) if 1.1 <= i * found.seconds_per_peak <= 1.8]
    assert silent and max(silent) == 0 and max(found.peaks) > 50  # the tone peaks at -12 dBFS: 64


def test_unreadable_file_is_refused_with_a_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ogg"
    bad.write_bytes(b"OggS" + b"\x00" * 100)
    with pytest.raises(RedactionError, match="cannot"):
        make_public_copy(bad, tmp_path / "out.ogg", "audio/ogg", [])
    with pytest.raises(RedactionError, match="no public copy"):
        make_public_copy(bad, tmp_path / "out.xyz", "text/plain", [])
