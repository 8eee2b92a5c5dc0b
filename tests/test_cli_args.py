"""Arguments that make no sense get a word: a warning where the run still makes sense,
otherwise exit 2 and a clear message; never a traceback. Output off a terminal carries
no control codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tether._cli.main import app

runner = CliRunner()
SINGLE = "examples/single-fleet.yaml"
CUTOFF = "{jurisdiction: US, kinds: [all], start_day: 0, end_day: 90}"


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        (["--reps", "50"], "--reps"),
        (["--seed", "7"], "--seed"),
        (["--cannibalise"], "--cannibalise"),
        (["--no-cannibalise"], "--cannibalise"),
    ],
)
def test_monte_carlo_options_with_the_analytic_engine_warn(extra: list[str], flag: str) -> None:
    res = runner.invoke(app, ["run", SINGLE, "--json", *extra])
    assert res.exit_code == 0, res.output
    expected = f"warning: {flag} applies to the Monte Carlo engine (--engine montecarlo); ignored"
    assert expected in res.stderr
    assert json.loads(res.stdout)["results"][0]["engine"] == "analytic"  # run completed


def test_no_warning_without_monte_carlo_options_or_with_that_engine() -> None:
    assert "warning" not in runner.invoke(app, ["run", SINGLE]).stderr
    args = ["run", SINGLE, "-e", "montecarlo", "--reps", "20", "--seed", "3", "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "warning" not in res.stderr
    settings = json.loads(res.stdout)["results"][0]["settings"]
    assert settings == {"reps": 20, "seed": 3, "cannibalise": False}


@pytest.mark.parametrize("engine", ["analytic", "montecarlo"])
def test_negative_seed_is_a_usage_error(engine: str) -> None:
    res = runner.invoke(app, ["run", SINGLE, "--engine", engine, "--seed", "-1"])
    assert res.exit_code == 2
    assert "--seed" in res.output and "greater than or equal to 0" in res.output
    assert "Traceback" not in res.output


def test_exposure_start_past_the_horizon_is_a_clear_error() -> None:
    res = runner.invoke(app, ["exposure", "denmark", "--horizon", "100", "--start", "150"])
    assert res.exit_code == 2
    assert "error: start day 150 is after the horizon of 100 days" in res.stderr
    assert "Traceback" not in res.output
    ok = runner.invoke(app, ["exposure", "denmark", "--horizon", "100", "--start", "50"])
    assert ok.exit_code == 0, ok.output


def test_result_warnings_are_printed_on_stderr(tmp_path: Path) -> None:
    late = tmp_path / "late.yaml"
    text = Path(SINGLE).read_text()
    assert CUTOFF in text
    late.write_text(text.replace(CUTOFF, CUTOFF.replace("0, end_day: 90", "400, end_day: 500")))
    res = runner.invoke(app, ["run", str(late)])
    assert res.exit_code == 0, res.output
    warnings = [line for line in res.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings and all(line.startswith("warning: us-pause-90: ") for line in warnings)
    assert "400" in warnings[0]
    assert ">-" not in res.stdout  # no negative recovery
    payload = json.loads(runner.invoke(app, ["run", str(late), "--json"]).stdout)
    assert payload["results"][0]["warnings"]


def _tether(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tether", *args], capture_output=True, text=True, check=False
    )


def test_output_off_a_terminal_has_no_control_codes() -> None:
    proc = _tether("run", SINGLE, "--seed", "2", "--explain", "--fleets")
    assert proc.returncode == 0, proc.stderr
    assert "warning: --seed" in proc.stderr
    assert "\x1b[" not in proc.stderr + proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 100  # the pipe width
    proc = _tether("exposure", "denmark", "--top", "3")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stderr + proc.stdout


@pytest.mark.slow
def test_long_work_shows_progress_lines_off_a_terminal() -> None:
    proc = _tether(
        "run",
        "examples/europe-us-withholds-year.yaml",
        "-s",
        "us-withholds-one-year",
        "-e",
        "montecarlo",
        "-n",
        "400",
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("warning: ")]
    assert lines and all(
        line.startswith("simulating us-withholds-one-year: ") and line.endswith("%")
        for line in lines
    )
    assert len(lines) <= 100 // 5  # throttled: not a line per chunk
    assert "\x1b[" not in proc.stderr


def test_run_help_names_the_monte_carlo_defaults() -> None:
    res = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    for default in ("[default: 1000]", "[default: 0]", "[default: no-cannibalise]"):
        assert default in text, default


def test_json_output_refuses_a_non_finite_number(capsys: pytest.CaptureFixture[str]) -> None:
    """Strict JSON or a clear error: never ``NaN`` a reader cannot parse."""
    from tether._cli.common import write_json
    from tether._errors import TetherError

    write_json({"a": 1.5})
    assert capsys.readouterr().out == '{"a": 1.5}\n'
    with pytest.raises(TetherError, match="non-finite"):
        write_json({"a": float("nan")})
    assert capsys.readouterr().out == ""
