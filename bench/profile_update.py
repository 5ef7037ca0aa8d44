"""Profile the curator-save path (segment edit until searchable) on a synthetic archive.

    .venv/bin/python bench/profile_update.py --testimonies 200 [--data-dir DIR] [--updates 5] [--profile out.prof]

With --data-dir an archive built by an earlier run is reused (no rebuild, no reindex).
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import time
from pathlib import Path

from _common import make_app, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--testimonies", type=int, default=200)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    reuse = args.data_dir is not None and (args.data_dir / "bench.sqlite3").exists()
    app = make_app(args.data_dir)
    app.config["SEARCH_SYNC"] = True
    from werkzeug.datastructures import MultiDict

    from archive.core.extensions import db
    from archive.models import Segment, Testimony
    from archive.search import sync as search_sync
    from archive.search import requests as searching
    from archive.curation import testimonies
    if not reuse:
        from search_speed import build_archive
        from _common import Fts5
        build_archive(app, args.testimonies, args.words, rng, Fts5())
        with app.app_context():
            start = time.perf_counter()
            search_sync.reindex()
            print(f"reindex {time.perf_counter() - start:.1f} s")
    profiler = cProfile.Profile() if args.profile else None
    latencies = []
    with app.app_context():
        ids = list(db.session.scalars(db.select(Testimony.id)))
        searching.run(MultiDict({"q": "warmup"}), None)
        searching.run(MultiDict({"q": "조선"}), None)  # Kiwi loaded, as in a process that has served a while
        for k in range(args.updates):
            tid = rng.choice(ids)
            word = f"zqprof{k}x{rng.randrange(10**6)}"
            t = db.session.get(Testimony, tid)
            seg = db.session.get(Segment, t.segments[0].id)
            if profiler:
                profiler.enable()
            start = time.perf_counter()
            testimonies.update_segment(t, seg, {"start": seg.start, "end": seg.end, "speaker": seg.speaker,
                                                "text": seg.text + " " + word, "language": seg.language}, None)
            mid = time.perf_counter()
            page = searching.run(MultiDict({"q": word}), None)
            end = time.perf_counter()
            if profiler:
                profiler.disable()
            assert any(h.id == tid for h in page.results.hits), "not found"
            latencies.append(end - start)
            print(f"update {k}: save+index {mid - start:.3f} s, search {end - mid:.3f} s", flush=True)
        gen = app.extensions["search"]._store.current()
        for name in ("public", "researcher", "staff"):
            segs = len(app.extensions["search"]._store.open(gen, name)._segments())
            print(f"{name}: {segs} segments")
    print("update until searchable:", summary(latencies))
    if profiler:
        profiler.dump_stats(str(args.profile))
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
