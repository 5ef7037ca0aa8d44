"""IIIF Presentation 3 manifests built from plain data, checked against the official JSON Schema."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from archive.formats import iiif

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "data" / "iiif" / "iiif_3_0.json"
BASE = "https://archive.example/iiif/testimonies/7"


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    """Messages of the official IIIF validator's schema (tests/data/iiif/SOURCE.md); [] when valid."""
    validator = Draft7Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(manifest)]


def sample(**changes: Any) -> iiif.Manifest:
    values: dict[str, Any] = dict(
        id=f"{BASE}/manifest.json", title="청진의 항구", language="ko",
        recordings=[iiif.Recording("3", "https://archive.example/media/recordings/3", "audio/ogg", 95.5)],
        summary="A fictional testimony.", metadata=[("Narrator", ["Han Song-il"], "none"), ("Topics", [], "en")],
        required_statement=("Attribution", "Fictional demonstration testimony."),
        homepage=iiif.Link("https://archive.example/testimonies/7", "Text", "text/html", "Listening page", "ko"),
        see_also=[iiif.Link("https://archive.example/testimonies/7/ohms.xml", "Dataset", "text/xml", "OHMS XML",
                            profile="https://www.weareavp.com/nunncenter/ohms")],
        passages=[iiif.Passage("1", 0, 4, "어디서 자랐어요?", "Interviewer", "ko"),
                  iiif.Passage("2", 4.5, 120, "By the harbour.", "Narrator", "en"),
                  iiif.Passage("3", 200, 210, "Past the end.", "Narrator", "en")],
        chapters=[iiif.Chapter(38.3, "Crossing", "The river"), iiif.Chapter(0, "Childhood")],
        captions=[iiif.Link("https://archive.example/testimonies/7/transcript.vtt?lang=ko", "Text", "text/vtt",
                            "Captions (Korean)", "ko")],
    )
    values.update(changes)
    return iiif.Manifest(**values)


def test_schema_file_is_the_official_one() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["$id"] == "http://iiif.io/api/presentation/3/schema.json"
    assert {"manifest", "canvas", "range", "annotation"} <= set(schema["classes"])


def test_manifest_validates_and_has_the_av_shape() -> None:
    m = iiif.build_manifest(sample())
    assert schema_errors(m) == []
    assert m["@context"] == iiif.CONTEXT and m["type"] == "Manifest" and m["label"] == {"ko": ["청진의 항구"]}
    canvas = m["items"][0]
    assert canvas["duration"] == 95.5 and canvas["id"] == f"{BASE}/canvas/3"
    painting = canvas["items"][0]["items"][0]
    assert painting["motivation"] == "painting"
    assert painting["body"] == {"id": "https://archive.example/media/recordings/3", "type": "Sound",
                                "format": "audio/ogg", "duration": 95.5}
    captions, transcript = canvas["annotations"]
    assert [a["target"] for a in transcript["items"]] == [f"{BASE}/canvas/3#t=0,4", f"{BASE}/canvas/3#t=4.5,95.5"]
    assert transcript["items"][0]["body"] == {"id": f"{BASE}/canvas/3/transcript/1/text", "type": "TextualBody",
                                              "value": "어디서 자랐어요?", "format": "text/plain", "language": "ko"}
    assert transcript["items"][0]["label"] == {"none": ["Interviewer"]}
    assert captions["items"][0]["body"]["format"] == "text/vtt" and captions["items"][0]["body"]["language"] == "ko"
    assert captions["items"][0]["motivation"] == "supplementing"
    [contents] = m["structures"]  # one root Range (the table of contents) holding the chapters
    assert contents["type"] == "Range" and contents["label"] == {"ko": ["청진의 항구"]}
    assert [(r["type"], r["label"], r["items"][0]["id"]) for r in contents["items"]] == [
        ("Range", {"ko": ["Childhood"]}, f"{BASE}/canvas/3#t=0,38.3"),
        ("Range", {"ko": ["Crossing"]}, f"{BASE}/canvas/3#t=38.3,95.5")]
    assert m["metadata"] == [{"label": {"en": ["Narrator"]}, "value": {"none": ["Han Song-il"]}}]


def test_minimal_manifest_and_video_validate() -> None:
    m = iiif.build_manifest(iiif.Manifest(id=f"{BASE}/manifest.json", title="T", language="", recordings=[
        iiif.Recording("1", "https://archive.example/media/recordings/1", "video/mp4", 12, True),
        iiif.Recording("2", "https://archive.example/media/recordings/2", "audio/mpeg", 30)]))
    assert schema_errors(m) == []
    assert m["label"] == {"none": ["T"]}
    assert m["items"][0]["items"][0]["items"][0]["body"]["type"] == "Video"
    assert "annotations" not in m["items"][1] and "structures" not in m


def test_the_schema_catches_broken_manifests() -> None:
    """The validation is real: a canvas without a duration, or a plain-string label, is refused."""
    m = iiif.build_manifest(sample())
    del m["items"][0]["duration"]
    assert schema_errors(m)
    m = iiif.build_manifest(sample())
    m["label"] = "plain"
    assert schema_errors(m)


def test_a_manifest_needs_a_recording() -> None:
    with pytest.raises(ValueError):
        iiif.build_manifest(sample(recordings=[]))


def test_labels_thumbnail_renderings_and_body_ids() -> None:
    """What the viewers need: labels everywhere in the text's own language, a thumbnail, ids on every body."""
    m = iiif.build_manifest(sample(
        title="Crossing the Tumen / 두만강을 건너", title_label={"en": "Crossing the Tumen", "ko": "두만강을 건너"}, contents_label={"en": "Chapters", "ko": "장"},
        chapters=[iiif.Chapter(0, "어린 시절", label={"ko": "어린 시절"}),
                  iiif.Chapter(40, "Crossing", "The river", {"en": "Crossing"}, "en")],
        recordings=[iiif.Recording("3", "https://archive.example/media/recordings/3", "audio/ogg", 95.5),
                    iiif.Recording("4", "https://archive.example/media/recordings/4", "audio/ogg", 10,
                                   label={"en": "Second part", "ko": ""})],
        thumbnail=iiif.Thumbnail("https://archive.example/media/recordings/3/waveform.png", "image/png", 320, 80),
        renderings=[iiif.Link("https://archive.example/testimonies/7/transcript.txt", "Text", "text/plain",
                              "Transcript (plain text)", "ko")]))
    assert schema_errors(m) == []
    assert m["label"] == {"en": ["Crossing the Tumen"], "ko": ["두만강을 건너"]}
    main, second = m["items"]
    assert main["label"] == m["label"] and second["label"] == {"en": ["Second part"]}
    thumbnail = [{"id": "https://archive.example/media/recordings/3/waveform.png", "type": "Image",
                  "format": "image/png", "width": 320, "height": 80}]
    assert m["thumbnail"] == thumbnail and main["thumbnail"] == thumbnail and "thumbnail" not in second
    [contents] = m["structures"]
    assert contents["label"] == {"en": ["Chapters"], "ko": ["장"]}
    assert [r["label"] for r in contents["items"]] == [{"ko": ["어린 시절"]}, {"en": ["Crossing"]}]
    assert contents["items"][1]["summary"] == {"en": ["The river"]}
    assert m["rendering"] == [{"id": "https://archive.example/testimonies/7/transcript.txt", "type": "Text",
                               "label": {"en": ["Transcript (plain text)"]}, "format": "text/plain",
                               "language": ["ko"]}]
    bodies = [a["body"] for page in main["annotations"] for a in page["items"]]
    assert bodies and all(body.get("id") for body in bodies)
    ids = [a["id"] for page in main["annotations"] for a in page["items"]] + [b["id"] for b in bodies]
    assert len(ids) == len(set(ids))


def test_chapters_past_the_end_leave_no_empty_contents() -> None:
    m = iiif.build_manifest(sample(chapters=[iiif.Chapter(200, "Past the end")]))
    assert "structures" not in m and schema_errors(m) == []
