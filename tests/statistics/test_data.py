"""Tests for loading and validating the bundled Ministry of Unification statistics."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from archive.statistics.data import (
    STATISTICS_DIR,
    DatasetError,
    Table,
    arrivals_changes,
    arrivals_total,
    dataset_keys,
    dump_csv,
    load_all,
    load_table,
    peak_year,
    period_note,
    validate_arrivals_csv_upload,
)

SHARED = Path("/work/shared/data/statistics")
KEYS = ["arrivals_by_year", "by_age_at_entry", "by_education", "by_occupation_in_north",
        "by_home_province", "by_residence_in_south", "employment_rates"]
ARRIVALS_HEADER = "period,first_year,last_year,male,female,total,note"


def bundled_text(key: str) -> str:
    """Return the bundled CSV text of a table."""
    return (STATISTICS_DIR / f"{key}.csv").read_text(encoding="utf-8")


def replace_line(key: str, line: int, text: str) -> str:
    """Return the bundled CSV with one (1-based) line replaced."""
    lines = bundled_text(key).splitlines()
    lines[line - 1] = text
    return "\n".join(lines) + "\n"


def problems_of(key: str, text: str) -> list[tuple[int | None, str]]:
    """Load CSV text that must fail and return its problems."""
    with pytest.raises(DatasetError) as caught:
        load_table(key, text)
    return caught.value.problems


@pytest.fixture(scope="module")
def arrivals() -> Table:
    """The bundled arrivals table."""
    return load_table("arrivals_by_year")


# --- loading the bundled data ----------------------------------------------------------

def test_every_table_loads_with_metadata() -> None:
    tables = load_all()
    assert list(tables) == KEYS == dataset_keys()
    for key, table in tables.items():
        assert table.key == key
        assert table.rows
        assert table.title and table.title_ko and table.unit
        assert "Ministry of Unification" in table.source
        assert table.as_of
        assert table.columns == next(csv.reader([bundled_text(key).splitlines()[0]]))


@pytest.mark.parametrize("key", KEYS)
def test_values_equal_the_source_csv(key: str) -> None:
    table = load_table(key)
    raw = list(csv.DictReader(bundled_text(key).splitlines()))
    assert len(table.rows) == len(raw)
    for row, source in zip(table.rows, raw, strict=True):
        for column, text in source.items():
            value = row[column]
            if text == "":
                assert value is None
            elif isinstance(value, float):
                assert value == float(text)
            elif isinstance(value, int):
                assert value == int(text)
            else:
                assert value == text


@pytest.mark.parametrize("key", KEYS)
def test_bundled_copy_matches_shared_data(key: str) -> None:
    shared = SHARED / f"{key}.csv"
    if not shared.exists():
        pytest.skip("shared data directory not present")
    assert shared.read_text(encoding="utf-8") == bundled_text(key)


def test_typed_values_spot_checks() -> None:
    tables = load_all()
    by_period = {r["period"]: r for r in tables["arrivals_by_year"].rows}
    assert by_period["2009"] == {"period": "2009", "first_year": 2009, "last_year": 2009, "male": 662,
                                 "female": 2252, "total": 2914, "note": "peak year"}
    assert by_period["through 1998"]["first_year"] is None
    assert by_period["2002"]["note"] is None
    residence = {r["category"]: r for r in tables["by_residence_in_south"].rows}
    assert residence["Gyeonggi"] == {"category": "Gyeonggi", "category_ko": "경기도", "male": 2811, "female": 8320}
    rates = {r["year"]: r for r in tables["employment_rates"].rows}
    assert rates[2009]["unemployment_rate_pct"] == 13.7
    assert rates[2012]["employment_rate_pct"] == 50.0


def test_published_totals() -> None:
    tables = load_all()
    arrivals = tables["arrivals_by_year"]
    assert arrivals_total(arrivals) == 34_314
    assert arrivals_total(arrivals, through=2023) == 34_078
    assert arrivals_total(arrivals, through=1998) == 947
    assert sum(r["male"] for r in arrivals.rows) == 9_568
    assert sum(r["female"] for r in arrivals.rows) == 24_746
    residents = tables["by_residence_in_south"].rows
    assert sum(r["male"] + r["female"] for r in residents) == 31_383
    for key in ("by_age_at_entry", "by_education", "by_occupation_in_north"):
        assert sum(r["male"] + r["female"] for r in tables[key].rows) == 34_134
    assert sum(r["male"] + r["female"] for r in tables["by_home_province"].rows) == 33_821


def test_published_totals_in_metadata_match() -> None:
    document = json.loads((STATISTICS_DIR / "datasets.json").read_text(encoding="utf-8"))
    totals = {d["key"]: d["published_total"] for d in document["datasets"] if "published_total" in d}
    assert totals == {"arrivals_by_year": 34_314, "by_residence_in_south": 31_383}
    tables = load_all()
    for key, total in totals.items():
        assert sum(r["male"] + r["female"] for r in tables[key].rows) == total


def test_datasets_json_describes_every_csv() -> None:
    document = json.loads((STATISTICS_DIR / "datasets.json").read_text(encoding="utf-8"))
    files = sorted(p.name for p in STATISTICS_DIR.glob("*.csv"))
    assert sorted(d["file"] for d in document["datasets"]) == files
    for dataset in document["datasets"]:
        assert {"key", "title_en", "title_ko", "source", "as_of", "unit", "columns"} <= set(dataset)
        header = bundled_text(dataset["key"]).splitlines()[0].split(",")
        assert [c["name"] for c in dataset["columns"]] == header
        assert all(c["type"] in {"label", "text", "count", "year", "percent"} for c in dataset["columns"])


def test_source_md_names_source_and_dates() -> None:
    text = (STATISTICS_DIR / "SOURCE.md").read_text(encoding="utf-8")
    for needle in ("Ministry of Unification", "unikorea.go.kr", "j-clawson/nkdefector_project", "Yonhap",
                   "4 February 2025", "34,314", "31,383", "2008–2023", "end of 2024", "late 2024"):
        assert needle in text
    for key in KEYS:
        assert f"{key}.csv" in text


def test_peak_year_counts_single_years_only(arrivals: Table) -> None:
    assert peak_year(arrivals) == (2009, 2914)
    huge_period = Table(**{**arrivals.__dict__, "rows": [
        {**arrivals.rows[1], "male": 9000, "female": 9000, "total": 18000}, *arrivals.rows[2:]]})
    assert peak_year(huge_period) == (2009, 2914)


def test_arrivals_total_refuses_a_cut_inside_a_period(arrivals: Table) -> None:
    with pytest.raises(ValueError, match="1999-2001"):
        arrivals_total(arrivals, through=2000)


def test_period_notes(arrivals: Table) -> None:
    assert period_note(arrivals.rows[0]) == "cumulative total through 1998"
    assert period_note(arrivals.rows[1]) == "three-year period 1999–2001"
    assert [period_note(r) for r in arrivals.rows[2:]] == [None] * (len(arrivals.rows) - 2)


def test_dump_csv_round_trips() -> None:
    for key, table in load_all().items():
        assert load_table(key, dump_csv(table)) == table
    assert dump_csv(load_table("employment_rates")).splitlines()[5] == "2012,54.1,50,7.5"


def test_unknown_key() -> None:
    with pytest.raises(KeyError):
        load_table("no_such_table")


# --- validation: each kind of problem, with its line number -----------------------------

@pytest.mark.parametrize(("key", "line", "text", "message"), [
    ("arrivals_by_year", 4, "2002,2002,2002,510,632,1143,", "total is 1,143 but male + female = 1,142"),
    ("arrivals_by_year", 4, "2002,2002,2002,-510,632,122,", "male '-510' is not a whole number"),
    ("arrivals_by_year", 4, "2002,2002,2002,510.0,632,1142,", "male '510.0' is not a whole number"),
    ("arrivals_by_year", 4, "2002,2002,2002,abc,632,1142,", "male 'abc' is not a whole number"),
    ("arrivals_by_year", 4, "2002,2002,2002,٥١٠,632,1142,", "is not a whole number"),
    ("arrivals_by_year", 4, "2002,2002,2002,,632,632,", "male is empty"),
    ("arrivals_by_year", 4, "2002,2002,2002,510,632", "expected 7 fields, found 5"),
    ("arrivals_by_year", 2, "through 1949,,1949,831,116,947,", "1949 is outside 1950-2100"),
    ("arrivals_by_year", 26, "2101,2101,2101,26,210,236,", "2101 is outside 1950-2100"),
    ("arrivals_by_year", 3, "1999-2001,2001,1999,565,478,1043,", "first_year 2001 is after last_year 1999"),
    ("arrivals_by_year", 5, "2002,2002,2002,474,811,1285,", "duplicate period '2002' (first on line 4)"),
    ("arrivals_by_year", 5, "2004,2004,2004,474,811,1285,", "leaves a gap after 2002: 2003 missing"),
    ("arrivals_by_year", 4, "2002,2001,2002,510,632,1142,", "does not match first_year 2001"),
    ("arrivals_by_year", 4, "2001-2002,2001,2002,510,632,1142,", "overlaps or precedes 1999-2001"),
    ("arrivals_by_year", 4, "Y2002,2002,2002,510,632,1142,", "should look like 2009, 1999-2001 or through 1998"),
    ("by_education", 3, "preschool child,1,1", "duplicate category 'preschool child' (first on line 2)"),
    ("by_education", 3, ",1,1", "category is empty"),
    ("by_home_province", 3, "Ryanggang,함경북도,1,1", "duplicate category_ko '함경북도'"),
    ("employment_rates", 3, "2008,48.6,41.9,13.7", "duplicate year 2008"),
    ("employment_rates", 3, "2007,48.6,41.9,13.7", "year 2007 is not after 2008"),
    ("employment_rates", 3, "2009,100.5,41.9,13.7", "economic_activity_rate_pct 100.5 is outside 0-100"),
    ("employment_rates", 3, "2009,-1,41.9,13.7", "economic_activity_rate_pct '-1' is not a number"),
    ("employment_rates", 3, "2009,nan,41.9,13.7", "economic_activity_rate_pct 'nan' is not a number"),
    ("employment_rates", 3, "2009,48.6,1e1,13.7", "employment_rate_pct '1e1' is not a number"),
    ("employment_rates", 3, "2009,41.9,48.6,13.7", "employment rate 48.6% exceeds economic activity rate 41.9%"),
])
def test_validation_reports_problem_with_line(key: str, line: int, text: str, message: str) -> None:
    problems = problems_of(key, replace_line(key, line, text))
    assert any(where == line and message in what for where, what in problems), problems


@pytest.mark.parametrize(("header", "message"), [
    ("period,first_year,last_year,male,female,note", "missing required column 'total'"),
    (ARRIVALS_HEADER + ",extra", "unexpected column 'extra'"),
    ("period,first_year,last_year,male,male,female,total,note", "column 'male' appears more than once"),
])
def test_header_problems_are_on_line_one(header: str, message: str) -> None:
    problems = problems_of("arrivals_by_year", replace_line("arrivals_by_year", 1, header))
    assert (1, message) in problems


@pytest.mark.parametrize(("text", "message"), [
    ("", "the file is empty or not CSV"),
    (ARRIVALS_HEADER + "\n", "the file has no data rows"),
])
def test_empty_files(text: str, message: str) -> None:
    assert problems_of("arrivals_by_year", text) == [(None, message)]


def test_open_ended_period_only_first() -> None:
    text = f"{ARRIVALS_HEADER}\n1998,1998,1998,1,1,2,\nthrough 1999,,1999,1,1,2,\n"
    assert (3, "only the first period may be open-ended, not 'through 1999'") in problems_of("arrivals_by_year", text)


def test_all_problems_are_collected_in_line_order() -> None:
    lines = bundled_text("arrivals_by_year").splitlines()
    lines[3] = "2002,2002,2002,510,632,1,"  # line 4: bad total
    lines[9] = "2008,2008,2008,x,2195,2803,"  # line 10: not a number
    lines[14] = "2012,2012,2012,404,1098,1502,"  # line 15: duplicate period (first on line 14)
    with pytest.raises(DatasetError) as caught:
        load_table("arrivals_by_year", "\n".join(lines))
    assert [line for line, _ in caught.value.problems] == [4, 10, 15]
    message = str(caught.value).splitlines()
    assert message[0].startswith("line 4: total is 1 but")
    assert message[1].startswith("line 10: male 'x'")
    assert message[2] == "line 15: duplicate period '2012' (first on line 14)"
    assert isinstance(caught.value, ValueError)


def test_line_numbers_follow_multiline_fields() -> None:
    text = (f'{ARRIVALS_HEADER}\nthrough 1998,,1998,831,116,947,"a note\nover two lines"\n'
            "1999-2001,1999,2001,565,478,1,\n")
    assert problems_of("arrivals_by_year", text) == [(4, "total is 1 but male + female = 1,043")]


def test_tolerated_formatting() -> None:
    text = "\ufeff" + ARRIVALS_HEADER + "\r\n\r\n" + 'through 1998,,1998,831,116,947,\r\n1999–2001,1999,2001,565,478,"1,043", \r\n'
    table = load_table("arrivals_by_year", text)
    assert [r["total"] for r in table.rows] == [947, 1043]
    assert table.rows[1]["note"] is None


# --- admin upload of new arrivals figures ------------------------------------------------

def test_upload_appends_a_new_year(arrivals: Table) -> None:
    before = [dict(r) for r in arrivals.rows]
    updated = validate_arrivals_csv_upload(f"{ARRIVALS_HEADER}\n2025,2025,2025,40,200,240,provisional\n", arrivals)
    assert updated.rows[-1] == {"period": "2025", "first_year": 2025, "last_year": 2025, "male": 40,
                                "female": 200, "total": 240, "note": "provisional"}
    assert updated.rows[:-1] == arrivals.rows
    assert arrivals_total(updated) == 34_314 + 240
    assert updated.as_of == "end of 2025"
    assert arrivals.rows == before  # the existing table is left alone
    assert arrivals_changes(arrivals, updated) == ["2025 added: 240 (40 men, 200 women)"]


def test_upload_of_the_unchanged_table_is_a_no_op(arrivals: Table) -> None:
    updated = validate_arrivals_csv_upload(bundled_text("arrivals_by_year"), arrivals)
    assert updated == arrivals
    assert arrivals_changes(arrivals, updated) == []


def test_upload_revises_an_existing_period(arrivals: Table) -> None:
    text = f"{ARRIVALS_HEADER}\n1999–2001,1999,2001,566,478,1044,\n2023,2023,2023,33,164,197,revised\n"
    updated = validate_arrivals_csv_upload(text, arrivals)
    revised = {r["period"]: r for r in updated.rows}
    assert revised["1999-2001"]["total"] == 1044  # existing label kept
    assert revised["1999-2001"]["note"] == "three years combined in the published table"  # blank keeps note
    assert revised["2023"]["note"] == "revised"
    assert len(updated.rows) == len(arrivals.rows)
    assert updated.as_of == arrivals.as_of
    assert arrivals_changes(arrivals, updated) == [
        "1999-2001 revised: 1,043 (565 men, 478 women) -> 1,044 (566 men, 478 women)",
        "2023 revised: 196 (32 men, 164 women) -> 197 (33 men, 164 women)",
    ]


@pytest.mark.parametrize(("rows", "line", "message"), [
    (["2000,2000,2000,1,1,2,"], 2, "period 2000 overlaps the existing period 1999-2001"),
    (["2024-2025,2024,2025,1,1,2,"], 2, "period 2024-2025 overlaps the existing period 2024"),
    (["through 1997,,1997,1,1,2,"], 2, "overlaps the existing period through 1998"),
    (["2026,2026,2026,1,1,2,"], 2, "period 2026 leaves a gap after 2024: 2025 missing"),
    (["2025,2025,2025,1,1,2,", "2025,2025,2025,1,1,2,"], 3, "duplicate period '2025'"),
    (["2025,2025,2025,1,1,3,"], 2, "total is 3 but male + female = 2"),
    (["2025,2025,2024,1,1,2,"], 2, "first_year 2025 is after last_year 2024"),
    (["2025,2024,2025,1,1,2,"], 2, "period '2025' does not match first_year 2024"),
])
def test_upload_rejections(arrivals: Table, rows: list[str], line: int, message: str) -> None:
    with pytest.raises(DatasetError) as caught:
        validate_arrivals_csv_upload("\n".join([ARRIVALS_HEADER, *rows]) + "\n", arrivals)
    assert any(where == line and message in what for where, what in caught.value.problems), caught.value.problems


def test_upload_header_and_empty_problems(arrivals: Table) -> None:
    with pytest.raises(DatasetError) as caught:
        validate_arrivals_csv_upload("year,male,female\n2025,1,1\n", arrivals)
    assert (1, "missing required column 'period'") in caught.value.problems
    with pytest.raises(DatasetError) as caught:
        validate_arrivals_csv_upload(ARRIVALS_HEADER + "\n", arrivals)
    assert caught.value.problems == [(None, "the file has no data rows")]
