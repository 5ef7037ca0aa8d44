"""Shared helpers for the benchmarks: a throw-away archive and SQLite FTS5 baselines."""
from __future__ import annotations

import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_app(data_dir: Path | None = None):  # type: ignore[no-untyped-def]
    """An app on a fresh SQLite archive in a temporary data directory, migrated and seeded."""
    from flask_migrate import upgrade

    from archive import create_app
    from archive.core.vocabulary import seed_vocabulary

    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="archive-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app({"ARCHIVE_DATA_DIR": str(data_dir), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir}/bench.sqlite3",
                      "MEDIA_ROOT": str(data_dir / "media"), "SEARCH_INDEX_DIR": str(data_dir / "index"),
                      "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        upgrade()
        seed_vocabulary()
        app.extensions["search"].ensure()
        app.extensions["search"].warm_up()  # as a serving process does on its first request
    return app


class Fts5:
    """SQLite FTS5 with BM25 over the same text: the reference every figure is compared with."""

    def __init__(self, path: str = ":memory:") -> None:
        self.conn = sqlite3.connect(path)
        self.conn.execute("CREATE VIRTUAL TABLE docs USING fts5(doc_id UNINDEXED, title, body, "
                          "tokenize='porter unicode61')")

    def add(self, rows: Iterable[tuple[int, str, str]]) -> None:
        self.conn.executemany("INSERT INTO docs(doc_id, title, body) VALUES (?, ?, ?)", rows)
        self.conn.commit()

    def replace(self, doc_id: int, title: str, body: str) -> None:
        self.conn.execute("DELETE FROM docs WHERE doc_id = ?", (doc_id,))
        self.conn.execute("INSERT INTO docs(doc_id, title, body) VALUES (?, ?, ?)", (doc_id, title, body))
        self.conn.commit()

    def search(self, query: str, limit: int = 100) -> list[int]:
        """An OR query over the query's tokens, ranked by BM25."""
        tokens = re.findall(r"\w+", query.lower())
        if not tokens:
            return []
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(tokens))
        rows = self.conn.execute("SELECT doc_id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                                 (match, limit)).fetchall()
        return [int(r[0]) for r in rows]

    def phrase(self, phrase: str, limit: int = 20) -> list[int]:
        tokens = re.findall(r"\w+", phrase.lower())
        rows = self.conn.execute("SELECT doc_id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                                 ('"' + " ".join(tokens) + '"', limit)).fetchall()
        return [int(r[0]) for r in rows]


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Run a function and return (result, seconds)."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def summary(values: list[float]) -> str:
    """p50/p95 in milliseconds."""
    return f"p50 {percentile(values, 50) * 1000:7.1f} ms  p95 {percentile(values, 95) * 1000:7.1f} ms  " \
           f"mean {statistics.fmean(values) * 1000:7.1f} ms"
