"""Tests for the accessible server-rendered SVG charts and data tables."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import cast

import pytest
from markupsafe import Markup

from archive.formats.charts import MUTED, PALETTE, TEXT, Bar, bar_chart, data_table, format_number, line_chart
from archive.statistics.data import load_table, period_note

SVG = "{http://www.w3.org/2000/svg}"
SEX = {"series": ["male", "female"], "series_labels": {"male": "men", "female": "women"}}
HOSTILE = '<script>alert("x")</script> & \'quotes\' onload=alert(1)'


def parse(markup: Markup) -> ET.Element:
    """Parse chart output as XML; fails the test if it is not well-formed."""
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def one(root: ET.Element, path: str) -> ET.Element:
    """Return the first element matching ``path``; fail if there is none."""
    element = root.find(path)
    assert element is not None, path
    return element


def desc_of(root: ET.Element) -> str:
    """Return the chart's <desc> text."""
    return one(root, f"{SVG}desc").text or ""


def sex_values(row: dict[str, object]) -> dict[str, float]:
    """Return the male and female counts of a statistics row as bar values."""
    return {"male": float(cast(int, row["male"])), "female": float(cast(int, row["female"]))}


def bar_groups(root: ET.Element) -> list[ET.Element]:
    """Return the element of each bar (a link or a group with class bar), in order."""
    return [e for e in root.iter() if e.get("class") == "bar"]


def texts(root: ET.Element) -> list[str]:
    """Return the content of every <text> element."""
    return ["".join(e.itertext()) for e in root.iter(f"{SVG}text")]


def title_of(element: ET.Element) -> str:
    """Return the text of an element's own <title>."""
    title = element.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def contrast(colour: str, background: str = "#ffffff") -> float:
    """Return the WCAG contrast ratio of two #rrggbb colours."""
    def luminance(value: str) -> float:
        channels = [int(value[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted([luminance(colour), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def assert_inert(markup: Markup) -> None:
    """No scripts, event handlers, style attributes or external resources anywhere."""
    root = parse(markup)
    for element in root.iter():
        tag = element.tag.split("}")[-1].lower()
        assert tag not in {"script", "style", "foreignObject", "image", "iframe", "use"}
        for name, value in element.attrib.items():
            local = name.split("}")[-1].lower()
            assert not local.startswith("on"), name
            assert local != "style"
            assert "javascript:" not in value.lower()
            if "url(" in value:
                assert re.fullmatch(r"url\(#[A-Za-z][\w-]*\)", value), value
    assert "<script" not in str(markup).lower()
    for tag_text in re.findall(r"<[^>]*>", str(markup)):  # text may say "onload=", tags may not
        assert not re.search(r"\s(on\w+|style)\s*=", tag_text, re.IGNORECASE), tag_text


@pytest.fixture(scope="module")
def arrival_bars() -> list[Bar]:
    """Bars for the bundled arrivals table, linked and with archive counts on two of them."""
    table = load_table("arrivals_by_year")
    overlays = {"2009": (12, None), "2011": (None, "fewer than 5")}
    return [Bar(str(r["period"]), sex_values(r), href=f"/statistics/arrivals/{r['period']}", note=period_note(r),
                overlay=overlays.get(str(r["period"]), (None, None))[0],
                overlay_label=overlays.get(str(r["period"]), (None, None))[1]) for r in table.rows]


@pytest.fixture(scope="module")
def arrivals_svg(arrival_bars: list[Bar]) -> Markup:
    """The arrivals chart with an overlay of testimony counts."""
    return bar_chart("arrivals", "Arrivals by year", arrival_bars, **SEX, x_label="Year of arrival",
                     y_label="Arrivals", source="Ministry of Unification", as_of="end of 2024",
                     overlay_name="Testimonies in this archive", unit="arrivals")


@pytest.fixture(scope="module")
def employment_svg() -> Markup:
    """The employment rates line chart."""
    table = load_table("employment_rates")
    years = [cast(int, r["year"]) for r in table.rows]
    series: dict[str, list[float | None]] = {"Economic activity rate": [cast(float, r["economic_activity_rate_pct"]) for r in table.rows],
              "Unemployment rate": [cast(float, r["unemployment_rate_pct"]) for r in table.rows]}
    return line_chart("employment", "Employment", years, series, x_label="Year", y_label="Percent",
                      source="Ministry of Unification", as_of="2023", unit="%")


# --- bar charts ---------------------------------------------------------------------------

def test_bar_chart_root_is_accessible_and_responsive(arrivals_svg: Markup) -> None:
    root = parse(arrivals_svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("aria-labelledby") == "arrivals-title arrivals-desc"
    assert root.get("role") == "group"  # its bars are links, which role="img" would hide
    assert one(root, f"{SVG}title").get("id") == "arrivals-title"
    assert one(root, f"{SVG}title").text == "Arrivals by year"
    assert one(root, f"{SVG}desc").get("id") == "arrivals-desc"
    assert root.get("width") == "100%" and root.get("height") is None
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox", ""))


def test_static_bar_chart_is_an_image() -> None:
    root = parse(bar_chart("c", "T", [Bar("a", {"n": 1}), Bar("b", {"n": 2})], series=["n"],
                           series_labels={"n": "people"}, x_label="X", y_label="Y", source="S", as_of="A"))
    assert root.get("role") == "img"
    assert not list(root.iter(f"{SVG}a"))


def test_desc_summarises_the_data(arrivals_svg: Markup) -> None:
    desc = desc_of(parse(arrivals_svg))
    assert "Highest: 2009, 2,914 arrivals." in desc
    assert "Lowest: 2021, 63 arrivals." in desc
    assert "Total of all bars: 34,314 arrivals." in desc
    assert "cumulative total through 1998" in desc and "three-year period 1999–2001" in desc
    assert "2011 fewer than 5" in desc
    assert "Source: Ministry of Unification. As of end of 2024." in desc


def test_one_linked_bar_per_period(arrivals_svg: Markup, arrival_bars: list[Bar]) -> None:
    bars = bar_groups(parse(arrivals_svg))
    assert len(bars) == len(arrival_bars) == 25
    assert all(b.tag == f"{SVG}a" for b in bars)
    assert [b.get("href") for b in bars] == [f"/statistics/arrivals/{b.label}" for b in arrival_bars]
    assert title_of(bars[0]).startswith("through 1998")
    assert title_of(bars[-1]).startswith("2024")


def test_bar_accessible_names(arrivals_svg: Markup) -> None:
    names = {title_of(b).split(":")[0]: title_of(b) for b in bar_groups(parse(arrivals_svg))}
    assert names["2009"] == "2009: 2,914 arrivals (662 men, 2,252 women). Testimonies in this archive: 12"
    assert names["2002"] == "2002: 1,142 arrivals (510 men, 632 women)"
    assert names["2011"].endswith("Testimonies in this archive: fewer than 5")


def test_first_two_periods_are_marked_as_not_single_years(arrivals_svg: Markup) -> None:
    root = parse(arrivals_svg)
    bars = bar_groups(root)
    assert title_of(bars[0]) == "through 1998: 947 arrivals (831 men, 116 women), cumulative total through 1998"
    assert title_of(bars[1]) == "1999-2001: 1,043 arrivals (565 men, 478 women), three-year period 1999–2001"
    hatch = "url(#arrivals-hatch)"
    assert root.find(f".//{SVG}defs/{SVG}pattern[@id='arrivals-hatch']") is not None
    hatched = [any(r.get("fill") == hatch for r in b.iter(f"{SVG}rect")) for b in bars]
    assert hatched == [True, True] + [False] * 23
    labels = texts(root)
    assert "through 1998 (a)" in labels and "1999-2001 (b)" in labels
    assert "(a) through 1998: cumulative total through 1998" in labels
    assert "(b) 1999-2001: three-year period 1999–2001" in labels


def test_period_bars_are_not_spaced_as_single_years(arrivals_svg: Markup) -> None:
    xs = [float(next(b.iter(f"{SVG}rect")).get("x", 0)) for b in bar_groups(parse(arrivals_svg))]
    regular = xs[3] - xs[2]
    assert xs[1] - xs[0] > regular * 1.4
    assert xs[2] - xs[1] > regular * 1.4
    assert xs[4] - xs[3] == pytest.approx(regular, abs=0.2)


def test_axes_ticks_and_labels(arrivals_svg: Markup) -> None:
    root = parse(arrivals_svg)
    labels = texts(root)
    for tick in ("0", "1,000", "2,000", "3,000"):
        assert tick in labels
    for tick in ("5", "10", "15"):  # second scale for the archive's own counts
        assert tick in labels
    assert "Year of arrival" in labels and "Arrivals" in labels
    assert "Testimonies in this archive" in labels
    assert len([e for e in root.iter(f"{SVG}line") if e.get("class") == "axis"]) == 3


def test_legend_names_every_series_and_marker(arrivals_svg: Markup) -> None:
    legend = next(e for e in parse(arrivals_svg).iter() if e.get("class") == "legend")
    labels = texts(legend)
    assert labels[:2] == ["men", "women"]
    assert "Testimonies in this archive (second scale)" in labels
    assert "Testimonies in this archive: exact count not shown" in labels
    assert any(label.startswith("Hatched") for label in labels)


def test_series_differ_by_more_than_colour(arrivals_svg: Markup) -> None:
    root = parse(arrivals_svg)
    assert root.find(f".//{SVG}pattern[@id='arrivals-s1']") is not None
    fills = [r.get("fill") for r in bar_groups(root)[5].iter(f"{SVG}rect")]
    assert fills[:2] == [PALETTE[0], "url(#arrivals-s1)"]


def test_overlay_markers(arrivals_svg: Markup) -> None:
    bars = bar_groups(parse(arrivals_svg))
    markers = {title_of(b)[:4]: [p for p in b.iter(f"{SVG}path") if p.get("class") == "overlay"] for b in bars}
    assert sum(len(m) for m in markers.values()) == 2
    assert markers["2009"][0].get("fill") != "#fff"
    assert markers["2011"][0].get("fill") == "#fff"  # withheld count: hollow, drawn at the baseline


def test_no_second_scale_when_no_count_is_exact(arrival_bars: list[Bar]) -> None:
    """Counts all 0 or withheld: no 0-to-1 axis and no markers at its foot; the chart says why."""
    withheld = [Bar(b.label, b.values, href=b.href, note=b.note, overlay=0 if b.label == "2010" else None,
                    overlay_label="fewer than 5" if b.label == "2009" else None) for b in arrival_bars]
    root = parse(bar_chart("arrivals", "Arrivals by year", withheld, **SEX, x_label="Year of arrival",
                           y_label="Arrivals", source="Ministry of Unification", as_of="end of 2024",
                           overlay_name="Testimonies in this archive", unit="arrivals"))
    labels = texts(root)
    assert "Testimonies in this archive" not in labels and "1" not in labels
    assert not [p for p in root.iter(f"{SVG}path") if p.get("class") == "overlay"]
    assert len([e for e in root.iter(f"{SVG}line") if e.get("class") == "axis"]) == 2
    why = "Testimonies in this archive: every count is 0 or fewer than 5, too few to draw on a second scale"
    assert any(why in line for line in [" ".join(labels)]) and why in desc_of(root)
    assert "2009 fewer than 5" in desc_of(root)
    bar_2009 = next(b for b in bar_groups(root) if title_of(b).startswith("2009:"))
    assert title_of(bar_2009).endswith("Testimonies in this archive: fewer than 5")


def test_source_and_as_of_are_visible(arrivals_svg: Markup) -> None:
    assert "Source: Ministry of Unification. As of end of 2024." in texts(parse(arrivals_svg))


def test_long_source_wraps_onto_several_lines() -> None:
    source = "Ministry of Unification of the Republic of Korea " * 5
    root = parse(bar_chart("c", "T", [Bar("a", {"n": 1})], series=["n"], series_labels={"n": "n"},
                           x_label="X", y_label="Y", source=source, as_of="2024"))
    footer = next(e for e in root.iter() if e.get("class") == "chart-source")
    assert len(texts(footer)) >= 2


def test_hostile_text_is_escaped_and_inert() -> None:
    bars = [Bar(HOSTILE, {HOSTILE: 5}, href='/x?a=1&b="2"', note=HOSTILE, overlay=1, overlay_label=HOSTILE),
            Bar("ok\x00\x1f", {HOSTILE: 7})]
    for horizontal in (False, True):
        markup = bar_chart("evil", HOSTILE, bars, series=[HOSTILE], series_labels={HOSTILE: HOSTILE},
                           x_label=HOSTILE, y_label=HOSTILE, source=HOSTILE, as_of=HOSTILE,
                           overlay_name=HOSTILE, unit=HOSTILE, horizontal=horizontal)
        assert_inert(markup)
        root = parse(markup)
        assert one(root, f"{SVG}title").text == HOSTILE
        assert bar_groups(root)[0].get("href") == '/x?a=1&b="2"'
        assert title_of(bar_groups(root)[1]).startswith("ok:")
        assert "&lt;script&gt;" in str(markup)


@pytest.mark.parametrize("href", ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)",
                                  "data:text/html,<b>", "vbscript:x"])
def test_script_links_are_refused(href: str) -> None:
    with pytest.raises(ValueError, match="scheme"):
        bar_chart("c", "T", [Bar("a", {"n": 1}, href=href)], series=["n"], series_labels={},
                  x_label="X", y_label="Y", source="S", as_of="A")
    with pytest.raises(ValueError, match="scheme"):
        data_table("c", "T", ["a"], [["x"]], links=[href])


@pytest.mark.parametrize("href", ["/testimonies?year=2009", "https://www.unikorea.go.kr/", "#row-3", "2009"])
def test_ordinary_links_are_kept(href: str) -> None:
    root = parse(bar_chart("c", "T", [Bar("a", {"n": 1}, href=href)], series=["n"], series_labels={},
                           x_label="X", y_label="Y", source="S", as_of="A"))
    assert bar_groups(root)[0].get("href") == href


@pytest.mark.parametrize("chart_id", ["", "1abc", 'a"b', "a b", "a<b"])
def test_chart_id_must_be_a_plain_name(chart_id: str) -> None:
    with pytest.raises(ValueError, match="chart id"):
        bar_chart(chart_id, "T", [Bar("a", {"n": 1})], series=["n"], series_labels={}, x_label="X",
                  y_label="Y", source="S", as_of="A")


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_bad_values_are_refused(value: float) -> None:
    with pytest.raises(ValueError):
        bar_chart("c", "T", [Bar("a", {"n": value})], series=["n"], series_labels={}, x_label="X",
                  y_label="Y", source="S", as_of="A")


def test_horizontal_grouped_chart_of_categories() -> None:
    table = load_table("by_education")
    bars = [Bar(str(r["category"]), sex_values(r)) for r in table.rows]
    markup = bar_chart("education", table.title, bars, **SEX, x_label="Education", y_label="People",
                       stacked=False, horizontal=True, source=table.source, as_of=table.as_of, unit="people")
    assert_inert(markup)
    root = parse(markup)
    groups = bar_groups(root)
    assert len(groups) == 8
    assert [len(list(g.iter(f"{SVG}rect"))) for g in groups] == [2] * 8
    assert title_of(groups[3]) == "Secondary school (middle and high school): 5,769 men, 17,873 women"
    rects = list(groups[3].iter(f"{SVG}rect"))
    assert float(rects[1].get("width", 0)) > float(rects[0].get("width", 0))  # bars grow along x
    assert "17,873" not in texts(root)  # no single total to label; the values are in the titles
    assert "Education" in texts(root) and "People" in texts(root)


def test_korean_labels_render() -> None:
    table = load_table("by_residence_in_south")
    bars = [Bar(str(r["category_ko"]), sex_values(r)) for r in table.rows]
    root = parse(bar_chart("residence-ko", "거주지역별 현황", bars, **SEX, x_label="지역", y_label="인원",
                           horizontal=True, source="통일부", as_of="2024"))
    assert "경기도" in texts(root)
    assert "11,131" in texts(root)  # stacked totals are labelled at the bar ends
    assert "Total of all bars: 31,383." in desc_of(root)


def test_colours_have_enough_contrast(arrivals_svg: Markup, employment_svg: Markup) -> None:
    assert all(contrast(c) >= 4.5 for c in PALETTE)  # bars need 3:1; lines and markers get more
    assert contrast(TEXT) >= 4.5 and contrast(MUTED) >= 4.5
    for markup in (arrivals_svg, employment_svg):
        root = parse(markup)
        text_fills = {e.get("fill") or "" for e in root.iter(f"{SVG}text")} | {root.get("fill") or ""}
        assert all(contrast(f) >= 4.5 for f in text_fills if f)


# --- line chart ------------------------------------------------------------------------------

def test_line_chart_structure(employment_svg: Markup) -> None:
    assert_inert(employment_svg)
    root = parse(employment_svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "employment-title employment-desc"
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    points = [title_of(g) for g in root.iter(f"{SVG}g") if g.find(f"{SVG}title") is not None]
    assert len(points) == 32
    assert "2009, Unemployment rate: 13.7%" in points
    assert "2012, Economic activity rate: 54.1%" in points
    desc = desc_of(root)
    assert "Unemployment rate: 9.5% in 2008, 4.5% in 2023; highest 13.7% in 2009" in desc
    labels = texts(root)
    assert {"2008", "2023", "Year", "Percent", "0", "20", "40", "60", "80"} <= set(labels)
    assert "Source: Ministry of Unification. As of 2023." in labels
    legend = next(e for e in root.iter() if e.get("class") == "legend")
    assert texts(legend) == ["Economic activity rate", "Unemployment rate"]


def test_line_series_differ_by_dash_and_marker(employment_svg: Markup) -> None:
    lines = list(parse(employment_svg).iter(f"{SVG}polyline"))
    assert lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")
    root = parse(employment_svg)
    series = [e for e in root.iter(f"{SVG}g") if e.get("class") == "series"]
    assert series[0].find(f".//{SVG}circle") is not None and series[1].find(f".//{SVG}rect") is not None


def test_line_gaps_and_y_max() -> None:
    root = parse(line_chart("gaps", "T", [2019, 2020, 2021, 2022], {"a": [1.0, None, 3.0, 4.0]},
                            x_label="X", y_label="Y", source="S", as_of="A", y_max=100))
    assert len(list(root.iter(f"{SVG}polyline"))) == 1  # a single point on its own draws no line
    assert "100" in texts(root)
    assert "a: 1 in 2019, 4 in 2022" in desc_of(root)


@pytest.mark.parametrize(("x_values", "series"), [
    ([2008, 2009], {"a": [1.0]}),
    ([2009, 2008], {"a": [1.0, 2.0]}),
    ([], {"a": []}),
])
def test_line_chart_refuses_bad_input(x_values: list[int], series: dict[str, list[float | None]]) -> None:
    with pytest.raises(ValueError):
        line_chart("c", "T", x_values, series, x_label="X", y_label="Y", source="S", as_of="A")


def test_line_chart_escapes_hostile_text() -> None:
    markup = line_chart("evil", HOSTILE, [2020, 2021], {HOSTILE: [1.0, 2.0]}, x_label=HOSTILE, y_label=HOSTILE,
                        source=HOSTILE, as_of=HOSTILE, unit=HOSTILE)
    assert_inert(markup)
    assert one(parse(markup), f"{SVG}title").text == HOSTILE


# --- data table ------------------------------------------------------------------------------

def test_data_table() -> None:
    markup = data_table("arrivals", "Arrivals by period", ["Period", "Men", "Women", "Total"],
                        [["through 1998", 831, 116, 947], [2009, 662, 2252, 2914], ["2020", None, 157, 229]],
                        links=["/a/through 1998", None, "/a/2020"])
    assert_inert(markup)
    table = parse(markup)
    assert table.tag == "table" and table.get("id") == "arrivals-table"
    assert table.findtext("caption") == "Arrivals by period"
    head = table.findall("thead/tr/th")
    assert [h.get("scope") for h in head] == ["col"] * 4
    assert [h.get("class") for h in head] == [None, "num", "num", "num"]
    rows = table.findall("tbody/tr")
    assert [one(r, "th").get("scope") for r in rows] == ["row"] * 3
    assert rows[1].findtext("th") == "2009"  # row headers are labels: no thousands separator
    assert [td.text for td in rows[1].findall("td")] == ["662", "2,252", "2,914"]
    assert all(td.get("class") == "num" for td in rows[1].findall("td"))
    assert rows[2].findall("td")[0].text == "n/a"
    assert [a.get("href") for a in table.iter("a")] == ["/a/through 1998", "/a/2020"]
    assert one(rows[0], "th/a").text == "through 1998"


def test_data_table_escapes_cells() -> None:
    markup = data_table("t", HOSTILE, [HOSTILE, "n"], [[HOSTILE, 1], [Markup("<b>x</b>"), 2]])
    assert_inert(markup)
    table = parse(markup)
    assert table.findtext("caption") == HOSTILE
    assert one(table, "tbody/tr/th").text == HOSTILE
    assert table.find(".//b") is None  # even Markup input is shown as text


def test_data_table_links_must_match_rows() -> None:
    with pytest.raises(ValueError):
        data_table("t", "c", ["a"], [["x"], ["y"]], links=["/x"])


def test_format_number() -> None:
    assert format_number(34314) == "34,314"
    assert format_number(13.7) == "13.7"
    assert format_number(50.0, 1) == "50.0"


def test_long_category_labels_are_shortened_but_named_in_full() -> None:
    label = "A very long category name that would push the plot off the chart " * 2
    root = parse(bar_chart("c", "T", [Bar(label, {"n": 3}), Bar("short", {"n": 1})], series=["n"],
                           series_labels={"n": "people"}, x_label="X", y_label="Y", horizontal=True,
                           source="S", as_of="A"))
    shown = [t for t in texts(root) if t.startswith("A very long")]
    assert len(shown) == 1 and shown[0].endswith("…") and len(shown[0]) < len(label)
    assert title_of(bar_groups(root)[0]) == f"{label}: 3"
