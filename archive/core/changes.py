"""Which testimonies a flush touches: read once per flush by `archive.core.dispatch`, which hands them to
the search outbox, the OAI-PMH record tracker and the public-copy outbox.

A vocabulary term changed in place (a topic, place or category renamed) touches every testimony it
describes: their index documents carry its slug and names."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import (Category, Chapter, Narrator, Place, Recording, RouteLeg, Segment, Testimony, Topic,
                            testimony_topics)

_CHILDREN = (Segment, RouteLeg, Chapter, Recording)


def touched_testimony_ids(session: Session) -> set[int]:
    """Ids of testimonies added, changed or deleted in this flush, directly, through a part of
    them (segments, route, chapters, recordings) or through their narrator's profile."""
    ids: set[int] = set()
    narrator_ids: set[int] = set()
    ids.update(_described_by_changed_terms(session))
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


def _described_by_changed_terms(session: Session) -> set[int]:
    """Testimonies described by a topic, place or category whose columns this flush changed."""
    topics, places, categories = set(), set(), set()
    for obj in session.dirty:
        if isinstance(obj, Topic | Place | Category) and session.is_modified(obj, include_collections=False):
            {Topic: topics, Place: places, Category: categories}[type(obj)].add(obj.id)
    if not (topics or places or categories):
        return set()
    conn = session.connection()
    ids = set(conn.scalars(select(testimony_topics.c.testimony_id).where(testimony_topics.c.topic_id.in_(topics))))
    ids.update(conn.scalars(select(RouteLeg.testimony_id).where(RouteLeg.country_id.in_(places))))
    narrators = select(Narrator.id).where(
        Narrator.origin_province_id.in_(places) | Narrator.origin_place_id.in_(places)
        | Narrator.occupation_id.in_(categories) | Narrator.education_id.in_(categories)
        | Narrator.residence_region_id.in_(categories))
    ids.update(conn.scalars(select(Testimony.id).where(Testimony.narrator_id.in_(narrators))))
    return ids
