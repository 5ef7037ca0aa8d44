"""The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json.

Built in Python so that its enumerations (languages, place kinds, category schemes, statistics
tables) and bounds come from the same constants the API reads its parameters with. Every object
schema is closed (`additionalProperties: false`): tests/interop/test_api_schema.py checks every
response against it, so a field added to a response without being documented (a real name, say)
fails the tests.
"""
from __future__ import annotations

from typing import Any

from archive.models import CATEGORY_SCHEMES, GENDERS, LANGUAGES, PLACE_KINDS, ROUTE_EVENTS
from archive.search.engine import FACETS
from archive.interop.api_params import (
    DEFAULT_PER_PAGE,
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    SLUG_PATTERN,
)
from archive.search.requests import SORT_LABELS
from archive.statistics.data import dataset_keys

VERSION = "2.0.0"  # 2.0: years as generalised ranges (birth, left_north, arrived_south, route year)


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out


def _obj(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": [name for name in properties if name not in optional]}


STRING = {"type": "string"}
INT = {"type": "integer"}
URL = {"type": "string", "format": "uri-reference"}
YEAR = {"type": "integer", "minimum": 1800, "maximum": 2200}
YEARS_DESCRIPTION = ("A year as you may see it: a decade (birth) or a five-year band (leaving, arriving, route), "
                     "or the exact year where the narrator consented to it (staff see exact years)")


def _schemas() -> dict[str, Any]:
    place = {"slug": STRING, "kind": {"type": "string", "enum": list(PLACE_KINDS)}, "name_en": STRING,
             "name_ko": STRING}
    category = {"scheme": {"type": "string", "enum": list(CATEGORY_SCHEMES)}, "slug": STRING,
                "label_en": STRING, "label_ko": STRING}
    topic = {"slug": STRING, "label_en": STRING, "label_ko": STRING}
    testimony_ref = {"id": INT, "title": STRING, "url": URL, "api_url": URL}
    narrator_ref = {"id": INT, "name": {"type": "string", "description": "Pseudonym, or the consented public name"},
                    "url": URL, "api_url": URL}
    years = _nullable(_ref("Years"))
    home_place = {"anyOf": [_ref("Place"), {"type": "null"}],
                  "description": "The home town; null unless the narrator consented to show it (the province "
                                 "is given instead)"}
    summary = {
        **testimony_ref,
        "external_id": _nullable(STRING),
        "narrator": _ref("NarratorRef"),
        "interview_date": _nullable({"type": "string", "description": "YYYY, YYYY-MM or YYYY-MM-DD"}),
        "languages": {"type": "array", "items": {"type": "string", "enum": list(LANGUAGES)}},
        "topics": {"type": "array", "items": _ref("Topic")},
        "home_province": _nullable(_ref("Place")),
        "home_place": home_place,
        "left_north": years,
        "arrived_south": years,
        "fictional": {"type": "boolean", "description": "A demonstration testimony with invented narrator and events"},
        "has_recording": {"type": "boolean", "description": "Whether you may hear a recording"},
        "has_transcript": {"type": "boolean", "description": "Whether you may read a transcript"},
        "updated_at": _nullable({"type": "string", "format": "date-time"}),
    }
    detail = {
        **summary,
        "interviewer": _nullable(STRING),
        "interview_place": _nullable(STRING),
        "summary_html": {"type": "string", "description": "Sanitised HTML"},
        "summary_text": STRING,
        "route": {"type": "array", "items": _ref("RouteStop")},
        "chapters": {"type": "array", "items": _ref("Chapter")},
        "recordings": {"type": "array", "items": _ref("Recording"),
                       "description": "Only recordings you may hear; empty otherwise"},
        "transcript": _nullable(_ref("TranscriptLinks")),
    }
    narrator = {
        "id": INT, "name": narrator_ref["name"], "url": URL, "api_url": URL,
        "gender": {"type": "string", "enum": list(GENDERS)},
        "birth": years,
        "home_province": _nullable(_ref("Place")),
        "home_place": home_place,
        "occupation": _nullable(_ref("Category")),
        "education": _nullable(_ref("Category")),
        "left_north": years,
        "arrived_south": years,
        "residence_region": _nullable(_ref("Category")),
    }
    table = {
        "key": {"type": "string", "enum": dataset_keys()},
        "title_en": STRING, "title_ko": _nullable(STRING), "unit": _nullable(STRING),
        "source": {"type": "string", "description": "Who published the figures"},
        "as_of": STRING,
        "attribution": {"type": "string", "description": "Cite the figures with this line"},
        "columns": {"type": "array", "items": STRING},
        "api_url": URL, "csv_url": URL, "page_url": URL,
    }
    cell = {"type": ["string", "integer", "number", "null"]}
    schemas: dict[str, Any] = {
        "Error": _obj({"error": _obj({
            "code": {"type": "string", "enum": ["invalid_parameter", "not_found", "method_not_allowed",
                                                "bad_request", "http_error", "server_error"]},
            "message": STRING,
            "parameter": _nullable({"type": "string", "description": "The query parameter at fault"}),
        })}),
        "Links": _obj({"self": URL, "next": _nullable(URL), "prev": _nullable(URL)}),
        "Years": {**_obj({
            "label": {"type": "string", "description": "As the pages show it: \"1970s\", \"2005–2009\" or \"2007\""},
            "from": YEAR, "to": YEAR,
            "exact": {"type": "boolean", "description": "Whether this is one exact year"},
        }), "description": YEARS_DESCRIPTION},
        "Place": _obj(place),
        "PlaceEntry": _obj({**place, "variants": {"type": "array", "items": STRING}}),
        "Category": _obj(category),
        "Topic": _obj(topic),
        "TopicEntry": _obj({**topic, "description": _nullable(STRING), "url": URL}),
        "TestimonyRef": _obj(testimony_ref),
        "NarratorRef": _obj(narrator_ref),
        "TestimonySummary": _obj(summary),
        "Testimony": _obj(detail),
        "RouteStop": _obj({"position": INT, "country": _nullable(_ref("Place")), "place": _nullable(STRING),
                           "year": years, "event": {"type": "string", "enum": list(ROUTE_EVENTS)}}),
        "Chapter": _obj({"start": {"type": "number", "minimum": 0}, "title": STRING,
                         "synopsis": _nullable(STRING), "url": URL}),
        "Recording": _obj({"id": INT, "mime_type": STRING,
                           "duration_seconds": _nullable({"type": "number", "minimum": 0}), "url": URL}),
        "TranscriptLinks": _obj({"segments_url": URL, "vtt_url": URL, "text_url": URL}),
        "Segment": {"oneOf": [
            _obj({"position": INT, "start": {"type": "number"}, "end": {"type": "number"},
                  "withheld": {"const": False}, "speaker": _nullable(STRING), "text": STRING,
                  "language": _nullable(STRING), "url": URL,
                  "restricted": {"type": "boolean", "description": "Staff only: a passage hidden from others"}},
                 optional=("restricted",)),
            _obj({"position": INT, "start": {"type": "number"}, "end": {"type": "number"},
                  "withheld": {"const": True, "description": "Withheld to protect the narrator"}}),
        ]},
        "Narrator": _obj(narrator),
        "NarratorDetail": _obj({**narrator, "testimonies": {"type": "array", "items": _ref("TestimonyRef")}}),
        "StatisticsTableInfo": _obj(table),
        "StatisticsTable": _obj({**table, "rows": {"type": "array", "items": {
            "type": "object", "additionalProperties": cell}}}),
        "SearchResults": _obj({
            "q": STRING, "total": {"type": "integer", "minimum": 0}, "page": INT, "per_page": INT,
            "pages": {"type": "integer", "minimum": 0}, "sort": {"type": "string", "enum": list(SORT_LABELS)},
            "results": {"type": "array", "items": _obj({
                "id": INT, "external_id": _nullable(STRING), "title": STRING, "url": URL, "score": {"type": "number"},
                "narrator": {**_nullable(STRING), "description": "The narrator's name as you may see it"},
                "interview_date": _nullable(STRING), "duration": {"type": ["number", "null"], "minimum": 0},
                "languages": {"type": "array", "items": STRING},
                "topics": {"type": "array", "items": STRING, "description": "Topic slugs"},
                "segments": {"type": "array", "description": "Every matching moment, in time order (at most 50)",
                             "items": _obj({
                    "start": {"type": "number"}, "end": {"type": "number"},
                    "snippet": {"type": "string", "description": "Sanitised HTML with <mark> around matches"},
                    "url": {**URL, "description": "The listening page at the exact start (?t=4.98), marking the "
                                                   "query's words (&q=)"},
                    "passage_url": {**URL, "description": "The listening page for this passage (?t=START,END&q=)"}})}})},
            "facets": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
                "description": "Exact counts per facet value over the results (they only count testimonies you "
                               "may open); a chosen facet's values are counted as if it were not chosen, so each "
                               "says what adding that value (OR within a facet) would give"},
            "filters": {"type": "object", "additionalProperties": {"type": "array", "items": STRING},
                        "description": "The facet filters applied (OR within a facet, AND across facets)"},
            "suggestion": _nullable(STRING),
            "corrected_from": {**_nullable(STRING), "description": "The query as typed when nothing matched it and "
                               "its did-you-mean (now q) was run instead; exact=1 keeps the query as typed"},
            "notices": {"type": "array", "items": STRING},
        }),
    }
    for name in ("TestimonySummary", "Segment", "Narrator", "PlaceEntry", "TopicEntry", "Category",
                 "StatisticsTableInfo"):
        schemas[f"{name}Page"] = _obj({
            "items": {"type": "array", "items": _ref(name)},
            "page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1,
                                                                    "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0}, "pages": {"type": "integer", "minimum": 0},
            "links": _ref("Links"),
        })
    return schemas


def _query(name: str, schema: dict[str, Any], description: str, example: Any = None) -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema, "description": description}
    if example is not None:
        parameter["example"] = example
    return parameter


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "example": 1,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Page number", 1),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
           "Items per page", DEFAULT_PER_PAGE),
]


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "A parameter cannot be read (the error names it)",
            404: "No such record, or one you may not see (the two answer alike)"}
    return {str(code): _json("Error", text[code]) for code in codes}


def _get(summary: str, tag: str, parameters: list[dict[str, Any]], ok: str, errors: tuple[int, ...],
         operation_id: str, description: str = "") -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag],
                                 "parameters": parameters,
                                 "responses": {"200": _json(ok, "OK"), **_errors(*errors)}}
    if description:
        operation["description"] = description
    return {"get": operation}


def _not_found_page() -> dict[str, Any]:
    return {"404": {"description": "No such testimony, or one you may not have here (the two answer alike: the "
                                   "same HTML page and headers)",
                    "content": {"text/html": {"schema": STRING}}}}


def _viewer_paths() -> dict[str, Any]:
    """The IIIF manifest and the embeddable player: outside /api/, for viewers and other sites."""
    manifest = {
        "operationId": "getIiifManifest", "tags": ["iiif"], "parameters": [_path_id("testimony_id")],
        "summary": "IIIF Presentation 3 manifest of a recording you may hear",
        "description": (
            "Shaped as the IIIF Cookbook's audio/video recipes: one labelled Canvas per recording (duration, "
            "waveform thumbnail), a painting annotation with the recording, the captions per language as "
            "text/vtt supplementing annotations (the canvas's first AnnotationPage), the transcript as one "
            "TextualBody annotation per passage (each body with an id and its language, targeting "
            "canvas#t=start,end), the chapters as Ranges inside one root Range (`structures`), the transcript "
            "as `rendering` (plain text, WebVTT) and OHMS XML in `seeAlso`. Labels are language maps in each "
            "language of their text. Passages withheld to protect a narrator are left out. Gzip-compressed when "
            "the client accepts it; never cached. Public manifests (and the recordings, thumbnails and captions "
            "they point to) carry `Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy: "
            "cross-origin`, so viewers on other sites load them; anything else stays same-origin."),
        "externalDocs": {"url": "https://iiif.io/api/presentation/3.0/"},
        "responses": {
            # No schema here: the IIIF Presentation 3 JSON Schema is the manifest's (externalDocs);
            # tests/formats/test_iiif.py checks manifests against it.
            "200": {"description": "The manifest (JSON-LD)", "content": {
                'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"': {}}},
            **_not_found_page(),
        },
    }
    embed = {
        "operationId": "getEmbeddedPlayer", "tags": ["embed"],
        "summary": "The embeddable player of a public testimony (an HTML page other sites may frame)",
        "description": (
            "The public recording with its synced transcript and chapters in a compact page, for an <iframe> "
            "on another site: the only page sent with `Content-Security-Policy: frame-ancestors *` (every other "
            "page refuses framing). Always what the public may see, whoever is signed in; no cookie is needed or "
            "set. Testimonies whose recording the public may not hear answer like missing ones. The listening "
            "page's \"Copy embed code\" gives the <iframe>."),
        "parameters": [
            _path_id("testimony_id"),
            _query("t", STRING, "Where to start, or a stretch to play and stop: START or START,END in seconds or "
                               "time codes (83, 1:23, 1:23,1:35.5)", "4.5,12"),
        ],
        "responses": {"200": {"description": "The player page", "content": {"text/html": {"schema": STRING}}},
                      **_not_found_page()},
    }
    return {"/iiif/testimonies/{testimony_id}/manifest.json": {"get": manifest},
            "/embed/testimonies/{testimony_id}": {"get": embed}}


def document() -> dict[str, Any]:
    """The OpenAPI document."""
    slug = {"type": "string", "pattern": SLUG_PATTERN}
    search_params = [
        _query("q", STRING, "Words, \"phrases\", place:, route:, tag:, year:", "famine"),
        _query("sort", STRING, "One of " + ", ".join(SORT_LABELS) + "; anything else sorts by relevance",
               "relevance"),
        _query("exact", STRING, "1: search the query as typed, never its did-you-mean", "1"),
        _query("page", STRING, "Page number; an unreadable value means 1", "1"),
        _query("per_page", STRING, f"Results per page, at most {MAX_PER_PAGE}; an unreadable value means 20", "20"),
    ] + [{**_query(name, {"type": "array", "items": STRING}, f"Facet filter ({name}); repeat for several values"),
          "style": "form", "explode": True} for name in FACETS]
    paths = {
        "/api/v1/testimonies": _get(
            "Testimonies you may see, by id", "testimonies", PAGING + [
                _query("topic", slug, "Only testimonies with this topic (a slug of /api/v1/vocabulary/topics)",
                       "famine"),
                _query("language", {"type": "string", "enum": list(LANGUAGES)}, "Only testimonies in this language",
                       "ko"),
                _query("updated_since", {"type": "string", "format": "date-time"},
                       "Only testimonies changed at or after this time (RFC 3339)", "2024-01-01T00:00:00Z"),
            ], "TestimonySummaryPage", (400,), "listTestimonies"),
        "/api/v1/testimonies/{testimony_id}": _get(
            "One testimony: metadata, route, topics, chapters, recordings and transcript links", "testimonies",
            [_path_id("testimony_id")], "Testimony", (404,), "getTestimony"),
        "/api/v1/testimonies/{testimony_id}/segments": _get(
            "Transcript passages in order", "testimonies", [_path_id("testimony_id")] + PAGING,
            "SegmentPage", (400, 404), "listSegments",
            "Passages withheld to protect the narrator keep their times and carry `withheld: true` without "
            "words, as on the listening page. Empty when you may not read the transcript."),
        "/api/v1/narrators": _get("Narrators of testimonies you may see (public facts only)", "narrators", PAGING,
                                  "NarratorPage", (400,), "listNarrators"),
        "/api/v1/narrators/{narrator_id}": _get(
            "One narrator under the public name, with the testimonies you may see", "narrators",
            [_path_id("narrator_id")], "NarratorDetail", (404,), "getNarrator"),
        "/api/v1/vocabulary/places": _get(
            "Places (provinces, cities, camps, countries) in English and Korean", "vocabulary",
            PAGING + [_query("kind", {"type": "string", "enum": list(PLACE_KINDS)}, "Only places of this kind",
                             "province")], "PlaceEntryPage", (400,), "listPlaces"),
        "/api/v1/vocabulary/topics": _get("Topics in English and Korean", "vocabulary", PAGING, "TopicEntryPage",
                                          (400,), "listTopics"),
        "/api/v1/vocabulary/categories": _get(
            "Categories of the official statistics (occupation, education, residence)", "vocabulary",
            PAGING + [_query("scheme", {"type": "string", "enum": list(CATEGORY_SCHEMES)},
                             "Only categories of this scheme", "occupation")],
            "CategoryPage", (400,), "listCategories"),
        "/api/v1/statistics": _get("Official statistics tables with their sources", "statistics", PAGING,
                                   "StatisticsTableInfoPage", (400,), "listStatistics"),
        "/api/v1/statistics/{key}": _get(
            "One official statistics table, with its rows and source", "statistics",
            [{"name": "key", "in": "path", "required": True, "example": "arrivals_by_year",
              "schema": {"type": "string", "enum": dataset_keys()}}],
            "StatisticsTable", (404,), "getStatistics"),
        "/api/v1/search": _get(
            "Search the testimonies (as /search)", "search", search_params, "SearchResults", (), "search",
            "Unreadable values of page, per_page and sort fall back to their defaults. Repeat a facet "
            "parameter to choose several values (OR within a facet, AND across facets); facet counts are "
            "exact. The same search as CSV: /search.csv."),
        **_viewer_paths(),
        "/api/v1/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "tags": ["meta"],
                                         "responses": {"200": {"description": "OpenAPI 3.1 document", "content": {
                                             "application/json": {"schema": {"type": "object"}}}}}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Defector testimony archive API",
            "version": VERSION,
            "description": (
                "Read-only JSON API of the oral-history archive. It shows exactly what the web pages show "
                "you: sign in on the site (session cookie) to see what researchers or staff may see. "
                "Narrators appear under their pseudonym or consented public name only (speaker labels too); "
                "passages withheld to protect a narrator keep their times but not their words. Narrators' "
                "birth years, home places and years of leaving and arriving are generalised (decade, province, "
                "five-year bands) unless the narrator consented to exact values. A record you may not see answers "
                "exactly like a missing one (404). Collections are paginated with `page` and `per_page` "
                f"(1-{MAX_PER_PAGE}) and answer `{{items, page, per_page, total, pages, links}}`. Errors "
                "answer `{error: {code, message, parameter}}`."),
        },
        "tags": [{"name": name} for name in ("testimonies", "narrators", "vocabulary", "statistics", "search",
                                             "iiif", "embed", "meta")],
        "paths": paths,
        "components": {"schemas": _schemas()},
    }
