"""Analysis: English stemming, Korean morphemes, NK/SK spelling, place-name spellings."""

from __future__ import annotations

import pytest
from archive.search.engine import korean
from archive.search.engine.analysis import Analyzer, fold, romkey
from archive.search.engine.places import PlaceMatcher, load_place_groups, matcher_for

from tests.search.search_corpus import PLACES_CSV


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(matcher_for(load_place_groups(PLACES_CSV)))


def terms(analyzer: Analyzer, text: str, query: bool = False) -> set[str]:
    tokens, _ = analyzer.tokens(text, query=query)
    return {t.term for t in tokens}


def words(analyzer: Analyzer, text: str) -> list[str]:
    """Terms of the words themselves (no place or compound-head synonyms), in order."""
    tokens, _ = analyzer.tokens(text)
    return [t.term for t in tokens if t.surface is not None]


def places(analyzer: Analyzer, text: str, query: bool = False) -> set[str]:
    return {t for t in terms(analyzer, text, query) if t.startswith("~p")}


def test_load_place_groups_reads_every_spelling() -> None:
    groups = load_place_groups(PLACES_CSV)
    north = next(g for g in groups if g[0] == "North Hamgyong")
    assert north[:4] == ["North Hamgyong", "함경북도", "Hamgyŏng-bukto", "Hamgyeongbuk-do"]
    assert "Hamkyeongpukto" in north
    assert all(g and all(name.strip() == name and name for name in g) for g in groups)


def test_fold_strips_diacritics_case_and_apostrophes() -> None:
    assert fold("Ch'ŏngjin") == "chongjin"
    assert fold("Hamgyŏng") == "hamgyong"
    assert fold("Sinŭiju") == "sinuiju"
    assert fold("P’yŏngyang") == "pyongyang"


def test_romkey_unifies_romanization_systems() -> None:
    assert romkey("hamgyeong") == romkey("hamgyong") == romkey("hamkyong")
    assert romkey("cheongjin") == romkey("chongjin")
    assert romkey("gaeseong") == romkey("kaesong")


@pytest.mark.parametrize("form", ["escape", "escaped", "escaping", "escapes"])
def test_english_inflections_share_a_stem(analyzer: Analyzer, form: str) -> None:
    assert words(analyzer, form) == words(analyzer, "escape")


def test_english_lowercases_and_drops_stop_words(analyzer: Analyzer) -> None:
    assert words(analyzer, "The BROKERS and the Famine") == ["broker", "famin"]


@pytest.mark.parametrize("text", ["청진에서", "청진으로", "청진", "청진은"])
def test_korean_particles_are_dropped(analyzer: Analyzer, text: str) -> None:
    assert words(analyzer, text) == ["청진"]


def test_korean_keeps_content_morphemes_only(analyzer: Analyzer) -> None:
    # 탈북 (noun) and the verb stem 건너 survive; 하/었/습니다/을 are grammar.
    assert words(analyzer, "두만강을 건너 탈북했습니다") == ["두만강", "건너", "탈북"]


@pytest.mark.parametrize(
    ("north", "south"),
    [
        ("로동", "노동"),
        ("로동자들이", "노동자"),
        ("량강도", "양강도"),
        ("녀성", "여성"),
        ("리용했다", "이용하다"),
        ("력사", "역사"),
    ],
)
def test_north_korean_initial_sounds_match_south_korean(analyzer: Analyzer, north: str, south: str) -> None:
    assert words(analyzer, north)[0] == words(analyzer, south)[0]


def test_korean_compound_nouns_also_index_their_head(analyzer: Analyzer) -> None:
    assert {"노동자", "노동"} <= terms(analyzer, "로동자들이")
    assert {"탈북자", "탈북"} <= terms(analyzer, "탈북자")
    # Queries keep the whole noun: searching 노동자 must not match every 노동.
    assert "노동" not in terms(analyzer, "노동자", query=True)


def test_dueum_rule_table() -> None:
    assert korean.dueum("로동") == "노동"
    assert korean.dueum("량강도") == "양강도"
    assert korean.dueum("녀성") == "여성"
    assert korean.dueum("리") == "이"
    assert korean.dueum("라디오") == "나디오"  # consistent on both sides, so loanwords still match
    assert korean.dueum("노동") == "노동"
    assert korean.dueum("abc") == "abc"


def test_loanwords_starting_with_rieul_still_match_themselves(analyzer: Analyzer) -> None:
    assert words(analyzer, "러시아로") == words(analyzer, "러시아")
    assert places(analyzer, "러시아") == places(analyzer, "Russia")


@pytest.mark.parametrize(
    "spelling",
    [
        "North Hamgyong",
        "함경북도",
        "Hamgyŏng-bukto",
        "Hamgyeongbuk-do",
        "North Hamgyeong",
        "Hamgyong-bukto",
        "Hamkyeongpukto",
        "함경북도에서",
        "north hamgyong",
    ],
)
def test_every_spelling_of_a_place_emits_one_canonical_token(analyzer: Analyzer, spelling: str) -> None:
    assert "~pnorth_hamgyong" in places(analyzer, spelling)


@pytest.mark.parametrize("text", ["Chongjin", "Ch'ŏngjin", "Cheongjin", "청진에서", "CHONGJIN"])
def test_city_spellings_across_languages(analyzer: Analyzer, text: str) -> None:
    assert places(analyzer, text) == {"~pchongjin"}


def test_partial_names_expand_to_every_matching_place_in_queries(analyzer: Analyzer) -> None:
    expected = {"~pnorth_hamgyong", "~psouth_hamgyong"}
    assert expected <= places(analyzer, "Hamgyeong", query=True)
    assert expected <= places(analyzer, "Hamgyŏng", query=True)
    assert expected <= places(analyzer, "함경", query=True)
    # Documents only get the shared partial-name token, never a guess at North or South.
    assert places(analyzer, "Hamgyeong") == set()
    assert terms(analyzer, "Hamgyeong") & terms(analyzer, "Hamgyong")


def test_generic_words_alone_are_not_places(analyzer: Analyzer) -> None:
    assert places(analyzer, "north south province city camp", query=True) == set()


def test_multi_word_place_spans_its_words(analyzer: Analyzer) -> None:
    tokens, _ = analyzer.tokens("born in North Hamgyong today")
    place = next(t for t in tokens if t.term == "~pnorth_hamgyong")
    assert (place.pos, place.last) == (1, 2)
    assert "born in North Hamgyong today"[place.start : place.end] == "North Hamgyong"


def test_mixed_language_text_is_split_by_script(analyzer: Analyzer) -> None:
    assert words(analyzer, "We crossed the 두만강 near Musan. 무산에서 살았어요") == [
        "cross",
        "두만강",
        "near",
        "musan",
        "무산",
        "살",
    ]
    assert words(analyzer, "UN에서") == ["un"]


def test_offsets_point_into_the_original_text(analyzer: Analyzer) -> None:
    text = "I escaped from 청진에서 quickly"
    tokens, _ = analyzer.tokens(text)
    spans = {t.term: text[t.start : t.end] for t in tokens}
    assert spans["escap"] == "escaped"
    assert spans["청진"] == "청진"
    assert spans["quick"] == "quickly"


def test_positions_skip_stop_words_and_particles(analyzer: Analyzer) -> None:
    tokens, end = analyzer.tokens("escaped from the river 청진에서 강을")
    positions = {t.term: t.pos for t in tokens if not t.term.startswith("~")}
    assert positions == {"escap": 0, "river": 1, "청진": 2, "강": 3}
    assert end == 4


def test_kiwi_is_skipped_for_text_without_hangul(analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_: object) -> None:
        raise AssertionError("Kiwi must not run on Latin-only text")

    monkeypatch.setattr(korean, "analyze_eojeols", fail)
    assert words(analyzer, "Hamgyŏng-bukto famine, Ch'ŏngjin") == ["hamgyong", "bukto", "famin", "chongjin"]


def test_place_matcher_without_groups_still_analyses() -> None:
    plain = Analyzer(None)
    tokens, _ = plain.tokens("Chongjin 청진에서")
    assert [t.term for t in tokens] == ["chongjin", "청진"]
    assert matcher_for(None) is None
    assert isinstance(matcher_for([["Pyongyang", "평양"]]), PlaceMatcher)
