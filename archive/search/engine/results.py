"""Plain request/result types of the search API (no Whoosh objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass, field

FACETS = (
    "province",
    "route",
    "left",
    "arrived",
    "gender",
    "age",
    "occupation",
    "education",
    "residence",
    "tag",
    "language",
)
AUDIENCES = ("public", "researcher", "staff")
SORTS = ("relevance", "date", "-date", "duration", "-duration", "arrival", "-arrival")
MAX_PER_PAGE = 100


class QueryError(ValueError):
    """A query that cannot be interpreted at all (search() itself never raises it for text)."""


class IndexBusy(RuntimeError):
    """The index stayed locked by another writer for longer than the lock timeout."""


@dataclass
class SearchRequest:
    """What to search for, for whom, and which page of results to return."""

    q: str = ""
    audience: str = "public"
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    max_passages: int = 5


@dataclass
class Passage:
    """A transcript segment that matched; `snippet` is safe HTML with <mark> around matches."""

    segment_id: int
    start: float
    end: float
    snippet: str


@dataclass
class Moment:
    """A matching segment of one testimony with the character spans of the matched words in its text."""

    segment_id: int
    start: float
    end: float
    marks: list[tuple[int, int]]


@dataclass
class Hit:
    """One testimony in a result page."""

    id: int
    external_id: str
    score: float
    title: str
    passages: list[Passage] = field(default_factory=list)


@dataclass
class SearchResults:
    """One page of results with facet counts for the whole result set."""

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    notices: list[str]
    page: int
    per_page: int
    pages: int
