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

from dataclasses import dataclass

# The fields a curator may choose to publish exactly (with the narrator's consent).
EXACT_FIELDS = ("birth_year", "home_place", "left_north_year", "arrived_south_year")
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
