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
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from .analysis import Analyzer
from .places import matcher_for
from .schema import codec, prepare

PARALLEL_THRESHOLD = 64
BATCH = 8
WRITER_MB = 256
_POLL = 0.5
_START_TIMEOUT = 60.0

Progress = Callable[[int], None] | None
# (public-only, full-only, shared) segments of one writer set.
Segments = tuple[Any, Any, Any]


class _Writers:
    """One build's writers: public-only and full-only documents, and documents shared by both.

    A public testimony without restricted text is the same document in both indexes (as in
    a curator's save): it is written once, into a segment of the public index whose files
    are hard-linked into the full index, instead of having its postings written twice.
    """

    def __init__(self, directory: Path) -> None:
        """Open unlocked writers (the build directory belongs to this rebuild alone)."""
        public = FileStorage(str(directory / "public")).open_index()
        full = FileStorage(str(directory / "full")).open_index()
        self.public, self.full, self.shared = (
            SegmentWriter(index, _lk=False, limitmb=WRITER_MB, codec=codec()) for index in (public, full, public)
        )

    def add(self, doc: dict[str, Any], analyzer: Analyzer) -> None:
        """Analyse one testimony and add it where its visibility allows."""
        prepared = prepare(doc, analyzer)
        if prepared.same_in_both():
            self.shared.add_document(**prepared.fields(public=True))
            return
        self.full.add_document(**prepared.fields(public=False))
        if prepared.visibility == "public":
            self.public.add_document(**prepared.fields(public=True))

    def finish(self) -> Segments:
        """Write out the segments of the documents added (None where a writer got none).

        Writers are only finalised: the temp directory they share belongs to the writer that
        commits the tables of contents. An empty writer's files are removed by that commit.
        """
        segments = []
        for writer in (self.public, self.full, self.shared):
            if writer._added:
                segments.append(writer._finalize_segment())
            else:
                writer._close_segment()
                segments.append(None)
        return segments[0], segments[1], segments[2]

    def cancel(self) -> None:
        """Drop whatever was written."""
        for writer in (self.public, self.full, self.shared):
            if not writer.is_closed:
                writer.cancel()


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
    writers = _Writers(directory)
    count = 0
    try:
        for doc in docs:
            writers.add(doc, analyzer)
            count += 1
            if progress is not None:
                progress(count)
        _commit(directory, [writers.finish()])
    except BaseException:
        writers.cancel()
        raise
    return count


def _worker(directory: str, groups: list[list[str]] | None, jobs: Any, results: Any) -> None:
    """Index batches from `jobs` into this worker's own segments; report them on `results`."""
    try:
        analyzer = Analyzer(matcher_for(groups))
        writers = _Writers(Path(directory))
        results.put(("ready", None, 0))
        count = 0
        while (batch := jobs.get()) is not None:
            for doc in batch:
                writers.add(doc, analyzer)
                count += 1
        results.put(("ok", writers.finish(), count))
    except BaseException as error:  # reported to the parent, which raises
        results.put(("error", repr(error), 0))


def _commit(directory: Path, written: list[Segments]) -> None:
    """List every writer set's segments in both tables of contents, sharing the shared ones."""
    shared = [segs[2] for segs in written if segs[2] is not None]
    _commit_segments(directory, "public", [segs[0] for segs in written] + shared)
    for segment in shared:
        for name in segment.list_files(FileStorage(str(directory / "public"))):
            try:
                os.link(directory / "public" / name, directory / "full" / name)
            except OSError:
                shutil.copy2(directory / "public" / name, directory / "full" / name)
    _commit_segments(directory, "full", [segs[1] for segs in written] + shared)


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
        _commit(directory, [segs for _, segs, _ in outcomes])
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
