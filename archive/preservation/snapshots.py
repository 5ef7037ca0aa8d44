"""Consistent database snapshots, and loading one into an empty database of either kind.

SQLite is copied with its online backup API (`database.sqlite3`: a consistent file even while the site
writes). PostgreSQL is exported through SQLAlchemy in one SERIALIZABLE READ ONLY DEFERRABLE transaction
(`database/<table>.jsonl`, one JSON array per row): that snapshot sees one committed state of every table,
needs no `pg_dump` of the server's exact major version on the machine, and loads into SQLite as well as
PostgreSQL. Restoring runs the migrations up to the snapshot's revision, copies the rows (a SQLite file is
read like the export), sets the id sequences past the highest id, then migrates to the newest revision.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import current_app
from sqlalchemy import Connection, Date, DateTime, MetaData, Table, create_engine, func, insert, select, text

from archive.core.extensions import db

SQLITE_FILE = "database.sqlite3"
ROWS_DIR = "database"
VERSION_TABLE = "alembic_version"
# Seeded from archive/data: a migrated database holding only these is still empty.
VOCABULARY_TABLES = frozenset({"places", "categories", "topics", VERSION_TABLE})
BATCH = 500


class SnapshotError(Exception):
    """The snapshot cannot be taken or loaded; the message says why."""


def current_revision(conn: Connection) -> str | None:
    """The Alembic revision of a database (None when it was never migrated)."""
    if not db.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))


def take(dest: Path) -> dict[str, Any]:
    """Write a consistent snapshot of the app's database into dest; return what it holds."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        return _sqlite_backup(Path(engine.url.database or ""), dest / SQLITE_FILE)
    return _export_rows(dest / ROWS_DIR)


def _sqlite_backup(source: Path, target: Path) -> dict[str, Any]:
    """Copy a SQLite database with the online backup API (pages=-1: one step, one consistent state)."""
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True, timeout=60)
    out = sqlite3.connect(target)
    try:
        src.backup(out, pages=-1)
        out.commit()
        tables = [name for (name,) in out.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                  "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        rows = {name: out.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}
        revision = out.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()[0]
    finally:
        out.close()
        src.close()
    return {"dialect": "sqlite", "form": "sqlite-file", "revision": revision, "rows": rows}


def _export_rows(folder: Path) -> dict[str, Any]:
    """Export every table in one read-only snapshot transaction (the PostgreSQL path)."""
    folder.mkdir(parents=True)
    rows: dict[str, int] = {}
    options: dict[str, Any] = {"isolation_level": "SERIALIZABLE"}
    if db.engine.dialect.name == "postgresql":
        options.update(postgresql_readonly=True, postgresql_deferrable=True)
    with db.engine.connect().execution_options(**options) as conn:
        revision = current_revision(conn)
        metadata = MetaData()
        metadata.reflect(conn)
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            count = 0
            with (folder / f"{table.name}.jsonl").open("w", encoding="utf-8") as out:
                out.write(json.dumps([c.name for c in table.columns]) + "\n")
                for row in conn.execute(select(table).order_by(*order)).yield_per(BATCH):
                    out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                    count += 1
            rows[table.name] = count
        conn.rollback()
    return {"dialect": db.engine.dialect.name, "form": "rows", "revision": revision, "rows": rows}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode(value: Any, column: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


# ------------------------------------------------------------------------------------------ restoring


def is_empty() -> bool:
    """Whether the app's database holds nothing but the schema and the seeded vocabularies."""
    with db.engine.connect() as conn:
        metadata = MetaData()
        metadata.reflect(conn)
        return not any(conn.scalar(select(func.count()).select_from(table)) for name, table in metadata.tables.items()
                       if name not in VOCABULARY_TABLES)


def drop_everything() -> None:
    """Remove every table of the app's database (it holds no data, or the restore was given --force)."""
    with db.engine.begin() as conn:
        metadata = MetaData()
        metadata.reflect(conn)
        metadata.drop_all(conn)


def load(src: Path, manifest: dict[str, Any]) -> dict[str, int]:
    """Fill the app's (empty) database from a snapshot; return the rows loaded per table."""
    from flask_migrate import upgrade

    revision = manifest["revision"]
    _check_known(revision)
    db.session.remove()
    if db.engine.dialect.name == "sqlite" and manifest["form"] == "sqlite-file":
        # Same kind: the file is the database. Replace it and migrate it forward if it is older.
        target = Path(db.engine.url.database or "")
        db.engine.dispose()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(src / SQLITE_FILE, target)
        db.engine.dispose()
        loaded = dict(manifest["rows"])
    else:
        drop_everything()
        upgrade(revision=revision)
        loaded = _load_rows(src, manifest)
    upgrade()
    return loaded


def _check_known(revision: str) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    try:
        script.get_revision(revision)
    except Exception:
        raise SnapshotError(f"the backup's database revision {revision!r} is not one this version of the archive "
                            f"knows (a newer version made it?); nothing was restored") from None


class _Source:
    """The tables of a snapshot, read one at a time: a row export, or a SQLite snapshot file (read-only)."""

    def __init__(self, src: Path, manifest: dict[str, Any]) -> None:
        self.src = src
        self.form = manifest["form"]
        self.tables = list(manifest["rows"])
        self.engine = None
        if self.form != "rows":
            self.engine = create_engine(f"sqlite:///file:{quote(str(src / SQLITE_FILE))}?mode=ro&uri=true")
            self.metadata = MetaData()
            self.metadata.reflect(self.engine)

    def rows(self, name: str) -> Iterator[tuple[list[str], Iterator[list[Any]]]]:
        """Yield once: the table's column names and an iterator over its rows."""
        if self.engine is None:
            with (self.src / ROWS_DIR / f"{name}.jsonl").open(encoding="utf-8") as handle:
                columns = json.loads(handle.readline())
                yield columns, (json.loads(line) for line in handle)
            return
        table = self.metadata.tables[name]
        order = list(table.primary_key.columns) or list(table.columns)
        with self.engine.connect() as conn:
            result = conn.execute(select(table).order_by(*order))
            yield [c.name for c in table.columns], (list(map(_encode, row)) for row in result)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def _load_rows(src: Path, manifest: dict[str, Any]) -> dict[str, int]:
    """Insert every row in foreign-key order in one transaction, then move the id sequences on."""
    loaded: dict[str, int] = {}
    with db.engine.begin() as conn:
        metadata = MetaData()
        metadata.reflect(conn)
        order = [t.name for t in metadata.sorted_tables]
        source = _Source(src, manifest)
        try:
            for name in order:
                if name != VERSION_TABLE and name in source.tables:
                    for columns, rows in source.rows(name):
                        loaded[name] = _insert(conn, metadata.tables[name], columns, rows)
        finally:
            source.close()
        if conn.dialect.name == "postgresql":
            for name in order:
                table = metadata.tables[name]
                if "id" in table.c and conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name}):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                                      f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'), {"t": name})
    return loaded


def _insert(conn: Connection, table: Table, columns: list[str], rows: Iterator[list[Any]]) -> int:
    """Replace a table's rows with the snapshot's, in batches."""
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise SnapshotError(f"table {table.name}: column(s) {', '.join(unknown)} of the backup do not exist at its "
                            f"revision; the backup is damaged")
    conn.execute(table.delete())  # the migrations may have seeded rows; the snapshot's win
    batch: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        batch.append({c: _decode(v, table.c[c]) for c, v in zip(columns, row, strict=True)})
        if len(batch) >= BATCH:
            conn.execute(insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(insert(table), batch)
        count += len(batch)
    return count
