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


def test_small_counts_are_hidden_from_the_public(client: FlaskClient, corpus: dict[str, Any]) -> None:
    facets = client.get("/api/v1/search?q=broker").get_json()["facets"]
    assert facets["province"]["north-hamgyong"] == 6
    assert facets["province"]["ryanggang"] is None  # one testimony: "fewer than 5"
    html = client.get("/search?q=broker").get_data(as_text=True)
    assert "(fewer than 5)" in html and "(6)" in html


def test_narrow_combinations_are_not_offered_to_the_public(client: FlaskClient, corpus: dict[str, Any]) -> None:
    data = client.get("/api/v1/search?q=broker&tag=brokers").get_json()
    # With a filter applied, a value that would narrow to fewer than 5 is not offered at all.
    assert "ryanggang" not in data["facets"]["province"]
    html = client.get("/search?q=broker&tag=brokers").get_data(as_text=True)
    assert "province=ryanggang" not in html


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
    data = client.get("/api/v1/search?q=brokre").get_json()
    assert data["total"] == 0 and data["suggestion"] == "broker"
    assert client.get("/api/v1/search?q=secretwrd").get_json()["suggestion"] != "secretword"
