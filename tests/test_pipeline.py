"""Pipelines with paused clocks, checked by hand and against brute-force integration."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import tether
from tests.helpers import single_pool
from tether._engine.analytic import part_pipelines, run_analytic
from tether._engine.pipeline import clock, return_index, returned
from tether._plan import compile_scenario


def brute_force_mean(
    lam: np.ndarray, lam_ss: float, active: np.ndarray, tau: float, t: int, dt: float = 1e-3
) -> float:
    """m(t) = integral of lam(u) 1[clock(t) - clock(u) < tau] du, by a midpoint rule.

    Written from the definition, independently of the engine: the clock runs at rate 1
    before day 0 and on active days, and stands still on cut days.
    """
    u = np.arange(-tau - 2.0, t, dt) + dt / 2
    day = np.floor(u).astype(int)
    rate = np.where(day < 0, lam_ss, lam[np.clip(day, 0, None)])
    speed = np.where(day < 0, 1.0, active[np.clip(day, 0, None)].astype(float))
    clock_u = np.cumsum(speed) * dt  # clock reading, up to a constant
    clock_t = clock_u[-1] + 0.0
    out = (clock_t - clock_u) < tau - 1e-9
    return float(np.sum(rate[out]) * dt)


def test_hand_checkable_indefinite_cutoff() -> None:
    """20 units, demand 0.5/day, supplier repair 30 days, 10 spares, cut from day 0."""
    doc = single_pool(cutoffs=[{"supplier": "acme", "start_day": 0}], horizon=60)
    plan = compile_scenario(doc, doc.scenario())
    t = np.arange(61)
    assert_allclose(part_pipelines(plan, 1)[0], 15 + 0.5 * t, rtol=1e-12)
    assert_allclose(part_pipelines(plan, 0)[0], np.full(61, 15.0), rtol=1e-12)
    m = 15 + 0.5 * t
    # availability = 1 - E[min(B, N)] / N with B = (X - 10)^+: EBO(m, 10) - EBO(m, 30)
    expected = 1 - (tether.ebo(m, 10) - tether.ebo(m, 30)) / 20
    out = run_analytic(plan)
    assert_allclose(out.availability[1, 0], expected, rtol=1e-12, atol=1e-14)
    assert_allclose(out.backorders[1, 0], tether.ebo(m, 10), rtol=1e-12)
    assert out.availability[1, 0, -1] < 1e-3  # 45 expected out, 30 positions and spares


def test_cutoff_that_ends_returns_the_pipeline() -> None:
    """Cut days 10..29: the clock stands 20 days, so the pipeline drains by day 60."""
    doc = single_pool(cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 30}], horizon=90)
    m = part_pipelines(compile_scenario(doc, doc.scenario()), 1)[0]
    assert_allclose(m[:11], 15.0)
    assert_allclose(m[10:31], 15 + 0.5 * np.arange(21))  # nothing returns while cut
    # After the end, returns resume; the queue built up during the cut is back 30
    # clock-days after it failed, i.e. by day 30 + 30 = 60.
    assert m[45] > 15.0
    assert_allclose(m[60:], 15.0)


@pytest.mark.parametrize(
    ("cuts", "tau"),
    [
        ([], 12.0),
        ([(3, 9)], 5.0),
        ([(0, 40)], 7.5),
        ([(2, 6), (10, 11), (20, 33)], 4.25),
        ([(5, 41)], 30.0),
    ],
)
def test_pipeline_matches_brute_force(cuts: list[tuple[int, int]], tau: float) -> None:
    horizon = 40
    rng = np.random.default_rng(20251)
    lam = rng.uniform(0.2, 2.0, horizon + 1)
    lam_ss = 0.8
    active = np.ones(horizon + 1, dtype=bool)
    for a, e in cuts:
        active[a:e] = False
    ck = clock(active)
    ri = return_index(ck, np.array([tau]))
    cum = np.concatenate([[0.0], np.cumsum(lam[:-1])])[None, :]
    m = cum - returned(cum, lam[None, :], np.array([lam_ss]), ri)
    for t in (0, 1, 4, 7, 12, 20, 33, 40):
        ref = brute_force_mean(lam, lam_ss, active, tau, t)
        assert_allclose(m[0, t], ref, atol=5e-3, err_msg=f"t={t}")


def test_routes_combine_by_shares() -> None:
    """Condemnation (new buy) and supplier repair paused by different kinds."""
    doc = single_pool(
        cutoffs=[{"supplier": "acme", "kinds": ["spares"], "start_day": 0}],
        horizon=30,
        extra_part={
            "name": "mixed",
            "failure_rate": 0.001,
            "condemnation": 0.25,
            "new_buy": {"supplier": "acme", "lead_time_days": 100},
            "supplier_repair": {"supplier": "acme", "turnaround_days": 20},
        },
    )
    m = part_pipelines(compile_scenario(doc, doc.scenario()), 1)
    lam = 20 * 0.001
    # the repair route runs (steady); the new-buy route only accumulates
    expected = lam * (0.75 * 20 + 0.25 * 100) + 0.25 * lam * np.arange(31)
    assert_allclose(m[1], expected, rtol=1e-12)
    assert_allclose(m[0], 15.0)  # "item" is repaired, and repair is not cut
