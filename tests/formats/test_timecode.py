"""Time codes written and read (archive/formats/timecode.py): the pages, forms, transcript files, OHMS, IIIF, ?t=."""
from __future__ import annotations

import pytest

from archive.formats import timecode

NAN, INF = float("nan"), float("inf")


# --- writing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "shown"), [
    (None, "0:00"), (0, "0:00"), (4.5, "0:04"), (38.3, "0:38"), (59.999, "0:59"), (65, "1:05"), (71.18, "1:11"),
    (3599.5, "59:59"), (3599.9999, "59:59"), (3600, "1:00:00"), (3723.004, "1:02:03"), (36000, "10:00:00"),
    (360000, "100:00:00"), (-1, "0:00"), (-0.5, "0:00"),
])
def test_clock_rounds_down_and_shows_hours_from_an_hour_on(seconds: float | None, shown: str) -> None:
    # The rule of clock() in static/js/player/timecode.js: whole seconds rounded down, never below 0:00.
    assert timecode.clock(seconds) == shown


@pytest.mark.parametrize(("seconds", "kwargs", "expected"), [
    (83, {}, "00:01:23"),
    (83.5, {}, "00:01:23.500"),
    (83.5, {"millis": False}, "00:01:23"),
    (83, {"millis": True}, "00:01:23.000"),
    (59.9996, {}, "00:01:00"),  # rounded to the millisecond, unlike clock()
    (59.999, {}, "00:00:59.999"),
    (59.999, {"millis": False}, "00:00:59"),
    (3599.5, {"millis": True}, "00:59:59.500"),
    (3599.9996, {"millis": True}, "01:00:00.000"),
    (3600, {}, "01:00:00"),
    (0, {}, "00:00:00"),
    (0, {"millis": True}, "00:00:00.000"),
    (0.0004, {"millis": True}, "00:00:00.000"),
    (0.0005, {"millis": True}, "00:00:00.000"),  # half a millisecond: Python's round(), half to even
    (0.0015, {"millis": True}, "00:00:00.002"),
    (0.0006, {"millis": True}, "00:00:00.001"),
    (360000, {}, "100:00:00"),
])
def test_timestamp(seconds: float, kwargs: dict[str, bool], expected: str) -> None:
    assert timecode.timestamp(seconds, **kwargs) == expected


@pytest.mark.parametrize("seconds", [-1, -0.001, NAN, INF, -INF])
def test_timestamp_and_editable_refuse_impossible_times(seconds: float) -> None:
    with pytest.raises(ValueError):
        timecode.timestamp(seconds)
    with pytest.raises(ValueError):
        timecode.editable(seconds)


@pytest.mark.parametrize(("seconds", "text"), [
    (None, ""), (0, "0:00:00"), (5, "0:00:05"), (83.5, "0:01:23.500"), (59.999, "0:00:59.999"),
    (3599.5, "0:59:59.500"), (3600, "1:00:00"), (3723.004, "1:02:03.004"), (360000, "100:00:00"),
    (1.9996, "0:00:02"),  # rounded to the millisecond, carried into the seconds
])
def test_editable(seconds: float | None, text: str) -> None:
    assert timecode.editable(seconds) == text


@pytest.mark.parametrize(("seconds", "param", "three"), [
    (0, "0", "0"), (4.5, "4.5", "4.5"), (38.3, "38.3", "38.3"), (71.18, "71.18", "71.18"),
    (3723.004, "3723", "3723.004"),
    (1 / 3, "0.33", "0.333"), (59.999, "60", "59.999"), (100, "100", "100"), (1e6, "1000000", "1000000"),
    (-1, "0", "0"), (-0.0, "0", "0"),
])
def test_seconds_as_a_short_decimal(seconds: float, param: str, three: str) -> None:
    assert timecode.seconds_param(seconds) == param
    assert timecode.decimal(seconds, 3) == three
    assert timecode.decimal(seconds) == three


@pytest.mark.parametrize("seconds", [0, 0.5, 4.5, 38.3, 71.18, 3599.5, 3600, 3723.01])
def test_a_start_written_for_a_link_reads_back(seconds: float) -> None:
    assert timecode.parse_start(timecode.seconds_param(seconds)) == seconds


@pytest.mark.parametrize("seconds", [0, 0.001, 59.999, 83.5, 3599.5, 3600, 3723.004, 359999.999])
def test_written_times_read_back(seconds: float) -> None:
    assert timecode.parse_timestamp(timecode.timestamp(seconds)) == seconds
    assert timecode.parse_time(timecode.timestamp(seconds)) == seconds
    assert timecode.parse_time(timecode.decimal(seconds)) == seconds
    assert timecode.parse_field(timecode.editable(seconds)) == seconds


# --- reading ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("00:00", 0.0), ("00:00:00.000", 0.0), ("01:05", 65.0), ("1:01:05", 3665.0), ("00:01:05.000", 65.0),
    ("00:01:05,000", 65.0), ("00:01:05.5", 65.5), ("00:01:05.25", 65.25), ("00:01:23.456", 83.456),
    ("00:59:59.999", 3599.999), ("01:00:00", 3600.0), ("999:59:59.999", 3599999.999), (" 00:01 ", 1.0),
])
def test_parse_timestamp(text: str, seconds: float) -> None:
    assert timecode.parse_timestamp(text) == seconds


@pytest.mark.parametrize("text", [
    "", "5", "83.5", "0:5", "00:60", "60:00", "00:01:60", "00:01:05.1234", "00:01:05.", "1000:00:00", "-00:01",
    "00:01:05 --> x", "1:02:03:04", "nan", "inf", "00:01.5s", "1h2m3s",
])
def test_parse_timestamp_refuses(text: str) -> None:
    assert timecode.parse_timestamp(text) is None


@pytest.mark.parametrize(("text", "seconds"), [
    ("83", 83.0), ("18.82", 18.82), ("1:23", 83.0), ("1:02:03", 3723.0), ("0:01:23.5", 83.5), ("0", 0.0),
    ("0:00:59.999", 59.999), ("1:23.4567", 83.4567), ("1e3", 1000.0), (" 7 ", 7.0),
])
def test_parse_time(text: str, seconds: float) -> None:
    assert timecode.parse_time(text) == seconds


@pytest.mark.parametrize("text", [
    "-4", "1:75", "75:00", "abc", "nan", "inf", "-inf", "", "1:23,5", "1:5", "0:59.99999999999999999999", "-0:01",
])
def test_parse_time_refuses(text: str) -> None:
    assert timecode.parse_time(text) is None


@pytest.mark.parametrize(("text", "value"), [
    (None, None), ("", None), ("  ", None), ("83.5", 83.5), ("1:23", 83.0), ("1:02:03", 3723.0), ("1:5", 65.0),
    ("0:01:23,5", 83.5), ("1:02:03.004", 3723.004), ("1:75", 135.0),  # the service, not the form, checks ranges
    ("-5", -5.0), ("1e3", 1000.0), ("abc", "abc"), ("1:23:45:00", "1:23:45:00"), ("1:23.4567", "1:23.4567"),
])
def test_parse_field_passes_on_what_it_cannot_read(text: str | None, value: float | str | None) -> None:
    assert timecode.parse_field(text) == value


@pytest.mark.parametrize("text", ["nan", "inf"])
def test_parse_field_leaves_nan_and_infinity_to_the_service(text: str) -> None:
    # archive.core.fields.seconds refuses them (and anything over MAX_SECONDS) with a message.
    value = timecode.parse_field(text)
    assert isinstance(value, float) and not (0 <= value <= timecode.MAX_SECONDS)


@pytest.mark.parametrize(("raw", "expected"), [
    (None, 0.0), ("", 0.0), ("83", 83.0), ("83.456", 83.46), ("1:23", 83.0), ("1:02:03", 3723.0),
    ("12s", 12.0), ("-1", 0.0), ("nan", 0.0), ("inf", 0.0), ("1e3", 1000.0), ("x", 0.0), ("1:xx", 0.0),
    ("0", 0.0), ("59.999", 60.0), ("3599.5", 3599.5), ("3600", 3600.0), ("1:00:00", 3600.0), (" 83 ", 83.0),
    ("1e400", 0.0), ("1h2m3s", 0.0),
])
def test_parse_start(raw: str | None, expected: float) -> None:
    assert timecode.parse_start(raw) == expected


def test_parse_start_ignores_times_past_the_end() -> None:
    assert timecode.parse_start("100", duration=90.0) == 0.0
    assert timecode.parse_start("80", duration=90.0) == 80.0
    assert timecode.parse_start("1:30", duration=90.0) == 90.0


def test_parse_start_reads_only_the_first_characters() -> None:
    assert timecode.parse_start("1" * 20) == float("1" * 20)
    assert timecode.parse_start("0" * 19 + "12") == 1.0


# --- the same rules as static/js/player/timecode.js (tests/browser/test_listening_browser.py runs these there) ---


def test_the_clock_and_links_agree_with_the_player() -> None:
    clocks = [timecode.clock(s) for s in (0, 59.99, 65, 599, 3600, 3723.9, 36000, -4, None)]
    assert clocks == ["0:00", "0:59", "1:05", "9:59", "1:00:00", "1:02:03", "10:00:00", "0:00", "0:00"]
    assert [timecode.seconds_param(s) for s in (35.6449, 12, 0.005, -3)] == ["35.64", "12", "0.01", "0"]


def test_start_reads_what_the_player_reads() -> None:
    # parseTime gives null where ?t= starts at 0.
    starts = [timecode.parse_start(raw) for raw in ("1:02:03", "62:03", "3723", "83.5s", "0:01:05", "1:2x", "-5",
                                                    "1::3", "")]
    assert starts == [3723, 3723, 3723, 83.5, 65, 0, 0, 0, 0]
