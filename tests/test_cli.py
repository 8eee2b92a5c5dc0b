"""The ``tether`` command, through Typer's runner and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from tether._cli.main import app

EXAMPLE = "examples/single-fleet.yaml"
runner = CliRunner()


def test_run_prints_a_table_per_area() -> None:
    res = runner.invoke(app, ["run", EXAMPLE])
    assert res.exit_code == 0, res.output
    for text in ("long-range-fires", "TTS 75%", "day 365", "days lost", "recovery", "assumed"):
        assert text in res.output


def test_run_json_shape() -> None:
    res = runner.invoke(app, ["run", EXAMPLE, "--json"])
    assert res.exit_code == 0
    payload = json.loads(res.stdout)
    (result,) = payload["results"]
    assert result["scenario"] == "us-pause-90" and result["horizon_days"] == 365
    (area,) = result["areas"]
    assert len(area["fraction"]) == 366
    assert set(area["metrics"]) >= {
        "baseline",
        "at_day",
        "time_to_survive",
        "days_lost",
        "capability_days_lost",
        "minimum",
        "minimum_day",
        "time_to_recover",
    }
    assert area["metrics"]["time_to_survive"] == {"0.75": 0, "0.5": 1}
    assert area["assumptions"] == ["launcher-x.parts"]
    assert result["fleets"][0]["name"] == "launchers"


def test_run_out_writes_csv_and_parquet(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", EXAMPLE, "--out", str(tmp_path)])
    assert res.exit_code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        f"us-pause-90.{t}.{ext}"
        for t in ("areas", "fleets", "summary")
        for ext in ("csv", "parquet")
    )
    summary = pd.read_parquet(tmp_path / "us-pause-90.summary.parquet")
    assert summary.loc[0, "area"] == "long-range-fires"


def test_bad_input_exits_2_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = Path(EXAMPLE).read_text().replace("units: 20", "units: -3")
    bad.write_text(text)
    res = runner.invoke(app, ["run", str(bad)])
    assert res.exit_code == 2
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "units: -3" in t)
    assert f"bad.yaml:{line}:16: forces[demo].fleets[launchers].units:" in res.stderr
    assert "Traceback" not in res.output


def test_validate_many_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenarios: [{name: x}]\n")
    res = runner.invoke(app, ["validate", EXAMPLE, str(bad)])
    assert res.exit_code == 2
    assert (
        "ok examples/single-fleet.yaml: 1 scenarios, 1 forces, 1 systems, 2 suppliers" in res.stdout
    )
    assert "scenarios[x].force: required field is missing" in res.stderr


def test_unknown_scenario_is_a_user_error() -> None:
    res = runner.invoke(app, ["run", EXAMPLE, "--scenario", "nope"])
    assert res.exit_code == 2
    assert "no scenario named 'nope'" in res.stderr


def test_schema_validates_the_example() -> None:
    import jsonschema

    res = runner.invoke(app, ["schema"])
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    example = yaml.safe_load(Path(EXAMPLE).read_text())
    jsonschema.validate(example, schema)
    broken = dict(example, scenarios=[{"name": "x", "force": "demo", "horizon_days": -1}])
    try:
        jsonschema.validate(broken, schema)
    except jsonschema.ValidationError:
        pass
    else:  # pragma: no cover
        raise AssertionError("schema accepted a negative horizon")


def test_real_process_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "syntax.yaml"
    bad.write_text("suppliers: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "tether", "run", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "syntax.yaml:2:1:" in proc.stderr and "YAML syntax error" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.startswith("tether ")


def test_montecarlo_run_json_has_bands() -> None:
    args = ["run", EXAMPLE, "--engine", "montecarlo", "--reps", "200", "--seed", "4", "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    (result,) = json.loads(res.stdout)["results"]
    assert result["engine"] == "montecarlo"
    assert result["settings"] == {"reps": 200, "seed": 4, "cannibalise": False}
    (area,) = result["areas"]
    assert set(area["bands"]) == {"p10", "p50", "p90"}
    assert set(area["prob_above"]) == {"0.75", "0.5"}
    assert len(area["bands"]["p50"]) == 366
    again = runner.invoke(app, args)
    assert json.loads(again.stdout) == json.loads(res.stdout)  # same seed, same result


def test_montecarlo_table_shows_bands(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        ["run", EXAMPLE, "-e", "montecarlo", "-n", "100", "--cannibalise", "--out", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output
    assert "mean (P10-P90)" in res.output
    assert "100 replications" in res.output
    areas = pd.read_csv(tmp_path / "us-pause-90.areas.csv")
    assert {"fraction_p10", "fraction_p90", "prob_above_0.5"} <= set(areas.columns)


def test_bad_reps_is_a_usage_error() -> None:
    res = runner.invoke(app, ["run", EXAMPLE, "--engine", "montecarlo", "--reps", "1"])
    assert res.exit_code == 2


def test_exposure_command_table_and_json() -> None:
    res = runner.invoke(app, ["exposure", "denmark", "--top", "5"])
    assert res.exit_code == 0, res.output
    assert "Exposure of denmark" in res.output
    assert "REI" in res.output
    res = runner.invoke(app, ["exposure", "canada", "--by", "supplier", "--days", "90", "--json"])
    payload = json.loads(res.stdout)
    assert payload["by"] == "supplier"
    assert payload["duration_days"] == 90
    assert payload["rows"][0]["risk_exposure_index"] == 1.0
    assert {"target", "kinds", "time_to_survive", "days_lost", "stops"} <= set(payload["rows"][0])


def test_exposure_of_unknown_force_is_a_clean_error() -> None:
    res = runner.invoke(app, ["exposure", "atlantis"])
    assert res.exit_code == 2
    assert "no force named 'atlantis'" in res.stderr
    assert "Traceback" not in res.output


def test_catalogue_list_and_show() -> None:
    res = runner.invoke(app, ["catalogue", "list", "--section", "systems"])
    assert res.exit_code == 0
    assert "himars" in res.output
    assert "gmd-interceptors" in res.output
    res = runner.invoke(app, ["catalogue", "show", "himars"])
    assert res.exit_code == 0
    assert "https://houstonianonline.com" in res.output
    assert "assumed" in res.output
    assert "targeting-intelligence" in res.output
    res = runner.invoke(app, ["catalogue", "show", "himar"])
    assert res.exit_code == 2
    assert "did you mean 'himars'" in res.stderr


def test_catalogue_check(tmp_path: Path) -> None:
    from tests.test_catalogue import RECORD, further_sources

    record = tmp_path / "record.md"  # the project's record and docs/catalogue.md's further sources
    if RECORD.exists():
        record.write_text(RECORD.read_text(encoding="utf-8") + further_sources(), encoding="utf-8")
    args = ["catalogue", "check"] + (["--record", str(record)] if RECORD.exists() else [])
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    extra = tmp_path / "mine.yaml"
    extra.write_text("suppliers:\n  - {name: local-depot, jurisdiction: PL}\n")
    res = runner.invoke(app, ["catalogue", "check", "--catalogue", str(extra)])
    assert res.exit_code == 2
    assert "suppliers[local-depot].sources: no source" in res.stderr
