"""Functions run in separate processes by the concurrency tests (must be importable)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archive.search.engine import SearchEngine


def worker_doc(doc_id: int, word: str, stamp: str = "v1") -> dict[str, Any]:
    """Return a minimal public testimony mentioning `word`."""
    return {
        "id": doc_id,
        "external_id": f"w-{doc_id}",
        "title": f"Worker testimony {doc_id}",
        "summary": "",
        "visibility": "public",
        "stamp": stamp,
        "tags": ["work"],
        "route_countries": ["china"],
        "segments": [
            {
                "id": doc_id * 10,
                "start": 0.0,
                "end": 1.0,
                "text": f"{word} concurrency marker",
                "restricted": False,
            }
        ],
    }


def apply_many(index_dir: str, worker: int, calls: int) -> str:
    """Upsert one new testimony per call, plus a testimony every worker rewrites."""
    engine = SearchEngine(Path(index_dir), None, lock_timeout=120.0)
    try:
        for call in range(calls):
            doc_id = 1000 * (worker + 1) + call
            shared = worker_doc(1, "sharedword", stamp=f"w{worker}-c{call}")
            engine.apply([worker_doc(doc_id, f"word{worker}x{call}"), shared], [])
        return "ok"
    finally:
        engine.close()
