"""core/saving.py: optimistic locking plus the audited commit, through the testimony and theme services.

Two curators edit the same record: the second save, made from the version both loaded, is refused
with a message naming the versions and a list of what changed since; nothing of it is written, each
accepted save leaves exactly one audit entry carrying the version it produced, and the version goes
up by one per save.
"""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from archive import models as m
from archive.core import saving
from archive.core.errors import ConflictError
from archive.core.extensions import db
from archive.curation import publishing, recordings
from archive.curation import testimonies as testimony_service
from archive.models.themes import Theme
from archive.themes import pages as themes
from tests.themes.test_pages import form_data
from tests.conftest import csrf_token
from tests.sound import stored_originals, wav_bytes


def entries(record: Any, action: str | None = None) -> list[m.AuditEntry]:
    query = select(m.AuditEntry).where(m.AuditEntry.object_type == type(record).__name__.lower(),
                                       m.AuditEntry.object_id == record.id).order_by(m.AuditEntry.id)
    if action is not None:
        query = query.where(m.AuditEntry.action == action)
    return list(db.session.scalars(query))


def audit_count() -> int:
    return db.session.scalar(select(func.count(m.AuditEntry.id))) or 0


def saved_elsewhere(model: type, record_id: int, **values: Any) -> None:
    """Another request saves the row first (its own session, committed), bumping the version."""
    with Session(db.engine) as other:
        other.execute(update(model).where(model.id == record_id).values(version=model.version + 1, **values))
        other.commit()


def reloaded(model: type, record_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, record_id)


@pytest.fixture()
def theme(app: Flask) -> Theme:
    themes.seed_themes()
    found = db.session.scalar(select(Theme).where(Theme.slug == "overseas-labour"))
    assert found is not None
    return found


# --- the helper itself ---------------------------------------------------------------------------

def test_every_versioned_table_has_its_messages(app: Flask) -> None:
    versioned = {mapper.class_.__name__.lower() for mapper in db.Model.registry.mappers
                 if mapper.version_id_col is not None}
    assert versioned == {"testimony", "theme", "narrator"}
    assert set(saving.STALE_MESSAGES) == set(saving.CONCURRENT_MESSAGES) == versioned


def test_the_form_version_is_checked_only_when_given(app: Flask, factory: Any) -> None:
    t = factory.testimony()
    saving.check_version(t, None)  # imports and scripts carry no form
    saving.check_version(t, t.version)
    with pytest.raises(ConflictError):
        saving.check_version(t, t.version + 1)  # a version from the future is as stale as one from the past


# --- testimonies ---------------------------------------------------------------------------------

def test_testimony_edits_bump_the_version_once_and_log_once(app: Flask, factory: Any, auth: Any) -> None:
    t = factory.testimony(title="Original", access="restricted")
    curator = auth.create("curator", "first@example.org")
    before = t.version
    testimony_service.update_testimony(t, {"title": "First", "access": "researchers"}, before, actor=curator)
    assert reloaded(m.Testimony, t.id).version == before + 1
    (update_entry,) = entries(t, "testimony.update")
    (access_entry,) = entries(t, "testimony.access")  # the access change gets its own entry, with the same version
    assert update_entry.version == access_entry.version == before + 1
    assert update_entry.actor == access_entry.actor == "first@example.org"
    assert set(json.loads(update_entry.details)["changes"]) == {"title", "access"}
    assert json.loads(access_entry.details)["changes"] == {"access": ["restricted", "researchers"]}
    testimony_service.set_topics(t, ["famine"], before + 1, actor=curator)
    assert reloaded(m.Testimony, t.id).version == before + 2
    assert [e.version for e in entries(t, "testimony.tags")] == [before + 2]


def test_a_stale_testimony_form_is_refused_with_what_changed(app: Flask, factory: Any, auth: Any) -> None:
    t = factory.testimony(title="Original")
    opened = t.version
    first = auth.create("curator", "first@example.org")
    testimony_service.update_testimony(t, {"title": "First's"}, opened, actor=first)
    testimony_service.set_route(t, [{"country": "China"}], opened + 1, actor=first)
    count = audit_count()

    with pytest.raises(ConflictError) as caught:
        testimony_service.update_testimony(t, {"title": "Second's", "summary": "<p>Mine</p>"}, opened)
    assert str(caught.value) == (
        f"This testimony was changed by someone else after you opened the form (your copy is version {opened}, "
        f"the saved one is version {opened + 2}). Nothing was saved; reload to see their changes.")
    assert [(c["actor"], c["action"], c["fields"]) for c in caught.value.changes] == [
        ("first@example.org", "testimony.update", ["title"]),
        ("first@example.org", "testimony.route", ["route"])]
    db.session.rollback()
    saved = reloaded(m.Testimony, t.id)
    assert (saved.title, saved.summary, saved.version) == ("First's", "", opened + 2)
    assert audit_count() == count


def test_the_stale_testimony_message_is_translated(app: Flask, factory: Any) -> None:
    t = factory.testimony()
    testimony_service.update_testimony(t, {"title": "Theirs"}, t.version)
    with app.test_request_context("/"), force_locale("ko"), pytest.raises(ConflictError) as caught:
        testimony_service.update_testimony(t, {"title": "Mine"}, 1)
    assert str(caught.value).startswith("양식을 연 뒤 다른 사람이 이 증언을 변경했습니다(열어 둔 사본은 버전 1, 저장된 것은 버전 2)")


def test_two_testimony_saves_at_the_same_moment_write_only_the_first(app: Flask, factory: Any) -> None:
    """Both passed the form check; the version column makes the second UPDATE match no row."""
    t = factory.testimony(route=[{"country": "China"}, {"country": "Laos"}])
    version = t.version
    count = audit_count()
    saved_elsewhere(m.Testimony, t.id, title="Theirs")

    with pytest.raises(ConflictError, match="at the same moment") as caught:
        # The legs are replaced (a flush) before the testimony row is: those writes are undone too.
        testimony_service.set_route(t, [{"country": "Thailand"}], version)
    assert caught.value.changes == []
    saved = reloaded(m.Testimony, t.id)
    assert (saved.title, saved.version) == ("Theirs", version + 1)
    assert [leg.country.slug for leg in saved.route] == ["china", "laos"]
    assert audit_count() == count


def _stale_calls() -> dict[str, Callable[[m.Testimony, int], Any]]:
    return {
        "update": lambda t, v: testimony_service.update_testimony(t, {"title": "Mine"}, v),
        "route": lambda t, v: testimony_service.set_route(t, [{"country": "China"}], v),
        "tags": lambda t, v: testimony_service.set_topics(t, ["famine"], v),
        "transcript": lambda t, v: testimony_service.replace_transcript(t, [{"start": 0, "end": 1, "text": "x"}], v),
        "chapters": lambda t, v: testimony_service.set_chapters(t, [{"start": 0, "title": "Start"}], v),
        "segment": lambda t, v: testimony_service.update_segment(t, t.segments[0], {"start": 0, "end": 2,
                                                                                      "text": "Mine"}, v),
        "publish": lambda t, v: testimony_service.publish_testimony(t, v),
        "unpublish": lambda t, v: testimony_service.unpublish_testimony(t, v),
        "withdraw": lambda t, v: testimony_service.withdraw_consent(t, v),
        "upload": lambda t, v: recordings.upload_recording(t, io.BytesIO(wav_bytes()), "mine.wav", v),
        "remove recording": lambda t, v: recordings.delete_recording(t, v),
        "checklist": lambda t, v: publishing.publish_testimony(t, "researchers", v, confirmed=True),
    }


@pytest.mark.parametrize("call", list(_stale_calls()))
def test_every_testimony_save_refuses_a_stale_form(app: Flask, factory: Any, call: str) -> None:
    t = factory.testimony(title="Ours", status="draft", access="restricted",
                          segments=[{"start": 0, "end": 1, "text": "Ours"}])
    opened = t.version
    testimony_service.update_testimony(t, {"summary": "<p>Theirs</p>"}, opened)
    count = audit_count()
    with pytest.raises(ConflictError, match=f"your copy is version {opened}, the saved one is version {opened + 1}"):
        _stale_calls()[call](t, opened)
    db.session.rollback()
    saved = reloaded(m.Testimony, t.id)
    assert (saved.version, saved.title, saved.status, saved.consent_withdrawn_at) == (
        opened + 1, "Ours", "draft", None)
    assert [s.text for s in saved.segments] == ["Ours"] and saved.route == [] and saved.topics == []
    assert saved.recordings == [] and stored_originals(app.config["MEDIA_ROOT"]) == []
    assert audit_count() == count


# --- themes --------------------------------------------------------------------------------------

def test_theme_edits_bump_the_version_once_and_log_once(app: Flask, theme: Theme, auth: Any) -> None:
    # The actor is read back after its own commit, as a script would: loading it must not flush the edit early.
    curator = auth.create("curator", "first@example.org")
    before = theme.version
    themes.update_theme(theme, form_data(theme, summary_en="First"), before, actor=curator)
    saved = reloaded(Theme, theme.id)
    assert (saved.version, saved.updated_by_id) == (before + 1, curator.id)
    (entry,) = entries(theme, "theme.update")
    assert (entry.version, entry.actor) == (before + 1, "first@example.org")
    assert json.loads(entry.details)["changes"]["summary_en"][1] == "First"
    themes.update_theme(saved, form_data(saved), saved.version, actor=curator)  # no change: no save
    assert reloaded(Theme, theme.id).version == before + 1 and len(entries(theme, "theme.update")) == 1


def test_a_stale_theme_form_is_refused_with_what_changed(app: Flask, theme: Theme, auth: Any) -> None:
    opened = theme.version
    first = auth.create("curator", "first@example.org")
    themes.update_theme(theme, form_data(theme, summary_en="First's", position=99), opened, actor=first)
    count = audit_count()

    with pytest.raises(ConflictError) as caught:
        themes.update_theme(theme, form_data(theme, summary_en="Second's", title_en="Second's title"), opened)
    assert str(caught.value) == (
        f"This theme was changed by someone else after you opened the form (your copy is version {opened}, "
        f"the saved one is version {opened + 1}). Nothing was saved; reload to see their changes.")
    assert [(c["actor"], c["action"], c["fields"]) for c in caught.value.changes] == [
        ("first@example.org", "theme.update", ["position", "summary_en"])]
    db.session.rollback()
    saved = reloaded(Theme, theme.id)
    assert (saved.summary_en, saved.title_en, saved.version) == ("First's", "Overseas labour", opened + 1)
    assert audit_count() == count


def test_the_theme_messages_are_translated(app: Flask, theme: Theme) -> None:
    opened = theme.version
    themes.update_theme(theme, form_data(theme, summary_en="Theirs"), opened)
    with app.test_request_context("/"), force_locale("ko"), pytest.raises(ConflictError) as caught:
        themes.update_theme(theme, form_data(theme, summary_en="Mine"), opened)
    assert str(caught.value) == (
        f"양식을 연 뒤 다른 사람이 이 주제별 이야기를 변경했습니다(열어 둔 사본은 버전 {opened}, 저장된 것은 버전 "
        f"{opened + 1}). 아무것도 저장되지 않았습니다. 새로 고쳐 변경 내용을 확인하십시오.")
    db.session.rollback()
    fresh = reloaded(Theme, theme.id)
    saved_elsewhere(Theme, theme.id)
    with app.test_request_context("/"), force_locale("ko"), pytest.raises(ConflictError) as caught:
        themes.update_theme(fresh, form_data(fresh, summary_en="Mine"), fresh.version)
    assert str(caught.value) == ("같은 순간에 다른 사람이 이 주제별 이야기를 저장했습니다. 아무것도 저장되지 않았습니다. "
                                 "새로 고친 뒤 다시 시도하십시오.")


def test_two_theme_saves_at_the_same_moment_write_only_the_first(app: Flask, theme: Theme) -> None:
    version = theme.version
    topics = sorted(t.slug for t in theme.topics)
    count = audit_count()
    saved_elsewhere(Theme, theme.id, summary_en="Theirs")

    with pytest.raises(ConflictError, match="This theme was saved by someone else at the same moment") as caught:
        themes.update_theme(theme, form_data(theme, summary_en="Mine", topics=["famine"]), version)
    assert caught.value.changes == []
    saved = reloaded(Theme, theme.id)
    assert (saved.summary_en, saved.version) == ("Theirs", version + 1)
    assert sorted(t.slug for t in saved.topics) == topics
    assert audit_count() == count


def test_theme_editor_answers_a_stale_form_with_409_in_korean(client: FlaskClient, auth: Any, theme: Theme) -> None:
    auth.login("curator")
    client.set_cookie("lang", "ko")
    path = f"/curate/themes/{theme.slug}"
    token = csrf_token(client, path)
    form = {"csrf_token": token, "version": theme.version, **form_data(theme)}
    first = client.post(path, data={**form, "summary_en": "Theirs"})
    assert first.status_code == 302
    response = client.post(path, data={**form, "summary_en": "Mine"})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "양식을 연 뒤 다른 사람이 이 주제별 이야기를 변경했습니다" in text
    assert "(theme.update)" in text and "summary_en" in text
    saved = reloaded(Theme, theme.id)
    assert (saved.summary_en, saved.version) == ("Theirs", form["version"] + 1)
    assert len(entries(theme, "theme.update")) == 1


def test_theme_editor_refusals_are_in_korean_too(client: FlaskClient, auth: Any, theme: Theme) -> None:
    auth.login("curator")
    client.set_cookie("lang", "ko")
    path = f"/curate/themes/{theme.slug}"
    form = {"csrf_token": csrf_token(client, path), "version": theme.version,
            **form_data(theme, title_en=" ", sources="Author | | Pub | 15", topics=["no-such-topic"])}
    response = client.post(path, data=form)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "1행: 제목(둘째 항목)이 없습니다" in text
    assert "1행: 연도(넷째 항목) &#39;15&#39;은(는) 네 자리 연도가 아닙니다" in text
    assert "알 수 없는 주제: no-such-topic" in text and "필수 항목입니다" in text
    assert reloaded(Theme, theme.id).version == form["version"] and entries(theme, "theme.update") == []


# --- narrators -----------------------------------------------------------------------------------

def test_narrator_edits_bump_the_version_once_and_log_consent_beside(app: Flask, factory: Any, auth: Any) -> None:
    from archive.curation import narrators as narrator_service

    curator = auth.create("curator", "first@example.org")
    n = factory.narrator(pseudonym="Ours")
    before = n.version
    narrator_service.update_narrator(n, {"pseudonym": "Ours", "consent_detailed_profile": True,
                                         "exact_fields": ["birth_year"]}, before, actor=curator)
    saved = reloaded(m.Narrator, n.id)
    assert saved.version == before + 1 and saved.consent_detailed_profile
    (update_entry,) = entries(n, "narrator.update")
    (disclosure_entry,) = entries(n, "narrator.disclosure")
    assert update_entry.version == disclosure_entry.version == before + 1
    narrator_service.update_narrator(saved, {"pseudonym": "Ours", "consent_detailed_profile": True,
                                             "exact_fields": ["birth_year"]}, saved.version, actor=curator)
    assert reloaded(m.Narrator, n.id).version == before + 1  # nothing changed: nothing saved


def test_a_stale_narrator_form_is_answered_409_with_what_changed_in_both_languages(
        client: FlaskClient, auth: Any, factory: Any) -> None:
    from archive.curation import narrators as narrator_service

    n = factory.narrator(pseudonym="Ours", birth_year=1970)
    auth.login("curator")
    path = f"/curate/narrators/{n.id}"
    token = csrf_token(client, path)
    opened = n.version
    narrator_service.update_narrator(n, {"pseudonym": "Theirs", "birth_year": "1971"}, opened)
    form = {"csrf_token": token, "version": opened, "pseudonym": "Mine", "gender": "female", "birth_year": "1972"}
    response = client.post(path, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert (f"your copy is version {opened}, the saved one is version {opened + 1}" in page
            and "edited the profile" in page)
    saved = reloaded(m.Narrator, n.id)
    assert (saved.pseudonym, saved.birth_year, saved.version) == ("Theirs", 1971, opened + 1)
    client.set_cookie("lang", "ko")
    response = client.post(path, data={**form, "csrf_token": csrf_token(client, path)})
    assert response.status_code == 409 and "구술자 정보를 변경했습니다" in response.get_data(as_text=True)
    # The saved version goes through.
    response = client.post(path, data={**form, "version": opened + 1, "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302 and reloaded(m.Narrator, n.id).pseudonym == "Mine"
