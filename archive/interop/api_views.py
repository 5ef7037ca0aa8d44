"""The read-only JSON API (/api/v1/...), its OpenAPI document, and search results as CSV.

GET only, session authentication only: the API shows each user what the pages show them. Every
error under /api/ is JSON (see `json_error`, used by archive/core/error_pages.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from archive.interop import api, api_params
from archive.interop import api_document

bp = Blueprint("api", __name__)
PREFIX = "/api/"


def is_api_request() -> bool:
    """Whether the current request is addressed to the JSON API."""
    return request.path.startswith(PREFIX)


_ERROR_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 500: "server_error"}


def json_error(error: HTTPException | None) -> Response:
    """A JSON error for the API; a 404 says the same for a missing and a hidden record."""
    status = (error.code if error is not None else 500) or 500
    if status == 404:
        body = api_params.not_found().body()
    else:
        message = {405: "This address only answers GET requests.",
                   500: "Something went wrong on our side."}.get(status, getattr(error, "description", "") or "")
        body = api_params.error_body(_ERROR_CODES.get(status, "http_error"), str(message))
    response = jsonify(body)
    response.status_code = status
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@bp.errorhandler(api_params.ApiError)
def _api_error(error: api_params.ApiError) -> Response:
    response = jsonify(error.body())
    response.status_code = error.status
    return response


def _listing(listing: api.Listing, endpoint: str, **values: Any) -> Response:
    params = {key: request.args.getlist(key) for key in request.args if key != "page"}

    def link(page: int) -> str:
        return url_for(endpoint, **values, **params, page=page)

    return jsonify(listing.envelope(link))


def _id(value: int) -> int:
    """Ids beyond the database's integer range cannot exist."""
    if value > api_params.MAX_ID:
        raise api_params.not_found()
    return value


@bp.get("/api/v1/openapi.json")
def openapi() -> Response:
    return jsonify(api_document.document())


@bp.get("/api/v1/testimonies")
def testimonies() -> Response:
    return _listing(api.list_testimonies(current_user, request.args), "api.testimonies")


@bp.get("/api/v1/testimonies/<int:testimony_id>")
def testimony(testimony_id: int) -> Response:
    return jsonify(api.testimony_detail(current_user, _id(testimony_id)))


@bp.get("/api/v1/testimonies/<int:testimony_id>/segments")
def segments(testimony_id: int) -> Response:
    listing = api.testimony_segments(current_user, _id(testimony_id), request.args)
    return _listing(listing, "api.segments", testimony_id=testimony_id)


@bp.get("/api/v1/narrators")
def narrators() -> Response:
    return _listing(api.list_narrators(current_user, request.args), "api.narrators")


@bp.get("/api/v1/narrators/<int:narrator_id>")
def narrator(narrator_id: int) -> Response:
    return jsonify(api.narrator_detail(current_user, _id(narrator_id)))


def _vocabulary(kind: str) -> Callable[[], Response]:
    def view() -> Response:
        return _listing(api.vocabulary(kind, request.args), f"api.vocabulary_{kind}")
    view.__name__ = f"vocabulary_{kind}"
    return view


for _kind in api.VOCABULARIES:
    bp.add_url_rule(f"/api/v1/vocabulary/{_kind}", view_func=_vocabulary(_kind), methods=["GET"])


@bp.get("/api/v1/statistics")
def statistics_index() -> Response:
    return _listing(api.statistics_index(request.args), "api.statistics_index")


@bp.get("/api/v1/statistics/<key>")
def statistics_table(key: str) -> Response:
    return jsonify(api.statistics_table(key))


@bp.get("/search.csv")
def search_csv() -> Response:
    """The results of /search with the same parameters, as a spreadsheet-safe CSV file."""
    export = api.search_csv(request.args, current_user)
    response = Response(export.csv, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="search-results.csv"'
    response.headers["X-Total-Count"] = str(export.total)
    response.headers["X-Exported-Count"] = str(export.rows)
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.app_template_global()
def search_csv_url(args: Any) -> str:
    """The CSV export of the search shown (every page of it)."""
    params = {key: args.getlist(key) for key in args if key not in ("page", "per_page")}
    return url_for("api.search_csv", **params)
