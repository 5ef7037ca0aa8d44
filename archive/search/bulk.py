"""Bulk indexing for rebuilds: serial for small inputs, worker processes for large ones.

Each worker analyses its share of testimonies and writes its own segment of both physical
indexes (the way Whoosh's multi-segment writer does); the parent then commits one table
of contents listing every worker's segments. Workers are spawned, not forked, because
the parent may hold Kiwi's native threads.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.writing import NO_MERGE, SegmentWriter

from .analysis import Analyzer
from .places import matcher_for
from .schema import codec, prepare

PARALLEL_THRESHOLD = 64
BATCH = 8
WRITER_MB = 256
_POLL = 0.5
_START_TIMEOUT = 60.0

Progress = Callable[[int], None] | None


def _writers(directory: Path, lock: bool) -> tuple[SegmentWriter, SegmentWriter]:
    """Open writers on both fresh indexes of a build directory."""
    public = FileStorage(str(directory / "public")).open_index()
    full = FileStorage(str(directory / "full")).open_index()
    return (
        SegmentWriter(public, _lk=lock, limitmb=WRITER_MB, codec=codec()),
        SegmentWriter(full, _lk=lock, limitmb=WRITER_MB, codec=codec()),
    )


def _add(public: SegmentWriter, full: SegmentWriter, doc: dict[str, Any], analyzer: Analyzer) -> None:
    """Analyse one testimony and add it to the indexes its visibility allows."""
    prepared = prepare(doc, analyzer)
    full.add_document(**prepared.fields(public=False))
    if prepared.visibility == "public":
        public.add_document(**prepared.fields(public=True))


def _unique(docs: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Skip repeated ids: in a fresh index a duplicate would be indexed twice."""
    seen: set[int] = set()
    for doc in docs:
        doc_id = int(doc["id"])
        if doc_id not in seen:
            seen.add(doc_id)
            yield doc


def build_serial(
    directory: Path, docs: Iterable[dict[str, Any]], analyzer: Analyzer, progress: Progress
) -> int:
    """Index documents in this process."""
    public, full = _writers(directory, lock=True)
    count = 0
    try:
        for doc in docs:
            _add(public, full, doc, analyzer)
            count += 1
            if progress is not None:
                progress(count)
        public.commit(mergetype=NO_MERGE)
        full.commit(mergetype=NO_MERGE)
    except BaseException:
        for writer in (public, full):
            if not writer.is_closed:
                writer.cancel()
        raise
    return count


def _worker(directory: str, groups: list[list[str]] | None, jobs: Any, results: Any) -> None:
    """Index batches from `jobs` into this worker's own segments; report them on `results`."""
    try:
        analyzer = Analyzer(matcher_for(groups))
        public, full = _writers(Path(directory), lock=False)
        results.put(("ready", None, 0))
        count = 0
        while (batch := jobs.get()) is not None:
            for doc in batch:
                _add(public, full, doc, analyzer)
                count += 1
        # Only finalise: the shared temp directory belongs to the parent's writer.
        segments = [w._finalize_segment() if w._added else None for w in (public, full)]
        results.put(("ok", segments, count))
    except BaseException as error:  # reported to the parent, which raises
        results.put(("error", repr(error), 0))


def _commit_segments(directory: Path, name: str, segments: list[Any]) -> None:
    """Write one table of contents listing the workers' segments."""
    writer = SegmentWriter(FileStorage(str(directory / name)).open_index(), codec=codec())
    try:
        writer._close_segment()
        writer._commit_toc([s for s in segments if s is not None and s.doc_count_all()])
    finally:
        writer._finish()


def build_parallel(
    directory: Path,
    docs: Iterable[dict[str, Any]],
    groups: list[list[str]] | None,
    workers: int,
    progress: Progress,
) -> int | None:
    """Index documents with `workers` spawned processes (None: workers could not start)."""
    ctx = multiprocessing.get_context("spawn")
    jobs = ctx.Queue(maxsize=workers * 4)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(str(directory), groups, jobs, results), daemon=True)
        for _ in range(workers)
    ]
    outcomes: list[tuple[str, Any, int]] = []
    try:
        for proc in procs:
            proc.start()
        ready = 0
        while ready < workers:
            status, detail, _ = results.get(timeout=_START_TIMEOUT)
            if status != "ready":
                raise RuntimeError(f"search indexing worker failed to start: {detail}")
            ready += 1
    except Exception:
        # Typically a main script without an `if __name__ == "__main__"` guard, which
        # spawned processes cannot import; nothing has been consumed yet.
        _stop(procs)
        jobs.close()
        results.close()
        return None

    def put(item: Any) -> None:
        """Queue an item, failing fast if a worker died."""
        while True:
            try:
                jobs.put(item, timeout=_POLL)
                return
            except queue.Full:
                if not all(p.is_alive() for p in procs):
                    raise RuntimeError("a search indexing worker died") from None

    try:
        sent = 0
        iterator = iter(docs)
        while batch := list(itertools.islice(iterator, BATCH)):
            put(batch)
            for _ in batch:
                sent += 1
                if progress is not None:
                    progress(sent)
        for _ in procs:
            put(None)
        while len(outcomes) < workers:
            try:
                outcomes.append(results.get(timeout=_POLL))
            except queue.Empty:
                if not any(p.is_alive() for p in procs) and results.empty():
                    raise RuntimeError("search indexing workers exited without reporting") from None
        errors = [detail for status, detail, _ in outcomes if status != "ok"]
        if errors:
            raise RuntimeError(f"search indexing worker failed: {errors[0]}")
        _commit_segments(directory, "public", [segs[0] for _, segs, _ in outcomes])
        _commit_segments(directory, "full", [segs[1] for _, segs, _ in outcomes])
        return sum(count for _, _, count in outcomes)
    finally:
        _stop(procs)
        jobs.close()
        results.close()


def _stop(procs: list[Any]) -> None:
    """Wait for workers to exit, terminating stragglers."""
    for proc in procs:
        if proc.pid is None:
            continue
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()
            proc.join()


def build(
    directory: Path,
    docs: Iterable[dict[str, Any]],
    analyzer: Analyzer,
    groups: list[list[str]] | None,
    progress: Progress,
    workers: int | None,
) -> int:
    """Index documents into the fresh indexes of `directory`; return how many."""
    unique = _unique(docs)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    head = list(itertools.islice(unique, PARALLEL_THRESHOLD))
    stream = itertools.chain(head, unique)
    if workers > 1 and len(head) >= PARALLEL_THRESHOLD:
        count = build_parallel(directory, stream, groups, workers, progress)
        if count is not None:
            return count
    return build_serial(directory, stream, analyzer, progress)
