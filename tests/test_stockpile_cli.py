"""``tether stockpile``: output, JSON, bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tether._cli.main import app

runner = CliRunner()
BASE = ["stockpile", "--disruption", "0.05", "--recovery", "0.25", "--holding", "1"]


def test_stockpile_text() -> None:
    res = runner.invoke(app, [*BASE, "--shortage", "10", "--demand", "1k", "--level", "2.5k"])
    assert res.exit_code == 0, res.output
    assert "optimal stock level 4,000 (4 periods of demand)" in res.stdout
    assert "level 2,500: expected cost" in res.stdout


def test_stockpile_json_with_eoq() -> None:
    res = runner.invoke(
        app, [*BASE, "--shortage", "40", "--demand", "100", "--order-cost", "5k", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["optimal_level"] == 800.0
    e = data["eoqd"]
    assert e["exact_cost"] <= e["approx_cost"] and e["eoq"] == pytest.approx(1000.0)
    assert e["exact_quantity"] > e["eoq"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shortage", "-3"], "--shortage must be a number at least 0"),
        (["--shortage", "abc"], "--shortage must be a number"),
        (["--shortage", "1", "--demand", "0"], "--demand must be more than 0"),
        (["--shortage", "1", "--level", "-5"], "--level must be a number at least 0"),
    ],
)
def test_bad_input_exits_2(args: list[str], message: str) -> None:
    res = runner.invoke(app, [*BASE, *args])
    assert res.exit_code == 2
    assert message in res.stderr and "Traceback" not in res.output


def test_probability_out_of_range() -> None:
    res = runner.invoke(
        app,
        [
            "stockpile",
            "--disruption",
            "1.5",
            "--recovery",
            "0.2",
            "--holding",
            "1",
            "--shortage",
            "1",
        ],
    )
    assert res.exit_code == 2
    assert "disruption must be a probability strictly between 0 and 1" in res.stderr
