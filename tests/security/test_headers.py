"""Browser hardening: CSP, framing, sniffing, referrers, caching of login-dependent responses, downloads."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from archive.config import PROJECT_ROOT

from .world import Planter, role_client

PAGES = ("/", "/testimonies/", "/search?q=tumen", "/api/v1/search?q=tumen", "/hear/", "/account/login",
         "/account/register", "/no/such/page")


def _csp(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture()
def world(app: Flask) -> Planter:
    planter = Planter(11)
    planter.plant_public()
    planter.plant_hidden()
    planter.accounts()
    return planter


def _urls(app: Flask, planter: Planter) -> list[str]:
    w = planter.world
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    urls = [url for url in PAGES if url.split("?")[0] in rules or url == "/no/such/page"]
    urls += [f"/testimonies/{w.testimony_ids['public-a']}", f"/narrators/{w.narrator_ids['public-a']}",
             f"/testimonies/{w.testimony_ids['restricted']}", f"/media/recordings/{w.recording_ids['public-a']}"]
    if "/testimonies/<int:testimony_id>/transcript.vtt" in rules:
        urls.append(f"/testimonies/{w.testimony_ids['public-a']}/transcript.vtt")
    return urls


@pytest.mark.parametrize("role", ["anonymous", "researcher", "curator", "admin"])
def test_every_response_carries_the_hardening_headers(app: Flask, world: Planter, role: str) -> None:
    client = role_client(app, role)
    urls = _urls(app, world)
    if role in ("curator", "admin"):
        urls += ["/curate/", "/admin/users" if role == "admin" else "/curate/"]
    for url in urls:
        response = client.get(url)
        h = response.headers
        csp = _csp(h.get("Content-Security-Policy", ""))
        assert csp.get("script-src") == ["'self'"], (url, csp)
        assert "'unsafe-inline'" not in " ".join(csp.get("style-src", [])), url
        assert csp.get("frame-ancestors") == ["'none'"] and csp.get("object-src") == ["'none'"], url
        assert csp.get("base-uri") == ["'none'"], url
        assert h.get("X-Content-Type-Options") == "nosniff", url
        assert h.get("X-Frame-Options") == "DENY", url
        assert h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), url
        assert "Cookie" in h.get("Vary", ""), url
        cache = h.get("Cache-Control", "")
        if role != "anonymous":
            # Anything a logged-in user sees depends on the login: never stored anywhere.
            assert "no-store" in cache and "private" in cache, (url, cache)
        elif "public" not in cache:
            assert "no-store" in cache, (url, cache)


def test_only_public_recordings_may_be_cached_by_shared_caches(app: Flask, world: Planter) -> None:
    w = world.world
    anonymous, curator = role_client(app, "anonymous"), role_client(app, "curator")
    public = anonymous.get(f"/media/recordings/{w.recording_ids['public-a']}")
    assert public.status_code == 200 and "public" in public.headers["Cache-Control"]
    staff_view = curator.get(f"/media/recordings/{w.recording_ids['restricted']}")
    assert staff_view.status_code == 200 and staff_view.headers["Cache-Control"] == "no-store, private"
    same_for_staff = curator.get(f"/media/recordings/{w.recording_ids['public-a']}")
    assert same_for_staff.headers["Cache-Control"] == "no-store, private"


def test_uploads_are_served_with_their_type_and_a_safe_disposition(app: Flask, world: Planter) -> None:
    w = world.world
    response = role_client(app, "anonymous").get(f"/media/recordings/{w.recording_ids['public-a']}")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'(inline|attachment); filename="testimony-\d+\.wav"', disposition), disposition
    assert response.get_data()[:4] == b"RIFF"


def test_transcript_downloads_are_typed_and_not_cached(app: Flask, world: Planter) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    if "/testimonies/<int:testimony_id>/transcript.vtt" not in rules:
        pytest.skip("no transcript download routes yet")
    t = world.world.testimony_ids["public-a"]
    client = role_client(app, "anonymous")
    for suffix, mimetype in (("vtt", "text/vtt"), ("txt", "text/plain")):
        response = client.get(f"/testimonies/{t}/transcript.{suffix}?download=1")
        assert response.status_code == 200 and response.mimetype == mimetype
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "no-store" in response.headers["Cache-Control"]


def test_static_files_stay_cacheable(app: Flask) -> None:
    response = app.test_client().get("/static/css/site.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


# -- the one sanitizer, the one access policy -------------------------------------------------


def _sources(pattern: str) -> list[Path]:
    return [p for p in (PROJECT_ROOT / "archive").rglob(pattern) if "__pycache__" not in p.parts]


def test_templates_never_bypass_autoescaping() -> None:
    """Curator text reaches HTML only escaped, or through clean_html / snippet_html (the one sanitizer)."""
    offenders = []
    for path in (PROJECT_ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\|\s*safe\b", r"autoescape\s+false", r"\bMarkup\s*\(", r"\|\s*safe_html\b"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}: {pattern}")
    assert not offenders, "\n".join(offenders)


def test_only_the_sanitizer_imports_bleach() -> None:
    importers = [str(p.relative_to(PROJECT_ROOT)) for p in _sources("*.py")
                 if re.search(r"^\s*(import|from)\s+(bleach|html5lib|nh3|lxml\.html\.clean)\b",
                              p.read_text(encoding="utf-8"), re.M)]
    assert importers == ["archive/formats/sanitize.py"], importers


def test_no_inline_scripts_or_styles_in_templates() -> None:
    """The CSP forbids them; a template that adds one breaks silently in browsers."""
    offenders = []
    for path in (PROJECT_ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=", text) \
                or re.search(r"<style\b", text) or re.search(r"\son[a-z]+=", text):
            offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert not offenders, offenders


def test_public_recordings_are_revalidated_so_withdrawal_takes_effect_at_once(app: Flask, world: Planter) -> None:
    response = role_client(app, "anonymous").get(f"/media/recordings/{world.world.recording_ids['public-a']}")
    cache = response.headers["Cache-Control"]
    max_age = re.search(r"max-age=(\d+)", cache)
    assert "immutable" not in cache and ("no-cache" in cache or (max_age and int(max_age.group(1)) <= 300)), cache
