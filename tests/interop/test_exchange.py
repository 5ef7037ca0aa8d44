"""Exchange formats over HTTP and the CLI: IIIF manifests, WebVTT captions, OHMS XML in and out."""
from __future__ import annotations

import io
from typing import Any

import pytest
import webvtt
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from archive.core.extensions import db
from archive import models
from archive.policy import access
from archive.curation.testimonies import set_chapters
from archive.formats.transcripts import parse_webvtt
from tests.conftest import csrf_token
from tests.formats.test_iiif import schema_errors
from tests.curation.test_curator import post_section, reload
from tests.public.test_listening import SECRET, make

MISSING = 987654
MANIFEST_TYPE = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
RESTRICTED_WORDS = ("라남", "3직장")  # in demo-002's restricted passage


@pytest.fixture()
def demo(app: Flask) -> dict[str, models.Testimony]:
    from archive.curation.imports import load_demo
    load_demo()
    return {t.external_id: t for t in db.session.scalars(select(models.Testimony))}


def manifest_url(t: models.Testimony | int) -> str:
    return f"/iiif/testimonies/{t if isinstance(t, int) else t.id}/manifest.json"


def segments_of(t: models.Testimony) -> list[tuple[Any, ...]]:
    t = reload(t)
    return [(s.start, s.end, s.speaker, s.text, s.language, s.restricted) for s in t.segments]


def chapters_of(t: models.Testimony) -> list[tuple[Any, ...]]:
    t = reload(t)
    return [(c.start, c.title, c.synopsis, c.keywords) for c in t.chapters]


# ------------------------------------------------------------------ IIIF manifests


def test_every_public_demo_recording_has_a_valid_manifest(client: FlaskClient,
                                                          demo: dict[str, models.Testimony]) -> None:
    hearable = [t for t in demo.values() if access.can_hear(None, t) and t.recording is not None]
    assert len(hearable) >= 5
    for t in hearable:
        response = client.get(manifest_url(t))
        assert response.status_code == 200, t.external_id
        assert response.headers["Content-Type"] == MANIFEST_TYPE
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "no-store" in response.headers["Cache-Control"]
        data = response.get_json(force=True)
        assert schema_errors(data) == [], t.external_id
        canvas = data["items"][0]
        assert canvas["duration"] == pytest.approx(t.recording.duration_seconds)
        assert canvas["items"][0]["items"][0]["body"]["id"].endswith(f"/media/recordings/{t.recording.id}")
        assert len(data["structures"]) == 1 and len(data["structures"][0]["items"]) == len(t.chapters)
        assert {"en", "ko"} <= set(data["structures"][0]["label"])
        assert all(body.get("id") for page in canvas.get("annotations", []) for body in
                   (a["body"] for a in page["items"]))
        assert data["homepage"][0]["id"].endswith(f"/testimonies/{t.id}")
        if t.fictional:
            assert "Fictional" in data["requiredStatement"]["value"]["en"][0]
        # the narrator's real name never appears; the public name is the pseudonym
        assert t.narrator.real_name not in response.get_data(as_text=True)
        assert data["metadata"][0]["value"] == {"none": [access.display_name(t.narrator, t)]}


def test_configured_rights_statement_reaches_manifests_and_oai(app: Flask, client: FlaskClient,
                                                               demo: dict[str, models.Testimony]) -> None:
    t = next(t for t in demo.values() if access.can_hear(None, t) and t.recording is not None)
    assert "rights" not in client.get(manifest_url(t)).get_json(force=True)  # none claimed unless configured
    app.config["RIGHTS_URI"] = "http://rightsstatements.org/vocab/InC-EDU/1.0/"
    data = client.get(manifest_url(t)).get_json(force=True)
    assert data["rights"] == "http://rightsstatements.org/vocab/InC-EDU/1.0/"
    assert schema_errors(data) == []
    record = client.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:localhost:testimony/{t.id}")
    assert "<dc:rights>http://rightsstatements.org/vocab/InC-EDU/1.0/</dc:rights>" in record.get_data(as_text=True)


def test_rights_setting_must_be_a_licence_iiif_accepts(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from archive.config import build_config
    monkeypatch.setenv("ARCHIVE_RIGHTS_URI", "https://example.org/our-terms")
    with pytest.raises(ValueError, match="ARCHIVE_RIGHTS_URI must be a Creative Commons"):
        build_config({"ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})
    monkeypatch.setenv("ARCHIVE_RIGHTS_URI", "https://creativecommons.org/licenses/by-nc/4.0/")
    assert build_config({"ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})["RIGHTS_URI"].endswith("by-nc/4.0/")


def test_korean_demo_manifest_has_language_maps_transcript_and_captions(client: FlaskClient,
                                                                          demo: dict[str, models.Testimony]) -> None:
    t = demo["demo-006"]  # Korean and English passages
    data = client.get(manifest_url(t)).get_json(force=True)
    english, korean = t.title.split(" / ")  # a title in both languages is labelled in both
    assert data["label"] == {"en": [english], "ko": [korean]} == data["items"][0]["label"]
    captions, transcript = data["items"][0]["annotations"]
    languages = {a["body"]["language"] for a in transcript["items"]}
    assert languages == {"ko", "en"}
    assert all(a["motivation"] == "supplementing" and "#t=" in a["target"] for a in transcript["items"])
    caption_bodies = [a["body"] for a in captions["items"]]
    assert [b["language"] for b in caption_bodies] == ["ko", "en"]
    assert all(b["format"] == "text/vtt" and b["id"].endswith(f"lang={b['language']}") for b in caption_bodies)
    see_also = {link["format"]: link["id"] for link in data["seeAlso"]}
    assert see_also["text/xml"].endswith(f"/testimonies/{t.id}/ohms.xml")


def test_hidden_or_silent_testimonies_answer_like_missing_ones(client: FlaskClient,
                                                               demo: dict[str, models.Testimony]) -> None:
    for key in ("demo-003", "demo-007", "demo-thae-yong-ho"):  # researchers only, restricted draft, no recording
        for path in ("/iiif/testimonies/{}/manifest.json", "/testimonies/{}/ohms.xml",
                     "/testimonies/{}/transcript.vtt?lang=en"):
            url, missing_url = path.format(demo[key].id), path.format(MISSING)
            response, missing = client.get(url), client.get(missing_url)
            assert response.status_code == missing.status_code == 404, url
            assert response.get_data(as_text=True) == missing.get_data(as_text=True).replace(missing_url, url)
            assert response.headers.get("Content-Type") == missing.headers.get("Content-Type")
            assert "Access-Control-Allow-Origin" not in response.headers


def test_restricted_passages_never_reach_the_public(client: FlaskClient, demo: dict[str, models.Testimony],
                                                    auth: Any) -> None:
    t = demo["demo-002"]
    urls = (manifest_url(t), f"/testimonies/{t.id}/ohms.xml", f"/testimonies/{t.id}/transcript.vtt",
            f"/testimonies/{t.id}/transcript.vtt?lang=ko")
    for url in urls:
        body = client.get(url).get_data(as_text=True)
        assert all(word not in body for word in RESTRICTED_WORDS), url
    auth.login("researcher", approved=True)
    for url in urls:
        assert all(word not in client.get(url).get_data(as_text=True) for word in RESTRICTED_WORDS), url
    auth.logout()
    auth.login("curator")
    for url in urls:
        response = client.get(url)
        assert "라남" in response.get_data(as_text=True) and "[restricted]" in response.get_data(as_text=True), url
    for url in (manifest_url(t), f"/testimonies/{t.id}/transcript.vtt"):
        assert "Access-Control-Allow-Origin" not in client.get(url).headers, url  # staff copies: no CORS


def test_staff_manifest_of_a_restricted_draft_validates_and_says_so(client: FlaskClient,
                                                                    demo: dict[str, models.Testimony],
                                                                    auth: Any) -> None:
    auth.login("curator")
    response = client.get(manifest_url(demo["demo-007"]))
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers
    data = response.get_json(force=True)
    assert schema_errors(data) == []
    assert "Not public" in data["requiredStatement"]["value"]["en"][0]


def test_researchers_get_their_manifests_without_cors(client: FlaskClient, demo: dict[str, models.Testimony],
                                                      auth: Any) -> None:
    auth.login("researcher", approved=True)
    response = client.get(manifest_url(demo["demo-003"]))
    assert response.status_code == 200
    assert schema_errors(response.get_json(force=True)) == []
    assert "Access-Control-Allow-Origin" not in response.headers
    captions = client.get(f"/testimonies/{demo['demo-003'].id}/transcript.vtt")
    assert captions.status_code == 200 and "Access-Control-Allow-Origin" not in captions.headers


def test_manifest_needs_audio_consent(client: FlaskClient, factory: Any) -> None:
    t = make(factory, consent_audio=False)
    assert client.get(manifest_url(t)).status_code == 404
    assert client.get(f"/testimonies/{t.id}/ohms.xml").status_code == 200  # the transcript is still public


def test_listening_page_links_the_exchange_downloads(client: FlaskClient, demo: dict[str, models.Testimony]) -> None:
    t = demo["demo-006"]
    html = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
    for url in (f"/testimonies/{t.id}/ohms.xml?download=1", manifest_url(t),
                f"/testimonies/{t.id}/transcript.vtt?lang=ko&amp;download=1"):
        assert url in html, url


# ------------------------------------------------------------------ WebVTT


def test_vtt_has_voices_language_and_parses_with_webvtt_py(client: FlaskClient, demo: dict[str, models.Testimony],
                                                           tmp_path: Any) -> None:
    t = demo["demo-006"]
    body = client.get(f"/testimonies/{t.id}/transcript.vtt").get_data(as_text=True)
    assert body.startswith("WEBVTT\nLanguage: ko\n")
    assert "<v " in body and "<lang en>" in body
    path = tmp_path / "t.vtt"
    path.write_text(body, encoding="utf-8")
    captions = webvtt.read(str(path))
    visible = [s for s in t.segments if not s.restricted]
    assert len(captions) == len(visible)
    assert captions[0].voice == visible[0].speaker
    only_en = client.get(f"/testimonies/{t.id}/transcript.vtt?lang=en").get_data(as_text=True)
    assert only_en.startswith("WEBVTT\nLanguage: en\n") and "<lang" not in only_en
    parsed = parse_webvtt(only_en)
    assert parsed and all(s.language == "en" for s in parsed)
    assert len(parsed) == len([s for s in visible if (s.language or "ko") == "en"])
    assert client.get(f"/testimonies/{t.id}/transcript.vtt?lang=en").headers["Access-Control-Allow-Origin"] == "*"
    for bad in ("fr", "x y", "<script>"):
        assert client.get(f"/testimonies/{t.id}/transcript.vtt", query_string={"lang": bad}).status_code == 404


def test_vtt_never_shows_a_real_name_as_speaker(client: FlaskClient, factory: Any, auth: Any) -> None:
    narrator = factory.narrator(pseudonym="Pak", real_name="Kim Real-Name")
    t = factory.testimony(narrator, segments=[
        {"start": 0, "end": 3, "speaker": "Kim Real-Name", "text": "I was born in Hyesan.", "language": "en"},
        {"start": 3, "end": 6, "speaker": "kim real-name (narrator)", "text": "Then I left.", "language": "en"}])
    for url in (f"/testimonies/{t.id}/transcript.vtt", f"/testimonies/{t.id}/transcript.txt",
                f"/testimonies/{t.id}/ohms.xml"):
        body = client.get(url).get_data(as_text=True)
        assert "Real-Name" not in body and "Pak" in body, url
    auth.login("curator")
    assert "<v Kim Real-Name>" in client.get(f"/testimonies/{t.id}/transcript.vtt").get_data(as_text=True)


def test_vtt_export_round_trips_through_the_curator_import(client: FlaskClient, factory: Any, auth: Any) -> None:
    segments = [
        {"start": 0, "end": 4.25, "speaker": "Interviewer", "text": "어디서 자랐어요?", "language": "ko"},
        {"start": 4.5, "end": 12, "speaker": "Narrator A", "text": "Near the harbour <in> Chongjin & more.",
         "language": "en"},
        {"start": 12.5, "end": 20, "speaker": "Narrator A", "text": f"At {SECRET}.", "language": "en",
         "restricted": True},
        {"start": 20.5, "end": 30.125, "speaker": "", "text": "강을 건넜어요.", "language": "ko"},
    ]
    source = factory.testimony(segments=segments, languages=["ko", "en"])
    target = factory.testimony(access="restricted", status="draft")
    auth.login("curator")
    exported = client.get(f"/testimonies/{source.id}/transcript.vtt").get_data(as_text=True)
    response = post_section(client, target, "transcript",
                            {"tr-file": (io.BytesIO(exported.encode()), "export.vtt"), "tr-format": "auto"},
                            content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert segments_of(target) == segments_of(source)


# ------------------------------------------------------------------ OHMS


def test_ohms_export_round_trips_through_the_curator_form(client: FlaskClient, factory: Any, auth: Any) -> None:
    source = make(factory)
    set_chapters(source, [{"start": 0, "title": "Childhood", "synopsis": "Growing up by the sea.",
                           "keywords": "harbour, Chongjin"},
                          {"start": 20.5, "title": "The river", "keywords": ["winter", "Tumen River"]},
                          {"start": 25.75, "title": "Later", "synopsis": ""}], None)
    target = factory.testimony(access="restricted", status="draft")
    set_chapters(target, [{"start": 3, "title": "Old chapter"}], None)
    public = client.get(f"/testimonies/{source.id}/ohms.xml")
    assert public.status_code == 200 and public.mimetype == "application/xml"
    assert SECRET not in public.get_data(as_text=True)
    assert "<keywords>harbour;Chongjin</keywords>" in public.get_data(as_text=True)
    auth.login("curator")
    exported = client.get(f"/testimonies/{source.id}/ohms.xml").data
    page = client.get(f"/curate/testimonies/{target.id}").get_data(as_text=True)
    assert 'id="ohms"' in page and "Import OHMS index" in page
    response = post_section(client, target, "ohms", {"ohms-file": (io.BytesIO(exported), "index.xml"),
                                                     "ohms-transcript": "y"},
                            content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/curate/testimonies/{target.id}#ohms")
    assert chapters_of(target) == chapters_of(source)
    assert segments_of(target) == segments_of(source)  # the staff export carried the restricted passage, marked


def test_ohms_import_without_transcript_keeps_the_segments(client: FlaskClient, factory: Any, auth: Any) -> None:
    source = make(factory)
    target = factory.testimony(access="restricted", status="draft",
                               segments=[{"start": 0, "end": 2, "text": "Keep me", "language": "en"}])
    exported = client.get(f"/testimonies/{source.id}/ohms.xml").data
    auth.login("curator")
    response = post_section(client, target, "ohms", {"ohms-file": (io.BytesIO(exported), "index.xml")},
                            content_type="multipart/form-data")
    assert response.status_code == 302
    assert chapters_of(target) == chapters_of(source)
    assert [s[3] for s in segments_of(target)] == ["Keep me"]


def test_bad_ohms_upload_is_explained_and_changes_nothing(client: FlaskClient, factory: Any, auth: Any) -> None:
    target = factory.testimony()
    set_chapters(target, [{"start": 3, "title": "Old chapter"}], None)
    auth.login("curator")
    bad = b"<ROOT><record><index>\n<point><time>later</time><title>X</title></point>\n</index></record></ROOT>"
    response = post_section(client, target, "ohms", {"ohms-file": (io.BytesIO(bad), "bad.xml")},
                            content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "line 2: index point time" in html and "were <strong>not saved</strong>" in html
    bomb = b'<?xml version="1.0"?>\n<!DOCTYPE ROOT [<!ENTITY x SYSTEM "file:///etc/passwd">]><ROOT>&x;</ROOT>'
    response = post_section(client, target, "ohms", {"ohms-file": (io.BytesIO(bomb), "x.xml")},
                            content_type="multipart/form-data")
    assert response.status_code == 400 and "DOCTYPE" in response.get_data(as_text=True)
    assert "root:" not in response.get_data(as_text=True)
    assert chapters_of(target) == [(3.0, "Old chapter", "", "")]


def test_stale_ohms_import_is_a_conflict(client: FlaskClient, factory: Any, auth: Any) -> None:
    source = make(factory)
    target = factory.testimony()
    exported = client.get(f"/testimonies/{source.id}/ohms.xml").data
    auth.login("curator")
    stale = str(target.version)
    set_chapters(target, [{"start": 1, "title": "Saved meanwhile"}], None)
    response = post_section(client, target, "ohms", {"ohms-file": (io.BytesIO(exported), "i.xml"),
                                                     "ohms-version": stale}, content_type="multipart/form-data")
    assert response.status_code == 409
    assert chapters_of(target) == [(1.0, "Saved meanwhile", "", "")]


def test_ohms_import_is_for_curators_only(client: FlaskClient, factory: Any, auth: Any) -> None:
    t = factory.testimony()
    data = {"ohms-version": str(t.version), "ohms-file": (io.BytesIO(b"<ROOT/>"), "i.xml")}
    token = csrf_token(client, "/account/login")
    anonymous = client.post(f"/curate/testimonies/{t.id}/ohms", data={**data, "csrf_token": token},
                            content_type="multipart/form-data")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    auth.login("researcher", approved=True)
    data["ohms-file"] = (io.BytesIO(b"<ROOT/>"), "i.xml")
    response = client.post(f"/curate/testimonies/{t.id}/ohms", data={**data, "csrf_token": csrf_token(client, "/")},
                           content_type="multipart/form-data")
    assert response.status_code == 404
    assert chapters_of(t) == []


def test_cli_import_ohms_round_trip(client: FlaskClient, runner: FlaskCliRunner, factory: Any,
                                    tmp_path: Any) -> None:
    source = make(factory)
    set_chapters(source, [{"start": 0, "title": "Childhood", "synopsis": "By the sea", "keywords": "sea, boats"},
                          {"start": 12.25, "title": "Crossing"}], None)
    target = factory.testimony(external_id="ext-42", access="restricted", status="draft")
    path = tmp_path / "index.xml"
    path.write_bytes(client.get(f"/testimonies/{source.id}/ohms.xml").data)
    result = runner.invoke(args=["archive", "import-ohms", "ext-42", str(path), "--with-transcript"])
    assert result.exit_code == 0, result.output
    assert "Imported 2 chapters and 3 transcript segments into ext-42." in result.output
    assert chapters_of(target) == chapters_of(source)
    public = [s for s in segments_of(source) if not s[5]]
    assert segments_of(target) == public  # the public export left the restricted passage out
    missing = runner.invoke(args=["archive", "import-ohms", "nope", str(path)])
    assert missing.exit_code == 1 and "no testimony has the external identifier 'nope'" in missing.output
    path.write_text("<ROOT>\n<record>\n<index><point><time>1</time></point></index></record></ROOT>")
    bad = runner.invoke(args=["archive", "import-ohms", "ext-42", str(path)])
    assert bad.exit_code == 1 and "line 3: index point without a <title>" in bad.output
    assert chapters_of(target) == chapters_of(source)


def test_ohms_import_refuses_a_missing_or_forged_csrf_token(client: FlaskClient, factory: Any, auth: Any) -> None:
    source = make(factory)
    target = factory.testimony()
    exported = client.get(f"/testimonies/{source.id}/ohms.xml").data
    auth.login("curator")
    for token in (None, "forged"):
        data: dict[str, Any] = {"ohms-version": str(target.version), "ohms-file": (io.BytesIO(exported), "i.xml")}
        if token:
            data["csrf_token"] = token
        response = client.post(f"/curate/testimonies/{target.id}/ohms", data=data, content_type="multipart/form-data")
        assert response.status_code == 400
    assert chapters_of(target) == []


def test_ohms_tool_file_with_a_legacy_transcript_imports(client: FlaskClient, factory: Any, auth: Any) -> None:
    """A file as the OHMS tools write it: no namespace, <transcript> and <sync>, no <vtt_transcript>."""
    xml = ("<?xml version='1.0' encoding='UTF-8'?>\n<ROOT><record id='00012' dt='2021-03-02'>"
           "<version>5.4</version><title>Interview</title><duration>0:02:30</duration><language>English</language>"
           "<sync>1:|3(2)|5(1)</sync><transcript>KIM: We lived by the sea.\n\nLEE: And then?\n\n"
           "KIM: Then the famine came.</transcript>"
           "<index><point><time>0</time><title>Childhood</title><synopsis>By the sea</synopsis>"
           "<keywords>sea;famine</keywords></point></index></record></ROOT>").encode()
    target = factory.testimony()
    auth.login("curator")
    response = post_section(client, target, "ohms", {"ohms-file": (io.BytesIO(xml), "ohms.xml"),
                                                     "ohms-transcript": "y"}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert chapters_of(target) == [(0.0, "Childhood", "By the sea", "sea, famine")]
    assert [(s[2], s[3], s[4]) for s in segments_of(target)] == [
        ("KIM", "We lived by the sea.", "en"), ("LEE", "And then?", "en"), ("KIM", "Then the famine came.", "en")]
    assert segments_of(target)[-1][1] == 150.0


# ------------------------------------------------------------------ manifests for real viewers (issue 21)


def test_public_manifest_is_gzipped_and_other_sites_may_load_what_it_points_to(
        client: FlaskClient, demo: dict[str, models.Testimony]) -> None:
    t = demo["demo-001"]
    plain = client.get(manifest_url(t))
    zipped = client.get(manifest_url(t), headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.data) < len(plain.data) / 3
    import gzip
    assert gzip.decompress(zipped.data) == plain.data
    assert client.get(manifest_url(t), headers={"Accept-Encoding": "gzip;q=0"}).data == plain.data
    data = plain.get_json(force=True)
    # Public manifest, recording, captions and thumbnail: CORS for everyone and CORP cross-origin.
    urls = [manifest_url(t), data["items"][0]["items"][0]["items"][0]["body"]["id"], data["thumbnail"][0]["id"],
            *(a["body"]["id"] for a in data["items"][0]["annotations"][0]["items"]),
            *(r["id"] for r in data["rendering"])]
    for url in urls:
        response = client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200, url
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin", url
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
    picture = client.get(data["thumbnail"][0]["id"].removeprefix("http://localhost"))
    assert picture.content_type == "image/png" and picture.data.startswith(b"\x89PNG")
    # Pages keep same-origin.
    assert client.get(f"/testimonies/{t.id}").headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_hidden_manifests_media_and_thumbnails_keep_answering_like_missing_ones(
        client: FlaskClient, demo: dict[str, models.Testimony], auth: Any) -> None:
    hidden = demo["demo-003"]  # researchers only
    rec = hidden.recording.id
    for url, missing_url in ((manifest_url(hidden), manifest_url(MISSING)),
                             (f"/media/recordings/{rec}", "/media/recordings/987654"),
                             (f"/media/recordings/{rec}/waveform.png", "/media/recordings/987654/waveform.png"),
                             (f"/testimonies/{hidden.id}/transcript.vtt", f"/testimonies/{MISSING}/transcript.vtt")):
        for encoding in ("", "gzip"):
            response = client.get(url, headers={"Accept-Encoding": encoding})
            missing = client.get(missing_url, headers={"Accept-Encoding": encoding})
            assert response.status_code == missing.status_code == 404, url
            assert response.get_data(as_text=True) == missing.get_data(as_text=True).replace(missing_url, url)
            assert sorted(response.headers.items()) == sorted(missing.headers.items()), url
            assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    auth.login("researcher", approved=True)  # who may hear it gets it, but not for other sites
    for url in (manifest_url(hidden), f"/media/recordings/{rec}/waveform.png"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin", url
        assert "Access-Control-Allow-Origin" not in response.headers, url
