"""The JSON API against its own OpenAPI document, with Schemathesis (property-based, in process).

Every operation of the document is called with generated valid and invalid parameters against the
demo collection; every response must be declared (status code, content type, schema), invalid
input must be refused with a 4xx, valid input must not be, and nothing may answer 5xx. Anonymous
callers and a signed-in curator (who sees restricted passages) are both exercised.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

from archive import create_app
from archive.core.extensions import db
from archive.interop.api_document import document
from archive.curation.imports import load_demo
from archive.accounts.users import create_user
from tests.conftest import PASSWORD, _empty_tables, csrf_token

schema = schemathesis.openapi.from_dict(document())

SETTINGS = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def demo_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app with the demo collection for the whole module (loading it per operation is slow)."""
    tmp = tmp_path_factory.mktemp("api-schema")
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "ARCHIVE_DATA_DIR": str(tmp),
        "MEDIA_ROOT": str(tmp / "media"), "SEARCH_INDEX_DIR": str(tmp / "index"), "SECRET_KEY": "test-secret",
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
    })
    with app.app_context():
        _empty_tables()
        app.extensions["search"].ensure()
        load_demo()
        create_user("curator@example.org", PASSWORD, "curator")
        db.session.remove()
    yield app
    with app.app_context():
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def curator_cookies(demo_app: Flask) -> dict[str, str]:
    """The session cookie of a signed-in curator."""
    client = demo_app.test_client()
    token = csrf_token(client, "/account/login")
    response = client.post("/account/login", data={"email": "curator@example.org", "password": PASSWORD,
                                                   "csrf_token": token})
    assert response.status_code == 302
    cookie = client.get_cookie("session")
    assert cookie is not None
    return {"session": cookie.value}


def test_the_served_document_is_the_tested_one(demo_app: Flask) -> None:
    response = demo_app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == document()
    paths = set(response.get_json()["paths"])
    rules = {rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
             for rule in demo_app.url_map.iter_rules()}
    assert {rule for rule in rules if rule.startswith("/api/")} == {path for path in paths if path.startswith("/api/")}, \
        "every API route is documented, and nothing else"
    # Outside /api/: the IIIF manifest and the embeddable player, for viewers and other sites.
    assert paths - rules == set()
    assert {path for path in paths if not path.startswith("/api/")} == {
        "/iiif/testimonies/{testimony_id}/manifest.json", "/embed/testimonies/{testimony_id}"}


@schema.parametrize()
@SETTINGS
def test_anonymous_responses_match_the_document(case: Any, demo_app: Flask) -> None:
    case.call_and_validate(app=demo_app)


@schema.parametrize()
@SETTINGS
def test_curator_responses_match_the_document(case: Any, demo_app: Flask, curator_cookies: dict[str, str]) -> None:
    case.call_and_validate(app=demo_app, cookies=curator_cookies)


def test_documented_examples_are_served(demo_app: Flask) -> None:
    """The examples in the document work as written (ids 1, slug famine, table arrivals_by_year)."""
    client = demo_app.test_client()
    for path in ("/api/v1/testimonies?page=1&per_page=20&topic=famine&language=ko"
                 "&updated_since=2024-01-01T00:00:00Z",
                 "/api/v1/testimonies/1", "/api/v1/testimonies/1/segments", "/api/v1/narrators/1",
                 "/api/v1/vocabulary/places?kind=province", "/api/v1/vocabulary/categories?scheme=occupation",
                 "/api/v1/statistics/arrivals_by_year", "/api/v1/search?q=famine&sort=relevance"):
        response = client.get(path)
        assert response.status_code == 200, path


def test_the_curator_session_reaches_the_app(demo_app: Flask, curator_cookies: dict[str, str]) -> None:
    """The curator run above really is signed in: it sees the draft and researchers-only testimonies."""
    operation = schema["/api/v1/testimonies"]["GET"]
    anonymous = operation.Case(query={"per_page": 100}).call_and_validate(app=demo_app).json()
    curator = operation.Case(query={"per_page": 100}).call_and_validate(app=demo_app, cookies=curator_cookies).json()
    assert curator["total"] > anonymous["total"] > 0
    hidden = {t["external_id"] for t in curator["items"]} - {t["external_id"] for t in anonymous["items"]}
    assert {"demo-003", "demo-007"} <= hidden
