"""Fixtures for the search engine tests (tmp_path index directories, fixed corpus)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from archive.search.engine import SearchEngine, SearchRequest, SearchResults, load_place_groups

from tests.search.search_corpus import PLACES_CSV, corpus


@pytest.fixture(scope="session")
def place_groups() -> list[list[str]]:
    return load_place_groups(PLACES_CSV)


@pytest.fixture
def make_engine(tmp_path: Path, place_groups: list[list[str]]) -> Iterator[Callable[..., SearchEngine]]:
    """Build engines on the test's index directory (several may share it, like processes)."""
    engines: list[SearchEngine] = []

    def factory(**kwargs: Any) -> SearchEngine:
        engine = SearchEngine(tmp_path / "index", place_groups, **kwargs)
        engines.append(engine)
        return engine

    yield factory
    for engine in engines:
        engine.close()


@pytest.fixture
def engine(make_engine: Callable[..., SearchEngine]) -> SearchEngine:
    """An engine holding the fixed corpus."""
    eng = make_engine()
    eng.apply(corpus(), [])
    return eng


@pytest.fixture
def search(engine: SearchEngine) -> Callable[..., SearchResults]:
    """Shorthand: search(q, audience=..., **request fields)."""

    def run(q: str = "", **kwargs: Any) -> SearchResults:
        return engine.search(SearchRequest(q=q, **kwargs))

    return run
