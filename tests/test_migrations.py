"""The Alembic migrations build exactly the schema the models describe, and can be undone."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, text

from archive import create_app
from archive.core.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def schema_diff() -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, db.metadata)


def test_migrated_schema_matches_the_models(app: Flask) -> None:
    """The shared test database was built by `flask db upgrade` (see conftest)."""
    assert schema_diff() == []


def test_every_revision_has_a_downgrade() -> None:
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "def downgrade" in source, path.name
        body = source.split("def downgrade", 1)[1]
        assert "op." in body, f"{path.name}: downgrade does nothing"


def test_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "ARCHIVE_DATA_DIR": str(tmp_path),
                      "MEDIA_ROOT": str(tmp_path / "media"), "SEARCH_INDEX_DIR": str(tmp_path / "index"),
                      "SECRET_KEY": "migrations"})
    runner = app.test_cli_runner()

    def tables() -> set[str]:
        with app.app_context():
            names = set(inspect(db.engine).get_table_names())
            db.engine.dispose()
            return names

    model_tables = {t.name for t in db.metadata.sorted_tables}

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert tables() == model_tables | {"alembic_version"}

    # The migrated schema takes the vocabulary.
    result = runner.invoke(args=["archive", "seed"])
    assert result.exit_code == 0, result.output

    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert tables() <= {"alembic_version"}

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert tables() == model_tables | {"alembic_version"}
    with app.app_context():
        assert schema_diff() == []
        with db.engine.connect() as conn:
            heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        db.engine.dispose()
    assert len(heads) == 1
