"""Backup and restore through the CLI: the restore drill, refusals, checksums, secrets, incremental media."""
from __future__ import annotations

import difflib
import hashlib
import io
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from archive.core.extensions import db
from archive.curation import testimonies as testimony_service
from archive.curation.recordings import upload_recording
from archive import models
from archive.models import Recording, Segment
from archive.preservation import backups
from tests.preservation.conftest import DRAFT_TEXT, REAL_NAME, RESTRICTED_TEXT, Populated, comparable, log_in
from tests.sound import wav_bytes


def _sums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".partial" not in p.parts}


def _rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the current app's database, in key order."""
    found = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        found[table.name] = [tuple(row) for row in db.session.execute(select(table).order_by(*order))]
    return found


def _untimed(answer: tuple[int, str | None, str]) -> tuple[int, str | None, str]:
    """Without the times of audit entries and last logins (the comparison's own logins make them)."""
    body = re.sub(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", "<td>…</td>", answer[2])
    return answer[0], answer[1], re.sub(r"last login \d{4}-\d\d-\d\d \d\d:\d\d", "last login …", body)


def _compare(who: str, paths: list[str], before: Any, after: Any) -> None:
    """Each path answers the restored archive's client as it answers the original's."""
    for path in paths:
        restored, original = comparable(after.get(path)), comparable(before.get(path))
        if path in ("/admin/audit", "/admin/users"):
            restored, original = (_untimed(restored), _untimed(original))
        if path.startswith("/curate/") or path.startswith("/admin/") and who.startswith("admin"):
            assert original[0] == 200, f"{who}: {path} answers {original[0]}"
        assert restored == original, f"{who}: {path}\n" + "\n".join(difflib.unified_diff(
            original[2].splitlines(), restored[2].splitlines(), lineterm="", n=1))


def run(app: Flask, *args: str) -> Any:
    """A command of this app (the runner only pushes the app's context when none is pushed: push it here)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _backup(app: Flask, dest: Path, *args: str) -> Any:
    result = run(app, "archive", "backup", str(dest), *args)
    assert result.exit_code == 0, result.output
    return result


def _restore(app: Flask, src: Path, *args: str) -> Any:
    return run(app, "archive", "restore", str(src), *args)


def STAFF_ONLY(ids: list[int], narrators: list[int]) -> list[str]:  # noqa: N802
    """Curator pages under /curate/ (each must answer 200 to staff, or the comparison proves nothing)."""
    return ["", "fixity/", "themes/", "themes/overseas-labour", *(f"testimonies/{i}{page}" for i in ids for page in ("", "/checklist", "/sensitive")),
            *(f"narrators/{n}" for n in narrators)]


def _pages(populated: Populated) -> dict[str, list[str]]:
    """What each audience asks for: every public and staff page, API listing and search the drill compares."""
    ids = [t.id for t in populated.all]
    narrators = sorted({t.narrator_id for t in populated.all})
    recordings = [t.recording.id for t in populated.all if t.recording is not None]
    public = ["/", "/hear/", "/testimonies/", "/routes", "/places/", "/search?q=river", "/search?q=broker",
              "/search?q=Pak+Yong-chol", "/search?q=kitchen", "/search.csv?q=river", "/api/v1/testimonies",
              "/api/v1/narrators", "/api/v1/search?q=river", "/oai?verb=ListRecords&metadataPrefix=oai_dc", "/themes/", "/themes/north-korea-in-brief",
              "/themes/leaving-the-country"]
    public += [f"/narrators/{n}" for n in narrators] + [f"/api/v1/narrators/{n}" for n in narrators]
    for i in ids:
        public += [f"/testimonies/{i}", f"/api/v1/testimonies/{i}", f"/api/v1/testimonies/{i}/segments",
                   f"/testimonies/{i}/transcript.vtt", f"/testimonies/{i}/transcript.txt",
                   f"/testimonies/{i}/ohms.xml", f"/iiif/testimonies/{i}/manifest.json", f"/testimonies/{i}/cite.json"]
    public += [f"/media/recordings/{r}" for r in recordings] + [f"/media/recordings/{r}/waveform" for r in recordings]
    staff = [*public, "/admin/users", "/admin/audit"]
    staff += [f"/curate/{page}" for page in STAFF_ONLY(ids, narrators)]
    return {"anonymous": public, "researcher@example.org": public, "curator@example.org": staff,
            "admin@example.org": staff}


def test_restore_drill_gives_back_every_page_search_result_and_file(app: Flask, populated: Populated,
                                                                     second_archive: Flask, tmp_path: Path) -> None:
    checked = app.test_cli_runner().invoke(args=["archive", "fixity"])  # fixity history is kept too
    assert checked.exit_code == 0 and "0 failed" in checked.output
    _backup(app, tmp_path / "backup")
    result = _restore(second_archive, tmp_path / "backup")
    assert result.exit_code == 0, result.output
    assert "indexed 4 testimonies" in result.output

    # Every file, byte for byte, under the same relative path (3 originals and their own public copies).
    source_files = _sums(Path(app.config["MEDIA_ROOT"]))
    assert len(source_files) >= 4 and _sums(Path(second_archive.config["MEDIA_ROOT"])) == source_files

    # Every table, row for row (accounts, audit log, fixity history...), before the comparison below logs in
    # and adds entries of its own to each.
    original = _rows()
    assert len(original["audit_log"]) > 10 and len(original["users"]) == 3 and original["fixity_checks"]
    with second_archive.app_context():
        assert _rows() == original

    # Every page, listing and search result, for every audience, answers the same (accounts came back too;
    # the audit page's times are masked: the logins of this comparison happen at slightly different seconds).
    for who, paths in _pages(populated).items():
        before, after = app.test_client(), second_archive.test_client()
        if who != "anonymous":
            log_in(before, who)
            log_in(after, who)
        _compare(who, paths, before, after)

    # The restored archive still protects what it protected: the restricted passage, the draft, the real name.
    anonymous = second_archive.test_client()
    assert anonymous.get(f"/testimonies/{populated.draft.id}").status_code == 404
    for path in (f"/testimonies/{populated.public.id}", "/search?q=broker", f"/testimonies/{populated.public.id}/transcript.vtt"):
        body = anonymous.get(path).get_data(as_text=True)
        assert RESTRICTED_TEXT not in body and REAL_NAME not in body and DRAFT_TEXT not in body
    with second_archive.app_context():
        fixity = run(second_archive, "archive", "fixity")
        assert fixity.exit_code == 0 and fixity.output == checked.output  # the same files, all intact
    with second_archive.app_context():  # saving goes on: new rows get ids after the restored ones
        narrator = db.session.get(models.Narrator, populated.plain.narrator_id)
        t = testimony_service.create_testimony({"title": "After the restore", "languages": ["en"]}, narrator)
        assert t.id == max(x.id for x in populated.all) + 1


def test_a_backup_restores_into_sqlite_whatever_database_it_came_from(app: Flask, populated: Populated,
                                                                      sqlite_archive: Flask, tmp_path: Path) -> None:
    """On PostgreSQL this moves an archive to SQLite (the row export read back); on SQLite it is the same kind."""
    _backup(app, tmp_path / "b")
    result = _restore(sqlite_archive, tmp_path / "b")
    assert result.exit_code == 0, result.output
    original = _rows()
    with sqlite_archive.app_context():
        assert _rows() == original  # every value the same in the other database too (times, floats, JSON)
    pages = _pages(populated)
    for who in ("anonymous", "admin@example.org"):
        before, after = app.test_client(), sqlite_archive.test_client()
        if who != "anonymous":
            log_in(before, who)
            log_in(after, who)
        # Not the staff home page: its "recent" list orders by published_at, and a draft's NULL sorts first on
        # PostgreSQL and last on SQLite (archive/public/catalog.py), whatever the restore does.
        _compare(who, [p for p in pages[who] if who == "anonymous" or p != "/"], before, after)
    with sqlite_archive.app_context():  # new rows get new ids after the restored ones
        t = testimony_service.create_testimony({"title": "After the move", "languages": ["en"]},
                                               db.session.get(models.Narrator, populated.plain.narrator_id))
        assert t.id == max(x.id for x in populated.all) + 1


def test_backup_holds_a_manifest_that_sha256sum_accepts_and_no_secret_by_default(app: Flask, populated: Populated,
                                                                                  tmp_path: Path) -> None:
    dest = tmp_path / "b"
    app.config["JOBS_URL"] = "redis://:s3cret@127.0.0.1:6379/13"  # only read by the backup's settings list here
    _backup(app, dest)
    description = json.loads((dest / "backup.json").read_text())
    assert description["database"]["rows"]["testimonies"] == 4 and not description["secrets_included"]
    assert not (dest / "secret_key").exists()
    assert dest.stat().st_mode & 0o077 == 0  # only the archive's own account may read a backup
    settings = (dest / "settings.json").read_text()
    assert "test-secret" not in settings and "s3cret" not in settings and "DATABASE_URL" in settings
    assert json.loads(settings)["JOBS_URL"] == "redis://:***@127.0.0.1:6379/13"
    listed = dict(line.split("  ", 1)[::-1] for line in (dest / "manifest-sha256.txt").read_text().splitlines())
    assert {"backup.json", "settings.json"} <= set(listed)
    assert sum(name.startswith("media/recordings/") for name in listed) == 3
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--quiet", "-c", "manifest-sha256.txt"], cwd=dest, check=True)

    with_secret = tmp_path / "s"
    _backup(app, with_secret, "--include-secrets")
    assert (with_secret / "secret_key").read_text().strip() == "test-secret"
    assert (with_secret / "secret_key").stat().st_mode & 0o077 == 0


def test_restore_brings_back_the_secret_key_only_when_the_backup_holds_it(app: Flask, populated: Populated,
                                                                          second_archive: Flask, tmp_path: Path) -> None:
    _backup(app, tmp_path / "b", "--include-secrets")
    result = _restore(second_archive, tmp_path / "b")
    assert result.exit_code == 0, result.output
    assert (Path(second_archive.config["ARCHIVE_DATA_DIR"]) / "secret_key").read_text() == "test-secret"


def test_backup_refuses_a_folder_that_is_not_empty_or_inside_the_media(app: Flask, populated: Populated,
                                                                        tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "old.txt").write_text("x")
    result = app.test_cli_runner().invoke(args=["archive", "backup", str(tmp_path / "b")])
    assert result.exit_code == 1 and "not an empty folder" in result.output
    inside = Path(app.config["MEDIA_ROOT"]) / "backups" / "today"
    result = app.test_cli_runner().invoke(args=["archive", "backup", str(inside)])
    assert result.exit_code == 1 and "inside the media folder" in result.output and not inside.exists()


def test_restore_refuses_a_non_empty_archive_without_force(app: Flask, populated: Populated, second_archive: Flask,
                                                           tmp_path: Path) -> None:
    _backup(app, tmp_path / "b")
    assert _restore(second_archive, tmp_path / "b").exit_code == 0
    with second_archive.app_context():
        t = db.session.scalar(select(models.Testimony).where(models.Testimony.external_id == "pres-002"))
        testimony_service.update_testimony(t, {"title": "Changed after the restore"}, None)
    refused = _restore(second_archive, tmp_path / "b")
    assert refused.exit_code == 1
    assert "holds data" in refused.output and "holds files" in refused.output and "--force" in refused.output
    with second_archive.app_context():
        assert db.session.scalar(select(models.Testimony.title).where(models.Testimony.external_id == "pres-002")) == \
            "Changed after the restore"
    forced = _restore(second_archive, tmp_path / "b", "--force")
    assert forced.exit_code == 0, forced.output
    with second_archive.app_context():
        assert db.session.scalar(select(models.Testimony.title).where(models.Testimony.external_id == "pres-002")) == \
            "Working in Shenyang"
    assert second_archive.test_client().get("/search?q=Changed").get_data(as_text=True).count("Changed after") == 0


@pytest.mark.parametrize("damage", ["flip", "delete", "add"])
def test_restore_verifies_every_checksum_before_writing_anything(app: Flask, populated: Populated,
                                                                 second_archive: Flask, tmp_path: Path,
                                                                 damage: str) -> None:
    dest = tmp_path / "b"
    _backup(app, dest)
    recording = sorted(p for p in (dest / "media" / "recordings").rglob("*") if p.is_file())[0]
    name = recording.relative_to(dest).as_posix()
    if damage == "flip":
        data = bytearray(recording.read_bytes())
        data[len(data) // 2] ^= 0x01
        recording.write_bytes(bytes(data))
        expected = f"{name}: checksum differs from the manifest"
    elif damage == "delete":
        recording.unlink()
        expected = f"{name}: missing"
    else:
        (dest / "media" / "stray.ogg").write_bytes(b"OggS")
        expected = "media/stray.ogg: not listed in the manifest"
    result = _restore(second_archive, dest)
    assert result.exit_code == 1
    assert "nothing was restored" in result.output and expected in result.output
    assert "Traceback" not in result.output
    with second_archive.app_context():
        assert backups.target_problems() == []  # still empty: nothing was written


def test_a_backup_from_a_newer_version_is_refused(app: Flask, populated: Populated, second_archive: Flask,
                                                  tmp_path: Path) -> None:
    dest = tmp_path / "b"
    _backup(app, dest)
    description = json.loads((dest / "backup.json").read_text())
    description["database"]["revision"] = "9999_from_the_future"
    (dest / "backup.json").write_text(json.dumps(description))
    manifest = (dest / "manifest-sha256.txt").read_text().splitlines()
    digest = hashlib.sha256((dest / "backup.json").read_bytes()).hexdigest()
    (dest / "manifest-sha256.txt").write_text("".join(
        f"{digest}  backup.json\n" if line.endswith("  backup.json") else f"{line}\n" for line in manifest))
    result = _restore(second_archive, dest)
    assert result.exit_code == 1, result.output
    assert "revision '9999_from_the_future' is not one this version of the archive knows" in result.output
    with second_archive.app_context():
        assert backups.target_problems() == []


def test_restore_says_what_is_wrong_with_a_folder_that_is_no_backup(second_archive: Flask, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    result = _restore(second_archive, tmp_path / "x")
    assert result.exit_code == 1 and "is not a backup" in result.output


def test_incremental_backup_links_unchanged_media_and_copies_new_files(app: Flask, populated: Populated,
                                                                       tmp_path: Path) -> None:
    _backup(app, tmp_path / "monday")
    upload_recording(populated.researchers, io.BytesIO(wav_bytes(2.0)), "new.wav", None)
    result = _backup(app, tmp_path / "tuesday", "--link-dest", str(tmp_path / "monday"))
    monday, tuesday = _sums(tmp_path / "monday" / "media"), _sums(tmp_path / "tuesday" / "media")
    new = set(tuesday) - set(monday)
    assert len(new) >= 1  # the new recording (and its public copy)
    linked = [name for name in monday if name in tuesday]
    assert linked and all((tmp_path / "monday" / "media" / name).stat().st_ino ==
                          (tmp_path / "tuesday" / "media" / name).stat().st_ino for name in linked)
    assert f"{len(new)} copied, {len(linked)} linked" in result.output


def test_a_backup_taken_while_saves_run_restores_to_a_consistent_state(app: Flask, populated: Populated,
                                                                       second_archive: Flask, tmp_path: Path) -> None:
    """Each save replaces the transcript (revision k: k+1 passages saying "revision k") and every third one
    the recording; a consistent snapshot shows one whole revision and every file its rows name."""
    target_id = populated.plain.id
    stop = threading.Event()
    saved: list[int] = []
    errors: list[BaseException] = []

    def saves() -> None:
        with app.app_context():
            try:
                for k in range(1, 400):
                    if stop.is_set() and len(saved) >= 3:
                        return
                    t = db.session.get(models.Testimony, target_id)
                    testimony_service.replace_transcript(
                        t, [{"start": i, "end": i + 1, "text": f"revision {k}"} for i in range(k + 1)], None)
                    if k % 3 == 0:
                        upload_recording(t, io.BytesIO(wav_bytes(1.0 + k / 100)), f"r{k}.wav", None)
                    saved.append(k)
            except BaseException as error:  # reported by the test below
                errors.append(error)
            finally:
                db.session.remove()

    worker = threading.Thread(target=saves)
    worker.start()
    results = []
    try:
        while len(saved) < 2:
            worker.join(0.05)
            assert worker.is_alive() or saved, errors
        first = len(saved)
        # Back up until saves have committed while backups ran (a save takes longer than a backup here).
        while len(results) < 3 or (len(saved) == first and len(results) < 30):
            dest = tmp_path / f"during-{len(results)}"
            results.append(app.test_cli_runner().invoke(args=["archive", "backup", str(dest)]))
        during = len(saved) - first
    finally:
        stop.set()
        worker.join(120)
    assert not errors, errors
    assert all(result.exit_code == 0 for result in results), [result.output for result in results]
    assert during > 0  # saves committed while the backups ran

    for number in (0, len(results) // 2, len(results) - 1):
        restored = _restore(second_archive, tmp_path / f"during-{number}", "--force")
        assert restored.exit_code == 0, restored.output
        with second_archive.app_context():
            texts = db.session.scalars(select(Segment.text).where(Segment.testimony_id == target_id)
                                       .order_by(Segment.start)).all()
            revision = int(texts[0].split()[-1])
            assert texts == [f"revision {revision}"] * (revision + 1)
            for rec in db.session.scalars(select(Recording)):
                path = Path(second_archive.config["MEDIA_ROOT"]) / rec.storage_path
                assert hashlib.sha256(path.read_bytes()).hexdigest() == rec.sha256
            db.session.remove()
        fixity = run(second_archive, "archive", "fixity")
        assert fixity.exit_code == 0, fixity.output
