"""``tether optimise`` / ``optimize``: output, JSON, files, and bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_optimise import DOC
from tether._cli.main import app
from tether._cli.optimise import parse_minimum
from tether._errors import ArgumentError

pytest.importorskip("highspy")

SMALL = "[spares-a, rights-a, depot-a, ly-for-b, spares-b]"


@pytest.fixture
def decision_file(tmp_path: Path) -> Path:
    path = tmp_path / "decision.yaml"
    path.write_text(DOC.replace("HORIZON", "40").replace("OPTIONS", SMALL), encoding="utf-8")
    return path


def test_prints_portfolio_gap_and_curve(decision_file: Path) -> None:
    res = CliRunner().invoke(app, ["optimise", str(decision_file), "--budget", "40"])
    assert res.exit_code == 0, res.output
    assert "best portfolio within 40" in res.output
    assert "gap 0% (proved optimal" in res.output
    assert "budget curve" in res.output


def test_alias_json_and_suffixed_budget(decision_file: Path) -> None:
    res = CliRunner().invoke(
        app, ["optimize", str(decision_file), "--budget", "0.04k", "--json", "--curve", "0,20"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["budget"] == 40
    assert [p["budget"] for p in data["curve"]] == [0, 20, 40]
    assert data["best"]["gap"] <= 1e-9


def test_out_writes_curve_and_portfolio(decision_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = CliRunner().invoke(app, ["optimise", str(decision_file), "-b", "40", "--out", str(out)])
    assert res.exit_code == 0, res.output
    curve = pd.read_parquet(out / "curve.parquet")
    assert list(curve["budget"])[-1] == 40
    assert (curve["cost"] <= curve["budget"]).all()
    portfolio = pd.read_csv(out / "portfolio.csv")
    assert set(portfolio.columns) == {"option", "cost"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "abc"], "budget must be a number at least 0"),
        (["--budget", "-5"], "budget must be a number at least 0"),
        (["--budget", "10", "--min", "air"], "--min takes AREA=FRACTION"),
        (["--budget", "10", "--min", "sea=0.5"], "unknown area 'sea'"),
        (["--budget", "10", "--min", "fires=1.0"], "no portfolio keeps area 'fires' at 100%"),
        (["--budget", "10", "--decision", "nope"], "nope"),
        (["--budget", "10", "--curve", "1,x"], "--curve budget must be a number"),
    ],
)
def test_bad_input_is_one_message_exit_2(
    decision_file: Path, args: list[str], message: str
) -> None:
    res = CliRunner().invoke(app, ["optimise", str(decision_file), *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
    assert res.output.count("error") == 1


def test_parse_minimum() -> None:
    assert parse_minimum(["air=0.6", "fires=75%"]) == {"air": 0.6, "fires": 0.75}
    for bad in ("air=0", "air=1.5", "=0.5", "air=x"):
        with pytest.raises(ArgumentError):
            parse_minimum([bad])


def test_curve_of_breakpoints(decision_file: Path) -> None:
    res = CliRunner().invoke(
        app, ["optimise", str(decision_file), "-b", "40", "--curve", "breakpoints", "--json"]
    )
    assert res.exit_code == 0, res.output
    curve = json.loads(res.stdout)["curve"]
    assert all(p["budget"] == p["cost"] for p in curve)


def test_a_file_without_decisions(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["optimise", "examples/single-fleet.yaml", "-b", "5m"])
    assert res.exit_code == 2
    assert "examples/single-fleet.yaml has no decisions" in res.output


@pytest.mark.slow
def test_json_stdout_is_one_object_in_a_real_process(decision_file: Path) -> None:
    """HiGHS prints a banner from C++ on its first use; stdout must stay pure JSON."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "tether", "optimise", str(decision_file), "-b", "40", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["budget"] == 40
    assert "HiGHS" not in proc.stdout + proc.stderr
