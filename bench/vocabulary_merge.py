"""How long a vocabulary merge or rename takes for N tagged testimonies, against N one-by-one tag saves.

    python bench/vocabulary_merge.py [N]      (default 200)

A merge re-tags every testimony in one transaction inside dispatch.deferred(), so the index is written
once; the baseline saves each testimony's tags through the editor's service (one commit and one index
write each). Prints seconds, milliseconds per testimony and the ratio.
"""
from __future__ import annotations

import sys
import time

from _common import make_app


def main(count: int) -> None:
    from archive.core import dispatch
    from archive.core.vocabulary import find_topic
    from archive.curation import narrators, testimonies
    from archive.vocabulary import terms

    app = make_app()
    with app.app_context():
        with dispatch.deferred():
            narrator = narrators.create_narrator({"pseudonym": "Bench", "origin_province": "Ryanggang"})
            made = []
            for i in range(count):
                t = testimonies.create_testimony({"title": f"Bench {i}", "languages": ["en"], "access": "public",
                                                  "status": "published", "consent_transcript": True}, narrator)
                testimonies.set_topics(t, ["brokers", "famine"], None)
                made.append(t)
        start = time.perf_counter()
        for t in made:
            testimonies.set_topics(t, ["brokers", "famine", "labour"], t.version)
        one_by_one = time.perf_counter() - start
        start = time.perf_counter()
        retagged = terms.merge_terms(find_topic("brokers"), find_topic("human-trafficking"))
        merge = time.perf_counter() - start
        start = time.perf_counter()
        terms.update_term(find_topic("famine"), {"slug": "hunger", "label_en": "Hunger"})
        rename = time.perf_counter() - start
        from archive.search.requests import parse_request

        found = app.extensions["search"].search(parse_request({"tag": "hunger"}, None)).total
        moved = app.extensions["search"].search(parse_request({"tag": "human-trafficking"}, None)).total
    assert len(retagged) == count and found == count and moved == count, (found, moved)
    print(f"testimonies tagged: {count}")
    print(f"one-by-one tag saves: {one_by_one:.2f} s ({1000 * one_by_one / count:.1f} ms each)")
    print(f"merge (re-tag all):   {merge:.2f} s ({1000 * merge / count:.1f} ms each)")
    print(f"rename with new slug: {rename:.2f} s ({1000 * rename / count:.1f} ms each, index rewritten)")
    print(f"merge / one-by-one:   {merge / one_by_one:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
