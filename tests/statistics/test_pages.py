"""Statistics, escape routes and places pages over HTTP: charts against the source files, links both
ways with the testimonies, small-count protection, CSV downloads and the admin upload."""
from __future__ import annotations

import csv
import html
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import csrf_token
from archive.core.extensions import db
from archive.models import AuditEntry
from archive.models.statistics import StatisticsTable
from archive.statistics.data import STATISTICS_DIR, load_table

SVG = "{http://www.w3.org/2000/svg}"
HEADER = "period,first_year,last_year,male,female,total,note"
BAR_CHARTS = {  # chart id -> (table key, search facet)
    "arrivals": ("arrivals_by_year", "arrived"),
    "age": ("by_age_at_entry", "age"),
    "occupation": ("by_occupation_in_north", "occupation"),
    "education": ("by_education", "education"),
    "province": ("by_home_province", "province"),
    "residence": ("by_residence_in_south", "residence"),
}
COVERAGE = "Public testimonies in this archive"


# --- helpers -------------------------------------------------------------------------------

def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def svg_of(text: str, chart_id: str) -> ET.Element:
    """Parse one inline SVG of the page (charts are well-formed XML)."""
    match = re.search(rf'<svg [^>]*\bid="{chart_id}"[^>]*>.*?</svg>', text, re.S)
    assert match, f"no chart {chart_id}"
    return ET.fromstring(match.group(0))


def table_of(text: str, chart_id: str) -> tuple[list[str], list[list[str]], list[str | None]]:
    """(header, rows of cell texts, first-cell links) of a chart's data table."""
    match = re.search(rf'<table class="data-table" id="{chart_id}-table">.*?</table>', text, re.S)
    assert match, f"no data table for {chart_id}"
    root = ET.fromstring(match.group(0))
    header = ["".join(th.itertext()) for th in root.iter("th") if th.get("scope") == "col"]
    rows, links = [], []
    body = root.find("tbody")
    assert body is not None
    for tr in body.iter("tr"):
        rows.append(["".join(cell.itertext()) for cell in tr])
        link = tr[0].find("a")
        links.append(link.get("href") if link is not None else None)
    return header, rows, links


def bars(svg: ET.Element) -> list[ET.Element]:
    return [e for e in svg.iter() if e.get("class") == "bar"]


def title_of(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def number(text: str) -> int:
    return int(text.replace(",", ""))


def source_rows(key: str) -> list[dict[str, str]]:
    with open(STATISTICS_DIR / f"{key}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def hidden(text: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', text, re.S) or \
        re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', text, re.S)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def search_ready(app: Flask) -> bool:
    return app.extensions.get("search") is not None


# --- every chart against its source file ----------------------------------------------------

@pytest.mark.parametrize("chart_id", list(BAR_CHARTS))
def test_bar_chart_numbers_match_the_source_csv(client: FlaskClient, chart_id: str) -> None:
    key, facet = BAR_CHARTS[chart_id]
    text = page(client, "/statistics")
    source = source_rows(key)
    label_column = "period" if key == "arrivals_by_year" else "category"
    # The data table
    header, rows, links = table_of(text, chart_id)
    assert header[-1] == COVERAGE
    assert [r[0] for r in rows] == [s[label_column] for s in source]
    offset = 2 if "category_ko" in source[0] else 1
    for row, src in zip(rows, source, strict=True):
        male, female = int(src["male"]), int(src["female"])
        assert [number(c) for c in row[offset:offset + 3]] == [male, female, male + female]
        if offset == 2:
            assert row[1] == src["category_ko"]
        assert row[-1] == "0"  # an empty archive holds no testimonies for any bar
    assert all(link and link.startswith(f"/search?{facet}=") for link in links)
    # The chart: one bar per row, in order, each named with its figures
    svg = svg_of(text, chart_id)
    table = load_table(key)
    assert title_of(svg) == table.title
    found = bars(svg)
    assert len(found) == len(source)
    for bar, src in zip(found, source, strict=True):
        male, female = int(src["male"]), int(src["female"])
        name = title_of(bar)
        assert name.startswith(f"{src[label_column]}: {male + female:,} {table.unit} ({male:,} men, {female:,} women)")
        assert name.endswith(f"{COVERAGE}: 0")
    # Axis labels, source and date
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert f"Number of {table.unit}" in texts
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and f"Source: {table.source}. As of {table.as_of}." in (desc.text or "")
    assert f'href="/statistics/{key}.csv"' in text


def test_arrivals_chart_draws_the_first_two_periods_as_what_they_are(client: FlaskClient) -> None:
    svg = svg_of(page(client, "/statistics"), "arrivals")
    found = bars(svg)
    assert "cumulative total through 1998" in title_of(found[0])
    assert "three-year period 1999–2001" in title_of(found[1])
    assert all("period" not in title_of(b) and "cumulative" not in title_of(b) for b in found[2:])
    assert [b.get("href") for b in found[:3]] == ["/search?arrived=1945-1998", "/search?arrived=1999-2001",
                                                  "/search?arrived=2002"]
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert "Year of arrival" in texts


def test_employment_chart_matches_the_source_csv(client: FlaskClient) -> None:
    text = page(client, "/statistics")
    source = source_rows("employment_rates")
    header, rows, _ = table_of(text, "employment")
    assert header == ["Year", "Economic activity rate (%)", "Employment rate (%)", "Unemployment rate (%)"]
    for row, src in zip(rows, source, strict=True):
        assert row[0] == src["year"]
        assert [float(c) for c in row[1:]] == [float(src["economic_activity_rate_pct"]),
                                               float(src["employment_rate_pct"]), float(src["unemployment_rate_pct"])]
    svg = svg_of(text, "employment")
    points = [title_of(g) for g in svg.iter(f"{SVG}g") if g.find(f"{SVG}title") is not None]
    assert "2009, Unemployment rate: 13.7%" in points
    assert "2023, Employment rate: 60.5%" in points
    assert len(points) == 3 * len(source)
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert "Survey year" in texts and "Percent" in texts
    assert 'href="/statistics/employment_rates.csv"' in text


def test_statistics_page_states_totals_source_and_protection(client: FlaskClient) -> None:
    text = page(client, "/statistics")
    assert "34,314" in text and "2009" in text and "2,914" in text
    assert "fewer than 5" in text
    assert "Ministry of Unification" in text and "As of end of 2024." in text
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 7
    assert 'href="/static/css/statistics.css' in text


def test_korean_statistics_page_names_the_ministry_in_korean(client: FlaskClient, factory: Any) -> None:
    """통일부 on Korean pages; notes, as-of dates and counts in Korean; English data marked lang="en"."""
    client.set_cookie("lang", "ko")
    text = page(client, "/statistics")
    assert "Ministry of Unification" not in text
    assert "출처: <span>통일부(unikorea.go.kr) 자료" in text
    assert "1998년까지의 누계" in text and "1999–2001년 3개년 합계" in text
    assert "2023년(2008–2023년 연례 조사)" in text and "(전체 거주자 31,383명)" in text
    assert '<td lang="en">cumulative total of all arrivals' in text  # the published note, as published
    assert 'annual surveys' not in text and "cumulative total through" not in text
    narrator = factory.narrator(arrived_south_year=2009, origin_province="North Hamgyong")
    t = factory.testimony(narrator)
    listening = page(client, f"/testimonies/{t.id}")
    assert "출처: <span>통일부, 2024년 말</span>" in listening and "Ministry of Unification" not in listening
    client.set_cookie("lang", "en")
    listening = page(client, f"/testimonies/{t.id}")
    assert "Source: <span>Ministry of Unification of the Republic of Korea, end of 2024</span>" in listening
    assert "Source: <span>Ministry of Unification of the Republic of Korea (unikorea.go.kr)" in page(client, "/")


# --- small counts and links both ways -------------------------------------------------------

@pytest.fixture()
def arrivals_2009_2010(factory: Any) -> dict[str, list[Any]]:
    """6 public testimonies arriving in 2009, 2 in 2010, and restricted ones that must never count."""
    made: dict[str, list[Any]] = {"2009": [], "2010": []}
    with factory.batch():  # index and OAI records written once, for all of them
        for n in range(6):
            made["2009"].append(factory.testimony(title=f"Arrived 2009 number {n}"))
        for n in range(2):
            narrator = factory.narrator(arrived_south_year=2010, left_north_year=2010, origin_province="Ryanggang")
            made["2010"].append(factory.testimony(narrator, title=f"Arrived 2010 number {n}"))
        for n in range(3):  # would lift 2010 to 5 if counted
            narrator = factory.narrator(arrived_south_year=2010, left_north_year=2010, origin_province="Ryanggang")
            factory.testimony(narrator, title=f"Hidden 2010 {n}", access="restricted")
        factory.testimony(title="Hidden 2009 researchers", access="researchers")
        factory.testimony(title="Hidden 2009 draft", status="draft")
    return made


def test_small_counts_on_the_statistics_page(client: FlaskClient, arrivals_2009_2010: Any) -> None:
    text = page(client, "/statistics")
    _, rows, _ = table_of(text, "arrivals")
    by_period = {r[0]: r[-1] for r in rows}
    assert by_period["2009"] == "6"
    assert by_period["2010"] == "fewer than 5"
    assert by_period["2011"] == "0"
    svg_bars = {title_of(b).split(":")[0]: b for b in bars(svg_of(text, "arrivals"))}
    assert title_of(svg_bars["2009"]).endswith(f"{COVERAGE}: 6")
    assert title_of(svg_bars["2010"]).endswith(f"{COVERAGE}: fewer than 5")
    hollow = [p for p in svg_bars["2010"].iter(f"{SVG}path") if p.get("class") == "overlay"]
    assert hollow and hollow[0].get("fill") == "#fff"  # the marker says "count withheld"
    _, provinces, _ = table_of(text, "province")
    by_province = {r[0]: r[-1] for r in provinces}
    assert by_province["North Hamgyong"] == "6"
    assert by_province["Ryanggang"] == "fewer than 5"
    _, ages, _ = table_of(text, "age")
    assert {r[0]: r[-1] for r in ages}["20-29"] == "6"  # born 1980, arrived 2009; the 2010 pair is hidden
    assert "Hidden" not in text


def test_staff_see_the_same_protected_counts(client: FlaskClient, auth: Any, arrivals_2009_2010: Any) -> None:
    auth.login("admin")
    _, rows, _ = table_of(page(client, "/statistics"), "arrivals")
    by_period = {r[0]: r[-1] for r in rows}
    assert by_period["2009"] == "6" and by_period["2010"] == "fewer than 5"


def test_bar_links_lead_to_matching_testimonies(app: Flask, client: FlaskClient, arrivals_2009_2010: Any) -> None:
    text = page(client, "/statistics")
    bar_2009 = next(b for b in bars(svg_of(text, "arrivals")) if title_of(b).startswith("2009:"))
    href = bar_2009.get("href")
    assert href == "/search?arrived=2009"
    if not search_ready(app):
        pytest.skip("archive.search is not ready: the link is asserted, the results are not")
    results = page(client, href)
    for t in arrivals_2009_2010["2009"]:
        assert t.title in results
    assert "Arrived 2010" not in results and "Hidden" not in results
    province = page(client, "/search?province=ryanggang")
    assert "Arrived 2010 number 0" in province and "Hidden" not in province


def test_category_and_age_links(app: Flask, client: FlaskClient, factory: Any) -> None:
    # The exact years are public by consent, so the age group at arrival (34) is shown and searchable.
    narrator = factory.narrator(birth_year=1975, occupation="Workers", education="College", residence_region="Seoul",
                                consent_detailed_profile=True, exact_fields=["birth_year", "arrived_south_year"])
    testimony = factory.testimony(narrator, title="Worker from the college")
    text = page(client, "/statistics")
    expected = {"age": "/search?age=30-39", "occupation": "/search?occupation=workers",
                "education": "/search?education=college", "residence": "/search?residence=seoul",
                "province": "/search?province=north-hamgyong"}
    for chart_id, href in expected.items():
        _, rows, links = table_of(text, chart_id)
        assert href in links, chart_id
        assert rows[links.index(href)][-1] == "fewer than 5"
        assert any(b.get("href") == href for b in bars(svg_of(text, chart_id)))
    _, _, age_links = table_of(text, "age")
    assert "/search?age=60%2B" in age_links
    if not search_ready(app):
        pytest.skip("archive.search is not ready")
    for href in expected.values():
        assert testimony.title in page(client, href), href


# --- CSV downloads -----------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(dict(BAR_CHARTS.values())) + ["employment_rates"])
def test_csv_downloads(client: FlaskClient, key: str) -> None:
    response = client.get(f"/statistics/{key}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{key}.csv"'
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # spreadsheets then read the Hangul as UTF-8
    assert load_table(key, body) == load_table(key)


def test_unknown_csv_is_404(client: FlaskClient) -> None:
    assert client.get("/statistics/users.csv").status_code == 404
    assert client.get("/statistics/..%2Fconfig.csv").status_code == 404


# --- the admin upload --------------------------------------------------------------------------

def test_admin_pages_are_hidden_from_everyone_else(client: FlaskClient, auth: Any) -> None:
    token = csrf_token(client, "/account/login")
    assert client.get("/statistics/admin").status_code == 404
    assert client.post("/statistics/admin/preview", data={"csrf_token": token, "csv_text": HEADER}).status_code == 404
    for role in ("curator", "researcher"):
        auth.login(role, approved=True)
        assert client.get("/statistics/admin").status_code == 404
        token = csrf_token(client, "/")
        response = client.post("/statistics/admin/confirm", data={
            "csrf_token": token, "csv_text": f"{HEADER}\n2025,2025,2025,40,200,240,\n", "base": "x"})
        assert response.status_code == 404
        auth.logout()
    refusals = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "refused:statistics.update")).all()
    assert {r.actor for r in refusals} == {"curator@example.org", "researcher@example.org"}
    assert db.session.scalar(select(StatisticsTable)) is None
    assert "Add or revise arrivals figures" not in page(client, "/statistics")


def test_bad_csv_shows_line_numbered_problems(client: FlaskClient, auth: Any) -> None:
    auth.login("admin")
    token = csrf_token(client, "/statistics/admin")
    bad = f"{HEADER}\n2025,2025,2025,40,200,999,\n2026,2026,2026,x,1,1,\n"
    response = client.post("/statistics/admin/preview", data={"csrf_token": token, "csv_text": bad})
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert "Line 2: total is 999 but male + female = 240" in text
    assert "Line 3: male 'x' is not a whole number" in text
    assert db.session.scalar(select(StatisticsTable)) is None


def test_upload_confirm_and_see_the_new_year(client: FlaskClient, auth: Any) -> None:
    import io
    auth.login("admin")
    assert "Add or revise arrivals figures" in page(client, "/statistics")
    token = csrf_token(client, "/statistics/admin")
    upload = (io.BytesIO(f"{HEADER}\n2025,2025,2025,40,200,240,=1+2\n".encode()), "arrivals-2025.csv")
    response = client.post("/statistics/admin/preview", data={"csrf_token": token, "csv_file": upload},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "2025 added: 240 (40 men, 200 women)" in text
    assert "end of 2025" in text
    assert db.session.scalar(select(StatisticsTable)) is None  # nothing saved before confirmation
    response = client.post("/statistics/admin/confirm", data={
        "csrf_token": hidden(text, "csrf_token"), "csv_text": hidden(text, "csv_text"), "base": hidden(text, "base")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/statistics#arrivals")
    stats = page(client, "/statistics")
    _, rows, links = table_of(stats, "arrivals")
    assert rows[-1][:4] == ["2025", "40", "200", "240"]
    assert links[-1] == "/search?arrived=2025"
    assert "As of end of 2025." in stats
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "statistics.update"))
    assert entry is not None and entry.actor == "admin@example.org"
    download = client.get("/statistics/arrivals_by_year.csv").get_data(as_text=True)
    assert download.splitlines()[-1] == "2025,2025,2025,40,200,240,'=1+2"
    # Confirming the same preview again is refused: the table changed since.
    again = client.post("/statistics/admin/confirm", data={
        "csrf_token": hidden(text, "csrf_token"), "csv_text": hidden(text, "csv_text"), "base": hidden(text, "base")},
        follow_redirects=True)
    assert "changed by someone else" in again.get_data(as_text=True)


def test_one_year_form(client: FlaskClient, auth: Any) -> None:
    auth.login("admin")
    token = csrf_token(client, "/statistics/admin")
    invalid = client.post("/statistics/admin/preview", data={"csrf_token": token, "year": "2025", "male": "-3",
                                                             "female": "200", "note": ""})
    assert invalid.status_code == 422
    response = client.post("/statistics/admin/preview", data={"csrf_token": token, "year": "2025", "male": "40",
                                                              "female": "200", "note": "provisional"})
    assert response.status_code == 200
    assert "2025 added: 240 (40 men, 200 women)" in response.get_data(as_text=True)
    gap = client.post("/statistics/admin/preview", data={"csrf_token": token, "year": "2027", "male": "1",
                                                         "female": "1", "note": ""})
    assert gap.status_code == 422
    assert "gap" in gap.get_data(as_text=True)


# --- escape routes -------------------------------------------------------------------------

def test_routes_page(client: FlaskClient, factory: Any) -> None:
    china = [{"country": "China", "place": "Tumen", "year": 2008, "event": "transit"}]
    for _ in range(5):
        factory.testimony(route=china + [{"country": "Thailand", "place": "Bangkok", "year": 2009, "event": "arrested"}])
    factory.testimony(route=china + [{"country": "Mongolia", "place": "", "year": 2009, "event": "transit"}])
    factory.testimony(route=[{"country": "Russia", "place": "", "year": 2009, "event": "transit"}], access="restricted")
    text = page(client, "/routes")
    plain = html.unescape(text)
    for name in ("China", "Russia", "Mongolia", "Laos", "Vietnam", "Thailand", "Cambodia", "Myanmar", "Japan",
                 "Philippines", "Demilitarized Zone"):
        assert f"<th scope=\"row\">{name} " in plain, name
    assert "illegal economic migrants" in plain and "agreed with North Korea in 2014" in plain
    assert "sends them on to South Korea" in plain and "most dangerous" in plain and "rare" in plain

    def count(slug: str) -> str:
        match = re.search(rf'<tr id="country-{slug}">.*?<a href="/search\?route={slug}"[^>]*>([^<]*)</a>', text, re.S)
        assert match, slug
        return match.group(1)

    assert count("china") == "6" and count("thailand") == "5"
    assert count("mongolia") == "fewer than 5"
    assert count("russia") == "0"  # the restricted journey is not counted
    assert count("demilitarized-zone") == "0"
    diagram = svg_of(text, "route-diagram")
    assert diagram.get("role") == "img"
    labels = {"".join(t.itertext()) for t in diagram.iter(f"{SVG}text")}
    assert {"North Korea", "Yanji", "Tumen", "Changbai", "Dandong", "Shenyang", "Kunming", "Laos", "Thailand",
            "Vietnam", "Cambodia", "Mongolia", "Russia", "Demilitarized Zone", "South Korea", "Japan"} <= labels
    assert "great-circle distance, not travel distance" in plain
    _, rows, _ = table_of(text, "distances")
    assert [r[0] for r in rows][0] == "Consulate General of the Republic of Korea in Shenyang"
    assert len(rows) == 7 and all(number(r[-1]) > 0 for r in rows)
    distance_bars = bars(svg_of(text, "distances"))
    assert [title_of(b).split(":")[0] for b in distance_bars][:2] == ["Shenyang (consulate general)", "Beijing (embassy)"]


# --- places --------------------------------------------------------------------------------

def test_places_index(client: FlaskClient, factory: Any) -> None:
    factory.testimony()
    text = page(client, "/places/")
    for needle in ("North Hamgyong", "함경북도", "Hamgyŏng-bukto", "Hamgyeongbuk-do", "Yodok (Kwalliso 15)", "요덕",
                   'href="/places/yodok-kwalliso-15"', 'href="/places/north-hamgyong"', "fewer than 5"):
        assert needle in text, needle
    assert 'href="/places/chongjin"' not in text and 'href="/places/china"' not in text


def test_yodok_page_lists_testimonies_that_mention_it(client: FlaskClient, factory: Any) -> None:
    factory.testimony(title="Three winters", segments=[{"start": 0, "end": 6, "text": "우리 가족은 요덕으로 끌려갔습니다."}])
    factory.testimony(title="A camp in the hills", summary="<p>She remembers Yodok.</p>")
    factory.testimony(title="Secret", access="restricted", summary="<p>Yodok</p>")
    factory.testimony(title="Whispered", segments=[{"start": 0, "end": 6, "text": "Yodok", "restricted": True}])
    factory.testimony(title="Elsewhere", summary="<p>Nothing about camps.</p>")
    text = page(client, "/places/yodok-kwalliso-15")
    for needle in ("Yodok (Kwalliso 15)", "요덕", "Yodŏk", "Yodeok", "Political prison camp 15", "15호 관리소"):
        assert needle in text, needle
    assert "Three winters" in text and "A camp in the hills" in text
    assert "Secret" not in text and "Whispered" not in text and "Elsewhere" not in text
    assert "fewer than 5 testimonies" in text


def test_province_page_lists_narrators_from_there(client: FlaskClient, factory: Any) -> None:
    factory.testimony(title="Hyesan winters", narrator=factory.narrator(origin_province="Ryanggang"))
    text = page(client, "/places/ryanggang")
    assert "Hyesan winters" in text and "량강도" in text and "Yanggang-do" in text
    assert 'href="/search?province=ryanggang"' in text


def test_other_places_answer_like_missing_pages(client: FlaskClient) -> None:
    missing = client.get("/places/no-such-place")
    assert missing.status_code == 404
    for slug in ("china", "chongjin", "yanji", "south-korea"):
        response = client.get(f"/places/{slug}")
        assert response.status_code == 404
        assert response.get_data() == missing.get_data()
