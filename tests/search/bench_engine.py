"""Benchmark the search engine on a synthetic corpus (not collected by pytest).

Usage: python tests/search/bench_engine.py [DOCS] [WORDS_PER_DOC] [INDEX_DIR]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from archive.search.engine import SearchEngine, SearchRequest, load_place_groups  # noqa: E402

_PLACES = [
    "Chongjin",
    "North Hamgyong",
    "Yanji",
    "Hyesan",
    "Musan",
    "Shenyang",
    "Laos",
    "Thailand",
    "Hoeryong",
]
_KOREAN = [
    "청진에서",
    "함경북도",
    "두만강을",
    "건너",
    "중국으로",
    "탈북했습니다",
    "로동자들이",
    "브로커에게",
    "돈을",
    "냈어요",
    "여성들은",
    "배고팠다",
]


def _vocabulary(size: int, rnd: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        length = max(2, int(rnd.gauss(6, 2)))
        words.add("".join(rnd.choice("abcdefghijklmnoprstuvwy") for _ in range(length)))
    return sorted(words)


def make_corpus(docs: int, words_per_doc: int, seed: int = 7, korean_every: int = 50) -> list[dict[str, Any]]:
    """Return synthetic testimonies: Zipf-distributed words, place names, some Korean."""
    rnd = random.Random(seed)
    vocab = _vocabulary(60_000, rnd)
    weights = [1 / (i + 1) for i in range(len(vocab))]
    corpus = []
    for n in range(docs):
        words = rnd.choices(vocab, weights, k=words_per_doc)
        for i in range(0, words_per_doc, 97):
            words[i] = rnd.choice(_PLACES)
        for i in range(3, words_per_doc, korean_every):
            words[i] = rnd.choice(_KOREAN)
        segments = [
            {
                "id": n * 1000 + k,
                "start": k * 30.0,
                "end": k * 30.0 + 29.0,
                "speaker": "Narrator",
                "text": " ".join(words[k * 100 : k * 100 + 100]),
                "language": "en",
                "restricted": k % 17 == 5,
            }
            for k in range(words_per_doc // 100)
        ]
        corpus.append(
            {
                "id": n + 1,
                "external_id": f"bench-{n + 1:05d}",
                "title": " ".join(rnd.choices(vocab[:3000], k=6)),
                "summary": " ".join(rnd.choices(vocab, weights, k=60)),
                "pseudonym": "P",
                "public_name": None,
                "origin_province": rnd.choice(["north-hamgyong", "ryanggang", "south-pyongan", None]),
                "origin_place": None,
                "place_names": ["North Hamgyong", "Chongjin"],
                "route_countries": [
                    *rnd.sample(["china", "laos", "thailand", "vietnam", "mongolia"], 2),
                    "south-korea",
                ],
                "tags": rnd.sample(
                    ["famine", "brokers", "prison", "family", "religion", "work", "markets"], 3
                ),
                "languages": ["en"],
                "gender": rnd.choice(["female", "male", "unspecified"]),
                "birth_year": rnd.randint(1940, 2000),
                "left_north_year": rnd.randint(1995, 2019),
                "arrived_south_year": rnd.randint(1997, 2020),
                "age_group": rnd.choice(["20-29", "30-39", "40-49"]),
                "occupation": rnd.choice(["workers", "farmers", "soldiers"]),
                "education": rnd.choice(["college", "secondary"]),
                "residence_region": rnd.choice(["seoul", "gyeonggi"]),
                "interview_date": f"20{rnd.randint(10, 23)}-{rnd.randint(1, 12):02d}",
                "visibility": rnd.choice(["public", "public", "researchers", "staff"]),
                "stamp": "v1",
                "segments": segments,
            }
        )
    return corpus


def _timed(engine: SearchEngine, request: SearchRequest, rounds: int) -> list[float]:
    engine.search(request)  # warm caches once
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        engine.search(request)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _p95(times: list[float]) -> float:
    return sorted(times)[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    docs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    words = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    index_dir = Path(sys.argv[3]) if len(sys.argv) > 3 else Path(tempfile.mkdtemp(prefix="bench-search-"))
    groups = load_place_groups(ROOT / "archive" / "data" / "places.csv")
    engine = SearchEngine(index_dir, groups)
    if engine.stamps() and len(engine.stamps()) == docs:
        print(f"reusing index in {index_dir}")
    else:
        corpus = make_corpus(docs, words)
        start = time.perf_counter()
        engine.rebuild(corpus)
        elapsed = time.perf_counter() - start
        rate = docs * words / elapsed
        print(f"rebuild: {docs} docs x {words} words in {elapsed:.1f}s = {rate:,.0f} words/s ({index_dir})")
    vocab = _vocabulary(60_000, random.Random(7))  # the corpus' vocabulary, most frequent first
    text = make_corpus(1, 400)[0]["segments"][0]["text"].split()
    queries = {
        "word in every doc": SearchRequest(q=vocab[0]),
        "common word": SearchRequest(q=vocab[40]),
        "rare word": SearchRequest(q=vocab[20_000]),
        "three words OR": SearchRequest(q=f"{vocab[5]} {vocab[300]} {vocab[9000]}"),
        "phrase (staff)": SearchRequest(q=f'"{text[1]} {text[2]}"', audience="staff"),
        "Korean word": SearchRequest(q="노동자"),
        "prefix": SearchRequest(q=vocab[100][:3] + "*"),
        "place (cross-language)": SearchRequest(q="청진"),
        "faceted word": SearchRequest(q=vocab[40], filters={"route": ["laos"], "arrived": ["2005-2009"]}),
        "filters only": SearchRequest(filters={"tag": ["famine"], "gender": ["female"]}),
        "researcher word": SearchRequest(q=vocab[40], audience="researcher"),
        "staff word": SearchRequest(q=vocab[40], audience="staff"),
        "typo (suggestion)": SearchRequest(q=vocab[3000][:-1] + "q"),
    }
    all_times: list[float] = []
    for name, request in queries.items():
        times = _timed(engine, request, 15)
        all_times.extend(times)
        total = engine.search(request).total
        print(
            f"{name:24s} total={total:5d}  p50={statistics.median(times):7.1f} ms  p95={_p95(times):7.1f} ms"
        )
    print(f"all queries p95={_p95(all_times):.1f} ms")
    engine.close()


if __name__ == "__main__":
    main()
