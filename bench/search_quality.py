"""Ranking quality on the Cranfield collection: the archive's search beside SQLite FTS5 BM25.

Imports the 1,400 Cranfield abstracts as testimonies through the same JSONL import path as
`flask archive import`, runs all 225 queries through the search service, and prints nDCG@10
and MAP (over the top 100) for both systems, computed in the same run.

    .venv/bin/python bench/search_quality.py [--cranfield ../shared/data/ir/cranfield]
"""
from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import time
from pathlib import Path

from _common import ROOT, Fts5, make_app

DEFAULT_DIR = ROOT.parent / "shared" / "data" / "ir" / "cranfield"


def parse_documents(path: Path) -> list[dict[str, str]]:
    """Split cran.all.1400 into {id, title, text} records."""
    docs, current, field = [], None, None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(".I "):
            current = {"id": line[3:].strip(), "T": "", "W": ""}
            docs.append(current)
            field = None
        elif re.fullmatch(r"\.[TABW]", line.strip()):
            field = line.strip()[1]
        elif current is not None and field in ("T", "W"):
            current[field] += line + "\n"
    return [{"id": d["id"], "title": " ".join(d["T"].split()), "text": " ".join(d["W"].split())} for d in docs]


def parse_queries(path: Path) -> list[str]:
    """The 225 queries in file order (the judgements number them 1..225 by position)."""
    queries, current = [], None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(".I "):
            current = []
            queries.append(current)
        elif line.strip() == ".W":
            continue
        elif current is not None:
            current.append(line)
    return [" ".join(" ".join(q).split()) for q in queries]


def parse_judgements(path: Path) -> dict[int, dict[int, int]]:
    """Graded judgements: code 1 (complete answer) .. 4 (minimal interest) as gains 4..1."""
    qrels: dict[int, dict[int, int]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        query, doc, code = int(parts[0]), int(parts[1]), int(parts[2])
        qrels.setdefault(query, {})[doc] = 5 - code if 1 <= code <= 4 else 0
    return qrels


def ndcg_at(ranked: list[int], gains: dict[int, int], k: int = 10) -> float:
    dcg = sum((2 ** gains.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def average_precision(ranked: list[int], gains: dict[int, int]) -> float:
    relevant = {d for d, g in gains.items() if g > 0}
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for i, doc in enumerate(ranked, start=1):
        if doc in relevant:
            hits += 1
            total += hits / i
    return total / len(relevant)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cranfield", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args()
    docs = parse_documents(args.cranfield / "cran.all.1400")
    queries = parse_queries(args.cranfield / "cran.qry")
    qrels = parse_judgements(args.cranfield / "cranqrel")
    print(f"Cranfield: {len(docs)} documents, {len(queries)} queries, {sum(map(len, qrels.values()))} judgements")

    work = Path(tempfile.mkdtemp(prefix="cranfield-"))
    jsonl = work / "cranfield.jsonl"
    with jsonl.open("w", encoding="utf-8") as handle:
        for d in docs:
            record = {"external_id": f"cran-{d['id']}", "title": d["title"] or f"Cranfield {d['id']}",
                      "language": ["en"], "access": "public", "status": "published",
                      "consent": {"audio": True, "transcript": True},
                      "narrator": {"pseudonym": f"Cranfield author {d['id']}"},
                      "transcript": [{"start": 0, "end": 60, "text": d["text"] or d["title"] or "(empty)"}]}
            handle.write(json.dumps(record) + "\n")

    app = make_app(work / "data")
    from werkzeug.datastructures import MultiDict

    from sqlalchemy import select

    from archive.core.extensions import db
    from archive.models import Testimony
    from archive.curation import imports
    from archive.search import requests as searching

    with app.app_context():
        start = time.perf_counter()
        report = imports.import_jsonl(jsonl, work)
        import_seconds = time.perf_counter() - start
        print(f"Imported {report.created} testimonies through the JSONL import in {import_seconds:.1f} s")
        external = {}
        for tid, ext in db.session.execute(select(Testimony.id, Testimony.external_id)):
            external[tid] = int(ext.split("-")[1])

        fts = Fts5()
        fts.add((int(d["id"]), d["title"], d["text"]) for d in docs)

        ours = {"ndcg": [], "ap": []}
        base = {"ndcg": [], "ap": []}
        for number, query in enumerate(queries, start=1):
            gains = qrels.get(number, {})
            page = searching.run(MultiDict({"q": query, "per_page": "100"}), None)
            ranked = [external[h.id] for h in page.results.hits]
            ours["ndcg"].append(ndcg_at(ranked, gains))
            ours["ap"].append(average_precision(ranked, gains))
            ranked_fts = fts.search(query, 100)
            base["ndcg"].append(ndcg_at(ranked_fts, gains))
            base["ap"].append(average_precision(ranked_fts, gains))

    n = len(queries)
    ours_ndcg, base_ndcg = sum(ours["ndcg"]) / n, sum(base["ndcg"]) / n
    ours_map, base_map = sum(ours["ap"]) / n, sum(base["ap"]) / n
    print()
    print(f"{'system':<28}{'nDCG@10':>10}{'MAP@100':>10}")
    print(f"{'archive search (Whoosh)':<28}{ours_ndcg:>10.4f}{ours_map:>10.4f}")
    print(f"{'SQLite FTS5 BM25 (OR)':<28}{base_ndcg:>10.4f}{base_map:>10.4f}")
    print(f"{'ratio archive / FTS5':<28}{ours_ndcg / base_ndcg:>10.3f}{ours_map / base_map:>10.3f}")
    print(f"target nDCG@10 >= FTS5: {'met' if ours_ndcg >= base_ndcg else 'NOT met'}")


if __name__ == "__main__":
    main()
