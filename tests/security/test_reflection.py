"""Reflected markup: every GET route, every query parameter the app reads, markup in each, none of it live.

Each route of `app.url_map` that answers GET is called with its path arguments filled from a small
world (a public testimony, its narrator and segment, a theme, a place, a statistics table, a language)
and with markup in every query parameter: once all at once, then one parameter at a time (so a
parameter refused early cannot shield the others), and the search query in the shapes that produce
notices (`year:<…>`, `<…>*`, unbalanced quotes...). HTML and XML bodies must never carry the markup
unescaped; JSON bodies may (JSON is not rendered). Nothing may answer 500 or redirect off the site.

The parameter list is checked against the names the code reads (`args.get("…")`, `getlist`,
`args["…"]`, `"…" in request.args`, the API's `*_param(args, "…")`), so a new parameter cannot
escape the probe silently.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from archive.config import PROJECT_ROOT
from archive.core.extensions import db
from archive.models import Place
from archive.search.engine import FACETS
from archive.themes.pages import list_themes, seed_themes
from archive.statistics.data import dataset_keys

MARKUP = '<h1>qzx</h1>"><script>qzx()</script><meta http-equiv=refresh content=0;url=http://evil.example>'
# The markup is live when a tag opens with a real "<"; escaped it reads "&lt;h1&gt;...".
LIVE = re.compile(r"<h1>qzx|<script>qzx|<meta http-equiv=refresh", re.IGNORECASE)
# Every query parameter the archive reads (checked below against the code), plus a few it might; the
# search filters are read in a loop over FACETS (services/searching.py), so they come from there.
PARAMETERS = (
    "q", "page", "per_page", "sort", *FACETS, "t", "autoplay", "download", "lang", "topic", "country", "decade",
    "next", "status", "action", "audience", "narrator", "kind", "scheme", "updated_since", "year", "format", "copy",
    "as", "exact", "access",
    "verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken",
)
# Search queries whose repairs are explained in notices that quote the query.
QUERY_SHAPES = ("year:{m}", "left:{m}", "arrived:{m}", "zzfield:{m}", "{m}*", 'a "{m}', "({m}", "{m} AND",
                "year:1990-{m}", "ab{m}*")
RENDERED = ("html", "xml", "svg")
READS = [
    re.compile(r"\bargs\w*\.(?:get|getlist)\(\s*[\"']([A-Za-z_]+)[\"']"),
    re.compile(r"\bargs\[\s*[\"']([A-Za-z_]+)[\"']\s*\]"),
    re.compile(r"[\"']([A-Za-z_]+)[\"']\s+in\s+(?:request\.)?args\b"),
    re.compile(r"_param\(\s*\w+\s*,\s*[\"']([A-Za-z_]+)[\"']"),
    re.compile(r"page_number\(\s*[\w.]+\s*,\s*[\"']([A-Za-z_]+)[\"']"),
]
MISSING_ID = 987654


def test_parameter_list_covers_every_name_the_code_reads() -> None:
    found: dict[str, str] = {}
    for path in sorted((PROJECT_ROOT / "archive").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in READS:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.setdefault(match.group(1), f"{path.relative_to(PROJECT_ROOT)}:{line}")
    known = {"q", "sort", "t", "page", "next", "metadataPrefix", "updated_since"}
    assert known <= set(found), "the patterns no longer find the reads they were written for"
    missing = {name: where for name, where in found.items() if name not in PARAMETERS}
    assert not missing, f"query parameters read by the code but not probed here: {missing}"


@pytest.fixture()
def world(app: Flask, factory: Any) -> dict[str, Any]:
    """Ids and slugs for the path arguments, from records every audience may see."""
    seed_themes()
    narrator = factory.narrator(pseudonym="Pine")
    testimony = factory.testimony(narrator, tags=["famine"], segments=[
        {"start": 0, "end": 4, "speaker": "Interviewer", "text": "Where were you born?"},
        {"start": 4, "end": 9, "speaker": "Pine", "text": "By the river in Hoeryong, in the famine years."}])
    place = db.session.scalar(select(Place.slug).order_by(Place.id).limit(1))
    return {
        "ids": {"testimony_id": testimony.id, "narrator_id": narrator.id, "segment_id": testimony.segments[0].id},
        "strings": [list_themes()[0].slug, place, dataset_keys()[0], "ko", "famine"],
    }


def _rules(app: Flask) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "GET" in (rule.methods or set()) and rule.endpoint != "static"), key=lambda r: r.rule)


def _paths(app: Flask, rule: Rule, world: dict[str, Any]) -> list[str]:
    """The rule's URL with known ids and each known string (and the markup itself) for string arguments."""
    adapter = app.url_map.bind("localhost")
    strings = [*world["strings"], MARKUP]
    converters = rule._converters  # noqa: SLF001 - werkzeug exposes no public accessor
    numbers = {name for name in rule.arguments if isinstance(converters[name], IntegerConverter)}
    if numbers == set(rule.arguments):
        strings = strings[:1]
    paths = []
    for value in strings:
        values = {name: world["ids"].get(name, MISSING_ID) if name in numbers else value for name in rule.arguments}
        try:
            paths.append(adapter.build(rule.endpoint, values, method="GET"))
        except Exception:  # noqa: BLE001 - a value the rule cannot take is simply skipped
            continue
    return list(dict.fromkeys(paths))


def _all_at_once() -> dict[str, str]:
    return {name: MARKUP for name in PARAMETERS}


def _one_at_a_time() -> list[dict[str, str]]:
    return [{name: MARKUP} for name in PARAMETERS]


def _search_shapes() -> list[dict[str, str]]:
    return [*({"q": shape.format(m=MARKUP)} for shape in QUERY_SHAPES),
            {"q": "famine", "arrived": MARKUP, "left": MARKUP, "sort": MARKUP}]


def _problems(url: str, response: TestResponse) -> list[str]:
    out = []
    if response.status_code >= 500:
        out.append(f"{url} answered {response.status_code}")
    location = response.headers.get("Location")
    if location and urlsplit(location).netloc not in ("", "localhost"):
        out.append(f"{url} redirects off the site to {location}")
    if location and LIVE.search(location):
        out.append(f"{url} redirects to a location carrying markup: {location}")
    kind = response.content_type or "text/html"
    if any(word in kind for word in RENDERED):
        body = response.get_data(as_text=True)
        for match in LIVE.finditer(body):
            context = body[max(match.start() - 60, 0): match.end() + 20].replace("\n", " ")
            out.append(f"{url} ({kind}) shows live markup: …{context}…")
            break
    return out


def _shown(url: str) -> str:
    return url.replace(urlencode({"": MARKUP})[1:], "M").replace(quote(MARKUP, safe=""), "M")


def _probe(app: Flask, client: FlaskClient, world: dict[str, Any], only: tuple[str, ...] = ()) -> tuple[int, list[str]]:
    """Fetch every GET route with markup in its parameters; returns (requests sent, problems found)."""
    problems: list[str] = []
    sent = 0

    def fetch(path: str, query: dict[str, str]) -> TestResponse:
        nonlocal sent
        url = f"{path}?{urlencode(query)}"
        response = client.get(url)
        sent += 1
        problems.extend(_problems(_shown(url), response))
        response.close()
        return response

    for rule in _rules(app):
        if only and not rule.rule.startswith(only):
            continue
        for number, path in enumerate(_paths(app, rule, world)):
            response = fetch(path, _all_at_once())
            if number:
                continue  # other strings and markup in the path: all parameters at once is enough
            # One at a time where a parameter may have been refused before the others were read.
            for query in _one_at_a_time() if response.status_code != 200 else []:
                fetch(path, query)
            for query in _search_shapes() if not rule.arguments else []:
                fetch(path, query)
    return sent, problems


def test_no_route_reflects_markup_to_the_public(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    sent, problems = _probe(app, client, world)
    assert sent > 300
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("role", ["researcher", "curator", "admin"])
def test_no_route_reflects_markup_to_signed_in_users(app: Flask, client: FlaskClient, auth: Any,
                                                     world: dict[str, Any], role: str) -> None:
    auth.login(role, approved=True if role == "researcher" else None)
    only = {"researcher": ("/api/", "/search", "/testimonies", "/narrators", "/hear", "/account"),
            "curator": ("/curate", "/statistics", "/testimonies"), "admin": ("/admin", "/statistics")}[role]
    sent, problems = _probe(app, client, world, only)
    assert sent > 30
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_the_search_notices_quote_the_markup_as_text(client: FlaskClient, world: dict[str, Any]) -> None:
    for query in ({"arrived": "<h1>x</h1>"}, {"q": "year:<h1>x</h1>"}):
        response = client.get(f"/search?{urlencode(query)}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<h1>x</h1>" not in html
        assert re.search(r'class="notice"[^>]*>[^<]*&lt;h1&gt;x&lt;/h1&gt;', html), "the notice shows the input as text"
        api = client.get(f"/api/v1/search?{urlencode(query)}").get_json()
        assert any("<h1>x</h1>" in notice for notice in api["notices"]), "JSON carries the text, not HTML entities"


def test_flashed_messages_are_text(app: Flask, client: FlaskClient) -> None:
    from markupsafe import Markup

    @app.get("/_flash_probe")
    def flash_probe() -> str:
        from flask import flash, redirect
        from flask_babel import lazy_gettext

        flash(Markup("<h1>qzx</h1>"), "info")
        flash(lazy_gettext("Theme “%(title)s” saved.", title="<script>qzx()</script>"), "info")
        return redirect("/")

    response = client.get("/_flash_probe", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert not LIVE.search(html)
    assert "&lt;h1&gt;qzx&lt;/h1&gt;" in html and "&lt;script&gt;qzx()&lt;/script&gt;" in html


def test_lazy_text_is_escaped_as_markup_and_plain_as_str(app: Flask) -> None:
    from markupsafe import Markup, escape

    from archive.core.i18n import lazy_text

    with app.test_request_context("/"):
        notice = lazy_text("Filter %(name)s=%(value)s is not a year or a year range and was ignored.", name="left",
                           value="<h1>x</h1>")
        assert str(notice) == "Filter left=<h1>x</h1> is not a year or a year range and was ignored."
        assert "&lt;h1&gt;x&lt;/h1&gt;" in escape(notice) and "<h1>" not in Markup("<p>%s</p>") % notice
        assert app.jinja_env.from_string("{{ n }}").render(n=notice).count("&lt;h1&gt;") == 1
