"""Bulk indexing for rebuilds: serial for small inputs, worker processes for large ones.

Each worker analyses its share of testimonies and writes its own segment of every physical
index (the way Whoosh's multi-segment writer does); the parent then commits one table
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
from .schema import INDEXES, audience_documents, codec, prepare

PARALLEL_THRESHOLD = 64
BATCH = 8
WRITER_MB = 256
_POLL = 0.5
_START_TIMEOUT = 60.0

Progress = Callable[[int], None] | None
# One writer set's segments: {index: segment} written for one index, and {group: segment}
# written into the group's first index and shared (hard-linked) by all of its indexes.
Segments = tuple[dict[str, Any], dict[tuple[str, ...], Any]]


class _Writers:
    """One build's writers: one per index, plus one per group of indexes sharing documents.

    A testimony whose document is the same for several audiences (a public testimony is
    usually the same for the public and researchers) is written once, into a segment of the
    group's first index whose files are hard-linked into the others, instead of having its
    postings written once per index.
    """

    def __init__(self, directory: Path) -> None:
        """Open unlocked writers (the build directory belongs to this rebuild alone)."""
        self.directory = directory
        self.own = {name: self._writer(name) for name in INDEXES}
        self.shared: dict[tuple[str, ...], SegmentWriter] = {}

    def _writer(self, name: str) -> SegmentWriter:
        index = FileStorage(str(self.directory / name)).open_index()
        return SegmentWriter(index, _lk=False, limitmb=WRITER_MB, codec=codec())

    def add(self, doc: dict[str, Any], analyzer: Analyzer) -> None:
        """Analyse one testimony's audience documents and add each where it belongs."""
        for group, sub in audience_documents(doc):
            prepared = prepare(sub, analyzer, group)
            if len(group) == 1:
                self.own[group[0]].add_document(**prepared.fields())
                continue
            writer = self.shared.get(group)
            if writer is None:
                writer = self.shared[group] = self._writer(group[0])
            writer.add_document(**prepared.fields())

    def finish(self) -> Segments:
        """Write out the segments of the documents added (None where a writer got none).

        Writers are only finalised: the temp directory they share belongs to the writer that
        commits the tables of contents. An empty writer's files are removed by that commit.
        """
        def done(writer: SegmentWriter) -> Any:
            if writer._added:
                return writer._finalize_segment()
            writer._close_segment()
            return None

        return ({name: done(w) for name, w in self.own.items()},
                {group: done(w) for group, w in self.shared.items()})

    def cancel(self) -> None:
        """Drop whatever was written."""
        for writer in [*self.own.values(), *self.shared.values()]:
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
    """List every writer set's segments in each index's table of contents, linking shared ones."""
    for name in INDEXES:
        segments = [own.get(name) for own, _ in written]
        for _, shared in written:
            for group, segment in shared.items():
                if segment is None or name not in group:
                    continue
                if name != group[0]:
                    source = FileStorage(str(directory / group[0]))
                    for filename in segment.list_files(source):
                        try:
                            os.link(directory / group[0] / filename, directory / name / filename)
                        except OSError:
                            shutil.copy2(directory / group[0] / filename, directory / name / filename)
                segments.append(segment)
        _commit_segments(directory, name, segments)


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
