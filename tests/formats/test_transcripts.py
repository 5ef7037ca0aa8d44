"""Tests for transcript parsing and export."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest

from archive.formats.transcripts import (
    MIN_LAST_SEGMENT_SECONDS,
    ParsedSegment,
    TranscriptError,
    parse_srt,
    parse_timestamped,
    parse_transcript,
    parse_webvtt,
    to_plain_text,
    to_webvtt,
)

VTT = """WEBVTT - interview 12
Kind: captions
Language: ko

NOTE recorded in Seoul,
two sessions

STYLE
::cue { color: yellow }

intro
00:00:01.000 --> 00:00:04.000 align:start position:10%
<v Kim Chol>Hello &amp; <b>welcome</b>
to the archive.

00:04.000 --> 00:00:06.500
<v.loud Interviewer>Where were you born?</v>

00:00:07.000 --> 00:00:09.000
Lee: <i>In Hoeryong</i> &lt;near the river&gt;

00:00:10.000 --> 00:00:12.000
<lang en>A few English words</lang>
"""


def problem_lines(error: TranscriptError) -> list[int | None]:
    """Return the line numbers of an error's problems."""
    return [line for line, _ in error.problems]


# --- WebVTT -----------------------------------------------------------------


def test_webvtt_reads_speakers_text_and_language() -> None:
    segments = parse_webvtt(VTT)
    assert segments == [
        ParsedSegment(1.0, 4.0, "Kim Chol", "Hello & welcome to the archive.", False, "ko"),
        ParsedSegment(4.0, 6.5, "Interviewer", "Where were you born?", False, "ko"),
        ParsedSegment(7.0, 9.0, "Lee", "In Hoeryong <near the river>", False, "ko"),
        ParsedSegment(10.0, 12.0, None, "A few English words", False, "en"),
    ]


def test_webvtt_without_language_header_leaves_language_unset() -> None:
    segments = parse_webvtt("WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n")
    assert segments == [ParsedSegment(1.0, 2.0, None, "hi")]


@pytest.mark.parametrize(
    "cue_text",
    [
        "[restricted] <v Kim>about my family",
        "<v Kim>[restricted] about my family",
        "<v Kim>[RESTRICTED]about my family",
    ],
)
def test_webvtt_restricted_marker_is_detected_and_stripped(cue_text: str) -> None:
    segments = parse_webvtt(f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{cue_text}\n")
    assert segments == [ParsedSegment(1.0, 2.0, "Kim", "about my family", restricted=True)]


def test_webvtt_restricted_marker_before_name_prefix() -> None:
    segments = parse_webvtt("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n[restricted] Kim: secret\n")
    assert (segments[0].speaker, segments[0].text, segments[0].restricted) == ("Kim", "secret", True)


def test_webvtt_sorts_unsorted_cues_and_keeps_overlaps() -> None:
    text = "WEBVTT\n\n00:00:05.000 --> 00:00:08.000\nsecond\n\n00:00:01.000 --> 00:00:06.000\nfirst\n"
    segments = parse_webvtt(text)
    assert [s.text for s in segments] == ["first", "second"]
    assert segments[0].end > segments[1].start


def test_webvtt_tolerates_crlf_bom_and_lone_cr() -> None:
    text = "\ufeffWEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\r\nline one\rline two\r\n"
    assert parse_webvtt(text) == [ParsedSegment(1.0, 2.0, None, "line one line two")]


def test_webvtt_timestamp_tags_and_classes_are_stripped() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<c.yellow>one</c> <00:00:02.000>two <u>three</u>\n"
    assert parse_webvtt(text)[0].text == "one two three"


def test_webvtt_voice_annotation_entities_are_decoded() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Kim &amp; Lee>together\n"
    assert parse_webvtt(text)[0].speaker == "Kim & Lee"


def test_webvtt_reports_every_problem_with_line_numbers() -> None:
    text = (
        "WEBVTX\n"  # 1
        "\n"  # 2
        "00:00:01.000 --> 00:00:0x.000\n"  # 3
        "bad end\n"  # 4
        "\n"  # 5
        "00:00:05.000 --> 00:00:04.000\n"  # 6
        "backwards\n"  # 7
        "\n"  # 8
        "00:00:09.000 --> 00:00:10.000\n"  # 9
        "<b></b>\n"  # 10
        "\n"  # 11
        "just some words\n"  # 12
        "\n"  # 13
        "00:00:11.000 --> 00:00:12.000\n"  # 14
        "glued\n"  # 15
        "00:00:12.000 --> 00:00:13.000\n"  # 16
        "to the next\n"  # 17
    )
    with pytest.raises(TranscriptError) as caught:
        parse_webvtt(text)
    error = caught.value
    assert problem_lines(error) == [1, 3, 6, 9, 12, 16]
    message = str(error)
    assert "line 1: missing \"WEBVTT\" header" in message
    assert "line 3: invalid end time '00:00:0x.000'" in message
    assert "line 6: cue ends (00:00:04.000) before or when it starts (00:00:05.000)" in message
    assert "line 9: cue has no text" in message
    assert "line 12: expected a cue timing line" in message
    assert "line 16: cue timing line inside the previous cue's text" in message
    assert isinstance(error, ValueError)


def test_webvtt_header_glued_to_first_cue_is_reported() -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_webvtt("WEBVTT\n00:00:01.000 --> 00:00:02.000\nhi\n")
    assert problem_lines(caught.value) == [2]


@pytest.mark.parametrize("stamp", ["00:00:61.000", "00:61:00.000", "1.000", "00:00:01.0000", "aa:bb:cc.ddd", ""])
def test_webvtt_rejects_bad_timestamps(stamp: str) -> None:
    with pytest.raises(TranscriptError, match="line 3: invalid start time"):
        parse_webvtt(f"WEBVTT\n\n{stamp} --> 00:02:00.000\ntext\n")


def test_webvtt_zero_length_cue_is_rejected() -> None:
    with pytest.raises(TranscriptError, match="line 3: cue ends"):
        parse_webvtt("WEBVTT\n\n00:00:02.000 --> 00:00:02.000\ntext\n")


@pytest.mark.parametrize("text", ["", "   \n\n", "WEBVTT\n", "WEBVTT\n\nNOTE only a comment\n"])
def test_webvtt_rejects_empty_transcripts(text: str) -> None:
    with pytest.raises(TranscriptError, match=r"empty|no cues"):
        parse_webvtt(text)


def test_control_characters_are_removed() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ki\x07m>he\x00llo\x1b[31m\u202e world\x0cagain\n"
    segment = parse_webvtt(text)[0]
    assert segment.speaker == "Kim"
    assert segment.text == "hello[31m world again"


# --- SubRip -----------------------------------------------------------------


def test_srt_parses_standard_file() -> None:
    text = "1\n00:00:01,000 --> 00:00:04,500\nKim: Hello\nthere\n\n2\n00:00:05,000 --> 00:00:07,000\n<i>Thank you</i>\n"
    assert parse_srt(text) == [
        ParsedSegment(1.0, 4.5, "Kim", "Hello there"),
        ParsedSegment(5.0, 7.0, None, "Thank you"),
    ]


def test_srt_tolerates_bom_crlf_trailing_spaces_missing_index_and_overrides() -> None:
    text = (
        "\ufeff1  \r\n00:00:01,000 --> 00:00:02,000   \r\n{\\an8}<font color=\"red\">top</font>  \r\n  \r\n\r\n\r\n"
        "00:00:03.000 --> 00:00:04.000 X1:10 X2:20\r\n[restricted] Lee: secret\r\n"
    )
    assert parse_srt(text) == [
        ParsedSegment(1.0, 2.0, None, "top"),
        ParsedSegment(3.0, 4.0, "Lee", "secret", restricted=True),
    ]


def test_srt_keeps_ampersands_literal() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nKim &amp; Lee & co\n"
    assert parse_srt(text)[0].text == "Kim &amp; Lee & co"


def test_srt_reports_problems_with_line_numbers() -> None:
    text = (
        "1\n"  # 1
        "00:00:01,000 -> 00:00:02,000\n"  # 2
        "arrow too short\n"  # 3
        "\n"  # 4
        "2\n"  # 5
        "00:00:03,000 --> 00:00:02,000\n"  # 6
        "backwards\n"  # 7
        "\n"  # 8
        "3\n"  # 9
        "00:00:04,000 --> 00:00:05,000\n"  # 10
    )
    with pytest.raises(TranscriptError) as caught:
        parse_srt(text)
    assert problem_lines(caught.value) == [1, 6, 10]
    assert "expected a cue timing line like '00:00:01,000 --> 00:00:04,000'" in str(caught.value)


@pytest.mark.parametrize("text", ["", "\r\n \r\n", "\ufeff"])
def test_srt_rejects_empty_transcripts(text: str) -> None:
    with pytest.raises(TranscriptError, match="empty"):
        parse_srt(text)


# --- Timestamped text -------------------------------------------------------


def test_timestamped_lines_in_all_clock_forms() -> None:
    text = (
        "Interview with Kim\n\n"
        "[00:00:05] Kim: Hello.\n[01:10] Q: Where?\n  continued here\n[1:02:03.5] No speaker here"
    )
    segments = parse_timestamped(text)
    assert [(s.start, s.end, s.speaker, s.text) for s in segments[:2]] == [
        (5.0, 70.0, "Kim", "Hello."),
        (70.0, 3723.5, "Q", "Where? continued here"),
    ]
    last = segments[2]
    assert (last.start, last.speaker, last.text) == (3723.5, None, "No speaker here")
    assert last.end == 3723.5 + MIN_LAST_SEGMENT_SECONDS


def test_timestamped_last_segment_estimate_grows_with_words() -> None:
    segments = parse_timestamped("[00:00:00] " + "word " * 50)
    assert segments[0].end == pytest.approx(20.0)


def test_timestamped_total_duration_sets_last_end() -> None:
    segments = parse_timestamped("[00:00] a\n[00:10] b", total_duration=42.5)
    assert segments[-1].end == 42.5


@pytest.mark.parametrize("duration", [5.0, 10.0, float("nan"), float("inf"), -1.0])
def test_timestamped_rejects_total_duration_before_last_line(duration: float) -> None:
    with pytest.raises(TranscriptError, match="total_duration"):
        parse_timestamped("[00:00] a\n[00:10] b", total_duration=duration)


def test_timestamped_restricted_marker() -> None:
    segments = parse_timestamped("[00:01:00] ok\n[00:02:00] [restricted] Kim: my brother's name")
    assert segments[1] == ParsedSegment(120.0, segments[1].end, "Kim", "my brother's name", restricted=True)
    assert not segments[0].restricted


# --- Markers before the text (fail closed) ------------------------------------

def _one(fmt: str, text: str) -> str:
    """A one-passage transcript in `fmt` whose passage reads `text` (second line of the file or later)."""
    return {"txt": f"Interview 4\n[00:00:05] {text}\n",
            "srt": f"1\n00:00:05,000 --> 00:00:09,000\n{text}\n",
            "vtt": f"WEBVTT\n\n00:00:05.000 --> 00:00:09.000\n{text}\n"}[fmt]


_TEXT_LINE = {"txt": 2, "srt": 3, "vtt": 4}


@pytest.mark.parametrize("fmt", ["txt", "srt", "vtt"])
@pytest.mark.parametrize("text", [
    "[restricted] Kim: my brother lives in Hyesan",
    "Kim: [restricted] my brother lives in Hyesan",
    "Kim: [ Restricted ] my brother lives in Hyesan",
    "[RESTRICTED]Kim: my brother lives in Hyesan",
    "Kim:  [restricted]my brother lives in Hyesan",
    "[laughs] [restricted] Kim: my brother lives in Hyesan",
])
def test_restricted_marker_before_or_after_the_speaker_in_every_format(fmt: str, text: str) -> None:
    [segment] = parse_transcript(_one(fmt, text), fmt=fmt)
    assert segment.restricted
    assert "restricted" not in segment.text.lower() and segment.text.endswith("my brother lives in Hyesan")
    if not text.startswith("[laughs]"):
        assert (segment.speaker, segment.text) == ("Kim", "my brother lives in Hyesan")


@pytest.mark.parametrize("cue", ["<v Kim>[ restricted ] my brother", "<v Kim><i>[Restricted]</i> my brother",
                                 "[restricted] <v Kim>my brother", "<v Kim>[laughs][restricted] my brother"])
def test_webvtt_restricted_marker_after_the_voice_tag(cue: str) -> None:
    [segment] = parse_webvtt(_one("vtt", cue))
    assert (segment.speaker, segment.restricted) == ("Kim", True)
    assert segment.text.endswith("my brother") and "restricted" not in segment.text.lower()


@pytest.mark.parametrize("fmt", ["txt", "srt", "vtt"])
@pytest.mark.parametrize("text", ["[redacted] my brother", "Kim: [private] my brother", "Kim: [ Sealed ] x",
                                  "[비공개] 오빠 이름", "[laughs] [confidential] x", "[restricted at her request] x"])
def test_unknown_markers_before_the_text_are_reported_with_their_line(fmt: str, text: str) -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(_one(fmt, text), fmt=fmt)
    assert problem_lines(caught.value) == [_TEXT_LINE[fmt]]
    assert "unknown marker [" in str(caught.value) and "write [restricted]" in str(caught.value)


def test_unknown_marker_in_a_voice_span_cue_is_reported() -> None:
    with pytest.raises(TranscriptError, match=r"line 4: unknown marker \[withheld\]"):
        parse_webvtt(_one("vtt", "<v Kim>[withheld] my brother"))


@pytest.mark.parametrize("fmt", ["txt", "srt", "vtt"])
@pytest.mark.parametrize("note", ["[laughs]", "[Inaudible]", "[ crosstalk ]", "[pause 5s]", "[inaudible 00:12:03]",
                                  "[웃음]"])
def test_transcription_notes_stay_in_the_text(fmt: str, note: str) -> None:
    [segment] = parse_transcript(_one(fmt, f"Kim: {note} we left"), fmt=fmt)
    assert (segment.speaker, segment.text, segment.restricted) == ("Kim", f"{note} we left", False)


@pytest.mark.parametrize("fmt", ["txt", "srt", "vtt"])
def test_restricted_marker_inside_the_text_is_reported_not_published(fmt: str) -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(_one(fmt, "Kim: we left, and [restricted] my brother stayed"), fmt=fmt)
    assert problem_lines(caught.value) == [_TEXT_LINE[fmt]]
    assert "withholds nothing" in str(caught.value)


def test_restricted_marker_on_a_continuation_line_is_reported_on_that_line() -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_timestamped("[00:00:05] Kim: we left\n[ restricted ] my brother stayed\n[00:00:09] ok")
    assert problem_lines(caught.value) == [2]


def test_brackets_later_in_the_text_and_long_brackets_are_text() -> None:
    text = "[00:00:05] Kim: the year [1997] was hard\n[00:00:09] [" + "a" * 70 + "] is not a marker"
    segments = parse_timestamped(text)
    assert [s.text for s in segments] == ["the year [1997] was hard", "[" + "a" * 70 + "] is not a marker"]


def test_markers_round_trip_through_the_staff_exports() -> None:
    segments = [ParsedSegment(1.0, 2.0, "Kim", "[laughs] fine", False), ParsedSegment(2.0, 3.0, "Kim", "x", True)]
    assert parse_webvtt(to_webvtt(segments, include_restricted=True)) == segments
    parsed = parse_timestamped(to_plain_text(segments, include_restricted=True), total_duration=3.0)
    assert [(s.speaker, s.text, s.restricted) for s in parsed] == [("Kim", "[laughs] fine", False), ("Kim", "x", True)]


def test_timestamped_does_not_take_sentences_for_speakers() -> None:
    text = "[00:00] He said, after a long pause: we must go\n[00:05] http://example.org is a link"
    segments = parse_timestamped(text)
    assert [s.speaker for s in segments] == [None, None]


def test_timestamped_speakers_with_apostrophes_and_full_width_colons() -> None:
    text = "[00:01] 김철수\uff1a 네, 맞습니다\n[00:03] O\u2019Brien: right\n[00:05] Dr. Lee (interpreter): yes"
    segments = parse_timestamped(text)
    assert [(s.speaker, s.text) for s in segments] == [
        ("김철수", "네, 맞습니다"),
        ("O\u2019Brien", "right"),
        ("Dr. Lee (interpreter)", "yes"),
    ]


def test_timestamped_reports_all_problems() -> None:
    text = "[00:00:10] a\n[00:00:05] backwards\n[00:61] bad\n[00:00:20]\n[00:00:20] same"
    with pytest.raises(TranscriptError) as caught:
        parse_timestamped(text)
    assert problem_lines(caught.value) == [2, 3, 4, 5]
    message = str(caught.value)
    assert "line 2: timestamp [00:00:05] is not after the one on line 1" in message
    assert "line 3: invalid timestamp [00:61]" in message
    assert "line 4: no text after the timestamp" in message


@pytest.mark.parametrize("text", ["", "just prose\nwith no timestamps", "\n\n"])
def test_timestamped_rejects_text_without_timestamps(text: str) -> None:
    with pytest.raises(TranscriptError, match=r"empty|no timestamped lines"):
        parse_timestamped(text)


def test_error_message_is_capped_but_problems_are_complete() -> None:
    text = "[00:00:01] x\n" * 200
    with pytest.raises(TranscriptError) as caught:
        parse_timestamped(text)
    assert len(caught.value.problems) == 199
    assert str(caught.value).endswith("... and 149 more problems")


# --- parse_transcript -------------------------------------------------------


def test_parse_transcript_by_fmt_extension_and_content() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\nhello\n"
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n"
    txt = "[00:00:01] hello"
    expected_start = 1.0
    assert parse_transcript(srt, fmt="srt")[0].start == expected_start
    assert parse_transcript(srt.encode(), filename="a.SRT")[0].text == "hello"
    assert parse_transcript(vtt.encode(), filename="upload.bin")[0].text == "hello"
    assert parse_transcript(srt.encode())[0].text == "hello"
    assert parse_transcript(txt.encode(), filename="notes.txt")[0].text == "hello"
    assert parse_transcript(vtt.encode(), filename="mislabelled.txt")[0].end == 2.0
    assert parse_transcript(txt, fmt=".TXT", total_duration=9.0)[0].end == 9.0
    assert parse_transcript(srt.encode(), filename="C:\\exports.v2\\tape")[0].text == "hello"
    assert parse_transcript(vtt.encode(), filename="exports.srt/tape.vtt")[0].text == "hello"


def test_parse_transcript_trusts_vtt_extension_over_content() -> None:
    with pytest.raises(TranscriptError, match='line 1: missing "WEBVTT" header'):
        parse_transcript(b"00:00:01.000 --> 00:00:02.000\nhello\n", filename="x.vtt")


def test_parse_transcript_decodes_boms() -> None:
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v 김철수>안녕하세요\n"
    for data in (b"\xef\xbb\xbf" + vtt.encode(), "\ufeff".encode("utf-16-le") + vtt.encode("utf-16-le"),
                 "\ufeff".encode("utf-16-be") + vtt.encode("utf-16-be")):
        assert parse_transcript(data) == [ParsedSegment(1.0, 2.0, "김철수", "안녕하세요")]


def test_parse_transcript_reports_undecodable_bytes_with_line() -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(b"[00:01] fine\n[00:02] caf\xe9\n", filename="t.txt")
    assert caught.value.problems[0][0] == 2
    assert "not valid UTF-8 (byte 0xe9 at offset 24)" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (b"", {}, "empty"),
        (b"  \n", {"filename": "a.doc"}, "empty"),
        (b"hello world", {}, "could not recognise the transcript format"),
        (b"[00:01] x", {"fmt": "docx"}, "unknown transcript format 'docx'"),
    ],
)
def test_parse_transcript_rejections(data: bytes, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(TranscriptError, match=message):
        parse_transcript(data, **kwargs)


def test_non_text_input_is_still_a_transcript_error() -> None:
    with pytest.raises(TranscriptError):
        parse_webvtt(None)  # type: ignore[arg-type]


# --- Export -----------------------------------------------------------------


def test_to_webvtt_escapes_and_uses_voice_spans() -> None:
    segments: list[Any] = [
        {"start": 1, "end": 2.5, "speaker": "Kim <boss>", "text": "a < b & c --> d"},
        SimpleNamespace(start=Decimal("3.25"), end=Decimal("4"), speaker=None, text="line\n\nbreak", language="en"),
    ]
    out = to_webvtt(segments, language="ko")
    assert out == (
        "WEBVTT\nLanguage: ko\n\n"
        "1\n00:00:01.000 --> 00:00:02.500\n<v Kim &lt;boss&gt;>a &lt; b &amp; c --&gt; d\n\n"
        "2\n00:00:03.250 --> 00:00:04.000\n<lang en>line break</lang>\n"
    )
    reparsed = parse_webvtt(out)
    assert [(s.speaker, s.text, s.language) for s in reparsed] == [
        ("Kim <boss>", "a < b & c --> d", "ko"),
        (None, "line break", "en"),
    ]


def test_exports_leave_out_restricted_passages_unless_asked() -> None:
    segments = [
        ParsedSegment(1.0, 2.0, "Kim", "public"),
        ParsedSegment(2.0, 3.0, "Kim", "secret", restricted=True),
    ]
    assert "secret" not in to_webvtt(segments)
    assert "secret" not in to_plain_text(segments)
    assert parse_webvtt(to_webvtt(segments, include_restricted=True)) == segments
    assert "[00:00:02] [restricted] Kim: secret" in to_plain_text(segments, include_restricted=True)


def test_to_webvtt_round_trips_parsed_cues() -> None:
    segments = parse_webvtt(VTT)
    assert parse_webvtt(to_webvtt(segments, language="ko")) == segments


def test_to_plain_text_round_trips_through_parse_timestamped() -> None:
    segments = [
        ParsedSegment(0.0, 5.5, "Kim", "First."),
        ParsedSegment(5.5, 5.75, None, "A quick aside"),
        ParsedSegment(5.75, 80.0, "Interviewer", "And then?", restricted=True),
        ParsedSegment(80.0, 3700.0, "김철수", "그때는 어려웠습니다."),
    ]
    text = to_plain_text(segments, title="Testimony 7", include_restricted=True)
    assert text.splitlines()[:3] == ["Testimony 7", "", "[00:00:00] Kim: First."]
    assert "[00:00:05.500] A quick aside" in text
    assert parse_timestamped(text, total_duration=3700.0) == segments


def test_exports_skip_empty_text_and_reject_bad_times_or_languages() -> None:
    assert to_webvtt([{"start": 1, "end": 2, "speaker": "K", "text": "  "}]) == "WEBVTT\n"
    with pytest.raises(ValueError, match="before it starts"):
        to_webvtt([{"start": 2, "end": 2, "speaker": None, "text": "x"}])
    with pytest.raises(ValueError, match="invalid language"):
        to_webvtt([], language="ko\n\n00:00.000 --> 00:01.000")
    with pytest.raises(ValueError, match="invalid language"):
        to_plain_text([{"start": 1, "end": 2, "speaker": None, "text": "x", "language": "<script>"}])


# --- Fuzzing ----------------------------------------------------------------

_PIECES = [
    "WEBVTT", "\n", "\n\n", "\r\n", "\r", "-->", " --> ", "00:00:01.000", "00:01,500", "[00:01]", "[1:02:03.5]",
    "[restricted]", "<v Kim>", "</v>", "<lang ko>", "<", ">", "&amp;", "&#0;", "&#x110000;", "&", "Kim: ", "1",
    "NOTE", "STYLE", "\ufeff", "\x00", "\x1b", "\u202e", "김철수", " ", ":", ".", ",", "99:99:99.999", "{\\an8}",
]
_SEEDS = [VTT, "1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n00:00:03,000 --> 00:00:04,000\nbye\n",
          "[00:00:01] Kim: hi\n[00:00:05] [restricted] Lee: no\n"]


def _garbage(rng: random.Random) -> str:
    """Return random text built from format tokens, or a mutated valid file."""
    if rng.random() < 0.5:
        return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 40)))
    chars = list(rng.choice(_SEEDS))
    for _ in range(rng.randint(1, 8)):
        position = rng.randrange(len(chars) + 1)
        action = rng.random()
        if action < 0.4 and position < len(chars):
            del chars[position]
        elif action < 0.8:
            chars.insert(position, rng.choice(_PIECES))
        else:
            chars.insert(position, chr(rng.randrange(0x110000 if rng.random() < 0.2 else 0x80)))
    return "".join(chars)


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_MARKER = re.compile(r"\[\s*restricted\s*\]", re.IGNORECASE)


@pytest.mark.parametrize("seed", range(4))
def test_fuzzed_input_gives_segments_or_transcript_error(seed: int) -> None:
    rng = random.Random(seed)
    outcomes = {"parsed": 0, "rejected": 0}
    for _ in range(150):
        text = _garbage(rng)
        raw = rng.randbytes(rng.randint(0, 64)) if rng.random() < 0.15 else text.encode("utf-8", "surrogatepass")
        calls: list[Callable[[], list[ParsedSegment]]] = [
            partial(parse_webvtt, text),
            partial(parse_srt, text),
            partial(parse_timestamped, text),
            partial(parse_transcript, raw),
            partial(parse_transcript, raw, filename="x.vtt"),
        ]
        for call in calls:
            try:
                segments = call()
            except TranscriptError as error:
                outcomes["rejected"] += 1
                assert error.problems
                # The safety net in the module turns crashes into this message; it must never be needed.
                assert not str(error).startswith("could not read the transcript"), (text, str(error))
                continue
            outcomes["parsed"] += 1
            for segment in segments:
                assert segment.end > segment.start >= 0
                assert segment.text and not _CONTROL.search(segment.text)
                assert not _MARKER.search(segment.text), (text, segment)  # a marker is never published as text
    assert outcomes["parsed"] and outcomes["rejected"]
