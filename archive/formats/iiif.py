"""IIIF Presentation API 3.0 manifests for recorded testimonies (pure: data in, JSON-ready dict out).

The shape follows the IIIF audio/AV recipes:

* one labelled ``Canvas`` per recording, with its ``duration`` and (when given) a ``thumbnail``; a
  ``painting`` annotation whose body is the recording itself (``Sound`` or ``Video`` with its ``format``
  and ``duration``);
* the transcript as ``supplementing`` annotations on the main canvas, one per passage: a
  ``TextualBody`` with an ``id`` and its ``language``, targeting ``canvas#t=start,end`` and labelled
  with the speaker;
* captions per language as ``supplementing`` annotations whose body is a WebVTT file
  (``format: text/vtt``, ``language``), in the canvas's first AnnotationPage (before the transcript's);
* chapters as ``structures``, as the Cookbook's table-of-contents recipes (and Ramp) want them: one
  root ``Range`` (the table of contents) holding one ``Range`` per chapter, each pointing at
  ``canvas#t=start,end``;
* the transcript's downloads as the manifest's ``rendering``, a small waveform picture as its
  ``thumbnail``.

Every label is a language map in the languages its text is written in (the caller tells: a title
"English / 한국어" is two labels); labels the archive writes itself (the table of contents) come in each
interface language the caller passes.

Which recordings, passages and chapters go in is decided by the caller (`archive.interop.exchange`),
through the access policy; this module only arranges what it is given.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.formats.timecode import decimal

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'


@dataclass
class Recording:
    """A recording to paint on a canvas."""

    key: str
    url: str
    mime_type: str
    duration: float
    is_video: bool = False
    label: dict[str, str] = field(default_factory=dict)  # language -> text; the manifest's title when empty


@dataclass
class Passage:
    """A transcript passage of the main recording."""

    key: str
    start: float
    end: float
    text: str
    speaker: str = ""
    language: str = ""


@dataclass
class Chapter:
    """A chapter of the main recording (ends where the next one starts, or at the end)."""

    start: float
    title: str
    synopsis: str = ""
    label: dict[str, str] = field(default_factory=dict)  # the title by language; {manifest language: title} if empty
    synopsis_language: str = ""  # the manifest's language when empty


@dataclass
class Link:
    """A related resource: a caption file, a homepage, a seeAlso document."""

    url: str
    type: str
    format: str
    label: str
    language: str = ""
    profile: str = ""


@dataclass
class Thumbnail:
    """A small picture standing for the recording (its waveform)."""

    url: str
    format: str
    width: int
    height: int


@dataclass
class Manifest:
    """Everything a manifest says, already filtered for its reader."""

    id: str
    title: str
    language: str
    recordings: list[Recording]
    summary: str = ""
    metadata: list[tuple[str, list[str], str]] = field(default_factory=list)  # (English label, values, language)
    required_statement: tuple[str, str] | None = None  # (English label, English value)
    rights: str = ""  # a Creative Commons or RightsStatements.org URI
    homepage: Link | None = None
    see_also: list[Link] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)
    captions: list[Link] = field(default_factory=list)
    title_label: dict[str, str] = field(default_factory=dict)  # the title by language; {language: title} if empty
    contents_label: dict[str, str] = field(default_factory=dict)  # the root Range's label, language -> text
    renderings: list[Link] = field(default_factory=list)  # the transcript as documents (text, WebVTT)
    thumbnail: Thumbnail | None = None


def language_map(values: str | list[str], language: str = "") -> dict[str, list[str]]:
    """A IIIF language map; "none" when the language is unknown."""
    return {language or "none": [values] if isinstance(values, str) else list(values)}


def labels(texts: dict[str, str]) -> dict[str, list[str]]:
    """A language map from one text per language (empty texts left out)."""
    return {language or "none": [text] for language, text in texts.items() if text}


def fragment(canvas_id: str, start: float, end: float) -> str:
    """A temporal media fragment of a canvas (W3C Media Fragments ``#t=start,end``)."""
    return f"{canvas_id}#t={decimal(start)},{decimal(end)}"


def _link(link: Link) -> dict[str, Any]:
    out: dict[str, Any] = {"id": link.url, "type": link.type, "label": language_map(link.label, "en"),
                           "format": link.format}
    if link.profile:
        out["profile"] = link.profile
    return out


def _title(manifest: Manifest) -> dict[str, list[str]]:
    return labels(manifest.title_label) or language_map(manifest.title, manifest.language)


def _thumbnail(thumbnail: Thumbnail) -> list[dict[str, Any]]:
    return [{"id": thumbnail.url, "type": "Image", "format": thumbnail.format,
             "width": thumbnail.width, "height": thumbnail.height}]


def _canvas(manifest: Manifest, recording: Recording, main: bool) -> dict[str, Any]:
    canvas_id = f"{manifest.id.rsplit('/', 1)[0]}/canvas/{recording.key}"
    duration = float(recording.duration)
    body = {"id": recording.url, "type": "Video" if recording.is_video else "Sound",
            "format": recording.mime_type, "duration": duration}
    canvas: dict[str, Any] = {
        "id": canvas_id, "type": "Canvas", "label": labels(recording.label) or _title(manifest), "duration": duration,
        "items": [{"id": f"{canvas_id}/page", "type": "AnnotationPage", "items": [
            {"id": f"{canvas_id}/page/painting", "type": "Annotation", "motivation": "painting",
             "body": body, "target": canvas_id}]}],
    }
    if not main:
        return canvas
    if manifest.thumbnail:
        canvas["thumbnail"] = _thumbnail(manifest.thumbnail)
    # The captions' page comes first: some viewers (Ramp) read only a canvas's first AnnotationPage and take
    # every body there for a caption file, which the WebVTT files are and the transcript's passages are not.
    pages: list[dict[str, Any]] = []
    captions = [{"id": f"{canvas_id}/captions/{link.language or 'none'}", "type": "Annotation",
                 "motivation": "supplementing",
                 "body": {**_link(link), **({"language": link.language} if link.language else {})},
                 "target": canvas_id} for link in manifest.captions]
    if captions:
        pages.append({"id": f"{canvas_id}/captions", "type": "AnnotationPage", "label": language_map("Captions", "en"),
                      "items": captions})
    annotations: list[dict[str, Any]] = []
    for passage in manifest.passages:
        if passage.start >= duration:
            continue  # a passage past the end of the recording cannot be targeted on it
        annotation: dict[str, Any] = {
            "id": f"{canvas_id}/transcript/{passage.key}", "type": "Annotation", "motivation": "supplementing",
            "body": {"id": f"{canvas_id}/transcript/{passage.key}/text", "type": "TextualBody",
                     "value": passage.text, "format": "text/plain"},
            "target": fragment(canvas_id, passage.start, min(passage.end, duration)),
        }
        if passage.language:
            annotation["body"]["language"] = passage.language
        if passage.speaker:
            annotation["label"] = language_map(passage.speaker, "none")
        annotations.append(annotation)
    if annotations:
        pages.append({"id": f"{canvas_id}/transcript", "type": "AnnotationPage",
                      "label": language_map("Transcript", "en"), "items": annotations})
    if pages:
        canvas["annotations"] = pages
    return canvas


def _ranges(manifest: Manifest, canvas_id: str, duration: float) -> list[dict[str, Any]]:
    """The table of contents: one root Range holding the chapters' Ranges (none without chapters)."""
    base = manifest.id.rsplit('/', 1)[0]
    chapters = sorted((c for c in manifest.chapters if c.start < duration), key=lambda c: c.start)
    ranges = []
    for number, chapter in enumerate(chapters, start=1):
        end = chapters[number].start if number < len(chapters) else duration
        if end <= chapter.start:
            continue
        item: dict[str, Any] = {
            "id": f"{base}/range/{number}", "type": "Range",
            "label": labels(chapter.label) or language_map(chapter.title, manifest.language),
            "items": [{"id": fragment(canvas_id, chapter.start, end), "type": "Canvas"}],
        }
        if chapter.synopsis:
            item["summary"] = language_map(chapter.synopsis, chapter.synopsis_language or manifest.language)
        ranges.append(item)
    if not ranges:
        return []
    return [{"id": f"{base}/range/contents", "type": "Range",
             "label": labels(manifest.contents_label) or _title(manifest), "items": ranges}]


def build_manifest(manifest: Manifest) -> dict[str, Any]:
    """The manifest as a JSON-ready dict (needs at least one recording with a duration)."""
    if not manifest.recordings:
        raise ValueError("a manifest needs at least one recording")
    canvases = [_canvas(manifest, rec, index == 0) for index, rec in enumerate(manifest.recordings)]
    out: dict[str, Any] = {
        "@context": CONTEXT, "id": manifest.id, "type": "Manifest",
        "label": _title(manifest),
    }
    if manifest.summary:
        out["summary"] = language_map(manifest.summary, manifest.language)
    if manifest.metadata:
        out["metadata"] = [{"label": language_map(label, "en"), "value": language_map(values, language)}
                           for label, values, language in manifest.metadata if values]
    if manifest.required_statement:
        label, value = manifest.required_statement
        out["requiredStatement"] = {"label": language_map(label, "en"), "value": language_map(value, "en")}
    if manifest.rights:
        out["rights"] = manifest.rights
    if manifest.homepage:
        out["homepage"] = [{**_link(manifest.homepage),
                            **({"language": [manifest.homepage.language]} if manifest.homepage.language else {})}]
    if manifest.see_also:
        out["seeAlso"] = [_link(link) for link in manifest.see_also]
    if manifest.renderings:
        out["rendering"] = [{**_link(link), **({"language": [link.language]} if link.language else {})}
                            for link in manifest.renderings]
    if manifest.thumbnail:
        out["thumbnail"] = _thumbnail(manifest.thumbnail)
    out["items"] = canvases
    ranges = _ranges(manifest, canvases[0]["id"], float(manifest.recordings[0].duration))
    if ranges:
        out["structures"] = ranges
    return out
