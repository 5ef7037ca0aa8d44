"""Concurrency: writers in several processes, lock timeouts, rebuilds under load."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from archive.search.engine import IndexBusy, SearchEngine, SearchRequest, SearchResults

from tests.search.search_corpus import corpus
from tests.search.search_workers import apply_many, worker_doc


def ids(results: SearchResults) -> list[int]:
    return [hit.id for hit in results.hits]


def test_concurrent_writers_in_several_processes(
    make_engine: Callable[..., SearchEngine], tmp_path: Path
) -> None:
    ctx = multiprocessing.get_context("spawn")
    index_dir = str(tmp_path / "index")
    with ctx.Pool(3) as pool:
        outcomes = pool.starmap(apply_many, [(index_dir, w, 20) for w in range(3)])
    assert outcomes == ["ok"] * 3
    engine = make_engine()
    stamps = engine.stamps()
    expected = {1000 * (w + 1) + c for w in range(3) for c in range(20)} | {1}
    assert set(stamps) == expected
    assert engine.search(SearchRequest(q="sharedword")).total == 1
    assert engine.search(SearchRequest(q="concurrency")).total == 61


def test_lock_timeout_raises_index_busy(make_engine: Callable[..., SearchEngine]) -> None:
    holder = make_engine()
    holder.ensure()
    held = holder._store.lock_current()
    try:
        impatient = make_engine(lock_timeout=0.3)
        with pytest.raises(IndexBusy):
            impatient.apply([worker_doc(1, "blocked")], [])
    finally:
        held.cancel()
    impatient.apply([worker_doc(1, "unblocked")], [])
    assert impatient.search(SearchRequest(q="unblocked")).total == 1


def test_rebuild_swaps_while_other_readers_search(make_engine: Callable[..., SearchEngine]) -> None:
    writer = make_engine()
    assert writer.rebuild(corpus()) == 9
    reader = make_engine()  # stands in for another process: its own searchers
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def search_loop() -> None:
        while not stop.is_set():
            try:
                seen.append(reader.search(SearchRequest(q="famine OR porridge OR concurrency")).total)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)
                return

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        for round_ in range(3):
            extra = [worker_doc(100 + round_, "concurrency")]
            writer.rebuild(corpus() + extra)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert seen and set(seen) <= {4, 5}
    assert reader.search(SearchRequest(q="concurrency")).total == 1
    gens = [p for p in writer.index_dir.iterdir() if p.name.startswith("gen-")]
    assert len(gens) <= 2  # old generations are cleaned up


def test_rebuild_replays_changes_applied_meanwhile(make_engine: Callable[..., SearchEngine]) -> None:
    builder = make_engine()
    builder.ensure()
    other = make_engine()  # another process applying outbox entries during the rebuild

    def docs() -> Iterator[dict[str, Any]]:
        for n, doc in enumerate(corpus()):
            if n == 4:
                other.apply([worker_doc(50, "duringrebuild")], [6])
            yield doc

    progress: list[int] = []
    assert builder.rebuild(docs(), progress.append) == 9
    assert progress[-1] == 9
    assert ids(builder.search(SearchRequest(q="duringrebuild"))) == [50]
    assert 6 not in builder.stamps()
    assert not (builder.index_dir / "REBUILDING").exists()


def test_rebuild_with_worker_processes(make_engine: Callable[..., SearchEngine]) -> None:
    engine = make_engine()
    docs = [worker_doc(n, f"bulk{n}") for n in range(1, 81)]
    assert engine.rebuild(docs, workers=2) == 80
    view = engine._view("staff")
    assert view is not None and len(view.searcher.reader().leaf_readers()) == 2  # one segment per worker
    assert len(engine.stamps()) == 80
    assert ids(engine.search(SearchRequest(q="bulk42"))) == [42]
    assert engine.search(SearchRequest(q="concurrency", per_page=100)).total == 80


def test_rebuild_with_workers_keeps_each_audience_apart(make_engine: Callable[..., SearchEngine]) -> None:
    # Public testimonies without restricted text are written once and shared by both indexes;
    # the others are written separately. Each audience must still see exactly its own.
    docs = []
    for n in range(1, 91):
        doc = worker_doc(n, f"bulk{n}")
        if n % 3 == 1:
            doc["visibility"] = "staff"
            doc["segments"][0]["text"] += " hiddenword"
        elif n % 3 == 2:
            doc["segments"].append({"id": n * 10 + 1, "start": 2.0, "end": 3.0, "text": "sealedword passage",
                                    "restricted": True})
        docs.append(doc)
    engine = make_engine()
    assert engine.rebuild(docs, workers=2) == 90
    everyone = engine.search(SearchRequest(q="concurrency", per_page=100))
    assert sorted(ids(everyone)) == [n for n in range(1, 91) if n % 3 != 1]
    staff = engine.search(SearchRequest(q="concurrency", per_page=100, audience="staff"))
    assert staff.total == 90
    assert engine.search(SearchRequest(q="hiddenword", per_page=100)).total == 0
    assert engine.search(SearchRequest(q="hiddenword", per_page=100, audience="staff")).total == 30
    assert engine.search(SearchRequest(q="sealedword", per_page=100)).total == 0
    assert engine.search(SearchRequest(q="sealedword", per_page=100, audience="staff")).total == 30
    assert ids(engine.search(SearchRequest(q="bulk42"))) == [42]  # public, nothing restricted: shared
    assert ids(engine.search(SearchRequest(q="bulk44"))) == [44]  # public with a sealed passage
    assert ids(engine.search(SearchRequest(q="bulk43"))) == []  # staff only
    assert ids(engine.search(SearchRequest(q="bulk43", audience="staff"))) == [43]
    assert len(engine.stamps()) == 90 and len(engine.stamps("public")) == 60


def test_crashed_rebuild_leaves_the_index_usable(engine: SearchEngine) -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield corpus()[0]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        engine.rebuild(broken())
    assert engine.search(SearchRequest(q="porridge")).total == 1
    assert not (engine.index_dir / "REBUILDING").exists()
    assert not [p for p in os.listdir(engine.index_dir) if p.startswith("build-")]
    engine.apply([worker_doc(77, "afterwards")], [])
    assert engine.search(SearchRequest(q="afterwards")).total == 1
