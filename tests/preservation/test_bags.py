"""BagIt: valid 1.0 bags, public bags holding only public content, staff bags round-tripping through import-bag."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import bagit
import pytest
from flask import Flask
from sqlalchemy import func, select

from archive import models
from archive.core.extensions import db
from archive.media import copies
from tests.preservation.conftest import DRAFT_TEXT, REAL_NAME, RESTRICTED_TEXT, Populated


def _export(app: Flask, dest: Path, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["archive", "export-bag", str(dest), *args])


def _import(app: Flask, src: Path) -> Any:
    return app.test_cli_runner().invoke(args=["archive", "import-bag", str(src)])


def _everything(bag: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(bag.rglob("*")) if p.is_file())


def test_public_bags_are_valid_bagit_1_0_and_hold_only_what_the_public_may_have(app: Flask, populated: Populated,
                                                                                tmp_path: Path) -> None:
    result = _export(app, tmp_path / "bags")
    assert result.exit_code == 0, result.output
    assert "Wrote 2 public bag(s)" in result.output
    bags = sorted((tmp_path / "bags").iterdir())
    # The public testimonies only, under their internal number, never the catalogue's external identifier.
    assert [b.name for b in bags] == [f"testimony-{populated.public.id}", f"testimony-{populated.plain.id}"]
    for path in bags:
        bag = bagit.Bag(str(path))
        bag.validate()  # structure and every checksum
        assert bag.version_info == (1, 0)
        assert bag.info["Archive-Access-Level"] == "public"
        assert {"sha256", "sha512"} <= set(bag.algorithms)
        content = _everything(path)
        for secret in (RESTRICTED_TEXT, REAL_NAME, DRAFT_TEXT, "pres-00", "1978"):
            assert secret.encode() not in content, (path.name, secret)

    public = bags[0] / "data"
    assert {p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file()} == {
        "testimony.json", "dublin-core.xml", "transcript.vtt", "transcript.txt", "ohms.xml", "iiif-manifest.json",
        "media/recording.ogg"}
    # The recording is the public copy (the restricted passage silenced), not the original.
    copy = copies.servable_copy(populated.public.recording)
    assert copy is not None and not copy.shared_original
    assert hashlib.sha256((public / "media" / "recording.ogg").read_bytes()).hexdigest() == copy.sha256
    line = json.loads((public / "testimony.json").read_text())
    assert line["narrator"]["pseudonym"] == "Narrator A" and "real_name" not in line["narrator"]
    assert line["narrator"]["birth_year"] is None  # the public sees a decade only
    assert [s["text"] for s in line["transcript"]] == ["Where did you cross the river?",
                                                       "Near Hoeryong, when the ice was thick.",
                                                       "Then we walked for three nights."]
    assert line["transcript"][1]["speaker"] == "Narrator A"  # the real name in the label is replaced
    assert line["route"] == [{"country": "China", "place": "Yanji", "year": None, "event": "hid"}]
    dc = (public / "dublin-core.xml").read_text()
    assert "<dc:title>Crossing the Tumen in winter</dc:title>" in dc and "oai_dc:dc" in dc


def test_staff_bags_need_include_restricted_and_say_so(app: Flask, populated: Populated, tmp_path: Path) -> None:
    refused = _export(app, tmp_path / "public", "--external-id", "pres-004")
    assert refused.exit_code == 1
    assert "--external-id pres-004: no such testimony" in refused.output and "Traceback" not in refused.output
    assert not (tmp_path / "public").exists() or not any((tmp_path / "public").iterdir())

    result = _export(app, tmp_path / "staff", "--include-restricted", "--external-id", "pres-004",
                     "--external-id", "pres-001")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "staff").iterdir()) == ["pres-001", "pres-004"]
    bag = bagit.Bag(str(tmp_path / "staff" / "pres-001"))
    bag.validate()
    assert bag.info["Archive-Access-Level"] == "staff"
    data = tmp_path / "staff" / "pres-001" / "data"
    assert f"[restricted] Narrator: {RESTRICTED_TEXT}" in (data / "transcript.txt").read_text()
    line = json.loads((data / "testimony.json").read_text())
    assert line["narrator"]["real_name"] == REAL_NAME and line["narrator"]["birth_year"] == 1978
    original = populated.public.recording
    assert hashlib.sha256((data / "media" / "recording.ogg").read_bytes()).hexdigest() == original.sha256
    assert DRAFT_TEXT in (tmp_path / "staff" / "pres-004" / "data" / "transcript.vtt").read_text()

    again = _export(app, tmp_path / "staff", "--include-restricted", "--external-id", "pres-001")
    assert again.exit_code == 1 and "already exists" in again.output and "no bags written" in again.output

    # Staff bags stay private on disk, and their export is in the audit log (one entry per testimony).
    for name in ("pres-001", "pres-004"):
        assert (tmp_path / "staff" / name).stat().st_mode & 0o077 == 0
        assert (tmp_path / "staff" / name / "data").stat().st_mode & 0o077 == 0
    entries = db.session.scalars(select(models.AuditEntry).where(models.AuditEntry.action == "preservation.export_bag")
                                 .order_by(models.AuditEntry.object_id)).all()
    assert [(e.object_id, json.loads(e.details)["level"]) for e in entries] == [
        (populated.public.id, "staff"), (populated.draft.id, "staff")]


def _snapshot(t: models.Testimony) -> dict[str, Any]:
    n = t.narrator
    return {
        "title": t.title, "access": t.access, "status": t.status, "languages": t.languages,
        "narrator": [n.pseudonym, n.real_name, n.birth_year, n.origin_province.slug if n.origin_province else None],
        "segments": [(s.start, s.end, s.speaker, s.text, s.restricted) for s in t.segments],
        "route": [(leg.country.slug, leg.place, leg.year, leg.event) for leg in t.route],
        "topics": sorted(topic.slug for topic in t.topics),
        "recording": t.recording.sha256 if t.recording else None,
        "consent": [t.consent_audio, t.consent_transcript, t.consent_name, t.consent_face_voice],
    }


def test_staff_bags_round_trip_through_import_bag_idempotently(app: Flask, populated: Populated,
                                                               tmp_path: Path) -> None:
    assert _export(app, tmp_path / "bags", "--include-restricted").exit_code == 0
    before = {t.external_id: _snapshot(t) for t in db.session.scalars(select(models.Testimony))}
    # A fresh archive: the testimonies are gone (their files too) before the bags come back.
    for t in db.session.scalars(select(models.Testimony)).all():
        db.session.delete(t)
    db.session.commit()

    first = _import(app, tmp_path / "bags")
    assert first.exit_code == 0, first.output
    assert "Imported 4 new and updated 0 testimonies (0 unchanged)" in first.output
    db.session.expire_all()
    after = {t.external_id: _snapshot(t) for t in db.session.scalars(select(models.Testimony))}
    assert after == before

    second = _import(app, tmp_path / "bags")
    assert "Imported 0 new and updated 0 testimonies (4 unchanged)" in second.output
    single = _import(app, tmp_path / "bags" / "pres-002")  # one bag on its own
    assert single.exit_code == 0 and "(1 unchanged)" in single.output


@pytest.mark.parametrize("damage", ["payload", "manifest"])
def test_an_invalid_bag_is_refused_before_anything_is_imported(app: Flask, populated: Populated, tmp_path: Path,
                                                               damage: str) -> None:
    assert _export(app, tmp_path / "bags", "--include-restricted").exit_code == 0
    for t in db.session.scalars(select(models.Testimony)).all():
        db.session.delete(t)
    db.session.commit()
    bag = tmp_path / "bags" / "pres-002"
    if damage == "payload":
        path = bag / "data" / "media" / "recording.ogg"
        data = bytearray(path.read_bytes())
        data[100] ^= 0xFF
        path.write_bytes(bytes(data))
        expected = "bag pres-002: data/media/recording.ogg"
    else:
        (bag / "manifest-sha256.txt").write_text("")
        expected = "bag pres-002:"
    result = _import(app, tmp_path / "bags")
    assert result.exit_code == 1
    assert "nothing was imported" in result.output and expected in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(models.Testimony)) == 0


def test_a_missing_recording_stops_the_export_before_any_bag_is_written(app: Flask, populated: Populated,
                                                                       tmp_path: Path) -> None:
    (Path(app.config["MEDIA_ROOT"]) / populated.draft.recording.storage_path).unlink()
    result = _export(app, tmp_path / "bags", "--include-restricted")
    assert result.exit_code == 1
    assert f"testimony {populated.draft.id}: the recording file media/{populated.draft.recording.storage_path} " \
           f"is missing" in result.output
    assert not (tmp_path / "bags").exists() and "Traceback" not in result.output


def test_import_bag_names_a_folder_that_holds_no_bag(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = _import(app, tmp_path / "empty")
    assert result.exit_code == 1 and "neither a bag" in result.output


def test_a_bag_whose_metadata_breaks_the_import_rules_is_reported_by_bag_and_field(app: Flask, populated: Populated,
                                                                                   tmp_path: Path) -> None:
    assert _export(app, tmp_path / "bags", "--include-restricted", "--external-id", "pres-002").exit_code == 0
    bag_path = tmp_path / "bags" / "pres-002"
    line_path = bag_path / "data" / "testimony.json"
    line = json.loads(line_path.read_text())
    line["access"] = "everyone"
    line_path.write_text(json.dumps(line))
    bagit.Bag(str(bag_path)).save(manifests=True)  # a valid bag with a bad record inside
    result = _import(app, tmp_path / "bags")
    assert result.exit_code == 1
    assert "bag pres-002: access:" in result.output and "nothing was imported" in result.output
