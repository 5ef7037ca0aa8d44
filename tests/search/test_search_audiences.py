"""Search per audience: what each audience searches is only what it may read, ranked only among that.

Each test builds its records through the services and asks /api/v1/search and /search over HTTP,
as the public (anonymous), an approved researcher and a curator.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive.core.extensions import db
from archive import models
from archive.curation import testimonies as testimony_service

QUERIES = ("harvest", "river", "harvest river", '"the harvest"', "harv*", "year:2005..2009", "")


def seg(text: str, start: float = 0, restricted: bool = False, speaker: str = "Narrator") -> dict[str, Any]:
    return {"start": start, "end": start + 4, "text": text, "speaker": speaker, "restricted": restricted}


def results(client: FlaskClient, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/search", query_string={"q": q, "per_page": 100, **params})
    assert response.status_code == 200
    return response.get_json()


def snapshot(client: FlaskClient) -> dict[str, Any]:
    """What an audience gets for every query: ids, order, scores, totals, facets and suggestions."""
    out = {}
    for q in QUERIES:
        data = results(client, q)
        out[q] = {"total": data["total"], "suggestion": data["suggestion"], "facets": data["facets"],
                  "hits": [(hit["id"], hit["score"], [s["snippet"] for s in hit["segments"]])
                           for hit in data["results"]]}
    for sort in ("arrival", "-arrival", "date"):
        out[f"sort={sort}"] = [hit["id"] for hit in results(client, "harvest", sort=sort)["results"]]
    return out


def hidden_testimony(factory: Any, kind: str, text: str) -> models.Testimony:
    """A testimony the public and researchers may not see, sharing the visible ones' words."""
    segments = [seg(text, 0), seg("the harvest harvest harvest by the river", 10)]
    title = "The harvest river (hidden)"
    if kind == "draft":
        return factory.testimony(title=title, status="draft", segments=segments)
    if kind == "restricted":
        return factory.testimony(title=title, access="restricted", segments=segments)
    if kind == "embargoed":
        return factory.testimony(title=title, embargo_until=(date.today() + timedelta(days=400)).isoformat(),
                                 segments=segments)
    if kind == "withdrawn":
        # Made as a draft, then consent withdrawn, then "published": it never reached a public index.
        t = factory.testimony(title=title, status="draft", segments=segments)
        testimony_service.withdraw_consent(t, None)
        t = db.session.get(models.Testimony, t.id)
        t.status = "published"
        t.access = "public"
        db.session.commit()
        return t
    raise AssertionError(kind)


@pytest.fixture()
def visible(app: Flask, factory: Any) -> dict[str, models.Testimony]:
    """Public and researchers-only testimonies whose words the hidden ones share."""
    made = {}
    with factory.batch():  # index and OAI records written once, for all of them
        for i, (text, arrived) in enumerate([
            ("the harvest failed and we went to the river", 2006),
            ("harvest harvest, the whole harvest was taken", 2008),
            ("we crossed the river in winter", 2012),
            ("the harvest of the river villages", 2001),
        ]):
            n = factory.narrator(arrived_south_year=arrived, left_north_year=arrived - 1)
            made[f"public{i}"] = factory.testimony(n, title=f"Story {i}", segments=[seg(text, 0), seg("after that", 8)],
                                                   tags=["famine"])
        made["researchers"] = factory.testimony(title="Researchers' story", access="researchers",
                                                segments=[seg("the harvest by the river was poor", 0)])
    return made


def test_hidden_testimonies_change_nothing_for_the_public_and_researchers(
        app: Flask, factory: Any, auth: Any, visible: dict[str, models.Testimony]) -> None:
    public_client, researcher_client = app.test_client(), app.test_client()
    type(auth)(researcher_client).login("researcher", approved=True)
    before_public, before_researcher = snapshot(public_client), snapshot(researcher_client)
    assert [h[0] for h in before_public["harvest"]["hits"]]  # the words are found at all
    assert visible["researchers"].id in [h[0] for h in before_researcher["harvest"]["hits"]]
    assert visible["researchers"].id not in [h[0] for h in before_public["harvest"]["hits"]]

    hidden = [hidden_testimony(factory, kind, "harvest river harvest")
              for kind in ("draft", "restricted", "embargoed", "withdrawn")]
    staff_client = app.test_client()
    type(auth)(staff_client).login("curator")
    assert {t.id for t in hidden} <= {h["id"] for h in results(staff_client, "harvest")["results"]}
    assert snapshot(researcher_client) == before_researcher
    assert snapshot(public_client) == before_public

    # A researchers-only testimony is hidden from the public only: it changes nothing there.
    factory.testimony(title="Another researchers' harvest", access="researchers",
                      segments=[seg("harvest river harvest river", 0)])
    assert snapshot(public_client) == before_public


def test_restricted_passages_do_not_count_in_anyone_elses_scores(app: Flask, factory: Any, auth: Any) -> None:
    plain = factory.testimony(title="Twin one", segments=[seg("the millstone turned", 0)])
    sealed = factory.testimony(title="Twin two", segments=[seg("the millstone turned", 0),
                                                         seg("millstone millstone at the camp", 5, restricted=True)])
    for client in (app.test_client(), _logged_in(app, auth, "researcher")):
        scores = {hit["id"]: hit["score"] for hit in results(client, "millstone")["results"]}
        assert scores[plain.id] == scores[sealed.id]
    staff = {hit["id"]: hit for hit in results(_logged_in(app, auth, "curator"), "millstone")["results"]}
    assert staff[sealed.id]["score"] > staff[plain.id]["score"]
    assert any("camp" in s["snippet"] for s in staff[sealed.id]["segments"])  # staff still find restricted text


def _logged_in(app: Flask, auth: Any, role: str) -> FlaskClient:
    client = app.test_client()
    type(auth)(client).login(role, email=f"{role}-{id(client)}@example.org", approved=True if role == "researcher"
                             else None)
    return client


def test_no_transcript_consent_means_no_transcript_search_for_researchers(app: Flask, factory: Any,
                                                                          auth: Any) -> None:
    t = factory.testimony(title="Winter in Sinuiju", access="researchers", consent_transcript=False,
                          segments=[seg("the quorvalite smugglers came at dawn", 0)])
    researcher = _logged_in(app, auth, "researcher")
    for client in (app.test_client(), researcher):
        data = results(client, "quorvalite")
        assert data["total"] == 0
        assert "quorvalite" not in client.get("/search?q=quorval*").get_data(as_text=True)
        assert "quorvalite" not in str(results(client, "smugglers"))
    # Its metadata is still found by researchers (not by the public).
    assert [hit["id"] for hit in results(researcher, "Sinuiju")["results"]] == [t.id]
    assert results(researcher, "Sinuiju")["results"][0]["segments"] == []
    assert results(app.test_client(), "Sinuiju")["total"] == 0
    staff = results(_logged_in(app, auth, "curator"), "quorvalite")
    assert [hit["id"] for hit in staff["results"]] == [t.id] and staff["results"][0]["segments"]


def test_real_name_in_a_speaker_label_is_neither_shown_nor_findable(app: Flask, factory: Any, auth: Any) -> None:
    n = factory.narrator(pseudonym="Hana", real_name="Pak Yong-ho")
    factory.testimony(n, title="The border at night", segments=[
        seg("we walked to the border at night", 0, speaker="Pak Yong-ho"),
        seg("the border guards slept", 5, speaker="PAK  yongho (narrator)"),
        seg("what happened at the border", 9, speaker="Interviewer")])
    for client in (app.test_client(), _logged_in(app, auth, "researcher")):
        for q in ("Pak", '"Pak Yong-ho"', "yongho", "Yong-ho"):
            assert results(client, q)["total"] == 0, q
        body = client.get("/api/v1/search", query_string={"q": "border"}).get_data(as_text=True)
        page = client.get("/search", query_string={"q": "border"}).get_data(as_text=True)
        for text in (body, page):
            assert "Pak" not in text and "PAK" not in text and "yongho" not in text.lower()
        assert results(client, "Hana")["total"] == 1


@pytest.fixture()
def profiles(app: Flask, factory: Any) -> dict[str, models.Testimony]:
    """Narrators arriving in 2005, 2007 and 2009 (one band), one in 2012; one home town each."""
    made = {}
    with factory.batch():  # index and OAI records written once, for all of them
        for year in (2005, 2007, 2009, 2012):
            n = factory.narrator(arrived_south_year=year, left_north_year=year - 1, birth_year=1978,
                                 origin_province="Ryanggang", origin_place="Hyesan")
            made[year] = factory.testimony(n, title=f"Arrival story {year}", segments=[seg("the market in town", 0)])
    return made


def test_year_facets_filters_and_sorting_never_reveal_an_exact_year(app: Flask, auth: Any,
                                                                    profiles: dict[int, models.Testimony]) -> None:
    band = {profiles[y].id for y in (2005, 2007, 2009)}
    for client in (app.test_client(), _logged_in(app, auth, "researcher")):
        data = results(client, "")
        assert set(data["facets"]["arrived"]) == {"2005-2009", "2010-2014"}
        assert set(data["facets"]["left"]) == {"2000-2004", "2005-2009", "2010-2014"}
        # One year selects its whole band; so do year: queries.
        for value in ("2007", "2005", "2005-2009", "2000s", "2006..2008"):
            assert {hit["id"] for hit in results(client, "", arrived=value)["results"]} == band, value
            assert not {"2005", "2007", "2009"} & set(results(client, "", arrived=value)["facets"]["arrived"])
        for q in ("year:2007", "year:2006", "year:2005..2006", "market AND year:2009"):
            assert {hit["id"] for hit in results(client, q)["results"]} == band, q
        # Within a band the order is the same both ways: it tells nothing about the years.
        up = [hit["id"] for hit in results(client, "", sort="arrival")["results"]]
        down = [hit["id"] for hit in results(client, "", sort="-arrival")["results"]]
        assert up[:3] == down[1:] == sorted(band) and down[0] == up[3] == profiles[2012].id
        # The home town is not public: neither a facet nor findable by place.
        assert results(client, "place:Hyesan")["total"] == 0
        assert results(client, "place:Ryanggang")["total"] == 4
        html = client.get("/search?arrived=2007").get_data(as_text=True)
        assert "2005–2009" in html and "In five-year periods" in html
    staff = _logged_in(app, auth, "curator")
    assert {hit["id"] for hit in results(staff, "", arrived="2007")["results"]} == {profiles[2007].id}
    assert {hit["id"] for hit in results(staff, "year:2007")["results"]} == {profiles[2007].id}
    assert results(staff, "place:Hyesan")["total"] == 4


def test_consented_exact_year_is_searchable_exactly(app: Flask, factory: Any, auth: Any) -> None:
    n = factory.narrator(arrived_south_year=2007, left_north_year=2006, consent_detailed_profile=True,
                         exact_fields=["arrived_south_year"])
    shown = factory.testimony(n, title="Open arrival", segments=[seg("a market story", 0)])
    other = factory.testimony(factory.narrator(arrived_south_year=2008, left_north_year=2006), title="Other",
                              segments=[seg("a market story", 0)])
    client = app.test_client()
    assert {hit["id"] for hit in results(client, "year:2007")["results"]} == {shown.id, other.id}
    assert {hit["id"] for hit in results(client, "year:2008")["results"]} == {other.id}  # 2007 is public
