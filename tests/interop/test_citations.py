"""Citations and Dublin Core on testimony pages: Chicago text, BibTeX, CSL-JSON, permalink."""
from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive.policy import protected
from archive.interop import citations
from archive.curation import testimonies as testimony_service


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.itemprops: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and a.get("name", "").startswith("DC."):
            self.meta.setdefault(a["name"], []).append(a["content"])
        if tag == "meta" and "itemprop" in a:
            self.itemprops.setdefault(a["itemprop"], []).append(a["content"])
        if tag == "link":
            self.links.append(a)


def parse(html: str) -> _Head:
    parser = _Head()
    parser.feed(html)
    return parser


def test_testimony_page_carries_dublin_core_microdata_and_a_citation(app: Flask, client: FlaskClient,
                                                                     factory: Any) -> None:
    narrator = factory.narrator(pseudonym="Ri Pseudonym", real_name="Hidden Realname", public_name="Not Consented")
    t = factory.testimony(narrator, title="Crossing in winter", interviewer="Lee Interviewer", interview_place="Seoul",
                          interview_date="2019-05-14", tags=["famine"], consent_notes="Private note",
                          segments=[{"start": 0, "end": 4, "text": "Withheld words", "restricted": True}])
    html = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
    page = parse(html)
    permalink = f"http://localhost/testimonies/{t.id}"
    assert page.meta["DC.title"] == ["Crossing in winter"]
    assert page.meta["DC.creator"] == ["Ri Pseudonym"]
    assert page.meta["DC.identifier"] == [permalink]
    assert page.meta["DC.subject"] == ["Famine"] and page.meta["DC.date"] == ["2019-05-14"]
    assert {"rel": "schema.DC", "href": "http://purl.org/dc/elements/1.1/"} in page.links
    assert any(link.get("rel") == "canonical" and link.get("href") == permalink for link in page.links)
    assert page.itemprops["name"] == ["Crossing in winter"] and page.itemprops["author"] == ["Ri Pseudonym"]
    assert f'itemprop="url">{permalink}</a>' in html
    chicago = re.search(r'id="citation-chicago">([^<]*)<', html).group(1)
    assert chicago.startswith("Ri Pseudonym. \u201cCrossing in winter.\u201d Interview by Lee Interviewer, Seoul, "
                              "May 14, 2019.")
    assert permalink in chicago
    for secret in ("Hidden Realname", "Not Consented", "Private note", "Withheld words"):
        assert secret not in html
    assert f'href="/testimonies/{t.id}/cite.bib"' in html and f'href="/testimonies/{t.id}/cite.json"' in html


def test_bibtex_and_csl_json_downloads(app: Flask, client: FlaskClient, factory: Any) -> None:
    t = factory.testimony(title="Rice & 100% of {the} harvest_", interviewer="Kim", interview_date="2018-11",
                          fictional=True)
    response = client.get(f"/testimonies/{t.id}/cite.bib")
    assert response.status_code == 200 and response.mimetype == "application/x-bibtex"
    assert response.headers["Content-Disposition"] == f'attachment; filename="testimony-{t.id}.bib"'
    bib = response.get_data(as_text=True)
    assert bib.startswith(f"@misc{{testimony-{t.id},\n")
    assert r"title = {{Rice \& 100\% of \{the\} harvest\_}}" in bib
    assert "year = {2018}" in bib and "month = nov," in bib
    assert f"url = {{http://localhost/testimonies/{t.id}}}" in bib
    assert "Fictional demonstration testimony" in bib
    assert bib.count("{") == bib.count("}") - bib.count(r"\}") + bib.count(r"\{")

    response = client.get(f"/testimonies/{t.id}/cite.json")
    assert response.mimetype == "application/vnd.citationstyles.csl+json"
    [item] = json.loads(response.get_data(as_text=True))
    assert item["type"] == "interview" and item["title"] == t.title
    assert item["author"] == [{"literal": t.narrator.pseudonym}]
    assert item["interviewer"] == [{"literal": "Kim"}]
    assert item["issued"] == {"date-parts": [[2018, 11]]}
    assert item["URL"] == f"http://localhost/testimonies/{t.id}"


def test_hidden_testimonies_have_no_citation_exactly_like_missing_ones(app: Flask, client: FlaskClient,
                                                                       factory: Any) -> None:
    hidden = [factory.testimony(access="restricted", title="Secret title"), factory.testimony(status="draft")]
    withdrawn = factory.testimony()
    testimony_service.withdraw_consent(withdrawn, None)
    for suffix in ("cite.bib", "cite.json"):
        missing = client.get(f"/testimonies/987654/{suffix}")
        assert missing.status_code == 404
        for t in hidden + [withdrawn]:
            response = client.get(f"/testimonies/{t.id}/{suffix}")
            assert response.status_code == 404
            assert response.get_data(as_text=True).replace(f"/testimonies/{t.id}/", "{url}") == \
                missing.get_data(as_text=True).replace("/testimonies/987654/", "{url}")


def test_researchers_may_cite_what_they_may_read(app: Flask, client: FlaskClient, auth: Any, factory: Any) -> None:
    t = factory.testimony(access="researchers")
    assert client.get(f"/testimonies/{t.id}/cite.bib").status_code == 404
    auth.login("researcher", approved=True)
    assert client.get(f"/testimonies/{t.id}/cite.bib").status_code == 200


def test_chicago_dates_and_sentences(app: Flask, factory: Any) -> None:
    assert citations.chicago_date("2019-05-14") == "May 14, 2019"
    assert citations.chicago_date("2019-05") == "May 2019"
    assert citations.chicago_date("2019") == "2019"
    assert citations.chicago_date("") == "" and citations.chicago_date(None) == ""
    t = factory.testimony(title="Why did we leave?", interviewer="", interview_place="", interview_date="2020")
    with app.test_request_context():
        text = citations.cite(protected.audience_view("public", t), accessed=date(2026, 2, 3)).chicago
    assert "\u201cWhy did we leave?\u201d Oral history interview, 2020." in text
    assert text.endswith(f"/testimonies/{t.id}. Accessed February 3, 2026.")


@pytest.mark.parametrize("lang, name", [("en", "North Korean Defectors' Testimony Archive"),
                                        ("ko", "북한이탈주민 증언 아카이브")])
def test_one_name_in_the_header_the_title_and_the_citation(app: Flask, client: FlaskClient, factory: Any,
                                                           lang: str, name: str) -> None:
    t = factory.testimony()
    client.set_cookie("lang", lang)
    html = client.get(f"/testimonies/{t.id}").get_data(as_text=True).replace("&#39;", "'")
    brand = re.search(r'class="brand"[^>]*>([^<]*)</a>', html).group(1)
    title = re.search(r"<title>([^<]*)</title>", html).group(1)
    assert brand == name and title.endswith(f" · {name}")
    # Citations are written in English whatever the interface language: the English form of the same name.
    found = re.search(r'id="citation-chicago"( lang="en")?>([^<]*)<', html)
    assert found and found.group(2).count("North Korean Defectors' Testimony Archive.") == 1
    assert bool(found.group(1)) == (lang == "ko"), "an English citation on a Korean page is marked lang=en"


def test_a_korean_title_keeps_its_lang_inside_the_english_citation(client: FlaskClient, factory: Any) -> None:
    t = factory.testimony(title="두 번의 탈북")
    client.set_cookie("lang", "ko")
    html = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
    assert re.search(r'id="citation-chicago" lang="en">[^<]*\u201c<span lang="ko">두 번의 탈북</span>\.?\u201d', html)


def test_one_app_marks_the_english_citation_on_every_korean_page_after_an_english_one(app: Flask, factory: Any
                                                                                     ) -> None:
    """A worker serves both languages with one compiled template: the lang mark follows each page's language."""
    t = factory.testimony(title="Crossing at night")
    english, korean = app.test_client(), app.test_client()
    korean.set_cookie("lang", "ko")
    for client, marked in ((english, False), (korean, True), (english, False), (korean, True)):
        html = client.get(f"/testimonies/{t.id}").get_data(as_text=True)
        found = re.search(r'id="citation-chicago"( lang="en")?>', html)
        assert found and bool(found.group(1)) == marked, html[:200]
