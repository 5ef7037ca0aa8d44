"""Fixity: a flipped byte and a missing file are found, reported by testimony and file, recorded, never repaired."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from archive.core.extensions import db
from archive.models import AuditEntry, FixityCheck, PublicCopy
from archive.preservation import fixity
from tests.preservation.conftest import Populated, log_in


def _fixity(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["archive", "fixity", *args])


def _state(root: Path) -> dict[str, tuple[str, int]]:
    return {p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_file_checks_out_and_each_check_is_recorded(app: Flask, populated: Populated) -> None:
    result = _fixity(app)
    assert result.exit_code == 0, result.output
    files = fixity.stored_files()
    kinds = {f.kind for f in files}
    assert kinds == {"original", "public_copy"}  # the silenced copy of the restricted passage is a file of its own
    assert f"Checked {len(files)} files: {len(files)} intact, 0 failed." in result.output
    checks = db.session.scalars(select(FixityCheck)).all()
    assert len(checks) == len(files) and {c.result for c in checks} == {"ok"}
    assert all(c.actual_sha256 == c.expected_sha256 and c.checked_at for c in checks)


def test_a_flipped_byte_and_a_missing_file_are_reported_and_nothing_is_changed(app: Flask,
                                                                               populated: Populated) -> None:
    root = Path(app.config["MEDIA_ROOT"])
    flipped = populated.public.recording
    copy = db.session.scalar(select(PublicCopy).where(PublicCopy.recording_id == flipped.id))
    assert copy is not None and not copy.shared_original
    path = root / flipped.storage_path
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x10
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    (root / copy.storage_path).unlink()
    before = _state(root)

    result = _fixity(app)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(f"testimony {populated.public.id} (pres-001), recording {flipped.id}, original "
               f"media/{flipped.storage_path}: "
               f"checksum" in line and f"differs from the recorded {flipped.sha256}" in line for line in lines)
    assert f"testimony {populated.public.id} (pres-001), recording {flipped.id}, public copy media/{copy.storage_path}: " \
           f"file missing" in result.output
    assert "2 failed." in result.output and "Traceback" not in result.output
    assert _state(root) == before  # fixity reads; it never repairs, rewrites or touches a file

    results = dict(db.session.execute(select(FixityCheck.kind, FixityCheck.result)
                                      .where(FixityCheck.recording_id == flipped.id)).all())
    assert results == {"original": "mismatch", "public_copy": "missing"}
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("fixity%"))) == 0


def test_a_sample_checks_the_files_checked_longest_ago(app: Flask, populated: Populated) -> None:
    total = len(fixity.stored_files())
    assert total >= 3
    seen: list[set[tuple[int, str]]] = []
    for _ in range(total):
        result = _fixity(app, "--sample", "1")
        assert result.exit_code == 0 and "Checked 1 files" in result.output
        last = db.session.scalars(select(FixityCheck).order_by(FixityCheck.id.desc()).limit(1)).one()
        seen.append({(last.recording_id, last.kind)})
    # One file a run, never the same twice until all were checked: the whole collection in `total` runs.
    assert len(set().union(*seen)) == total
    assert _fixity(app, "--sample", "0").exit_code == 2  # a usage error, said by click


def test_the_curator_page_lists_the_last_check_of_every_file_and_the_failures(app: Flask, client: FlaskClient,
                                                                              populated: Populated) -> None:
    root = Path(app.config["MEDIA_ROOT"])
    (root / populated.plain.recording.storage_path).unlink()
    _fixity(app)
    _fixity(app)  # two checks of every file: the page shows the last one
    log_in(client, "curator@example.org")
    page = client.get("/curate/fixity/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html.split('id="fixity-files"')[1].split("</table>")[0]
    assert table.count("<tr") - 1 == len(fixity.stored_files())
    assert populated.plain.recording.storage_path in table and "file missing" in table
    failures = html.split('id="fixity-failures"')[1].split("</table>")[0]
    assert failures.count("file missing") == 2 and "Working in Shenyang" in failures
    assert 'class="fixity-failed"' in table
    # Linked from the curators' dashboard.
    assert 'href="/curate/fixity/"' in client.get("/curate/").get_data(as_text=True)


def test_the_page_answers_only_curators(app: Flask, client: FlaskClient, auth: Any) -> None:
    assert client.get("/curate/fixity/").status_code == 302  # to the login page
    auth.login("researcher", approved=True)
    refused = client.get("/curate/fixity/")
    assert refused.status_code == 404
    assert "Fixity checks" not in refused.get_data(as_text=True)


def test_the_page_is_in_korean_too(app: Flask, client: FlaskClient, populated: Populated) -> None:
    _fixity(app)
    log_in(client, "curator@example.org")
    client.set_cookie("lang", "ko")
    html = client.get("/curate/fixity/").get_data(as_text=True)
    assert "고정성" in html and "Last check of every file" not in html
