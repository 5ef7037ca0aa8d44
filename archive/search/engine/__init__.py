"""Search engine for testimonies: the only package that imports whoosh or kiwipiepy.

It never imports the app's models or Flask itself (only Flask-Babel's lazy strings, so that
query notices and facet labels read in the visitor's language): it receives plain dict
documents and returns plain dataclasses::

    engine = SearchEngine(index_dir, load_place_groups(places_csv))
    engine.apply(upserts=[doc, ...], deletes=[12])          # after each commit (outbox)
    results = engine.search(SearchRequest(q="Chongjin famine", audience="public"))

Identity protection is structural: each audience (public, researcher, staff) searches its own
index, which only ever receives the documents built for that audience (the archive builds
them from its protected view; restricted text exists only in staff documents, in separate
fields). Ranking statistics, facet counts and suggestions are therefore computed from what
the audience may read: a hidden testimony cannot move another's score. Identical documents
are written once and their segment shared by hard links. Years are indexed as bands; facets,
filters and sorting never split a band. Anything derived from a lexicon (prefix expansion, spelling suggestions) is checked
against live documents the audience may see, because Whoosh keeps deleted documents'
terms until a merge.

Modules: analysis/korean/places (text analysis), schema (fields, document preparation),
query (parser), compiler (Whoosh queries), strings (Hangul bigram queries), facets, passages, suggest, storage
(generations, locks, merges), bulk (rebuild workers), engine (the facade).
"""

from .searcher import SearchEngine
from .facets import widen_years
from .places import load_place_groups
from .results import (
    AUDIENCES,
    FACETS,
    SORTS,
    Hit,
    IndexBusy,
    Moment,
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
    "Moment",
    "Passage",
    "QueryError",
    "SearchEngine",
    "SearchRequest",
    "SearchResults",
    "load_place_groups",
    "widen_years",
]
