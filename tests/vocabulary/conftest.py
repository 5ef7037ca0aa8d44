"""The vocabularies outlive a test (conftest keeps them): every test here puts them back as they were."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, insert, select

from archive.core.extensions import db
from archive.models import Category, Place, Topic

TABLES = (Place.__table__, Category.__table__, Topic.__table__)
Snapshot = dict[str, list[dict[str, Any]]]


def snapshot() -> Snapshot:
    """Every row of the vocabulary tables (inside an app context)."""
    saved = {table.name: [dict(row._mapping) for row in db.session.execute(select(table))] for table in TABLES}
    db.session.commit()
    return saved


def restore(saved: Snapshot) -> None:
    """Empty the other tables (their rows may point at terms a test added) and put the vocabularies back."""
    from tests.conftest import _empty_tables

    db.session.rollback()
    _empty_tables()
    with db.engine.begin() as conn:
        conn.execute(Place.__table__.update().values(parent_id=None))
        for table in reversed(TABLES):
            conn.execute(delete(table))
        for table in TABLES:
            rows = saved[table.name]
            if table is Place.__table__:
                conn.execute(insert(table), [{**row, "parent_id": None} for row in rows])
                for row in rows:
                    if row["parent_id"] is not None:
                        conn.execute(table.update().where(table.c.id == row["id"]).values(parent_id=row["parent_id"]))
            else:
                conn.execute(insert(table), rows)
    db.session.expire_all()


@pytest.fixture(autouse=True)
def vocabulary_restored(app: Flask) -> Iterator[None]:
    saved = snapshot()
    yield
    restore(saved)
