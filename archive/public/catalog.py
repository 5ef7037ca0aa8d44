"""Read-side queries for public pages: listings and single records, always through the access policy.

What a page renders of a testimony or narrator is its protected view (`archive.policy.protected`):
the functions returning rows here are for services that go on to build a view or check access.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from archive.core.extensions import db
from archive.core.i18n import label
from archive.models import LANGUAGES, Narrator, RouteLeg, Testimony, Topic
from archive.core.paging import paginate
from archive.interop.api_params import MAX_ID
from archive.policy import access, protected
from archive.policy.protected import ProfileView, TestimonyView


def _with_details() -> Any:
    return (selectinload(Testimony.narrator).selectinload(Narrator.origin_province),
            selectinload(Testimony.route).selectinload(RouteLeg.country),
            selectinload(Testimony.topics), selectinload(Testimony.recordings))


def _get_testimony(testimony_id: int) -> Testimony | None:
    """The row, or None; ids past the database's integer range cannot exist (PostgreSQL would refuse the query)."""
    return db.session.get(Testimony, testimony_id) if 1 <= testimony_id <= MAX_ID else None


def visible_testimony_or_404(user: Any, testimony_id: int) -> Testimony:
    """Load a testimony the user may see; anything else answers exactly like a missing record."""
    testimony = _get_testimony(testimony_id)
    if not access.can_view(user, testimony):
        abort(404)
    return testimony  # type: ignore[return-value]


def testimony_view_or_404(user: Any, testimony_id: int) -> TestimonyView:
    """The protected view of a testimony the user may see; anything else answers like a missing record."""
    view = protected.testimony_view(user, _get_testimony(testimony_id))
    if view is None:
        abort(404)
    return view


LIST_SORTS: dict[str, Any] = {
    "-date": (_l("Interview date (newest first)"), (Testimony.interview_date.desc(), Testimony.id.desc())),
    "date": (_l("Interview date (oldest first)"), (Testimony.interview_date, Testimony.id)),
    "-published": (_l("Newest in the archive"), (Testimony.published_at.desc(), Testimony.id.desc())),
    "title": (_l("Title (A to Z)"), (Testimony.title, Testimony.id)),
}


@dataclass
class ListQuery:
    """The testimony list's sort and filters, read from the request (anything unknown: the default)."""

    sort: str = "-date"
    language: str = ""
    topic: str = ""

    @classmethod
    def from_args(cls, args: Any) -> ListQuery:
        """Read ?sort=, ?language= and ?topic=; unknown values are dropped."""
        sort = args.get("sort", "-date")
        language = (args.get("language") or "").strip().lower()
        topic = (args.get("topic") or "").strip()
        return cls(sort if sort in LIST_SORTS else "-date", language if language in LANGUAGES else "",
                   topic if topic and db.session.scalar(select(Topic.id).where(Topic.slug == topic)) else "")

    @property
    def filtered(self) -> bool:
        """Whether a filter is applied."""
        return bool(self.language or self.topic)


def list_testimonies(user: Any, page: int = 1, per_page: int = 20, query: ListQuery | None = None) -> Any:
    """Visible testimonies, sorted and filtered as asked; the page's items are protected views."""
    query = query or ListQuery()
    statement = select(Testimony).where(access.visible_filter(user)).options(*_with_details())
    if query.language:
        statement = statement.where(("," + Testimony.languages_csv + ",").contains(f",{query.language},"))
    if query.topic:
        statement = statement.where(Testimony.topics.any(Topic.slug == query.topic))
    statement = statement.order_by(*LIST_SORTS[query.sort][1])
    pagination = paginate(statement, page, per_page)  # a page past the end is the last page
    pagination.items = protected.testimony_views(user, list(pagination.items))
    return pagination


def topic_choices() -> list[tuple[str, str]]:
    """(slug, label) of every topic, by label in the interface language."""
    return sorted(((t.slug, label(t)) for t in db.session.scalars(select(Topic))), key=lambda pair: pair[1])


def featured_and_recent(user: Any, limit: int = 6) -> tuple[list[TestimonyView], list[TestimonyView]]:
    """Featured testimonies and the most recently published ones, as protected views."""
    base = select(Testimony).where(access.visible_filter(user)).options(*_with_details())
    featured = list(db.session.scalars(base.where(Testimony.featured.is_(True)).order_by(Testimony.id).limit(limit)))
    recent = list(db.session.scalars(base.order_by(Testimony.published_at.desc(), Testimony.id.desc()).limit(limit)))
    return protected.testimony_views(user, featured), protected.testimony_views(user, recent)


def narrator_or_404(user: Any, narrator_id: int) -> tuple[ProfileView, list[TestimonyView]]:
    """A narrator is visible only through at least one visible testimony; both as protected views."""
    found = protected.narrator_view(user, db.session.get(Narrator, narrator_id))
    if found is None:
        abort(404)
    return found


def count_visible(user: Any) -> int:
    """How many testimonies the user can see."""
    return db.session.scalar(select(func.count(Testimony.id)).where(access.visible_filter(user))) or 0
