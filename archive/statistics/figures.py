"""Official statistics: current tables, the archive's own coverage, charts and admin updates.

The bundled CSV files are the default; a table saved by an administrator is stored in
``statistics_tables`` and wins from then on. Coverage counts (how many testimonies the archive
holds for a bar) always come from the anonymous audience, whoever is looking, and counts below
``SMALL_COUNT`` are shown only as "fewer than 5".
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast
from urllib.parse import urlencode

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from archive.formats.charts import Bar, bar_chart, data_table, line_chart
from archive.formats.csvsafe import defuse as _defused
from archive.core.extensions import db
from archive.core.i18n import current_locale, label
from archive.models import Category, Narrator, Place, Testimony
from archive.models.statistics import StatisticsTable
from archive.policy import access
from archive.core import audit
from archive.core.errors import ConflictError, DomainError
from archive.policy.small_counts import FEWER, shown, withheld
from archive.core.vocabulary import age_group, slugify
from archive.statistics.wording import (  # noqa: F401 - as_of_text, UNIT_LABELS: also read from here
    UNIT_LABELS, as_of_text, period_label, period_note, table_source, table_title, unit_label,
)
from archive.statistics.data import (
    ARRIVALS,
    Row,
    Table,
    arrivals_changes,
    arrivals_total,
    dataset_keys,
    dump_csv,
    load_table,
    peak_year,
    validate_arrivals_csv_upload,
)

COVERAGE_NAME = _l("Public testimonies in this archive")
EARLIEST_YEAR = 1945  # narrators' years are constrained to 1945-2100
SEX_LABELS = {"male": _l("men"), "female": _l("women")}


# --- who may edit ----------------------------------------------------------------------

def can_edit_statistics(user: Any) -> bool:
    """Only active administrators change the official statistics (the access policy decides)."""
    return access.can_administer(user)


# --- current tables --------------------------------------------------------------------

def current_table(key: str) -> Table:
    """The table as an admin last saved it, or the bundled CSV when it was never edited."""
    row = db.session.scalar(select(StatisticsTable).where(StatisticsTable.key == key))
    if row is None:
        return load_table(key)
    return replace(load_table(key, row.csv_text), as_of=row.as_of)


def all_tables() -> dict[str, Table]:
    """Every current table, in datasets.json order."""
    return {key: current_table(key) for key in dataset_keys()}


def last_update(key: str) -> StatisticsTable | None:
    """The stored row of an admin-edited table (who saved it and when), if any."""
    return db.session.scalar(select(StatisticsTable).where(StatisticsTable.key == key))


def fingerprint(table: Table) -> str:
    """A short hash of a table's content, to notice a change between preview and confirmation."""
    return hashlib.sha256(f"{table.as_of}\n{dump_csv(table)}".encode()).hexdigest()[:32]


def safe_csv(table: Table) -> str:
    """The table as CSV whose cells cannot start a spreadsheet formula (prefixed with ').

    It starts with a byte order mark so that spreadsheets read the Hangul names as UTF-8.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_defused(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_defused(_cell(row.get(c))) for c in table.columns])
    return buffer.getvalue()


def _cell(value: object) -> str:
    """Format a value as dump_csv does: blank for missing, 13.7 and 50 for percentages."""
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


# --- admin updates of the arrivals table -----------------------------------------------

@dataclass
class ArrivalsPreview:
    """What an upload would change, for the confirmation step."""

    table: Table
    changes: list[str]
    csv_text: str
    base: str


def year_csv(year: int, male: int, female: int, note: str = "") -> str:
    """Turn the one-year form into an upload of one arrivals row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["period", "first_year", "last_year", "male", "female", "total", "note"])
    writer.writerow([year, year, year, male, female, male + female, note.strip()])
    return buffer.getvalue()


def preview_arrivals(text: str) -> ArrivalsPreview:
    """Validate an upload against the current arrivals table; raise DatasetError with line numbers."""
    current = current_table(ARRIVALS)
    updated = validate_arrivals_csv_upload(text, current)
    return ArrivalsPreview(table=updated, changes=arrivals_changes(current, updated), csv_text=text,
                           base=fingerprint(current))


def save_arrivals(text: str, base: str, actor: Any = None) -> ArrivalsPreview:
    """Apply a confirmed upload, provided the table has not changed since it was previewed."""
    preview = preview_arrivals(text)  # validated again: the confirmation form is input like any other
    if preview.base != base:
        raise ConflictError(_("The arrivals table was changed by someone else after your preview. "
                              "Nothing was saved; please upload the file again."), [])
    if not preview.changes:
        raise DomainError(_("The upload does not change any figures; nothing was saved."))
    row = last_update(ARRIVALS) or StatisticsTable(key=ARRIVALS)
    row.csv_text = dump_csv(preview.table)
    row.as_of = preview.table.as_of
    row.updated_by_id = getattr(actor if actor is not None else audit.current_actor(), "id", None)
    db.session.add(row)
    db.session.flush()
    audit.record("statistics.update", row, {"table": ARRIVALS, "changes": preview.changes,
                                            "as_of": preview.table.as_of}, actor=actor)
    db.session.commit()
    return preview


# --- the archive's own coverage (anonymous audience only) ----------------------------

def coverage_by_arrival_year() -> dict[int, int]:
    """Public testimonies per narrator's year of arrival in the South."""
    query = (select(Narrator.arrived_south_year, func.count(func.distinct(Testimony.id)))
             .join(Narrator, Testimony.narrator_id == Narrator.id)
             .where(access.visible_filter(None), Narrator.arrived_south_year.is_not(None))
             .group_by(Narrator.arrived_south_year))
    return {int(year): int(n) for year, n in db.session.execute(query)}


def coverage_by_province() -> dict[str, int]:
    """Public testimonies per narrator's home province (place slug)."""
    query = (select(Place.slug, func.count(func.distinct(Testimony.id)))
             .join(Narrator, Testimony.narrator_id == Narrator.id)
             .join(Place, Narrator.origin_province_id == Place.id)
             .where(access.visible_filter(None)).group_by(Place.slug))
    return {slug: int(n) for slug, n in db.session.execute(query)}


def coverage_by_category(scheme: str) -> dict[str, int]:
    """Public testimonies per occupation, education or residence category slug."""
    column = {"occupation": Narrator.occupation_id, "education": Narrator.education_id,
              "residence": Narrator.residence_region_id}[scheme]
    query = (select(Category.slug, func.count(func.distinct(Testimony.id)))
             .join(Narrator, Testimony.narrator_id == Narrator.id)
             .join(Category, column == Category.id)
             .where(access.visible_filter(None), Category.scheme == scheme).group_by(Category.slug))
    return {slug: int(n) for slug, n in db.session.execute(query)}


def coverage_by_age() -> dict[str, int]:
    """Public testimonies per age band at arrival in the South."""
    query = (select(Narrator.birth_year, Narrator.arrived_south_year)
             .join(Testimony, Testimony.narrator_id == Narrator.id).where(access.visible_filter(None)))
    counts: dict[str, int] = {}
    for born, arrived in db.session.execute(query):
        band = age_group(arrived - born) if born is not None and arrived is not None else None
        if band:
            counts[band] = counts.get(band, 0) + 1
    return counts


def protected(count: int) -> tuple[int | None, str | None]:
    """(overlay value, overlay label) for a chart: counts from 1 to 4 are withheld."""
    return (None, str(FEWER)) if withheld(count) else (count, None)


def search_url(facet: str, value: str) -> str:
    """The search page filtered on one facet value."""
    return "/search?" + urlencode({facet: value})


# --- charts ---------------------------------------------------------------------------

@dataclass
class Chart:
    """One chart of the statistics page with its data table and download."""

    key: str
    title: str
    title_ko: str
    source: str
    as_of: str
    svg: Markup
    table: Markup
    intro: str = ""
    source_lang: str = "en"

    @property
    def title_en(self) -> str:
        """The English title (``label(chart)`` picks the interface language)."""
        return self.title


@dataclass
class _BarSpec:
    key: str
    chart_id: str
    facet: str
    x_label: Any
    label_header: Any
    horizontal: bool
    intro: Any
    intro_undrawn: Any = None  # the intro when no count is exact enough to draw (see charts.bar_chart)


_BAR_SPECS = [
    _BarSpec(ARRIVALS, "arrivals", "arrived", _l("Year of arrival"), _l("Period"), False,
             _l("Each bar links to the testimonies of people who arrived in that period; the diamonds show how many "
                "public testimonies the archive holds for it, on the scale at the right."),
             _l("Each bar links to the testimonies of people who arrived in that period. The archive's public "
                "testimonies per period are listed in the table below the chart: too few so far to draw on a "
                "second scale.")),
    _BarSpec("by_age_at_entry", "age", "age", _l("Age at entry (years)"), _l("Age at entry"), False,
             _l("Age when entering South Korea, all arrivals to date.")),
    _BarSpec("by_occupation_in_north", "occupation", "occupation", _l("Occupation in the North"), _l("Occupation"),
             True, _l("Occupation in North Korea, all arrivals to date.")),
    _BarSpec("by_education", "education", "education", _l("Education completed in the North"), _l("Education"),
             True, _l("Highest education completed in North Korea, all arrivals to date.")),
    _BarSpec("by_home_province", "province", "province", _l("Home province"), _l("Home province"), True,
             _l("Home province in North Korea, all arrivals to date; the diamonds show the archive's public "
                "testimonies from each province."),
             _l("Home province in North Korea, all arrivals to date; the archive's public testimonies from each "
                "province are listed in the table below the chart.")),
    _BarSpec("by_residence_in_south", "residence", "residence", _l("Region of residence"), _l("Region"), True,
             _l("Where defectors live in South Korea now.")),
]


def _arrivals_filter(row: Row) -> str:
    """The search filter value of an arrivals period: 2009, 1999-2001 or 1945-1998."""
    first, last = row["first_year"], row["last_year"]
    if first is None:
        return f"{EARLIEST_YEAR}-{last}"
    return str(first) if first == last else f"{first}-{last}"


def _arrivals_count(coverage: dict[int, int]) -> Callable[[Row], int]:
    def count(row: Row) -> int:
        first = cast(int | None, row["first_year"]) or EARLIEST_YEAR
        last = cast(int, row["last_year"])
        return sum(n for year, n in coverage.items() if first <= year <= last)
    return count


def _coverage_for(spec: _BarSpec) -> tuple[Callable[[Row], str], Callable[[Row], int]]:
    """How to find a row's search value and its public testimony count."""
    if spec.key == ARRIVALS:
        return _arrivals_filter, _arrivals_count(coverage_by_arrival_year())
    if spec.facet == "age":
        ages = coverage_by_age()
        return (lambda row: str(row["category"])), (lambda row: ages.get(str(row["category"]), 0))
    counts = coverage_by_province() if spec.facet == "province" else coverage_by_category(spec.facet)
    return (lambda row: slugify(str(row["category"]))), (lambda row: counts.get(slugify(str(row["category"])), 0))


def _bar_chart(spec: _BarSpec, table: Table) -> Chart:
    value_of, count_of = _coverage_for(spec)
    bars, rows, links = [], [], []
    arrivals = spec.key == ARRIVALS
    korean_ui = current_locale() == "ko"
    as_of = as_of_text(table.as_of)
    # The category in the interface language, and the other language beside it in the table.
    bilingual = not arrivals and ("category_ko" in table.columns or (korean_ui and any(
        label(row) != row["category"] for row in table.rows)))
    for row in table.rows:
        label_text = period_label(str(row["period"])) if arrivals else label(row)
        count = count_of(row)
        overlay, overlay_label = protected(count)
        href = search_url(spec.facet, value_of(row))
        note = period_note(row) if arrivals else None
        bars.append(Bar(label_text, {"male": float(cast(int, row["male"])), "female": float(cast(int, row["female"]))},
                        href=href, note=note, overlay=overlay, overlay_label=overlay_label))
        cells: list[object] = [label_text]
        if bilingual:
            cells.append(row["category"] if korean_ui else row.get("category_ko") or "")
        male, female = cast(int, row["male"]), cast(int, row["female"])
        cells += [male, female, male + female]
        if arrivals:
            cells.append(row["note"] or "")
        cells.append(shown(count))
        rows.append(cells)
        links.append(href)
    other_column = _("English") if korean_ui else _("Korean")
    # The other language's names, and the published notes (English), carry their own lang.
    column_lang = {1: "en" if korean_ui else "ko"} if bilingual else {}
    if arrivals and korean_ui:
        column_lang[4] = "en"
    header = [str(spec.label_header)] + ([other_column] if bilingual else [])
    header += [_("Men"), _("Women"), _("Total")] + ([_("Note")] if arrivals else []) + [str(COVERAGE_NAME)]
    title = table_title(table)
    svg = bar_chart(spec.chart_id, title, bars, series=list(SEX_LABELS),
                    series_labels={key: str(name) for key, name in SEX_LABELS.items()},
                    x_label=str(spec.x_label), y_label=_("Number of %(unit)s", unit=unit_label(table.unit)),
                    horizontal=spec.horizontal, source=table_source(table)[0], as_of=as_of,
                    overlay_name=str(COVERAGE_NAME), unit=unit_label(table.unit))
    caption = _("%(title)s (as of %(as_of)s), with the archive's public testimonies", title=title, as_of=as_of)
    drawn = any(bar.overlay for bar in bars)
    intro = spec.intro if drawn or spec.intro_undrawn is None else spec.intro_undrawn
    source, source_lang = table_source(table)
    return Chart(table.key, table.title, table.title_ko, source, as_of, svg,
                 data_table(spec.chart_id, caption, header, rows, links=links, column_lang=column_lang), str(intro),
                 source_lang)


def _employment_chart(table: Table) -> Chart:
    columns = {"economic_activity_rate_pct": _("Economic activity rate"), "employment_rate_pct": _("Employment rate"),
               "unemployment_rate_pct": _("Unemployment rate")}
    years = [cast(int, r["year"]) for r in table.rows]
    series = {label: [cast(float | None, r[c]) for r in table.rows] for c, label in columns.items()}
    title, as_of = table_title(table), as_of_text(table.as_of)
    svg = line_chart("employment", title, years, series, x_label=_("Survey year"), y_label=_("Percent"),
                     source=table_source(table)[0], as_of=as_of, unit="%")
    rows: list[list[object]] = [[str(r["year"]), *(r[c] for c in columns)] for r in table.rows]
    caption = _("%(title)s (as of %(as_of)s), percent", title=title, as_of=as_of)
    intro = _("The unemployment rate is a share of the economically active; the other two rates are shares of the "
              "working-age population.")
    source, source_lang = table_source(table)
    return Chart(table.key, table.title, table.title_ko, source, as_of, svg,
                 data_table("employment", caption, [_("Year"), *(f"{label} (%)" for label in columns.values())], rows),
                 intro, source_lang)


@dataclass
class StatisticsPage:
    """Everything the statistics page shows."""

    charts: list[Chart]
    arrivals_total: int
    peak: tuple[int, int]
    arrivals_as_of: str


def statistics_page() -> StatisticsPage:
    """Build every chart from the current tables and the anonymous coverage counts."""
    tables = all_tables()
    charts = [_bar_chart(spec, tables[spec.key]) for spec in _BAR_SPECS]
    charts.append(_employment_chart(tables["employment_rates"]))
    arrivals = tables[ARRIVALS]
    return StatisticsPage(charts=charts, arrivals_total=arrivals_total(arrivals), peak=peak_year(arrivals),
                          arrivals_as_of=as_of_text(arrivals.as_of))
