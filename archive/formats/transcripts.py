"""Import and export testimony transcripts (WebVTT, SubRip and timestamped text).

(Over 400 lines on purpose: the three readers share the segment model, the `[restricted]` and
transcription markers and the line-numbered errors; the format notes below are the module's contract.)

Formats read:

* WebVTT: a ``WEBVTT`` first line, an optional header block (``Language: ko``
  sets the language of every cue), then cues separated by blank lines.
  ``NOTE``, ``STYLE`` and ``REGION`` blocks are skipped. The speaker comes from
  a ``<v Name>`` voice span, else from a leading ``Name: `` in the cue text; a
  ``<lang xx>`` span sets that cue's language; all other tags are dropped and
  entities are decoded.
* SubRip: optional numeric index, ``00:00:01,000 --> 00:00:04,000``, text lines,
  blank line. CRLF, a BOM, trailing spaces and a missing index are tolerated;
  ``<i>``/``<font>`` tags and ``{\\an8}`` overrides are dropped.
* Timestamped text: ``[00:01:23] Speaker: text`` (also ``[01:23]`` and
  ``[1:02:03.5]``). Lines before the first timestamp are a preamble (a title)
  and ignored; later lines without a timestamp continue the previous passage.
  A passage ends where the next one starts; the last one ends at
  ``total_duration`` or after an estimate from its word count (at least 2 s).

Both cue formats accept ``.`` or ``,`` before the milliseconds and omit-able
hours. Cue line breaks are presentational, so a cue's lines are joined with
spaces and whitespace is collapsed; control characters are removed.
Overlapping cues are kept (narrators talk over interviewers) and cues out of
order are sorted by start time rather than rejected.

Restricted passages: a cue (or timestamped passage) whose text is preceded by
``[restricted]`` (any case, spaces allowed inside the brackets: ``[ Restricted ]``)
becomes ``restricted=True`` and the marker is removed. The marker may stand at the
start (after the timestamp in text), after the speaker label or after a WebVTT
``<v>`` voice span: ``[00:02:00] [restricted] Kim: text``, ``[00:02:00] Kim:
[restricted] text``, ``<v Kim>[restricted] text``. Markers fail closed: any other
bracketed word in those places (``[redacted]``, ``[private]``...) is reported as an
unknown marker rather than published, and so is ``[restricted]`` anywhere else in
a passage's text, where it would withhold nothing. Transcription notes such as
``[laughs]`` or ``[inaudible]`` (``TRANSCRIPTION_NOTES``) stay in the text. The
exporters leave restricted passages out unless ``include_restricted=True``, and
then write the same marker back.

Every parser collects all problems it finds and raises one ``TranscriptError``
listing them with line numbers; no other exception escapes a parser. Messages are
translated into the interface language of the current request (English elsewhere).
"""

from __future__ import annotations

import codecs
import functools
import html
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, NamedTuple, ParamSpec, Protocol, TypeAlias

from flask_babel import gettext, ngettext

from archive.formats.timecode import parse_timestamp, timestamp

MIN_LAST_SEGMENT_SECONDS = 2.0
SECONDS_PER_WORD = 0.4  # about 150 words a minute of speech
RESTRICTED_MARKER = "[restricted]"
_MAX_PROBLEMS_SHOWN = 50

# Whitespace controls (tab, newline, \x1c-\x1f, NEL...) are left for str.split() to collapse;
# the rest, plus zero-width and bidi-override characters, are deleted.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")
_VTT_HEADER_RE = re.compile(r"^\ufeff?WEBVTT(?:[ \t].*)?$")
_VTT_SKIPPED_BLOCK_RE = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t].*)?$")
_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]+)>")
_LANG_SPAN_RE = re.compile(r"<lang(?:\.[^\s>]*)?[ \t]+([^>\s]+)[^>]*>")
_VTT_TAG_RE = re.compile(r"<[^>\n]*>")
_SRT_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>|\{\\[^}]*\}")
# A bracketed marker before a passage's text: short, one line, no nested brackets.
_MARKER_RE = re.compile(r"\[([^\[\]\n]{0,60})\]\s*")
_RESTRICTED_ANYWHERE_RE = re.compile(r"\[\s*restricted\s*\]", re.IGNORECASE)
_NOTE_DURATION_RE = re.compile(r"\s+\d[\d:.,]*\s*(?:s|sec|secs|seconds|초)?$")
# Bracketed notes transcribers put before a passage's text that describe the recording, not who may read
# it; they stay in the text. Every other bracketed word there is refused as an unknown marker: it may be
# meant to withhold the passage ([redacted], [private], [sealed], [비공개]...) and would otherwise be
# published as text. Compared in lower case with spaces collapsed; a time or duration may follow
# ("[inaudible 00:12:03]", "[pause 5s]"). Keep this list short and about sounds, never about access.
TRANSCRIPTION_NOTES = frozenset({
    "laughs", "laughing", "laughter", "chuckles", "sighs", "cries", "crying", "coughs", "applause", "music",
    "inaudible", "unintelligible", "unclear", "crosstalk", "cross talk", "overlapping", "pause", "long pause",
    "silence", "interruption", "noise", "background noise", "sic",
    "웃음", "침묵", "울음", "한숨", "기침", "청취 불가", "불분명", "잡음",
})
# A leading "Name: " is a speaker only when it looks like a short name; the
# limits keep ordinary sentences such as "He said, later: ..." as text.
# The apostrophe may be typographic (U+2019) and the colon full-width (U+FF1A, common in Korean text).
_SPEAKER_RE = re.compile(r"^(?P<name>[^\W\d_](?:[\w.'\u2019() -]{0,58}[\w.)])?)\s*[:\uff1a]\s+(?P<text>\S.*)$", re.S)
_MAX_SPEAKER_WORDS = 5
_TS_LINE_RE = re.compile(r"^\s*\[(?P<clock>\s*\d[\d:.,\s]*)\]\s*(?P<rest>.*)$")
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")

P = ParamSpec("P")
Problem: TypeAlias = tuple[int | None, str]
Block: TypeAlias = list[tuple[int, str]]  # non-blank (1-based line number, line) pairs


@dataclass
class ParsedSegment:
    """One timed passage of a transcript."""

    start: float
    end: float
    speaker: str | None
    text: str
    restricted: bool = False
    language: str | None = None


class SegmentObject(Protocol):
    """Anything with the attributes of a transcript segment (e.g. an ORM row)."""

    start: Any
    end: Any
    speaker: str | None
    text: str


SegmentLike: TypeAlias = SegmentObject | Mapping[str, Any]


class TranscriptError(ValueError):
    """A transcript could not be read; ``problems`` holds (line, message) pairs."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        self.problems: list[Problem] = [(None, problems)] if isinstance(problems, str) else list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        """Render every problem (up to a cap) as 'line N: message' lines."""
        shown = self.problems[:_MAX_PROBLEMS_SHOWN]
        lines = [msg if line is None else gettext("line %(line)s: %(problem)s", line=line, problem=msg)
                 for line, msg in shown]
        if len(self.problems) > len(shown):
            lines.append(ngettext("... and %(num)d more problem", "... and %(num)d more problems",
                                  len(self.problems) - len(shown)))
        return "\n".join(lines)


def _only_transcript_errors(parse: Callable[P, list[ParsedSegment]]) -> Callable[P, list[ParsedSegment]]:
    """Turn any unexpected exception from a parser into a TranscriptError."""

    @functools.wraps(parse)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> list[ParsedSegment]:
        try:
            return parse(*args, **kwargs)
        except TranscriptError:
            raise
        except Exception as exc:  # callers promise users a readable rejection, never a 500
            raise TranscriptError(gettext("could not read the transcript (%(error)s)",
                                          error=f"{type(exc).__name__}: {exc}")) from exc

    return wrapper


def _clean(value: str) -> str:
    """Remove control characters and collapse whitespace."""
    return " ".join(_CONTROL_RE.sub("", value).split())


def _split_lines(text: str) -> list[str]:
    """Split on any newline convention; drop a leading BOM."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blocks(lines: list[str], start: int = 0) -> list[Block]:
    """Group runs of non-blank lines into blocks."""
    blocks: list[Block] = []
    current: Block = []
    for index in range(start, len(lines)):
        line = lines[index].rstrip()
        if line.strip():
            current.append((index + 1, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _split_speaker(text: str) -> tuple[str | None, str]:
    """Split a leading 'Name: ' off the text when it looks like a speaker."""
    match = _SPEAKER_RE.match(text)
    if not match or len(match["name"].split()) > _MAX_SPEAKER_WORDS:
        return None, text
    return _clean(match["name"]), match["text"]


class Markers(NamedTuple):
    """What the markers before a passage's text say (see ``read_markers``)."""

    restricted: bool
    text: str  # the text without its [restricted] markers (speaker label and notes kept)
    problems: list[str]  # unknown or misplaced markers, translated


def _note(content: str) -> bool:
    """Whether a marker's content is a transcription note that may stay in the text."""
    return _NOTE_DURATION_RE.sub("", content) in TRANSCRIPTION_NOTES


def _misplaced(marker: str) -> str:
    return gettext("%(marker)s stands inside the text, where it withholds nothing: put it before the text "
                   "(start a new passage for the part to withhold)", marker=marker)


def read_markers(text: str) -> Markers:
    """Read the bracketed markers at the start of a passage and after its leading 'Name: ' label.

    ``[restricted]`` (any case, spaces inside the brackets allowed) marks the passage and is removed;
    transcription notes stay; any other marker there is reported as unknown, and ``[restricted]``
    anywhere else in the text is reported as misplaced: a passage is never published with a marker
    the archive did not understand.
    """
    restricted = False
    problems: list[str] = []

    def leading(value: str) -> tuple[list[str], str]:
        nonlocal restricted
        kept: list[str] = []
        position = 0
        while match := _MARKER_RE.match(value, position):
            content = " ".join(match[1].lower().split())
            if content == "restricted":
                restricted = True
            else:
                kept.append(match[0].strip())
                if not _note(content):
                    problems.append(gettext(
                        "unknown marker %(marker)s before the text: write [restricted] to withhold the passage, "
                        "or remove the brackets (notes such as [laughs] or [inaudible] may stay)",
                        marker=match[0].strip()))
            position = match.end()
        return kept, value[position:]

    value = text.strip()
    kept, rest = leading(value)
    label = _SPEAKER_RE.match(rest)
    if label and len(label["name"].split()) <= _MAX_SPEAKER_WORDS:
        after_label, body = leading(rest[label.start("text"):])
        rest = rest[: label.start("text")] + " ".join([*after_label, body]).strip()
    out = " ".join([*kept, rest]).strip()
    problems += [_misplaced(found[0]) for found in _RESTRICTED_ANYWHERE_RE.finditer(out)]
    return Markers(restricted, out, problems)


def _cue_content(raw: str, *, webvtt: bool) -> tuple[str | None, str, bool, str | None, list[str]]:
    """Return (speaker, text, restricted, language, marker problems) from raw cue text."""
    voice = _VOICE_RE.search(raw)
    speaker = (_clean(html.unescape(voice.group(1))) or None) if voice else None
    lang = _LANG_SPAN_RE.search(raw) if webvtt else None
    language = lang.group(1) if lang and _LANGUAGE_RE.match(lang.group(1)) else None
    text = _VTT_TAG_RE.sub("", raw) if webvtt else _SRT_TAG_RE.sub("", raw)
    if webvtt:
        text = html.unescape(text)  # WebVTT escapes &, < and > as entities; SubRip has no entities
    markers = read_markers(_clean(text))
    text = markers.text
    if speaker is None:
        speaker, text = _split_speaker(text)
    return speaker, _clean(text), markers.restricted, language, markers.problems


def _parse_cues(
    blocks: list[Block], *, webvtt: bool, language: str | None
) -> tuple[list[ParsedSegment], list[Problem]]:
    """Parse cue blocks shared by WebVTT and SubRip."""
    example = "00:00:01.000 --> 00:00:04.000" if webvtt else "00:00:01,000 --> 00:00:04,000"
    segments: list[ParsedSegment] = []
    problems: list[Problem] = []
    pending = deque(blocks)
    while pending:
        block = pending.popleft()
        if webvtt and _VTT_SKIPPED_BLOCK_RE.match(block[0][1]):
            continue
        if "-->" in block[0][1]:
            timing_at = 0
        elif len(block) > 1 and "-->" in block[1][1]:
            timing_at = 1
        else:
            found = block[0][1].strip()[:60]
            problems.append((block[0][0], gettext("expected a cue timing line like '%(example)s', found %(found)s",
                                                  example=example, found=repr(found))))
            continue
        timing_line_no, timing = block[timing_at]
        body = block[timing_at + 1 :]
        nested = next((i for i, (_, line) in enumerate(body) if "-->" in line), None)
        if nested is not None:
            # A missing blank line glues two cues together; report it, then read the rest as its own cue.
            message = gettext("cue timing line inside the previous cue's text; separate cues with a blank line")
            problems.append((body[nested][0], message))
            pending.appendleft(body[nested:])
            body = body[:nested]
        left, _, right = timing.partition("-->")
        start_text, end_text = left.strip(), (right.split() or [""])[0]
        start, end = parse_timestamp(start_text), parse_timestamp(end_text)
        for label, raw_value, value in (("start", start_text, start), ("end", end_text, end)):
            if value is None:
                invalid = (gettext("invalid start time %(value)s; expected %(example)s") if label == "start" else
                           gettext("invalid end time %(value)s; expected %(example)s"))
                message = invalid % {"value": repr(raw_value[:40]), "example": example.split()[0]}
                problems.append((timing_line_no, message))
        if start is not None and end is not None and end <= start:
            message = gettext("cue ends (%(end)s) before or when it starts (%(start)s)", end=end_text,
                              start=start_text)
            problems.append((timing_line_no, message))
        raw_text = " ".join(line for _, line in body)
        speaker, text, restricted, cue_language, marker_problems = _cue_content(raw_text, webvtt=webvtt)
        problems.extend((body[0][0] if body else timing_line_no, message) for message in marker_problems)
        if not text:
            problems.append((timing_line_no, gettext("cue has no text")))
        if start is not None and end is not None and end > start and text:
            segments.append(ParsedSegment(start, end, speaker, text, restricted, cue_language or language))
    segments.sort(key=lambda s: (s.start, s.end))
    return segments, problems


def _finish(segments: list[ParsedSegment], problems: list[Problem], what: str) -> list[ParsedSegment]:
    """Raise the collected problems, or reject an empty result."""
    if not problems and not segments:
        problems.append((None, gettext("the transcript contains no cues") if what == "cues" else
                         gettext("the transcript contains no passages")))
    if problems:
        raise TranscriptError(sorted(problems, key=lambda problem: problem[0] or 0))
    return segments


@_only_transcript_errors
def parse_webvtt(text: str) -> list[ParsedSegment]:
    """Parse WebVTT text into segments."""
    lines = _split_lines(text)
    if not "".join(lines).strip():
        raise TranscriptError(gettext("the transcript is empty"))
    problems: list[Problem] = []
    language: str | None = None
    first_cue_line = 0
    if _VTT_HEADER_RE.match(lines[0]):
        first_cue_line = 1
        while first_cue_line < len(lines) and lines[first_cue_line].strip():
            header_line = lines[first_cue_line]
            if "-->" in header_line:
                message = gettext("a blank line must separate the WEBVTT header from the first cue")
                problems.append((first_cue_line + 1, message))
                break
            key, _, value = header_line.partition(":")
            if key.strip().lower() == "language" and _LANGUAGE_RE.match(value.strip()):
                language = value.strip()
            first_cue_line += 1
    else:
        problems.append((1, gettext('missing "WEBVTT" header on the first line')))
        header_block = _blocks(lines)[0]
        if not any("-->" in line for _, line in header_block):
            first_cue_line = header_block[-1][0]  # a misspelt header block, not a cue to complain about again
    segments, cue_problems = _parse_cues(_blocks(lines, first_cue_line), webvtt=True, language=language)
    return _finish(segments, problems + cue_problems, "cues")


@_only_transcript_errors
def parse_srt(text: str) -> list[ParsedSegment]:
    """Parse SubRip text into segments."""
    lines = _split_lines(text)
    if not "".join(lines).strip():
        raise TranscriptError(gettext("the transcript is empty"))
    segments, problems = _parse_cues(_blocks(lines), webvtt=False, language=None)
    return _finish(segments, problems, "cues")


class _Passage(NamedTuple):
    """A timestamped line and its continuation lines."""

    line_no: int
    start: float
    restricted: bool
    speaker: str | None
    parts: list[str]


def _estimate_seconds(text: str) -> float:
    """Estimate how long a passage takes to say."""
    return max(MIN_LAST_SEGMENT_SECONDS, len(text.split()) * SECONDS_PER_WORD)


@_only_transcript_errors
def parse_timestamped(text: str, total_duration: float | None = None) -> list[ParsedSegment]:
    """Parse '[00:01:23] Speaker: text' lines into segments."""
    lines = _split_lines(text)
    if not "".join(lines).strip():
        raise TranscriptError(gettext("the transcript is empty"))
    problems: list[Problem] = []
    passages: list[_Passage] = []
    for line_no, line in enumerate(lines, start=1):
        match = _TS_LINE_RE.match(line)
        if match is None:
            if passages and line.strip():
                passages[-1].parts.append(line)
                problems.extend((line_no, _misplaced(found[0])) for found in _RESTRICTED_ANYWHERE_RE.finditer(line))
            continue  # lines before the first timestamp are a title or preamble
        start = parse_timestamp(match["clock"])
        if start is None:
            message = gettext("invalid timestamp [%(clock)s]; expected [hh:mm:ss] or [mm:ss]",
                              clock=match["clock"][:40])
            problems.append((line_no, message))
            continue
        if passages and start <= passages[-1].start:
            problems.append((line_no, gettext("timestamp [%(clock)s] is not after the one on line %(line)s; "
                                              "timestamps must increase", clock=match["clock"].strip(),
                                              line=passages[-1].line_no)))
        markers = read_markers(_clean(match["rest"]))
        problems.extend((line_no, message) for message in markers.problems)
        speaker, body = _split_speaker(markers.text)
        passages.append(_Passage(line_no, start, markers.restricted, speaker, [body]))
    segments: list[ParsedSegment] = []
    for position, passage in enumerate(passages):
        body = _clean(" ".join(passage.parts))
        if not body:
            problems.append((passage.line_no, gettext("no text after the timestamp")))
        if position + 1 < len(passages):
            end = passages[position + 1].start
        elif total_duration is not None:
            end = float(total_duration)
            if not math.isfinite(end) or end <= passage.start:
                problems.append((None, gettext("total_duration %(duration)s is not after the last timestamp "
                                               "(line %(line)s)", duration=repr(total_duration),
                                               line=passage.line_no)))
        else:
            end = passage.start + _estimate_seconds(body)
        segments.append(ParsedSegment(passage.start, end, passage.speaker, body, passage.restricted))
    if not passages and not problems:
        problems.append((None, gettext("no timestamped lines found; expected lines like "
                                       "'[00:01:23] Speaker: text'")))
    return _finish(segments, problems, "passages")


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _decode(data: bytes) -> str:
    """Decode UTF-8 (or UTF-16 with a BOM) or explain which byte is wrong."""
    encoding = "utf-8"
    for bom, codec in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], codec
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1 if encoding == "utf-8" else None
        message = gettext(
            "the file is not valid %(encoding)s (byte 0x%(byte)s at offset %(offset)s); "
            "save it as UTF-8 and upload it again",
            encoding=encoding.upper(), byte=f"{data[exc.start]:02x}", offset=exc.start,
        )
        raise TranscriptError([(line, message)]) from exc


def _detect_format(text: str) -> str | None:
    """Guess the format from the content."""
    lines = [line.strip() for line in _split_lines(text) if line.strip()][:20]
    if not lines:
        return None
    if lines[0].startswith("WEBVTT"):
        return "vtt"
    if "-->" in lines[0] or (len(lines) > 1 and "-->" in lines[1]):
        return "srt"
    if any(_TS_LINE_RE.match(line) for line in lines):
        return "txt"
    return None


_FORMAT_ALIASES = {"vtt": "vtt", "webvtt": "vtt", "srt": "srt", "subrip": "srt", "txt": "txt", "text": "txt"}


@_only_transcript_errors
def parse_transcript(
    data: bytes | str,
    filename: str | None = None,
    fmt: str | None = None,
    *,
    total_duration: float | None = None,
) -> list[ParsedSegment]:
    """Decode and parse a transcript, choosing the format by fmt, extension or content."""
    text = _decode(data) if isinstance(data, bytes) else data
    if fmt is not None:
        chosen = _FORMAT_ALIASES.get(fmt.lower().lstrip("."))
        if chosen is None:
            raise TranscriptError(gettext("unknown transcript format %(format)s; use vtt, srt or txt",
                                          format=repr(fmt)))
    else:
        extension = PurePosixPath((filename or "").replace("\\", "/")).suffix.lower().lstrip(".")
        # A .vtt/.srt name is trusted so a broken header is reported, not misdetected;
        # .txt is often a mislabelled export, so the content gets a say first.
        if extension in ("vtt", "srt"):
            chosen = extension
        else:
            chosen = _detect_format(text) or ("txt" if extension == "txt" else None)
        if chosen is None:
            if not text.strip():
                raise TranscriptError(gettext("the transcript is empty"))
            raise TranscriptError(gettext(
                "could not recognise the transcript format; "
                "expected WebVTT (.vtt), SubRip (.srt) or timestamped text (.txt)"
            ))
    if chosen == "vtt":
        return parse_webvtt(text)
    if chosen == "srt":
        return parse_srt(text)
    return parse_timestamped(text, total_duration=total_duration)


def _field(segment: SegmentLike, name: str) -> Any:
    """Read a field from a mapping or an object."""
    if isinstance(segment, Mapping):
        return segment.get(name)
    return getattr(segment, name, None)


def _check_language(language: str) -> str:
    """Return a language tag that is safe to write into a file."""
    if not _LANGUAGE_RE.match(language):
        raise ValueError(f"invalid language tag {language!r}")
    return language


class _Row(NamedTuple):
    """A segment normalised for export."""

    start: float
    end: float
    speaker: str | None
    text: str
    restricted: bool
    language: str | None


def _export_rows(segments: Iterable[SegmentLike], include_restricted: bool) -> list[_Row]:
    """Normalise segments for export, sorted by start, dropping empty and withheld ones."""
    rows: list[_Row] = []
    for segment in segments:
        restricted = bool(_field(segment, "restricted"))
        text = _clean(str(_field(segment, "text") or ""))
        if (restricted and not include_restricted) or not text:
            continue
        start, end = float(_field(segment, "start")), float(_field(segment, "end"))
        if not end > start:
            raise ValueError(f"segment at {start} s ends at {end} s, before it starts")
        speaker = _clean(str(_field(segment, "speaker") or "")) or None
        language = _field(segment, "language")
        language = _check_language(language) if language else None
        rows.append(_Row(start, end, speaker, text, restricted, language))
    rows.sort(key=lambda row: (row.start, row.end))
    return rows


def _vtt_escape(value: str) -> str:
    """Escape text for a WebVTT cue (also neutralises '-->')."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(
    segments: Iterable[SegmentLike], language: str | None = None, *, include_restricted: bool = False
) -> str:
    """Render segments as a WebVTT document."""
    out = ["WEBVTT"]
    if language:
        out.append(f"Language: {_check_language(language)}")
    out.append("")
    for number, row in enumerate(_export_rows(segments, include_restricted), start=1):
        payload = _vtt_escape(row.text)
        if row.restricted:
            payload = f"{RESTRICTED_MARKER} {payload}"
        if row.language and row.language != language:
            payload = f"<lang {row.language}>{payload}</lang>"
        if row.speaker:
            payload = f"<v {_vtt_escape(row.speaker)}>{payload}"
        timing = f"{timestamp(row.start, millis=True)} --> {timestamp(row.end, millis=True)}"
        out += [str(number), timing, payload, ""]
    return "\n".join(out)


def to_plain_text(
    segments: Iterable[SegmentLike], title: str | None = None, *, include_restricted: bool = False
) -> str:
    """Render segments as '[00:01:23] Speaker: text' lines."""
    out = [_clean(title), ""] if title and _clean(title) else []
    for row in _export_rows(segments, include_restricted):
        parts = [f"[{timestamp(row.start)}]"]
        if row.restricted:
            parts.append(RESTRICTED_MARKER)
        parts.append(f"{row.speaker}: {row.text}" if row.speaker else row.text)
        out.append(" ".join(parts))
    return "\n".join(out) + "\n"
