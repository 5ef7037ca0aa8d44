"""OHMS XML: building, reading back, and refusing bad or hostile files with line numbers."""
from __future__ import annotations

import pytest

from archive.formats.ohms import OHMS_NS, IndexPoint, OhmsError, OhmsRecord, build_ohms, parse_ohms
from archive.formats.transcripts import ParsedSegment, to_webvtt

SEGMENTS = [
    ParsedSegment(0.0, 4.0, "Interviewer", "Where did you grow up? <harbour> & hills", False, "en"),
    ParsedSegment(4.5, 70.25, "Narrator A", "청진 항구 근처에서 자랐어요.", False, "ko"),
    ParsedSegment(71.0, 80.0, "Narrator A", "Then we crossed.", True, "en"),
]


def record() -> OhmsRecord:
    return OhmsRecord(title="A harbour & a river", record_id="demo-9", date="2019-05-14", duration=95.0,
                      language="en", interviewee="Han Song-il", interviewer="Lee Ji-hye",
                      points=[IndexPoint(18.82, "Crossing", "Synopsis <b>", ["river", "winter night"], ["Border"]),
                              IndexPoint(0, "Childhood")],
                      segments=SEGMENTS, vtt=to_webvtt(SEGMENTS, "en", include_restricted=True))


def test_round_trip_keeps_points_and_transcript() -> None:
    text = build_ohms(record())
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert f'<ROOT xmlns="{OHMS_NS}">' in text
    assert "<keywords>river;winter night</keywords>" in text and "<time>18.82</time>" in text
    parsed = parse_ohms(text)
    assert [(p.start, p.title, p.synopsis, p.keywords, p.subjects) for p in parsed.points] == [
        (0.0, "Childhood", "", [], []), (18.82, "Crossing", "Synopsis <b>", ["river", "winter night"], ["Border"])]
    assert [(s.start, s.end, s.speaker, s.text, s.language, s.restricted) for s in parsed.segments] == [
        (s.start, s.end, s.speaker, s.text, s.language, s.restricted) for s in SEGMENTS]
    assert (parsed.title, parsed.record_id, parsed.date, parsed.duration) == ("A harbour & a river", "demo-9",
                                                                           "2019-05-14", 95.0)


def test_legacy_transcript_and_sync_are_written() -> None:
    text = build_ohms(record())
    assert "<transcript>INTERVIEWER: Where did you grow up? &lt;harbour&gt; &amp; hills\n\nNARRATOR A:" in text
    # minute 1 falls in the second passage (line 3, after the blank line), 55.5 s of its 65.75 s in: word 6 of 6
    assert "<sync>1:|3(6)</sync>" in text


def test_legacy_transcript_is_read_when_there_is_no_vtt() -> None:
    text = build_ohms(OhmsRecord(title="t", duration=200.0, language="Korean", segments=[
        ParsedSegment(0, 60, "Interviewer", "one two three four five six"),
        ParsedSegment(60, 120, "Narrator A", "seven eight nine ten eleven twelve", True),
        ParsedSegment(120, 180, None, "thirteen fourteen fifteen sixteen seventeen eighteen")]))
    parsed = parse_ohms(text)
    assert parsed.language == "ko" and parsed.legacy_transcript
    assert [(s.speaker, s.text, s.restricted, s.language) for s in parsed.segments] == [
        ("INTERVIEWER", "one two three four five six", False, "ko"),
        ("NARRATOR A", "seven eight nine ten eleven twelve", True, "ko"),
        (None, "thirteen fourteen fifteen sixteen seventeen eighteen", False, "ko")]
    starts = [s.start for s in parsed.segments]
    assert starts[0] == 0 and starts == sorted(starts) and parsed.segments[-1].end == 200.0
    assert all(abs(got - want) <= 15 for got, want in zip(starts, (0, 60, 120)))  # minute marks: approximate


def test_bad_sync_marks_are_reported() -> None:
    xml = "<ROOT><record>\n<sync>1:|3(1)|x</sync>\n<transcript>A: one\n\nB: two</transcript></record></ROOT>"
    assert problems(xml) == [(2, "<sync> mark 2 'x' is not line(word), like 13(3)")]
    xml = "<ROOT><record>\n<sync>1:|9(1)</sync>\n<transcript>A: one</transcript></record></ROOT>"
    assert problems(xml) == [(2, "<sync> mark 1 points at line 9; the transcript has 1 lines")]


def test_reads_files_without_namespace_and_with_clock_times() -> None:
    xml = """<ROOT><record id="x" dt="2020-01-01"><title>Old</title><index>
      <point><time>0:01:05</time><title>Later</title><keywords>a; b ;;c</keywords></point>
      <point><time>7</time><title>Early</title></point></index></record></ROOT>"""
    parsed = parse_ohms(xml.encode())
    assert [(p.start, p.title, p.keywords) for p in parsed.points] == [(7.0, "Early", []),
                                                                       (65.0, "Later", ["a", "b", "c"])]
    assert parsed.segments == [] and parsed.vtt == ""


def problems(data: str | bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(OhmsError) as caught:
        parse_ohms(data)
    return caught.value.problems


def test_malformed_xml_names_the_line() -> None:
    found = problems("<ROOT>\n<record>\n<index>\n</record>\n</ROOT>")
    assert found[0][0] == 4 and "not well-formed" in found[0][1]


def test_bad_points_are_all_reported_with_lines() -> None:
    xml = "<ROOT><record><index>\n<point><time>soon</time><title>A</title></point>\n<point><title>B</title></point>" \
          "\n<point><time>5</time><title></title></point>\n</index></record></ROOT>"
    found = problems(xml)
    assert found == [(2, "index point time 'soon' is not seconds, MM:SS or HH:MM:SS"),
                     (3, "index point without a readable <time> (seconds, MM:SS or HH:MM:SS)"),
                     (4, "index point without a <title>")]


def test_wrong_root_several_records_and_empty_file() -> None:
    assert problems("<html><body/></html>") == [(1, "the root element is <html>; an OHMS file starts with <ROOT>")]
    assert "2 records" in problems("<ROOT><record/>\n<record/></ROOT>")[0][1]
    assert problems("<ROOT/>")[0][1] == "no <record> element inside <ROOT>"
    assert problems(b"  ") == [(None, "the file is empty")]


def test_entity_expansion_is_refused() -> None:
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE ROOT [\n <!ENTITY a "aaaaaaaaaa">\n <!ENTITY b "&a;&a;&a;&a;&a;">\n]>\n'
            "<ROOT><record><title>&b;</title></record></ROOT>")
    found = problems(bomb)
    assert found[0][0] == 2 and "DOCTYPE" in found[0][1]


def test_external_entities_are_refused() -> None:
    xxe = ('<?xml version="1.0"?>\n<!DOCTYPE ROOT [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
           "<ROOT><record><title>&secret;</title></record></ROOT>")
    found = problems(xxe)
    assert "DOCTYPE" in found[0][1]
    assert "root:" not in str(found)


def test_bad_vtt_transcript_is_reported_at_its_line_in_the_file() -> None:
    xml = "<ROOT><record>\n<vtt_transcript>WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nHello\n</vtt_transcript>" \
          "</record></ROOT>"
    found = problems(xml)
    assert found == [(4, "vtt_transcript: cue ends (00:00:01.000) before or when it starts (00:00:02.000)")]


def test_transcript_can_be_ignored() -> None:
    xml = "<ROOT><record><vtt_transcript>not a vtt</vtt_transcript><index><point><time>1</time><title>T</title>" \
          "</point></index></record></ROOT>"
    assert parse_ohms(xml, with_transcript=False).points[0].title == "T"
    with pytest.raises(OhmsError):
        parse_ohms(xml)


def test_legacy_transcript_reads_restricted_markers_before_or_after_the_speaker() -> None:
    xml = ("<ROOT><record>\n<transcript>INTERVIEWER: [laughs] Where?\n\nKIM: [ Restricted ] in Hyesan, by the mill\n\n"
           "[restricted] LEE: my uncle</transcript></record></ROOT>")
    assert [(s.speaker, s.text, s.restricted) for s in parse_ohms(xml).segments] == [
        ("INTERVIEWER", "[laughs] Where?", False), ("KIM", "in Hyesan, by the mill", True),
        ("LEE", "my uncle", True)]


def test_legacy_transcript_unknown_and_misplaced_markers_are_reported_at_their_line() -> None:
    xml = ("<ROOT><record>\n<transcript>\nA: one\n\nKIM: [redacted] my brother\n\n[private] two\n\n"
           "B: three [restricted] four</transcript></record></ROOT>")
    found = problems(xml)
    assert [line for line, _ in found] == [5, 7, 9]
    assert "unknown marker [redacted]" in found[0][1] and found[0][1].startswith("<transcript>: ")
    assert "unknown marker [private]" in found[1][1]
    assert "withholds nothing" in found[2][1]
