"""Which testimonies a flush touches: read once per flush by `archive.core.dispatch`, which hands them to
the search outbox, the OAI-PMH record tracker and the public-copy outbox."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Chapter, Narrator, Recording, RouteLeg, Segment, Testimony

_CHILDREN = (Segment, RouteLeg, Chapter, Recording)


def touched_testimony_ids(session: Session) -> set[int]:
    """Ids of testimonies added, changed or deleted in this flush, directly, through a part of
    them (segments, route, chapters, recordings) or through their narrator's profile."""
    ids: set[int] = set()
    narrator_ids: set[int] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Testimony) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, _CHILDREN) and obj.testimony_id is not None:
            ids.add(obj.testimony_id)
        elif isinstance(obj, Narrator) and obj.id is not None and obj not in session.new:
            narrator_ids.add(obj.id)
    if narrator_ids:
        ids.update(session.connection().scalars(
            select(Testimony.id).where(Testimony.narrator_id.in_(narrator_ids))))
    return ids
