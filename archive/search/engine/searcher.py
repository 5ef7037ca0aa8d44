"""SearchEngine: the facade the rest of the archive uses (plain dicts in, dataclasses out).

Over 400 lines on purpose: it is the one class the archive talks to (apply, search, suggest, rebuild,
verify), and each method only sequences the modules beside it (compiler, ranking, facets, passages,
storage) under the same reader and writer locks; splitting it would split those locks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from archive.core.i18n import lazy_text as _l  # notices: in the reader's language, quoting input as text

from . import bulk, korean
from .analysis import Analyzer
from .compiler import Compiler
from .facets import DocTable, iter_bits, to_bits, widen_years
from .passages import find_moments, find_passages
from .places import matcher_for
from .query import ParsedQuery, parse
from .ranking import Weighting
from .results import AUDIENCES, FACETS, MAX_PER_PAGE, SORTS, Hit, Moment, Passage, SearchRequest, SearchResults
from .schema import INDEXES, SCHEMA_VERSION, PreparedDoc, audience_documents, codec, prepare
from .storage import PUBLIC, STAFF, Store, Writers, merge_policy
from .suggest import suggest

T = TypeVar("T")

log = logging.getLogger(__name__)

SUGGEST_BELOW = 3
MERGE_DELAY = 0.5
MAX_PASSAGES = 50
MAX_TESTIMONY_PASSAGES = 500
# What each audience searches in its own index (restricted text only exists in staff documents).
_TEXT_FIELDS = ("title", "names", "summary", "text")
_STAFF_TEXT_FIELDS = (*_TEXT_FIELDS, "rtext")

# One testimony: its audiences' documents, equal ones shared (empty: in no index).
Prepared = tuple[int, list[PreparedDoc]]


@dataclass
class _View:
    """A searcher on one physical index of one generation, with its document table."""

    gen: str
    searcher: Any
    table: DocTable

    def close(self) -> None:
        """Close the searcher."""
        # A searcher whose generation was deleted may fail to close; nothing is left to release.
        with contextlib.suppress(Exception):
            self.searcher.close()


def _deleter(writer: SegmentWriter, table: DocTable | None) -> Callable[[int], bool]:
    """Return a function deleting one testimony from the index `writer` holds (True if it was there).

    With the document table of a searcher on exactly the writer's segments, deleting is a
    dictionary lookup; otherwise Whoosh opens a reader over every segment to find the term.
    """
    if table is None:
        return lambda doc_id: bool(writer.delete_by_term("id", str(doc_id)))

    def delete(doc_id: int) -> bool:
        """Mark the testimony's current document deleted."""
        docnum = table.by_id.get(doc_id)
        if docnum is None:
            return False
        writer.delete_document(docnum)
        return True

    return delete


def _write(
    writers: Writers | dict[str, SegmentWriter],
    prepared: list[Prepared],
    removed: Iterable[int],
    tables: dict[str, DocTable | None] | None = None,
    shared: tuple[str, ...] = (),
) -> set[str]:
    """Replace each testimony's document in every index: its audiences' documents in, others out.

    With `shared`, documents for exactly that group of indexes are written only into its first
    index (whose new segment commit_shared() then links into the others). Returns the indexes
    that changed: the others must not be committed, so that a testimony hidden from an
    audience never even triggers a merge of that audience's index (merges purge deleted
    documents, which changes ranking statistics).
    """
    deleters = {name: _deleter(writers[name], (tables or {}).get(name)) for name in INDEXES}
    changed: set[str] = set()

    def delete(doc_id: int) -> None:
        for name, deleter in deleters.items():
            if deleter(doc_id):
                changed.add(name)

    for doc_id, docs in prepared:
        delete(doc_id)
        for doc in docs:
            fields = doc.fields()
            targets = doc.indexes[:1] if shared and doc.indexes == shared else doc.indexes
            for name in targets:
                writers[name].add_document(**fields)
            changed.update(doc.indexes)
    for doc_id in removed:
        delete(doc_id)
    return changed


def _shared_group(prepared: list[Prepared]) -> tuple[str, ...]:
    """The group of indexes every testimony of the batch shares one document with, if there is one.

    A segment can only be linked into other indexes if every document in it belongs there: the
    batch qualifies when all its testimonies split the indexes the same way, with one group of
    several indexes (typically public + researcher, the staff document differing).
    """
    layouts = {tuple(doc.indexes for doc in docs) for _, docs in prepared}
    if len(layouts) != 1:
        return ()
    groups = [group for group in next(iter(layouts)) if len(group) > 1]
    return groups[0] if len(groups) == 1 else ()


class SearchEngine:
    """Full-text search over testimonies with one index per audience (public, researcher, staff)."""

    def __init__(
        self,
        index_dir: Path,
        place_groups: list[list[str]] | None = None,
        *,
        lock_timeout: float = 15.0,
        background_merge: bool = False,
    ) -> None:
        """Use `index_dir` for the indexes; `place_groups` lists spellings of each place.

        With `background_merge`, apply() only writes the changed testimonies and a thread of
        this process merges small segments afterwards, giving way whenever apply() needs the
        lock (a curator's save then never waits for a merge started by this process).
        """
        self.index_dir = Path(index_dir)
        self._background = background_merge
        self._merge_thread: threading.Thread | None = None
        self._merge_guard = threading.Lock()
        self._merge_abort = threading.Event()  # set while apply() wants or holds the lock
        self._merging = threading.Lock()  # held by the merge thread while it may hold index locks
        self._writing = 0
        self._closing = False
        self._store = Store(self.index_dir, lock_timeout)
        self._groups = [list(g) for g in place_groups] if place_groups else None
        self._analyzer = Analyzer(matcher_for(self._groups))
        self._lock = threading.RLock()
        self._views: dict[str, _View] = {}
        self._weighting = Weighting()

    # -- writing --------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create empty indexes if there are none yet."""
        self._store.ensure()

    def _prepare(self, docs: Iterable[dict[str, Any]]) -> list[Prepared]:
        """Analyse each distinct audience document of each testimony once."""
        return [
            (int(doc["id"]), [prepare(sub, self._analyzer, group) for group, sub in audience_documents(doc)])
            for doc in docs
        ]

    def apply(self, upserts: list[dict[str, Any]], deletes: list[int]) -> None:
        """Add/replace and delete testimonies in one writer batch per physical index.

        Each testimony's document for an audience replaces the old one in that audience's
        index; an audience without a document (not allowed to see it) loses it.

        Raises IndexBusy when another process holds the index for longer than lock_timeout.
        A testimony both upserted and deleted in one batch ends up deleted.
        """
        latest = {int(doc["id"]): doc for doc in upserts}
        removed = {int(doc_id) for doc_id in deletes}
        # Analyse before taking the lock: Kiwi time should not block other writers.
        prepared = self._prepare(doc for doc_id, doc in latest.items() if doc_id not in removed)
        shared = _shared_group(prepared) if prepared else ()
        with self._merge_guard:
            self._writing += 1
            self._merge_abort.set()
        try:
            with self._merging:
                pass  # this process's merge has given the index locks back
            with self._store.writers(merge=not self._background) as held:
                if held.journal is not None:
                    self._store.record(held.journal, list(latest.values()), sorted(removed))
                with self._lock:
                    tables = {name: self._table_for(name, held) for name in INDEXES}
                held.changed = _write(held, prepared, removed, tables, shared)
                if shared:
                    self._store.commit_shared(held, shared, merge=not self._background)
        finally:
            with self._merge_guard:
                self._writing -= 1
                if not self._writing:
                    self._merge_abort.clear()
        if shared and (not self._background or self._store.too_many_small()):
            # The shared path commits its first index without merging: merge now (best effort).
            self._store.merge(threading.Event())
        if self._background:
            self._schedule_merge()

    def warm_up(self, wait: bool = False) -> None:
        """Load Kiwi and the Hangul place names, in a background thread unless `wait`.

        Otherwise the first Korean text a process analyses (a save or a search) waits one to
        three seconds for the model to load. gunicorn's master calls this with `wait` before
        forking (gunicorn.conf.py), so that every worker shares the one model it loaded;
        a worker's own warm-up then finds it loaded.
        """

        def warm() -> None:
            """Analyse a Korean word once (and a query word, which takes Korean bigrams)."""
            try:
                self._analyzer.tokens("조선로동당의")
                korean.query_grams("조선로동당의")
            except Exception:  # only an optimisation: the first real use loads Kiwi again
                log.warning("could not preload the Korean analyser", exc_info=True)

        if wait:
            warm()
        else:
            threading.Thread(target=warm, name="search-warm-up", daemon=True).start()

    def _table_for(self, name: str, held: Any) -> DocTable | None:
        """Return the cached document table if its searcher reads exactly the locked segments."""
        view = self._views.get(name)
        if view is None or view.gen != held.gen:
            return None
        writer = held[name]
        try:
            if view.searcher.reader().generation() == writer.generation - 1:
                return view.table
        except Exception:  # a closed or vanished searcher: fall back to searching the term
            return None
        return None

    def _schedule_merge(self) -> None:
        """Start the background merge thread unless it is already running."""
        with self._merge_guard:
            if self._closing or (self._merge_thread is not None and self._merge_thread.is_alive()):
                return
            self._merge_thread = threading.Thread(target=self._merge_loop, name="search-merge", daemon=True)
            self._merge_thread.start()

    def _merge_loop(self) -> None:
        """Merge while the tiered policy finds work, after a short quiet period each time."""
        try:
            while not self._closing:
                time.sleep(MERGE_DELAY)
                if self._closing:
                    return
                if self._merge_abort.is_set():
                    continue  # a save is under way; try again after it
                if not self._store.needs_merge():
                    return
                with self._merging:
                    self._store.merge(self._merge_abort)
        except Exception:  # never let a maintenance thread take the process down
            log.warning("background merge of the search index failed", exc_info=True)

    def settle(self, timeout: float = 600.0) -> bool:
        """Wait for this process's background merge to finish; False if it still runs."""
        thread = self._merge_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=timeout)
            return not thread.is_alive()
        return True

    def schema_outdated(self) -> str | None:
        """Return the on-disk schema version if it differs from this code's, else None."""
        found = self._store.schema_version()
        if found is None or found == SCHEMA_VERSION:
            return None
        return found or "unknown"

    def optimize(self) -> None:
        """Merge each index into one segment, purging terms of deleted testimonies."""
        self._store.optimize()

    def rebuild(
        self,
        docs: Iterable[dict[str, Any]],
        progress: Callable[[int], None] | None = None,
        *,
        workers: int | None = None,
    ) -> int:
        """Index `docs` into fresh indexes and swap them in atomically; return the count.

        Readers (here and in other processes) keep using the old indexes until the swap;
        apply() calls made meanwhile are journaled and replayed before it. Large inputs are
        indexed by `workers` processes (default: one per CPU, at most four).
        """

        def build(directory: Path) -> int:
            """Index `docs` into the fresh generation."""
            return bulk.build(directory, docs, self._analyzer, self._groups, progress, workers)

        def replay(directory: Path, batches: list[dict[str, Any]]) -> None:
            """Apply journaled changes to the fresh generation."""
            # Collapse the journal to the final state of each testimony, then apply it once.
            final: dict[int, dict[str, Any] | None] = {}
            for batch in batches:
                for doc in batch.get("upserts") or []:
                    final[int(doc["id"])] = doc
                for doc_id in batch.get("deletes") or []:
                    final[int(doc_id)] = None
            prepared = self._prepare(doc for doc in final.values() if doc is not None)
            removed = [doc_id for doc_id, doc in final.items() if doc is None]
            writers = {
                name: SegmentWriter(FileStorage(str(directory / name)).open_index(), codec=codec())
                for name in INDEXES
            }
            _write(writers, prepared, removed)
            for writer in writers.values():
                writer.commit(mergetype=merge_policy)

        count = self._store.rebuild(build, replay)
        with self._lock:
            self._drop_views()
        return count

    # -- reading --------------------------------------------------------------------------

    def close(self) -> None:
        """Stop background merging and release open searchers."""
        self._closing = True
        self._merge_abort.set()
        thread = self._merge_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        self._closing = False
        self._merge_abort.clear()
        with self._lock:
            self._drop_views()

    def _drop_views(self) -> None:
        """Close every cached searcher (the next read reopens)."""
        for view in self._views.values():
            view.close()
        self._views.clear()

    def _view(self, name: str) -> _View | None:
        """Return a searcher for the current index state, reopening after changes or swaps."""
        gen = self._store.current()
        if gen is None:
            return None
        view = self._views.get(name)
        if view is not None and view.gen == gen:
            try:
                if view.searcher.up_to_date():
                    return view
            except OSError:
                pass
        if view is not None:
            view.close()
            del self._views[name]
        self._store.complete(gen)
        searcher = self._store.open(gen, name).searcher(weighting=self._weighting)
        try:
            view = _View(gen, searcher, DocTable.load(searcher.reader()))
        except BaseException:
            searcher.close()
            raise
        self._views[name] = view
        return view

    def _retrying(self, action: Callable[[], T]) -> T:
        """Run a read; if a concurrent rebuild or merge pulled files away, reopen and retry once."""
        with self._lock:
            try:
                return action()
            except Exception:
                # Whoosh surfaces vanished or rewritten files as many error types (OSError,
                # ValueError from a closed mmap, struct/zlib errors...). Reopen and retry once;
                # a genuine bug fails again and propagates.
                self._drop_views()
                return action()

    @staticmethod
    def _audience_setup(audience: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        """Return (physical index, searchable fields, passage fields) for an audience.

        Every audience searches its own index, which holds only what it may read: scores,
        order and facet counts are computed from that set alone.
        """
        if audience not in AUDIENCES:
            raise ValueError(f"unknown audience {audience!r}; expected one of {AUDIENCES}")
        if audience == STAFF:
            return STAFF, _STAFF_TEXT_FIELDS, ("textpos", "rtextpos")
        return audience, _TEXT_FIELDS, ("textpos",)

    def stamps(self, audience: str = "staff") -> dict[int, str]:
        """Return id -> stamp of every testimony indexed for this audience."""
        index, _, _ = self._audience_setup(audience)

        def read() -> dict[int, str]:
            """Read under the retry guard."""
            view = self._view(index)
            if view is None:
                return {}
            table = view.table
            return {table.meta[d]["id"]: table.meta[d]["stamp"] for d in iter_bits(table.live)}

        return self._retrying(read)

    def search(self, request: SearchRequest) -> SearchResults:
        """Run one search; malformed queries are repaired and explained in `notices`."""
        self._audience_setup(request.audience)
        req = replace(
            request,
            page=max(1, _as_int(request.page, 1)),
            per_page=min(max(1, _as_int(request.per_page, 20)), MAX_PER_PAGE),
            max_passages=min(max(0, _as_int(request.max_passages, 5)), MAX_PASSAGES),
            filters=_clean_filters(request.filters),
        )
        if req.audience != STAFF:
            req = replace(req, filters=widen_years(req.filters))
        parsed = parse(req.q)
        return self._retrying(lambda: self._search(req, parsed, with_suggestion=True))

    def _search(self, req: SearchRequest, parsed: ParsedQuery, with_suggestion: bool) -> SearchResults:
        """Search one physical index for the audience, without retrying."""
        index, fields, passage_fields = self._audience_setup(req.audience)
        notices = list(parsed.notices)
        view = self._view(index)
        if view is None:
            return SearchResults(
                0, [], {name: {} for name in FACETS}, None, notices, req.page, req.per_page, 0
            )
        table = view.table
        allowed = table.live
        reader = view.searcher.reader()
        compiled = Compiler(self._analyzer, reader, fields, allowed).compile(parsed)
        notices.extend(compiled.notices)

        ranked: list[tuple[float, int]] = []
        if not parsed.text.strip():
            matched = allowed  # no query: list everything the filters select
        elif compiled.query is None:
            matched = 0
        else:
            results = view.searcher.search(compiled.query, limit=None)
            ranked = [(score, docnum) for score, docnum in results.top_n]
            matched = to_bits(docnum for _, docnum in ranked) & allowed

        filter_bits = table.filter_bits(req.filters, notices)
        selected = matched
        for bits in filter_bits.values():
            selected &= bits
        total = selected.bit_count()
        facets = table.counts(matched, filter_bits, req.filters)

        sort = req.sort
        if sort not in SORTS:
            notices.append(_l("Unknown sort order %(sort)s; results are sorted by relevance.", sort=repr(sort)))
            sort = "relevance"
        scores = {docnum: score for score, docnum in ranked}
        if sort == "relevance" and ranked:
            order = [docnum for _, docnum in ranked if (selected >> docnum) & 1]
        else:
            order = table.order(iter_bits(selected), "date" if sort == "relevance" else sort)
        first = (req.page - 1) * req.per_page
        page = order[first : first + req.per_page]

        passages = find_passages(
            view.searcher, page, compiled.units, passage_fields, req.audience == "staff", req.max_passages,
            compiled.strings,
        )
        hits = []
        for docnum in page:
            meta = table.meta[docnum]
            hits.append(
                Hit(
                    meta["id"],
                    meta["ext"],
                    float(scores.get(docnum, 0.0)),
                    meta["title"],
                    passages.get(docnum, []),
                )
            )

        suggestion = None
        if with_suggestion and total < SUGGEST_BELOW and compiled.spell:
            suggestion = self._suggest(req, parsed, compiled.spell, total)
        pages = -(-total // req.per_page)
        return SearchResults(total, hits, facets, suggestion, notices, req.page, req.per_page, pages)

    def _suggest(
        self, req: SearchRequest, parsed: ParsedQuery, spell: list[tuple[int, int, str]], total: int
    ) -> str | None:
        """Return a did-you-mean query built from the public index, if it finds hits."""
        public = self._view(PUBLIC)
        if public is None:
            return None

        def run(corrected: str) -> int:
            """Count what the corrected query finds for the same audience and filters."""
            probe = replace(req, q=corrected, page=1, per_page=1, max_passages=0)
            return self._search(probe, parse(corrected), with_suggestion=False).total

        return suggest(public.searcher.reader(), parsed.text, spell, total, run)

    def passages(self, testimony_id: int, q: str, audience: str) -> list[Passage]:
        """Return every segment of one testimony matching `q` that the audience may see."""
        index, fields, passage_fields = self._audience_setup(audience)
        parsed = parse(q)

        def read() -> list[Passage]:
            """Read under the retry guard."""
            view = self._view(index)
            if view is None or parsed.root is None:
                return []  # nothing to look for
            table = view.table
            docnum = table.by_id.get(int(testimony_id))
            if docnum is None or not (table.live >> docnum) & 1:
                return []
            compiler = Compiler(self._analyzer, view.searcher.reader(), fields, table.live)
            compiled = compiler.compile(parsed)
            found = find_passages(
                view.searcher, [docnum], compiled.units, passage_fields, audience == "staff", None,
                compiled.strings,
            )
            return found.get(docnum, [])[:MAX_TESTIMONY_PASSAGES]

        return self._retrying(read)

    def moments(self, testimony_id: int, q: str, audience: str) -> list[Moment]:
        """Return every segment of one testimony matching `q` for the audience, with the words to mark."""
        index, fields, passage_fields = self._audience_setup(audience)
        parsed = parse(q)

        def read() -> list[Moment]:
            """Read under the retry guard."""
            view = self._view(index)
            if view is None or parsed.root is None:
                return []
            docnum = view.table.by_id.get(int(testimony_id))
            if docnum is None or not (view.table.live >> docnum) & 1:
                return []
            compiled = Compiler(self._analyzer, view.searcher.reader(), fields, view.table.live).compile(parsed)
            found = find_moments(view.searcher, docnum, compiled.units, passage_fields, audience == "staff")
            return found[:MAX_TESTIMONY_PASSAGES]

        return self._retrying(read)


def _as_int(value: Any, default: int) -> int:
    """Read an integer request field, falling back to a default."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _clean_filters(filters: Any) -> dict[str, list[str]]:
    """Accept {facet: [values]} (or a single string value) and drop empty selections."""
    out: dict[str, list[str]] = {}
    if not isinstance(filters, dict):
        return out
    for name, values in filters.items():
        if isinstance(values, str):
            values = [values]
        cleaned = [str(v) for v in (values or []) if v is not None and str(v).strip()]
        if cleaned:
            out[str(name)] = cleaned
    return out
