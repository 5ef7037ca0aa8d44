"""The statistics, routes and places pages in Chromium: every chart renders, with no console errors.

Uses the live server and the `tab` fixture of tests/browser/conftest.py (demo collection loaded;
skipped without Chromium unless CI=true).
"""
from __future__ import annotations

from typing import Any

import pytest

CHARTS = {"arrivals": 25, "age": 7, "occupation": 8, "education": 8, "province": 11, "residence": 16}
PAGES = ["/statistics", "/routes", "/places/", "/places/yodok-kwalliso-15", "/places/north-hamgyong"]


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


def test_every_chart_renders(tab: Any) -> None:
    page = tab.page
    page.goto("/statistics")
    for chart_id, n_bars in CHARTS.items():
        svg = f"svg#{chart_id}"
        box = _box(page, svg)
        assert box["width"] > 400 and box["height"] > 150, chart_id
        assert page.locator(f"{svg} a.bar").count() == n_bars, chart_id
        # Bars are drawn with real, non-empty geometry.
        sizes = page.eval_on_selector_all(f"{svg} a.bar rect", "els => els.map(e => e.getBBox().width * e.getBBox().height)")
        assert sizes and max(sizes) > 100, chart_id
        assert page.locator(f"table#{chart_id}-table tbody tr").count() == n_bars
    box = _box(page, "svg#employment")
    assert box["width"] > 400
    assert page.locator("svg#employment polyline").count() == 3
    assert page.locator("svg.chart").count() == 7
    align = page.eval_on_selector("#arrivals-table td.num", "e => getComputedStyle(e).textAlign")
    assert align == "right"
    tab.assert_no_console_errors()


def test_bars_are_keyboard_links_to_the_search(tab: Any) -> None:
    page = tab.page
    page.goto("/statistics")
    bar = page.locator('svg#arrivals a.bar[href="/search?arrived=2009"]')
    bar.focus()
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/search?arrived=2009"
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?arrived=2009")
    assert page.locator("main").count() == 1
    tab.assert_no_console_errors()


def test_csv_download(tab: Any) -> None:
    page = tab.page
    page.goto("/statistics")
    with page.expect_download() as info:
        page.locator('a[href="/statistics/arrivals_by_year.csv"]').click()
    assert info.value.suggested_filename == "arrivals_by_year.csv"
    tab.assert_no_console_errors()


def test_routes_page_renders(tab: Any) -> None:
    page = tab.page
    page.goto("/routes")
    box = _box(page, "svg#route-diagram")
    assert box["width"] > 400 and box["height"] > 250
    assert page.locator("svg#route-diagram line[data-mode]").count() >= 20
    assert page.locator("svg#distances a.bar, svg#distances g.bar").count() == 7
    assert page.locator("table.countries tbody tr").count() == 11
    tab.assert_no_console_errors()


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_without_console_errors(tab: Any, path: str) -> None:
    page = tab.page
    response = page.goto(path)
    assert response is not None and response.status == 200
    assert page.locator("h1").count() == 1
    tab.assert_no_console_errors()
