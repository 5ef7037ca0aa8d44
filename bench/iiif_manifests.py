"""Size and serving time of the demo collection's public IIIF manifests, plain and gzip-compressed.

    .venv/bin/python bench/iiif_manifests.py [--rounds 20]

Loads the demo collection into a throw-away archive, asks for every public manifest as an anonymous
viewer would (with and without ``Accept-Encoding: gzip``), and prints bytes on the wire, the compression
ratio and the median time per request (build + serialise + compress), as figures, not pass/fail.
"""
from __future__ import annotations

import argparse
import statistics
import time

from _common import make_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from sqlalchemy import select

    from archive.core.extensions import db
    from archive.curation.imports import load_demo
    from archive.models import Testimony
    from archive.policy import access

    app = make_app()
    with app.app_context():
        load_demo()
        ids = [t.id for t in db.session.scalars(select(Testimony).order_by(Testimony.id))
               if t.recording is not None and access.can_hear(None, t)]
    client = app.test_client()
    print(f"{'testimony':>9} {'plain B':>9} {'gzip B':>8} {'ratio':>6} {'plain ms':>9} {'gzip ms':>8}")
    totals = [0, 0]
    for testimony_id in ids:
        url = f"/iiif/testimonies/{testimony_id}/manifest.json"
        times: dict[str, list[float]] = {"": [], "gzip": []}
        sizes = {}
        for _ in range(args.rounds):
            for encoding in times:
                started = time.perf_counter()
                response = client.get(url, headers={"Accept-Encoding": encoding})
                times[encoding].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, url
                sizes[encoding] = len(response.data)
        totals[0] += sizes[""]
        totals[1] += sizes["gzip"]
        print(f"{testimony_id:>9} {sizes['']:>9} {sizes['gzip']:>8} {sizes['gzip'] / sizes['']:>6.2f} "
              f"{statistics.median(times['']):>9.1f} {statistics.median(times['gzip']):>8.1f}")
    print(f"{'all':>9} {totals[0]:>9} {totals[1]:>8} {totals[1] / totals[0]:>6.2f}")


if __name__ == "__main__":
    main()
