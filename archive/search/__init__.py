"""Search engine for testimonies: the only package that imports whoosh or kiwipiepy.

It never imports the app's models or Flask itself (only Flask-Babel's lazy strings, so that
query notices and facet labels read in the visitor's language): it receives plain dict
documents and returns plain dataclasses::

    engine = SearchEngine(index_dir, load_place_groups(places_csv))
    engine.apply(upserts=[doc, ...], deletes=[12])          # after each commit (outbox)
    results = engine.search(SearchRequest(q="Chongjin famine", audience="public"))

Identity protection is structural: the `public/` index only ever receives public
testimonies without their restricted segments; researchers and staff search `full/`,
where restricted text lives in separate fields that only the staff audience queries.
Anything derived from a lexicon (prefix expansion, spelling suggestions) is checked
against live documents the audience may see, because Whoosh keeps deleted documents'
terms until a merge.

Modules: analysis/korean/places (text analysis), schema (fields, document preparation),
query (parser), compiler (Whoosh queries), facets, passages, suggest, storage
(generations, locks, merges), bulk (rebuild workers), engine (the facade).
"""

from .engine import SearchEngine
from .places import load_place_groups
from .results import (
    AUDIENCES,
    FACETS,
    SORTS,
    Hit,
    IndexBusy,
    Passage,
    QueryError,
    SearchRequest,
    SearchResults,
)

__all__ = [
    "AUDIENCES",
    "FACETS",
    "SORTS",
    "Hit",
    "IndexBusy",
    "Passage",
    "QueryError",
    "SearchEngine",
    "SearchRequest",
    "SearchResults",
    "load_place_groups",
]
