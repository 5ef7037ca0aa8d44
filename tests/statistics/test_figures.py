"""The statistics service: current tables (database over bundled CSV), admin updates, coverage counts,
and the read side of the escape routes and places pages."""
from __future__ import annotations

import csv
import io
import json
import math
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from archive.core.extensions import db
from archive.models import AuditEntry
from archive.models.base import utcnow
from archive.models.statistics import StatisticsTable
from archive.statistics import routes as context
from archive.statistics import figures as statistics
from archive.core.errors import ConflictError, DomainError
from archive.policy import small_counts
from archive.policy.small_counts import SMALL_COUNT
from archive.core.vocabulary import DATA_DIR
from archive.statistics.data import STATISTICS_DIR, DatasetError, load_table

HEADER = "period,first_year,last_year,male,female,total,note"


class FakeUser:
    """Enough of a user for the permission check."""

    def __init__(self, role: str, active: bool = True, authenticated: bool = True) -> None:
        self.role, self.active, self.is_authenticated, self.id = role, active, authenticated, None


# --- current tables ----------------------------------------------------------------------

def test_bundled_tables_are_used_without_database_rows(app: Flask) -> None:
    assert db.session.scalar(select(StatisticsTable)) is None
    tables = statistics.all_tables()
    assert list(tables) == ["arrivals_by_year", "by_age_at_entry", "by_education", "by_occupation_in_north",
                            "by_home_province", "by_residence_in_south", "employment_rates"]
    for key, table in tables.items():
        assert table == load_table(key)
    assert statistics.current_table("arrivals_by_year").as_of == "end of 2024"


def test_a_database_row_replaces_the_bundled_table(app: Flask) -> None:
    bundled = (STATISTICS_DIR / "arrivals_by_year.csv").read_text(encoding="utf-8")
    db.session.add(StatisticsTable(key="arrivals_by_year", as_of="end of 2025",
                                   csv_text=bundled + "2025,2025,2025,40,200,240,provisional\n"))
    db.session.commit()
    table = statistics.current_table("arrivals_by_year")
    assert table.as_of == "end of 2025"
    assert table.rows[-1]["period"] == "2025" and table.rows[-1]["total"] == 240
    assert statistics.current_table("by_education") == load_table("by_education")  # other tables untouched


def test_permission_is_for_active_admins_only() -> None:
    assert statistics.can_edit_statistics(FakeUser("admin"))
    assert not statistics.can_edit_statistics(FakeUser("admin", active=False))
    assert not statistics.can_edit_statistics(FakeUser("admin", authenticated=False))
    assert not statistics.can_edit_statistics(FakeUser("curator"))
    assert not statistics.can_edit_statistics(FakeUser("researcher"))
    assert not statistics.can_edit_statistics(None)


# --- admin updates -------------------------------------------------------------------------

def test_preview_then_save_a_new_year(app: Flask, auth: Any) -> None:
    admin = auth.create("admin")
    preview = statistics.preview_arrivals(f"{HEADER}\n2025,2025,2025,40,200,240,provisional\n")
    assert preview.changes == ["2025 added: 240 (40 men, 200 women)"]
    assert db.session.scalar(select(StatisticsTable)) is None  # a preview saves nothing
    statistics.save_arrivals(preview.csv_text, preview.base, actor=admin)
    row = db.session.scalar(select(StatisticsTable))
    assert row is not None and row.key == "arrivals_by_year" and row.as_of == "end of 2025"
    assert row.updated_by_id == admin.id
    table = statistics.current_table("arrivals_by_year")
    assert table.rows[-1]["total"] == 240 and table.as_of == "end of 2025"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "statistics.update"))
    assert entry is not None and entry.user_id == admin.id
    assert json.loads(entry.details)["changes"] == ["2025 added: 240 (40 men, 200 women)"]


def test_year_form_builds_a_valid_upload(app: Flask) -> None:
    preview = statistics.preview_arrivals(statistics.year_csv(2025, 30, 170, " first estimate "))
    assert preview.table.rows[-1] == {"period": "2025", "first_year": 2025, "last_year": 2025, "male": 30,
                                      "female": 170, "total": 200, "note": "first estimate"}


def test_bad_uploads_report_line_numbers(app: Flask) -> None:
    text = f"{HEADER}\n2025,2025,2025,40,200,999,\n2026,2026,2026,x,1,1,\n"
    with pytest.raises(DatasetError) as caught:
        statistics.preview_arrivals(text)
    lines = [line for line, _ in caught.value.problems]
    assert lines == [2, 3]
    assert "total is 999 but male + female = 240" in caught.value.problems[0][1]


def test_save_refuses_a_table_changed_since_the_preview(app: Flask) -> None:
    first = statistics.preview_arrivals(f"{HEADER}\n2025,2025,2025,40,200,240,\n")
    second = statistics.preview_arrivals(f"{HEADER}\n2024,2024,2024,27,210,237,revised\n")
    statistics.save_arrivals(first.csv_text, first.base)
    with pytest.raises(ConflictError):
        statistics.save_arrivals(second.csv_text, second.base)
    assert statistics.current_table("arrivals_by_year").rows[-2]["total"] == 236


def test_save_refuses_an_upload_that_changes_nothing(app: Flask) -> None:
    bundled = (STATISTICS_DIR / "arrivals_by_year.csv").read_text(encoding="utf-8")
    preview = statistics.preview_arrivals(bundled)
    assert preview.changes == []
    with pytest.raises(DomainError):
        statistics.save_arrivals(preview.csv_text, preview.base)
    assert db.session.scalar(select(StatisticsTable)) is None


def test_save_validates_the_confirmed_text_again(app: Flask) -> None:
    preview = statistics.preview_arrivals(f"{HEADER}\n2025,2025,2025,40,200,240,\n")
    with pytest.raises(DatasetError):
        statistics.save_arrivals(f"{HEADER}\n2025,2025,2025,40,200,1,\n", preview.base)
    assert db.session.scalar(select(StatisticsTable)) is None


# --- CSV downloads --------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["arrivals_by_year", "by_home_province", "employment_rates"])
def test_safe_csv_keeps_the_figures(key: str) -> None:
    table = load_table(key)
    assert load_table(key, statistics.safe_csv(table)) == table


@pytest.mark.parametrize("note", ["=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_safe_csv_defuses_formulas(app: Flask, note: str) -> None:
    table = statistics.current_table("arrivals_by_year")
    table.rows[-1] = {**table.rows[-1], "note": note}
    rows = list(csv.reader(io.StringIO(statistics.safe_csv(table), newline="")))
    assert rows[-1][-1] == "'" + note
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


# --- coverage counts ---------------------------------------------------------------------------

def test_coverage_counts_only_public_testimonies(app: Flask, factory: Any) -> None:
    for _ in range(6):
        factory.testimony()
    factory.testimony(access="restricted")
    factory.testimony(access="researchers")
    factory.testimony(status="draft")
    factory.testimony(embargo_until=(utcnow() + timedelta(days=30)).date().isoformat())
    withdrawn = factory.testimony()
    withdrawn.consent_withdrawn_at = utcnow()
    db.session.commit()
    assert statistics.coverage_by_arrival_year() == {2009: 6}
    assert statistics.coverage_by_province() == {"north-hamgyong": 6}
    assert statistics.coverage_by_age() == {"20-29": 6}


def test_coverage_by_category(app: Flask, factory: Any) -> None:
    narrator = factory.narrator(occupation="Workers", education="College", residence_region="Seoul")
    factory.testimony(narrator)
    factory.testimony(narrator)
    assert statistics.coverage_by_category("occupation") == {"workers": 2}
    assert statistics.coverage_by_category("education") == {"college": 2}
    assert statistics.coverage_by_category("residence") == {"seoul": 2}


def test_small_counts_are_withheld() -> None:
    assert SMALL_COUNT == 5
    assert statistics.protected(0) == (0, None)
    for n in range(1, 5):
        assert statistics.protected(n) == (None, "fewer than 5")
        assert small_counts.shown(n) == "fewer than 5" and small_counts.withheld(n)
    assert statistics.protected(5) == (5, None)
    assert small_counts.shown(0) == 0 and small_counts.shown(12) == 12 and not small_counts.withheld(0)


def test_search_urls() -> None:
    assert statistics.search_url("arrived", "2009") == "/search?arrived=2009"
    assert statistics.search_url("age", "60+") == "/search?age=60%2B"
    assert statistics.search_url("province", "north-hamgyong") == "/search?province=north-hamgyong"


# --- routes --------------------------------------------------------------------------------

def _haversine(a: dict[str, float], b: dict[str, float]) -> float:
    """An independent great-circle distance (spherical law of cosines) for checking."""
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dl = math.radians(b["lon"] - a["lon"])
    return 6371.0 * math.acos(min(1.0, math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)))


def test_distances_are_great_circle_legs_from_the_data_file() -> None:
    data = json.loads((DATA_DIR / "routes.json").read_text(encoding="utf-8"))
    assert data["distance_note"] == "great-circle distance, not travel distance"
    cities = data["cities"]
    distances = {d.key: d for d in context.mission_distances()}
    assert set(distances) == {"shenyang", "beijing", "ulaanbaatar", "vientiane", "bangkok", "hanoi", "phnom-penh"}
    for mission in data["missions"]:
        via = mission["via"]
        assert via[0] == "dandong"
        expected = [round(_haversine(cities[a], cities[b])) for a, b in zip(via, via[1:])]
        got = distances[mission["key"]]
        assert [abs(x - y) <= 1 for x, y in zip(got.legs, expected)] == [True] * len(expected)
        assert got.total_km == sum(got.legs)
    assert distances["bangkok"].waypoints == ["Dandong", "Kunming", "Vientiane", "Bangkok"]
    # Sanity against well-known straight-line distances.
    assert 190 <= distances["shenyang"].total_km <= 215
    assert 660 <= distances["beijing"].total_km <= 700


def test_great_circle_of_a_quarter_meridian() -> None:
    assert context.great_circle_km((0, 0), (90, 0)) == pytest.approx(math.pi * 6371.0 / 2)


def test_route_countries_have_descriptions_and_protected_counts(app: Flask, factory: Any) -> None:
    china = [{"country": "China", "place": "Yanji", "year": 2008, "event": "transit"}]
    through_laos = china + [{"country": "Laos", "place": "", "year": 2009, "event": "transit"}]
    for _ in range(5):
        factory.testimony(route=china)
    factory.testimony(route=through_laos)
    factory.testimony(route=through_laos, access="restricted")
    countries = {c.slug: c for c in context.route_countries()}
    assert list(countries) == ["china", "russia", "mongolia", "laos", "vietnam", "thailand", "cambodia", "myanmar",
                               "japan", "philippines", "demilitarized-zone"]
    assert countries["china"].count == 6
    assert countries["laos"].count == "fewer than 5"
    assert countries["russia"].count == 0
    assert countries["china"].url == "/search?route=china"
    assert countries["demilitarized-zone"].name_ko == "비무장지대"
    assert "repatriat" in countries["china"].description
    assert "2014" in countries["russia"].description
    assert "most dangerous" in countries["demilitarized-zone"].description


def test_route_diagram_nodes_and_edges() -> None:
    diagram = context.route_diagram()
    keys = {n.key for n in diagram.nodes}
    assert {"north-korea", "yanji", "tumen", "changbai", "dandong", "shenyang", "kunming", "laos", "thailand",
            "vietnam", "cambodia", "mongolia", "russia", "dmz", "south-korea", "japan"} <= keys
    for node in diagram.nodes:
        assert 0 <= node.left and node.left + node.width <= diagram.width
        assert 0 <= node.top and node.top + node.height <= diagram.height
    assert {e.mode for e in diagram.edges} == {"land", "sea", "air"}


# --- places --------------------------------------------------------------------------------

def _yodok_testimonies(factory: Any) -> dict[str, Any]:
    return {
        "hangul": factory.testimony(title="Hangul mention",
                                    segments=[{"start": 0, "end": 5, "text": "저는 요덕에서 삼 년을 살았습니다."}]),
        "summary": factory.testimony(title="Summary mention", summary="<p>He describes Yodok camp.</p>"),
        "restricted_segment": factory.testimony(title="Restricted passage", segments=[
            {"start": 0, "end": 5, "text": "Yodok", "restricted": True}]),
        "restricted": factory.testimony(title="Restricted testimony", access="restricted",
                                        summary="<p>Yodok</p>"),
        "unrelated": factory.testimony(title="Unrelated", summary="<p>Nothing here.</p>"),
    }


def _titles(found: list[Any]) -> set[str]:
    return {item.testimony.title for item in found}


def test_place_testimonies_through_the_search_engine(app: Flask, factory: Any) -> None:
    if app.extensions.get("search") is None:
        pytest.skip("archive.search is not available yet")
    _yodok_testimonies(factory)
    yodok = context.place_or_404("yodok-kwalliso-15")
    assert _titles(context.place_testimonies(yodok, None)) == {"Hangul mention", "Summary mention"}
    assert context.public_place_count(yodok) == 2


class BrokenEngine:
    """A search engine whose index cannot be read."""

    def search(self, request: Any) -> Any:
        raise RuntimeError("index unavailable")


@pytest.mark.parametrize("engine", [None, BrokenEngine()])
def test_place_testimonies_database_fallback(app: Flask, factory: Any, monkeypatch: pytest.MonkeyPatch,
                                            engine: Any) -> None:
    _yodok_testimonies(factory)
    monkeypatch.setitem(app.extensions, "search", engine)
    yodok = context.place_or_404("yodok-kwalliso-15")
    assert _titles(context.place_testimonies(yodok, None)) == {"Hangul mention", "Summary mention"}
    assert context.public_place_count(yodok) == 2


def test_province_testimonies_include_origin(app: Flask, factory: Any) -> None:
    factory.testimony(title="From Ryanggang", narrator=factory.narrator(origin_province="Ryanggang"))
    factory.testimony(title="From North Hamgyong")
    ryanggang = context.place_or_404("ryanggang")
    assert _titles(context.place_testimonies(ryanggang, None)) == {"From Ryanggang"}


@pytest.mark.parametrize("engine", ["search", "database"])
def test_province_pages_keep_north_and_south_apart(app: Flask, factory: Any, monkeypatch: pytest.MonkeyPatch,
                                                  engine: str) -> None:
    if app.extensions.get("search") is None:
        pytest.skip("archive.search is not available yet")
    factory.testimony(title="From North Hamgyong")
    factory.testimony(title="From South Hamgyong", narrator=factory.narrator(origin_province="South Hamgyong"))
    factory.testimony(title="Mentions South Hamgyong", narrator=factory.narrator(origin_province="Ryanggang"),
                      summary="<p>Her aunt lived in 함경남도.</p>")
    factory.testimony(title="Through Changbai", narrator=factory.narrator(origin_province="Ryanggang"),
                      route=[{"country": "China", "place": "Changbai", "year": 2008, "event": "transit"}])
    if engine == "database":
        monkeypatch.setitem(app.extensions, "search", None)
    south = context.place_or_404("south-hamgyong")
    north = context.place_or_404("north-hamgyong")
    assert _titles(context.place_testimonies(south, None)) == {"From South Hamgyong", "Mentions South Hamgyong"}
    assert _titles(context.place_testimonies(north, None)) == {"From North Hamgyong"}


def test_only_provinces_and_camps_have_pages(app: Flask) -> None:
    from werkzeug.exceptions import NotFound
    assert context.place_or_404("north-hamgyong").kind == "province"
    for slug in ("china", "chongjin", "yanji", "nowhere"):
        with pytest.raises(NotFound):
            context.place_or_404(slug)


def test_place_index_groups_and_protects_counts(app: Flask, factory: Any) -> None:
    for _ in range(5):
        factory.testimony()
    factory.testimony(narrator=factory.narrator(origin_province="Ryanggang"))
    groups = dict(context.place_index())
    provinces = {e.place.slug: e.count for e in groups["Provinces and directly governed cities"]}
    camps = {e.place.slug for e in groups["Prison camps"]}
    assert provinces["north-hamgyong"] == 5
    assert provinces["ryanggang"] == "fewer than 5"
    assert provinces["jagang"] == 0
    assert camps == {"yodok-kwalliso-15", "kaechon-kwalliso-14", "hwasong-kwalliso-16", "chongori-kyohwaso-12"}


def test_count_labels() -> None:
    assert context.count_label(0, True) == "0 testimonies"
    assert context.count_label(3, True) == "fewer than 5 testimonies"
    assert context.count_label(1, False) == "1 testimony"
    assert context.count_label(7, True) == "7 testimonies"


def test_main_name_and_query() -> None:
    class P:
        name_en = "Yodok (Kwalliso 15)"
    assert context.main_name(P()) == "Yodok"  # type: ignore[arg-type]
    assert context.place_query(P()) == '"Yodok"'  # type: ignore[arg-type]

