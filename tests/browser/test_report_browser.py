"""The HTML report opens from disk with the network off and draws its chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("plotly")

import tether
from tether._report import write_report


def test_report_opens_offline_and_draws(page: Any, tmp_path: Path) -> None:
    doc = tether.load("examples/single-fleet.yaml")
    result = tether.simulate(doc, engine="montecarlo", reps=50, seed=1)
    path = write_report(tmp_path / "report.html", [result], doc)
    requests: list[str] = []

    def handle(route: Any) -> None:
        requests.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    page.context.route("**/*", handle)
    page.context.set_offline(True)
    page.goto(path.as_uri())
    page.wait_for_selector("#chart-0 .main-svg")
    # the drawn line's points are in the page
    n = page.evaluate("document.getElementById('chart-0').data.length")
    assert n >= 2
    ys = page.evaluate("document.getElementById('chart-0').data.slice(-1)[0].y.slice(0, 100)")
    assert ys[90] == pytest.approx(result.fraction("long-range-fires")[90], abs=1e-6)
    assert page.locator("#chart-0 path.js-line").count() >= 1
    assert [u for u in requests if not u.startswith("file:")] == []
