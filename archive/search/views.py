"""The search page and the search API."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from archive.formats.timecode import seconds_param
from archive.search import requests as searching
from archive.search.engine import FACETS, widen_years

bp = Blueprint("search", __name__)


def _testimony_url(testimony_id: int, start: float | None = None, q: str = "", end: float | None = None) -> str:
    """A testimony's page at a moment (?t=4.98) or passage (?t=4.98,9.5), marking the query's words (&q=)."""
    params = {}
    if start is not None:
        params["t"] = seconds_param(start) + (f",{seconds_param(end)}" if end is not None else "")
    if q:
        params["q"] = q
    base = url_for("public.testimony", testimony_id=testimony_id)
    return f"{base}?{urlencode(params, safe=',')}" if params else base


@bp.get("/search")
def search() -> str:
    page = searching.run(request.args, current_user)
    return render_template("search/search.html", page=page, titles=searching.FACET_TITLES,
                           sorts=searching.SORT_LABELS, testimony_url=_testimony_url, args=request.args,
                           chips=searching.chips, hearable=searching.hearable)


@bp.get("/api/v1/search")
def api_search() -> Response:
    page = searching.run(request.args, current_user)
    return jsonify(searching.api_payload(page, _testimony_url))


def facet_url(args: Any, name: str, value: str, add: bool) -> str:
    """The search URL with one facet value added or removed (page reset)."""
    params: dict[str, list[str]] = {k: list(args.getlist(k)) for k in args if k != "page"}
    values = params.setdefault(name, [])
    if add and value not in values:
        values.append(value)
    elif not add:
        # A year asked for as "2007" is applied (and shown) as its band "2005-2009": either removes it.
        params[name] = [v for v in values if v != value and widen_years({name: [v]})[name] != [value]]
    return url_for("search.search", **{k: v for k, v in params.items() if v})


@bp.app_template_global()
def search_facet_url(args: Any, name: str, value: str, add: bool = True) -> str:
    """Template helper for facet links."""
    return facet_url(args, name, value, add)


@bp.app_template_global()
def search_as_typed_url(args: Any) -> str:
    """The same search with the query as typed, not replaced by its did-you-mean."""
    params = {k: args.getlist(k) for k in args if k not in ("page", "exact")}
    return url_for("search.search", exact=1, **params)


@bp.app_template_global()
def search_clear_url(args: Any) -> str:
    """The same search without any facet filter."""
    params = {k: args.getlist(k) for k in args if k != "page" and k not in FACETS}
    return url_for("search.search", **params)


@bp.app_template_global()
def search_page_url(args: Any, page: int) -> str:
    """The same search on another page."""
    params = {k: args.getlist(k) for k in args if k != "page"}
    return url_for("search.search", page=page, **params)
