"""The command groups' manners: a database that is not migrated is named in one line with its fix, never a traceback."""
from __future__ import annotations

import sqlite3
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

# SQLite says so in the message; PostgreSQL (psycopg) gives SQLSTATE 42P01 (undefined table) or 42703 (column).
_SQLITE_MISSING = ("no such table", "no such column", "has no column named")
# Commands that open the SQLite file themselves (archive backup) get the driver's own error, not SQLAlchemy's;
# a file that is not there at all (a wrong ARCHIVE_DATA_DIR) cannot be opened read-only.
_SQLITE_ABSENT = "unable to open database file"
_DATABASE_ERRORS = (OperationalError, ProgrammingError, sqlite3.OperationalError)
_POSTGRES_MISSING = {"42P01", "42703"}


def is_unmigrated(error: BaseException) -> bool:
    """True when a database error means the schema is missing or older than the code (a migration is due)."""
    if not isinstance(error, _DATABASE_ERRORS):
        return False
    original = getattr(error, "orig", error)
    if getattr(original, "sqlstate", None) in _POSTGRES_MISSING:
        return True
    message = str(original).lower()
    if isinstance(error, sqlite3.OperationalError) and _SQLITE_ABSENT in message:
        return True
    return any(marker in message for marker in _SQLITE_MISSING)


def unmigrated_message(error: BaseException, app: Flask | None = None) -> str:
    """One line: which database, what is missing, and the command that fixes it."""
    where, data_dir = "The database", None
    app = app or (current_app._get_current_object() if has_app_context() else None)  # type: ignore[attr-defined]
    if app is not None:
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        where = f"The database {url.render_as_string(hide_password=True)}"
        data_dir = app.config.get("ARCHIVE_DATA_DIR")
    detail = str(getattr(error, "orig", error)).splitlines()[0]
    same_dir = f" with the same ARCHIVE_DATA_DIR ({data_dir})" if data_dir else ""
    return (f"{where} is not migrated ({detail}): run `make migrate` or "
            f"`flask --app wsgi db upgrade`{same_dir}, then this command again.")


class ArchiveGroup(AppGroup):
    """An AppGroup whose commands answer an unmigrated database with one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _DATABASE_ERRORS as error:
            if not is_unmigrated(error):
                raise
            # The command's app context has ended by now; the script info still holds its app.
            raise click.ClickException(unmigrated_message(error, ctx.ensure_object(ScriptInfo).load_app())) from None
