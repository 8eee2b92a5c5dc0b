"""``tether compare``: tables, JSON, files, Monte Carlo, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tether._cli.main import app

FILE = "examples/canada-fighters.yaml"
runner = CliRunner()


def test_compare_two_scenarios() -> None:
    res = runner.invoke(app, ["compare", FILE, "f-35-fleet-us-cut", "gripen-fleet-us-cut"])
    assert res.exit_code == 0, res.output
    assert "air-combat (capability in weighted units)" in res.stdout
    assert "468.7" in res.stdout and "40.7" in res.stdout  # days lost, A and B
    assert "P(A>)" not in res.stdout


def test_compare_forces_montecarlo_json(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "compare",
            FILE,
            "f-35-fleet-us-cut",
            "--force",
            "canada",
            "--force",
            "canada-gripen",
            "--engine",
            "montecarlo",
            "--reps",
            "30",
            "--json",
            "--out",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [c["label"] for c in data["columns"]] == ["canada", "canada-gripen"]
    b = data["areas"]["air-combat"][1]
    assert b["p_first_beats"] == 0.0 and len(b["capability"]) == 541
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert set(summary["column"]) == {"canada", "canada-gripen"}
    assert (tmp_path / "series.parquet").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "gripen-fleet-us-cut"], "scenario: no scenario named 'nope'"),
        (
            ["f-35-fleet-us-cut", "--force", "atlantis", "--force", "canada"],
            "no force named 'atlantis'",
        ),
        (["f-35-fleet-us-cut"], "compare needs two or more scenarios"),
        (
            ["f-35-fleet-us-cut", "gripen-fleet-us-cut", "--day", "900"],
            "outside the common horizon",
        ),
    ],
)
def test_bad_input_exits_2(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["compare", FILE, *args])
    assert res.exit_code == 2
    assert message in res.stderr and "Traceback" not in res.output
