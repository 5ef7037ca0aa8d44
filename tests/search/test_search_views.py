"""The /search page and GET /api/v1/search, through HTTP."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient


def seg(text: str, start: float = 0, restricted: bool = False) -> dict[str, Any]:
    return {"start": start, "end": start + 4, "text": text, "speaker": "Narrator", "restricted": restricted}


@pytest.fixture()
def corpus(app: Flask, factory: Any) -> dict[str, Any]:
    """Six public testimonies from North Hamgyong (2009) and one from Ryanggang (2012)."""
    made = {"nh": [], "ry": None}
    with factory.batch():  # index and OAI records written once, for all of them
        for i in range(6):
            n = factory.narrator(origin_province="North Hamgyong", arrived_south_year=2009, left_north_year=2008)
            made["nh"].append(factory.testimony(n, segments=[seg("we crossed the river at night", 10),
                                                             seg(f"the broker waited {i}", 65)], tags=["brokers"]))
        n = factory.narrator(origin_province="Ryanggang", arrived_south_year=2012, left_north_year=2011)
        made["ry"] = factory.testimony(n, segments=[seg("the broker took us to Laos", 30),
                                                    seg("secretword hidden passage", 40, restricted=True)])
    return made


def test_api_returns_ranked_results_with_passages(client: FlaskClient, corpus: dict[str, Any]) -> None:
    data = client.get("/api/v1/search?q=broker").get_json()
    assert data["total"] == 7
    first = data["results"][0]
    assert set(first) >= {"id", "external_id", "title", "url", "score", "segments"}
    assert first["segments"] and {"start", "end", "snippet"} <= set(first["segments"][0])
    assert "<mark>" in first["segments"][0]["snippet"]
    assert "?t=" in first["segments"][0]["url"]


def test_page_links_each_passage_to_its_moment(client: FlaskClient, corpus: dict[str, Any]) -> None:
    ry = corpus["ry"]
    html = client.get("/search?q=Laos").get_data(as_text=True)
    assert f"/testimonies/{ry.id}?t=30" in html
    assert "<mark>Laos</mark>" in html


def test_restricted_passage_is_not_searchable(client: FlaskClient, corpus: dict[str, Any]) -> None:
    assert client.get("/api/v1/search?q=secretword").get_json()["total"] == 0
    assert "secretword" not in client.get("/search?q=secret*").get_data(as_text=True)


def test_public_facet_counts_are_exact_and_count_only_what_the_reader_may_open(
        client: FlaskClient, factory: Any, corpus: dict[str, Any]) -> None:
    hidden = factory.narrator(origin_province="Ryanggang")
    factory.testimony(hidden, segments=[seg("the broker drafted", 5)], status="draft")
    facets = client.get("/api/v1/search?q=broker").get_json()["facets"]
    assert facets["province"] == {"north-hamgyong": 6, "ryanggang": 1}  # the draft is not counted
    html = client.get("/search?q=broker").get_data(as_text=True)
    assert "(1)" in html and "(6)" in html and "fewer than" not in html


def test_other_values_stay_offered_after_a_filter(client: FlaskClient, corpus: dict[str, Any]) -> None:
    data = client.get("/api/v1/search?q=broker&province=north-hamgyong").get_json()
    assert data["total"] == 6 and data["filters"] == {"province": ["north-hamgyong"]}
    # Counted as if the province were not chosen: adding Ryanggang (OR) would add one.
    assert data["facets"]["province"] == {"north-hamgyong": 6, "ryanggang": 1}
    html = client.get("/search?q=broker&province=north-hamgyong").get_data(as_text=True)
    assert "province=north-hamgyong&amp;province=ryanggang" in html


def test_staff_see_exact_counts(client: FlaskClient, auth: Any, corpus: dict[str, Any]) -> None:
    auth.login("curator")
    facets = client.get("/api/v1/search?q=broker").get_json()["facets"]
    assert facets["province"]["ryanggang"] == 1
    assert client.get("/api/v1/search?q=secretword").get_json()["total"] == 1


def test_facet_filters_and_year_ranges(client: FlaskClient, corpus: dict[str, Any]) -> None:
    assert client.get("/api/v1/search?arrived=2012").get_json()["total"] == 1
    assert client.get("/api/v1/search?arrived=2005-2009").get_json()["total"] == 6
    assert client.get("/api/v1/search?province=ryanggang&province=north-hamgyong").get_json()["total"] == 7


def test_sorting_and_pagination(client: FlaskClient, corpus: dict[str, Any]) -> None:
    page1 = client.get("/api/v1/search?q=broker&per_page=3&page=1&sort=-arrival").get_json()
    page3 = client.get("/api/v1/search?q=broker&per_page=3&page=3&sort=-arrival").get_json()
    assert page1["pages"] == 3 and len(page1["results"]) == 3 and len(page3["results"]) == 1
    assert page1["results"][0]["id"] == corpus["ry"].id  # arrived 2012, latest first
    html = client.get("/search?q=broker&per_page=3&page=2").get_data(as_text=True)
    assert 'rel="next"' in html and 'rel="prev"' in html


@pytest.mark.parametrize("q", ['"unbalanced', "((broker", "AND OR NOT", "broker AND", "***", "a*", "\x00\x07broker",
                               "real_name:kim", "x" * 10_000, "year:abc..", "place:", ")(", "-"])
def test_malformed_queries_never_fail(client: FlaskClient, corpus: dict[str, Any], q: str) -> None:
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200
    assert isinstance(response.get_json()["total"], int)
    assert client.get("/search", query_string={"q": q}).status_code == 200


def test_bad_parameters_fall_back_to_defaults(client: FlaskClient, corpus: dict[str, Any]) -> None:
    data = client.get("/api/v1/search?q=broker&page=abc&per_page=100000&sort=evil").get_json()
    assert data["page"] == 1 and data["per_page"] == 100 and data["sort"] == "relevance"


def test_spelling_suggestion_comes_from_public_text(client: FlaskClient, corpus: dict[str, Any]) -> None:
    data = client.get("/api/v1/search?q=brokre&exact=1").get_json()
    assert data["total"] == 0 and data["suggestion"] == "broker"
    assert client.get("/api/v1/search?q=secretwrd&exact=1").get_json()["suggestion"] != "secretword"


def test_facets_and_related_topics_are_labelled_in_the_interface_language(client: FlaskClient,
                                                                          corpus: dict[str, Any]) -> None:
    """Only the vocabulary rows a page's facet values name are read for its labels, in the page's language."""
    client.set_cookie("lang", "ko")
    html = client.get("/search?q=broker").get_data(as_text=True)
    assert "함경북도" in html and "량강도" in html and "브로커" in html and "Brokers" not in html
    chosen = client.get("/search?q=broker&province=ryanggang").get_data(as_text=True)
    assert "량강도" in chosen and "Ryanggang" not in chosen  # the chosen value's chip and facet
    nothing = client.get("/search?q=zzqxvnotaword").get_data(as_text=True)  # no results: the biggest topics
    assert "브로커" in nothing
    client.set_cookie("lang", "en")
    english = client.get("/search?q=broker").get_data(as_text=True)
    assert "North Hamgyong" in english and "Brokers" in english and "함경북도" not in english
