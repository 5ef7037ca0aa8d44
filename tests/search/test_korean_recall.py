"""Korean recall: every Hangul string of a public text finds it, North/South spellings and loanwords meet."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from archive.search.engine import SearchEngine, SearchRequest, SearchResults
from archive.search.engine import korean

KO_DIR = Path(__file__).resolve().parent / "ko"
ADDRESSES = sorted(KO_DIR.glob("nk-new-year-address-*.txt"))
_HANGUL_RUN = re.compile("[가-힣]{2,}")

Search = Callable[..., SearchResults]


def _address_doc(doc_id: int, path: Path) -> dict[str, Any]:
    """One New Year address as a public testimony, one segment per paragraph."""
    paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
    segments = [
        {"id": doc_id * 1000 + i, "start": float(i), "end": float(i + 1), "text": p}
        for i, p in enumerate(paragraphs)
    ]
    return {"id": doc_id, "visibility": "public", "title": path.stem, "segments": segments}


def _doc(doc_id: int, text: str, visibility: str = "public", restricted: str = "") -> dict[str, Any]:
    segments = [{"id": doc_id * 10, "start": 0.0, "end": 5.0, "text": text}]
    if restricted:
        segments.append({"id": doc_id * 10 + 1, "start": 5.0, "end": 9.0, "text": restricted, "restricted": True})
    return {"id": doc_id, "visibility": visibility, "title": f"Testimony {doc_id}", "segments": segments}


def _ids(results: SearchResults) -> list[int]:
    return [hit.id for hit in results.hits]


@pytest.fixture(scope="module")
def addresses(tmp_path_factory: pytest.TempPathFactory, place_groups: list[list[str]]) -> Any:
    """An engine holding four long North Korean texts (ids 1-4)."""
    engine = SearchEngine(tmp_path_factory.mktemp("ko") / "index", place_groups)
    docs = [_address_doc(i, path) for i, path in enumerate(ADDRESSES, start=1)]
    engine.apply(docs, [])
    yield engine, docs
    engine.close()


@pytest.fixture
def small(make_engine: Callable[..., SearchEngine]) -> Search:
    """An engine with short texts written for one rule each."""
    engine = make_engine()
    engine.apply(
        [
            _doc(1, "우리는 분조관리체를 강화하고 혁명의 유생력량을 보존하였다. 조선로동당 만세."),
            _doc(2, "노동자들이 관리 일을 하며 역량을 키웠다. 그들은 새살림을 꾸렸다."),
            _doc(3, "그는 아르헨띠나에서 뜨락또르를 몰았다. 까메룬 사람도 만났다."),
            _doc(4, "어르신 세분이 오셨다. The famine in Chongjin was hard."),
            _doc(5, "남조선 로동당원들이 모였다.", restricted="김철수 동무는 은밀히 함흥비밀당원이었다."),
            _doc(6, "탈북자들은 아르헨티나와 트랙터 이야기를 했다. 노동당 간부 세 분이 있었다."),
        ],
        [],
    )

    def run(q: str, **kwargs: Any) -> SearchResults:
        return engine.search(SearchRequest(q=q, per_page=50, **kwargs))

    return run


def _substrings(text: str, rng: random.Random, count: int) -> list[str]:
    """Random Hangul substrings of two to five syllables, cut anywhere inside words."""
    runs = [m.group() for m in _HANGUL_RUN.finditer(text)]
    out: list[str] = []
    while len(out) < count:
        run = rng.choice(runs)
        size = rng.randint(2, min(5, len(run)))
        start = rng.randint(0, len(run) - size)
        out.append(run[start : start + size])
    return out


def test_any_hangul_substring_of_a_text_finds_it(addresses: Any) -> None:
    engine, docs = addresses
    rng = random.Random(17)
    missed = []
    for doc in docs:
        text = "\n".join(s["text"] for s in doc["segments"])
        for query in _substrings(text, rng, 60):
            found = _ids(engine.search(SearchRequest(q=query, per_page=50)))
            if doc["id"] not in found:
                missed.append((doc["id"], query))
    assert missed == []


def test_a_quoted_hangul_string_finds_it_too(addresses: Any) -> None:
    engine, docs = addresses
    rng = random.Random(18)
    for doc in docs:
        text = "\n".join(s["text"] for s in doc["segments"])
        for query in _substrings(text, rng, 10):
            assert doc["id"] in _ids(engine.search(SearchRequest(q=f'"{query}"', per_page=50))), query


def test_no_two_syllable_korean_word_is_dropped_from_a_query(addresses: Any) -> None:
    engine, docs = addresses
    words = sorted({w for doc in docs for s in doc["segments"] for w in _HANGUL_RUN.findall(s["text"])
                    if len(w) == 2})
    assert len(words) > 100
    for word in words:
        results = engine.search(SearchRequest(q=word, per_page=50))
        assert results.hits, word
        assert not any("Nothing searchable" in str(n) for n in results.notices), word


def test_a_noun_kiwi_reads_as_determiner_and_bound_noun_is_searched(small: Search) -> None:
    results = small("세분")
    assert 4 in _ids(results)
    assert results.notices == []


@pytest.mark.parametrize("query", ["분조관리체", "분조관리체를", "유생력량", "새살림", "새살림을"])
def test_compounds_split_differently_in_context_are_found(small: Search, query: str) -> None:
    expected = 2 if query.startswith("새살림") else 1
    assert _ids(small(query))[0] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("유생역량", {1}),  # South Korean spelling of a North Korean compound (력량 inside the word)
        ("노동당", {1, 5, 6}),  # 조선로동당, 로동당원 and 노동당
        ("로동당", {1, 5, 6}),
        ("노동", {1, 2, 5, 6}),
    ],
)
def test_initial_sound_law_applies_inside_compounds(small: Search, query: str, expected: set[int]) -> None:
    assert set(_ids(small(query))) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("아르헨티나", {3, 6}),
        ("아르헨띠나", {3, 6}),
        ("아르헨티나에서", {3, 6}),
        ("트랙터", {3, 6}),
        ("뜨락또르", {3, 6}),
        ("카메룬", {3}),  # not in the list: the initial-consonant rules (ㄲ/ㅋ) still match it
    ],
)
def test_north_korean_loanword_spellings_match_south_korean_ones(
    small: Search, query: str, expected: set[int]
) -> None:
    assert set(_ids(small(query))) == expected


def test_loanword_list_names_its_sources_and_rules() -> None:
    header = korean.LOANWORDS_CSV.read_text(encoding="utf-8").split("kind,north,south")[0]
    assert "Sources:" in header and "외래어 표기법" in header
    initials, words = korean.loanwords()
    assert initials["ㄸ"] == "ㅌ" and words["아르헨띠나"] == "아르헨티나"


def test_morpheme_matches_rank_above_string_only_matches(small: Search) -> None:
    # 2 has the noun 노동(자); 1 only has 로동 inside the proper noun 조선로동당.
    ranked = _ids(small("노동자"))
    assert ranked[0] == 2
    scores = {hit.id: hit.score for hit in small("노동").hits}
    assert scores[2] > scores[1]


def test_phrases_of_several_words_stay_exact(small: Search) -> None:
    assert _ids(small('"유생력량을 보존하였다"')) == [1]
    assert _ids(small('"보존하였다 유생력량을"')) == []


def test_english_keeps_stemming(small: Search) -> None:
    assert _ids(small("famines")) == [4]


def test_restricted_hangul_strings_reach_staff_only(small: Search) -> None:
    assert _ids(small("함흥비밀", audience="staff")) == [5]
    assert _ids(small("함흥비밀")) == []
    assert _ids(small("비밀당원")) == []
    assert _ids(small("김철수")) == []


@pytest.mark.parametrize(
    ("query", "doc_id", "marked"),
    [("노동당", 1, "<mark>로동당</mark>"), ("세분", 4, "<mark>세분</mark>"), ("아르헨티나", 3, "<mark>아르헨띠나</mark>")],
)
def test_string_only_matches_show_the_passage_with_the_string_marked(
    small: Search, query: str, doc_id: int, marked: str
) -> None:
    hit = next(h for h in small(query).hits if h.id == doc_id)
    assert hit.passages and marked in hit.passages[0].snippet


def test_string_passages_of_restricted_text_reach_staff_only(small: Search) -> None:
    hit = next(h for h in small("함흥비밀", audience="staff").hits if h.id == 5)
    assert "<mark>함흥비밀</mark>" in hit.passages[0].snippet
    assert all("함흥" not in p.snippet for h in small("남조선").hits for p in h.passages)
