"""The SimPy reference model agrees with tether's Monte Carlo engine (slow)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("simpy")

from benchmarks.montecarlo import fleet_document, reference_fleet
from benchmarks.simpy_reference import simulate_reference

from tether._engine.montecarlo import run_montecarlo
from tether._plan import compile_scenario


@pytest.mark.slow
@pytest.mark.parametrize(("parts", "units"), [(4, 12), (12, 24)])
def test_simpy_reference_agrees_within_sampling_error(parts: int, units: int) -> None:
    doc = fleet_document(parts, units)
    plan = compile_scenario(doc, doc.scenarios[0])
    reps = 400
    mc = run_montecarlo(plan, 4000, np.random.default_rng(5), cannibalise=True, keep_samples=[])
    days = np.arange(0, plan.horizon + 1, 5)
    for b in (0, 1):  # the baseline and the scenario
        sim = simulate_reference(reference_fleet(plan, b), reps, seed=6 + 10 * b)
        for key, ref in (("availability", sim.availability), ("backorders", sim.backorders)):
            gap = np.abs(mc.mean[key][b, 0, days] - ref.mean(axis=0)[days])
            se = np.hypot(mc.stderr[key][b, 0, days], ref.std(axis=0, ddof=1)[days] / np.sqrt(reps))
            # 74 days checked per curve: allow 4 standard errors on each
            assert np.all(gap <= 4 * se + 1e-9), (key, b, (gap / se).max())
