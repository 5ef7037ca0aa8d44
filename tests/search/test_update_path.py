"""The save path (shared segments, deletes by document number, background merges), place
fields naming one place, Korean spelling suggestions and the index schema version."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from archive.search.engine import SearchEngine, SearchRequest, SearchResults
from archive.search.engine.schema import SCHEMA_VERSION
from archive.search.engine.storage import PUBLIC, RESEARCHER, STAFF

from tests.search.search_corpus import RESTRICTED_KOREAN, corpus

Factory = Callable[..., SearchEngine]


def ids(results: SearchResults) -> list[int]:
    return sorted(hit.id for hit in results.hits)


def doc(doc_id: int, text: str, **fields: Any) -> dict[str, Any]:
    """A small testimony dict with one segment per sentence of `text`."""
    segments = [
        {"id": doc_id * 100 + i, "start": i * 10.0, "end": i * 10.0 + 9, "text": sentence,
         "language": "ko" if any("가" <= c <= "힣" for c in sentence) else "en", "restricted": False}
        for i, sentence in enumerate(text.split("|"))
    ]
    base: dict[str, Any] = {"id": doc_id, "external_id": f"t-{doc_id}", "title": f"Testimony {doc_id}",
                            "visibility": "public", "stamp": f"v1-{doc_id}", "segments": segments}
    base.update(fields)
    return base


def segment_ids(engine: SearchEngine, name: str) -> list[str]:
    store = engine._store
    gen = store.current()
    assert gen is not None
    return [seg.segment_id() for seg in store.open(gen, name)._segments()]


def find(engine: SearchEngine, q: str, audience: str = "public", **kwargs: Any) -> SearchResults:
    return engine.search(SearchRequest(q=q, audience=audience, **kwargs))


# -- place fields name one place ------------------------------------------------------------


@pytest.fixture
def provinces(make_engine: Factory) -> SearchEngine:
    engine = make_engine()
    engine.apply([
        doc(1, "We fished near the coast.", origin_province="north-hamgyong", place_names=["North Hamgyong"]),
        doc(2, "We farmed potatoes.", origin_province="south-hamgyong", place_names=["South Hamgyong"]),
        doc(3, "Both Hamgyong provinces were hungry.", origin_province="ryanggang"),
    ], [])
    return engine


@pytest.mark.parametrize("value", [
    '"South Hamgyong"', "south-hamgyong", "Hamgyŏng-namdo", "Hamgyeongnam-do", "함경남도", '"South Hamgyeong"',
])
def test_place_field_with_a_full_name_matches_only_that_place(provinces: SearchEngine, value: str) -> None:
    assert ids(find(provinces, f"place:{value}")) == [2]
    assert ids(find(provinces, f"place:{value}", audience="staff")) == [2]


@pytest.mark.parametrize("value", ['"North Hamgyong"', "Hamgyŏng-bukto", "함경북도"])
def test_the_other_province_is_not_confused_either(provinces: SearchEngine, value: str) -> None:
    assert ids(find(provinces, f"place:{value}")) == [1]


def test_partial_place_names_still_find_both_provinces(provinces: SearchEngine) -> None:
    assert ids(find(provinces, "place:Hamgyong")) == [1, 2]
    assert ids(find(provinces, "place:Hamgyŏng")) == [1, 2]
    assert ids(find(provinces, "Hamgyong")) == [1, 2, 3]  # free text: places and the word itself
    assert ids(find(provinces, "Hamgyeong")) == [1, 2, 3]


# -- Korean did-you-mean ----------------------------------------------------------------------


@pytest.fixture
def korean(make_engine: Factory) -> SearchEngine:
    engine = make_engine()
    hidden = doc(3, f"{RESTRICTED_KOREAN} 선생님이 도와주었다.", visibility="staff")
    partly = doc(2, f"장마당에서 옥수수를 샀다.|{RESTRICTED_KOREAN}는 밤에 떠났다.")
    partly["segments"][1]["restricted"] = True
    engine.apply([doc(1, "청진에서 장마당에 갔습니다.|어머니가 국수를 팔았다."), partly, hidden], [])
    return engine


def test_korean_typo_suggests_the_closest_public_word(korean: SearchEngine) -> None:
    assert find(korean, "청잔").total == 0
    assert find(korean, "청잔").suggestion == "청진"
    assert find(korean, "청잔에서").suggestion == "청진에서"
    assert ids(find(korean, "청진")) == [1]
    assert find(korean, "옥수소").suggestion == "옥수수"
    assert find(korean, "청진").suggestion is None  # found as typed: nothing to correct


def test_korean_suggestions_never_come_from_restricted_or_hidden_text(korean: SearchEngine) -> None:
    near_miss = RESTRICTED_KOREAN[:-1] + "말"  # one vowel off
    # Staff can find the planted word, so a leaked suggestion would pass the live-hits check.
    assert ids(find(korean, RESTRICTED_KOREAN, audience="staff")) == [2, 3]
    for audience in ("public", "researcher", "staff"):
        assert find(korean, near_miss, audience=audience).suggestion is None, audience


# -- the save path ----------------------------------------------------------------------------


def test_a_document_equal_for_every_audience_is_written_once_and_shared(make_engine: Factory) -> None:
    engine = make_engine()
    engine.apply([doc(1, "the barley harvest failed")], [])
    assert segment_ids(engine, PUBLIC)[-1] == segment_ids(engine, RESEARCHER)[-1] == segment_ids(engine, STAFF)[-1]
    for audience in ("public", "researcher", "staff"):
        assert ids(find(engine, "barley", audience=audience)) == [1]
    # A restricted passage makes the staff document differ: public and researcher still share theirs.
    changed = doc(1, "the barley harvest failed|my cousin zelkovite crossed")
    changed["segments"][1]["restricted"] = True
    engine.apply([changed], [])
    assert segment_ids(engine, PUBLIC)[-1] == segment_ids(engine, RESEARCHER)[-1]
    assert segment_ids(engine, PUBLIC)[-1] != segment_ids(engine, STAFF)[-1]
    assert find(engine, "zelkovite", audience="researcher").total == 0
    assert find(engine, "zelkovite").total == 0
    assert ids(find(engine, "zelkovite", audience="staff")) == [1]
    assert ids(find(engine, "barley")) == [1]
    engine.apply([], [1])
    for audience in ("public", "staff"):
        assert find(engine, "barley", audience=audience).total == 0


def test_saves_replace_the_old_copy_through_the_cached_table(
    make_engine: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.writing import SegmentWriter

    searched: list[str] = []  # deletions that had to search the term (opening every segment)
    original = SegmentWriter.delete_by_term

    def counting(self: Any, fieldname: str, text: str, searcher: Any = None) -> int:
        searched.append(text)
        return original(self, fieldname, text, searcher)

    monkeypatch.setattr(SegmentWriter, "delete_by_term", counting)
    engine = make_engine()
    other = make_engine()  # another process writing to the same index
    engine.apply([doc(i, f"plain words number{i}") for i in range(1, 6)], [])
    for round_ in range(3):
        assert find(engine, "plain", audience="staff").total == 5  # caches the searchers
        assert find(engine, "plain").total == 5
        assert find(engine, "plain", audience="researcher").total == 5
        searched.clear()
        writer = other if round_ == 1 else engine  # round 1: the cached table is out of date
        writer.apply([doc(3, f"plain words revision{round_}", stamp=f"v{round_ + 2}-3")], [])
        # Round 1: the other engine deletes by term in each of the three indexes.
        assert searched == ([] if writer is engine else ["3", "3", "3"]), round_
        for audience in ("public", "researcher", "staff"):
            assert find(engine, "plain", audience=audience).total == 5, (round_, audience)
            assert ids(find(engine, f"revision{round_}", audience=audience)) == [3]
        assert engine.stamps("staff")[3] == f"v{round_ + 2}-3"
    assert find(engine, "number3", audience="staff").total == 0


def _wait(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_background_merge_folds_small_segments_without_losing_anything(make_engine: Factory) -> None:
    engine = make_engine(background_merge=True)
    for i in range(1, 9):
        engine.apply([doc(i, f"merge test wordmark{i}")], [])
    engine.apply([], [2])
    assert _wait(lambda: not engine._store.needs_merge())
    assert all(len(segment_ids(engine, name)) < 8 for name in (PUBLIC, RESEARCHER, STAFF))
    assert ids(find(engine, "merge", audience="staff", per_page=50)) == [1, 3, 4, 5, 6, 7, 8]
    assert ids(find(engine, "wordmark5")) == [5]


def test_a_merge_gives_way_and_leaves_the_index_as_it_was(
    make_engine: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(background_merge=True)
    monkeypatch.setattr(engine, "_schedule_merge", lambda: None)  # merge by hand below
    for i in range(1, 6):
        engine.apply([doc(i, f"small segment {i}")], [])
    before = tuple(segment_ids(engine, name) for name in (PUBLIC, RESEARCHER, STAFF))
    assert len(before[0]) == 5 and engine._store.needs_merge()
    abort = threading.Event()
    abort.set()  # a save wants the lock
    assert engine._store.merge(abort) is False
    assert tuple(segment_ids(engine, name) for name in (PUBLIC, RESEARCHER, STAFF)) == before
    assert engine._store.merge(threading.Event()) is True
    assert len(segment_ids(engine, PUBLIC)) < 5 and not engine._store.needs_merge()
    for audience in ("public", "staff"):
        assert ids(find(engine, "small", audience=audience)) == [1, 2, 3, 4, 5]


def test_corpus_searches_behave_the_same_with_background_merging(make_engine: Factory) -> None:
    engine = make_engine(background_merge=True)
    for item in corpus():
        engine.apply([item], [])
    assert _wait(lambda: not engine._store.needs_merge())
    assert find(engine, RESTRICTED_KOREAN).total == 0
    assert find(engine, "famine").total >= 1


# -- schema version ---------------------------------------------------------------------------


def test_outdated_schema_is_reported(make_engine: Factory) -> None:
    engine = make_engine()
    engine.ensure()
    assert engine.schema_outdated() is None
    store = engine._store
    (store.root / str(store.current()) / "VERSION").write_text("1")
    assert engine.schema_outdated() == "1"
    engine.rebuild([doc(1, "rebuilt")])
    assert engine.schema_outdated() is None
    assert (store.root / str(store.current()) / "VERSION").read_text() == SCHEMA_VERSION


def test_foreground_engines_keep_merging_the_public_index(make_engine: Factory) -> None:
    engine = make_engine()
    for i in range(1, 13):
        engine.apply([doc(i, f"saved one by one mark{i}")], [])
    # Without merging, twelve saves would leave twelve one-testimony segments in each index.
    assert all(len(segment_ids(engine, name)) < 6 for name in (PUBLIC, RESEARCHER, STAFF))
    assert not engine._store.needs_merge()
    assert find(engine, "saved", per_page=50).total == 12
