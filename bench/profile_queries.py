"""Profile the query mix of search_speed.py on an archive built earlier, beside SQLite FTS5.

    .venv/bin/python bench/profile_queries.py --data-dir DIR [--queries 200] [--profile phrase]

DIR is an archive kept by `profile_update.py --data-dir DIR` (built there when missing). The FTS5
table is rebuilt from the archive's own segments, so both answer over the same text. The index is
quiet here (no saves, no background merge), unlike the query phase of search_speed.py, which
follows its timed saves.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import random
from pathlib import Path

from _common import Fts5, make_app, summary, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--profile", choices=["word", "multi", "phrase", "faceted", "korean"])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not (args.data_dir / "bench.sqlite3").exists():
        raise SystemExit(f"{args.data_dir}: no archive; build one with profile_update.py --data-dir")
    app = make_app(args.data_dir)
    from search_speed import fts_query, params_for, query_set
    from werkzeug.datastructures import MultiDict

    from archive.core.extensions import db
    from archive.models import Segment, Testimony
    from archive.search import requests as searching

    with app.app_context():
        texts: dict[int, list[str]] = {}
        for tid, text in db.session.execute(db.select(Segment.testimony_id, Segment.text)
                                            .order_by(Segment.testimony_id, Segment.start)):
            texts.setdefault(tid, []).append(text)
        titles = dict(db.session.execute(db.select(Testimony.id, Testimony.title)).all())
    fts = Fts5()
    _, build = timed(fts.add, [(tid, titles[tid], " ".join(segs)) for tid, segs in texts.items()])
    print(f"{len(texts)} testimonies; FTS5 built in {build:.1f} s")

    queries = query_set(random.Random(args.seed), texts, args.queries)
    profiler = cProfile.Profile() if args.profile else None
    service, base = [], []
    with app.app_context():
        searching.run(MultiDict({"q": "warmup"}), None)
        searching.run(MultiDict({"q": "조선"}), None)
        for query in queries:
            params = params_for(query)
            profiling = profiler is not None and query["kind"] == args.profile
            if profiling:
                profiler.enable()
            _, s = timed(searching.run, params, None)
            if profiling:
                profiler.disable()
            service.append(s)
            _, b = timed(fts_query, fts, query)
            base.append(b)
    print(f"search service: {summary(service)}")
    print(f"SQLite FTS5:    {summary(base)}")
    for kind in ("word", "multi", "phrase", "faceted", "korean"):
        sel = [i for i, q in enumerate(queries) if q["kind"] == kind]
        print(f"  {kind:<8} service {summary([service[i] for i in sel])} | FTS5 {summary([base[i] for i in sel])}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
