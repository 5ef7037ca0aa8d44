"""Query language: parsing, every feature, every malformed-input class, and a fuzz test."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from typing import Any

import pytest

from archive.search.engine import SearchEngine, SearchRequest, SearchResults
from archive.search.engine.query import (
    MAX_QUERY_CHARS,
    AllOf,
    AnyOf,
    Fielded,
    Not,
    Phrase,
    Prefix,
    Word,
    parse,
)
from tests.search.search_corpus import _doc, _seg

Search = Callable[..., SearchResults]


def ids(results: SearchResults) -> list[int]:
    return [hit.id for hit in results.hits]


# -- parsing ---------------------------------------------------------------------------------


def test_plain_words_form_an_or_sequence() -> None:
    parsed = parse("famine  brokers")
    assert parsed.root == AnyOf([Word("famine", 0), Word("brokers", 8)])
    assert parsed.notices == []


def test_operators_bind_tighter_than_the_implicit_or() -> None:
    parsed = parse('a b AND c NOT d -"e f" (g OR h)')
    assert parsed.root is not None
    a, and_, not_d, not_ef, group = parsed.root.children
    assert a == Word("a", 0)
    assert and_ == AllOf([Word("b", 2), Word("c", 8)])
    assert not_d == Not(Word("d", 14))
    assert not_ef == Not(Phrase("e f", 17))
    assert group == AnyOf([Word("g", 24), Word("h", 29)], 23)
    assert parsed.notices == []


def test_fields_prefixes_and_negation_parse() -> None:
    parsed = parse('place:"North Hamgyong" tag:famine year:2005..2010 lang:ko route:china escap* -hyesan')
    assert parsed.root is not None
    assert parsed.root.children == [
        Fielded("place", "North Hamgyong", 0),
        Fielded("tag", "famine", 23),
        Fielded("year", "2005..2010", 34),
        Fielded("lang", "ko", 50),
        Fielded("route", "china", 58),
        Prefix("escap", 70),
        Not(Word("hyesan", 78)),
    ]


def test_double_negation_cancels_out() -> None:
    assert parse("NOT -famine").root == AnyOf([Word("famine", 5)])


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ('"famine brokers', "Unbalanced quote at position 1 was ignored."),
        ('famine "brokers', "Unbalanced quote at position 8 was ignored."),
        ("(famine brokers", "Missing closing parenthesis for the one at position 1; assumed at the end."),
        ("famine) brokers", "Unbalanced parenthesis at position 7 was ignored."),
        ("AND OR", "Operator 'AND' at position 1 was ignored."),
        ("famine AND", "Operator 'AND' at position 8 was ignored."),
        ("famine AND OR brokers", "Operator 'AND' at position 8 was ignored."),
        ("OR famine", "Operator 'OR' at position 1 was ignored."),
        ("famine NOT", "Operator 'NOT' at position 8 was ignored."),
        ("***", "A bare wildcard at position 1 was ignored."),
        ("*", "A bare wildcard at position 1 was ignored."),
        ("e*", "Prefix 'e*' at position 1 is too short (two letters at least) and was ignored."),
        (
            "es*ape",
            "Wildcards only work at the end of a word; 'es*ape' at position 1 was searched without them.",
        ),
        ("real_name:Kim", "Unknown field 'real_name:' at position 1 was searched as plain words."),
        ("consent:yes famine", "Unknown field 'consent:' at position 1 was searched as plain words."),
        ("place: famine", "Field 'place:' at position 1 has no value and was ignored."),
        ("tag:fam*", "Wildcards are not supported in field searches (position 1); '*' was ignored."),
        ("fam\x00ine\u202e", "Control or invisible characters were removed from the query."),
        ("x" * 10_000, f"The query was shortened to its first {MAX_QUERY_CHARS} characters."),
        ("(" * 20 + "famine" + ")" * 20, "Parentheses nested too deeply at position 9 were ignored."),
    ],
)
def test_malformed_input_is_repaired_with_a_notice(query: str, notice: str) -> None:
    parsed = parse(query)
    assert notice in parsed.notices
    assert len(parsed.text) <= MAX_QUERY_CHARS


def test_unknown_fields_become_plain_words_never_field_queries() -> None:
    parsed = parse("real_name:Kim")
    assert parsed.root == AnyOf([Word("real_name", 0), Word("Kim", 10)])


def test_too_many_terms_are_capped() -> None:
    parsed = parse(" ".join(f"w{i}" for i in range(100)))
    assert parsed.root is not None and len(parsed.root.children) == 64
    assert "Only the first 64 search terms were used." in parsed.notices


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "()", "( )", "AND", "NOT", '""', "((()))"])
def test_empty_or_contentless_queries_have_no_tree(query: str) -> None:
    assert parse(query).root is None


def test_stacked_negations_do_not_recurse() -> None:
    parse("-" * 499 + "a")
    parse("NOT " * 120 + "a")


# -- features through search() ----------------------------------------------------------------


def test_or_semantics_rank_full_matches_first_and_keep_partial_ones(search: Search) -> None:
    results = search("famine broker escape")
    assert ids(results)[0] == 1  # the only public testimony with all three words
    assert {5, 6, 7} <= set(ids(results))  # each matches one word only


def test_rarer_words_outrank_common_ones(search: Search) -> None:
    # "porridge" occurs in one testimony, "famine" in three: the porridge one ranks first.
    assert ids(search("porridge famine")) == [9, 6, 5, 1]


def test_phrase_requires_adjacent_words(search: Search) -> None:
    assert ids(search('"tumen river"')) == [1]
    assert ids(search('"river tumen"')) == []
    assert ids(search('"escaped across"')) == [1]
    assert ids(search('"escaped the river"')) == []


def _in_a_row(words: list[str], phrase: list[str]) -> bool:
    return any(words[i : i + len(phrase)] == phrase for i in range(len(words)))


def test_phrases_match_exactly_where_the_words_follow_each_other(
    make_engine: Callable[..., SearchEngine],
) -> None:
    # Random transcripts over six words: every phrase (repeated words included) finds exactly
    # the testimonies where a plain scan finds its words in a row inside one segment.
    rng = random.Random(5)
    vocab = ["kelp", "tarn", "plov", "mosk", "brine", "fjord"]
    docs = []
    for doc_id in range(1, 41):
        segments = [
            _seg(doc_id * 100 + k, k * 10.0, " ".join(rng.choice(vocab) for _ in range(rng.randint(3, 12))))
            for k in range(3)
        ]
        docs.append(_doc(doc_id, title=f"Testimony {doc_id}", segments=segments))
    engine = make_engine()
    engine.apply(docs, [])
    checked_empty = checked_found = 0
    for _ in range(80):
        phrase = [rng.choice(vocab) for _ in range(rng.choice([2, 2, 3, 4]))]
        expected = {
            d["id"] for d in docs if any(_in_a_row(s["text"].split(), phrase) for s in d["segments"])
        }
        found = engine.search(SearchRequest(q='"' + " ".join(phrase) + '"', per_page=50))
        assert {hit.id for hit in found.hits} == expected, phrase
        assert found.total == len(expected)
        checked_found += bool(expected)
        checked_empty += not expected
    assert checked_found > 10 and checked_empty > 10  # both outcomes were exercised


def test_phrase_does_not_match_across_segments(search: Search) -> None:
    # Segment 102 ends with "bark." and 103 starts with "In 2008": no phrase across them.
    assert ids(search('"bark 2008"')) == []


def test_and_or_not_and_parentheses(search: Search) -> None:
    assert ids(search("famine AND school")) == [6]
    assert set(ids(search("porridge OR school"))) == {6, 9}
    assert set(ids(search("famine AND NOT hyesan"))) == {1, 6}
    assert ids(search("(famine OR porridge) AND school")) == [6]
    assert set(ids(search("famine -hyesan"))) == {1, 6}
    assert set(ids(search("famine NOT hyesan"))) == {1, 6}


def test_leading_not_matches_everything_else(search: Search) -> None:
    results = search("NOT famine")
    assert set(ids(results)) == {2, 7, 8, 9}
    assert any("only excludes" in n for n in results.notices)


def test_prefix_matches_inflections_and_other_words(search: Search) -> None:
    assert ids(search("escap*")) == [1]
    assert ids(search("escape*")) == [1]  # the stem "escap" is reached through "escape"
    assert set(ids(search("porr*"))) == {9}
    assert ids(search("청진*")) == [2]
    assert ids(search("로동*")) == [2]  # North Korean spelling of the prefix


def test_prefix_expansion_is_capped_with_a_notice(make_engine: Callable[..., SearchEngine]) -> None:
    engine = make_engine()
    words = " ".join("vex" + a + b for a in string.ascii_lowercase[:10] for b in string.ascii_lowercase[:10])
    engine.apply(
        [
            {
                "id": 1,
                "title": "many",
                "visibility": "public",
                "segments": [{"id": 1, "start": 0, "end": 1, "text": words}],
            }
        ],
        [],
    )
    results = engine.search(SearchRequest(q="vex*"))
    assert results.total == 1
    assert any("only the first 64" in n for n in results.notices)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("year:2009", {1}),
        ("year:2005..2010", {1, 6, 9}),
        ("year:2005-2010", {1, 6, 9}),
        ("year:>2010", {5, 7}),
        ("year:>=2013", {5, 7}),
        ("year:<2005", {2, 8}),
        ("year:..2004", {2, 8}),
        ("year:2013..", {5, 7}),
        ("tag:famine", {1, 5, 6}),
        ("tag:Famine", {1, 5, 6}),
        ("lang:ko", {2, 7}),
        ("lang:korean", {2, 7}),
        ("route:laos", {1}),
        ("route:Vietnam", {6}),
        ("route:베트남", {6}),
        ("place:Yanji", {1, 2}),
        ("place:연길", {1, 2}),
        ("place:hyesan", {5}),
        ('place:"North Hamgyong"', {1, 2, 8}),
        ("place:Hamgyeong", {1, 2, 8}),
        ("place:north-hamgyong", {1, 2, 8}),
        ("tag:famine AND year:2005..2010", {1, 6}),
        ("famine -tag:markets", {1, 6}),
    ],
)
def test_fielded_terms(search: Search, query: str, expected: set[int]) -> None:
    assert set(ids(search(query))) == expected


def test_bad_year_is_ignored_with_a_notice(search: Search) -> None:
    results = search("year:soon famine")
    assert set(ids(results)) == {1, 5, 6}
    assert any("year:soon" in n for n in results.notices)


def test_unknown_field_is_searched_as_words(search: Search) -> None:
    results = search("consent:porridge")
    assert ids(results) == [9]
    assert results.notices == ["Unknown field 'consent:' at position 1 was searched as plain words."]


@pytest.mark.parametrize(
    "query",
    [
        '"famine brokers',
        "famine) AND (school",
        "AND OR school",
        "NOT",
        "***",
        "school AND",
        "(((school",
        "sch\x07ool",
        "school " * 2000,
        '"""',
        "-",
        "--school",
        "place:",
        "year:",
        ":",
        "a:b:c",
        "\ud800school",
    ],
)
def test_malformed_queries_still_search(search: Search, query: str) -> None:
    results = search(query)
    assert isinstance(results.total, int)


@pytest.mark.parametrize("query", ["the and of", "***", "e*", "AND", "-", "!!!"])
def test_queries_with_nothing_searchable_find_nothing_with_a_notice(search: Search, query: str) -> None:
    results = search(query)
    assert results.total == 0
    assert results.notices


def test_empty_query_lists_everything(search: Search) -> None:
    assert search("  ").total == 7


# -- fuzz ---------------------------------------------------------------------------------------

_PIECES = [
    "AND",
    "OR",
    "NOT",
    "and",
    "(",
    ")",
    '"',
    "'",
    "*",
    "**",
    "-",
    "+",
    ":",
    "place:",
    "tag:",
    "year:",
    "route:",
    "lang:",
    "real_name:",
    "year:2005..2010",
    "year:>",
    "..",
    "famine",
    "school",
    "청진에서",
    "로동",
    "Hamgyŏng",
    "Ch'ŏngjin",
    "\x00",
    "\u202e",
    "\ud800",
    "\t",
    "\n",
    " ",
    "  ",
    "é",
    "ŏ",
    "\\",
    "/",
    "?",
    "~",
    "^",
    "&&",
    "||",
    "{",
    "}",
    "[",
    "]",
    "%",
    "😀",
    "ß",
    "İ",
    "٣",
    "漢",
    "ㅋㅋ",
    "zorbatek",
    "zorb",
    "~p",
    "~pchongjin",
    "~qx",
]


def _nasty_query(rnd: random.Random) -> str:
    parts = [
        rnd.choice(_PIECES)
        if rnd.random() < 0.7
        else "".join(rnd.choices(string.printable, k=rnd.randint(1, 6)))
        for _ in range(rnd.randint(0, 14))
    ]
    return rnd.choice(["", " "]).join(parts)


def test_fuzz_search_never_raises(engine: SearchEngine) -> None:
    rnd = random.Random(20240611)
    for i in range(2000):
        q = _nasty_query(rnd)
        audience = ("public", "researcher", "staff")[i % 3]
        request: dict[str, Any] = {"q": q, "audience": audience}
        if i % 7 == 0:
            request["filters"] = {"route": ["china"], "arrived": [rnd.choice(["2005-2009", "2009", "x"])]}
        if i % 11 == 0:
            request["sort"] = rnd.choice(["date", "-date", "arrival", "-arrival", "bogus"])
        results = engine.search(SearchRequest(**request))
        assert results.total >= len(results.hits)
        if audience == "public":
            assert all(h.id in {1, 2, 5, 6, 7, 8, 9} for h in results.hits)
            assert "zorbatek" not in " ".join(p.snippet for h in results.hits for p in h.passages)
