"""``tether spares``: table, JSON, tables on disk, the budget parser, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tether._budget import parse_budget
from tether._cli.main import app
from tether._errors import ArgumentError

EXAMPLE = "examples/single-fleet.yaml"
runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("150e9", 150e9),
        ("150bn", 150e9),
        ("150 BN", 150e9),
        ("2.5m", 2.5e6),
        ("1.2k", 1200.0),
        ("1,500,000", 1.5e6),
        ("0", 0.0),
        (7, 7.0),
    ],
)
def test_budget_parser(text: str | int, value: float) -> None:
    assert parse_budget(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "-5", "nan", "inf", "1e999", "5x", "", "--1"])
def test_budget_parser_rejects(text: str) -> None:
    with pytest.raises(ArgumentError, match="budget must be a number at least 0"):
        parse_budget(text)


def test_spares_table_and_optimum() -> None:
    res = runner.invoke(app, ["spares", EXAMPLE, "--day", "90", "--budget", "2m"])
    assert res.exit_code == 0, res.output
    assert "us-pause-90 day 90: 15 points" in res.stdout
    assert "Optimum within 2m (dp; exact): cost 2m, availability 0.9744" in res.stdout
    assert "launchers/hydraulics       21    +15" in res.stdout


def test_spares_json_and_out(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["spares", EXAMPLE, "-d", "30", "-d", "90", "--json", "--out", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["at"] == [
        {"scenario": "us-pause-90", "day": 30},
        {"scenario": "us-pause-90", "day": 90},
    ]
    assert data["start_stock"] == {
        "launchers/engine": 3,
        "launchers/fire-control": 3,
        "launchers/hydraulics": 6,
    }
    costs = [p["cost"] for p in data["points"]]
    assert costs == sorted(costs) and data["optimum"] is None
    curve = pd.read_parquet(tmp_path / "curve.parquet")
    assert len(curve) == len(data["points"])
    stock = pd.read_csv(tmp_path / "stock.csv")
    assert set(stock.columns) == {"point", "part", "stock"}


def test_two_echelons_show_where() -> None:
    res = runner.invoke(
        app,
        [
            "spares",
            EXAMPLE,
            "--force",
            "demo",
            "--echelons",
            "2",
            "--objective",
            "backorders",
            "--budget",
            "1.5m",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "depot" in res.stdout and "METRIC" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "abc"], "--budget must be a number at least 0"),
        (["--budget", "-5"], "not '-5'"),
        (["-s", "nope"], "single-fleet.yaml: scenario: no scenario or force named 'nope'"),
        (["--day", "999"], "day 999 is outside scenario 'us-pause-90'"),
        (["--force", "demo", "-s", "us-pause-90"], "not both"),
        (["--echelons", "2"], "use objective='backorders'"),
    ],
)
def test_bad_input_exits_2(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["spares", EXAMPLE, *args])
    assert res.exit_code == 2
    assert message in res.stderr
    assert "Traceback" not in res.output
