"""Every sweep file shipped in examples/sweeps/ loads and runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tether._sweep import load_sweep, main_effects, read_dataset, run_sweep
from tether._sweep.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = sorted((ROOT / "examples" / "sweeps").glob("*.yaml"))


def test_there_are_sweep_examples() -> None:
    assert len(SWEEPS) >= 2


@pytest.mark.parametrize("path", SWEEPS, ids=[p.stem for p in SWEEPS])
def test_a_sweep_example_loads_and_its_first_scenarios_run(path: Path) -> None:
    spec = load_sweep(path)
    frame, daily = evaluate(spec, [0, len(spec.points) - 1])
    assert set(frame["scenario"]) == {0, len(spec.points) - 1}
    assert frame["value"].notna().any()
    assert (daily is not None) == spec.daily


@pytest.mark.slow
@pytest.mark.parametrize("path", SWEEPS, ids=[p.stem for p in SWEEPS])
def test_a_sweep_example_runs_whole(path: Path, tmp_path: Path) -> None:
    spec = load_sweep(path)
    run_sweep(spec, tmp_path / "out", workers=2)
    frame = read_dataset(tmp_path / "out")
    assert frame["scenario"].nunique() == len(spec.points)
    effects = main_effects(frame, [a.name for a in spec.axes])
    assert {e.axis for e in effects} == {a.name for a in spec.axes}
