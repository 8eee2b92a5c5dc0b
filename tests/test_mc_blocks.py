"""Monte Carlo over a large force: part rows a block at a time (bounded memory) give the
same distribution as all at once, with or without cannibalisation, groups kept whole."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.helpers import single_pool
from tether._engine import montecarlo
from tether._engine.arrays import Plan
from tether._engine.mc_force import force_of
from tether._plan import compile_scenario


def _plan() -> Plan:
    doc = single_pool(
        cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 40}],
        horizon=90,
        extra_part={
            "name": "b",
            "quantity": 2,
            "failure_rate": 0.01,
            "supplier_repair": {"supplier": "beta", "turnaround_days": 20},
        },
        fleet={"spares": {"item": 10, "b": 3}},
    )
    return compile_scenario(doc, doc.scenario())


@pytest.mark.parametrize("cannibalise", [False, True])
def test_blocks_of_parts_agree_with_one_block(
    cannibalise: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan()
    whole = montecarlo.run_montecarlo(
        plan, 3000, np.random.default_rng(1), cannibalise=cannibalise, keep_samples=[]
    )
    monkeypatch.setattr(montecarlo, "BLOCK_CELLS", 100)  # one part row per block
    assert len(montecarlo.part_blocks(force_of(plan), np.arange(2), 16, 91)) == 2
    split = montecarlo.run_montecarlo(
        plan, 3000, np.random.default_rng(2), cannibalise=cannibalise, keep_samples=[]
    )
    for k in ("availability", "backorders", "capability"):
        se = np.hypot(whole.stderr[k], split.stderr[k])
        z = np.abs(whole.mean[k] - split.mean[k]) / np.maximum(se, 1e-12)
        assert z.max() < 4.5, (k, z.max())


def test_blocks_keep_groups_whole() -> None:
    plan = _plan()
    grouped = replace(
        plan,
        part_group=np.array([0, 0]),
        quantity=np.array([1.0, 1.0]),
        failure_rate=np.full(2, plan.failure_rate[0]),
        spares=np.array([10, 10]),
        row_from=np.array([0, 30]),
        row_until=np.array([30, 91]),
    )
    force = force_of(grouped)
    assert len(montecarlo.part_blocks(force, np.arange(2), 10**6, 91)) == 1
    ungrouped = force_of(plan)
    assert len(montecarlo.part_blocks(ungrouped, np.arange(2), 10**6, 91)) == 2
