"""Page numbers from query strings, read the same way by every paginated page.

A page number is whatever a visitor typed: `page=-3`, `page=abc` and `page=1e9` mean the first
page, and `page=99999999999999999999` must not reach the database, where an offset that large
overflows its integers. A page past the end shows the last page.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from archive.core.extensions import db

# Far beyond any listing the archive holds (10,000 pages of 20), small enough for any SQL offset.
MAX_PAGE = 10_000
_NUMBER = re.compile(r"\s*\+?([0-9]+)\s*")


def page_number(args: Mapping[str, Any], name: str = "page") -> int:
    """The requested page: unreadable, zero or negative means 1, anything huge stops at MAX_PAGE."""
    match = _NUMBER.fullmatch(str(args.get(name) or ""))
    if match is None:
        return 1
    digits = match.group(1).lstrip("0")
    if len(digits) > len(str(MAX_PAGE)):  # never convert a thousand-digit number
        return MAX_PAGE
    return min(max(int(digits or 0), 1), MAX_PAGE)


def last_page(total: int, per_page: int) -> int:
    """The number of the last page of `total` rows (1 when there are none)."""
    return max((total + per_page - 1) // per_page, 1)


def paginate(query: Select[Any], page: int, per_page: int) -> Pagination:
    """One page of a query, as `db.paginate` gives it; a page past the end is the last page."""
    page = min(max(page, 1), MAX_PAGE)
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    if page > 1 and page > pagination.pages:
        pagination = db.paginate(query, page=last_page(pagination.total or 0, per_page), per_page=per_page,
                                 error_out=False)
    return pagination
