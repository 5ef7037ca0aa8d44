"""Batch import of JSON Lines files: validation, idempotent re-runs, interrupted runs, the demo collection.

Everything goes through the public interfaces (the `flask archive import` command and
archive.curation.imports) against the real test database and real files under tmp_path.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from archive.core.extensions import db
from tests.sound import stored_originals, wav_bytes
from archive import models
from archive.models import AuditEntry, Chapter, Narrator, Recording, RouteLeg, Segment
from archive.curation import imports
from archive.curation import narrators as narrator_service
from archive.curation import testimonies as testimony_service

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"


# --- helpers -------------------------------------------------------------------------------------

def write_wav(path: Path, seconds: float, frequency: float = 440.0, rate: int = 8000) -> Path:
    """Write a short mono 16-bit sine tone (different frequencies give different bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(seconds, rate, tone_hz=frequency))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def run_import(runner: FlaskCliRunner, path: Path, root: Path | None = None) -> Any:
    args = ["archive", "import", str(path)]
    if root is not None:
        args += ["--media-root", str(root)]
    return runner.invoke(args=args)


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def media_files(app: Flask) -> list[Path]:
    return stored_originals(app.config["MEDIA_ROOT"])


def get_testimony(external_id: str) -> models.Testimony:
    db.session.expire_all()
    found = db.session.scalar(select(models.Testimony).where(models.Testimony.external_id == external_id))
    assert found is not None, external_id
    return found


def dump_archive() -> list[dict[str, Any]]:
    """Everything an import writes, without ids and timestamps, in a stable order."""
    db.session.expire_all()
    out = []
    for t in db.session.scalars(select(models.Testimony).order_by(models.Testimony.external_id)):
        n = t.narrator
        slug = lambda obj: obj.slug if obj is not None else None  # noqa: E731
        out.append({
            "scalars": {f: getattr(t, f) for f in testimony_service.SCALAR_FIELDS},
            "narrator": {
                "pseudonym": n.pseudonym, "real_name": n.real_name, "public_name": n.public_name,
                "gender": n.gender, "birth_year": n.birth_year, "left": n.left_north_year,
                "arrived": n.arrived_south_year, "province": slug(n.origin_province), "place": slug(n.origin_place),
                "occupation": slug(n.occupation), "education": slug(n.education),
                "residence": slug(n.residence_region),
            },
            "route": [(leg.position, leg.country.slug, leg.place, leg.year, leg.event) for leg in t.route],
            "tags": sorted(topic.slug for topic in t.topics),
            "chapters": [(c.start, c.title, c.synopsis, c.keywords) for c in t.chapters],
            "segments": [(s.position, s.start, s.end, s.speaker, s.text, s.language, s.restricted)
                         for s in t.segments],
            "recordings": [(r.sha256, r.mime_type, r.size_bytes, r.original_filename) for r in t.recordings],
        })
    return out


def row_counts() -> dict[str, int]:
    return {m.__name__: count(m) for m in (models.Testimony, Narrator, Recording, RouteLeg, Chapter, Segment)}


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    """A directory holding the valid test collection, its WAV files and its VTT file."""
    root = tmp_path / "source"
    write_wav(root / "audio" / "kim.wav", 1.5, 440)
    write_wav(root / "audio" / "lee.wav", 2.0, 660)
    (root / "vtt").mkdir()
    shutil.copy(DATA / "lee.vtt", root / "vtt" / "lee.vtt")
    shutil.copy(DATA / "malformed.vtt", root / "vtt" / "malformed.vtt")
    shutil.copy(DATA / "valid.jsonl", root / "collection.jsonl")
    return root


# --- a valid file --------------------------------------------------------------------------------

def test_import_creates_testimonies_with_everything(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 0, result.output
    assert "Imported 3 new and updated 0 testimonies (0 unchanged)." in result.output
    assert count(models.Testimony) == 3
    assert count(Narrator) == 3

    t = get_testimony("t-001")
    assert t.title == "Crossing the Tumen in winter"
    assert t.languages == ["ko", "en"]
    assert (t.access, t.status) == ("public", "published")
    assert t.published_at is not None
    assert t.interview_date == "2018-03"
    assert (t.interviewer, t.interview_place) == ("Interviewer A", "Seoul")
    assert t.fictional is True
    assert (t.consent_audio, t.consent_transcript, t.consent_name, t.consent_face_voice) == (True, True, False, False)
    assert t.consent_notes == "private note"

    n = t.narrator
    assert (n.pseudonym, n.real_name, n.gender, n.birth_year) == ("Kim Test", "Real Name One", "female", 1975)
    assert n.origin_province.slug == "north-hamgyong"
    assert n.origin_place.slug == "chongjin"
    assert (n.occupation.slug, n.education.slug, n.residence_region.slug) == ("military", "kindergarten", "seoul")
    assert (n.left_north_year, n.arrived_south_year, n.age_at_arrival) == (2005, 2007, 32)

    assert [(leg.position, leg.country.slug, leg.place, leg.year, leg.event) for leg in t.route] == [
        (1, "china", "Tumen", 2005, "transit"),
        (2, "laos", "Vientiane", 2006, "hid"),
        (3, "thailand", "", 2007, "arrested"),
        (4, "south-korea", "Seoul", 2007, "arrived"),
    ]
    assert [topic.slug for topic in t.topics] == ["brokers", "famine"]  # "Brokers" resolved by its label
    assert [(c.start, c.title, c.synopsis, c.keywords) for c in t.chapters] == [
        (0.0, "Childhood", "Growing up", "school, river"),
        (0.6, "The crossing", "", ""),
    ]
    assert [(s.position, s.start, s.end, s.speaker, s.restricted) for s in t.segments] == [
        (1, 0.0, 0.5, "Kim", False),
        (2, 0.5, 0.9, "Kim", True),
        (3, 0.9, 1.4, "Kim", False),
    ]
    assert t.segments[0].language == "en"
    assert t.segments[1].text == "My cousin still works at the secret factory."


def test_import_stores_recordings_under_media_root(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 0, result.output

    media_root = Path(app.config["MEDIA_ROOT"]).resolve()
    for external_id, name, seconds in (("t-001", "kim.wav", 1.5), ("t-003", "lee.wav", 2.0)):
        [recording] = get_testimony(external_id).recordings
        source_file = source / "audio" / name
        # A generated name under recordings/<year>/, never the name from the file.
        assert re.fullmatch(r"recordings/\d{4}/[0-9a-f]{32}\.wav", recording.storage_path), recording.storage_path
        stored = media_root / recording.storage_path
        assert stored.is_file()
        assert stored.read_bytes() == source_file.read_bytes()
        assert recording.sha256 == sha256(source_file)
        assert recording.size_bytes == source_file.stat().st_size
        assert recording.mime_type == "audio/wav"
        assert recording.original_filename == name
        assert recording.duration_seconds == pytest.approx(seconds, abs=0.01)
    assert get_testimony("t-002").recordings == []
    assert len(media_files(app)) == 2
    assert (source / "audio" / "kim.wav").exists(), "the source file is copied, not moved"


def test_absent_fields_get_safe_defaults(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    t = get_testimony("t-002")
    assert (t.access, t.status) == ("restricted", "draft")
    assert t.published_at is None
    assert (t.consent_audio, t.consent_transcript, t.consent_name, t.consent_face_voice) == (False,) * 4
    assert (t.fictional, t.featured) == (False, False)
    assert t.languages == [] and t.segments == [] and t.route == [] and t.topics == [] and t.chapters == []
    assert t.narrator.pseudonym == "Park Minimal" and t.narrator.gender == "unspecified"


def test_transcript_from_vtt_file(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    t = get_testimony("t-003")
    assert [(s.position, s.start, s.end, s.speaker, s.text, s.restricted) for s in t.segments] == [
        (1, 0.0, 0.8, "Lee", "We left in spring.", False),
        (2, 0.8, 1.5, "Lee", "The broker was my uncle.", True),
        (3, 1.5, 2.0, "Interviewer", "Thank you.", False),
    ]
    # Hangul spellings resolve through the vocabularies too.
    assert t.narrator.origin_province.slug == "ryanggang"
    assert [leg.country.slug for leg in t.route] == ["china", "south-korea"]
    assert [topic.slug for topic in t.topics] == ["famine"]
    assert (t.access, t.status, t.languages) == ("researchers", "published", ["en"])


def test_media_root_defaults_to_the_file_directory(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    result = run_import(runner, source / "collection.jsonl")
    assert result.exit_code == 0, result.output
    assert count(Recording) == 2


def test_import_writes_audit_entries(app: Flask, source: Path) -> None:
    imports.import_jsonl(source / "collection.jsonl", source)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "testimony")).all()
    assert sorted(actions) == ["import.created"] * 3


# --- invalid files -------------------------------------------------------------------------------

EXPECTED_PROBLEMS = [
    (2, None, "invalid JSON"),
    (3, "title", "required"),
    (4, "narrator.origin_province", "Atlantis"),
    (5, "route[2].country", "Narnia"),
    (6, "tags", "no-such-topic"),
    (7, "interview_date", "2019-13-45"),
    (8, "transcript[1].end", "must be after start"),
    (9, "external_id", "already appears on line 1"),
    (10, "media", "audio/nowhere.wav"),
    (11, "media", "leaves the media root"),
    (12, "transcript_vtt", "not both"),
    (13, "colour", "unknown field"),
]


def test_invalid_file_lists_every_problem_and_imports_nothing(app: Flask, runner: FlaskCliRunner,
                                                              source: Path) -> None:
    write_wav(source.parent / "outside.wav", 0.5)  # exists, but outside the media root
    shutil.copy(DATA / "invalid.jsonl", source / "invalid.jsonl")
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    before, files = dump_archive(), media_files(app)
    audit_before = count(AuditEntry)

    result = run_import(runner, source / "invalid.jsonl", source)

    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert f"{len(EXPECTED_PROBLEMS)} problem(s)" in result.output
    lines = result.output.splitlines()
    for number, field, fragment in EXPECTED_PROBLEMS:
        prefix = f"line {number}: {field}: " if field else f"line {number}: "
        matching = [line for line in lines if line.strip().startswith(prefix)]
        assert matching, f"no problem reported as {prefix!r}:\n{result.output}"
        assert any(fragment in line for line in matching), (fragment, matching)
    assert "line 1:" not in result.output  # the valid first line is not blamed
    assert dump_archive() == before and count(models.Testimony) == 3
    assert count(Narrator) == 3
    assert media_files(app) == files
    assert count(AuditEntry) == audit_before


def test_problems_are_exposed_on_the_exception(app: Flask, source: Path) -> None:
    shutil.copy(DATA / "invalid.jsonl", source / "invalid.jsonl")
    with pytest.raises(imports.ImportProblems) as caught:
        imports.validate_file(source / "invalid.jsonl", source)
    found = [(p.line, p.field) for p in caught.value.problems]
    for number, field, _ in EXPECTED_PROBLEMS:
        assert (number, field or "") in found
    # ImportProblems is a ValidationError, so callers that show form errors can show these too.
    assert all(msg.startswith("line ") for msg in caught.value.errors["file"])


def test_a_single_bad_line_blocks_the_whole_file(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    records = read_lines(source / "collection.jsonl")
    records[2]["narrator"]["birth_year"] = 1850
    write_lines(source / "collection.jsonl", records)
    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 1
    assert "line 3: narrator.birth_year:" in result.output
    assert count(models.Testimony) == 0 and count(Recording) == 0
    assert media_files(app) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda r: r.update(language=["ko", "xx"]), "line 1: language: unknown language code 'xx'"),
    (lambda r: r.update(embargo_until="2030-02-30"), "line 1: embargo_until:"),
    (lambda r: r["narrator"].update(left_north_year=2010, arrived_south_year=2005),
     "line 1: narrator.arrived_south_year:"),
    (lambda r: r["narrator"].pop("pseudonym"), "line 1: narrator.pseudonym: is required"),
    (lambda r: r["narrator"].update(nickname="x"), "line 1: narrator.nickname: unknown field"),
    (lambda r: r["route"][0].update(event="flew"), "line 1: route[1].event:"),
    (lambda r: r["chapters"][1].pop("title"), "line 1: chapters[2].title: is required"),
    (lambda r: r.update(title="   "), "line 1: title: is required"),
    (lambda r: r["narrator"].update(origin_place="Yanji"), "line 1: narrator.origin_place: unknown"),
])
def test_more_rule_violations_name_the_field(app: Flask, runner: FlaskCliRunner, source: Path,
                                             change: Any, expected: str) -> None:
    record = read_lines(source / "collection.jsonl")[0]
    change(record)
    write_lines(source / "one.jsonl", [record])
    result = run_import(runner, source / "one.jsonl", source)
    assert result.exit_code == 1
    assert expected in result.output, result.output
    assert count(models.Testimony) == 0


def test_media_that_is_not_audio_or_video_is_rejected_before_anything_is_written(
        app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    (source / "audio" / "notes.wav").write_text("just some text, not a recording\n")
    records = read_lines(source / "collection.jsonl")
    records[2]["media"] = "audio/notes.wav"  # the last line: the first two would be written already
    write_lines(source / "collection.jsonl", records)
    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 1, result.output
    assert "line 3: media:" in result.output and "not a supported audio or video file" in result.output
    assert count(models.Testimony) == 0
    assert media_files(app) == []


def test_malformed_vtt_reported_with_its_line_number(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    records = read_lines(source / "collection.jsonl")
    records[2]["transcript_vtt"] = "vtt/malformed.vtt"
    write_lines(source / "collection.jsonl", records)
    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 1
    assert re.search(r"line 3: transcript_vtt: vtt/malformed\.vtt line 6: expected a cue timing line",
                     result.output), result.output
    assert count(models.Testimony) == 0


def test_markers_in_line_transcripts_follow_the_transcript_rule(app: Flask, runner: FlaskCliRunner,
                                                               source: Path) -> None:
    records = read_lines(source / "collection.jsonl")
    records[0]["transcript"][0]["text"] = "Kim: [ Restricted ] my brother lives in Hyesan."
    records[0]["transcript"][2]["text"] = "[laughs] We crossed at night."
    write_lines(source / "collection.jsonl", records)
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    t = get_testimony("t-001")
    assert [(s.text, s.restricted) for s in t.segments] == [
        ("Kim: my brother lives in Hyesan.", True), ("My cousin still works at the secret factory.", True),
        ("[laughs] We crossed at night.", False)]


def test_unknown_markers_are_refused_with_line_and_field(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    records = read_lines(source / "collection.jsonl")
    records[1]["transcript"] = [{"start": 0, "end": 1, "text": "[redacted] my brother"},
                                {"start": 1, "end": 2, "speaker": "Kim", "text": "we left [restricted] then"}]
    write_lines(source / "collection.jsonl", records)
    (source / "vtt" / "lee.vtt").write_text("WEBVTT\n\n00:00:00.000 --> 00:00:00.800\n<v Lee>[private] spring\n")
    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 1
    assert "line 2: transcript[1].text: unknown marker [redacted]" in result.output, result.output
    assert "line 2: transcript[2].text: [restricted] stands inside the text" in result.output
    assert "line 3: transcript_vtt: vtt/lee.vtt line 4: unknown marker [private]" in result.output
    assert count(models.Testimony) == 0


@pytest.mark.parametrize(("path", "fragment"), [
    ("vtt/missing.vtt", "cannot read"),
    ("../lee.vtt", "leaves the media root"),
    ("/etc/passwd", "absolute"),
])
def test_vtt_paths_are_checked(app: Flask, runner: FlaskCliRunner, source: Path, path: str, fragment: str) -> None:
    records = read_lines(source / "collection.jsonl")
    records[2]["transcript_vtt"] = path
    write_lines(source / "collection.jsonl", records)
    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 1
    assert "line 3: transcript_vtt:" in result.output and fragment in result.output, result.output


def test_symlink_out_of_the_media_root_is_refused(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    secret = write_wav(source.parent / "elsewhere" / "secret.wav", 0.5)
    (source / "audio" / "link.wav").symlink_to(secret)
    records = read_lines(source / "collection.jsonl")
    records[0]["media"] = "audio/link.wav"
    write_lines(source / "collection.jsonl", records)
    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 1
    assert "line 1: media:" in result.output and "leaves the media root" in result.output


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "line 1: the file holds no records"),
    (b"\n\n   \n", "line 1: the file holds no records"),
    (b'{"external_id": "x", "title": "caf\xe9"}\n', "line 1: the file is not valid UTF-8"),
    (b'["a list"]\n', "line 1: each line must be a JSON object"),
])
def test_unreadable_files(app: Flask, runner: FlaskCliRunner, tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(content)
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert expected in result.output


def test_lines_are_split_on_newlines_only(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    """JSON allows raw U+2028, U+0085 and \\x1e in strings; they must not split a record."""
    records = [
        {"external_id": "sep-1", "title": "Line\u2028separator and next\u0085line", "narrator": {"pseudonym": "A"}},
        {"external_id": "sep-2", "title": "Paragraph separator", "narrator": {"pseudonym": "B"},
         "summary": "<p>para\u2029graph</p>"},
    ]
    path = write_lines(tmp_path / "separators.jsonl", records)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))  # BOM and CRLF too
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert get_testimony("sep-2").summary == "<p>para\u2029graph</p>"
    assert count(models.Testimony) == 2

    # A record separator inside a string is one bad value on its own line, not a broken line.
    write_lines(path, [{"external_id": "sep-3", "title": "Record \x1e separator", "narrator": {"pseudonym": "C"}}])
    result = run_import(runner, path)
    assert result.exit_code == 1
    assert "1 problem(s)" in result.output and "line 1: title: contains control characters" in result.output


# --- re-imports ----------------------------------------------------------------------------------

def test_reimport_is_idempotent(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    first_dump, first_counts, first_files = dump_archive(), row_counts(), media_files(app)
    ids = {t.external_id: (t.id, t.version) for t in db.session.scalars(select(models.Testimony))}

    result = run_import(runner, source / "collection.jsonl", source)

    assert result.exit_code == 0, result.output
    assert "Imported 0 new and updated 0 testimonies (3 unchanged)." in result.output
    assert dump_archive() == first_dump
    assert row_counts() == first_counts
    assert media_files(app) == first_files
    assert {t.external_id: (t.id, t.version) for t in db.session.scalars(select(models.Testimony))} == ids
    assert db.session.scalar(select(func.count()).where(AuditEntry.action.like("import.%"))) == 3


def test_changed_line_updates_in_place(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    first = get_testimony("t-001")
    first_id, first_version, narrator_id = first.id, first.version, first.narrator_id
    recording_id = first.recordings[0].id
    counts, files = row_counts(), media_files(app)

    records = read_lines(source / "collection.jsonl")
    records[0]["title"] = "Crossing the Tumen, revised"
    records[0]["transcript"][2]["text"] = "We crossed at night, in the snow."
    records[0]["narrator"]["birth_year"] = 1976
    write_lines(source / "collection.jsonl", records)
    result = run_import(runner, source / "collection.jsonl", source)

    assert result.exit_code == 0, result.output
    assert "Imported 0 new and updated 1 testimonies (2 unchanged)." in result.output
    t = get_testimony("t-001")
    assert (t.id, t.narrator_id) == (first_id, narrator_id)
    assert t.version > first_version
    assert t.title == "Crossing the Tumen, revised"
    assert t.narrator.birth_year == 1976
    assert [s.text for s in t.segments][2] == "We crossed at night, in the snow."
    assert [s.restricted for s in t.segments] == [False, True, False]
    assert t.recordings[0].id == recording_id, "an unchanged media file is not stored again"
    assert row_counts() == counts
    assert media_files(app) == files
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "import.updated",
                                                        AuditEntry.object_id == first_id)) == 1


def test_update_equals_a_fresh_import_of_the_new_line(app: Flask, runner: FlaskCliRunner, source: Path,
                                                      tmp_path: Path) -> None:
    """Fields dropped from a line go back to their defaults, as if the line were imported anew."""
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    records = read_lines(source / "collection.jsonl")
    record = records[0]
    for key in ("interview_date", "interviewer", "interview_place", "summary", "access", "status", "fictional",
                "consent", "language", "tags", "chapters"):
        record.pop(key)
    record["route"] = record["route"][1:]
    record["narrator"] = {"pseudonym": "Kim Test"}
    write_lines(source / "collection.jsonl", records)
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    updated = dump_archive()

    app_tables_reset()
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    assert dump_archive() == updated
    t = get_testimony("t-001")
    assert (t.access, t.status, t.interview_date, t.fictional, t.consent_audio) == (
        "restricted", "draft", None, False, False)
    assert t.narrator.real_name is None and t.narrator.origin_province is None


def app_tables_reset() -> None:
    """Start again from an empty archive: no testimonies, narrators or media files."""
    for t in db.session.scalars(select(models.Testimony)).all():
        testimony_service.delete_testimony(t)
    for n in db.session.scalars(select(Narrator)).all():
        db.session.delete(n)
    db.session.commit()
    shutil.rmtree(current_app.config["MEDIA_ROOT"], ignore_errors=True)


def test_replaced_and_removed_media(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    old_path = Path(app.config["MEDIA_ROOT"]) / get_testimony("t-001").recordings[0].storage_path
    lee_path = Path(app.config["MEDIA_ROOT"]) / get_testimony("t-003").recordings[0].storage_path

    # Same line, new bytes in kim.wav: the fingerprint covers the file, so the recording is replaced.
    write_wav(source / "audio" / "kim.wav", 1.0, 880)
    result = run_import(runner, source / "collection.jsonl", source)
    assert "updated 1 testimonies (2 unchanged)" in result.output, result.output
    [recording] = get_testimony("t-001").recordings
    assert recording.sha256 == sha256(source / "audio" / "kim.wav")
    assert recording.duration_seconds == pytest.approx(1.0, abs=0.01)
    assert not old_path.exists(), "the replaced file is deleted"
    assert (Path(app.config["MEDIA_ROOT"]) / recording.storage_path).is_file()
    assert len(media_files(app)) == 2 and count(Recording) == 2

    records = read_lines(source / "collection.jsonl")
    del records[2]["media"]
    write_lines(source / "collection.jsonl", records)
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    assert get_testimony("t-003").recordings == []
    assert not lee_path.exists()
    assert len(media_files(app)) == 1 and count(Recording) == 1


def test_edited_vtt_file_is_a_change(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    vtt = source / "vtt" / "lee.vtt"
    vtt.write_text(vtt.read_text().replace("Thank you.", "Thank you very much."))
    result = run_import(runner, source / "collection.jsonl", source)
    assert "updated 1 testimonies (2 unchanged)" in result.output, result.output
    assert get_testimony("t-003").segments[-1].text == "Thank you very much."
    assert count(Segment) == 6


def test_reimport_keeps_what_the_file_cannot_say(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    """A consent withdrawal and the curator's notes on the narrator survive a changed line."""
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    t = get_testimony("t-001")
    testimony_service.withdraw_consent(t, t.version, note="asked by phone")
    narrator_service.update_narrator(t.narrator, {"pseudonym": "Kim Test", "curator_notes": "call before visiting",
                                                  "origin_province": "North Hamgyong"})
    records = read_lines(source / "collection.jsonl")
    records[0]["title"] = "Retitled"
    write_lines(source / "collection.jsonl", records)
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    t = get_testimony("t-001")
    assert t.title == "Retitled"
    assert t.consent_withdrawn_at is not None
    assert t.narrator.curator_notes == "call before visiting"


def test_reimport_updates_a_testimony_created_by_hand(app: Flask, runner: FlaskCliRunner, source: Path,
                                                      factory: Any) -> None:
    existing = factory.testimony(external_id="t-002", title="Typed in by a curator")
    result = run_import(runner, source / "collection.jsonl", source)
    assert "Imported 2 new and updated 1 testimonies" in result.output, result.output
    t = get_testimony("t-002")
    assert t.id == existing.id and t.title == "A minimal record"
    assert count(models.Testimony) == 3


# --- an import killed half-way -------------------------------------------------------------------

def _fail_on_call(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, call: int) -> None:
    original = getattr(target, name)
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == call:
            raise RuntimeError("simulated crash")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, flaky)


def _clean_run(runner: FlaskCliRunner, source: Path) -> tuple[list[dict[str, Any]], dict[str, int], int]:
    app_tables_reset()
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    return dump_archive(), row_counts(), len(media_files(runner.app))


def test_crash_before_a_record_then_rerun(app: Flask, runner: FlaskCliRunner, source: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_on_call(monkeypatch, imports, "_import_record", 3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        imports.import_jsonl(source / "collection.jsonl", source)
    assert count(models.Testimony) == 2  # the first two were committed on their own
    monkeypatch.undo()

    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 0, result.output
    assert "Imported 1 new and updated 0 testimonies (2 unchanged)." in result.output
    if app.extensions.get("search") is not None:  # the rerun also indexes what the first run committed
        verify = runner.invoke(args=["search", "verify"])
        assert verify.exit_code == 0, verify.output
    rerun = dump_archive(), row_counts(), len(media_files(app))
    assert rerun == _clean_run(runner, source)


def test_crash_while_writing_a_record_then_rerun(app: Flask, runner: FlaskCliRunner, source: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The third record fails after its recording was stored: no row and no stray file remain."""
    _fail_on_call(monkeypatch, imports.audit, "record", 3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        imports.import_jsonl(source / "collection.jsonl", source)
    assert sorted(db.session.scalars(select(models.Testimony.external_id))) == ["t-001", "t-002"]
    assert count(Recording) == 1
    assert len(media_files(app)) == 1, "the file stored for the failed record is removed"
    monkeypatch.undo()

    result = run_import(runner, source / "collection.jsonl", source)
    assert result.exit_code == 0, result.output
    rerun = dump_archive(), row_counts(), len(media_files(app))
    assert rerun == _clean_run(runner, source)


def test_crash_before_the_recording_is_stored_leaves_nothing_pending(
        app: Flask, runner: FlaskCliRunner, source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure early in a record rolls the session back: the half-built testimony is not flushed later."""
    _fail_on_call(monkeypatch, imports, "replace_segments", 3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        imports.import_jsonl(source / "collection.jsonl", source)
    assert sorted(db.session.scalars(select(models.Testimony.external_id))) == ["t-001", "t-002"]
    assert count(Narrator) == 2
    monkeypatch.undo()
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    assert (dump_archive(), row_counts(), len(media_files(app))) == _clean_run(runner, source)


def test_crash_during_an_update_keeps_the_old_version(app: Flask, runner: FlaskCliRunner, source: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    before, files = dump_archive(), media_files(app)
    write_wav(source / "audio" / "kim.wav", 1.0, 990)
    records = read_lines(source / "collection.jsonl")
    records[0]["title"] = "Changed"
    write_lines(source / "collection.jsonl", records)
    _fail_on_call(monkeypatch, imports.audit, "record", 1)
    with pytest.raises(RuntimeError):
        imports.import_jsonl(source / "collection.jsonl", source)
    assert dump_archive() == before
    assert media_files(app) == files
    monkeypatch.undo()
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    assert get_testimony("t-001").title == "Changed"
    assert len(media_files(app)) == 2


# --- the demo collection -------------------------------------------------------------------------

def test_load_demo(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["archive", "load-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo collection: 8 new, 0 updated, 0 unchanged." in result.output
    assert count(models.Testimony) == 8
    assert count(Recording) == 7 and len(media_files(app)) == 7

    again = runner.invoke(args=["archive", "load-demo", "--if-empty"])
    assert again.exit_code == 0
    assert "demo not loaded" in again.output
    assert count(models.Testimony) == 8

    rerun = runner.invoke(args=["archive", "load-demo"])
    assert "0 new, 0 updated, 8 unchanged" in rerun.output
    assert len(media_files(app)) == 7


def test_demo_restricted_segments_and_profile(app: Flask) -> None:
    report = imports.load_demo()
    assert (report.created, report.updated, report.unchanged) == (8, 0, 0)
    restricted = db.session.execute(
        select(models.Testimony.external_id, Segment.position, Segment.text).join(Segment.testimony)
        .where(Segment.restricted.is_(True)).order_by(models.Testimony.external_id)
    ).all()
    assert [(r.external_id, r.position) for r in restricted] == [("demo-002", 12), ("demo-003", 8)]
    assert "라남" in restricted[0].text and "3직장" in restricted[0].text
    assert "Auntie Seo" in restricted[1].text and "storeroom" in restricted[1].text

    thae = get_testimony("demo-thae-yong-ho")
    assert thae.segments == [] and thae.recordings == [] and thae.chapters == []
    assert (thae.fictional, thae.consent_audio, thae.consent_transcript) == (False, False, False)
    assert thae.interview_date is None and thae.interviewer == ""
    assert thae.narrator.public_name == "Thae Yong-ho"

    for t in db.session.scalars(select(models.Testimony).where(models.Testimony.external_id != "demo-thae-yong-ho")):
        assert t.fictional, t.external_id
        assert len(t.recordings) == 1 and t.recordings[0].mime_type == "audio/ogg"
        assert t.recordings[0].duration_seconds and t.segments[-1].end <= t.recordings[0].duration_seconds + 0.1
    embargoed = get_testimony("demo-007")
    assert (embargoed.access, embargoed.status, str(embargoed.embargo_until)) == ("restricted", "draft", "2030-01-01")


def test_load_demo_if_empty_skips_a_nonempty_archive(app: Flask, runner: FlaskCliRunner, factory: Any) -> None:
    factory.testimony()
    result = runner.invoke(args=["archive", "load-demo", "--if-empty"])
    assert result.exit_code == 0
    assert count(models.Testimony) == 1
    assert media_files(app) == []


# --- around the import ---------------------------------------------------------------------------

def test_imported_testimonies_are_indexed(app: Flask, runner: FlaskCliRunner, source: Path) -> None:
    if app.extensions.get("search") is None:
        pytest.skip("no search engine configured")
    assert run_import(runner, source / "collection.jsonl", source).exit_code == 0
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 0, result.output
    assert "Index matches the database." in result.output


def test_progress_is_reported_for_long_files(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    records = [{"external_id": f"p-{i:02}", "title": f"Record {i}", "narrator": {"pseudonym": f"N{i}"}}
               for i in range(25)]
    path = write_lines(tmp_path / "long.jsonl", records)
    seen: list[tuple[int, int]] = []
    report = imports.import_jsonl(path, tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert report.created == 25 and report.external_ids[0] == "p-00"
    assert seen == [(i, 25) for i in range(1, 26)]

    app.config["FORCE_PROGRESS"] = True  # stderr is not a terminal under the test runner
    records[0]["title"] = "Changed"
    write_lines(path, records)
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "25/25" in result.stderr
    assert "Imported 0 new and updated 1 testimonies (24 unchanged)." in result.stdout
