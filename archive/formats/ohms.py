"""OHMS XML (Oral History Metadata Synchronizer, Louie B. Nunn Center) export and import.

(A little over 400 lines: the export and the import of one format, kept side by side so they stay
each other's inverse.)

An OHMS file holds one interview::

    <ROOT xmlns="https://www.weareavp.com/nunncenter/ohms">
      <record id="..." dt="YYYY-MM-DD">
        <version>5.4</version> <title/> <accession/> <duration>H:MM:SS</duration> <language/>
        <interviewee/> <interviewer/> <mediafile><host>Other</host><clip_format>audio</clip_format></mediafile>
        <media_url/> <rights/> <usage/> <description/>
        <sync>1:|3(4)|7(12)</sync>        minute marks: transcript line (word offset) heard at each minute
        <transcript>SPEAKER: text...</transcript>
        <vtt_transcript>WEBVTT ...</vtt_transcript>
        <index>
          <point><time>SECONDS</time><title/><partial_transcript/><synopsis/>
                 <keywords>a;b</keywords><subjects>a;b</subjects></point>
        </index>
      </record>
    </ROOT>

Older files have no namespace; both are read. Index points are the archive's chapters
(start, title, synopsis, keywords). ``<time>`` is whole seconds in files from the OHMS tools;
the archive writes fractions (``18.82``) when a chapter starts between seconds, and reads
seconds, ``MM:SS`` or ``HH:MM:SS`` (`archive.formats.timecode`). The transcript round-trips exactly
through ``<vtt_transcript>`` (WebVTT with ``<v Speaker>`` voices, see `archive.formats.transcripts`).
The legacy ``<transcript>`` and ``<sync>`` pair is written for OHMS viewers too, and read when a file
has no ``<vtt_transcript>``: each paragraph becomes a passage, timed by interpolating between the
minute marks of ``<sync>`` (approximate: OHMS itself only knows minutes).

Parsing is safe with untrusted files: DOCTYPE declarations (hence entities, external references
and "billion laughs") are refused outright. Every problem is reported with its line number as an
``OhmsError``; no other exception escapes `parse_ohms`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError, SubElement, TreeBuilder, indent, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from archive.models.testimonies import LANGUAGES
from archive.formats.timecode import decimal, parse_time, timestamp
from archive.formats.transcripts import ParsedSegment, TranscriptError, parse_webvtt, read_markers

OHMS_NS = "https://www.weareavp.com/nunncenter/ohms"
OHMS_VERSION = "5.4"
MAX_BYTES = 20 * 1024 * 1024
_KEYWORD_SPLIT_RE = re.compile(r"[;\n]")
_LANGUAGE_TAG_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
# OHMS files often name the language in words.
_LANGUAGE_NAMES = {name.casefold(): code for code, name in LANGUAGES.items()} | {"한국어": "ko", "조선말": "ko"}
_SYNC_MARK_RE = re.compile(r"^(\d+)\((\d+)\)$")
_PARAGRAPH_SPEAKER_RE = re.compile(
    r"^(?P<name>[^\W\d_][\w.'\u2019() -]{0,58}[\w.)]|[^\W\d_])\s*:\s+(?P<text>\S.*)$", re.S)
SECONDS_PER_WORD = 0.4


class OhmsError(ValueError):
    """An OHMS file could not be read; ``problems`` holds (line, message) pairs."""

    def __init__(self, problems: Iterable[tuple[int | None, str]] | str) -> None:
        self.problems: list[tuple[int | None, str]] = [(None, problems)] if isinstance(problems, str) \
            else list(problems)
        super().__init__("\n".join(self.messages()))

    def messages(self) -> list[str]:
        """Every problem as 'line N: message'."""
        return [msg if line is None else f"line {line}: {msg}" for line, msg in self.problems]


@dataclass
class IndexPoint:
    """One OHMS index point: a chapter of the recording."""

    start: float
    title: str
    synopsis: str = ""
    keywords: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    partial_transcript: str = ""
    line: int | None = None

    def chapter(self) -> dict[str, Any]:
        """The values of an archive chapter."""
        return {"start": self.start, "title": self.title, "synopsis": self.synopsis, "keywords": list(self.keywords)}


@dataclass
class OhmsRecord:
    """What the archive reads from (or writes to) one OHMS record."""

    title: str = ""
    record_id: str = ""
    date: str = ""
    duration: float | None = None
    language: str = ""
    interviewee: str = ""
    interviewer: str = ""
    media_url: str = ""
    clip_format: str = "audio"
    rights: str = ""
    description: str = ""
    points: list[IndexPoint] = field(default_factory=list)
    segments: list[Any] = field(default_factory=list)  # transcript segments (start, end, speaker, text, language)
    vtt: str = ""
    legacy_transcript: bool = False


# ------------------------------------------------------------------------------------------ export


def _sync(paragraphs: list[tuple[float, float, str]], duration: float | None) -> str:
    """OHMS sync data: for each minute, the transcript line and word (both from 1) heard at that moment.

    ``paragraphs`` holds (start, end, text) per passage, in order; the transcript writes each on one
    line with a blank line between, so passage *i* (from 0) is line 2i+1.
    """
    if not paragraphs:
        return ""
    total = duration or max(end for _, end, _ in paragraphs)
    marks = ["1:"]
    for minute in range(1, int(total // 60) + 1):
        moment = minute * 60.0
        index = next((i for i, (_, end, _) in enumerate(paragraphs) if end > moment), len(paragraphs) - 1)
        start, end, text = paragraphs[index]
        words = max(len(text.split()), 1)
        fraction = 0.0 if moment <= start else min((moment - start) / max(end - start, 0.001), 1.0)
        marks.append(f"{2 * index + 1}({min(words, int(fraction * words) + 1)})")
    return "|".join(marks) if len(marks) > 1 else "1:"


def build_ohms(record: OhmsRecord) -> str:
    """Serialise a record as OHMS XML (UTF-8 text with an XML declaration)."""
    root = Element("ROOT", {"xmlns": OHMS_NS})
    attrs = {"id": record.record_id} if record.record_id else {}
    if record.date:
        attrs["dt"] = record.date
    rec = SubElement(root, "record", attrs)

    def add(parent: Element, name: str, text: str = "") -> Element:
        child = SubElement(parent, name)
        child.text = text
        return child

    add(rec, "version", OHMS_VERSION)
    if record.date:
        SubElement(rec, "date", {"format": "yyyy-mm-dd", "value": record.date})
    add(rec, "title", record.title)
    add(rec, "accession", record.record_id)
    add(rec, "duration", timestamp(record.duration, millis=False) if record.duration else "")
    add(rec, "language", record.language)
    add(rec, "interviewee", record.interviewee)
    add(rec, "interviewer", record.interviewer)
    add(rec, "description", record.description)
    add(rec, "rights", record.rights)
    media = SubElement(rec, "mediafile")
    add(media, "host", "Other")
    add(media, "clip_format", record.clip_format)
    add(rec, "media_url", record.media_url)
    paragraphs = []
    for s in record.segments:
        text = f"[restricted] {s.text}" if getattr(s, "restricted", False) else s.text
        paragraphs.append((s.start, s.end, f"{s.speaker.upper()}: {text}" if s.speaker else text))
    add(rec, "sync", _sync(paragraphs, record.duration))
    add(rec, "transcript", "\n\n".join(text for _, _, text in paragraphs))
    add(rec, "vtt_transcript", record.vtt)
    index = SubElement(rec, "index")
    for point in sorted(record.points, key=lambda p: p.start):
        node = SubElement(index, "point")
        add(node, "time", decimal(point.start))
        add(node, "title", point.title)
        add(node, "partial_transcript", point.partial_transcript)
        add(node, "synopsis", point.synopsis)
        add(node, "keywords", ";".join(point.keywords))
        add(node, "subjects", ";".join(point.subjects))
    indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode") + "\n"


# ------------------------------------------------------------------------------------------ import


class _Parser(DefusedXMLParser):  # type: ignore[misc]
    """defusedxml's parser (no DTD, no entities, no external references) that notes each element's line."""

    def __init__(self) -> None:
        super().__init__(target=TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
        self.lines: dict[Element, int] = {}
        self.doctype_line: int | None = None
        start = self.parser.StartElementHandler

        def started(tag: str, attrs: Any) -> Element:
            element = start(tag, attrs)
            self.lines[element] = self.parser.CurrentLineNumber
            return element

        self.parser.StartElementHandler = started

    def defused_start_doctype_decl(self, *args: Any) -> None:
        self.doctype_line = self.parser.CurrentLineNumber
        super().defused_start_doctype_decl(*args)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(parent: Element, name: str) -> Element | None:
    return next((c for c in parent if _local(c.tag) == name), None)


def _text(parent: Element, name: str) -> str:
    node = _child(parent, name)
    return " ".join((node.text or "").split()) if node is not None else ""


def _terms(value: str) -> list[str]:
    return [term.strip() for term in _KEYWORD_SPLIT_RE.split(value) if term.strip()]


def _decode(data: bytes | str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    return data


def parse_ohms(data: bytes | str, *, with_transcript: bool = True) -> OhmsRecord:
    """Read an OHMS XML file; raise OhmsError listing every problem with its line."""
    raw = _decode(data)
    if not raw.strip():
        raise OhmsError("the file is empty")
    if len(raw) > MAX_BYTES:
        raise OhmsError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    parser = _Parser()
    try:
        parser.feed(raw)
        root = parser.close()
    except DefusedXmlException:
        raise OhmsError([(parser.doctype_line, "the file declares a DOCTYPE (and perhaps entities); OHMS files "
                                                "have none, and they are refused for safety")]) from None
    except ParseError as error:
        line, column = getattr(error, "position", (None, 0))
        reason = str(error).split(":", 1)[0]
        raise OhmsError([(line, f"not well-formed XML ({reason}, column {column + 1})")]) from None
    except (ValueError, UnicodeError) as error:  # e.g. an unknown encoding declaration
        raise OhmsError(f"could not read the file as XML ({error})") from None
    try:
        return _record(root, parser.lines, with_transcript)
    except OhmsError:
        raise
    except Exception as error:  # noqa: BLE001 - curators get a message, never a stack trace
        raise OhmsError(f"could not read the OHMS record ({type(error).__name__}: {error})") from error


def _record(root: Element, lines: dict[Element, int], with_transcript: bool) -> OhmsRecord:
    problems: list[tuple[int | None, str]] = []
    if _local(root.tag) != "ROOT":
        raise OhmsError([(lines.get(root), f"the root element is <{_local(root.tag)}>; an OHMS file starts "
                                           "with <ROOT>")])
    records = [c for c in root if _local(c.tag) == "record"]
    if not records:
        raise OhmsError([(lines.get(root), "no <record> element inside <ROOT>")])
    if len(records) > 1:
        raise OhmsError([(lines.get(records[1]), f"the file holds {len(records)} records; import one interview "
                                                 "at a time")])
    rec = records[0]
    media = _child(rec, "mediafile")
    out = OhmsRecord(
        title=_text(rec, "title"), record_id=rec.get("id", "") or _text(rec, "accession"), date=rec.get("dt", ""),
        language=_text(rec, "language"), interviewee=_text(rec, "interviewee"),
        interviewer=_text(rec, "interviewer"), media_url=_text(rec, "media_url"),
        clip_format=_text(media, "clip_format") if media is not None else "", rights=_text(rec, "rights"),
        description=_text(rec, "description"),
    )
    duration = _text(rec, "duration")
    out.duration = parse_time(duration) if duration else None
    index = _child(rec, "index")
    for point in [] if index is None else [p for p in index if _local(p.tag) == "point"]:
        line = lines.get(point)
        time_node = _child(point, "time")
        raw_time = _text(point, "time")
        start = parse_time(raw_time) if raw_time else None
        if start is None:
            where = lines.get(time_node, line) if time_node is not None else line
            problems.append((where, "index point without a readable <time> (seconds, MM:SS or HH:MM:SS)"
                            if not raw_time else f"index point time {raw_time[:30]!r} is not seconds, MM:SS or "
                                                 "HH:MM:SS"))
        title = _text(point, "title")
        if not title:
            problems.append((line, "index point without a <title>"))
        if len(title) > 300:
            problems.append((line, f"index point title is {len(title)} characters long; at most 300"))
        synopsis = _text(point, "synopsis")
        if len(synopsis) > 5000:
            problems.append((line, f"index point synopsis is {len(synopsis)} characters long; at most 5000"))
        if start is not None and title:
            out.points.append(IndexPoint(start, title, synopsis, _terms(_child_raw(point, "keywords")),
                                         _terms(_child_raw(point, "subjects")), _text(point, "partial_transcript"),
                                         line))
    out.points.sort(key=lambda p: p.start)
    if not out.language or not _LANGUAGE_TAG_RE.match(out.language):
        out.language = _LANGUAGE_NAMES.get(out.language.casefold(), "")
    vtt_node = _child(rec, "vtt_transcript")
    vtt_raw = (vtt_node.text or "") if vtt_node is not None else ""
    out.vtt = vtt_raw.strip()
    transcript_node = _child(rec, "transcript")
    out.legacy_transcript = bool(_text(rec, "transcript")) and not out.vtt
    if with_transcript and out.legacy_transcript and transcript_node is not None:
        sync_node = _child(rec, "sync")
        segments, found = legacy_segments(transcript_node.text or "", _text(rec, "sync"), out.duration,
                                          out.language, lines.get(sync_node) if sync_node is not None else None,
                                          transcript_line=lines.get(transcript_node))
        out.segments = segments
        problems += found
    if with_transcript and out.vtt:
        try:
            out.segments = parse_webvtt(out.vtt)
        except TranscriptError as error:
            # The WebVTT text starts on the element's line, after any blank lines before it.
            leading = vtt_raw[: len(vtt_raw) - len(vtt_raw.lstrip())].count("\n")
            offset = lines.get(vtt_node, 1) - 1 + leading if vtt_node is not None else 0
            for line, message in error.problems:
                problems.append((None if line is None else line + offset, f"vtt_transcript: {message}"))
    if problems:
        raise OhmsError(sorted(problems, key=lambda p: p[0] or 0))
    return out


def _child_raw(parent: Element, name: str) -> str:
    node = _child(parent, name)
    return node.text or "" if node is not None else ""


# ------------------------------------------------------------------------------------------ legacy transcript


def legacy_segments(transcript: str, sync: str, duration: float | None, language: str = "",
                    sync_line: int | None = None, *, transcript_line: int | None = None,
                    ) -> tuple[list[ParsedSegment], list[tuple[int | None, str]]]:
    """Passages from a legacy OHMS ``<transcript>`` timed by its ``<sync>`` minute marks.

    Each paragraph (lines separated by a blank line) becomes a passage; a leading ``NAME:`` is its
    speaker. ``<sync>`` says which line and word (from 1) is heard at each minute (``1:|13(3)|19(14)``);
    a passage starts at the time interpolated between the marks around its first word, so times are
    approximate (OHMS itself only knows minutes). Markers before a paragraph's text are read as in every
    transcript format (``[restricted]`` withholds it; an unknown marker is a problem on its line, counted
    from ``transcript_line``, the line of the ``<transcript>`` element).
    """
    problems: list[tuple[int | None, str]] = []
    lines = transcript.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    offsets, total = [], 0  # global index of each line's first word
    for line in lines:
        offsets.append(total)
        total += len(line.split())
    paragraphs: list[tuple[int, list[str], int]] = []  # (global index of the first word, lines, first line)
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        if number and lines[number - 1].strip() and paragraphs:
            paragraphs[-1][1].append(line)
        else:
            paragraphs.append((offsets[number], [line], number))
    points = [(0, 0.0)]
    interval, _, stamps = sync.partition(":")
    if sync.strip():
        if not interval.strip().isdigit() or int(interval) < 1:
            problems.append((sync_line, f"<sync> should start with the minutes between marks, like '1:|13(3)', "
                                        f"not {sync[:20]!r}"))
            stamps = ""
        for index, stamp in enumerate(stamps.split("|")):
            if not stamp.strip():
                continue
            match = _SYNC_MARK_RE.match(stamp.strip())
            if match is None:
                problems.append((sync_line, f"<sync> mark {index} {stamp[:20]!r} is not line(word), like 13(3)"))
                continue
            line_no, word = int(match[1]), int(match[2])
            if not 1 <= line_no <= len(lines):
                problems.append((sync_line, f"<sync> mark {index} points at line {line_no}; the transcript has "
                                            f"{len(lines)} lines"))
                continue
            position = offsets[line_no - 1] + max(word - 1, 0)
            seconds = index * int(interval) * 60.0
            if position < points[-1][0]:
                problems.append((sync_line, f"<sync> mark {index} ({stamp.strip()}) is before the previous one"))
                continue
            points.append((position, seconds))
    if problems:
        return [], problems
    end_position, end_time = total, duration
    if end_time is None or end_time <= points[-1][1]:
        end_time = points[-1][1] + max(total - points[-1][0], 1) * SECONDS_PER_WORD
    points.append((end_position, end_time))

    def at(position: int) -> float:
        for (p0, t0), (p1, t1) in zip(points, points[1:]):
            if p0 <= position <= p1:
                return t0 if p1 == p0 else t0 + (t1 - t0) * (position - p0) / (p1 - p0)
        return points[-1][1]

    segments: list[ParsedSegment] = []
    marker_problems: list[tuple[int | None, str]] = []
    for number, (first_word, paragraph, first_line) in enumerate(paragraphs):
        markers = read_markers(" ".join(" ".join(paragraph).split()))
        where = transcript_line + first_line if transcript_line is not None else None
        marker_problems += [(where, f"<transcript>: {message}") for message in markers.problems]
        text, speaker, restricted = markers.text, None, markers.restricted
        if match := _PARAGRAPH_SPEAKER_RE.match(text):
            if len(match["name"].split()) <= 5:
                speaker, text = match["name"].strip(), match["text"]
        start = round(at(first_word), 3)
        end = round(at(paragraphs[number + 1][0]) if number + 1 < len(paragraphs) else end_time, 3)
        if end <= start:
            end = round(start + max(len(text.split()) * SECONDS_PER_WORD, 1.0), 3)
        segments.append(ParsedSegment(start, end, speaker, text, restricted, language or None))
    if marker_problems:
        return [], marker_problems
    return segments, problems
