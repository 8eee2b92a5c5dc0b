"""The analytic engine's memory estimate against its measured peak, and the guard."""

from __future__ import annotations

import dataclasses
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from benchmarks.analytic import synthetic_force

import tether
from tether._engine.analytic import run_analytic
from tether._engine.arrays import Plan
from tether._plan import compile_scenario
from tether._size import analytic_bytes

ROOT = Path(__file__).parent.parent


def _changed(plan: Plan, kind: str) -> Plan:
    P = len(plan.part_labels)
    if kind == "stepped":
        return dataclasses.replace(plan, available_basis=np.ones(len(plan.fleets), np.bool_))
    if kind == "varying":  # half the rows get a stock step: they leave the constant path
        rows = np.arange(0, P, 2)
        add = np.ones(len(rows), dtype=np.int64)
        return dataclasses.replace(plan, st_row=rows, st_day=np.full(len(rows), 30), st_add=add)
    return plan


def _peak(doc: tether.Document, kind: str) -> tuple[int, Plan]:
    """Peak traced bytes of compiling the scenario and running the analytic engine."""
    tracemalloc.start()
    try:
        plan = _changed(compile_scenario(doc, doc.scenarios[0]), kind)
        run_analytic(plan)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, plan


@pytest.mark.parametrize(
    ("parts", "days", "kind"),
    [
        (1_000, 365, "constant"),
        (400, 3_650, "constant"),
        (4_000, 200, "constant"),
        pytest.param(100, 300, "stepped", marks=pytest.mark.slow),  # 20 s to minutes
        (1_000, 730, "varying"),
        (200, 3_650, "varying"),
    ],
)
def test_estimate_bounds_the_measured_peak(parts: int, days: int, kind: str) -> None:
    doc, _ = synthetic_force(parts, days)
    peak, plan = _peak(doc, kind)
    P = len(plan.part_labels)
    estimate = analytic_bytes(
        len(plan.batch),
        len(plan.fleets),
        len(plan.suppliers),
        P,
        plan.horizon + 1,
        stepped_parts=P if kind == "stepped" else 0,
        varying_parts=P // 2 if kind == "varying" else 0,
    )
    assert peak <= estimate <= 4 * peak, (peak, estimate)


@pytest.mark.parametrize("name", ["single-fleet", "europe-us-withholds-year"])
def test_estimate_bounds_the_peak_on_examples(name: str) -> None:
    doc = tether.load(ROOT / "examples" / f"{name}.yaml")
    peak, plan = _peak(doc, "constant")
    estimate = analytic_bytes(
        len(plan.batch),
        len(plan.fleets),
        len(plan.suppliers),
        len(plan.part_labels),
        plan.horizon + 1,
    )
    assert peak <= estimate <= 4 * peak, (peak, estimate)


def test_the_guard_knows_its_engine() -> None:
    """A limit the analytic estimate exceeds refuses the analytic run, located and naming
    the engine; the Monte Carlo engine's compile counts only the plan (its run has its own
    check)."""
    doc, _ = synthetic_force(200, 365)
    sc = doc.scenarios[0]
    plan = compile_scenario(doc, sc)
    need = analytic_bytes(len(plan.batch), 20, len(plan.suppliers), len(plan.part_labels), 366)
    compile_scenario(doc, sc, max_bytes=need)
    with pytest.raises(tether.CapacityError) as info:
        compile_scenario(doc, sc, max_bytes=need - 1)
    (d,) = info.value.diagnostics
    assert "analytic engine" in d.message and "TETHER_MAX_BYTES" in d.message
    assert d.field.endswith("horizon_days")
    compile_scenario(doc, sc, max_bytes=need - 1, engine="montecarlo")


def test_a_hundred_thousand_rows_over_ten_years_fits_the_default() -> None:
    """The scaling benchmark's largest analytic case is under 1 GiB by the estimate (the
    old guard put it at 32.6 GiB and refused it)."""
    assert analytic_bytes(2, 20, 12, 100_000, 3_651) < 2**30
