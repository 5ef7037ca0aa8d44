"""Search speed: reindex time, update latency and query latency beside SQLite FTS5, in one run.

Builds a synthetic archive of N testimonies (about --words words each, English drawn from the
Cranfield vocabulary and, for one in five, Korean from the New Year addresses, cut into
segments), then reports:
  * full reindex time (`search_sync.reindex`) vs building an FTS5 table of the same text;
  * single-testimony update latency: a curator's segment edit until the new word is found;
  * p50/p95 latency of a mixed query set (single words, multi-word, phrases, faceted, Korean)
    through the search service and through the HTTP API (a real server on 127.0.0.1), each beside
    FTS5 on the same text and queries: right after the saves (this process's background merge
    running) and again on the settled index;
  * the index's size on disk (hard-linked segment files counted once) beside the FTS5 database,
    and the memory of this process (which holds the app, the index and Kiwi) and of the rebuild's
    worker processes.

Targets (issue 17): reindex ≤ 15× FTS5; up to 2,000 testimonies HTTP p95 ≤ FTS5 p95 + 15 ms and
save-to-searchable p95 < 0.5 s; at 10,000 HTTP p95 ≤ FTS5 p95 + 40 ms and save-to-searchable < 1 s.

    .venv/bin/python bench/search_speed.py --testimonies 2000 [--words 10000] [--updates 20]
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import resource
import threading
import time
import urllib.parse
from pathlib import Path

from _common import ROOT, Fts5, summary, timed
from werkzeug.datastructures import MultiDict

SHARED = ROOT.parent / "shared" / "data"
PROVINCES = ["north-hamgyong", "ryanggang", "south-hamgyong", "pyongyang", "south-pyongan", "north-pyongan", "kangwon"]


def vocabularies(rng: random.Random) -> tuple[list[str], list[float], list[str]]:
    """English words with Zipf-like weights from Cranfield, and Korean sentences from the addresses."""
    text = (SHARED / "ir" / "cranfield" / "cran.all.1400").read_text(errors="replace").lower()
    counts: dict[str, int] = {}
    for word in re.findall(r"[a-z]{2,}", text):
        counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=counts.get, reverse=True)  # type: ignore[arg-type]
    weights = [1 / (rank + 10) for rank in range(len(words))]
    korean = []
    for path in sorted((SHARED / "ko").glob("*.txt")):
        korean += [s.strip() for s in re.split(r"(?<=[.!?])\s+", path.read_text()) if len(s.strip()) > 20]
    return words, weights, korean


def synthetic_text(rng: random.Random, words: list[str], weights: list[float], korean: list[str], n: int,
                   is_korean: bool) -> list[str]:
    """Segments of about 100 words each."""
    segments = []
    total = 0
    while total < n:
        if is_korean:
            seg = " ".join(rng.choice(korean) for _ in range(6))
        else:
            seg = " ".join(rng.choices(words, weights, k=100)) + " ."
        segments.append(seg)
        total += len(seg.split())
    return segments


def build_archive(app, n: int, n_words: int, rng: random.Random, fts: Fts5) -> dict[int, list[str]]:  # type: ignore[no-untyped-def]
    """Insert testimonies directly (no indexing), and the same text into FTS5."""
    from sqlalchemy import insert, select

    from archive.core.extensions import db
    from archive.models import Narrator, Place, Segment, Testimony

    words, weights, korean = vocabularies(rng)
    texts: dict[int, list[str]] = {}
    with app.app_context():
        provinces = {p.slug: p.id for p in db.session.scalars(select(Place).where(Place.kind == "province"))}
        fts_rows = []
        for i in range(1, n + 1):
            is_korean = i % 5 == 0
            province = PROVINCES[i % len(PROVINCES)]
            narrator_id = db.session.execute(insert(Narrator).values(
                pseudonym=f"Narrator {i}", gender="female" if i % 3 else "male", birth_year=1950 + i % 50,
                origin_province_id=provinces[province], left_north_year=1998 + i % 25,
                arrived_south_year=1998 + i % 25 + (i % 3)).returning(Narrator.id)).scalar_one()
            tid = db.session.execute(insert(Testimony).values(
                title=f"Synthetic testimony {i}", narrator_id=narrator_id, languages="ko" if is_korean else "en",
                access="public", status="published", consent_audio=True, consent_transcript=True,
                interview_date=f"{2005 + i % 19}", version=1).returning(Testimony.id)).scalar_one()
            segs = synthetic_text(rng, words, weights, korean, n_words, is_korean)
            texts[tid] = segs
            db.session.execute(insert(Segment), [
                {"testimony_id": tid, "position": p, "start": p * 30.0, "end": p * 30.0 + 29.0, "speaker": "Narrator",
                 "text": s, "language": "ko" if is_korean else "en", "restricted": False}
                for p, s in enumerate(segs, start=1)])
            fts_rows.append((tid, f"Synthetic testimony {i} {province}", " ".join(segs)))
            if i % 100 == 0:
                db.session.commit()
        db.session.commit()
    return texts, fts_rows  # type: ignore[return-value]


def query_set(rng: random.Random, texts: dict[int, list[str]], count: int) -> list[dict[str, str]]:
    """A mixed set: single words, multi-word, phrases, faceted, Korean."""
    english = [s for segs in texts.values() for s in segs[:2] if not re.search("[가-힣]", s)]
    korean = [s for segs in texts.values() for s in segs[:2] if re.search("[가-힣]", s)]
    queries = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            queries.append({"q": rng.choice(rng.choice(english).split()[:-1]), "kind": "word"})
        elif kind == 1:
            queries.append({"q": " ".join(rng.sample(rng.choice(english).split()[:-1], 3)), "kind": "multi"})
        elif kind == 2:
            seg = rng.choice(english).split()
            j = rng.randrange(0, len(seg) - 3)
            queries.append({"q": f'"{seg[j]} {seg[j + 1]}"', "kind": "phrase"})
        elif kind == 3:
            queries.append({"q": rng.choice(rng.choice(english).split()[:-1]), "province": rng.choice(PROVINCES),
                            "kind": "faceted"})
        else:
            words = [w for w in rng.choice(korean).split() if len(w) > 1] if korean else ["조선"]
            queries.append({"q": rng.choice(words), "kind": "korean"})
    return queries


def params_for(query: dict[str, str]) -> MultiDict:
    """The search parameters of one query of the mix."""
    return MultiDict({"q": query["q"], **({"province": query["province"]} if "province" in query else {})})


def fts_query(fts: Fts5, query: dict[str, str]) -> list[int]:
    q = query["q"]
    if query["kind"] == "phrase":
        return fts.phrase(q.strip('"'), 20)
    if query["kind"] == "faceted":
        tokens = re.findall(r"\w+", q.lower())
        rows = fts.conn.execute("SELECT doc_id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 20",
                                (f'({" OR ".join(tokens)}) AND title:"{query["province"]}"',)).fetchall()
        return [r[0] for r in rows]
    return fts.search(q, 20)


def disk_bytes(root: Path) -> int:
    """Bytes under `root`, each hard-linked file counted once."""
    seen: set[int] = set()
    total = 0
    for path in root.rglob("*"):
        info = path.stat()
        if path.is_file() and info.st_ino not in seen:
            seen.add(info.st_ino)
            total += info.st_size
    return total


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def http_run(port: int, queries: list[dict[str, str]]) -> list[float]:
    """Latency of each query through GET /api/v1/search on one kept-alive connection."""
    times = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for query in queries:
        params = {"q": query["q"], **({"province": query["province"]} if "province" in query else {})}
        start = time.perf_counter()
        conn.request("GET", "/api/v1/search?" + urllib.parse.urlencode(params))
        response = conn.getresponse()
        body = response.read()
        times.append(time.perf_counter() - start)
        assert response.status == 200, body[:200]
        json.loads(body)
    conn.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--testimonies", type=int, default=200)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--updates", type=int, default=20, help="curator saves timed until searchable")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    from _common import make_app
    from werkzeug.serving import make_server

    app = make_app()
    app.config["SEARCH_SYNC"] = True
    fts = Fts5(str(Path(app.config["ARCHIVE_DATA_DIR"]) / "fts5.sqlite3"))
    print(f"Building {args.testimonies} testimonies × ~{args.words} words …", flush=True)
    (texts, fts_rows), build_s = timed(build_archive, app, args.testimonies, args.words, rng, fts)
    total_words = sum(len(s.split()) for segs in texts.values() for s in segs)
    print(f"  database: {build_s:.1f} s, {total_words:,} words in {sum(map(len, texts.values())):,} segments")

    from archive.search import sync as search_sync
    from archive.search import requests as searching
    from archive.curation import testimonies
    from archive.core.extensions import db
    from archive.models import Segment, Testimony

    _, fts_build = timed(fts.add, fts_rows)
    with app.app_context():
        count, reindex_s = timed(search_sync.reindex)
    print(f"\nFull reindex: {reindex_s:8.1f} s ({count} testimonies, {total_words / reindex_s:,.0f} words/s)")
    print(f"FTS5 build:   {fts_build:8.1f} s")
    print(f"ratio reindex / FTS5 build: {reindex_s / fts_build:.1f}×  (target ≤ 15×)")
    big = args.testimonies >= 10_000
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    fts_path = Path(app.config["ARCHIVE_DATA_DIR"]) / "fts5.sqlite3"
    print(f"Index on disk: {disk_bytes(index_dir) / 2**20:,.0f} MB (three audience indexes, shared segments "
          f"counted once); FTS5 database: {fts_path.stat().st_size / 2**20:,.0f} MB")
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    now, peak = rss_mb()
    print(f"Memory: this process {now:,.0f} MB resident (peak {peak:,.0f} MB); largest rebuild worker peak "
          f"{children_peak:,.0f} MB")

    # Single-testimony update: a curator edits one segment; how long until the new word is found?
    latencies, fts_latencies = [], []
    with app.app_context():
        ids = list(texts)
        for k in range(args.updates):
            tid = rng.choice(ids)
            word = f"zqxmarker{k}word"
            t = db.session.get(Testimony, tid)
            seg = db.session.get(Segment, t.segments[0].id)
            start = time.perf_counter()
            testimonies.update_segment(t, seg, {"start": seg.start, "end": seg.end, "speaker": seg.speaker,
                                                "text": seg.text + " " + word, "language": seg.language}, None)
            while True:
                page = searching.run(MultiDict({"q": word}), None)
                if any(h.id == tid for h in page.results.hits) or time.perf_counter() - start > 30:
                    break
                time.sleep(0.01)
            latencies.append(time.perf_counter() - start)
            fts_start = time.perf_counter()
            fts.replace(tid, t.title, " ".join(texts[tid]) + " " + word)
            fts.search(word)
            fts_latencies.append(time.perf_counter() - fts_start)
    print(f"\nUpdate until searchable: {summary(latencies)}")
    print(f"FTS5 replace+query:      {summary(fts_latencies)}")

    queries = query_set(rng, texts, args.queries)
    engine = app.extensions["search"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_port
    # Right after the saves this process's background thread merges their small segments.
    http_during = http_run(port, queries)
    with app.app_context():
        during = [timed(searching.run, params_for(query), None)[1] for query in queries]
    settled, waited = timed(engine.settle)
    print(f"\nQueries right after the saves (background merge running): HTTP API {summary(http_during)}")
    print(f"  then the search service: {summary(during)}")
    print(f"  merges finished {waited:.1f} s later{'' if settled else ' (still running)'}; the figures below are "
          "on the settled index")
    service, base = [], []
    with app.app_context():
        for query in queries:
            _, s = timed(searching.run, params_for(query), None)
            service.append(s)
            _, b = timed(fts_query, fts, query)
            base.append(b)
    http_times = http_run(port, queries)
    server.shutdown()

    from _common import percentile
    print(f"\nQueries ({len(queries)}: words, multi-word, phrases, faceted, Korean), settled index")
    print(f"  search service: {summary(service)}")
    print(f"  HTTP API:       {summary(http_times)}")
    print(f"  SQLite FTS5:    {summary(base)}")
    for kind in ("word", "multi", "phrase", "faceted", "korean"):
        sel = [i for i, q in enumerate(queries) if q["kind"] == kind]
        print(f"    {kind:<8} service {summary([service[i] for i in sel])} | HTTP "
              f"{summary([http_times[i] for i in sel])} | FTS5 {summary([base[i] for i in sel])}")
    limit = 40 if big else 15
    fts95 = percentile(base, 95) * 1000
    for label, times in (("settled", http_times), ("right after saves", http_during)):
        margin = percentile(times, 95) * 1000 - fts95
        print(f"p95 HTTP ({label}) − p95 FTS5 = {margin:.1f} ms (target ≤ {limit} ms: "
              f"{'met' if margin <= limit else 'NOT met'})")
    save95 = percentile(latencies, 95)
    print(f"save-to-searchable p95 = {save95:.2f} s (target < {1.0 if big else 0.5} s: "
          f"{'met' if save95 < (1.0 if big else 0.5) else 'NOT met'})")
    print(f"reindex / FTS5 = {reindex_s / fts_build:.1f}× (target ≤ 15×: {'met' if reindex_s <= 15 * fts_build else 'NOT met'})")
    now, peak = rss_mb()
    print(f"Memory at the end: this process {now:,.0f} MB resident (peak {peak:,.0f} MB)")


if __name__ == "__main__":
    main()
