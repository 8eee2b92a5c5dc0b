"""The workbench in headless Chromium: the server started here on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

import tether

from .conftest import ARTIFACTS, serving

SINGLE = Path("examples/single-fleet.yaml").read_text()
TAIWAN = Path("examples/taiwan-options.yaml").read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("web-data")) as url:
        yield url


def open_page(page: Any, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("body[data-ready='1']")


def test_main_page_and_a_catalogue_entry(page: Any, server: str) -> None:
    open_page(page, server)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "main-page.png"), full_page=True)
    assert page.locator("#cat-table tbody tr").count() > 50
    page.fill("#cat-filter", "himars")
    page.locator("#cat-table tbody tr", has_text="himars").first.click()
    link = page.locator("#cat-detail .entry-sources a").first
    link.wait_for()
    assert link.get_attribute("href").startswith("http")


def test_validation_error_shown_at_its_line(page: Any, server: str) -> None:
    open_page(page, server)
    page.click("nav button[data-tab='scenario']")
    page.fill("#editor", SINGLE.replace("units: 20", "units: -3"))
    line = SINGLE.splitlines().index("        units: 20") + 1
    marked = page.locator("#gutter div.err")
    marked.wait_for()
    assert marked.inner_text() == str(line)
    assert f"line {line}" in page.locator("#diagnostics li").first.inner_text()
    page.fill("#editor", SINGLE)
    page.wait_for_selector("#validity.ok")
    assert page.locator("#gutter div.err").count() == 0


def test_run_and_see_the_chart_then_download_the_report(
    page: Any, server: str, tmp_path: Path
) -> None:
    open_page(page, server)
    page.click("nav button[data-tab='scenario']")
    page.fill("#editor", SINGLE)
    page.click("#run-button")
    page.wait_for_selector("#run-chart .main-svg", timeout=60_000)
    ys = page.evaluate("document.getElementById('run-chart').data[0].y")
    expected = tether.simulate(tether.load("examples/single-fleet.yaml"))
    assert len(ys) == 366
    assert ys[90] == pytest.approx(expected.fraction("long-range-fires")[90], abs=1e-6)
    with page.expect_download() as info:
        page.click("a[data-file='report.html']")
    saved = tmp_path / "report.html"
    info.value.save_as(saved)
    text = saved.read_text()
    assert "Plotly.newPlot" in text and len(text) > 1_000_000
    # and it opens from disk and draws
    page.goto(saved.as_uri())
    page.wait_for_selector("#chart-0 .main-svg")


def test_run_an_optimisation(page: Any, server: str) -> None:
    open_page(page, server)
    page.click("nav button[data-tab='scenario']")
    page.fill("#editor", TAIWAN)
    page.select_option("#r-kind", "optimise")
    page.click("#run-button")
    page.wait_for_selector("#run-chart .main-svg", timeout=120_000)
    xs = page.evaluate("document.getElementById('run-chart').data[0].x")
    assert len(xs) >= 2 and xs == sorted(xs)
    assert "Best within budget" in page.inner_text("#run-detail")


def test_sensitivity_tab_shows_the_table_and_the_ranking(page: Any, server: str) -> None:
    """The Sensitivity tab on the editor's file: the chart, a table per result (with
    Sobol columns) and the exposure ranking's robustness."""
    open_page(page, server)
    page.click("nav button[data-tab='scenario']")
    page.fill("#editor", SINGLE)
    page.click("nav button[data-tab='sensitivity']")
    page.fill("#s-trajectories", "2")
    page.fill("#s-samples", "4")
    page.fill("#s-ranking", "3")
    page.click("#sens-form button[type='submit']")
    page.wait_for_selector("#sens-tables[data-rows='8']", timeout=60_000)
    page.wait_for_selector("#sens-chart .main-svg")
    assert page.locator("#sens-tables table").count() == 4
    assert "ST" in page.locator("#sens-tables table").first.inner_text()
    ranking = page.locator("#sens-ranking tr")
    assert ranking.count() == 13  # the header and the 12 cutoffs of the ranking
    assert "US: all" in ranking.nth(1).inner_text()
    assert "(3 samples)" in page.inner_text("#sens-ranking-title")
