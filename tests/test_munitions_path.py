"""Munitions on the 'available' tempo basis (tether._engine.munitions_path).

The stock integrates the random units-up path, so the analytic engine carries the joint
law of a quantile bin of the share up and the stock. Checked against brute force over
the bin chain's paths (the stock recursion and its grid) and against seeded Monte Carlo
on a small fleet whose stock runs dry (where the expected-availability recursion is far
off).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from tests.helpers import single_pool
from tether._engine import munitions_path as mp
from tether._engine.analytic import run_analytic
from tether._engine.factors import munitions_factor
from tether._engine.montecarlo import run_montecarlo
from tether._plan import compile_scenario


def _moments(T: int) -> tuple[Any, Any, Any, Any]:
    t = np.arange(T, dtype=np.float64)
    mean = (0.9 - 0.02 * t)[None]
    var = (0.01 + 0.002 * t)[None]
    second = var + mean**2
    rho = 0.8
    lag = np.full_like(mean, np.nan)
    lag[:, :-1] = mean[:, :-1] * mean[:, 1:] + rho * np.sqrt(var[:, :-1] * var[:, 1:])
    top = np.full_like(mean, 0.2)
    return mean, second, lag, top


def test_chain_equals_the_sum_over_bin_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """With 3 bins, the expected rounds fired and stock on every day equal the sum over
    all 3^T paths of the bin chain (each path's exact Lindley recursion: resupply, a
    one-off delivery, the floor at 0) to within the stock grid's rounding."""
    monkeypatch.setattr(mp, "BINS", 3)
    T = 8
    mean, second, lag, top = _moments(T)
    demand_up = np.full((1, T), 10.0)
    resupply = np.full((1, T), 2.0)
    resupply[0, 5] += 15.0
    stock0 = np.array([30.0])
    got = mp.expected_fired(mean, second, lag, top, demand_up, stock0, resupply)
    vals = mp._bin_values(mean, second, top)[0]  # [T, K]
    rho = mp._calibrate(vals[None, :-1], vals[None, 1:], np.full((1, T - 1), 0.8))[0]
    moves = mp._transition(rho)  # [T - 1, K, K]
    fired, stock = np.zeros(T), np.zeros(T)
    for path in itertools.product(range(3), repeat=T):
        p = 1.0 / 3.0
        for t in range(1, T):
            p *= moves[t - 1, path[t - 1], path[t]]
        s = stock0[0]
        for t, j in enumerate(path):
            d = demand_up[0, t] * vals[t, j]
            f = min(s + resupply[0, t], d)
            fired[t] += p * f
            stock[t] += p * s
            s = s + resupply[0, t] - f
    assert np.abs(got.fired.sum(axis=2)[0] - fired).max() < 0.02
    assert np.abs(got.stock[0] - stock).max() < 0.02
    assert np.abs(got.mass.sum(axis=2) - 1.0).max() < 1e-9


def test_no_spread_is_the_recursion_on_the_mean() -> None:
    """A share up without spread: exactly the fleet basis' recursion on the mean."""
    T = 20
    mean = np.full((1, T), 0.8)
    demand_up = np.full((1, T), 5.0)
    resupply = np.full((1, T), 1.0)
    got = mp.expected_fired(
        mean, mean**2, mean**2, np.zeros((1, T)), demand_up, np.array([30.0]), resupply
    )
    factor, stock = munitions_factor(np.array([30.0]), demand_up * mean, resupply)
    assert np.allclose(got.fired.sum(axis=2), factor * demand_up * mean, atol=1e-12)
    assert np.allclose(got.stock, stock, atol=1e-12)


def _small_fleet(cutoffs: list[dict[str, Any]] | None = None) -> Any:
    doc = single_pool(
        units=10,
        demand_per_day=0.1,
        turnaround=60.0,
        spares=3,
        horizon=60,
        cutoffs=cutoffs,
        fleet={
            "tempo_basis": "available",
            "munitions": {"shell": {"stock": 200, "resupply": [{"per_day": 1.0}]}},
        },
        system={"munitions": [{"name": "shell", "supplier": "acme", "use_per_unit_day": 1}]},
    )
    return compile_scenario(doc, doc.scenario())


def test_small_fleet_running_dry_agrees_with_monte_carlo() -> None:
    """10 units (share up 0.80, spread about 0.1), 200 rounds at about 7 a day net: the
    stock runs dry between days 20 and 40 depending on the path. Capability within 6 SE
    of 4,000 seeded Monte Carlo replications on every day (measured: 2.6 with seed 3, 4.6
    with seed 4), where the recursion on the expected availability is 77 SE off."""
    plan = _small_fleet()
    exact = run_analytic(plan)
    reps = 4000
    mc = run_montecarlo(plan, reps, np.random.default_rng(3), munitions_noise=False)
    se = mc.stderr["capability"][0, 0]
    gap = mc.mean["capability"][0, 0] - exact.capability[0, 0]
    z = np.where(np.abs(gap) < 1e-9, 0.0, gap / np.maximum(se, 1e-12))
    assert np.abs(z).max() < 6.0, (np.abs(z).max(), int(np.abs(z).argmax()))
    # the recursion on the mean, for contrast: the same engine's availability
    a = exact.availability[0, 0]
    factor, _ = munitions_factor(np.array([200.0]), (10.0 * a)[None], np.ones((1, a.size)))
    old = 10.0 * a * factor[0]
    z_old = (mc.mean["capability"][0, 0] - old) / np.maximum(se, 1e-12)
    assert np.abs(z_old).max() > 50.0


@pytest.mark.parametrize("days", [1, 3])
def test_moments_reuse_a_steady_day_exactly(monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    """The rows' moments on a fleet with no cutoff: taking the laws in flight over from
    the day before while nothing moves gives what stepping every day gives, and the mean
    is the engine's availability."""
    from tether._engine import feedback
    from tether._engine.arrays import route_clock_masks
    from tether._engine.pipeline import clock

    plan = _small_fleet()
    T = plan.horizon + 1
    actives, cid = route_clock_masks(plan, plan.cut[0][None])
    clocks = [clock(a[0]) for a in actives]
    rows = np.arange(len(plan.part_labels))
    groups = feedback.route_groups(plan, clocks, cid, rows)
    fixed = np.zeros((1, T))
    reused = feedback.availability_moments(plan, rows, groups, fixed, days, 8)
    monkeypatch.setattr(feedback, "SAME", -1.0)  # every day moves: every day stepped
    stepped = feedback.availability_moments(plan, rows, groups, fixed, days, 8)
    for key in ("mean", "second", "lag", "top", "bins"):
        a, b = getattr(reused, key), getattr(stepped, key)
        assert np.allclose(a, b, rtol=0, atol=1e-12, equal_nan=True), key
    _, _, avail = feedback.parts_available(plan, rows, groups, fixed)
    assert np.allclose(reused.mean, avail, atol=1e-15)
    assert np.isnan(reused.lag[:, T - days :]).all()
    assert not np.isnan(reused.lag[:, : T - days]).any()


def test_parts_pass_carries_the_moments_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parts' pass carries the moments the munitions need (no second pass over the
    same rows), and gives what the second pass gave, baseline and a cutoff."""
    from tether._engine import analytic

    plan = _small_fleet([{"jurisdiction": "US", "start_day": 10, "end_day": 40}])
    calls: list[int] = []
    real = mp.availability_moments

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mp, "availability_moments", counted)
    once = run_analytic(plan)
    assert calls == []  # every case's moments came from the parts' pass
    monkeypatch.setattr(analytic, "moments_fleets", lambda p: np.zeros(len(p.fleets), bool))
    twice = run_analytic(plan)
    assert len(calls) == len(plan.batch)
    for key in ("availability", "munitions", "capability", "backorders"):
        np.testing.assert_allclose(getattr(once, key), getattr(twice, key), rtol=1e-10, atol=1e-12)
    assert (once.munitions < 1.0 - 1e-6).any()  # the stock does run short
