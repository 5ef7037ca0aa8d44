"""Curator web forms through HTTP: login, CSRF, narrators, testimonies, sections and optimistic locking."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import csrf_token
from archive.core.extensions import db
from archive import models
from archive.models import AuditEntry, Narrator, Segment

from tests.sound import wav_bytes as make_wav

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")  # only script files (the CSP allows no inline script)


class _FormReader(HTMLParser):
    """Collect the successful controls of forms, keyed by their action URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._fields = []
            self.forms.append((a.get("action", ""), self._fields))
        elif self._fields is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._fields.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self._fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._fields is None:
            return
        if tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self._fields.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline that directly follows <textarea>.
            self._fields.append((self._textarea, self._text[1:] if self._text.startswith("\n") else self._text))
            self._textarea = None
        elif tag == "form":
            self._fields = None


def read_form(html: str, action: str) -> dict[str, str | list[str]]:
    """The values a browser would submit for the form whose action (without fragment) ends with `action`."""
    reader = _FormReader()
    reader.feed(html)
    matches = [fields for url, fields in reader.forms if url.split("#")[0].endswith(action)]
    assert matches, f"no form posting to {action!r}"
    data: dict[str, str | list[str]] = {}
    for name, value in matches[0]:
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    return data


def load_form(client: FlaskClient, page: str, action: str,
              headers: dict[str, str] | None = None) -> dict[str, str | list[str]]:
    """Open a page and read one of its forms."""
    response = client.get(page, headers=headers)
    assert response.status_code == 200, response.status_code
    return read_form(response.get_data(as_text=True), action)


# ---------------------------------------------------------------- helpers

def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def edit_url(t: models.Testimony) -> str:
    return f"/curate/testimonies/{t.id}"


def post_section(client: FlaskClient, t: models.Testimony, action: str, changes: dict[str, Any],
                 drop: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """Load the edit page, fill one section's form like a browser, and submit it."""
    data: dict[str, Any] = load_form(client, edit_url(t), f"/{t.id}/{action}")
    for name in drop:
        data.pop(name, None)
    data.update(changes)
    return client.post(f"{edit_url(t)}/{action}", data=data, **kwargs)


def reload(t: models.Testimony) -> models.Testimony:
    db.session.expire_all()
    return db.session.get(models.Testimony, t.id)


@pytest.fixture()
def wav_bytes() -> bytes:
    return make_wav()


# ---------------------------------------------------------------- who may curate

@pytest.mark.parametrize("path", ["/curate/", "/curate/narrators/new", "/curate/testimonies/new"])
def test_anonymous_is_sent_to_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_anonymous_is_sent_to_login_from_an_edit_page(client: FlaskClient, draft: models.Testimony) -> None:
    response = client.get(edit_url(draft))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_researcher_gets_404_and_the_refusal_is_audited(client: FlaskClient, auth: Any, draft: models.Testimony) -> None:
    auth.login("researcher", approved=True)
    for path in ("/curate/", edit_url(draft), "/curate/narrators/new"):
        response = client.get(path)
        assert response.status_code == 404
    refusals = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "refused:curate")).all()
    assert len(refusals) == 3
    assert refusals[0].actor == "researcher@example.org"


def test_researcher_post_is_refused_too(client: FlaskClient, auth: Any, draft: models.Testimony) -> None:
    auth.login("researcher", approved=True)
    token = csrf_token(client, "/")
    response = client.post(f"{edit_url(draft)}/publish", data={"csrf_token": token, "pub-version": draft.version})
    assert response.status_code == 404
    assert reload(draft).status == "draft"


def test_admin_may_curate(client: FlaskClient, auth: Any) -> None:
    auth.login("admin")
    assert client.get("/curate/").status_code == 200


# ---------------------------------------------------------------- CSRF on every POST route

def _snapshot() -> tuple[Any, ...]:
    db.session.expire_all()
    rows = db.session.scalars(select(models.Testimony).order_by(models.Testimony.id)).all()
    return (
        [(t.id, t.version, t.title, t.status, t.consent_withdrawn_at, len(t.route), len(t.chapters),
          [(s.start, s.text, s.restricted) for s in t.segments], len(t.recordings)) for t in rows],
        [(n.id, n.pseudonym, n.birth_year) for n in db.session.scalars(select(Narrator))],
    )


def test_every_curator_post_route_refuses_a_missing_csrf_token(app: Flask, client: FlaskClient, curator: Any,
                                                                draft: models.Testimony, wav_bytes: bytes) -> None:
    segment = draft.segments[0]
    ids = {"testimony_id": draft.id, "narrator_id": draft.narrator_id, "segment_id": segment.id}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("curator.") and "POST" in (r.methods or ())]
    assert len(rules) >= 14, [r.endpoint for r in rules]
    before = _snapshot()
    for rule in rules:
        url = rule.build({k: v for k, v in ids.items() if k in rule.arguments})[1]
        data = {
            "pseudonym": "Changed", "title": "Changed", "narrator": str(draft.narrator_id), "confirm": "y",
            "version": str(draft.version), "meta-title": "Changed", "meta-version": str(draft.version),
            "pub-version": str(draft.version), "unpub-version": str(draft.version),
            "recdel-version": str(draft.version), "tr-version": str(draft.version), "tr-confirm": "y",
            "tr-text": "[00:00:01] A: changed", "rec-version": str(draft.version),
            "rec-file": (io.BytesIO(wav_bytes), "x.wav"), "route-version": str(draft.version),
            "route-legs-0-country": "china", "ch-version": str(draft.version), "ch-chapters-0-start": "1",
            "ch-chapters-0-title": "Changed", "tags-version": str(draft.version), "tags-tags": "famine",
            "start": "0", "end": "3", "text": "Changed",
        }
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, (rule.endpoint, response.status_code)
        assert "csrf" in html_of(response).lower() or "could not be understood" in html_of(response)
        # A wrong token is refused as well.
        response = client.post(url, data={**data, "csrf_token": "forged", "rec-file": (io.BytesIO(wav_bytes), "x.wav")},
                               content_type="multipart/form-data")
        assert response.status_code == 400, (rule.endpoint, "forged")
    assert _snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(models.Testimony)) == 1


# ---------------------------------------------------------------- narrators

NARRATOR = {
    "pseudonym": "Ms. Pine", "real_name": "Kim Sun-hee", "public_name": "", "gender": "female",
    "birth_year": "1979", "origin_province": "north-hamgyong", "origin_place": "hoeryong",
    "occupation": "workers", "education": "primary-school", "residence_region": "seoul",
    "left_north_year": "2006", "arrived_south_year": "2008", "curator_notes": "Met through the church.",
}


def test_narrator_form_marks_the_real_name_as_curators_only(client: FlaskClient, curator: Any) -> None:
    html = html_of(client.get("/curate/narrators/new"))
    assert "Real name (curators only)" in html
    assert "Never shown on any public page" in html
    for label in ("Home province", "Home town, county or camp", "Occupation in the North", "Education",
                  "Residence in the South", "Gender", "Birth year", "Year left the North",
                  "Year arrived in the South", "Public name", "Curator notes"):
        assert label in html
    # Categories come in the order of the official tables; provinces list the Hangul name.
    assert html.index(">Management (관리직)<") < html.index(">Military (군인)<") < html.index(">Workers (노동자)<")
    assert "North Hamgyong (함경북도)" in html


def test_create_narrator_then_testimony_defaults_to_restricted_draft(client: FlaskClient, curator: Any) -> None:
    data = {**load_form(client, "/curate/narrators/new", "/curate/narrators/new"), **NARRATOR}
    response = client.post("/curate/narrators/new", data=data)
    assert response.status_code == 302
    narrator = db.session.scalar(select(Narrator))
    assert narrator.real_name == "Kim Sun-hee"
    assert narrator.origin_province.slug == "north-hamgyong"
    assert narrator.origin_place.slug == "hoeryong"
    assert narrator.occupation.slug == "workers" and narrator.residence_region.slug == "seoul"
    assert (narrator.birth_year, narrator.left_north_year, narrator.arrived_south_year) == (1979, 2006, 2008)
    assert f"narrator={narrator.id}" in response.headers["Location"]

    page = client.get(response.headers["Location"])
    html = html_of(page)
    assert 'name="status"' not in html and ">Publish<" not in html
    assert "restricted draft" in html
    for tag in ("&lt;p&gt;", "&lt;strong&gt;", "&lt;a&gt;"):
        assert tag in html  # the summary hint names the allowed tags
    form = read_form(html, "/curate/testimonies/new")
    assert form["narrator"] == str(narrator.id) and form["access"] == "restricted"
    form.update({"title": "Crossing the Tumen", "languages": ["ko", "en"], "interview_date": "2019-05",
                 "interviewer": "J. Park", "interview_place": "Seoul", "summary": "<p>About the <em>river</em>.</p>",
                 "consent_audio": "y", "embargo_until": "2030-01-01", "consent_notes": "Oral consent recorded."})
    response = client.post("/curate/testimonies/new", data=form)
    assert response.status_code == 302, html_of(response)
    t = db.session.scalar(select(models.Testimony))
    assert (t.status, t.access) == ("draft", "restricted")
    assert t.languages == ["ko", "en"] and t.interview_date == "2019-05"
    assert t.consent_audio and not t.consent_transcript
    assert str(t.embargo_until) == "2030-01-01"
    assert response.headers["Location"].endswith(edit_url(t))
    assert client.get(f"/testimonies/{t.id}").status_code == 200  # staff see drafts
    public = client.application.test_client()
    assert public.get(f"/testimonies/{t.id}").status_code == 404


def test_create_form_ignores_an_attempt_to_publish(client: FlaskClient, curator: Any, factory: Any) -> None:
    narrator = factory.narrator()
    data = {**load_form(client, "/curate/testimonies/new", "/curate/testimonies/new"),
            "narrator": str(narrator.id), "title": "Sneaky", "status": "published", "access": "public"}
    assert client.post("/curate/testimonies/new", data=data).status_code == 302
    assert db.session.scalar(select(models.Testimony)).status == "draft"


def test_narrator_errors_name_their_fields(client: FlaskClient, curator: Any) -> None:
    data = {**load_form(client, "/curate/narrators/new", "/curate/narrators/new"), **NARRATOR,
            "pseudonym": " ", "birth_year": "nineteen", "left_north_year": "2010", "arrived_south_year": "2003",
            "gender": "other"}
    response = client.post("/curate/narrators/new", data=data)
    assert response.status_code == 400
    html = html_of(response)
    assert "Enter a pseudonym" in html and "Pseudonym: is required" not in html
    assert "Enter the birth year as a year of four digits, such as 2009" in html
    assert "Year arrived in the South: (2003) cannot be before the year the narrator left the North (2010)" in html
    assert "Gender: must be one of" in html
    assert 'aria-invalid="true"' in html
    assert 'value="Kim Sun-hee"' in html  # the input is kept
    assert db.session.scalar(select(func.count()).select_from(Narrator)) == 0


def test_narrator_with_unknown_vocabulary_names_the_field(client: FlaskClient, curator: Any) -> None:
    data = {**load_form(client, "/curate/narrators/new", "/curate/narrators/new"), **NARRATOR,
            "origin_province": "atlantis", "occupation": "astronaut"}
    html = html_of(client.post("/curate/narrators/new", data=data))
    assert "Home province: unknown North Korean province &#39;atlantis&#39;" in html
    assert "Occupation in the North: unknown occupation &#39;astronaut&#39;" in html


def test_edit_narrator(client: FlaskClient, curator: Any, factory: Any) -> None:
    narrator = factory.narrator(pseudonym="Mr. Oak", real_name="Lee")
    page = f"/curate/narrators/{narrator.id}"
    data = load_form(client, page, page)
    assert data["origin_province"] == "north-hamgyong" and data["real_name"] == "Lee"
    data.update({"pseudonym": "Mr. Elm", "education": "kindergarten"})
    assert client.post(page, data=data).status_code == 302
    db.session.expire_all()
    narrator = db.session.get(Narrator, narrator.id)
    assert narrator.pseudonym == "Mr. Elm" and narrator.education.slug == "kindergarten"
    assert narrator.real_name == "Lee"
    data = load_form(client, page, page)
    response = client.post(page, data={**data, "birth_year": "3000"})
    assert response.status_code == 400 and "The birth year must be between 1900 and 2100" in html_of(response)


def test_narrator_stale_form_is_refused(client: FlaskClient, auth: Any, factory: Any, app: Flask) -> None:
    narrator = factory.narrator(pseudonym="Mr. Oak")
    page = f"/curate/narrators/{narrator.id}"
    auth.login("curator")
    other = app.test_client()
    AuthLike = type(auth)
    AuthLike(other).login("admin")
    mine, theirs = load_form(client, page, page), load_form(other, page, page)
    assert other.post(page, data={**theirs, "pseudonym": "Their name"}).status_code == 302
    response = client.post(page, data={**mine, "pseudonym": "My name"})
    assert response.status_code == 409
    assert "changed by someone else" in html_of(response) and 'value="My name"' in html_of(response)
    db.session.expire_all()
    assert db.session.get(Narrator, narrator.id).pseudonym == "Their name"


def test_testimony_errors_name_their_fields(client: FlaskClient, curator: Any, factory: Any) -> None:
    factory.narrator()
    data = {**load_form(client, "/curate/testimonies/new", "/curate/testimonies/new"),
            "narrator": "", "title": "", "interview_date": "2019-13", "embargo_until": "next year",
            "languages": ["ko", "xx"], "access": "everyone"}
    response = client.post("/curate/testimonies/new", data=data)
    assert response.status_code == 400
    html = html_of(response)
    assert "Choose a narrator from the list" in html and "Enter a title" in html  # every problem at once
    assert 'href="#narrator">Choose a narrator from the list</a>' in html and 'href="#title">Enter a title</a>' in html
    narrator = db.session.scalar(select(Narrator))
    response = client.post("/curate/testimonies/new", data={**data, "narrator": str(narrator.id)})
    html = html_of(response)
    assert response.status_code == 400
    assert "Enter a title" in html
    assert "The interview date 2019-13 is not a date on the calendar" in html
    assert "Enter the end of the embargo as a date, YYYY-MM-DD" in html
    assert "Languages of the interview: unknown language code &#39;xx&#39;" in html
    assert "Access level: must be one of public, researchers, restricted" in html
    assert db.session.scalar(select(func.count()).select_from(models.Testimony)) == 0


def test_duplicate_external_id_names_the_field(client: FlaskClient, curator: Any, factory: Any,
                                               draft: models.Testimony) -> None:
    factory.testimony(title="Other", external_id="NK-0001")
    data = {**load_form(client, "/curate/testimonies/new", "/curate/testimonies/new"),
            "narrator": str(draft.narrator_id), "title": "Copy", "external_id": "NK-0001"}
    response = client.post("/curate/testimonies/new", data=data)
    assert response.status_code == 400
    assert "External identifier: &#39;NK-0001&#39; is already used by testimony" in html_of(response)
    response = post_section(client, draft, "metadata", {"meta-external_id": "NK-0001"})
    assert response.status_code == 400 and "is already used by testimony" in html_of(response)
    assert post_section(client, draft, "metadata", {"meta-external_id": "NK-0002"}).status_code == 302
    assert post_section(client, draft, "metadata", {"meta-title": "Same id kept"}).status_code == 302
    assert reload(draft).external_id == "NK-0002"


def test_garbage_never_causes_a_500(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    token = csrf_token(client, edit_url(draft))
    v = str(draft.version)
    for action, data in [
        ("metadata", {"meta-version": "abc", "meta-narrator": "x" * 5000, "meta-title": "\x00"}),
        ("metadata", {"meta-version": v, "meta-narrator": "9" * 5000, "meta-title": "x"}),
        ("metadata", {"meta-version": v, "meta-narrator": "²", "meta-title": "x"}),
        ("metadata", {"meta-version": "9" * 30, "meta-narrator": str(draft.narrator_id), "meta-title": "x"}),
        ("metadata", {"meta-version": v, "meta-narrator": str(draft.narrator_id), "meta-title": "a\x01b"}),
        ("route", {"route-version": v, "route-legs-0-position": "first", "route-legs-0-year": "1e9"}),
        ("route", {"route-version": v, "route-legs-999999-country": "nowhere"}),
        ("route", {"route-version": v, "route-legs-0-country": "china", "route-legs-0-event": "teleported"}),
        ("chapters", {"ch-version": v, "ch-chapters-0-start": "soon", "ch-chapters-0-title": "x"}),
        ("tags", {"tags-version": v, "tags-tags": ["nope", "<script>"]}),
        ("transcript", {"tr-version": v, "tr-format": "docx", "tr-text": "hello", "tr-confirm": "y"}),
        ("transcript", {"tr-version": v, "tr-text": "\x00\x01\x02", "tr-confirm": "y"}),
        ("recording", {"rec-version": v}),
        ("publish", {}),
    ]:
        response = client.post(f"{edit_url(draft)}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 400, (action, response.status_code)
    response = client.post(f"/curate/testimonies/{draft.id}/segments/{draft.segments[0].id}",
                           data={"csrf_token": token, "version": v, "start": "-5", "end": "x", "text": ""})
    assert response.status_code == 400
    assert reload(draft).version == int(v)


def test_missing_version_is_a_form_error(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    response = post_section(client, draft, "metadata", {"meta-title": "New"}, drop=("meta-version",))
    assert response.status_code == 400
    assert "missing its version number" in html_of(response)
    assert reload(draft).title == "Crossing at night"


# ---------------------------------------------------------------- the edit page sections

def test_every_control_has_a_label_and_ids_are_unique(client: FlaskClient, curator: Any, draft: models.Testimony,
                                                      factory: Any) -> None:
    narrator = factory.narrator()
    pages = ["/curate/", "/curate/narrators/new", f"/curate/narrators/{narrator.id}", "/curate/testimonies/new",
             edit_url(draft), f"{edit_url(draft)}/withdraw", f"{edit_url(draft)}/delete",
             f"{edit_url(draft)}/segments/{draft.segments[0].id}"]
    for page in pages:
        html = html_of(client.get(page))
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (page, sorted(i for i in ids if ids.count(i) > 1))
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in tag:
                continue
            control_id = re.search(r'\sid="([^"]+)"', tag)
            assert control_id and control_id.group(1) in labelled, (page, tag)
        assert "style=" not in html and not INLINE_SCRIPT.search(html) and " on" + "click=" not in html


def test_edit_page_shows_every_section(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    html = html_of(client.get(edit_url(draft)))
    for heading in ("Publication", "Details", "Escape route", "Topics", "Recording", "Transcript", "Chapters"):
        assert f">{heading}</h2>" in html
    assert "Famine · 기근" in html  # topics with English and Korean labels
    assert "<legend>New stop</legend>" in html
    assert "replaces all 2 existing segments" in html
    assert "style=" not in html and not INLINE_SCRIPT.search(html) and " onclick" not in html


def test_metadata_edit_persists(client: FlaskClient, curator: Any, draft: models.Testimony, factory: Any) -> None:
    other = factory.narrator(pseudonym="Other narrator")
    version = draft.version
    response = post_section(client, draft, "metadata", {
        "meta-title": "Crossing at dawn", "meta-access": "researchers", "meta-languages": ["ko"],
        "meta-narrator": str(other.id), "meta-featured": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#metadata")
    t = reload(draft)
    assert (t.title, t.access, t.languages, t.narrator_id, t.featured) == (
        "Crossing at dawn", "researchers", ["ko"], other.id, True)
    assert t.version == version + 1
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == t.id)))
    assert "testimony.access" in actions  # access changes are audited by the service


def test_metadata_error_keeps_input_and_changes_nothing(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    response = post_section(client, draft, "metadata", {"meta-title": "Better title", "meta-interview_date": "May"})
    assert response.status_code == 400
    html = html_of(response)
    assert "Enter the interview date as YYYY, YYYY-MM or YYYY-MM-DD" in html
    assert 'value="Better title"' in html and "were <strong>not saved</strong>" in html
    assert reload(draft).title == "Crossing at night"


def test_route_add_reorder_and_remove(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    response = post_section(client, draft, "route", {
        "route-legs-0-country": "china", "route-legs-0-place": "Yanji", "route-legs-0-year": "2006",
        "route-legs-0-event": "worked"})
    assert response.status_code == 302
    assert [(leg.country.slug, leg.place) for leg in reload(draft).route] == [("china", "Yanji")]
    # Two more stops: the form offers one empty row per save.
    post_section(client, draft, "route", {"route-legs-1-country": "laos", "route-legs-1-year": "2007"})
    post_section(client, draft, "route", {"route-legs-2-country": "thailand", "route-legs-2-event": "arrested"})
    assert [leg.country.slug for leg in reload(draft).route] == ["china", "laos", "thailand"]
    # Move Thailand first, remove Laos.
    response = post_section(client, draft, "route", {"route-legs-2-position": "0", "route-legs-1-remove": "y"})
    assert response.status_code == 302
    route = reload(draft).route
    assert [(leg.position, leg.country.slug, leg.event) for leg in route] == [
        (1, "thailand", "arrested"), (2, "china", "worked")]
    html = html_of(client.get(edit_url(draft)))
    assert "<legend>Stop 1</legend>" in html and "<legend>Stop 2</legend>" in html


def test_route_errors_land_on_the_row(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    response = post_section(client, draft, "route", {"route-legs-0-place": "Somewhere"})
    assert response.status_code == 400
    assert "Choose the country of this stop" in html_of(response)
    response = post_section(client, draft, "route", {"route-legs-0-country": "china", "route-legs-0-year": "1850"})
    assert response.status_code == 400
    html = html_of(response)
    assert "The year must be between 1945 and 2100" in html
    assert 'id="route-legs-0-year-errors"' in html
    assert reload(draft).route == []


def test_tags_persist(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    assert post_section(client, draft, "tags", {"tags-tags": ["famine", "brokers"]}).status_code == 302
    assert [t.slug for t in reload(draft).topics] == ["brokers", "famine"]
    data = load_form(client, edit_url(draft), f"/{draft.id}/tags")
    assert sorted(data["tags-tags"]) == ["brokers", "famine"]
    response = post_section(client, draft, "tags", {"tags-tags": ["famine", "unicorns"]})
    assert response.status_code == 400
    assert "Topics: not in the topic vocabulary: &#39;unicorns&#39;" in html_of(response)
    assert [t.slug for t in reload(draft).topics] == ["brokers", "famine"]
    assert post_section(client, draft, "tags", {}, drop=("tags-tags",)).status_code == 302
    assert reload(draft).topics == []


def test_chapters_persist_in_time_order(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    post_section(client, draft, "chapters", {"ch-chapters-0-start": "1:05", "ch-chapters-0-title": "The river",
                                             "ch-chapters-0-keywords": "Tumen, night"})
    post_section(client, draft, "chapters", {"ch-chapters-1-start": "12.5", "ch-chapters-1-title": "Childhood",
                                             "ch-chapters-1-synopsis": "Growing up in Hoeryong."})
    chapters = reload(draft).chapters
    assert [(c.start, c.title, c.keywords) for c in chapters] == [(12.5, "Childhood", ""),
                                                                  (65.0, "The river", "Tumen, night")]
    response = post_section(client, draft, "chapters", {"ch-chapters-0-title": ""})
    assert response.status_code == 400
    assert "Enter the chapter title" in html_of(response)
    response = post_section(client, draft, "chapters", {"ch-chapters-2-title": "No start"})
    assert "Enter the start as hh:mm:ss" in html_of(response)
    assert post_section(client, draft, "chapters", {"ch-chapters-0-remove": "y"}).status_code == 302
    assert [c.title for c in reload(draft).chapters] == ["The river"]


def test_edit_one_segment(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    segment = draft.segments[1]
    page = f"/curate/testimonies/{draft.id}/segments/{segment.id}"
    data = load_form(client, page, page)
    assert data["start"] == "0:00:04" and data["version"] == str(draft.version)
    data.update({"speaker": "Ms. Pine", "text": "In Hoeryong.", "restricted": "y", "language": "ko", "end": "0:00:10"})
    response = client.post(page, data=data)
    assert response.status_code == 302
    db.session.expire_all()
    s = db.session.get(Segment, segment.id)
    assert (s.speaker, s.text, s.restricted, s.language, s.end) == ("Ms. Pine", "In Hoeryong.", True, "ko", 10.0)
    data = load_form(client, page, page)
    response = client.post(page, data={**data, "end": "0:00:02", "text": ""})
    assert response.status_code == 400
    html = html_of(response)
    assert "The end must be after the start (0:04)" in html and "Enter the text of the passage" in html


def test_segment_text_follows_the_marker_rule(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    segment = draft.segments[1]
    page = f"/curate/testimonies/{draft.id}/segments/{segment.id}"
    data = {k: v for k, v in load_form(client, page, page).items() if k != "restricted"}
    response = client.post(page, data={**data, "text": "Pine: [ Restricted ] my brother in Hoeryong"})
    assert response.status_code == 302
    db.session.expire_all()
    s = db.session.get(Segment, segment.id)
    assert (s.text, s.restricted) == ("Pine: my brother in Hoeryong", True)
    data = {k: v for k, v in load_form(client, page, page).items() if k != "restricted"}
    response = client.post(page, data={**data, "text": "[redacted] my brother"})
    assert response.status_code == 400
    assert "unknown marker [redacted] before the text" in html_of(response)
    assert reload(draft).segments[1].text == "Pine: my brother in Hoeryong"


def test_a_segment_is_only_reachable_through_its_testimony(client: FlaskClient, curator: Any, draft: models.Testimony,
                                                           factory: Any) -> None:
    other = factory.testimony(title="Other")
    page = f"/curate/testimonies/{other.id}/segments/{draft.segments[0].id}"
    assert client.get(page).status_code == 404
    token = csrf_token(client, edit_url(draft))
    response = client.post(page, data={"csrf_token": token, "version": str(other.version), "start": "0", "end": "1",
                                       "text": "Moved?"})
    assert response.status_code == 404
    assert reload(draft).segments[0].text == "Where were you born?"


VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Interviewer>Where did you cross?

00:00:04.500 --> 00:00:09.000
<v Narrator>[restricted] Near the house of my cousin.
"""
SRT = """1
00:00:01,000 --> 00:00:04,000
Interviewer: Where did you cross?

2
00:00:04,500 --> 00:00:09,000
Narrator: Near Musan.
"""
TXT = """Interview 12
[00:00:01] Interviewer: Where did you cross?
[00:00:04] Narrator: Near Musan.
"""


@pytest.mark.parametrize("name, content, fmt", [("t.vtt", VTT, "auto"), ("t.srt", SRT, "srt"),
                                                ("t.txt", TXT, "auto"), (None, TXT, "txt")])
def test_transcript_import_each_format(client: FlaskClient, curator: Any, draft: models.Testimony, name: str | None,
                                       content: str, fmt: str) -> None:
    data: dict[str, Any] = {"tr-format": fmt, "tr-confirm": "y"}
    if name:
        data["tr-file"] = (io.BytesIO(content.encode()), name)
    else:
        data["tr-text"] = content
    response = post_section(client, draft, "transcript", data, content_type="multipart/form-data")
    assert response.status_code == 302, html_of(response)
    segments = reload(draft).segments
    assert [(s.position, s.speaker, s.start) for s in segments] == [(1, "Interviewer", 1.0), (2, "Narrator", 4.0 if
                                                                                                name is None or name.endswith("txt") else 4.5)]
    assert segments[1].restricted is (fmt == "auto" and name == "t.vtt")
    assert "Near" in segments[1].text


def test_malformed_transcript_lists_line_numbers_and_keeps_segments(client: FlaskClient, curator: Any,
                                                                   draft: models.Testimony) -> None:
    bad = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nFine.\n\n00:00:09.000 --> banana\nBroken cue.\n"
    response = post_section(client, draft, "transcript",
                            {"tr-file": (io.BytesIO(bad.encode()), "bad.vtt"), "tr-confirm": "y"},
                            content_type="multipart/form-data")
    assert response.status_code == 400
    html = html_of(response)
    assert "existing segments are unchanged" in html
    assert re.search(r"<li>Line 6: [^<]+</li>", html), html[html.find("Problems found"):][:500]
    assert [s.text for s in reload(draft).segments] == ["Where were you born?", "In Hoeryong, by the river."]


def test_transcript_replacement_needs_confirmation(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    response = post_section(client, draft, "transcript", {"tr-text": TXT}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Tick this box to replace the existing segments" in html_of(response)
    assert len(reload(draft).segments) == 2
    response = post_section(client, draft, "transcript", {}, content_type="multipart/form-data")
    assert "Choose a transcript file or paste the transcript below" in html_of(response)


# ---------------------------------------------------------------- publication

def test_publish_and_unpublish_switch_the_public_page(app: Flask, client: FlaskClient, curator: Any,
                                                      draft: models.Testimony) -> None:
    public = app.test_client()
    post_section(client, draft, "metadata", {"meta-access": "public"})
    assert public.get(f"/testimonies/{draft.id}").status_code == 404
    # Showing it outside staff goes through the publication checklist (tests/curation/test_publishing_views.py).
    checklist = f"{edit_url(draft)}/checklist"
    response = client.post(checklist, data={**load_form(client, checklist, checklist), "confirm": "y"})
    assert response.status_code == 302
    assert reload(draft).status == "published"
    assert public.get(f"/testimonies/{draft.id}").status_code == 200
    assert "visible to everyone" in html_of(client.get(edit_url(draft)))
    assert post_section(client, draft, "unpublish", {}).status_code == 302
    assert reload(draft).status == "draft"
    assert public.get(f"/testimonies/{draft.id}").status_code == 404


def test_publishing_a_restricted_testimony_says_it_stays_hidden(client: FlaskClient, curator: Any,
                                                               draft: models.Testimony) -> None:
    response = post_section(client, draft, "publish", {}, follow_redirects=True)
    assert "still hidden from the public" in html_of(response)


def test_withdraw_consent_needs_confirmation(app: Flask, client: FlaskClient, curator: Any, factory: Any) -> None:
    t = factory.testimony()
    public = app.test_client()
    assert public.get(f"/testimonies/{t.id}").status_code == 200
    page = f"{edit_url(t)}/withdraw"
    data = load_form(client, page, page)
    assert client.post(page, data=data).status_code == 400
    assert reload(t).consent_withdrawn_at is None
    assert client.post(page, data={**data, "confirm": "y"}).status_code == 302
    assert reload(t).consent_withdrawn_at is not None
    assert public.get(f"/testimonies/{t.id}").status_code == 404
    assert "Consent withdrawn" in html_of(client.get("/curate/"))


def test_delete_needs_confirmation(client: FlaskClient, curator: Any, draft: models.Testimony) -> None:
    page = f"{edit_url(draft)}/delete"
    data = load_form(client, page, page)
    response = client.post(page, data=data)
    assert response.status_code == 400 and "tick the box to confirm the deletion" in html_of(response)
    assert client.post(page, data={**data, "confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(models.Testimony, draft.id) is None
    assert client.get(edit_url(draft)).status_code == 404


def test_dashboard_lists_everything_with_badges(client: FlaskClient, curator: Any, factory: Any) -> None:
    factory.testimony(title="Public one")
    factory.testimony(title="Hidden one", access="restricted", status="draft", embargo_until="2999-01-01")
    html = html_of(client.get("/curate/"))
    assert "Public one" in html and "Hidden one" in html
    assert "Embargoed until 2999-01-01" in html and ">Draft<" in html and ">Restricted<" in html
    assert "New narrator" in html and "New testimony" in html and "Narrators (2)" in html


# ---------------------------------------------------------------- optimistic locking

def _second_curator(app: Flask, auth: Any) -> FlaskClient:
    other = app.test_client()
    type(auth)(other).login("admin", email="second@example.org")
    return other


def test_stale_metadata_form_gets_409_and_keeps_the_first_save(app: Flask, client: FlaskClient, auth: Any,
                                                              draft: models.Testimony) -> None:
    auth.login("curator", email="first@example.org")
    second = _second_curator(app, auth)
    first_form = load_form(client, edit_url(draft), f"/{draft.id}/metadata")
    second_form = load_form(second, edit_url(draft), f"/{draft.id}/metadata")
    first_form.update({"meta-title": "First's title", "meta-interviewer": "First"})
    assert client.post(f"{edit_url(draft)}/metadata", data=first_form).status_code == 302
    second_form.update({"meta-title": "Second's title", "meta-summary": "<p>Second</p>"})
    response = second.post(f"{edit_url(draft)}/metadata", data=second_form)
    assert response.status_code == 409
    html = html_of(response)
    assert "Not saved: someone else changed this first" in html
    assert "first@example.org" in html and "edited the details (testimony.update)" in html
    assert "changed interviewer, title" in html
    assert 'value="Second&#39;s title"' in html  # the second curator's input is kept
    t = reload(draft)
    assert (t.title, t.interviewer, t.summary) == ("First's title", "First", "")


@pytest.mark.parametrize("action, changes", [
    ("route", {"route-legs-0-country": "china"}),
    ("tags", {"tags-tags": ["famine"]}),
    ("chapters", {"ch-chapters-0-start": "5", "ch-chapters-0-title": "Late"}),
    ("publish", {}),
])
def test_every_section_refuses_a_stale_version(app: Flask, client: FlaskClient, auth: Any, draft: models.Testimony,
                                               action: str, changes: dict[str, Any]) -> None:
    auth.login("curator", email="first@example.org")
    second = _second_curator(app, auth)
    stale = load_form(second, edit_url(draft), f"/{draft.id}/{action}")
    assert post_section(client, draft, "metadata", {"meta-title": "Renamed"}).status_code == 302
    before = _snapshot()
    response = second.post(f"{edit_url(draft)}/{action}", data={**stale, **changes})
    assert response.status_code == 409
    assert "first@example.org" in html_of(response) and "title" in html_of(response)
    assert _snapshot() == before


def test_stale_segment_form_gets_409(app: Flask, client: FlaskClient, auth: Any, draft: models.Testimony) -> None:
    auth.login("curator", email="first@example.org")
    second = _second_curator(app, auth)
    page = f"/curate/testimonies/{draft.id}/segments/{draft.segments[0].id}"
    stale = load_form(second, page, page)
    post_section(client, draft, "tags", {"tags-tags": ["famine"]})
    response = second.post(page, data={**stale, "text": "Overwritten?"})
    assert response.status_code == 409
    assert "changed tags" in html_of(response) and "Overwritten?" in html_of(response)
    assert reload(draft).segments[0].text == "Where were you born?"
