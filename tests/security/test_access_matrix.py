"""Access level × role × surface, consent withdrawal, embargo expiry and session revocation."""
from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from archive.core.extensions import db
from archive.models import AuditEntry
from archive import models
from archive.policy import access
from archive.curation import recordings
from archive.core import dispatch
from archive.curation import testimonies
from archive.curation import narrators as narrator_service

from .probes import same_answer
from .world import fresh_client, role_client, tiny_wav

ROLES = ("anonymous", "unapproved", "researcher", "curator", "admin")
LEVELS = ("public", "researchers", "restricted", "draft", "embargoed", "embargo-passed", "embargo-today",
          "withdrawn")
SEES = {
    "public": set(ROLES),
    "researchers": {"researcher", "curator", "admin"},
    "restricted": {"curator", "admin"},
    "draft": {"curator", "admin"},
    "embargoed": {"curator", "admin"},
    "embargo-passed": set(ROLES),
    "embargo-today": set(ROLES),  # embargoed *until* today: open from today on
    "withdrawn": {"curator", "admin"},
}


def _values(level: str) -> dict[str, Any]:
    today = access.today()
    return {
        "public": {},
        "researchers": {"access": "researchers"},
        "restricted": {"access": "restricted"},
        "draft": {"status": "draft"},
        "embargoed": {"embargo_until": (today + timedelta(days=1)).isoformat()},
        "embargo-passed": {"embargo_until": (today - timedelta(days=1)).isoformat()},
        "embargo-today": {"embargo_until": today.isoformat()},
        "withdrawn": {},
    }[level]


def make_testimony(level: str, word: str) -> models.Testimony:
    """A testimony at one access level, with its own narrator, transcript and recording."""
    narrator = narrator_service.create_narrator({"pseudonym": f"Narrator {word}", "gender": "male",
                                                 "origin_province": "Ryanggang"})
    data = {"title": f"Testimony {word}", "access": "public", "status": "published", "languages": ["en"],
            "consent_audio": True, "consent_transcript": True, "interview_date": "2015"}
    data.update(_values(level))
    t = testimonies.create_testimony(data, narrator)
    testimonies.replace_transcript(t, [{"start": 0, "end": 3, "text": f"We spoke of {word} at length."}], None)
    recordings.upload_recording(t, io.BytesIO(tiny_wav()), "talk.wav", None)
    if level == "withdrawn":
        testimonies.withdraw_consent(t, None)
    return t


def _surfaces(app: Flask, t: models.Testimony) -> dict[str, str]:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    urls = {
        "testimony page": f"/testimonies/{t.id}",
        "narrator page": f"/narrators/{t.narrator_id}",
        "recording": f"/media/recordings/{t.recordings[0].id}",
    }
    if "/testimonies/<int:testimony_id>/transcript.vtt" in rules:
        urls["transcript vtt"] = f"/testimonies/{t.id}/transcript.vtt"
    if "/testimonies/<int:testimony_id>/transcript.txt" in rules:
        urls["transcript txt"] = f"/testimonies/{t.id}/transcript.txt"
    return urls


@pytest.fixture()
def matrix(app: Flask) -> dict[str, models.Testimony]:
    with dispatch.deferred():
        return {level: make_testimony(level, f"word{chr(97 + i)}{chr(97 + i)}x") for i, level in enumerate(LEVELS)}


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app: Flask, matrix: dict[str, models.Testimony], role: str) -> None:
    """Every level × surface answers 200 for those allowed and exactly like a missing record for others."""
    client = role_client(app, role)
    missing = {name: client.get(url) for name, url in {
        "testimony page": "/testimonies/999999", "narrator page": "/narrators/999999",
        "recording": "/media/recordings/999999", "transcript vtt": "/testimonies/999999/transcript.vtt",
        "transcript txt": "/testimonies/999999/transcript.txt"}.items()}
    listing = client.get("/testimonies/").get_data(as_text=True)
    failures = []
    for level, t in matrix.items():
        allowed = role in SEES[level]
        for surface, url in _surfaces(app, t).items():
            response = client.get(url)
            if allowed and response.status_code != 200:
                failures.append(f"{level} {surface}: {role} should see it, got {response.status_code}")
            if not allowed and not same_answer(response, url, missing[surface], "/missing"):
                failures.append(f"{level} {surface}: {role} got {response.status_code}, not the missing answer")
        in_listing = f'href="/testimonies/{t.id}"' in listing
        if in_listing != allowed:
            failures.append(f"{level} listing: {role} {'misses' if allowed else 'sees'} it")
        search = client.get(f"/api/v1/search?q={t.title.split()[-1]}")
        if search.status_code == 200:
            found = [hit["id"] for hit in search.get_json()["results"]]
            if (t.id in found) != allowed:
                failures.append(f"{level} search: {role} {'misses' if allowed else 'finds'} it")
    assert not failures, "\n".join(failures)


def test_staff_only_details_by_role(app: Flask) -> None:
    """Real names, consent notes and restricted passages: curators and admins only."""
    narrator = narrator_service.create_narrator({"pseudonym": "Ms. Han", "real_name": "Realname Secretperson",
                                                 "public_name": "Unconsented Publicname"})
    t = testimonies.create_testimony({"title": "Staff details", "access": "researchers", "status": "published",
                                      "consent_transcript": True, "consent_notes": "Notesecret Hyesan"}, narrator)
    testimonies.replace_transcript(t, [
        {"start": 0, "end": 2, "text": "Open words."},
        {"start": 2, "end": 4, "text": "Withheldsecret passage.", "restricted": True}], None)
    for role in ROLES:
        client = role_client(app, role)
        page = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
        staff = role in ("curator", "admin")
        if role in ("anonymous", "unapproved"):
            continue  # hidden entirely, covered by the matrix
        assert ("Realname Secretperson" in page) == staff, role
        assert ("Withheldsecret" in page) == staff, role
        assert "Unconsented Publicname" not in page, role
        assert "Notesecret" not in page or staff, role
        txt = client.get(f"/testimonies/{t.id}/transcript.txt")
        if txt.status_code == 200:
            assert ("Withheldsecret" in txt.get_data(as_text=True)) == staff, role


def test_withdrawing_consent_removes_a_testimony_everywhere_at_once(app: Flask) -> None:
    t = make_testimony("public", "zebrafinchword")
    anonymous, researcher = role_client(app, "anonymous"), role_client(app, "researcher")
    has_search = anonymous.get("/api/v1/search?q=zebrafinchword").status_code == 200
    for client in (anonymous, researcher):
        assert client.get(f"/testimonies/{t.id}").status_code == 200
        if has_search:
            assert client.get("/api/v1/search?q=zebrafinchword").get_json()["total"] == 1
    testimonies.withdraw_consent(t, t.version, note="asked by phone")
    for client in (anonymous, researcher):
        for url in _surfaces(app, t).values():
            assert client.get(url).status_code == 404, url
        assert f'href="/testimonies/{t.id}"' not in client.get("/testimonies/").get_data(as_text=True)
        if has_search:
            assert client.get("/api/v1/search?q=zebrafinchword").get_json()["total"] == 0
    curator = role_client(app, "curator")
    assert curator.get(f"/testimonies/{t.id}").status_code == 200
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == t.id,
                                                                 AuditEntry.object_type == "testimony")).all()
    assert "testimony.consent_withdrawn" in actions


def test_embargo_dates_relative_to_today(app: Flask) -> None:
    past = make_testimony("embargo-passed", "pastembargoword")
    future = make_testimony("embargoed", "futureembargoword")
    client = role_client(app, "anonymous")
    assert client.get(f"/testimonies/{past.id}").status_code == 200
    assert client.get(f"/testimonies/{future.id}").status_code == 404
    # The policy itself, the day before, on and after the embargo date.
    day = future.embargo_until
    assert access.testimony_visibility(future, on=day - timedelta(days=1)) == access.STAFF
    assert access.testimony_visibility(future, on=day) == access.PUBLIC
    assert access.testimony_visibility(future, on=day + timedelta(days=1)) == access.PUBLIC
    # The SQL filter agrees with the single-record check on every one of those days.
    for on in (day - timedelta(days=1), day, day + timedelta(days=1)):
        ids = set(db.session.scalars(select(models.Testimony.id).where(access.visible_filter(None, on=on))))
        assert (future.id in ids) == (access.testimony_visibility(future, on=on) == access.PUBLIC)


def test_a_copied_session_cookie_stops_working_after_logout(app: Flask) -> None:
    t = make_testimony("researchers", "cookiecopyword")
    original = role_client(app, "researcher")
    thief = fresh_client(app)
    cookie = original.get_cookie("session")
    assert cookie is not None
    thief.set_cookie("session", cookie.value)
    assert thief.get(f"/testimonies/{t.id}").status_code == 200  # the copy works while the session lives
    token = _csrf(original)
    assert original.post("/account/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get(f"/testimonies/{t.id}").status_code == 404
    assert original.get(f"/testimonies/{t.id}").status_code == 404


def test_password_change_ends_every_other_session(app: Flask) -> None:
    t = make_testimony("researchers", "passwordchangeword")
    first = role_client(app, "researcher")
    second = role_client(app, "researcher")
    assert second.get(f"/testimonies/{t.id}").status_code == 200
    from .world import PASSWORD
    response = first.post("/account/password", data={"old_password": PASSWORD, "new_password": "a brand new secret",
                                                      "csrf_token": _csrf(first, "/account/password")})
    assert response.status_code == 302
    assert second.get(f"/testimonies/{t.id}").status_code == 404
    assert first.get(f"/testimonies/{t.id}").status_code == 404


def test_curator_refusals_and_access_changes_are_audited(app: Flask) -> None:
    t = make_testimony("public", "auditedword")
    researcher = role_client(app, "researcher")
    assert researcher.get("/curate/").status_code == 404
    assert researcher.get("/admin/users").status_code == 404
    curator = role_client(app, "curator")
    assert curator.get("/admin/users").status_code == 404
    testimonies.update_testimony(t, {"title": t.title, "access": "researchers"}, t.version)
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("refused:curate") >= 1
    assert actions.count("refused:admin") >= 2
    assert "testimony.access" in actions


def _csrf(client: Any, path: str = "/") -> str:
    from .world import csrf_from
    return csrf_from(client, path)


@pytest.mark.parametrize("face_voice", [False, True])
def test_videos_need_consent_to_show_face_and_voice(app: Flask, face_voice: bool, tmp_path: Any) -> None:
    from tests.media.samples import make_sample

    video = make_sample(tmp_path, "mp4-video", seconds=1.0).read_bytes()  # a real video: its public copy is made
    narrator = narrator_service.create_narrator({"pseudonym": "Video narrator"})
    t = testimonies.create_testimony({"title": "On video", "access": "public", "status": "published",
                                      "consent_audio": True, "consent_face_voice": face_voice}, narrator)
    recordings.upload_recording(t, io.BytesIO(video), "interview.mp4", None)
    audio = make_testimony("public", "audioonlyword")  # audio needs no face consent
    url = f"/media/recordings/{t.recordings[0].id}"
    for role in ROLES:
        client = role_client(app, role)
        expected = 200 if face_voice or role in ("curator", "admin") else 404
        assert client.get(url).status_code == expected, role
        assert client.get(f"/media/recordings/{audio.recordings[0].id}").status_code == 200, role


def test_the_sql_filters_agree_with_the_single_record_checks(app: Flask, matrix: dict[str, models.Testimony]) -> None:
    """visible_filter / hearable_filter / narrator_filter select exactly what can_view / can_hear allow."""
    no_audio = make_testimony("public", "noaudioword")
    testimonies.update_testimony(no_audio, {"title": no_audio.title, "consent_audio": False}, no_audio.version)
    everything = db.session.scalars(select(models.Testimony)).all()
    narrators_all = db.session.scalars(select(models.Narrator)).all()
    for role in ROLES:
        user = None if role == "anonymous" else _user_for(role)
        visible = set(db.session.scalars(select(models.Testimony.id).where(access.visible_filter(user))))
        hearable = set(db.session.scalars(select(models.Testimony.id).where(access.hearable_filter(user))))
        shown = set(db.session.scalars(select(models.Narrator.id).where(access.narrator_filter(user))))
        assert visible == {t.id for t in everything if access.can_view(user, t)}, role
        assert hearable == {t.id for t in everything if access.can_hear(user, t) and t.recordings}, role
        assert shown == {n.id for n in narrators_all if access.can_view_narrator(user, n)}, role


def _user_for(role: str) -> Any:
    from .world import make_user
    from archive.accounts import users
    email = f"sql-{role}@example.org"
    existing = users.email_taken(email)
    if existing:
        return existing
    user = make_user(email, "researcher" if role in ("unapproved", "researcher") else role,
                     approved=role != "unapproved")
    # Filters read `is_authenticated` like Flask-Login's current_user does.
    return user
