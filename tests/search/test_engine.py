"""SearchEngine: results, facets, audiences and identity protection, writes, concurrency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from archive.search.engine import FACETS, SearchEngine, SearchRequest, SearchResults

from tests.search.search_corpus import RESEARCHER_WORD, RESTRICTED_KOREAN, RESTRICTED_WORD, STAFF_WORD, corpus
from tests.search.search_workers import worker_doc

Search = Callable[..., SearchResults]
PUBLIC_IDS = {1, 2, 5, 6, 7, 8, 9}


def ids(results: SearchResults) -> list[int]:
    return [hit.id for hit in results.hits]


def public_reader(engine: SearchEngine) -> Any:
    view = engine._view("public")
    assert view is not None
    return view.searcher.reader()


# -- results and passages -------------------------------------------------------------------


def test_hits_carry_ids_titles_scores_and_passages(search: Search) -> None:
    results = search("broker tumen")
    assert ids(results) == [1, 7]
    hit = results.hits[0]
    assert (hit.external_id, hit.title) == ("demo-001", "Crossing the Tumen at night")
    assert hit.score > results.hits[1].score > 0
    [passage] = hit.passages
    assert (passage.segment_id, passage.start, passage.end) == (103, 20.0, 29.5)
    assert passage.snippet == (
        "In 2008 I escaped across the <mark>Tumen</mark> river with a <mark>broker</mark>. "
        "The <mark>broker</mark> took us to Yanji."
    )


def test_passages_are_in_time_order_and_capped(search: Search) -> None:
    hit = search("famine escaped laos", max_passages=5).hits[0]
    assert [p.segment_id for p in hit.passages] == [102, 103, 105]
    assert [p.segment_id for p in search("famine escaped laos", max_passages=2).hits[0].passages] == [
        102,
        103,
    ]
    assert search("famine escaped laos", max_passages=0).hits[0].passages == []


def test_passages_highlight_every_spelling_of_a_place(search: Search) -> None:
    snippets = {h.id: [p.snippet for p in h.passages] for h in search("Chongjin").hits}
    assert snippets[2] == ["저는 <mark>청진</mark>에서 태어났습니다."]
    assert "<mark>Ch&#x27;ŏngjin</mark>" in snippets[8][0]


def test_pseudonym_and_public_name_are_searchable(make_engine: Callable[..., SearchEngine]) -> None:
    engine = make_engine()
    doc = {"id": 1, "visibility": "public", "pseudonym": "Wexlorind", "public_name": "Mi-rae Han", "segments": []}
    engine.apply([doc], [])
    assert ids(engine.search(SearchRequest(q="wexlorind"))) == [1]
    assert ids(engine.search(SearchRequest(q='"mi-rae han"'))) == [1]


def test_snippets_are_escaped_html(make_engine: Callable[..., SearchEngine]) -> None:
    engine = make_engine()
    text = 'Before <script>alert("x")</script> & the famine "came"'
    engine.apply(
        [{"id": 1, "visibility": "public", "segments": [{"id": 1, "start": 0, "end": 1, "text": text}]}], []
    )
    [passage] = engine.search(SearchRequest(q="famine script")).hits[0].passages
    assert passage.snippet == (
        "Before &lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt; "
        "&amp; the <mark>famine</mark> &quot;came&quot;"
    )


def test_long_segments_are_cut_around_the_match(make_engine: Callable[..., SearchEngine]) -> None:
    engine = make_engine()
    text = " ".join(["filler"] * 100 + ["needle"] + ["filler"] * 100)
    engine.apply(
        [{"id": 1, "visibility": "public", "segments": [{"id": 1, "start": 0, "end": 1, "text": text}]}], []
    )
    snippet = engine.search(SearchRequest(q="needle")).hits[0].passages[0].snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>needle</mark>" in snippet and len(snippet) < 300


def test_in_testimony_passages(engine: SearchEngine) -> None:
    found = engine.passages(1, "broker famine", "public")
    assert [p.segment_id for p in found] == [102, 103]
    assert engine.passages(1, RESTRICTED_WORD, "public") == []
    assert engine.passages(1, RESTRICTED_WORD, "researcher") == []
    assert [p.segment_id for p in engine.passages(1, RESTRICTED_WORD, "staff")] == [104]
    assert engine.passages(3, "yodok", "public") == []
    assert [p.segment_id for p in engine.passages(3, "yodok", "researcher")] == [301]
    assert engine.passages(4, STAFF_WORD, "researcher") == []
    assert engine.passages(999, "famine", "staff") == []
    assert engine.passages(1, "", "staff") == []


@pytest.mark.parametrize(
    "query",
    ["Chongjin", "Ch'ŏngjin", "Cheongjin", "chongjin", "청진", "청진에서", "청진으로"],
)
def test_city_spellings_find_each_other_across_languages(search: Search, query: str) -> None:
    assert set(ids(search(query))) == {1, 2, 8}


@pytest.mark.parametrize(
    "query",
    ["Hamgyong", "Hamgyŏng", "Hamgyeong", "함경북도", "North Hamgyong", "Hamgyŏng-bukto", "Hamgyeongbuk-do"],
)
def test_province_spellings_and_partial_names(search: Search, query: str) -> None:
    # 1: origin place; 2: Korean summary and place names; 8: McCune-Reischauer in the text.
    assert set(ids(search(query))) == {1, 2, 8}


@pytest.mark.parametrize(
    ("query", "expected"), [("노동자", [2]), ("여성", [2]), ("양강도", [2, 5]), ("로동", [2])]
)
def test_korean_queries_match_north_korean_spellings(search: Search, query: str, expected: list[int]) -> None:
    assert sorted(ids(search(query))) == expected


def test_english_inflections_match(search: Search) -> None:
    assert ids(search("escaping")) == ids(search("escapes")) == [1]


# -- facets, filters, sorting, paging ---------------------------------------------------------


def test_facets_count_the_whole_result_set(search: Search) -> None:
    results = search("", per_page=1)
    assert results.total == 7 and len(results.hits) == 1 and results.pages == 7
    assert set(results.facets) == set(FACETS)
    assert results.facets["province"] == {"north-hamgyong": 2, "ryanggang": 1}
    assert results.facets["route"] == {
        "china": 6,
        "south-korea": 6,
        "laos": 1,
        "mongolia": 1,
        "thailand": 1,
        "vietnam": 1,
    }
    assert results.facets["left"] == {"1995-1999": 1, "2000-2004": 2, "2005-2009": 2, "2010-2014": 2}
    assert results.facets["arrived"] == {"2000-2004": 2, "2005-2009": 3, "2010-2014": 1, "2015-2019": 1}
    assert results.facets["gender"] == {"female": 4, "male": 2, "unspecified": 1}
    assert results.facets["age"] == {"10-19": 1, "20-29": 1, "30-39": 2, "40-49": 2, "60+": 1}
    assert results.facets["occupation"] == {"workers": 2, "traders": 1}
    assert results.facets["education"] == {"secondary": 2, "college": 1}
    assert results.facets["residence"] == {"busan": 1, "gyeonggi": 1, "seoul": 1}
    assert results.facets["tag"] == {"family": 3, "famine": 3, "brokers": 2, "markets": 1, "prison": 1}
    assert results.facets["language"] == {"en": 6, "ko": 2}


def test_facets_follow_the_query(search: Search) -> None:
    results = search("famine")
    assert results.total == 3
    assert results.facets["gender"] == {"female": 2, "male": 1}
    assert results.facets["tag"] == {"famine": 3, "family": 1, "markets": 1, "brokers": 1}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"tag": ["famine"]}, {1, 5, 6}),
        ({"tag": ["famine", "brokers"]}, {1, 5, 6, 7}),  # OR within a facet
        ({"tag": ["famine"], "gender": ["male"]}, {6}),  # AND across facets
        ({"route": ["laos", "mongolia"]}, {1, 5}),
        ({"province": ["north-hamgyong"]}, {1, 2}),
        ({"arrived": ["2005-2009"]}, {1, 6, 9}),
        # Outside staff a single year selects its five-year band: a filter never splits a band.
        ({"arrived": ["2009"]}, {1, 6, 9}),
        ({"arrived": ["2009", "2002"]}, {1, 2, 6, 8, 9}),
        ({"arrived": ["2000s"]}, {1, 2, 6, 8, 9}),
        ({"left": ["2005-2009"]}, {1, 6}),
        ({"age": ["30-39"]}, {1, 7}),
        ({"occupation": ["workers"]}, {1, 2}),
        ({"education": ["college"]}, {2}),
        ({"residence": ["busan"]}, {5}),
        ({"language": ["ko"]}, {2, 7}),
        ({"gender": ["female"], "arrived": ["2000-2004", "2005-2009"], "route": ["china"]}, {1, 8}),
        ({"tag": []}, PUBLIC_IDS),
        ({"tag": ["nonexistent"]}, set()),
    ],
)
def test_filters(search: Search, filters: dict[str, list[str]], expected: set[int]) -> None:
    results = search("", filters=filters)
    assert set(ids(results)) == expected
    assert results.total == len(expected)


def test_staff_filter_exact_years(search: Search) -> None:
    assert set(ids(search("", audience="staff", filters={"arrived": ["2009"]}))) == {1}
    assert set(ids(search("", audience="staff", filters={"arrived": ["2009", "2002"]}))) == {1, 2}


def test_filters_combine_with_queries(search: Search) -> None:
    assert ids(search("famine", filters={"gender": ["female"]})) == [5, 1]
    assert ids(search("famine", filters={"gender": ["female"], "route": ["laos"]})) == [1]


def test_a_facets_own_selection_is_not_applied_to_its_counts(search: Search) -> None:
    results = search("", filters={"tag": ["famine"], "gender": ["female"]})
    assert results.total == 2
    # Tag counts ignore the tag selection (other tags stay choosable) but honour gender.
    assert results.facets["tag"] == {"family": 2, "famine": 2, "markets": 1, "brokers": 1}
    assert results.facets["gender"] == {"female": 2, "male": 1}
    assert results.facets["route"]["china"] == 2


def test_selected_values_stay_listed_at_zero(search: Search) -> None:
    results = search("porridge", filters={"tag": ["prison"]})
    assert results.total == 0
    assert results.facets["tag"]["prison"] == 0


def test_bad_filters_are_reported_not_raised(search: Search) -> None:
    results = search("", filters={"colour": ["red"], "arrived": ["soon"]})
    assert results.total == 7
    assert "Unknown filter 'colour' was ignored." in results.notices
    assert any("soon" in n for n in results.notices)


def test_empty_query_lists_by_interview_date(search: Search) -> None:
    assert ids(search("", filters={"route": ["china"]})) == [6, 8, 2, 7, 1, 5]
    assert ids(search("")) == [9, 6, 8, 2, 7, 1, 5]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("date", [6, 1, 5]), ("-date", [5, 1, 6]), ("arrival", [6, 1, 5]), ("-arrival", [5, 1, 6])],
)
def test_sort_orders(search: Search, sort: str, expected: list[int]) -> None:
    assert ids(search("famine", sort=sort)) == expected


def test_unknown_sort_falls_back_to_relevance(search: Search) -> None:
    results = search("porridge famine", sort="sideways")
    assert ids(results) == [9, 6, 5, 1]
    assert any("sideways" in n for n in results.notices)


def test_paging(search: Search) -> None:
    everything = ids(search("", per_page=100))
    pages = [search("", page=p, per_page=3) for p in (1, 2, 3, 4)]
    assert [ids(p) for p in pages] == [everything[0:3], everything[3:6], everything[6:7], []]
    assert all(p.total == 7 and p.pages == 3 and p.per_page == 3 for p in pages)
    assert search("", per_page=1000).per_page == 100
    assert search("", page=0).page == 1


# -- audiences and identity protection ------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        RESTRICTED_WORD,
        "zorb*",
        "zorbatec",
        "Sunhee",
        "sunhee",
        "hoeryong",
        '"hoeryong market"',
        RESTRICTED_KOREAN,
        RESEARCHER_WORD,
        "quarry*",
        "quarystone",
        STAFF_WORD,
        "quill*",
        "quilfeather",
        "yodok",
        "place:yodok",
        "tag:prison AND year:2012",
    ],
)
def test_public_cannot_find_count_complete_or_be_offered_protected_words(search: Search, query: str) -> None:
    results = search(query)
    assert results.total == 0
    assert results.hits == []
    assert results.suggestion is None
    assert all(count == 0 for counts in results.facets.values() for count in counts.values())


def test_public_index_never_contains_restricted_or_non_public_text(engine: SearchEngine) -> None:
    reader = public_reader(engine)
    terms = {term for _, term in reader.all_terms()}
    for secret in (RESTRICTED_WORD, RESEARCHER_WORD, STAFF_WORD, "sunhee", "hoeryong", "yodok", "김비밀"):
        assert not any(secret.encode() in term for term in terms), secret
    assert list(reader.field_terms("rtext")) == []
    assert set(engine.stamps("public")) == PUBLIC_IDS
    assert all((engine.index_dir / "current" / name).is_dir() for name in ("public", "researcher", "staff"))


def test_researcher_index_holds_only_what_researchers_may_read(engine: SearchEngine) -> None:
    view = engine._view("researcher")
    assert view is not None
    terms = {term for _, term in view.searcher.reader().all_terms()}
    for secret in (RESTRICTED_WORD, STAFF_WORD):
        assert not any(secret.encode() in term for term in terms), secret
    assert any(RESEARCHER_WORD.encode() in term for term in terms)
    assert list(view.searcher.reader().field_terms("rtext")) == []


def test_public_facets_count_public_testimonies_only(search: Search) -> None:
    assert search("", audience="public").facets["tag"]["prison"] == 1
    assert search("", audience="researcher").facets["tag"]["prison"] == 2
    assert search("", audience="staff").facets["tag"]["family"] == 4


def test_researcher_sees_researcher_testimonies_but_no_restricted_segments(search: Search) -> None:
    assert ids(search(RESEARCHER_WORD, audience="researcher")) == [3]
    assert search(STAFF_WORD, audience="researcher").total == 0
    assert search(RESTRICTED_WORD, audience="researcher").total == 0
    assert search("hoeryong", audience="researcher").total == 0
    assert search("", audience="researcher").total == 8
    passages = search("broker escaped cousin", audience="researcher").hits[0].passages
    assert 104 not in [p.segment_id for p in passages]


def test_staff_sees_everything(search: Search) -> None:
    assert ids(search(RESTRICTED_WORD, audience="staff")) == [1]
    assert [p.segment_id for p in search(RESTRICTED_WORD, audience="staff").hits[0].passages] == [104]
    assert ids(search(RESTRICTED_KOREAN, audience="staff")) == [2]
    assert ids(search(STAFF_WORD, audience="staff")) == [4]
    assert ids(search("zorb*", audience="staff")) == [1]
    assert search("", audience="staff").total == 9


def test_unknown_audience_is_a_programming_error(engine: SearchEngine) -> None:
    with pytest.raises(ValueError):
        engine.search(SearchRequest(q="famine", audience="everyone"))


def test_suggestions(search: Search) -> None:
    assert search("famne").suggestion == "famine"
    assert search("poridge kitchen").suggestion == "porridge kitchen"
    assert search("famine").suggestion is None  # enough results: nothing to correct
    # Suggestions come from public text only, even for staff.
    assert search("zorbatec", audience="staff").suggestion is None
    assert search("quilfeather", audience="staff").suggestion is None


def _lingers(engine: SearchEngine, fieldname: str, term: str) -> bool:
    """Tell whether a deleted document's term is still in the public lexicon."""
    return public_reader(engine).doc_frequency(fieldname, term) > 0


def test_testimony_made_non_public_vanishes_from_public_search(engine: SearchEngine, search: Search) -> None:
    assert ids(search("smuggling")) == [5]
    changed = corpus()[4]
    changed.update(visibility="staff", stamp="v2-5")
    engine.apply([changed], [])
    # The deleted document's words linger in the lexicon until a merge, so this checks
    # that nothing derived from the lexicon leaks them.
    assert _lingers(engine, "words", "smuggling")
    for query in ("smuggling", "smug*", "smuggeling", "yalu", '"yalu river"', "tag:markets", "place:hyesan"):
        results = search(query)
        assert results.total == 0, query
        assert results.suggestion is None, query
        assert all(c == 0 for counts in results.facets.values() for c in counts.values()), query
    assert "markets" not in search("").facets["tag"]
    assert 5 not in engine.stamps("public")
    assert engine.stamps("staff")[5] == "v2-5"
    assert ids(search("smuggling", audience="staff")) == [5]
    assert search("smuggling", audience="researcher").total == 0


def test_segment_made_restricted_vanishes_from_public_search(engine: SearchEngine, search: Search) -> None:
    assert ids(search("embassy")) == [1]
    changed = corpus()[0]
    changed["segments"][4]["restricted"] = True
    changed["stamp"] = "v2-1"
    engine.apply([changed], [])
    for audience in ("public", "researcher"):
        for query in ("embassy", "embas*", "embasy", '"reached the embassy"'):
            results = search(query, audience=audience)
            assert results.total == 0 and results.suggestion is None, (audience, query)
    assert ids(search("broker")) == [1, 7]  # the rest of the testimony stays public
    assert [p.segment_id for p in search("embassy", audience="staff").hits[0].passages] == [105]


def test_optimize_purges_lingering_terms(engine: SearchEngine) -> None:
    engine.apply([], [5])
    assert _lingers(engine, "words", "smuggling")
    engine.optimize()
    assert not _lingers(engine, "words", "smuggling")


# -- writing ----------------------------------------------------------------------------------


def test_upsert_replaces_and_delete_removes(engine: SearchEngine, search: Search) -> None:
    doc = corpus()[8]
    doc.update(title="Soup memories", stamp="v2-9")
    doc["segments"][0]["text"] = "We made soup from cabbage."
    engine.apply([doc], [])
    assert search("porridge").total == 0
    assert ids(search("cabbage")) == [9]
    assert engine.stamps()[9] == "v2-9"
    engine.apply([], [9, 12345])
    assert search("cabbage", audience="staff").total == 0
    assert 9 not in engine.stamps("staff")


def test_upsert_and_delete_of_the_same_id_in_one_batch_deletes(engine: SearchEngine) -> None:
    engine.apply([corpus()[8]], [9])
    assert 9 not in engine.stamps()


def test_stamps_per_audience(engine: SearchEngine) -> None:
    assert engine.stamps() == {d["id"]: d["stamp"] for d in corpus()}
    assert set(engine.stamps("researcher")) == PUBLIC_IDS | {3}
    assert set(engine.stamps("public")) == PUBLIC_IDS


def test_search_before_any_index_exists(make_engine: Callable[..., SearchEngine]) -> None:
    engine = make_engine()
    results = engine.search(SearchRequest(q="famine"))
    assert (results.total, results.hits, results.pages) == (0, [], 0)
    assert engine.stamps() == {}
    engine.ensure()
    engine.ensure()
    assert engine.search(SearchRequest()).total == 0


def test_segment_count_stays_small(make_engine: Callable[..., SearchEngine]) -> None:
    engine = make_engine()
    for n in range(40):
        engine.apply([worker_doc(n, f"word{n}")], [])
    view = engine._view("staff")
    assert view is not None
    assert len(view.searcher.reader().leaf_readers()) <= 8
    assert engine.search(SearchRequest(q="concurrency")).total == 40


def test_moments_give_every_matching_segment_with_the_words_to_mark(engine: SearchEngine) -> None:
    found = engine.moments(1, "broker famine", "public")
    assert [(m.segment_id, m.start) for m in found] == [(102, 10.0), (103, 20.0)]
    text = "In 2008 I escaped across the Tumen river with a broker. The broker took us to Yanji."
    assert [text[a:b] for a, b in found[1].marks] == ["broker", "broker"]
    # Korean words are marked by the same analysis as the search: 청진 inside 청진에서.
    korean = engine.moments(2, "청진", "public")
    assert [m.segment_id for m in korean] == [201]
    assert ["저는 청진에서 태어났습니다."[a:b] for a, b in korean[0].marks] == ["청진"]
    assert engine.moments(1, RESTRICTED_WORD, "public") == []
    assert [m.segment_id for m in engine.moments(1, RESTRICTED_WORD, "staff")] == [104]
    assert engine.moments(3, "yodok", "public") == []
    assert engine.moments(999, "famine", "staff") == [] and engine.moments(1, "", "staff") == []
