"""Probing every public surface for planted markers.

A `Prober` is one role's browser: it fetches pages, crawls internal links, walks every GET route
of `app.url_map` with every id substituted, searches for every marker in every query form, and
records each leak with the URL and the place the marker was planted.
"""
from __future__ import annotations

import difflib
import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, unquote_plus, urlencode, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from .world import Marker, World

MISSING_ID = 987654
MAX_COMBINATIONS = 90
CRAWL_LIMIT = 700
VARIANTS_PER_PATH = 25
SKIP_PATHS = {"/account/logout"}
# Query parameters tried on every argument-less route, so a suggestion or feed endpoint added later
# is probed without changing this file. Every marker starts with "qz".
GENERIC_QUERIES = ({"q": "qz"}, {"q": "qz*"}, {"term": "qz"}, {"prefix": "qz"}, {"page": "2"})
ID_ARGUMENTS = {"testimony_id": "testimony", "narrator_id": "narrator", "recording_id": "recording",
                "user_id": "user"}


@dataclass
class Leak:
    role: str
    url: str
    marker: Marker
    where: str

    def __str__(self) -> str:
        return f"[{self.role}] {self.url}: {self.marker} ({self.marker.key}) in {self.where}"


@dataclass
class Stats:
    """What was tried, for the terminal summary."""

    markers: set[str] = field(default_factory=set)
    surfaces: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    roles: set[str] = field(default_factory=set)
    leaks: list[Leak] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Links(HTMLParser):
    """Collect URLs a browser would fetch or follow without submitting a POST."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name in ("href", "src", "poster", "data-src", "data-url"):
            if a.get(name):
                self.urls.append(a[name])
        if tag == "form" and a.get("method", "get").lower() == "get":
            self.urls.append(a.get("action") or "")


def links(html: str, base: str) -> list[str]:
    """Internal URLs of an HTML page, absolute paths with query, without fragments."""
    parser = _Links()
    parser.feed(html)
    out = []
    for raw in parser.urls:
        url = urljoin("http://localhost" + base, raw.strip())
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc not in ("localhost", ""):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


class Prober:
    """One role's view of the archive."""

    def __init__(self, app: Flask, client: FlaskClient, role: str, world: World, stats: Stats) -> None:
        self.app, self.client, self.role, self.world, self.stats = app, client, role, world, stats
        self.forbidden = world.forbidden_for(role)
        self._by_word = {}
        for marker in self.forbidden:
            self._by_word[marker.key] = marker
            self._by_word[marker.proof] = marker
        self._pattern = re.compile("|".join(sorted(self._by_word, key=len, reverse=True)), re.I) \
            if self._by_word else None
        stats.roles.add(role)
        stats.markers.update(m.key for m in world.markers)

    # -- fetching and checking ------------------------------------------------------------------

    def get(self, url: str, surface: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(url, **kwargs)
        self.stats.requests += 1
        self.stats.surfaces[surface] += 1
        self.check(url, response)
        response.close()  # the body stays buffered; files behind it are released
        return response

    def check(self, url: str, response: TestResponse) -> None:
        """Record every forbidden word in the body or headers that the request did not itself carry."""
        if self._pattern is None:
            return
        echoed = unquote_plus(url).lower()
        body = response.get_data()
        text = body.decode("utf-8", "replace")
        if "json" in (response.content_type or ""):
            # JSON may escape non-ASCII; decode it so nothing hides behind \\u escapes.
            try:
                text += "\n" + json.dumps(json.loads(body), ensure_ascii=False)
            except ValueError:
                pass
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        for where, haystack in (("body", text), ("headers", headers)):
            for match in set(m.group(0).lower() for m in self._pattern.finditer(haystack)):
                marker = self._by_word[match]
                if match in echoed:
                    continue  # the request's own words, shown back (search box, page title)
                self.stats.leaks.append(Leak(self.role, url, marker, where))

    # -- crawl ------------------------------------------------------------------------------------

    def crawl(self, start: Iterable[str] = ("/",), limit: int = CRAWL_LIMIT) -> int:
        """Follow internal links breadth-first from the start pages; returns pages fetched."""
        queue = list(start)
        seen: set[str] = set()
        per_path: Counter[str] = Counter()
        fetched = 0
        while queue and fetched < limit:
            url = queue.pop(0)
            path = urlsplit(url).path
            if url in seen or path in SKIP_PATHS or per_path[path] >= VARIANTS_PER_PATH:
                continue
            seen.add(url)
            per_path[path] += 1
            response = self.get(url, "crawl")
            fetched += 1
            if response.status_code in (301, 302, 303, 307, 308) and response.location:
                queue.append(urlsplit(urljoin("http://localhost" + url, response.location)).path)
            if "html" in (response.content_type or ""):
                queue.extend(u for u in links(response.get_data(as_text=True), url) if u not in seen)
        return fetched

    # -- every GET route --------------------------------------------------------------------------

    def id_values(self, kind: str | None) -> list[int]:
        w = self.world
        pools = {"testimony": w.testimony_ids, "narrator": w.narrator_ids, "recording": w.recording_ids,
                 "user": w.user_ids}
        if kind is None:
            values = sorted({v for pool in pools.values() for v in pool.values()})
        else:
            values = sorted(pools[kind].values())
        return values + [MISSING_ID]

    def string_values(self) -> list[str]:
        w = self.world
        return ["x", w.hidden_tag, w.hidden_country.lower(), "jagang", "famine", "china",
                self.forbidden[0].key if self.forbidden else "qz"]

    def route_urls(self, rule: Rule) -> list[tuple[str, dict[str, Any]]]:
        """Concrete URLs for a rule: every combination of known ids and a few strings (capped)."""
        choices: list[list[Any]] = []
        names = sorted(rule.arguments)
        for name in names:
            converter = rule._converters.get(name)  # noqa: SLF001 - werkzeug exposes no public accessor
            if isinstance(converter, IntegerConverter):
                choices.append(self.id_values(ID_ARGUMENTS.get(name)))
            else:
                choices.append(self.string_values())
        adapter = self.app.url_map.bind("localhost")
        combos = list(itertools.product(*choices))
        if len(combos) > MAX_COMBINATIONS:
            # A spread sample, each with every id argument also swapped for a missing id, so hidden
            # and missing records can still be compared argument by argument.
            base = random.Random(rule.rule).sample(combos, MAX_COMBINATIONS // (len(names) + 1))
            combos = list(dict.fromkeys(
                base + [c[:i] + (MISSING_ID,) + c[i + 1:] for c in base for i, name in enumerate(names)
                        if isinstance(rule._converters.get(name), IntegerConverter)]))  # noqa: SLF001
        urls = []
        for combo in combos:
            values = dict(zip(names, combo))
            try:
                urls.append((adapter.build(rule.endpoint, values, method="GET"), values))
            except Exception:  # noqa: BLE001 - a rule that cannot take these values is simply skipped
                continue
        return urls

    def get_rules(self) -> list[Rule]:
        return [rule for rule in self.app.url_map.iter_rules()
                if "GET" in (rule.methods or set()) and rule.endpoint != "static"]

    def probe_routes(self) -> list[str]:
        """Fetch every GET route with every id; hidden ids must answer exactly like a missing one."""
        problems: list[str] = []
        for rule in self.get_rules():
            if not rule.arguments:
                for query in ({},) + GENERIC_QUERIES:
                    url = rule.rule + (f"?{urlencode(query)}" if query else "")
                    self.get(url, f"route {rule.endpoint}")
                continue
            responses: dict[tuple[tuple[tuple[str, Any], ...], str], TestResponse] = {}
            suffixes = ("", "?download=1", "?t=5") if len(rule.arguments) == 1 else ("",)
            for url, values in self.route_urls(rule):
                for suffix in suffixes:
                    response = self.get(url + suffix, f"route {rule.endpoint}")
                    responses[(tuple(sorted(values.items())), suffix)] = response
            problems += self._compare_absence(rule, responses)
        return problems

    def _compare_absence(self, rule: Rule,
                         responses: dict[tuple[tuple[tuple[str, Any], ...], str], TestResponse]) -> list[str]:
        problems = []
        hidden = {
            "testimony": set(self.world.hidden_testimonies(self.role)),
            "narrator": set(self.world.hidden_narrators(self.role)),
            "recording": set(self.world.hidden_recordings(self.role)),
        }
        adapter = self.app.url_map.bind("localhost")
        for (key, suffix), response in responses.items():
            values = dict(key)
            for name, value in values.items():
                kind = ID_ARGUMENTS.get(name)
                if kind not in hidden or value not in hidden[kind]:
                    continue
                missing_values = dict(values, **{name: MISSING_ID})
                missing = responses.get((tuple(sorted(missing_values.items())), suffix))
                if missing is None:
                    continue
                url = adapter.build(rule.endpoint, values) + suffix
                missing_url = adapter.build(rule.endpoint, missing_values) + suffix
                if not same_answer(response, url, missing, missing_url):
                    diff = "\n".join(list(difflib.unified_diff(
                        _blank(missing, missing_url).splitlines(), _blank(response, url).splitlines(),
                        "missing", "hidden", lineterm="", n=1))[:12])
                    problems.append(f"[{self.role}] {url} ({kind} {value} is hidden) answers "
                                    f"{response.status_code} {response.content_type} but a missing {kind} answers "
                                    f"{missing.status_code} {missing.content_type}:\n{diff}")
        return problems

    # -- search -----------------------------------------------------------------------------------

    def search_queries(self, marker: Marker) -> list[tuple[str, str]]:
        """Every query form for one marker: (surface, query)."""
        key = marker.key
        return [("plain", key), ("phrase", f'"{key} {marker.proof}"'), ("prefix", key[:-3] + "*"),
                ("fielded place", f"place:{key}"), ("fielded title", f"title:{key}"), ("typo", key[:-1]),
                ("korean+key", f"두만강 {key}")]

    def probe_search(self, endpoints: list[str]) -> list[str]:
        """Search for every forbidden marker in every form; each must find nothing at all."""
        problems = []
        for marker in self.forbidden:
            for form, query in self.search_queries(marker):
                for endpoint in endpoints:
                    api = endpoint.startswith("/api/")
                    if not api and form not in ("plain", "prefix", "typo"):
                        continue  # the HTML page runs the same engine request; three forms are enough
                    url = f"{endpoint}?{urlencode({'q': query})}"
                    response = self.get(url, f"search {form}" + (" api" if api else " page"))
                    if response.status_code != 200:
                        problems.append(f"[{self.role}] {url} answered {response.status_code}")
                        continue
                    if api:
                        data = response.get_json()
                        if data.get("total") or data.get("results"):
                            problems.append(f"[{self.role}] {url} found {data.get('total')} for {marker}")
        return problems


def same_answer(a: TestResponse, a_url: str, b: TestResponse, b_url: str) -> bool:
    """Status, type and body equal once each request's own URL is blanked out."""
    if (a.status_code, a.content_type) != (b.status_code, b.content_type):
        return False
    return _blank(a, a_url) == _blank(b, b_url)


_FLASHES = re.compile(r'<div class="flashes".*?</div>', re.S)
# CSRF tokens are signed with a timestamp: equal tokens differ from one second to the next.
_CSRF = re.compile(r'(name="csrf[_-]token"[^>]*(?:value|content)=")[^"]*"')


def _blank(response: TestResponse, url: str) -> str:
    # Flashed messages belong to the previous request (e.g. "please log in" after a redirect).
    text = _CSRF.sub(r'\1{token}"', _FLASHES.sub("", response.get_data(as_text=True)))
    text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    location = response.headers.get("Location", "")
    for form in (quote(url, safe=""), quote(url), url):
        text = text.replace(form, "{url}")
        location = location.replace(form, "{url}")
    return text + "\nLocation: " + location
