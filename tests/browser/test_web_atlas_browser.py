"""The workbench's Atlas tab in headless Chromium: the heat map of the imported slice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("duckdb")

from .conftest import ARTIFACTS, serving

ROOT = Path(__file__).resolve().parents[2]
SLICE = ROOT / "examples" / "atlas" / "sipri-trade-register-slice.csv"


@pytest.fixture(scope="module")
def atlas_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tether atlas import`` then ``tether serve``, both on the atlas's data directory
    ($TETHER_DATA_DIR)."""
    atlas = tmp_path_factory.mktemp("atlas-data")
    env = {**os.environ, "TETHER_DATA_DIR": str(atlas)}
    subprocess.run(
        [sys.executable, "-m", "tether", "atlas", "import", str(SLICE)],
        env=env,
        check=True,
        capture_output=True,
    )
    with serving(tmp_path_factory.mktemp("atlas-runs"), env) as url:
        yield url


def test_atlas_tab_draws_the_heat_map(page: Any, atlas_server: str) -> None:
    page.goto(atlas_server + "/")
    page.wait_for_selector("body[data-ready='1']")
    page.click("nav button[data-tab='atlas']")
    page.wait_for_selector("#a-group option[value='nato-europe']", state="attached")
    # a group the slice lacks members of: the atlas's message, no chart
    page.select_option("#a-group", "nato-europe")
    page.click("#atlas-form button[type='submit']")
    page.wait_for_selector("#atlas-message.bad")
    assert "Albania" in page.inner_text("#atlas-message")
    # the Baltic states and Poland: one heat-map row per recipient, one cell each
    page.select_option("#a-group", "")
    page.fill("#a-countries", "Estonia, Latvia, Lithuania, Poland")
    page.fill("#a-top", "3")
    page.click("#atlas-form button[type='submit']")
    page.wait_for_selector("#atlas-chart[data-recipients='4'] .hm")
    z = page.evaluate("document.querySelector('#atlas-chart').data[0].z")
    assert len(z) == 4 and all(len(row) == len(z[0]) for row in z)
    assert all(abs(sum(row) - 1) < 1e-9 or sum(row) == 0 for row in z)
    cells = page.locator("#atlas-chart .hm text")
    assert cells.count() == 4 * len(z[0])
    assert "%" in (cells.first.text_content() or "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "atlas-heatmap.png"), full_page=True)
