"""Everything shipped runs: every example file and every catalogue scenario, under both
engines, through every output format of ``tether run`` (table, ``--fleets``,
``--explain`` once the CLI has it, ``--json``, ``--out``).

The default run covers every file and scenario under both engines, with the formats
combined into two invocations (the table views in one, ``--json --out`` in the other);
the full cartesian product (one invocation per format) is marked slow.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import tether
from tether._cli.main import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
CATALOGUE = sorted((ROOT / "src" / "tether" / "catalogue").glob("*.yaml"))
ENGINES = ("analytic", "montecarlo")
MC_OPTIONS = ["--reps", "16", "--seed", "1"]

runner = CliRunner()


@dataclass(frozen=True)
class Target:
    """One thing to run: a file, and (for catalogue scenarios) the scenario's name."""

    label: str
    file: Path | None  # None: a catalogue scenario, run from an empty file
    scenario: str | None = None

    def args(self, tmp: Path) -> list[str]:
        if self.file is not None:
            return [str(self.file)]
        empty = tmp / "empty.yaml"
        empty.write_text("scenarios: []\n")
        return [str(empty), "--scenario", str(self.scenario)]


def _catalogue_scenarios() -> list[str]:
    doc = tether.load_text("scenarios: []\n", "<catalogue>")
    return [s.name for s in doc.scenarios]


TARGETS = [Target(p.name, p) for p in EXAMPLES] + [
    Target(f"catalogue:{name}", None, name) for name in _catalogue_scenarios()
]


def _has_option(option: str) -> bool:
    """Whether ``tether run`` offers ``option`` (``--explain`` arrives with the CLI work)."""
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    return option in result.output


EXPLAIN = _has_option("--explain")


def _strict_json(text: str) -> Any:
    def reject(token: str) -> None:
        raise ValueError(f"not valid JSON: {token}")

    return json.loads(text, parse_constant=reject)


def _invoke(args: list[str]) -> str:
    result = runner.invoke(app, ["run", *args])
    assert result.exit_code == 0, (args, result.output, result.exception)
    assert "Traceback" not in result.output
    return result.stdout  # warnings and progress go to stderr


def _engine_args(engine: str) -> list[str]:
    return ["--engine", engine, *(MC_OPTIONS if engine == "montecarlo" else [])]


def _check_json(payload: Any, engine: str) -> None:
    assert payload["results"], "no scenario was run"
    for r in payload["results"]:
        assert r["engine"] == engine
        horizon = r["horizon_days"]
        for area in r["areas"]:
            assert len(area["fraction"]) == horizon + 1
            assert len(area["baseline"]) == horizon + 1
            lost = area["metrics"]["capability_days_lost"]
            assert math.isclose(sum(area["drivers"].values()), lost, rel_tol=1e-6, abs_tol=1e-6)
            if engine == "montecarlo":
                assert set(area["bands"]) == {"p10", "p50", "p90"}


def _check_tables(out: Path, engine: str) -> None:
    csvs = sorted(out.glob("*.csv"))
    assert csvs and len(csvs) == len(list(out.glob("*.parquet")))
    for csv in csvs:
        parquet = csv.with_suffix(".parquet")
        a, b = pd.read_csv(csv), pd.read_parquet(parquet)
        assert list(a.columns) == list(b.columns) and len(a) == len(b) > 0
        if csv.name.endswith(".areas.csv"):
            assert {"fraction", "baseline", "lost_parts"} <= set(a.columns)
            assert (engine == "montecarlo") == ("fraction_p10" in a.columns)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.label)
def test_shipped_runs(target: Target, engine: str, tmp_path: Path) -> None:
    base = [*target.args(tmp_path), *_engine_args(engine)]
    views = ["--fleets", *(["--explain"] if EXPLAIN else [])]
    text = _invoke([*base, *views])
    assert "%" in text
    out = tmp_path / "out"
    payload = _strict_json(_invoke([*base, "--json", "--out", str(out)]))
    _check_json(payload, engine)
    _check_tables(out, engine)


FORMATS = ["table", "fleets", "explain", "json", "out"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.label)
def test_shipped_every_format(target: Target, engine: str, fmt: str, tmp_path: Path) -> None:
    if fmt == "explain" and not EXPLAIN:
        pytest.skip("tether run has no --explain yet")
    base = [*target.args(tmp_path), *_engine_args(engine)]
    if fmt == "json":
        _check_json(_strict_json(_invoke([*base, "--json"])), engine)
    elif fmt == "out":
        _invoke([*base, "--out", str(tmp_path / "out")])
        _check_tables(tmp_path / "out", engine)
    else:
        extra = [] if fmt == "table" else [f"--{fmt}"]
        assert "%" in _invoke([*base, *extra])


def test_every_example_is_covered() -> None:
    """The lists above are built from the directories: nothing shipped is skipped."""
    assert len(EXAMPLES) >= 7
    assert {t.file for t in TARGETS if t.file is not None} == set(EXAMPLES)
    assert CATALOGUE, "the built-in catalogue is missing"
    # the catalogue holds no scenarios today; any it gains are run by the tests above
    assert len(TARGETS) == len(EXAMPLES) + len(_catalogue_scenarios())


def test_monte_carlo_band_on_a_force_of_many_areas() -> None:
    """Item 1: bands select the area by its label (nearest applies only to quantiles)."""
    doc = tether.load(ROOT / "examples" / "europe-us-withholds-year.yaml")
    result = tether.simulate(doc, engine="montecarlo", reps=16, seed=1)
    assert len(result.areas) > 1
    for area in result.areas:
        lo, mid, hi = (result.band(area, q) for q in (0.1, 0.5, 0.9))
        assert (lo <= mid + 1e-9).all() and (mid <= hi + 1e-9).all()
    assert (result.band(result.areas[1], 0.12) == result.band(result.areas[1], 0.1)).all()
    with pytest.raises(tether.TetherError, match="no area"):
        result.band("no-such-area", 0.5)


def _decisions() -> list[tuple[str, Path, str]]:
    found = []
    for path in EXAMPLES:
        doc = tether.load(path)
        found += [(f"{path.name}:{d.name}", path, d.name) for d in doc.decisions]
    return found


DECISIONS = _decisions()


def _command(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    assert "Traceback" not in result.output
    return result.stdout


# the European SAFE decision takes about 12 s: the default run optimises the others
QUICK = {label for label, path, _ in DECISIONS if "europe" not in path.name}


def test_the_examples_hold_decisions() -> None:
    assert len(DECISIONS) >= 3 and QUICK


@pytest.mark.parametrize(
    ("label", "path", "name"),
    [pytest.param(*d, marks=() if d[0] in QUICK else pytest.mark.slow, id=d[0]) for d in DECISIONS],
)
def test_every_shipped_decision_optimises(
    label: str, path: Path, name: str, tmp_path: Path
) -> None:
    """Every decision in examples/ runs through `tether optimise`: table, --json and --out."""
    base = ["optimise", str(path), "--decision", name]
    table = _command(base)
    assert "gap" in table and "budget curve" in table
    payload = json.loads(
        _command([*base, "--json"]), parse_constant=lambda c: pytest.fail(f"non-finite {c}")
    )
    assert payload
    _command([*base, "--out", str(tmp_path / "out")])
    written = {p.suffix for p in (tmp_path / "out").iterdir()}
    assert {".csv", ".parquet"} <= written
