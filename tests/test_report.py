"""The self-contained HTML report and Result.plot()."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("plotly")

from typer.testing import CliRunner

import tether
from tether._cli.main import app
from tether._report import render_report

EXAMPLE = "examples/single-fleet.yaml"


def _chart_data(text: str) -> list[dict[str, object]]:
    blocks = re.findall(r'<script type="application/json" id="chart-\d+-data">(.*?)</script>', text)
    return [json.loads(b.replace("<\\/", "</")) for b in blocks]


def test_report_is_self_contained_and_holds_the_curve() -> None:
    doc = tether.load(EXAMPLE)
    result = tether.simulate(doc, "us-pause-90")
    text = render_report([result], doc, source="single-fleet.yaml")
    # no script, link or image fetched from the network
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", text)
    assert "cdn." not in text.split("<body>")[1]
    figure = _chart_data(text)[0]
    line = figure["data"][-1]  # type: ignore[index]
    expected = result.fraction("long-range-fires")
    assert line["x"][90] == 90  # type: ignore[index]
    assert line["y"][90] == pytest.approx(expected[90], abs=1e-6)  # type: ignore[index]
    assert len(line["y"]) == 366  # type: ignore[index]
    # the question, the assumed values and the sources
    assert "jurisdiction US" in text and "Cutoffs" in text
    assert "launcher-x.parts" in text
    assert "Sources" in text and "system launcher-x" in text


def test_report_montecarlo_has_bands() -> None:
    doc = tether.load(EXAMPLE)
    result = tether.simulate(doc, engine="montecarlo", reps=60, seed=3)
    figure = _chart_data(render_report([result], doc))[0]
    names = [t["name"] for t in figure["data"]]  # type: ignore[index]
    assert any("p5-p95" in str(n) or "p10-p90" in str(n) for n in names), names
    fills = [t for t in figure["data"] if t.get("fill") == "tonexty"]  # type: ignore[union-attr]
    assert fills


def test_result_plot_returns_a_figure() -> None:
    result = tether.simulate(tether.load(EXAMPLE))
    fig = result.plot()
    assert fig.__class__.__name__ == "Figure"
    assert list(fig.data[0].y[:3]) == pytest.approx(result.fraction("long-range-fires")[:3])


def test_cli_report_and_run_report(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", EXAMPLE, "-s", "us-pause-90", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 1_000_000  # plotly inlined
    out2 = tmp_path / "r2.html"
    res = runner.invoke(app, ["run", EXAMPLE, "--report", str(out2)])
    assert res.exit_code == 0, res.output
    assert _chart_data(out2.read_text())[0] == _chart_data(out.read_text())[0]


def test_cli_report_unknown_scenario_is_a_user_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["report", EXAMPLE, "-s", "nope", "-o", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
