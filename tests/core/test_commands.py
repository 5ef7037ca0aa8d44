"""CLI manners: every command run against a database that is not migrated says so in one line with the fix."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from archive import create_app
from archive.config import PROJECT_ROOT
from archive.core.commands import is_unmigrated
from archive.core.extensions import db

COMMANDS = [
    ["users", "create", "someone@example.org", "--role", "curator", "--password-stdin"],
    ["archive", "seed"],
    ["archive", "export-vocabulary", "-"],
    ["search", "verify"],
    ["jobs", "status"],
    ["jobs", "run", "--until-idle"],
    ["search", "reindex"],
    ["archive", "load-demo"],
    ["archive", "fixity"],
    ["archive", "backup", "{tmp}/backup"],
    ["archive", "export-bag", "{tmp}/bags"],
    ["archive", "import", "{tmp}/import.jsonl"],
    ["archive", "import-ohms", "1", "{tmp}/import.jsonl"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_an_unmigrated_database_gets_one_line_naming_the_fix(tmp_path: Path, args: list[str]) -> None:
    app = create_app({"TESTING": True, "ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    (tmp_path / "import.jsonl").write_text("{}\n")
    args = [arg.format(tmp=tmp_path) for arg in args]
    with app.app_context():  # `flask` gives the preservation commands one; app.cli alone does not
        result = app.test_cli_runner().invoke(args=args, input="a long enough password\n")
    assert result.exit_code == 1
    lines = [line for line in result.output.strip().splitlines() if not line.startswith("…")]  # progress
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: The database sqlite:///") and "is not migrated (" in lines[0]
    assert "`make migrate`" in lines[0] and "`flask --app wsgi db upgrade`" in lines[0]
    assert f"ARCHIVE_DATA_DIR ({tmp_path})" in lines[0]


def test_a_real_command_prints_no_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ARCHIVE_DATA_DIR=str(tmp_path), PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "users", "create", "a@example.org",
                           "--role", "curator", "--password-stdin"], input="a long enough password\n",
                          capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "is not migrated" in done.stderr


def test_a_missing_table_is_recognised_on_this_database(app: Flask) -> None:
    """SQLite names it in the message, PostgreSQL by SQLSTATE 42P01/42703: both count as unmigrated."""
    for statement in ("SELECT * FROM no_such_table", "SELECT no_such_column FROM topics"):
        with pytest.raises(DBAPIError) as caught:
            db.session.execute(text(statement))
        db.session.rollback()
        assert is_unmigrated(caught.value), caught.value


def test_other_database_errors_are_left_alone(app: Flask) -> None:
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text("SELECT * FROM topics WHERE"))
    db.session.rollback()
    assert not is_unmigrated(caught.value)


def test_a_backup_of_a_data_directory_without_a_database_names_the_fix(tmp_path: Path) -> None:
    """A wrong ARCHIVE_DATA_DIR: the SQLite file is not there at all, and backup opens it itself."""
    app = create_app({"TESTING": True, "ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'absent.sqlite3'}"})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["archive", "backup", str(tmp_path / "backup")])
    assert result.exit_code == 1
    lines = [line for line in result.output.strip().splitlines() if not line.startswith("…")]
    assert len(lines) == 1 and "is not migrated (unable to open database file)" in lines[0], result.output
    assert "Traceback" not in result.output
