"""ARCHIVE_UNSAFE_FAST_COMMITS: only where asked for (the suite), never by default."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text


def _durability(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                return {0: "off", 1: "normal", 2: "full", 3: "extra"}[conn.scalar(text("PRAGMA synchronous"))]
            return str(conn.scalar(text("SHOW synchronous_commit")))
    finally:
        engine.dispose()


@pytest.mark.parametrize("setting, expected", [(None, "durable"), ("1", "fast")])
def test_commits_wait_for_the_disk_unless_told_otherwise(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                         setting: str | None, expected: str) -> None:
    if setting is None:
        monkeypatch.delenv("ARCHIVE_UNSAFE_FAST_COMMITS", raising=False)
    else:
        monkeypatch.setenv("ARCHIVE_UNSAFE_FAST_COMMITS", setting)
    found = _durability(database_url)
    assert found in (("full", "on") if expected == "durable" else ("off",))
