"""Load and validate the Ministry of Unification statistics bundled with the archive.

(A little over 400 lines: one validator per column type, reported together with CSV line numbers.)

Pure module: no Flask, no database. Table metadata (titles, source, "as of" date, column
types) comes from ``data/statistics/datasets.json``; every CSV is validated on load and all
problems are reported together with their CSV line numbers.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, cast

STATISTICS_DIR = Path(__file__).resolve().parent.parent / "data" / "statistics"
ARRIVALS = "arrivals_by_year"
MIN_YEAR, MAX_YEAR = 1950, 2100

_INTEGER = re.compile(r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+", re.ASCII)  # "2914" or "2,914"
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_PERIOD = re.compile(r"(?:(?P<through>through) )?(?P<first>[0-9]{4})(?:[-–](?P<last>[0-9]{4}))?", re.ASCII)

Row = dict[str, object]
Numbered = list[tuple[int | None, Row]]  # (CSV line, row); None for rows not from the CSV


@dataclass
class Table:
    """One validated statistics table."""

    key: str
    title: str
    source: str
    as_of: str
    columns: list[str]
    rows: list[Row]
    title_ko: str = ""
    unit: str = ""
    source_ko: str = ""  # the source described in Korean (the ministry as 통일부); titles of works stay as published


class DatasetError(ValueError):
    """A CSV failed validation; ``problems`` holds (line number or None, message) pairs."""

    def __init__(self, problems: list[tuple[int | None, str]]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"line {line}: {msg}" if line else msg for line, msg in self.problems)


@dataclass
class _Spec:
    """Metadata of one dataset as declared in datasets.json."""

    key: str
    file: str
    title: str
    title_ko: str
    source: str
    as_of: str
    unit: str
    key_column: str
    types: dict[str, str]
    optional: set[str] = field(default_factory=set)
    source_ko: str = ""


@cache
def _specs() -> dict[str, _Spec]:
    """Read datasets.json once."""
    document = json.loads((STATISTICS_DIR / "datasets.json").read_text(encoding="utf-8"))
    specs = {}
    for item in document["datasets"]:
        specs[item["key"]] = _Spec(
            key=item["key"], file=item["file"], title=item["title_en"], title_ko=item["title_ko"],
            source=item["source"], as_of=item["as_of"], unit=item["unit"], key_column=item["key_column"],
            types={c["name"]: c["type"] for c in item["columns"]},
            optional={c["name"] for c in item["columns"] if c.get("optional")}, source_ko=item.get("source_ko", ""),
        )
    return specs


def dataset_keys() -> list[str]:
    """Return the keys of all bundled tables in datasets.json order."""
    return list(_specs())


def load_table(key: str, text: str | None = None) -> Table:
    """Load and validate one table from its bundled CSV, or from ``text`` if given."""
    spec = _spec(key)
    if text is None:
        text = (STATISTICS_DIR / spec.file).read_text(encoding="utf-8")
    numbered, problems = _parse(spec, text)
    problems += _check_table(spec, numbered, complete=not problems)
    if problems:
        raise DatasetError(sorted(problems, key=lambda p: p[0] or 0))
    return _table(spec, [row for _, row in numbered])


def load_all() -> dict[str, Table]:
    """Load every bundled table, keyed as in datasets.json."""
    return {key: load_table(key) for key in _specs()}


def validate_arrivals_csv_upload(text: str, existing: Table) -> Table:
    """Merge an administrator's arrivals CSV into ``existing`` and return the validated result.

    The upload has the same columns and row checks as the bundled file and may hold any
    subset of periods. A row whose years equal an existing period's years replaces it (a
    revision; the existing period label is kept, and a blank note keeps the existing note).
    Any other row is new and must not overlap an existing period. After merging, periods
    must run without gaps or overlaps; only the first may be open-ended ("through 1998").
    """
    spec = _spec(ARRIVALS)
    uploaded, problems = _parse(spec, text)
    problems += _check_duplicates(spec, uploaded) + _check_labels(uploaded)
    if problems:
        raise DatasetError(sorted(problems, key=lambda p: p[0] or 0))
    merged: Numbered = [(None, dict(row)) for row in existing.rows]
    by_span = {_span(row): index for index, (_, row) in enumerate(merged)}
    for line, row in uploaded:
        index = by_span.get(_span(row))
        if index is not None:
            old = merged[index][1]
            merged[index] = (line, {**row, "period": old["period"], "note": row["note"] or old.get("note")})
            continue
        clash = next((old for _, old in merged if _overlaps(_span(old), _span(row))), None)
        if clash is not None:
            problems.append((line, f"period {row['period']} overlaps the existing period {clash['period']};"
                                   " to revise a period, upload it with exactly the same years"))
        else:
            merged.append((line, row))
    if problems:
        raise DatasetError(problems)
    merged.sort(key=lambda item: _span(item[1]))
    problems = _check_periods(merged)
    if problems:
        raise DatasetError(problems)
    rows = [row for _, row in merged]
    as_of = existing.as_of
    old_last = max((_int(r, "last_year") for r in existing.rows), default=0)
    new_last = _int(rows[-1], "last_year")
    if new_last > old_last:
        as_of = f"end of {new_last}"
    return replace(existing, rows=rows, as_of=as_of, columns=list(existing.columns))


def arrivals_changes(existing: Table, updated: Table) -> list[str]:
    """Describe what an upload changes, one line per added or revised period."""
    before = {_span(row): row for row in existing.rows}
    changes = []
    for row in updated.rows:
        old = before.get(_span(row))
        counts = f"{row['total']:,} ({row['male']:,} men, {row['female']:,} women)"
        if old is None:
            changes.append(f"{row['period']} added: {counts}")
        elif any(old[c] != row[c] for c in ("male", "female", "total")):
            changes.append(f"{row['period']} revised: {old['total']:,} ({old['male']:,} men, "
                           f"{old['female']:,} women) -> {counts}")
    return changes


def arrivals_total(table: Table, *, through: int | None = None) -> int:
    """Return the cumulative number of arrivals, optionally only up to the end of ``through``."""
    total = 0
    for row in table.rows:
        first, last = _span(row)
        if through is None or last <= through:
            total += _int(row, "total")
        elif first <= through:
            raise ValueError(f"{through} falls inside the period {row['period']}")
    return total


def peak_year(table: Table) -> tuple[int, int]:
    """Return (year, arrivals) of the busiest single year; the earliest wins a tie."""
    singles = [(_int(r, "last_year"), _int(r, "total")) for r in table.rows if r["first_year"] == r["last_year"]]
    if not singles:
        raise ValueError("the table has no single-year rows")
    return max(singles, key=lambda item: (item[1], -item[0]))


def period_note(row: Row) -> str | None:
    """Explain an arrivals row that is not a single year ("cumulative total through 1998")."""
    first, last = row.get("first_year"), row.get("last_year")
    if first is None:
        return f"cumulative total through {last}"
    if first != last:
        span = cast(int, last) - cast(int, first) + 1
        words = {2: "two", 3: "three", 4: "four", 5: "five"}
        return f"{words.get(span, str(span))}-year period {first}–{last}"
    return None


def dump_csv(table: Table) -> str:
    """Write a table back to CSV text in its column order (blank for missing values)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if row.get(c) is None else f"{row[c]:g}" if isinstance(row[c], float)
                         else row[c] for c in table.columns])
    return buffer.getvalue()


def _spec(key: str) -> _Spec:
    """Return the metadata of a dataset or raise KeyError."""
    try:
        return _specs()[key]
    except KeyError:
        raise KeyError(f"unknown statistics table {key!r}") from None


def _table(spec: _Spec, rows: list[Row]) -> Table:
    """Wrap validated rows with their metadata."""
    return Table(key=spec.key, title=spec.title, source=spec.source, as_of=spec.as_of,
                 columns=list(spec.types), rows=rows, title_ko=spec.title_ko, unit=spec.unit,
                 source_ko=spec.source_ko)


def _parse(spec: _Spec, text: str) -> tuple[Numbered, list[tuple[int | None, str]]]:
    """Parse CSV text into typed rows, collecting header and per-row problems."""
    problems: list[tuple[int | None, str]] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except (StopIteration, csv.Error):
        return [], [(None, "the file is empty or not CSV")]
    header_line = reader.line_num
    for name in sorted({n for n in header if header.count(n) > 1}):
        problems.append((header_line, f"column {name!r} appears more than once"))
    for name in spec.types:
        if name not in header:
            problems.append((header_line, f"missing required column {name!r}"))
    for name in header:
        if name not in spec.types:
            problems.append((header_line, f"unexpected column {name!r}"))
    if problems:
        return [], problems
    numbered: Numbered = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append((line, f"unreadable CSV: {error}"))
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append((line, f"expected {len(header)} fields, found {len(cells)}"))
            continue
        row, row_problems = _typed_row(spec, dict(zip(header, (c.strip() for c in cells), strict=True)))
        problems.extend((line, message) for message in row_problems)
        if not row_problems:  # cross-row checks only ever see fully typed rows
            numbered.append((line, {name: row.get(name) for name in spec.types}))
    if not numbered and not problems:
        problems.append((None, "the file has no data rows"))
    return numbered, problems


def _typed_row(spec: _Spec, raw: dict[str, str]) -> tuple[Row, list[str]]:
    """Convert one row's strings by column type and check the row's own rules."""
    row: Row = {}
    problems = []
    for name, kind in spec.types.items():
        value = raw[name]
        if value == "":
            row[name] = None
            if name not in spec.optional:
                problems.append(f"{name} is empty")
            continue
        try:
            row[name] = _convert(kind, value)
        except ValueError as error:
            problems.append(f"{name} {error}")
    if all(isinstance(row.get(c), int) for c in ("male", "female", "total")):
        expected = _int(row, "male") + _int(row, "female")
        if row["total"] != expected:
            problems.append(f"total is {row['total']:,} but male + female = {expected:,}")
    first, last = row.get("first_year"), row.get("last_year")
    if isinstance(first, int) and isinstance(last, int) and first > last:
        problems.append(f"first_year {first} is after last_year {last}")
    active, employed = row.get("economic_activity_rate_pct"), row.get("employment_rate_pct")
    if isinstance(active, float) and isinstance(employed, float) and employed > active:
        problems.append(f"employment rate {employed:g}% exceeds economic activity rate {active:g}%")
    return row, problems


def _convert(kind: str, value: str) -> Any:
    """Return ``value`` converted to the column type, or raise ValueError with the reason."""
    if kind in ("label", "text"):
        return value
    if kind in ("count", "year"):
        if not _INTEGER.fullmatch(value):
            raise ValueError(f"{value!r} is not a whole number")
        number = int(value.replace(",", ""))
        if kind == "year" and not MIN_YEAR <= number <= MAX_YEAR:
            raise ValueError(f"{number} is outside {MIN_YEAR}-{MAX_YEAR}")
        return number
    if kind == "percent":
        if not _DECIMAL.fullmatch(value):
            raise ValueError(f"{value!r} is not a number")
        number = float(value)
        if not (math.isfinite(number) and 0 <= number <= 100):
            raise ValueError(f"{value} is outside 0-100")
        return number
    raise ValueError(f"has unknown type {kind!r} in datasets.json")


def _check_table(spec: _Spec, numbered: Numbered, *, complete: bool) -> list[tuple[int | None, str]]:
    """Check rules that span rows; order and period checks need every row to be ``complete``."""
    problems = _check_duplicates(spec, numbered)
    if spec.key == ARRIVALS:
        problems += _check_labels(numbered)
    if not complete:
        return problems
    if spec.types[spec.key_column] == "year":
        for (_, previous), (line, row) in zip(numbered, numbered[1:]):
            if _int(row, spec.key_column) <= _int(previous, spec.key_column):
                problems.append((line, f"{spec.key_column} {row[spec.key_column]} is not after "
                                       f"{previous[spec.key_column]}"))
    if spec.key == ARRIVALS:
        problems += _check_periods(numbered)
    return problems


def _check_duplicates(spec: _Spec, numbered: Numbered) -> list[tuple[int | None, str]]:
    """Report repeated values in the key column (and the Korean name column)."""
    problems: list[tuple[int | None, str]] = []
    for column in (spec.key_column, "category_ko"):
        if column not in spec.types:
            continue
        seen: dict[object, int | None] = {}
        for line, row in numbered:
            value = row[column]
            folded = value.casefold() if isinstance(value, str) else value
            if folded in seen:
                problems.append((line, f"duplicate {column} {value!r} (first on line {seen[folded]})"))
            else:
                seen[folded] = line
    return problems


def _check_labels(numbered: Numbered) -> list[tuple[int | None, str]]:
    """Check that each arrivals period label agrees with its first_year and last_year."""
    problems: list[tuple[int | None, str]] = []
    for line, row in numbered:
        match = _PERIOD.fullmatch(str(row["period"]))
        if match is None:
            problems.append((line, f"period {row['period']!r} should look like 2009, 1999-2001 or through 1998"))
            continue
        first, last = int(match["first"]), int(match["last"] or match["first"])
        expected = (None, first) if match["through"] and not match["last"] else (first, last)
        if match["through"] and match["last"]:
            problems.append((line, f"period {row['period']!r} should look like 2009, 1999-2001 or through 1998"))
        elif (row["first_year"], row["last_year"]) != expected:
            problems.append((line, f"period {row['period']!r} does not match first_year "
                                   f"{row['first_year'] or '(blank)'} and last_year {row['last_year']}"))
    return problems


def _check_periods(numbered: Numbered) -> list[tuple[int | None, str]]:
    """Check that arrivals periods are in order, contiguous and not overlapping."""
    problems: list[tuple[int | None, str]] = []
    for index, (line, row) in enumerate(numbered):
        if row["first_year"] is None and index > 0:
            problems.append((line, f"only the first period may be open-ended, not {row['period']!r}"))
        if index == 0:
            continue
        previous = numbered[index - 1][1]
        first = _span(row)[0]
        before = _int(previous, "last_year")
        where = f"period {row['period']}" if line else f"existing period {row['period']}"
        if first <= before:
            problems.append((line, f"{where} overlaps or precedes {previous['period']}"))
        elif first > before + 1:
            missing = f"{before + 1}" if first == before + 2 else f"{before + 1}-{first - 1}"
            problems.append((line, f"{where} leaves a gap after {previous['period']}: {missing} missing"))
    return problems


def _int(row: Row, name: str) -> int:
    """Return a whole-number cell of a validated row."""
    return cast(int, row[name])


def _span(row: Row) -> tuple[int, int]:
    """Return (first, last) years of an arrivals row; an open start counts as year 0."""
    first = row.get("first_year")
    return (0 if first is None else cast(int, first), _int(row, "last_year"))


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Tell whether two year spans share a year."""
    return a[0] <= b[1] and b[0] <= a[1]
