"""The Monte Carlo memory estimate (tether._mc_size) against the tracemalloc peak, on small
forces that each stress one term (the fleet x day outputs, the kept samples, one chunk of
part rows, the day-stepped burn-in, its blocks of fleets, its candidate failures), and
the check that refuses a run above the memory allowed (1 GiB unless TETHER_MAX_BYTES says
otherwise)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import tether
from tether import _api
from tether._api import _bands, _dataset
from tether._engine import mc_stepped, montecarlo
from tether._engine.arrays import Plan
from tether._engine.montecarlo import run_montecarlo, sample_limit
from tether._mc_size import MONTECARLO_DEFAULT_BYTES, montecarlo_bytes, montecarlo_limit
from tether._plan import compile_scenario

ROOT = Path(__file__).resolve().parent.parent


def _force(
    n_fleets: int,
    horizon: int = 365,
    basis: str | None = None,
    turnaround: float | None = None,
    capacity: int | None = None,
    demand: float = 1.0,
) -> Plan:
    base = yaml.safe_load((ROOT / "examples" / "single-fleet.yaml").read_text())
    for part in base["systems"][0]["parts"]:
        part["failure_rate"] = part["failure_rate"] * demand
        if part.get("supplier_repair"):
            if turnaround:
                part["supplier_repair"]["turnaround_days"] = turnaround
            if capacity:
                part["supplier_repair"]["capacity_per_day"] = capacity
    fleet = base["forces"][0]["fleets"][0]
    if basis:
        fleet["tempo_basis"] = basis
    base["forces"][0]["fleets"] = [dict(fleet, name=f"launchers-{i}") for i in range(n_fleets)]
    base["scenarios"][0]["horizon_days"] = horizon
    doc = tether.load_text(yaml.safe_dump(base, sort_keys=False), "force.yaml")
    return compile_scenario(doc, doc.scenario())


def _run(plan: Plan, reps: int) -> None:
    out = run_montecarlo(
        plan, reps, np.random.default_rng(1), keep_samples=[1], max_samples=sample_limit(plan)
    )
    _bands(plan, _dataset(plan, out.mean), out, (0.1, 0.5, 0.9), (0.75, 0.5))


def _peak(plan: Plan, reps: int) -> int:
    """Traced peak of the engine, the dataset and the bands, as ``simulate`` runs them
    (after a run of two replications, so that modules imported on first use are not
    counted: they are loaded once per process, not per run)."""
    _run(plan, 2)
    tracemalloc.start()
    try:
        _run(plan, reps)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


CASES: dict[str, tuple[Any, int, dict[str, int]]] = {
    # fleets x days: the running sums, outputs and dataset
    "fleet-days": (lambda: _force(20, horizon=300), 3, {}),
    # replications kept for the bands: sample_limit shrunk so that K is reached
    "kept-samples": (lambda: _force(2), 400, {"SAMPLE_BYTES": 2 * 366 * 4 * 300}),
    # a block of fixed part rows: blocks of one fleet's rows
    "part-blocks": (lambda: _force(12), 32, {"BLOCK_CELLS": 2_000}),
    # the day-stepped path: a long burn-in before a short horizon
    "burn-in": (lambda: _force(1, horizon=10, basis="available", turnaround=150), 40, {}),
    # the day-stepped path: blocks of whole fleets (one replication per chunk), and a
    # depot capacity
    "fleet-blocks": (
        lambda: _force(4, horizon=30, basis="available", turnaround=8, capacity=1),
        2,
        {"STEP_CELLS": 400},
    ),
    # the day-stepped path: many candidate failures, drawn a block of days at a time
    "candidates": (lambda: _force(2, horizon=120, basis="available", demand=20.0), 60, {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_estimate_bounds_the_traced_peak(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make, reps, constants = CASES[case]
    for name, value in constants.items():
        monkeypatch.setattr(montecarlo, name, value)
    plan = make()
    if case == "kept-samples":
        assert sample_limit(plan) < reps
    if case in ("burn-in", "fleet-blocks", "candidates"):
        assert montecarlo.stepped_fleets(plan).all()
    if case == "fleet-blocks":
        rows = np.arange(len(plan.part_labels))
        assert montecarlo.chunk_size(plan, reps) == 1
        assert len(montecarlo.fleet_blocks(plan, rows, 1, 60)) > 1
    if case == "candidates":
        monkeypatch.setattr(mc_stepped, "FAILURE_BLOCK", 20_000)
        assert montecarlo.stepped_rate(plan, np.arange(6))[1] * reps > 5 * 20_000
    peak = _peak(plan, reps)
    estimate = montecarlo_bytes(plan, reps)
    assert peak <= estimate <= 4 * peak, (peak, estimate, estimate / peak)


def test_the_default_allows_one_gib_and_the_variable_overrides_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TETHER_MAX_BYTES", raising=False)
    assert montecarlo_limit() == MONTECARLO_DEFAULT_BYTES == 2**30
    monkeypatch.setenv("TETHER_MAX_BYTES", "8e9")
    assert montecarlo_limit() == 8_000_000_000
    monkeypatch.setenv("TETHER_MAX_BYTES", "1000")
    assert montecarlo_limit() == 1000


def test_a_run_above_the_allowed_memory_is_refused_with_what_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a low TETHER_MAX_BYTES, a day-stepped run is refused (located, with the most
    replications that fit), and what it says fits runs."""
    base = yaml.safe_load((ROOT / "examples" / "single-fleet.yaml").read_text())
    base["forces"][0]["fleets"][0]["tempo_basis"] = "available"
    doc = tether.load_text(yaml.safe_dump(base, sort_keys=False), "force.yaml")
    plan = compile_scenario(doc, doc.scenario())
    limit = montecarlo_bytes(plan, 300)
    monkeypatch.setenv("TETHER_MAX_BYTES", str(limit))
    with pytest.raises(tether.CapacityError) as info:
        tether.simulate(doc, engine="montecarlo", reps=20_000, seed=1)
    (d,) = info.value.diagnostics
    assert d.file == "force.yaml" and d.line > 0 and d.field.endswith("horizon_days")
    fits = int(d.message.split("at most ")[1].split(" fit")[0].replace(",", ""))
    assert 300 <= fits < 20_000
    assert montecarlo_bytes(plan, fits) <= limit < montecarlo_bytes(plan, fits + 1)
    assert tether.simulate(doc, engine="montecarlo", reps=fits, seed=1).settings["reps"] == fits


def test_a_force_whose_outputs_alone_pass_the_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outputs grow with fleets x days whatever the chunking: past the limit even at two
    replications, the check asks for a smaller force."""
    plan = _force(3)
    limit = montecarlo_bytes(plan, 2) - 1
    monkeypatch.setattr(_api, "montecarlo_limit", lambda: limit)
    base = yaml.safe_load((ROOT / "examples" / "single-fleet.yaml").read_text())
    fleet = base["forces"][0]["fleets"][0]
    base["forces"][0]["fleets"] = [dict(fleet, name=f"launchers-{i}") for i in range(3)]
    doc = tether.load_text(yaml.safe_dump(base, sort_keys=False), "force.yaml")
    with pytest.raises(tether.CapacityError) as info:
        tether.simulate(doc, engine="montecarlo", reps=2, seed=1)
    assert "a smaller force" in info.value.diagnostics[0].message
