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


@pytest.fixture(autouse=True)
def vocabulary_restored(app: Flask) -> Iterator[None]:
    saved = {table.name: [dict(row._mapping) for row in db.session.execute(select(table))] for table in TABLES}
    db.session.commit()
    yield
    db.session.rollback()
    from tests.conftest import _empty_tables

    _empty_tables()
    with db.engine.begin() as conn:
        for table in TABLES:
            conn.execute(table.update().values(parent_id=None)) if table is Place.__table__ else None
        for table in reversed(TABLES):
            conn.execute(delete(table))
        for table in TABLES:
            rows: list[dict[str, Any]] = saved[table.name]
            if table is Place.__table__:
                conn.execute(insert(table), [{**row, "parent_id": None} for row in rows])
                for row in rows:
                    if row["parent_id"] is not None:
                        conn.execute(table.update().where(table.c.id == row["id"]).values(parent_id=row["parent_id"]))
            else:
                conn.execute(insert(table), rows)
    db.session.expire_all()
