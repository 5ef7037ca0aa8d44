"""The OAI-PMH endpoint, harvested by a real client (Sickle) and checked against the official schemas."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import IdDoesNotExist
from sqlalchemy import select
from werkzeug.serving import make_server

from archive.core.extensions import db
from archive import models
from archive.policy import access
from archive.curation import imports
from archive.interop import oai
from archive.curation import testimonies as testimony_service
from tests.oaixml import NS, error_code, identifiers, normalized, validate

T0 = datetime(2026, 1, 10, 9, 0, 0)
REPOSITORY = "testimonies.example.org"


@pytest.fixture()
def oai_app(app: Flask) -> Flask:
    """Small pages so the demo collection needs several; every harvest re-reads the archive."""
    app.config.update(OAI_PAGE_SIZE=3, OAI_FULL_SYNC_SECONDS=0, OAI_REPOSITORY_ID=REPOSITORY)
    return app


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime]:
    """Datestamps of OAI changes come from here (a test moves `clock["now"]`)."""
    state = {"now": T0}
    monkeypatch.setattr(oai, "now", lambda: state["now"])
    return state


def get(client: FlaskClient, **params: str) -> etree._Element:
    """GET /oai and return the schema-validated root."""
    response = client.get("/oai?" + urlencode(params))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return validate(response.data)


def identifier_of(t: models.Testimony) -> str:
    return f"oai:{REPOSITORY}:testimony/{t.id}"


# -- a real harvester on a live server ------------------------------------------------------------------

@pytest.fixture()
def live_url(oai_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, oai_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oai-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oai"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class Recorder:
    """A requests response hook: every answer Sickle receives is kept and validated."""

    def __init__(self) -> None:
        self.responses: list[requests.Response] = []

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        assert response.status_code == 200, response.text[:500]
        validate(response.content)
        self.responses.append(response)
        return response


def test_sickle_harvests_the_whole_demo_collection_and_every_answer_validates(oai_app: Flask, live_url: str) -> None:
    imports.load_demo()
    testimonies = list(db.session.scalars(select(models.Testimony)))
    public = {t for t in testimonies if access.can_view(None, t)}
    hidden = [t for t in testimonies if t not in public]
    assert len(public) >= 6 and {t.external_id for t in hidden} == {"demo-003", "demo-007"}
    recorder = Recorder()
    sickle = Sickle(live_url, hooks={"response": recorder}, max_retries=0)

    identify = sickle.Identify()
    assert identify.deletedRecord == "persistent" and identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.adminEmail == "archive@example.org" and identify.baseURL == live_url
    assert [f.metadataPrefix for f in sickle.ListMetadataFormats()] == ["oai_dc"]
    set_specs = [s.setSpec for s in sickle.ListSets()]
    assert {"collection:demo", "collection:archive", "topic:famine"} <= set(set_specs)

    before = len(recorder.responses)
    records = list(sickle.ListRecords(metadataPrefix="oai_dc"))
    pages = len(recorder.responses) - before
    assert pages == -(-len(public) // 3) and pages > 1  # resumption tokens carried the harvest through every page
    harvested = {r.header.identifier: r for r in records}
    assert set(harvested) == {identifier_of(t) for t in public}
    assert not any(r.header.deleted for r in records)
    for t in public:
        record = harvested[identifier_of(t)]
        assert record.metadata["title"] == [t.title]
        assert record.metadata["creator"] == [access.display_name(t.narrator, t)]
        assert live_url.replace("/oai", f"/testimonies/{t.id}") in record.metadata["identifier"]
        assert ("collection:demo" in record.header.setSpecs) and all(
            f"topic:{topic.slug}" in record.header.setSpecs for topic in t.topics)
        if t.fictional:
            assert oai.FICTIONAL_NOTICE in record.metadata["rights"]
    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc"))
    assert {h.identifier for h in headers} == set(harvested)
    for identifier in harvested:
        assert sickle.GetRecord(identifier=identifier, metadataPrefix="oai_dc").header.identifier == identifier
    for t in hidden:
        with pytest.raises(IdDoesNotExist):
            sickle.GetRecord(identifier=identifier_of(t), metadataPrefix="oai_dc")
    famine = {r.header.identifier for r in sickle.ListRecords(metadataPrefix="oai_dc", set="topic:famine")}
    assert famine == {identifier_of(t) for t in public if any(tp.slug == "famine" for tp in t.topics)} != set()

    # Nothing non-public anywhere: hidden titles, restricted passages, real names, consent notes.
    everything = "\n".join(r.text for r in recorder.responses)
    for t in hidden:
        assert t.title not in everything
    for t in testimonies:
        for segment in t.segments:
            assert segment.text not in everything  # OAI carries no transcript text at all
        if t.consent_notes:
            assert t.consent_notes not in everything
        n = t.narrator
        if n.real_name and n.real_name != access.display_name(n, t):
            assert n.real_name not in everything
    assert len(recorder.responses) >= 8


def test_sickle_sees_a_withdrawn_record_as_deleted(oai_app: Flask, live_url: str, factory: Any) -> None:
    kept = factory.testimony(title="Kept testimony")
    gone = factory.testimony(title="Testimony about to be withdrawn")
    testimony_service.withdraw_consent(gone, None)
    recorder = Recorder()
    # POST this time: the protocol allows it, and the endpoint needs no CSRF token for it.
    sickle = Sickle(live_url, http_method="POST", hooks={"response": recorder}, max_retries=0)
    records = {r.header.identifier: r for r in sickle.ListRecords(metadataPrefix="oai_dc")}
    assert not records[identifier_of(kept)].deleted
    deleted = records[identifier_of(gone)]
    assert deleted.deleted and deleted.xml.find(".//{http://www.openarchives.org/OAI/2.0/}metadata") is None
    assert "about to be withdrawn" not in "\n".join(r.text for r in recorder.responses)
    assert {r.request.method for r in recorder.responses} == {"POST"}
    assert len(list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=True))) == 1


# -- the protocol, verb by verb ------------------------------------------------------------------------

def test_identify_describes_the_repository(oai_app: Flask, client: FlaskClient, clock: dict[str, datetime],
                                           factory: Any) -> None:
    root = get(client, verb="Identify")
    assert root.findtext("oai:request", namespaces=NS) == "http://localhost/oai"
    identify = root.find("oai:Identify", NS)
    assert identify.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    factory.testimony()
    clock["now"] = T0 + timedelta(days=3)
    factory.testimony()
    root = get(client, verb="Identify")
    assert root.findtext("oai:Identify/oai:earliestDatestamp", namespaces=NS) == "2026-01-10T09:00:00Z"
    oai_app.config["OAI_ADMIN_EMAIL"] = "curators@archive.example"
    assert get(client, verb="Identify").findtext("oai:Identify/oai:adminEmail", namespaces=NS) == \
        "curators@archive.example"


def test_the_repository_identifier_defaults_to_the_host_name(oai_app: Flask, client: FlaskClient,
                                                             factory: Any) -> None:
    t = factory.testimony()
    oai_app.config["OAI_REPOSITORY_ID"] = ""
    root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert identifiers(root) == [f"oai:localhost:testimony/{t.id}"]
    assert identifiers(get(client, verb="GetRecord", metadataPrefix="oai_dc",
                           identifier=f"oai:localhost:testimony/{t.id}")) == [f"oai:localhost:testimony/{t.id}"]


def test_post_requests_work_without_a_csrf_token(oai_app: Flask, client: FlaskClient, factory: Any) -> None:
    t = factory.testimony()
    response = client.post("/oai", data={"verb": "GetRecord", "identifier": identifier_of(t),
                                         "metadataPrefix": "oai_dc"})
    assert response.status_code == 200
    root = validate(response.data)
    assert identifiers(root) == [identifier_of(t)]
    # CSRF stays on everywhere else.
    assert client.post("/account/login", data={"email": "x@example.org", "password": "x"}).status_code == 400


@pytest.mark.parametrize(("params", "code"), [
    ({}, "badVerb"),
    ({"verb": "Harvest"}, "badVerb"),
    ({"verb": ["Identify", "Identify"]}, "badVerb"),
    ({"verb": "Identify", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-02-30"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2026-01-10T09:00:00"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-02-01", "until": "2026-01-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-01",
      "until": "2026-02-01T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "abc"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "topic::famine"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "not a prefix"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "topic:no-such-topic"}, "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2999-01-01"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "resumptionToken": "forged"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "forged"}, "badResumptionToken"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:testimonies.example.org:testimony/999999"},
     "idDoesNotExist"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:localhost:testimony/1"},
     "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": "oai:testimonies.example.org:testimony/999999"}, "idDoesNotExist"),
])
def test_bad_requests_get_the_right_error_code(oai_app: Flask, client: FlaskClient, factory: Any,
                                               params: dict[str, Any], code: str) -> None:
    factory.testimony()
    response = client.get("/oai", query_string=params)
    root = validate(response.data)
    assert error_code(root) == code, response.get_data(as_text=True)
    assert root.findtext("oai:error", namespaces=NS).strip()
    request = root.find("oai:request", NS)
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}  # section 3.2: no echo of a request that was not understood
    else:
        assert request.get("verb") == params["verb"]


def test_cannot_disseminate_other_formats_in_get_record(oai_app: Flask, client: FlaskClient, factory: Any) -> None:
    t = factory.testimony()
    root = get(client, verb="GetRecord", identifier=identifier_of(t), metadataPrefix="mods")
    assert error_code(root) == "cannotDisseminateFormat"
    root = get(client, verb="ListMetadataFormats", identifier=identifier_of(t))
    assert root.findtext("oai:ListMetadataFormats/oai:metadataFormat/oai:metadataPrefix", namespaces=NS) == "oai_dc"


def test_resumption_tokens_page_through_with_cursor_and_size(oai_app: Flask, client: FlaskClient,
                                                              factory: Any) -> None:
    oai_app.config["OAI_PAGE_SIZE"] = 2
    made = [factory.testimony() for _ in range(5)]
    seen: list[str] = []
    root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    cursors = []
    while True:
        seen += identifiers(root)
        token = root.find("oai:ListIdentifiers/oai:resumptionToken", NS)
        assert token is not None and token.get("completeListSize") == "5"
        cursors.append(token.get("cursor"))
        if not token.text:
            break
        assert token.get("expirationDate")
        root = get(client, verb="ListIdentifiers", resumptionToken=token.text)
    assert seen == [identifier_of(t) for t in made] and cursors == ["0", "2", "4"]
    # Tampered, cross-verb and expired tokens are refused.
    first = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.findtext("oai:ListIdentifiers/oai:resumptionToken", namespaces=NS)
    assert error_code(get(client, verb="ListIdentifiers", resumptionToken=token[:-2] + "xx")) == "badResumptionToken"
    assert error_code(get(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    oai_app.config["OAI_TOKEN_SECONDS"] = -1
    assert error_code(get(client, verb="ListIdentifiers", resumptionToken=token)) == "badResumptionToken"


def test_from_and_until_select_by_datestamp(oai_app: Flask, client: FlaskClient, clock: dict[str, datetime],
                                            factory: Any) -> None:
    early = factory.testimony(title="Early")
    clock["now"] = T0 + timedelta(days=2, hours=3)
    late = factory.testimony(title="Late")

    def harvest(**params: str) -> list[str]:
        root = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **params)
        return [] if error_code(root) == "noRecordsMatch" else identifiers(root)

    assert harvest() == [identifier_of(early), identifier_of(late)]
    assert harvest(**{"from": "2026-01-11"}) == [identifier_of(late)]
    assert harvest(until="2026-01-10") == [identifier_of(early)]  # a day-granular until includes that whole day
    assert harvest(**{"from": "2026-01-12T12:00:00Z"}) == [identifier_of(late)]
    assert harvest(**{"from": "2026-01-12T12:00:01Z"}) == []
    assert harvest(**{"from": "2026-01-10T09:00:00Z", "until": "2026-01-10T09:00:00Z"}) == [identifier_of(early)]
    # Editing what harvesters see moves the datestamp, so an incremental harvest picks the change up.
    clock["now"] = T0 + timedelta(days=5)
    testimony_service.update_testimony(early, {"title": "Early, retitled"}, None)
    assert harvest(**{"from": "2026-01-15"}) == [identifier_of(early)]
    root = get(client, verb="GetRecord", identifier=identifier_of(early), metadataPrefix="oai_dc")
    assert root.findtext(".//dc:title", namespaces=NS) == "Early, retitled"
    assert root.findtext(".//oai:datestamp", namespaces=NS) == "2026-01-15T09:00:00Z"


def test_sets_select_collections_and_topics(oai_app: Flask, client: FlaskClient, factory: Any) -> None:
    archive_one = factory.testimony(tags=["famine"])
    demo_one = factory.testimony(fictional=True, tags=["brokers"])
    root = get(client, verb="ListSets")
    specs = [s.findtext("oai:setSpec", namespaces=NS) for s in root.iterfind(".//oai:set", NS)]
    assert {"collection", "collection:demo", "collection:archive", "topic", "topic:famine",
            "topic:brokers"} <= set(specs)

    def members(spec: str) -> list[str]:
        return identifiers(get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec))

    assert members("collection:demo") == [identifier_of(demo_one)]
    assert members("collection:archive") == [identifier_of(archive_one)]
    assert members("collection") == [identifier_of(archive_one), identifier_of(demo_one)]
    assert members("topic:famine") == [identifier_of(archive_one)]
    assert members("topic") == [identifier_of(archive_one), identifier_of(demo_one)]


# -- deletions ----------------------------------------------------------------------------------------

def _get_record(client: FlaskClient, identifier: str) -> etree._Element:
    return get(client, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")


def test_publish_withdraw_flow_reports_a_deletion_without_metadata(oai_app: Flask, client: FlaskClient,
                                                                   clock: dict[str, datetime], factory: Any) -> None:
    t = factory.testimony(status="draft", title="Draft about the border")
    assert error_code(_get_record(client, identifier_of(t))) == "idDoesNotExist"
    clock["now"] = T0 + timedelta(hours=1)
    testimony_service.publish_testimony(t, None)
    root = _get_record(client, identifier_of(t))
    assert root.findtext(".//dc:title", namespaces=NS) == "Draft about the border"
    clock["now"] = T0 + timedelta(hours=2)
    testimony_service.withdraw_consent(t, None)
    for root in (_get_record(client, identifier_of(t)), get(client, verb="ListRecords", metadataPrefix="oai_dc")):
        header = root.find(".//oai:header", NS)
        assert header.get("status") == "deleted"
        assert header.findtext("oai:datestamp", namespaces=NS) == "2026-01-10T11:00:00Z"
        assert root.find(".//oai:metadata", NS) is None
        assert b"Draft about the border" not in etree.tostring(root)
    listed = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2026-01-10T10:30:00Z"})
    assert listed.find(".//oai:header", NS).get("status") == "deleted"


@pytest.mark.parametrize("how", ["restrict", "researchers", "unpublish", "embargo", "delete"])
def test_every_way_of_leaving_the_public_archive_is_a_deletion(oai_app: Flask, client: FlaskClient,
                                                               factory: Any, how: str) -> None:
    t = factory.testimony(title="Soon hidden")
    identifier = identifier_of(t)
    assert _get_record(client, identifier).find(".//oai:metadata", NS) is not None
    if how == "restrict":
        testimony_service.update_testimony(t, {"access": "restricted"}, None)
    elif how == "researchers":
        testimony_service.update_testimony(t, {"access": "researchers"}, None)
    elif how == "unpublish":
        testimony_service.unpublish_testimony(t, None)
    elif how == "embargo":
        testimony_service.update_testimony(t, {"embargo_until": "2999-01-01"}, None)
    else:
        testimony_service.delete_testimony(t)
    root = _get_record(client, identifier)
    assert root.find(".//oai:header", NS).get("status") == "deleted"
    assert root.find(".//oai:metadata", NS) is None and b"Soon hidden" not in etree.tostring(root)


def test_a_never_public_record_answers_exactly_like_a_made_up_identifier(oai_app: Flask, client: FlaskClient,
                                                                         factory: Any) -> None:
    public = factory.testimony()
    hidden = [factory.testimony(access="restricted"), factory.testimony(status="draft"),
              factory.testimony(access="researchers"), factory.testimony(embargo_until="2999-01-01")]
    made_up = "oai:testimonies.example.org:testimony/987654"
    for verb in ("GetRecord", "ListMetadataFormats"):
        extra = {"metadataPrefix": "oai_dc"} if verb == "GetRecord" else {}
        missing = client.get("/oai?" + urlencode({"verb": verb, "identifier": made_up, **extra})).data
        for t in hidden:
            body = client.get("/oai?" + urlencode({"verb": verb, "identifier": identifier_of(t), **extra})).data
            validate(body)
            assert normalized(body, identifier_of(t)) == normalized(missing, made_up)
    everything = get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert identifiers(everything) == [identifier_of(public)]
    assert everything.find(".//oai:resumptionToken", NS) is None


def test_an_ended_embargo_is_picked_up_without_any_commit(oai_app: Flask, client: FlaskClient,
                                                          monkeypatch: pytest.MonkeyPatch, factory: Any) -> None:
    t = factory.testimony(embargo_until="2030-06-01")
    assert error_code(_get_record(client, identifier_of(t))) == "idDoesNotExist"
    monkeypatch.setattr(access, "today", lambda: datetime(2030, 6, 2).date())
    assert identifiers(_get_record(client, identifier_of(t))) == [identifier_of(t)]


def test_a_record_that_left_since_the_last_pass_is_already_answered_as_deleted(oai_app: Flask, client: FlaskClient,
                                                                               factory: Any) -> None:
    t = factory.testimony(title="Leaving between two passes")
    oai_app.config.update(OAI_SYNC_ON_COMMIT=False, OAI_FULL_SYNC_SECONDS=3600)
    assert identifiers(get(client, verb="ListIdentifiers", metadataPrefix="oai_dc")) == [identifier_of(t)]
    testimony_service.withdraw_consent(t, None)
    assert not oai.record(f"testimony/{t.id}").deleted  # no pass has run since
    for root in (_get_record(client, identifier_of(t)), get(client, verb="ListRecords", metadataPrefix="oai_dc")):
        assert root.find(".//oai:header", NS).get("status") == "deleted"
        assert root.find(".//oai:metadata", NS) is None
        assert b"Leaving between two passes" not in etree.tostring(root)
