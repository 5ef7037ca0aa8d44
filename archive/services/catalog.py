"""Read-side queries for public pages: listings and single records, always through the access policy."""
from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from archive.extensions import db
from archive.models import Narrator, RouteLeg, Segment, Testimony
from archive.policy import access


def _with_details() -> Any:
    return (selectinload(Testimony.narrator).selectinload(Narrator.origin_province),
            selectinload(Testimony.route).selectinload(RouteLeg.country),
            selectinload(Testimony.topics), selectinload(Testimony.recordings))


def visible_testimony_or_404(user: Any, testimony_id: int) -> Testimony:
    """Load a testimony the user may see; anything else answers exactly like a missing record."""
    testimony = db.session.get(Testimony, testimony_id)
    if not access.can_view(user, testimony):
        abort(404)
    return testimony  # type: ignore[return-value]


def list_testimonies(user: Any, page: int = 1, per_page: int = 20) -> Any:
    """Visible testimonies, newest interview first."""
    query = (select(Testimony).where(access.visible_filter(user)).options(*_with_details())
             .order_by(Testimony.interview_date.desc(), Testimony.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def featured_and_recent(user: Any, limit: int = 6) -> tuple[list[Testimony], list[Testimony]]:
    """Featured testimonies and the most recently published ones."""
    base = select(Testimony).where(access.visible_filter(user)).options(*_with_details())
    featured = list(db.session.scalars(base.where(Testimony.featured.is_(True)).order_by(Testimony.id).limit(limit)))
    recent = list(db.session.scalars(base.order_by(Testimony.published_at.desc(), Testimony.id.desc()).limit(limit)))
    return featured, recent


def visible_segments(user: Any, testimony: Testimony) -> list[Segment]:
    """Every segment in order; the template replaces those the user may not read."""
    if not access.can_read_transcript(user, testimony):
        return []
    return list(testimony.segments)


def narrator_or_404(user: Any, narrator_id: int) -> tuple[Narrator, list[Testimony]]:
    """A narrator is visible only through at least one visible testimony."""
    narrator = db.session.get(Narrator, narrator_id)
    if narrator is None:
        abort(404)
    testimonies = [t for t in narrator.testimonies if access.can_view(user, t)]
    if not testimonies:
        abort(404)
    return narrator, testimonies


def count_visible(user: Any) -> int:
    """How many testimonies the user can see."""
    return db.session.scalar(select(func.count(Testimony.id)).where(access.visible_filter(user))) or 0
