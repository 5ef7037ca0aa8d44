"""Theme pages, their curator editor and the home page, through HTTP."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from archive.core.extensions import db
from archive.models import AuditEntry
from archive.models.themes import Theme
from archive.formats.sanitize import ALLOWED_TAGS
from archive.policy import access
from archive.themes import pages as themes
from archive.statistics.figures import current_table
from archive.statistics.data import ARRIVALS, arrivals_total
from tests.conftest import csrf_token
from tests.security.payloads import PAYLOAD_FILE

SLUGS = ["north-korea-in-brief", "leaving-the-country", "punishment-of-families", "balloons-to-the-north",
         "overseas-labour", "notable-defectors"]


@pytest.fixture()
def seeded(app: Flask) -> list[Theme]:
    themes.seed_themes()
    return themes.list_themes()


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, path
    return response.get_data(as_text=True)


def get(slug: str) -> Theme:
    theme = db.session.scalar(select(Theme).where(Theme.slug == slug))
    assert theme is not None
    return theme


def listed_titles(text: str) -> list[str]:
    """Titles of the testimony cards on a page."""
    return [html.unescape(t) for t in re.findall(r'<h3><a href="/testimonies/\d+">([^<]+)</a></h3>', text)]


def section(text: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', text, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def edit_form(theme: Theme, token: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": token, "version": theme.version, "title_en": theme.title_en, "title_ko": theme.title_ko,
        "summary_en": theme.summary_en, "summary_ko": theme.summary_ko, "body_en": theme.body_en,
        "body_ko": theme.body_ko, "sources": themes.format_sources(theme.sources), "position": theme.position,
        "topics": [t.slug for t in theme.topics], "statistics": list(theme.statistics_keys),
        "places": [p.slug for p in theme.places]}
    data.update(changes)
    return data


# --- public pages -------------------------------------------------------------------------------

@pytest.mark.parametrize("slug", SLUGS)
def test_each_theme_page_renders_its_text_sources_and_search_link(client: FlaskClient, seeded: Any,
                                                                   slug: str) -> None:
    theme = get(slug)
    text = page(client, f"/themes/{slug}")
    assert f"<h1 id=\"theme-title\">{html.escape(theme.title_en)}</h1>" in text
    sources = section(text, "sources")
    assert len(re.findall(r'<li class="citation">', sources)) == len(theme.sources)
    for source in theme.sources:
        assert source["title"] in html.unescape(sources)
        if source["url"]:
            assert f'href="{source["url"]}"' in html.unescape(sources)
    query = "&amp;".join(f"tag={t.slug}" for t in theme.topics)
    assert f'href="/search?{query}"' in text
    assert "[[" not in text
    assert "The archive does not yet hold public testimonies on this theme." in text
    figures = section(text, "figures")
    assert figures.count('<li class="figure">') == len(theme.statistics_keys) >= 1
    assert 'href="/statistics#' in figures and "Ministry of Unification" in figures


def test_index_lists_every_theme_in_order(client: FlaskClient, seeded: Any) -> None:
    text = page(client, "/themes/")
    links = re.findall(r'href="/themes/([a-z0-9-]+)"', text)
    assert links == SLUGS


def test_unknown_theme_answers_404(client: FlaskClient, seeded: Any) -> None:
    page(client, "/themes/no-such-theme", 404)


def test_arrivals_total_and_related_figures_are_live(client: FlaskClient, seeded: Any) -> None:
    total = f"{arrivals_total(current_table(ARRIVALS)):,}"
    text = page(client, "/themes/leaving-the-country")
    assert f"{total} North Korean defectors have reached South Korea (figures as of end of 2024)" in text
    figures = section(text, "figures")
    assert total in figures and 'href="/statistics#arrivals"' in figures and 'href="/statistics#age"' in figures
    assert "Ministry of Unification" in figures


def test_camp_links_resolve(client: FlaskClient, seeded: Any) -> None:
    places = section(page(client, "/themes/punishment-of-families"), "places")
    links = re.findall(r'href="(/places/[^"]+)"', places)
    assert len(links) == 4 and "/places/yodok-kwalliso-15" in links
    for link in links:
        assert "Prison camp" in page(client, link)


def test_only_public_testimonies_appear_and_their_count_is_protected(app: Flask, client: FlaskClient, seeded: Any,
                                                                     factory: Any) -> None:
    public = factory.testimony(title="Logging camp in Tynda", tags=["overseas-labour"])
    factory.testimony(title="Secret restricted logger", tags=["overseas-labour"], access="restricted")
    factory.testimony(title="Secret draft logger", tags=["overseas-labour"], status="draft")
    factory.testimony(title="Secret embargoed logger", tags=["overseas-labour"],
                      embargo_until=(access.today() + timedelta(days=60)).isoformat())
    factory.testimony(title="Secret researchers logger", tags=["overseas-labour"], access="researchers")
    for role in ("anonymous", "researcher", "curator"):
        if role != "anonymous":
            from tests.conftest import AuthActions
            AuthActions(client).login(role, email=f"{role}@example.org", approved=True)
        text = page(client, "/themes/overseas-labour")
        assert listed_titles(section(text, "testimonies")) == [public.title], role
        assert "Secret" not in text, role
        assert "Public testimonies on this theme: fewer than 5." in text, role
        assert not re.search(r"\b[1-4]\b[^<]*testimon", section(text, "testimonies")), role
        if role != "anonymous":
            client.post("/account/logout", data={"csrf_token": csrf_token(client, "/")})
    # The search link finds the same public testimonies.
    search = page(client, themes.search_url(get("overseas-labour")))
    assert public.title in search and "Secret" not in search


def test_five_or_more_public_testimonies_are_counted(client: FlaskClient, seeded: Any, factory: Any) -> None:
    for n in range(6):
        factory.testimony(title=f"Balloon story {n}", tags=["balloon-leaflets"])
    factory.testimony(title="Hidden balloon", tags=["balloon-leaflets"], access="restricted")
    text = page(client, "/themes/balloons-to-the-north")
    assert "Public testimonies on this theme: 6." in text
    assert sorted(listed_titles(text)) == [f"Balloon story {n}" for n in range(6)]
    search = page(client, "/search?tag=balloon-leaflets&tag=information-media")
    assert all(f"Balloon story {n}" in search for n in range(6)) and "Hidden balloon" not in search


def test_notable_defectors_links_the_demo_profile(client: FlaskClient, runner: Any, seeded: Any) -> None:
    result = runner.invoke(args=["archive", "load-demo"])
    assert result.exit_code == 0, result.output
    text = page(client, "/themes/notable-defectors")
    assert "Thae Yong-ho: profile of a former North Korean diplomat" in listed_titles(section(text, "testimonies"))
    assert "Twenty years in Heilongjiang" not in text  # the restricted demo draft
    home = page(client, "/")
    assert "autoplay=1" in home and "Twenty years in Heilongjiang" not in home  # hearable recordings only


def test_korean_interface_shows_korean_fields_and_marks_english_fallback(client: FlaskClient, seeded: Any) -> None:
    client.set_cookie("lang", "ko")
    text = page(client, "/themes/punishment-of-families")
    assert "<h1 id=\"theme-title\">가족에 대한 처벌</h1>" in text
    assert "정치범수용소" in text and "요덕" in section(text, "places")
    theme = get("overseas-labour")
    theme.body_ko = ""
    db.session.commit()
    text = page(client, "/themes/overseas-labour")
    assert '<h1 id="theme-title">해외 노동</h1>' in text
    assert '<div class="theme-body" lang="en">' in text and "Marzuki Darusman" in text
    index = page(client, "/themes/")
    assert "한눈에 보는 북한" in index


# --- curator editor -----------------------------------------------------------------------------

def test_anonymous_is_sent_to_login_and_researcher_gets_404(client: FlaskClient, auth: Any, seeded: Any) -> None:
    for path in ("/curate/themes/", "/curate/themes/overseas-labour", "/curate/themes/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    auth.login("researcher", approved=True)
    token = csrf_token(client, "/")
    for path in ("/curate/themes/", "/curate/themes/overseas-labour", "/curate/themes/new"):
        assert client.get(path).status_code == 404
    theme = get("overseas-labour")
    response = client.post("/curate/themes/overseas-labour", data=edit_form(theme, token, title_en="Hacked"))
    assert response.status_code == 404
    assert get("overseas-labour").title_en == "Overseas labour"
    refusals = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "refused:curate")
                                  .order_by(AuditEntry.id)).all()
    assert refusals and refusals[-1].actor == "researcher@example.org"
    assert "Edit this theme" not in page(client, "/themes/overseas-labour")


def test_curator_edit_round_trip_sanitizes_html(client: FlaskClient, auth: Any, seeded: Any) -> None:
    auth.login("curator")
    assert 'href="/curate/themes/"' in page(client, "/curate/")
    assert 'href="/curate/themes/overseas-labour"' in page(client, "/curate/themes/")
    theme = get("overseas-labour")
    token = csrf_token(client, "/curate/themes/overseas-labour")
    body = ('<p>Workers abroad <strong>earn for the state</strong>.</p><script>alert("x")</script>'
            '<p onclick="steal()">Total [[arrivals_total]].</p>')
    response = client.post("/curate/themes/overseas-labour", data=edit_form(
        theme, token, title_ko="해외 파견 노동", body_en=body,
        sources="UN | Report A/70/362 | United Nations General Assembly | 2015 | https://undocs.org/A/70/362",
        statistics=["arrivals_by_year"], places=["yodok-kwalliso-15"]))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/themes/overseas-labour")
    text = page(client, "/themes/overseas-labour")
    assert "<strong>earn for the state</strong>" in text
    assert "alert(" not in text and "onclick" not in text and "steal()" not in text
    assert f"Total {arrivals_total(current_table(ARRIVALS)):,}." in text
    assert 'href="https://undocs.org/A/70/362"' in section(text, "sources")
    assert 'href="/places/yodok-kwalliso-15"' in text
    saved = get("overseas-labour")
    assert saved.title_ko == "해외 파견 노동" and saved.version == theme.version
    # The editor shows the saved sources back in the documented line format.
    assert "UN | Report A/70/362 | United Nations General Assembly | 2015 | https://undocs.org/A/70/362" in \
        html.unescape(page(client, "/curate/themes/overseas-labour"))


def test_bad_sources_are_reported_by_line_and_nothing_is_saved(client: FlaskClient, auth: Any, seeded: Any) -> None:
    auth.login("curator")
    theme = get("overseas-labour")
    token = csrf_token(client, "/curate/themes/overseas-labour")
    sources = "Good | Fine title | Pub | 2015\nNo title here | | Pub\nA | T | P | 2015 | ftp://example.org/x"
    response = client.post("/curate/themes/overseas-labour",
                           data=edit_form(theme, token, title_en="Should not be saved", sources=sources))
    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert "line 2: the title (second field) is missing" in text
    assert "line 3: the URL (fifth field) 'ftp://example.org/x' must start with http:// or https://" in text
    assert "line 1:" not in text
    assert "Should not be saved" in text  # the curator's input is kept
    assert get("overseas-labour").title_en == "Overseas labour"


def test_stale_edit_gets_409_and_keeps_the_other_save(client: FlaskClient, auth: Any, seeded: Any) -> None:
    auth.login("curator")
    theme = get("notable-defectors")
    token = csrf_token(client, "/curate/themes/notable-defectors")
    stale = edit_form(theme, token, summary_en="Mine")
    first = client.post("/curate/themes/notable-defectors", data=edit_form(theme, token, summary_en="Theirs"))
    assert first.status_code == 302
    response = client.post("/curate/themes/notable-defectors", data=stale)
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    assert get("notable-defectors").summary_en == "Theirs"


def test_curator_creates_a_theme(client: FlaskClient, auth: Any, seeded: Any) -> None:
    auth.login("admin")
    token = csrf_token(client, "/curate/themes/new")
    response = client.post("/curate/themes/new", data={
        "csrf_token": token, "slug": "hanawon", "title_en": "Hanawon", "body_en": "<p>Resettlement centre.</p>",
        "topics": ["resettlement"], "position": "7", "sources": ""})
    assert response.status_code == 302
    assert "Resettlement centre." in page(client, "/themes/hanawon")
    response = client.post("/curate/themes/new", data={"csrf_token": token, "slug": "hanawon", "title_en": "Again"})
    assert response.status_code == 400 and "already used" in response.get_data(as_text=True)


# --- home page ----------------------------------------------------------------------------------

def test_home_introduces_themes_listening_and_statistics(client: FlaskClient, seeded: Any, factory: Any) -> None:
    factory.testimony(title="Visible on the home page")
    factory.testimony(title="Hidden from the home page", access="restricted")
    text = page(client, "/")
    for slug in SLUGS:
        assert f'href="/themes/{slug}"' in text
    assert 'href="/hear/"' in text and 'href="/statistics"' in text
    assert f"{arrivals_total(current_table(ARRIVALS)):,}" in text and "Ministry of Unification" in text
    assert "1 testimony available." in text
    assert "Visible on the home page" in text and "Hidden from the home page" not in text
    client.set_cookie("lang", "ko")
    assert "나라를 떠나다" in page(client, "/")


class _Tags(HTMLParser):
    """Collect every tag and attribute of a fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_every_xss_payload_is_neutralised_on_the_theme_page(client: FlaskClient, auth: Any, seeded: Any) -> None:
    payloads = [line for line in PAYLOAD_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    auth.login("curator")
    theme = get("balloons-to-the-north")
    token = csrf_token(client, "/curate/themes/balloons-to-the-north")
    response = client.post("/curate/themes/balloons-to-the-north", data=edit_form(
        theme, token, body_en="\n".join(f"<p>{p}</p>" for p in payloads), title_en=payloads[0],
        summary_en=payloads[7]))
    assert response.status_code == 302
    text = page(client, "/themes/balloons-to-the-north")
    body = re.search(r'<div class="theme-body">(.*?)</div>\s*</article>', text, re.S)
    assert body, "no theme body"
    parser = _Tags()
    parser.feed(body.group(1))
    assert parser.tags, "the payload paragraphs are kept as text"
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), (tag, value)
    assert "<script" not in text.split('<div class="theme-body">', 1)[1].split("</article>", 1)[0].lower()
    head = text.split('<div class="theme-body">', 1)[0]
    assert "<script>" not in head and "onerror=" not in head  # title and summary are escaped text
