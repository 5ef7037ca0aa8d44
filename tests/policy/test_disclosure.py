"""Disclosure control: generalised profiles and the population estimate, checked against hand arithmetic.

Every expected figure below is written out from the rows of the bundled CSV files in
archive/data/statistics/ (the numbers are copied from them), so a change in the estimate's rules or in
the data shows up here.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from flask import Flask

from archive.config import build_config
from archive.core.extensions import db
from archive.models import Narrator
from archive.policy import disclosure, protected
from archive.policy.disclosure import Band
from archive.statistics import figures as statistics

# Totals of the bundled tables, by gender (arrivals_by_year.csv: 9,568 men and 24,746 women, 34,314 in all).
N_MALE, N_FEMALE, N_ALL = 9568, 24746, 34314
# by_home_province.csv, the female column: 15080+4541+2127+358+662+512+210+381+288+169+93.
PROVINCE_FEMALE = 24421
# by_home_province.csv, the male column: 4861+1563+779+509+466+379+276+225+186+79+77.
PROVINCE_MALE = 9400
# by_age_at_entry.csv, the female column: 646+2113+7021+7638+4679+1489+1004.
AGE_FEMALE = 24590
# by_occupation_in_north.csv, the male column: 416+725+4204+3219+94+84+243+559.
OCCUPATION_MALE = 9544
# by_education.csv, men and women together: (419+135+806+5769+863+1149+361+42) + (405+220+1520+17873+2718+1233+516+105).
EDUCATION_ALL = 9544 + 24590
# by_residence_in_south.csv, men and women together: 7932 + 23451 (31,383 residents).
RESIDENCE_ALL = 7932 + 23451
# Female arrivals 2005, 2006, 2007, 2008, 2009.
FEMALE_2005_2009 = 960 + 1513 + 1981 + 2195 + 2252


def narrator(factory: Any, **values: Any) -> Narrator:
    data = {"gender": "female", "birth_year": "", "origin_province": "", "left_north_year": "",
            "arrived_south_year": ""}
    data.update(values)
    return factory.narrator(**data)


def shares(estimate: disclosure.Estimate) -> dict[str, float]:
    return {f.field: f.share for f in estimate.factors}


# ---------------------------------------------------------------------------------------- estimate


def test_female_arrived_2005_2009_from_north_hamgyong(app: Flask, factory: Any) -> None:
    n = narrator(factory, origin_province="North Hamgyong", arrived_south_year=2007)
    estimate = protected.estimate_for(n)
    # N_female × share(arrivals 2005–2009 | female) × share(North Hamgyong | female)
    expected = N_FEMALE * (FEMALE_2005_2009 / N_FEMALE) * (15080 / PROVINCE_FEMALE)
    assert estimate.expected == pytest.approx(expected)  # about 5,496 women
    assert round(estimate.expected) == 5496
    assert estimate.population == N_ALL
    assert shares(estimate) == pytest.approx({"gender": N_FEMALE / N_ALL, "arrived": FEMALE_2005_2009 / N_FEMALE,
                                              "home_province": 15080 / PROVINCE_FEMALE})
    assert [f.field for f in estimate.factors] == ["arrived", "home_province", "gender"]  # narrowest first
    assert [f.label for f in estimate.factors] == ["2005–2009", "North Hamgyong", "female"]
    assert (estimate.threshold, estimate.below) == (50, False)


def test_exact_years_with_consent_and_rows_spanning_several_years(app: Flask, factory: Any) -> None:
    n = narrator(factory, gender="male", arrived_south_year=2000, consent_detailed_profile=True,
                 exact_fields=["arrived_south_year"])
    # 1999-2001 row: 565 men over three years, one third of them in 2000.
    assert protected.estimate_for(n).expected == pytest.approx(N_MALE * (565 / 3) / N_MALE)
    # Without consent the band 2000–2004: 565/3 × 2 (2000, 2001) + 510 + 474 + 626.
    n.consent_detailed_profile = False
    assert protected.estimate_for(n).expected == pytest.approx(565 / 3 * 2 + 510 + 474 + 626)


def test_open_first_arrivals_row_is_spread_from_1945(app: Flask, factory: Any) -> None:
    n = narrator(factory, arrived_south_year=1996)
    # Band 1995–1999: four years of "through 1998" (116 women spread over 1945–1998, 54 years) and one
    # third of 1999–2001 (478 women).
    assert protected.estimate_for(n).expected == pytest.approx(116 * 4 / 54 + 478 / 3)


def test_birth_decade_arrival_band_and_age_group(app: Flask, factory: Any) -> None:
    n = narrator(factory, birth_year=1980, arrived_south_year=2009)
    shown = protected.profile_view(n, "public")
    # Born in the 1980s and arrived in 2005–2009: aged 16 to 29, so the public sees no age group...
    assert (shown.birth.label, shown.arrived.label, shown.age_group) == ("1980s", "2005–2009", None)
    # ...but the estimate is asked of any profile; here, one that also shows the age group.
    view = dataclasses.replace(shown, age_group="20-29")
    estimate = disclosure.estimate(view)
    # Born 1980–1989 and aged 20–29 at entry: of the 10 birth years, 6 give an age of 20-29 when arriving in
    # 2005 (ages 20..25), 7 in 2006, 8 in 2007, 9 in 2008 and 10 in 2009. Ages spread evenly in the group:
    # each age holds 7021/24590/10 of the women. Arrival years weighted by the women arriving in each.
    per_age = 7021 / AGE_FEMALE / 10
    birth = (960 * 6 + 1513 * 7 + 1981 * 8 + 2195 * 9 + 2252 * 10) / FEMALE_2005_2009 * per_age
    assert shares(estimate)["birth"] == pytest.approx(birth)
    assert estimate.expected == pytest.approx(FEMALE_2005_2009 * birth)
    assert next(f for f in estimate.factors if f.field == "birth").label == "1980s · 20-29"


def test_exact_birth_and_arrival_count_one_year_of_the_age_group(app: Flask, factory: Any) -> None:
    n = narrator(factory, birth_year=1975, arrived_south_year=2007, consent_detailed_profile=True,
                 exact_fields=["birth_year", "arrived_south_year"])
    estimate = protected.estimate_for(n)
    # Arrived 2007 (1981 women), aged 32: one tenth of the 30-39 group (7638 of 24590 women).
    assert shares(estimate)["birth"] == pytest.approx(7638 / AGE_FEMALE / 10)
    assert estimate.expected == pytest.approx(1981 * 7638 / AGE_FEMALE / 10)  # about 61.5 women


def test_birth_decade_without_an_arrival_year_uses_every_arrival(app: Flask, factory: Any) -> None:
    n = narrator(factory, gender="male", birth_year=2021)  # shown as the 2020s
    estimate = protected.estimate_for(n)
    # Only men arriving from 2020 on can be born in the 2020s (age at entry a − b ≥ 0), each age of the
    # 0-9 group holding 652/9544/10 of the men. Arriving in 2020 one birth year fits (2020), in 2021 two,
    # up to five in 2024; men arriving 2020–2024: 72, 40, 35, 32, 26 of all 9,568.
    per_age = 652 / (652 + 1708 + 2641 + 2175 + 1407 + 603 + 358) / 10
    birth = (72 * 1 + 40 * 2 + 35 * 3 + 32 * 4 + 26 * 5) / N_MALE * per_age
    assert shares(estimate)["birth"] == pytest.approx(birth)


def test_year_left_alone_stands_in_for_arrival_and_is_no_second_factor(app: Flask, factory: Any) -> None:
    left_only = narrator(factory, left_north_year=2006)
    assert shares(protected.estimate_for(left_only)) == pytest.approx(
        {"gender": N_FEMALE / N_ALL, "left": FEMALE_2005_2009 / N_FEMALE})
    both = narrator(factory, left_north_year=2006, arrived_south_year=2008)
    assert [f.field for f in protected.estimate_for(both).factors] == ["arrived", "gender"]
    # An exact year left is narrower than the arrival band: it is used instead (2006: 1513 women).
    exact_left = narrator(factory, left_north_year=2006, arrived_south_year=2008, consent_detailed_profile=True,
                          exact_fields=["left_north_year"])
    assert shares(protected.estimate_for(exact_left)) == pytest.approx(
        {"gender": N_FEMALE / N_ALL, "left": 1513 / N_FEMALE})


def test_home_town_divides_the_province(app: Flask, factory: Any) -> None:
    n = narrator(factory, origin_province="North Hamgyong", origin_place="Hoeryong", consent_detailed_profile=True,
                 exact_fields=["home_place"])
    estimate = protected.estimate_for(n)
    assert estimate.expected == pytest.approx(N_FEMALE * 15080 / PROVINCE_FEMALE / 15)  # about 1,019 women
    assert estimate.factors[0].field == "home_place" and estimate.factors[0].share == pytest.approx(1 / 15)
    # Without consent the town is not shown, so it is no factor.
    n.consent_detailed_profile = False
    assert "home_place" not in shares(protected.estimate_for(n))


def test_categories_and_a_gender_not_recorded(app: Flask, factory: Any) -> None:
    man = narrator(factory, gender="male", occupation="Military", origin_province="Pyongyang")
    assert protected.estimate_for(man).expected == pytest.approx(N_MALE * 725 / OCCUPATION_MALE * 509 / PROVINCE_MALE)
    anyone = narrator(factory, gender="unspecified", education="University or higher", residence_region="Busan")
    estimate = protected.estimate_for(anyone)
    # Men and women together: 1149+1233 with a university degree, 210+645 living in Busan.
    assert estimate.expected == pytest.approx(N_ALL * (1149 + 1233) / EDUCATION_ALL * (210 + 645) / RESIDENCE_ALL)
    assert "gender" not in shares(estimate)


def test_a_province_missing_from_the_table_counts_as_the_smallest(app: Flask, factory: Any) -> None:
    n = narrator(factory, origin_province="Rason")
    assert shares(protected.estimate_for(n))["home_province"] == pytest.approx(93 / PROVINCE_FEMALE)  # Nampo


def test_unknown_values_contribute_no_factor(app: Flask, factory: Any) -> None:
    n = narrator(factory, gender="unspecified")
    estimate = protected.estimate_for(n)
    assert estimate.factors == [] and estimate.expected == N_ALL and not estimate.below


def test_threshold_setting_decides_below(app: Flask, factory: Any) -> None:
    n = narrator(factory, origin_province="North Hamgyong", origin_place="Hoeryong", birth_year=1975,
                 arrived_south_year=2007, occupation="Management", consent_detailed_profile=True,
                 exact_fields=["birth_year", "home_place", "arrived_south_year"])
    estimate = protected.estimate_for(n)
    # 1981 × (7638/24590/10) × (15080/24421) × (1/15) × (142/24590 managers among the women).
    expected = 1981 * 7638 / AGE_FEMALE / 10 * 15080 / PROVINCE_FEMALE / 15 * 142 / 24590
    assert estimate.expected == pytest.approx(expected) and estimate.expected < 1
    assert estimate.below and estimate.threshold == 50
    assert [f.field for f in estimate.factors][:2] == ["occupation", "birth"]
    app.config["DISCLOSURE_THRESHOLD"] = 0
    assert not protected.estimate_for(n).below
    assert protected.estimate_for(n, threshold=1).below


def test_threshold_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("ARCHIVE_DISCLOSURE_THRESHOLD", "120")
    assert build_config({"ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})["DISCLOSURE_THRESHOLD"] == 120
    monkeypatch.delenv("ARCHIVE_DISCLOSURE_THRESHOLD")
    assert build_config({"ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})["DISCLOSURE_THRESHOLD"] == 50
    for bad in ("fifty", "-3", "2.5"):
        monkeypatch.setenv("ARCHIVE_DISCLOSURE_THRESHOLD", bad)
        with pytest.raises(ValueError, match="ARCHIVE_DISCLOSURE_THRESHOLD must be a whole number"):
            build_config({"ARCHIVE_DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})


def test_an_administrators_update_of_the_arrivals_wins(app: Flask, factory: Any) -> None:
    n = narrator(factory, arrived_south_year=2007, consent_detailed_profile=True, exact_fields=["arrived_south_year"])
    assert protected.estimate_for(n).expected == pytest.approx(1981)
    preview = statistics.preview_arrivals(statistics.year_csv(2007, 573, 1000))
    statistics.save_arrivals(preview.csv_text, preview.base)
    # The women's total falls by 981; the share of 2007 is now 1000 of them.
    assert protected.estimate_for(n).expected == pytest.approx(1000)
    assert protected.estimate_for(n).population == N_ALL - 981


# ---------------------------------------------------------------------------------------- generalisation


def test_bands() -> None:
    assert disclosure.decade(1979) == Band(1970, 1979) and disclosure.decade(1979).label == "1970s"
    assert disclosure.five_years(2007).label == "2005–2009" and disclosure.five_years(2010).label == "2010–2014"
    assert disclosure.exact(2007).label == "2007" and disclosure.exact(None) is None
    assert disclosure.parse_band("2005-2009") == Band(2005, 2009)
    assert disclosure.parse_band("1970s") == Band(1970, 1979) and disclosure.parse_band("nonsense") is None


def test_public_and_researcher_profiles_are_generalised_staff_see_exact(app: Flask, factory: Any) -> None:
    n = narrator(factory, birth_year=1979, origin_province="North Hamgyong", origin_place="Hoeryong",
                 left_north_year=2006, arrived_south_year=2008, occupation="Workers")
    for audience in ("public", "researcher"):
        view = protected.profile_view(n, audience)
        assert (view.birth.label, view.left.label, view.arrived.label) == ("1970s", "2005–2009", "2005–2009")
        assert view.home_province.slug == "north-hamgyong" and view.home_place is None
        assert view.occupation.slug == "workers" and view.real_name is None
    staff = protected.profile_view(n, "staff")
    assert (staff.birth.label, staff.left.label, staff.arrived.label) == ("1979", "2006", "2008")
    assert staff.home_place.slug == "hoeryong"


def test_exact_fields_count_only_with_consent(app: Flask, factory: Any) -> None:
    n = narrator(factory, birth_year=1979, origin_province="North Hamgyong", origin_place="Hoeryong",
                 left_north_year=2006, arrived_south_year=2008)
    n.exact_fields = ["birth_year", "home_place"]  # chosen earlier; the consent is what counts
    db.session.commit()
    assert disclosure.allowed_exact(n) == frozenset()
    assert protected.profile_view(n, "public").birth.label == "1970s"
    n.consent_detailed_profile = True
    view = protected.profile_view(n, "public")
    assert view.birth.label == "1979" and view.home_place.slug == "hoeryong" and view.arrived.label == "2005–2009"
