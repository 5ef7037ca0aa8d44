"""On-disk layout: index generations, locking with back-off, merge policy, rebuild swaps.

(Over 400 lines on purpose: every step that touches the directory, with its locking, is here and
nowhere else, so the crash-safety rules can be checked in one reading.)

Layout of the index directory::

    current -> gen-<id>          symlink, replaced atomically when a rebuild finishes
    gen-<id>/public/             Whoosh index: what the public may read (public testimonies,
                                 consented transcripts without restricted passages, generalised profiles)
    gen-<id>/researcher/         Whoosh index: what approved researchers may read (the same rules,
                                 public and researchers-only testimonies)
    gen-<id>/staff/              Whoosh index: every testimony, restricted text in separate fields
    build-<id>/                  a rebuild in progress (with journal.jsonl of concurrent changes)
    init-<id>/                   the first, empty generation being created by ensure()
    REBUILDING                   names the build directory while a rebuild runs
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError, FileIndex, LockError
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from .results import IndexBusy
from .schema import INDEXES, SCHEMA_VERSION, build_schema, codec

PUBLIC, RESEARCHER, STAFF = INDEXES
CURRENT = "current"
MARKER = "REBUILDING"
JOURNAL = "journal.jsonl"
WRITER_MB = 128

# Segments above this many testimonies are only merged by rebuild/optimize, so that an
# apply() never holds the lock for a long merge of 10,000-word transcripts.
_MAX_MERGE_DOCS = 256
_TIER_BASE = 4
_TIER_WIDTH = 4
_PURGE_RATIO = 0.25
# With background merging, a save merges in the foreground only beyond this many small segments.
_MAX_SMALL_SEGMENTS = 24


class MergeAborted(Exception):
    """A background merge gave way to a writer that wants the lock."""


class _AbortableReader(SegmentReader):
    """A segment reader whose postings stream stops when `abort` is set (background merges)."""

    def __init__(self, storage: Any, schema: Any, segment: Any, abort: threading.Event) -> None:
        super().__init__(storage, schema, segment)
        self._abort = abort

    def iter_postings(self) -> Iterator[Any]:
        """Yield postings, checking the abort flag every few thousand."""
        abort = self._abort
        for count, item in enumerate(super().iter_postings()):
            if not count & 2047 and abort.is_set():
                raise MergeAborted()
            yield item


def _merge_plan(segments: list[Any]) -> tuple[list[Any], list[Any]]:
    """Split segments into (keep, merge) by logarithmic tiers; drop empty ones."""
    keep: list[Any] = []
    merge: list[Any] = []
    tiers: dict[int, list[Any]] = defaultdict(list)
    for seg in segments:
        total, live = seg.doc_count_all(), seg.doc_count()
        if live == 0:
            continue  # every document deleted: leaving it out of the TOC removes it
        if total > _MAX_MERGE_DOCS:
            keep.append(seg)
        elif total - live > total * _PURGE_RATIO:
            merge.append(seg)  # rewriting drops the deleted documents' terms from the lexicon
        else:
            tiers[int(math.log(total, _TIER_BASE))].append(seg)
    for group in tiers.values():
        (merge if len(group) >= _TIER_WIDTH else keep).extend(group)
    return keep, merge


def needs_merge(segments: list[Any]) -> bool:
    """Tell whether the tiered policy would merge (or drop) any of these segments."""
    keep, merge = _merge_plan(segments)
    return bool(merge) or len(keep) != len(segments)


def merge_policy(writer: SegmentWriter, segments: list[Any], abort: threading.Event | None = None) -> list[Any]:
    """Merge small segments in logarithmic tiers; purge deletion-heavy ones; drop empty ones."""
    keep, merge = _merge_plan(segments)
    for seg in merge:
        if abort is None:
            reader = SegmentReader(writer.storage, writer.schema, seg)
        else:
            if abort.is_set():
                raise MergeAborted()
            reader = _AbortableReader(writer.storage, writer.schema, seg, abort)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
    return keep


def live_only_policy(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """Merge nothing; drop segments whose documents are all deleted."""
    return [seg for seg in segments if seg.doc_count() > 0]


def light_policy(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """Merge nothing unless small segments pile up; always drop fully deleted segments.

    Used when merging happens in the background: a curator's save only writes its own
    small segment. If background merges cannot keep up, the tiered merge runs here.
    """
    small = sum(1 for seg in segments if seg.doc_count_all() <= _MAX_MERGE_DOCS)
    if small > _MAX_SMALL_SEGMENTS:
        return merge_policy(writer, segments)
    return [seg for seg in segments if seg.doc_count() > 0]


def optimize_policy(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """Merge every segment into one (used by optimize() and rebuild journals)."""
    for seg in segments:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return []


def _backoff(deadline: float, attempt: int) -> bool:
    """Sleep a jittered, growing delay; return False once the deadline has passed."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    delay = min(0.005 * (2**attempt), 0.25, remaining) * random.uniform(0.5, 1.5)
    time.sleep(max(delay, 0.001))
    return True


@dataclass
class Writers:
    """Open writers on every physical index of one generation (every lock held)."""

    gen: str
    by_index: dict[str, SegmentWriter]
    journal: Path | None
    # The indexes the batch changed (None: all); the others are released without a commit.
    changed: set[str] | None = None

    def __getitem__(self, name: str) -> SegmentWriter:
        return self.by_index[name]

    def cancel(self) -> None:
        """Release every lock without writing anything (never masks the original error)."""
        for writer in self.by_index.values():
            if writer.is_closed:
                continue
            try:
                writer.cancel()
            except Exception:
                lock = writer.writelock
                if lock is not None and lock.fd is not None:
                    lock.release()


class Store:
    """Index generations under one directory, safe for several processes at once."""

    def __init__(self, root: Path, lock_timeout: float) -> None:
        """Manage the indexes under `root`; wait at most `lock_timeout` for locks."""
        self.root = Path(root)
        self.lock_timeout = lock_timeout

    # -- locating -------------------------------------------------------------------------

    def current(self) -> str | None:
        """Return the name of the live generation, or None before ensure()."""
        try:
            name = os.readlink(self.root / CURRENT)
        except OSError:
            return None
        return name if (self.root / name).is_dir() else None

    def schema_version(self) -> str | None:
        """Return the schema version the current generation was built with (None: no index)."""
        gen = self.current()
        if gen is None:
            return None
        try:
            return (self.root / gen / "VERSION").read_text().strip()
        except OSError:
            return ""  # built before versions were recorded

    def path(self, gen: str, name: str) -> Path:
        """Return the directory of one physical index of a generation."""
        return self.root / gen / name

    def open(self, gen: str, name: str) -> FileIndex:
        """Open one physical index of a generation."""
        return FileStorage(str(self.path(gen, name))).open_index()

    def _lock(self, name: str) -> Any:
        """Return a Whoosh file lock in the root directory."""
        return FileStorage(str(self.root)).lock(name)

    def _acquire(self, name: str, timeout: float) -> Any:
        """Acquire a named lock in the root directory with back-off, or raise IndexBusy."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = self._lock(name)
        deadline = time.monotonic() + timeout
        attempt = 0
        while not lock.acquire(blocking=False):
            if not _backoff(deadline, attempt):
                raise IndexBusy(f"search index lock {name!r} is busy")
            attempt += 1
        return lock

    # -- creating -------------------------------------------------------------------------

    def _create_generation(self, directory: Path) -> None:
        """Create an empty index per audience in `directory`."""
        for name in INDEXES:
            (directory / name).mkdir(parents=True, exist_ok=True)
            FileStorage(str(directory / name)).create_index(build_schema())
        (directory / "VERSION").write_text(SCHEMA_VERSION)

    def complete(self, gen: str) -> None:
        """Add empty indexes an older generation lacks (the layout before one index per audience).

        Such a generation is outdated and being rebuilt; until the swap, the audiences whose
        index is new find nothing rather than reading another audience's index.
        """
        if all(self.path(gen, name).is_dir() for name in INDEXES):
            return
        lock = self._acquire("INIT", max(self.lock_timeout, 30.0))
        try:
            for name in INDEXES:
                directory = self.path(gen, name)
                if directory.is_dir():
                    continue
                # Built aside and renamed: another process never opens a directory without an index.
                building = self.root / gen / f".{name}-{random.getrandbits(32):08x}"
                building.mkdir(parents=True)
                FileStorage(str(building)).create_index(build_schema())
                os.rename(building, directory)
        finally:
            lock.release()

    def _new_name(self, prefix: str) -> str:
        """Return a unique, time-ordered directory name."""
        return f"{prefix}-{time.time_ns():x}-{random.getrandbits(32):08x}"

    def _point_to(self, gen: str) -> None:
        """Atomically make `gen` the current generation."""
        tmp = self.root / self._new_name(".current")
        os.symlink(gen, tmp)
        os.replace(tmp, self.root / CURRENT)

    def ensure(self) -> str:
        """Create an empty generation if there is none; return the current one."""
        gen = self.current()
        if gen is not None:
            return gen
        lock = self._acquire("INIT", max(self.lock_timeout, 30.0))
        try:
            gen = self.current()
            if gen is None:
                building = self.root / self._new_name("init")
                self._create_generation(building)
                gen = self._new_name("gen")
                os.rename(building, self.root / gen)
                self._point_to(gen)
            return gen
        finally:
            lock.release()

    # -- writing --------------------------------------------------------------------------

    def _try_writer(self, gen: str, name: str) -> SegmentWriter | None:
        """Open a writer without waiting (None if the index is locked)."""
        try:
            return SegmentWriter(self.open(gen, name), timeout=0.0, limitmb=WRITER_MB, codec=codec())
        except LockError:
            return None

    def lock_current(self, timeout: float | None = None) -> Writers:
        """Open writers on every index of the current generation, retrying while busy."""
        deadline = time.monotonic() + (self.lock_timeout if timeout is None else timeout)
        attempt = 0
        while True:
            gen = self.ensure()
            opened: dict[str, SegmentWriter] = {}
            try:
                self.complete(gen)
                for name in INDEXES:
                    writer = self._try_writer(gen, name)
                    if writer is None:
                        break
                    opened[name] = writer
            except (OSError, EmptyIndexError):
                pass  # the generation vanished under us (a rebuild swapped it): look again
            if len(opened) == len(INDEXES):
                if self.current() == gen:
                    return Writers(gen, opened, self._journal())
                Writers(gen, opened, None).cancel()
                continue  # a rebuild swapped generations while we waited: retry at once
            Writers(gen, opened, None).cancel()
            if not _backoff(deadline, attempt):
                raise IndexBusy("search index is locked by another writer")
            attempt += 1

    @contextmanager
    def writers(self, merge: bool = True) -> Iterator[Writers]:
        """Hold the writers of the current generation; commit public, researcher, then staff.

        With `merge` False, small segments are left for merge() (run in the background).
        """
        held = self.lock_current()
        policy = merge_policy if merge else light_policy
        try:
            yield held
            # A caller may already have committed a writer itself (see commit_shared()).
            for name, writer in held.by_index.items():
                if writer.is_closed:
                    continue
                if held.changed is None or name in held.changed:
                    writer.commit(mergetype=policy)
                else:
                    writer.cancel()
        except BaseException:
            held.cancel()
            raise

    def commit_shared(self, held: Writers, group: tuple[str, ...], merge: bool) -> None:
        """Commit the new segment of `group[0]` and add the very same files to the group's other indexes.

        For testimonies whose documents are identical for several audiences (typically public and
        researcher), writing postings once and hard-linking the segment files saves the work of
        a save. The first commit merges nothing, so its new segment holds exactly the documents
        added in this batch (the caller adds nothing else to that writer).
        """
        primary = held[group[0]]
        primary.commit(mergetype=live_only_policy)
        segment = primary.get_segment()
        source = self.path(held.gen, group[0])
        policy = merge_policy if merge else light_policy
        for other in group[1:]:
            target = self.path(held.gen, other)
            for name in segment.list_files(primary.storage):
                try:
                    os.link(source / name, target / name)
                except OSError:
                    shutil.copy2(source / name, target / name)
            shared = copy.copy(segment)
            held[other].commit(
                mergetype=lambda writer, segments, shared=shared: [*policy(writer, segments), shared])

    def needs_merge(self) -> bool:
        """Tell whether any index of the current generation has segments to merge."""
        gen = self.current()
        if gen is None:
            return False
        try:
            return any(needs_merge(self.open(gen, name)._segments()) for name in INDEXES)
        except (OSError, EmptyIndexError):
            return False

    def too_many_small(self) -> bool:
        """Tell whether small segments have piled up beyond what saves leave to the background."""
        gen = self.current()
        if gen is None:
            return False
        try:
            return any(
                sum(1 for seg in self.open(gen, name)._segments() if seg.doc_count_all() <= _MAX_MERGE_DOCS)
                > _MAX_SMALL_SEGMENTS
                for name in INDEXES
            )
        except (OSError, EmptyIndexError):
            return False

    def merge(self, abort: threading.Event) -> bool:
        """Run the tiered merge if the lock is free; give up (cleanly) as soon as `abort` is set.

        Returns True if a merge was committed.
        """
        if abort.is_set():
            return False
        try:
            held = self.lock_current(timeout=0.0)
        except IndexBusy:
            return False
        def policy(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
            """The tiered merge, abortable while reading and while writing the merged segment."""
            keep = merge_policy(writer, segments, abort)
            if abort.is_set():
                raise MergeAborted()
            pool = writer.pool
            postings = pool.iter_postings

            def iter_postings() -> Iterator[Any]:
                """Stream the merged postings, stopping if a save wants the lock."""
                for count, item in enumerate(postings()):
                    if not count & 2047 and abort.is_set():
                        raise MergeAborted()
                    yield item

            pool.iter_postings = iter_postings
            return keep

        try:
            for writer in held.by_index.values():
                # Only indexes with work are committed: a merge of one audience's index must not
                # depend on writes to another's (see Writers.changed).
                if needs_merge(writer.segments):
                    writer.commit(mergetype=policy)
                else:
                    writer.cancel()
        except MergeAborted:
            held.cancel()
            return False
        except BaseException:
            held.cancel()
            raise
        return True

    def optimize(self) -> None:
        """Merge each physical index into a single segment (purges lingering deleted terms)."""
        held = self.lock_current()
        try:
            for writer in held.by_index.values():
                writer.commit(mergetype=optimize_policy)
        except BaseException:
            held.cancel()
            raise

    # -- rebuild journal --------------------------------------------------------------------

    def _journal(self) -> Path | None:
        """Return the journal of a running rebuild (called with every write lock held)."""
        try:
            build = (self.root / MARKER).read_text().strip()
        except OSError:
            return None
        try:
            lock = self._lock("REBUILD")
            if lock.acquire(blocking=False):
                # Nobody is rebuilding: the marker was left behind by a crashed rebuild.
                lock.release()
                (self.root / MARKER).unlink(missing_ok=True)
                return None
        except OSError:
            return None
        path = self.root / build
        return path / JOURNAL if path.is_dir() else None

    @staticmethod
    def record(journal: Path, upserts: list[dict[str, Any]], deletes: list[int]) -> None:
        """Append one apply() batch so the rebuild can replay it before swapping."""
        line = json.dumps({"upserts": upserts, "deletes": deletes}, ensure_ascii=False, default=str)
        try:
            with open(journal, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except FileNotFoundError:
            pass  # the rebuild failed and removed its directory: nobody will replay this

    # -- rebuild --------------------------------------------------------------------------

    def rebuild(
        self,
        build: Callable[[Path], int],
        replay: Callable[[Path, list[dict[str, Any]]], None],
    ) -> int:
        """Run `build(dir)` into a fresh generation, replay concurrent changes, swap it in."""
        rebuild_lock = self._acquire("REBUILD", self.lock_timeout)
        try:
            self.ensure()
            self._remove_builds()
            name = self._new_name("build")
            directory = self.root / name
            self._create_generation(directory)
            (directory / JOURNAL).touch()
            held = self.lock_current()
            (self.root / MARKER).write_text(name)
            held.cancel()
            try:
                count = build(directory)
                # Waiting long here is fine: giving up would throw away the whole build.
                held = self.lock_current(timeout=max(self.lock_timeout * 10, 120.0))
                try:
                    batches = [
                        json.loads(line) for line in (directory / JOURNAL).read_text().splitlines() if line
                    ]
                    if batches:
                        replay(directory, batches)
                    (directory / JOURNAL).unlink()
                    gen = self._new_name("gen")
                    os.rename(directory, self.root / gen)
                    self._point_to(gen)
                    (self.root / MARKER).unlink(missing_ok=True)
                finally:
                    held.cancel()
            except BaseException:
                (self.root / MARKER).unlink(missing_ok=True)
                shutil.rmtree(directory, ignore_errors=True)
                raise
            self._remove_old_generations()
            return count
        finally:
            rebuild_lock.release()

    def _remove_builds(self) -> None:
        """Delete build directories of crashed rebuilds (we hold the rebuild lock)."""
        for path in self.root.glob("build-*"):
            shutil.rmtree(path, ignore_errors=True)

    def _remove_old_generations(self) -> None:
        """Keep the current and the previous generation (readers elsewhere may still use it)."""
        current = self.current()
        gens = sorted(p.name for p in self.root.glob("gen-*") if p.name != current)
        for name in gens[:-1]:
            shutil.rmtree(self.root / name, ignore_errors=True)
        for path in self.root.glob(".current-*"):
            path.unlink(missing_ok=True)
