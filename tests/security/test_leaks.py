"""Nothing restricted ever reaches a public surface.

Unique markers are planted in every restricted place (hidden testimonies of each kind, restricted
passages, real names, unconsented public names, consent and curator notes, uploaded file names,
transcripts without consent); every surface is then probed as an anonymous visitor, a researcher
waiting for approval and an approved researcher. The counts of what was tried are printed at the
end of the run ("security leak probes").
"""
from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask

from .probes import Prober, Stats
from .world import ROLES, Planter, World, role_client

SEARCH_ENDPOINTS = ("/search", "/api/v1/search", "/search.csv")


def build_world(seed: int = 6) -> World:
    planter = Planter(seed)
    planter.plant_public()
    planter.plant_hidden()
    planter.accounts()
    return planter.world


def search_routes(app: Flask) -> list[str]:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    return [endpoint for endpoint in SEARCH_ENDPOINTS if endpoint in rules]


def _report(stats: Stats, role: str, problems: list[str]) -> str:
    leaks = [str(leak) for leak in stats.leaks if leak.role == role]
    return "\n".join(leaks[:40] + problems[:40])


@pytest.fixture()
def log_records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything the application logs while probing (its own loggers, every level)."""
    caplog.set_level(logging.DEBUG, logger="archive")
    return caplog


def _logged_leaks(world: World, role: str, records: list[logging.LogRecord]) -> list[str]:
    words = {w: m for m in world.forbidden_for(role) for w in (m.key, m.proof)}
    found = []
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        for word, marker in words.items():
            if word in text.lower():
                found.append(f"log line {record.name}:{record.levelname} carries {marker}")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_marker_on_any_page_route_or_download(app: Flask, role: str, leak_stats: Stats,
                                                 log_records: pytest.LogCaptureFixture) -> None:
    """Crawl from the home page, then every GET route with every id: no marker, hidden = missing."""
    world = build_world()
    client = role_client(app, role)
    prober = Prober(app, client, role, world, leak_stats)
    before = len(leak_stats.leaks)
    prober.crawl(["/", "/testimonies/", "/account/login", "/account/register"])
    problems = prober.probe_routes()
    # Error pages, whatever the error.
    for url in ("/no/such/page", f"/testimonies/{world.testimony_ids['restricted']}x", "/media/recordings/abc"):
        prober.get(url, "error pages")
    response = client.post("/search", data={})
    prober.check("/search (POST)", response)
    problems += _logged_leaks(world, role, log_records.records)
    leaks = leak_stats.leaks[before:]
    assert not leaks and not problems, _report(leak_stats, role, problems)


@pytest.mark.parametrize("role", ROLES)
def test_no_marker_found_by_any_search(app: Flask, role: str, leak_stats: Stats,
                                       log_records: pytest.LogCaptureFixture) -> None:
    """Plain, phrase, prefix, fielded and misspelled searches for each marker find nothing."""
    endpoints = search_routes(app)
    if not endpoints:
        leak_stats.notes.append("search probes skipped: neither /search nor /api/v1/search exists yet")
        pytest.skip("no search route (/search, /api/v1/search) exists yet; these probes run once one does")
    world = build_world()
    client = role_client(app, role)
    prober = Prober(app, client, role, world, leak_stats)
    before = len(leak_stats.leaks)
    problems = prober.probe_search(endpoints)
    # Facets of the whole collection, and of the values only hidden testimonies have.
    for endpoint in endpoints:
        for params in ({}, {"q": "*"}, {"tag": world.hidden_tag}, {"route": world.hidden_country.lower()},
                       {"province": "jagang"}, {"occupation": "military"}, {"q": "qz*"}):
            prober.get(f"{endpoint}?{urlencode(params)}", "search facets")
    problems += _logged_leaks(world, role, log_records.records)
    leaks = leak_stats.leaks[before:]
    assert not leaks and not problems, _report(leak_stats, role, problems)
    # Positive controls: the probes are not blind, the engine does find what this role may see.
    api = "/api/v1/search" if "/api/v1/search" in endpoints else None
    if api:
        assert client.get(f"{api}?q=tumen").get_json()["total"] > 0
        if role == "researcher":
            title = next(m for m in world.markers if m.kind == "researchers" and m.place == "title")
            assert client.get(f"{api}?q={title.key}").get_json()["total"] == 1


# ---------------------------------------------------------------------------------------------
# Counts: an anonymous visitor cannot tell whether hidden testimonies exist at all


def _listing_ids(html: str) -> list[str]:
    return sorted(set(re.findall(r'href="/testimonies/(\d+)[?"]', html)))


def anonymous_snapshot(app: Flask, world: World) -> dict[str, Any]:
    """Everything countable an anonymous visitor (or unapproved researcher) sees."""
    snapshot: dict[str, Any] = {}
    for role in ("anonymous", "unapproved"):
        client = role_client(app, role) if role == "anonymous" else _unapproved(app)
        home = client.get("/").get_data(as_text=True)
        snapshot[f"{role} home"] = (re.findall(r"(\d+) testimon", home), _listing_ids(home))
        snapshot[f"{role} listing"] = _listing_ids(client.get("/testimonies/").get_data(as_text=True))
        hear = client.get("/hear/")
        if hear.status_code == 200:
            html = hear.get_data(as_text=True)
            snapshot[f"{role} hear"] = (_listing_ids(html), re.findall(r"\((\d+)\)", html))
        for endpoint in search_routes(app):
            for params in _count_queries(world):
                response = client.get(f"{endpoint}?{urlencode(params)}")
                key = f"{role} {endpoint} {params}"
                if endpoint.startswith("/api/"):
                    data = response.get_json()
                    snapshot[key] = (data["total"], sorted(hit["id"] for hit in data["results"]),
                                     data["facets"], data.get("suggestion"))
                else:
                    html = response.get_data(as_text=True)
                    snapshot[key] = (re.findall(r"(\d+) testimon", html), _listing_ids(html),
                                     re.findall(r'class="count">([^<]*)<', html))
    return snapshot


def _unapproved(app: Flask) -> Any:
    return role_client(app, "unapproved")


def _count_queries(world: World) -> list[dict[str, str]]:
    queries: list[dict[str, str]] = [{}, {"q": "qz*"}, {"tag": world.hidden_tag}, {"tag": "famine"},
                                     {"route": world.hidden_country.lower()}, {"route": "china"},
                                     {"province": "jagang"}, {"province": "north-hamgyong"},
                                     {"occupation": "military"}, {"arrived": "2010"}, {"language": "en"}]
    queries += [{"q": word} for word in world.common_words]
    queries += [{"q": f'"{world.common_words[0]} {world.common_words[1]}"'}, {"q": "tumen*"},
                {"q": "place:mongolia"}, {"q": "route:mongolia"}, {"q": "tag:human-trafficking"},
                {"q": "year:2021"}, {"q": "cros"}]
    return queries


def test_anonymous_counts_identical_with_and_without_hidden_testimonies(app: Flask, leak_stats: Stats) -> None:
    """Totals, hit lists, facet values and suggestions do not change when hidden testimonies are added."""
    planter = Planter(7)
    planter.plant_public()
    planter.accounts()
    without = anonymous_snapshot(app, planter.world)
    planter.plant_hidden()
    with_hidden = anonymous_snapshot(app, planter.world)
    leak_stats.surfaces["count comparisons"] += len(without)
    leak_stats.requests += 2 * len(without)
    differences = [f"{key}: {without[key]!r} became {with_hidden.get(key)!r}"
                   for key in without if without[key] != with_hidden.get(key)]
    assert not differences, "\n".join(differences[:20])
    assert any(key.endswith(" listing") for key in without)
    if not search_routes(app):
        leak_stats.notes.append("count comparison ran without search routes (pages only)")


def test_probes_detect_a_marker_that_does_leak(app: Flask) -> None:
    """The probe itself works: a marker in a public title is reported by crawl and search alike."""
    planter = Planter(8)
    planter.plant_public()
    planter.accounts()
    marker = planter.marker("control", "public title")
    from archive.curation import testimonies
    from archive.core.extensions import db
    from archive.models import Testimony
    t = db.session.get(Testimony, planter.world.testimony_ids["public-c"])
    testimonies.update_testimony(t, {"title": f"Open title {marker.text}"}, None)
    stats = Stats()
    prober = Prober(app, role_client(app, "anonymous"), "anonymous", planter.world, stats)
    prober.crawl(["/"], limit=40)
    assert any(leak.marker == marker for leak in stats.leaks), "the crawl missed a title on a public page"
    if "/api/v1/search" in search_routes(app):
        stats.leaks.clear()
        problems = prober.probe_search(["/api/v1/search"])
        assert any(marker.key in problem for problem in problems) or any(
            leak.marker == marker for leak in stats.leaks), "search probes missed a findable marker"


def test_database_errors_never_carry_stored_values_into_log_lines(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """An unexpected database error is logged by the error handler without the row it quotes."""
    from sqlalchemy import text

    from archive.core.extensions import db

    def failing_insert() -> str:
        # PostgreSQL quotes the failing row (real name included) in its error message.
        db.session.execute(text("INSERT INTO narrators (pseudonym, real_name, gender) VALUES (:p, :r, :g)"),
                           {"p": "x", "r": "Realname Qzloggedsecret", "g": "unspecified"})
        return "unreachable"

    app.add_url_rule("/__test_failing_insert", "failing_insert", failing_insert)
    with caplog.at_level("DEBUG"):
        response = app.test_client().get("/__test_failing_insert")
    db.session.rollback()
    assert response.status_code == 500
    assert "Qzloggedsecret" not in response.get_data(as_text=True)
    assert "IntegrityError" in caplog.text or "NotNullViolation" in caplog.text
    assert "Qzloggedsecret" not in caplog.text
