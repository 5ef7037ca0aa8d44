"""Every state-changing route refuses a request without a valid CSRF token, generated from app.url_map."""
from __future__ import annotations

import itertools

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter, Rule

from archive.core.extensions import db
from archive import models
from archive.models import AuditEntry, Narrator, Segment, User

from .probes import Stats
from .world import Planter, role_client

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Form fields a real submission would carry, so the refusal cannot come from validation instead.
PLAUSIBLE_FORM = {"title": "Changed", "status": "published", "access": "public", "role": "admin",
                  "email": "admin-probe@example.org", "password": "leak-probe password 1", "pseudonym": "Changed",
                  "text": "Changed", "start": "0", "end": "1", "confirm": "withdraw"}


# Protocol endpoints whose POST is only another way to send a read-only query (OAI-PMH allows a
# form-encoded POST); test_read_only_post_endpoints_change_nothing checks that they change nothing.
READ_ONLY_POST = {"oai.endpoint"}


def unsafe_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if set(UNSAFE) & set(rule.methods or ()) and rule.endpoint not in READ_ONLY_POST]


def _state() -> tuple[int, ...]:
    """A fingerprint of everything a refused request must leave untouched."""
    return (
        db.session.scalar(select(func.count(AuditEntry.id))) or 0,
        db.session.scalar(select(func.sum(models.Testimony.version))) or 0,
        db.session.scalar(select(func.count(models.Testimony.id))) or 0,
        db.session.scalar(select(func.count(Narrator.id))) or 0,
        db.session.scalar(select(func.count(Segment.id))) or 0,
        db.session.scalar(select(func.count(User.id))) or 0,
        db.session.scalar(select(func.sum(User.session_version))) or 0,
    )


def _urls(app: Flask, rule: Rule, ids: dict[str, list[int]]) -> list[str]:
    names = sorted(rule.arguments)
    choices = []
    for name in names:
        converter = rule._converters.get(name)  # noqa: SLF001
        pool = ids.get(name, ids["any"]) if isinstance(converter, IntegerConverter) else ["x"]
        choices.append(pool[:2])
    adapter = app.url_map.bind("localhost")
    return [adapter.build(rule.endpoint, dict(zip(names, combo))) for combo in itertools.product(*choices)]


def test_the_app_has_state_changing_routes(app: Flask) -> None:
    rules = {rule.endpoint for rule in unsafe_rules(app)}
    assert {"auth.login", "auth.logout", "auth.register", "admin.approve"} <= rules


def test_read_only_post_endpoints_change_nothing(app: Flask) -> None:
    planter = Planter(3)
    planter.plant_public()
    planter.accounts()
    admin = role_client(app, "admin")
    before = _state()
    for endpoint in sorted(READ_ONLY_POST):
        url = app.url_map.bind("localhost").build(endpoint)
        for data in ({"verb": "ListRecords", "metadataPrefix": "oai_dc"}, dict(PLAUSIBLE_FORM)):
            response = admin.post(url, data=data)
            assert response.status_code == 200 and response.mimetype == "text/xml", url
    assert _state() == before


@pytest.mark.parametrize("token", ["missing", "forged", "from another session"])
def test_every_unsafe_route_refuses_a_request_without_a_valid_token(app: Flask, token: str, leak_stats: Stats) -> None:
    planter = Planter(3)
    planter.plant_public()
    planter.accounts()
    w = planter.world
    admin = role_client(app, "admin")
    other_token = _token_of(role_client(app, "curator"))
    segment_ids = list(db.session.scalars(select(Segment.id).order_by(Segment.id)))
    ids = {"testimony_id": list(w.testimony_ids.values()), "narrator_id": list(w.narrator_ids.values()),
           "recording_id": list(w.recording_ids.values()), "user_id": list(w.user_ids.values()),
           "segment_id": segment_ids, "any": list(w.testimony_ids.values())}
    before = _state()
    tried, failures = 0, []
    for rule in unsafe_rules(app):
        for url in _urls(app, rule, ids):
            for method in sorted(set(UNSAFE) & set(rule.methods or ())):
                data = dict(PLAUSIBLE_FORM)
                if token == "forged":
                    data["csrf_token"] = "IjAwMDAwMDAwMDAwMDAwMDAi.aaaaaa.forgedforgedforgedforgedforg"
                elif token == "from another session":
                    data["csrf_token"] = other_token
                response = admin.open(url, method=method, data=data)
                tried += 1
                if response.status_code != 400:
                    failures.append(f"{method} {url} ({rule.endpoint}) answered {response.status_code}")
    leak_stats.notes.append(f"CSRF: {tried} requests to {len(unsafe_rules(app))} state-changing routes, "
                            f"{len(failures)} accepted ({token} token)")
    assert tried >= len(unsafe_rules(app))
    assert not failures, "\n".join(failures)
    assert _state() == before, "a refused request changed something"
    # The admin's own session still works: the refusals did not log anyone out.
    assert admin.get("/admin/users").status_code == 200


def test_a_valid_token_is_accepted(app: Flask) -> None:
    """The control: with the page's token the same kind of request goes through."""
    admin = role_client(app, "admin")
    waiting = role_client(app, "unapproved")  # creates the waiting researcher
    del waiting
    user = db.session.scalar(select(User).where(User.email == "waiting@example.org"))
    response = admin.post(f"/admin/users/{user.id}/approve", data={"csrf_token": _token_of(admin)})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.approved


def _token_of(client: object) -> str:
    from .world import csrf_from
    return csrf_from(client, "/admin/users" if _is_admin(client) else "/")


def _is_admin(client: object) -> bool:
    return client.get("/admin/users").status_code == 200  # type: ignore[attr-defined]
