"""Rules the database itself enforces, and the model behaviour the services rely on.

Rows are written with Core inserts so the constraints are tested on their own, past the
services' validation (the second of the three layers: forms, services, database).
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive import models as m
from archive.core.extensions import db
from archive.curation import recordings as recording_service
from archive.curation import testimonies as testimony_service
from archive.core.errors import ConflictError
from tests.sound import wav_bytes


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def foreign_keys_enforced() -> bool:
    if db.engine.dialect.name != "sqlite":
        return True
    return bool(db.session.execute(text("PRAGMA foreign_keys")).scalar())


def require_foreign_keys() -> None:
    assert foreign_keys_enforced(), "SQLite connections must run with PRAGMA foreign_keys=ON"


@pytest.fixture()
def base(app: Flask, factory: Any) -> dict[str, int]:
    """Ids of one valid row of each kind, to build the rows under test from."""
    t = factory.testimony()
    return {
        "narrator": t.narrator_id,
        "testimony": t.id,
        "country": db.session.scalar(select(m.Place.id).where(m.Place.slug == "china")),
    }


def valid_rows(base: dict[str, int]) -> dict[str, tuple[Any, dict[str, Any]]]:
    """A valid row per table; each case below spoils one value."""
    return {
        "narrators": (m.Narrator, {"pseudonym": "P", "gender": "female", "birth_year": 1980,
                                   "left_north_year": 2005, "arrived_south_year": 2005}),
        "testimonies": (m.Testimony, {"title": "T", "narrator_id": base["narrator"], "access": "public",
                                      "status": "draft", "external_id": "ext-1"}),
        "route_legs": (m.RouteLeg, {"testimony_id": base["testimony"], "position": 1, "country_id": base["country"],
                                    "year": 2005, "event": "arrested"}),
        "segments": (m.Segment, {"testimony_id": base["testimony"], "position": 1, "start": 1.0, "end": 1.5,
                                 "text": "x"}),
        "chapters": (m.Chapter, {"testimony_id": base["testimony"], "start": 0.0, "title": "c"}),
        "users": (m.User, {"email": "u@example.org", "password_hash": "x", "role": "curator"}),
        "places": (m.Place, {"slug": "atlantis", "kind": "city", "name_en": "Atlantis", "name_ko": "아틀란티스"}),
        "categories": (m.Category, {"scheme": "occupation", "slug": "wizard", "label_en": "Wizard"}),
    }


CHECK_CASES = [
    ("narrators", {"gender": "other"}),
    ("narrators", {"birth_year": 1899}),
    ("narrators", {"birth_year": 2101}),
    ("narrators", {"left_north_year": 1944}),
    ("narrators", {"arrived_south_year": 2101}),
    ("narrators", {"left_north_year": 2010, "arrived_south_year": 2009}),
    ("narrators", {"pseudonym": None}),
    ("testimonies", {"access": "secret"}),
    ("testimonies", {"status": "archived"}),
    ("testimonies", {"title": None}),
    ("route_legs", {"event": "flew"}),
    ("route_legs", {"year": 1900}),
    ("segments", {"end": 1.0}),
    ("segments", {"end": 0.5}),
    ("segments", {"start": -1.0, "end": 1.0}),
    ("chapters", {"start": -0.5}),
    ("users", {"role": "guest"}),
    ("places", {"kind": "planet"}),
    ("categories", {"scheme": "hobby"}),
]


@pytest.mark.parametrize(("table", "spoiled"), CHECK_CASES, ids=[f"{t}-{'-'.join(s)}" for t, s in CHECK_CASES])
def test_database_rejects_invalid_values(base: dict[str, int], table: str, spoiled: dict[str, Any]) -> None:
    model, row = valid_rows(base)[table]
    with pytest.raises(IntegrityError):
        db.session.execute(insert(model).values(**{**row, **spoiled}))
        db.session.flush()
    db.session.rollback()
    # The same row without the spoiled value is accepted: the constraint, not the row, refused it.
    # (Flushed, never committed: the vocabulary tables are kept between tests.)
    db.session.execute(insert(model).values(**row))
    db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(("table", "column"), [
    ("testimonies", "external_id"), ("users", "email"), ("places", "slug"), ("segments", "position"),
    ("route_legs", "position"),
])
def test_unique_values(base: dict[str, int], table: str, column: str) -> None:
    model, row = valid_rows(base)[table]
    db.session.execute(insert(model).values(**row))
    db.session.flush()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(model).values(**row))
        db.session.flush()
    db.session.rollback()


def test_many_testimonies_may_have_no_external_id(base: dict[str, int]) -> None:
    for title in ("a", "b"):
        db.session.execute(insert(m.Testimony).values(title=title, narrator_id=base["narrator"], external_id=None))
    db.session.commit()


def test_foreign_keys_are_enforced(base: dict[str, int]) -> None:
    require_foreign_keys()
    model, row = valid_rows(base)["route_legs"]
    with pytest.raises(IntegrityError):
        db.session.execute(insert(model).values(**{**row, "country_id": 987654}))
        db.session.flush()
    db.session.rollback()


# --- deleting a testimony ------------------------------------------------------------------------

def full_testimony(factory: Any) -> m.Testimony:
    t = factory.testimony(
        segments=[{"start": 0, "end": 1, "text": "one"}, {"start": 1, "end": 2, "text": "two", "restricted": True}],
        route=[{"country": "China"}, {"country": "South Korea", "event": "arrived"}],
        tags=["famine"],
    )
    testimony_service.set_chapters(t, [{"start": 0, "title": "Start"}], t.version)
    recording_service.upload_recording(t, io.BytesIO(wav_bytes()), "talk.wav", t.version)
    return t


def child_counts(testimony_id: int) -> dict[str, int]:
    counts = {}
    for model in (m.Segment, m.RouteLeg, m.Chapter, m.Recording):
        counts[model.__name__] = db.session.scalar(
            select(func.count()).select_from(model).where(model.testimony_id == testimony_id))
    counts["topics"] = db.session.scalar(select(func.count()).select_from(m.testimony_topics)
                                         .where(m.testimony_topics.c.testimony_id == testimony_id))
    return counts


def test_delete_testimony_removes_its_rows(app: Flask, factory: Any) -> None:
    t = full_testimony(factory)
    keep = factory.testimony(segments=[{"start": 0, "end": 1, "text": "other"}], tags=["famine"])
    testimony_id, narrator_id = t.id, t.narrator_id
    assert child_counts(testimony_id) == {"Segment": 2, "RouteLeg": 2, "Chapter": 1, "Recording": 1, "topics": 1}

    testimony_service.delete_testimony(t)

    db.session.expire_all()
    assert db.session.get(m.Testimony, testimony_id) is None
    assert child_counts(testimony_id) == {"Segment": 0, "RouteLeg": 0, "Chapter": 0, "Recording": 0, "topics": 0}
    assert db.session.get(m.Narrator, narrator_id) is not None, "the narrator may have other testimonies"
    assert db.session.get(m.Topic, keep.topics[0].id) is not None
    assert child_counts(keep.id)["Segment"] == 1 and child_counts(keep.id)["topics"] == 1


def test_delete_testimony_removes_its_media_files(app: Flask, factory: Any) -> None:
    t = full_testimony(factory)
    stored = Path(app.config["MEDIA_ROOT"]) / t.recordings[0].storage_path
    assert stored.is_file()
    testimony_service.delete_testimony(t)
    assert not stored.exists()


def test_database_cascades_deletes(app: Flask, factory: Any) -> None:
    """ON DELETE CASCADE backs the ORM cascade, e.g. for a bulk delete."""
    require_foreign_keys()
    t = full_testimony(factory)
    testimony_id = t.id
    db.session.execute(delete(m.Testimony).where(m.Testimony.id == testimony_id))
    db.session.commit()
    assert child_counts(testimony_id) == {"Segment": 0, "RouteLeg": 0, "Chapter": 0, "Recording": 0, "topics": 0}


def test_replacing_children_leaves_no_orphans(app: Flask, factory: Any) -> None:
    t = full_testimony(factory)
    testimony_service.replace_transcript(t, [{"start": 5, "end": 6, "text": "new"}], t.version)
    testimony_service.set_route(t, [{"country": "Mongolia"}], t.version)
    assert child_counts(t.id)["Segment"] == 1 and count(m.Segment) == 1
    assert count(m.RouteLeg) == 1
    assert [s.position for s in t.segments] == [1]


# --- versions and optimistic locking -------------------------------------------------------------

def test_version_increments_once_per_saved_change(app: Flask, factory: Any) -> None:
    t = factory.testimony()
    assert t.version == 1
    testimony_service.update_testimony(t, {"title": "New title"}, 1)
    assert t.version == 2
    testimony_service.set_route(t, [{"country": "China"}], 2)
    assert t.version == 3
    testimony_service.replace_transcript(t, [{"start": 0, "end": 1, "text": "x"}], 3)
    assert t.version == 4
    testimony_service.update_testimony(t, {"title": "New title"}, 4)  # no change, no new version
    db.session.expire_all()
    assert db.session.get(m.Testimony, t.id).version == 4


def test_stale_form_is_refused_with_the_changed_fields(app: Flask, factory: Any, auth: Any) -> None:
    t = factory.testimony(title="Original")
    opened_at = t.version
    other = auth.create("curator", "other@example.org")
    testimony_service.update_testimony(t, {"title": "Theirs", "access": "researchers"}, opened_at, actor=other)
    testimony_service.set_topics(t, ["famine"], t.version, actor=other)

    with pytest.raises(ConflictError) as caught:
        testimony_service.update_testimony(t, {"title": "Mine"}, opened_at)

    error = caught.value
    assert f"version {opened_at}" in str(error) and "Nothing was saved" in str(error)
    fields = sorted({f for change in error.changes for f in change["fields"]})
    assert fields == ["access", "tags", "title"]
    assert {change["actor"] for change in error.changes} == {"other@example.org"}
    db.session.expire_all()
    assert db.session.get(m.Testimony, t.id).title == "Theirs"


def test_concurrent_save_is_a_conflict(app: Flask, factory: Any) -> None:
    """Two saves from the same version: the version column makes the second UPDATE match no row."""
    t = factory.testimony(title="Original")
    version = t.version
    with Session(db.engine) as other:  # another request, committed first
        other.execute(update(m.Testimony).where(m.Testimony.id == t.id)
                      .values(title="Theirs", version=m.Testimony.version + 1))
        other.commit()

    with pytest.raises(ConflictError, match="at the same moment"):
        testimony_service.update_testimony(t, {"title": "Mine"}, version)
    db.session.expire_all()
    saved = db.session.get(m.Testimony, t.id)
    assert (saved.title, saved.version) == ("Theirs", version + 1)


# --- properties ----------------------------------------------------------------------------------

def test_languages_round_trip(app: Flask, factory: Any) -> None:
    t = factory.testimony()
    t.languages = ["KO", " en ", "ko", "", "zh"]
    db.session.commit()
    testimony_id = t.id
    db.session.expire_all()
    saved = db.session.get(m.Testimony, testimony_id)
    assert saved.languages == ["ko", "en", "zh"]
    assert saved.languages_csv == "ko,en,zh"
    saved.languages = []
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(m.Testimony, testimony_id).languages == []


@pytest.mark.parametrize(("born", "arrived", "age"), [(1980, 2009, 29), (None, 2009, None), (1980, None, None),
                                                      (2000, 2000, 0)])
def test_age_at_arrival(born: int | None, arrived: int | None, age: int | None) -> None:
    assert m.Narrator(birth_year=born, arrived_south_year=arrived).age_at_arrival == age


def test_new_testimony_defaults_are_safe(app: Flask, factory: Any) -> None:
    narrator = factory.narrator()
    t = testimony_service.create_testimony({"title": "Just created"}, narrator)
    assert (t.access, t.status, t.version) == ("restricted", "draft", 1)
    assert not any((t.consent_audio, t.consent_transcript, t.consent_name, t.consent_face_voice, t.featured))
    assert t.published_at is None and t.recording is None
