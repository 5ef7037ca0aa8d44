"""Disclosure control for narrator profiles: which quasi-identifiers an audience sees, and how exactly.

The defector population is small (about 34,000 people) and North Korea's security services know who
left which town in which year, so a pseudonym is not enough: birth year, home town and the years of
leaving and arriving together can point at one family. Public and researcher profiles therefore show

- birth year          -> decade ("1970s")
- home town           -> home province only
- year left, arrived  -> five-year bands aligned on 0 and 5 ("2005–2009")
- occupation, education, residence -> the Ministry of Unification's categories (they are stored as such)

A curator may show an exact value only where the narrator consented to a detailed profile, and only
for the fields chosen (`Narrator.exact_fields`). Staff always see exact values.

`estimate` (below) says how many people in the whole defector population are expected to share the
combination an audience would be shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

# The fields a curator may choose to publish exactly (with the narrator's consent).
EXACT_FIELDS = ("birth_year", "home_place", "left_north_year", "arrived_south_year")
# How forms and messages name them.
EXACT_FIELD_LABELS = {"birth_year": _l("exact birth year"), "home_place": _l("home town"),
                      "left_north_year": _l("exact year left"), "arrived_south_year": _l("exact year arrived")}
BAND_YEARS = 5


@dataclass(frozen=True)
class Band:
    """A range of years shown instead of (or as) an exact year; `exact` when low == high was allowed."""

    low: int
    high: int
    exact: bool = False

    @property
    def label(self) -> str:
        """"2007", "2005–2009" or "1970s"."""
        if self.exact or self.low == self.high:
            return str(self.low)
        if self.high - self.low == 9 and self.low % 10 == 0:
            return f"{self.low}s"
        return f"{self.low}–{self.high}"

    @property
    def slug(self) -> str:
        """A stable token for URLs and facets ("2005-2009", "2007")."""
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"

    def contains(self, year: int) -> bool:
        return self.low <= year <= self.high

    def __str__(self) -> str:
        return self.label


def decade(year: int | None) -> Band | None:
    """The decade of a year ("1970s")."""
    if year is None:
        return None
    low = year // 10 * 10
    return Band(low, low + 9)


def five_years(year: int | None) -> Band | None:
    """The five-year band of a year, aligned on 0 and 5 ("2005–2009")."""
    if year is None:
        return None
    low = year // BAND_YEARS * BAND_YEARS
    return Band(low, low + BAND_YEARS - 1)


def exact(year: int | None) -> Band | None:
    return None if year is None else Band(year, year, exact=True)


def parse_band(token: str) -> Band | None:
    """Read a band slug back ("2005-2009", "2007", "1970s"); None when it is not one."""
    token = (token or "").strip()
    try:
        if token.endswith("s") and token[:-1].isdigit():
            low = int(token[:-1])
            return Band(low, low + 9)
        if "-" in token or "–" in token:
            low_s, high_s = token.replace("–", "-").split("-", 1)
            low, high = int(low_s), int(high_s)
        else:
            low = high = int(token)
    except ValueError:
        return None
    if not (1800 <= low <= high <= 2200):
        return None
    return Band(low, high, exact=low == high)


def allowed_exact(narrator: object) -> frozenset[str]:
    """The fields shown exactly to non-staff audiences: consent first, then the curator's choice."""
    if not getattr(narrator, "consent_detailed_profile", False):
        return frozenset()
    return frozenset(f for f in getattr(narrator, "exact_fields", []) if f in EXACT_FIELDS)


# ---------------------------------------------------------------------------------------- estimate
#
# How many people in the whole defector population share what an audience is shown: an expected count
# under independence, N_gender × Π share_gender(shown value), from the Ministry of Unification's tables
# (archive/data/statistics/, or an administrator's update of a table, which wins). See `estimate`.

DEFAULT_THRESHOLD = 50
EARLIEST_YEAR = 1945  # the open first arrivals row ("through 1998") is spread over 1945-1998
OPEN_AGE_SPAN = 20  # the open age group "60+" is spread as if over 60-79
# The bundled places carry no province, so the vocabulary cannot say how many towns a province has.
# North Korea has about 200 cities and counties in 13 provinces and directly governed cities: about 15
# each. A home town shown exactly counts as 1/15 of its province. For the border towns most defectors
# come from (Hyesan, Hoeryong, Musan hold far more than 1/15 of their provinces' defectors) that errs low,
# the safe side; for a small inland county it errs high, which is one reason the threshold is generous.
TOWNS_PER_PROVINCE = 15
GENDERED = ("male", "female")

FACTOR_FIELDS = ("gender", "arrived", "left", "birth", "age_group", "home_province", "home_place",
                 "occupation", "education", "residence")
TABLES = {"arrived": "arrivals_by_year", "left": "arrivals_by_year", "birth": "by_age_at_entry",
          "age_group": "by_age_at_entry", "home_province": "by_home_province", "home_place": "by_home_province",
          "occupation": "by_occupation_in_north", "education": "by_education", "residence": "by_residence_in_south"}


@dataclass(frozen=True)
class Factor:
    """One shown value and the share of the population (of the narrator's gender) that has it."""

    field: str
    label: str
    share: float
    value: object = None  # the shown Place, Category, Band or text, for labels in the interface language


@dataclass(frozen=True)
class Estimate:
    """The expected number of defectors who share a shown profile, and the factors that drive it."""

    expected: float
    population: int
    factors: list[Factor]
    threshold: int
    below: bool
    as_of: str = ""

    @property
    def rounded(self) -> int:
        """The expected count as a whole number of people (what pages show)."""
        return int(self.expected + 0.5)

    @property
    def as_of_text(self) -> str:
        """The statistics' "as of" date in the interface language."""
        from archive.statistics.figures import as_of_text

        return as_of_text(self.as_of)

    @property
    def towns_per_province(self) -> int:
        return TOWNS_PER_PROVINCE


def threshold_setting() -> int:
    """ARCHIVE_DISCLOSURE_THRESHOLD of the running app (50 outside one)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return int(current_app.config.get("DISCLOSURE_THRESHOLD", DEFAULT_THRESHOLD))
    return DEFAULT_THRESHOLD


def estimate(profile: Any, threshold: int | None = None, tables: dict[str, Any] | None = None) -> Estimate:
    """Estimate how many defectors share the combination `profile` (a protected.ProfileView) shows.

    The estimate is N × Π share, each share read from the official table of that field, conditional on
    the narrator's gender where the tables split by gender (every table does): N × share(gender) is the
    number of defectors of that gender (the arrivals table's total), and each further share is the
    gender's column of the table (a gender not recorded uses men and women together). Unknown values
    contribute no factor. The fields and their rules:

    - arrival: the arrivals of the shown year or band; a table row spanning several years contributes
      pro rata (the open "through 1998" row is spread over 1945-1998, which counts the 1990s low).
    - year left: no statistics of departures exist. Leaving and arriving are strongly correlated (most
      arrive within a year or two), so they are not two factors: the narrower of the two shown years or
      bands is used, arrivals standing in for departures (arrival wins a tie); only left shown: left.
    - age at entry (from the shown birth year or decade and the arrival year or band, and the age group
      if one is shown): the share of people born in the shown years given their arrival,
      Σ_a P(a | arrival shown) Σ_b density(a − b), with arrival years a weighted by the arrivals of each
      year and ages at entry spread evenly inside each age group of the table (density = share of the
      group / its width; "60+" over 20 years). An exact birth year and arrival year thus count 1/10 of
      their age group. An age group shown without a birth year counts its share; a shown age group also
      limits the sum to the ages inside it.
    - home province, occupation, education, residence in the South: the share of the value's row; a
      value the table does not list (Rason, Kaesong, a category added later) counts as the table's
      smallest row, so the estimate errs low.
    - home town (only shown with consent): a further 1/TOWNS_PER_PROVINCE of the province (see there);
      none when the home place is the province itself (Pyongyang).

    `below` is true when the expected count is under the threshold (ARCHIVE_DISCLOSURE_THRESHOLD).
    """
    tables = tables if tables is not None else _tables()
    arrivals = tables["arrivals_by_year"]
    gender = profile.gender if profile.gender in GENDERED else None
    population = sum(_count(row, None) for row in arrivals.rows)
    factors: list[Factor] = []
    if gender is not None:
        group = sum(_count(row, gender) for row in arrivals.rows)
        factors.append(Factor("gender", gender, group / population if population else 0.0, gender))
    yearly = _yearly(arrivals, gender)
    total = sum(yearly.values())
    # Arrival, or departure standing in for it: whichever is narrower.
    when_field, when = _arrival_band(profile)
    if when is not None:
        shown = sum(n for year, n in yearly.items() if when.contains(year))
        factors.append(Factor(when_field, when.label, shown / total if total else 0.0, when))
    age = _age_factor(profile, tables["by_age_at_entry"], yearly, when, gender)
    if age is not None:
        factors.append(age)
    province_share = None
    if profile.home_province is not None:
        province_share = _row_share(tables["by_home_province"], profile.home_province, gender)
        factors.append(Factor("home_province", profile.home_province.name_en, province_share,
                              profile.home_province))
    place = getattr(profile, "home_place", None)
    if place is not None and (profile.home_province is None or place.id != profile.home_province.id) \
            and place.kind != "province":
        factors.append(Factor("home_place", place.name_en, 1 / TOWNS_PER_PROVINCE, place))
    for name in ("occupation", "education", "residence"):
        category = getattr(profile, name)
        if category is not None:
            factors.append(Factor(name, category.label_en, _row_share(tables[TABLES[name]], category, gender),
                                  category))
    expected = float(population)
    for factor in factors:
        expected *= factor.share
    limit = threshold_setting() if threshold is None else threshold
    factors.sort(key=lambda f: (f.share, FACTOR_FIELDS.index(f.field)))
    return Estimate(expected=expected, population=population, factors=factors, threshold=limit,
                    below=expected < limit, as_of=str(getattr(arrivals, "as_of", "")))


def _tables() -> dict[str, Any]:
    """The current tables (an administrator's update wins over the bundled CSV)."""
    from archive.statistics.figures import current_table  # services import this package

    return {key: current_table(key) for key in set(TABLES.values())}


def _count(row: dict[str, Any], gender: str | None) -> int:
    if gender is None:
        return int(row.get("male") or 0) + int(row.get("female") or 0)
    return int(row.get(gender) or 0)


def _yearly(arrivals: Any, gender: str | None) -> dict[int, float]:
    """Arrivals per year; a row spanning several years is spread evenly over them."""
    years: dict[int, float] = {}
    for row in arrivals.rows:
        last = int(row["last_year"])
        first = int(row["first_year"]) if row.get("first_year") is not None else min(EARLIEST_YEAR, last)
        per_year = _count(row, gender) / (last - first + 1)
        for year in range(first, last + 1):
            years[year] = years.get(year, 0.0) + per_year
    return years


def _arrival_band(profile: Any) -> tuple[str, Band | None]:
    arrived, left = profile.arrived, profile.left
    if arrived is None:
        return ("left", left) if left is not None else ("arrived", None)
    if left is not None and left.high - left.low < arrived.high - arrived.low:
        return "left", left
    return "arrived", arrived


def _age_groups(table: Any, gender: str | None) -> list[tuple[str, int, int, float]]:
    """(label, first age, last age, share) of each age group at entry; the open group runs on."""
    total = sum(_count(row, gender) for row in table.rows) or 1
    groups = []
    for row in table.rows:
        name = str(row["category"]).strip()
        share = _count(row, gender) / total
        if name.endswith("+"):
            low = int(name[:-1])
            groups.append((name, low, low + OPEN_AGE_SPAN - 1, share))
        else:
            low_s, high_s = name.replace("–", "-").split("-", 1)
            groups.append((name, int(low_s), int(high_s), share))
    return groups


def _age_factor(profile: Any, table: Any, yearly: dict[int, float], when: Band | None,
                gender: str | None) -> Factor | None:
    groups = _age_groups(table, gender)
    shown_group = next((g for g in groups if g[0] == profile.age_group), None) if profile.age_group else None
    birth = profile.birth
    if birth is None:
        if shown_group is None:
            return None
        return Factor("age_group", shown_group[0], shown_group[3], shown_group[0])
    oldest = max(g[1] for g in groups)

    def density(age: int) -> float:
        if age < 0:
            return 0.0
        for name, low, high, share in groups:
            inside = low <= age <= high or (low == oldest and age >= low)
            if inside:
                if shown_group is not None and name != shown_group[0]:
                    return 0.0
                return share / (high - low + 1)
        return 0.0

    arrivals = {year: n for year, n in yearly.items() if when is None or when.contains(year)}
    weight = sum(arrivals.values())
    if weight <= 0:  # no recorded arrivals in the band: weigh its years alike
        arrivals = {year: 1.0 for year in range(when.low, when.high + 1)} if when is not None else {}
        weight = float(len(arrivals))
    share = sum(n / weight * sum(density(year - born) for born in range(birth.low, birth.high + 1))
                for year, n in arrivals.items()) if weight else 0.0
    label = birth.label if shown_group is None else f"{birth.label} · {shown_group[0]}"
    return Factor("birth", label, share, birth)


def _row_share(table: Any, term: Any, gender: str | None) -> float:
    """The share of a province or category in its table; a value not listed counts as the smallest row."""
    total = sum(_count(row, gender) for row in table.rows)
    if not total:
        return 0.0
    wanted = {_slug(getattr(term, "slug", "")), _slug(getattr(term, "name_en", "") or getattr(term, "label_en", ""))}
    for row in table.rows:
        if _slug(str(row["category"])) in wanted:
            return _count(row, gender) / total
    return min(_count(row, gender) for row in table.rows) / total


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (value or "").casefold()).strip("-")
