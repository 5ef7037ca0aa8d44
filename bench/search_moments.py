"""Moments (issue 18): what showing every matching moment costs a search page, and marking a listening page.

Builds a synthetic index of N testimonies (segments of ~40 words from a small vocabulary, so common words
match many segments), then prints p50/p95 latencies of one results page (20 hits) asking for 5 passages per
hit (before) and 50 (now: every moment, up to the cap), their ratio, and of the listening page's
`moments()` (every matching line of one testimony with the spans to mark).

    .venv/bin/python bench/search_moments.py [--testimonies 500] [--segments 60] [--rounds 30]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.search.engine import SearchEngine, SearchRequest  # noqa: E402

WORDS = ("river night border broker famine market train soldier mother school factory harbour winter "
         "village field rice grass bark bridge guard camp letter radio church money phone boat road").split()


def corpus(n: int, segments: int, rng: random.Random) -> list[dict]:
    docs = []
    for i in range(1, n + 1):
        segs = [{"id": i * 1000 + k, "start": 10.0 * k, "end": 10.0 * k + 9.5,
                 "text": " ".join(rng.choices(WORDS, k=40)), "language": "en"} for k in range(segments)]
        docs.append({"id": i, "visibility": "public", "title": f"Testimony {i}", "languages": ["en"],
                     "segments": segs})
    return docs


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testimonies", type=int, default=500)
    parser.add_argument("--segments", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(18)
    with tempfile.TemporaryDirectory() as tmp:
        engine = SearchEngine(Path(tmp) / "index")
        started = time.perf_counter()
        engine.apply(corpus(args.testimonies, args.segments, rng), [])
        print(f"indexed {args.testimonies} testimonies x {args.segments} segments in "
              f"{time.perf_counter() - started:.1f} s")
        queries = ["river", "famine market", "\"border guard\"", "broker OR train", "winter"]
        results = {}
        for passages in (5, 50):
            times = []
            for _ in range(args.rounds):
                for q in queries:
                    t0 = time.perf_counter()
                    engine.search(SearchRequest(q=q, per_page=20, max_passages=passages))
                    times.append(time.perf_counter() - t0)
            results[passages] = percentiles(times)
            print(f"results page, {passages:>2} passages per hit: p50 {results[passages][0]:7.1f} ms  "
                  f"p95 {results[passages][1]:7.1f} ms")
        print(f"ratio 50/5: p50 {results[50][0] / results[5][0]:.2f}x  p95 {results[50][1] / results[5][1]:.2f}x")
        times = []
        for _ in range(args.rounds):
            for q in queries:
                t0 = time.perf_counter()
                engine.moments(rng.randint(1, args.testimonies), q, "public")
                times.append(time.perf_counter() - t0)
        p50, p95 = percentiles(times)
        print(f"listening page moments(): p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
        engine.close()


if __name__ == "__main__":
    main()
