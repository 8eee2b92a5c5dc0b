"""Stockpiles against a Markov on/off supplier: closed forms against direct sums, against
exhaustive search, and against seeded simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tether
from tether._analysis.stockpile import (
    base_stock_cost,
    eoqd,
    eoqd_cost,
    optimal_base_stock,
    simulate_base_stock,
    simulate_eoqd,
)


def _direct(level: float, a: float, b: float, h: float, p: float, d: float) -> float:
    """The expected cost as the plain sum over the number of down periods."""
    up = b / (a + b)
    n = np.arange(20_000)
    prob = np.where(n == 0, up, up * a * (1 - b) ** np.maximum(n - 1, 0))
    x = level - (n + 1) * d
    return float((prob * (h * np.maximum(x, 0) + p * np.maximum(-x, 0))).sum())


params = {
    "a": st.floats(0.01, 0.5),
    "b": st.floats(0.02, 0.9),
    "h": st.floats(0.1, 5.0),
    "p": st.floats(0.1, 50.0),
    "d": st.floats(0.2, 20.0),
}


@settings(max_examples=60, deadline=None)
@given(level=st.floats(0.0, 60.0), **params)
def test_closed_form_equals_direct_sum(
    level: float, a: float, b: float, h: float, p: float, d: float
) -> None:
    got = base_stock_cost(level, a, b, h, p, d)
    assert got == pytest.approx(_direct(level, a, b, h, p, d), rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(**params)
def test_optimal_level_beats_every_level(a: float, b: float, h: float, p: float, d: float) -> None:
    best = optimal_base_stock(a, b, h, p, d)
    c = base_stock_cost(best, a, b, h, p, d)
    grid = np.linspace(0, best * 3 + 5 * d, 400)
    assert all(c <= base_stock_cost(float(s), a, b, h, p, d) + 1e-9 for s in grid)
    assert best / d == pytest.approx(round(best / d))


@pytest.mark.parametrize("level", [0.0, 2.0, 4.0, 7.5])
def test_base_stock_cost_against_simulation(level: float) -> None:
    a, b, h, p, d = 0.05, 0.25, 1.0, 10.0, 1.0
    runs = [
        simulate_base_stock(level, a, b, h, p, d, 100_000, np.random.default_rng(s))
        for s in range(4)
    ]
    mean, se = float(np.mean(runs)), float(np.std(runs, ddof=1) / 2)
    assert abs(mean - base_stock_cost(level, a, b, h, p, d)) < 4 * se + 0.01


def test_simulated_optimum_is_the_closed_form() -> None:
    """With common random numbers, the simulated best level on a grid is S*."""
    a, b, h, p, d = 0.1, 0.3, 1.0, 8.0, 2.0
    best = optimal_base_stock(a, b, h, p, d)
    grid = [2.0 * k for k in range(1, 10)]
    sims = [simulate_base_stock(s, a, b, h, p, d, 150_000, np.random.default_rng(7)) for s in grid]
    assert grid[int(np.argmin(sims))] == best == 8.0


@pytest.mark.parametrize(("a", "b", "factor"), [(0.01, 0.1, 1.0), (0.05, 0.5, 0.5)])
def test_eoqd_against_simulation(a: float, b: float, factor: float) -> None:
    h, p, k, d = 1.0, 20.0, 50.0, 10.0
    r = eoqd(a, b, h, p, k, d)
    q = r.exact_quantity * factor
    runs = [simulate_eoqd(q, a, b, h, p, k, d, 20_000, np.random.default_rng(s)) for s in range(4)]
    mean, se = float(np.mean(runs)), float(np.std(runs, ddof=1) / 2)
    assert abs(mean - eoqd_cost(q, a, b, h, p, k, d)) < 4 * se + 1e-3 * mean


@settings(max_examples=40, deadline=None)
@given(a=st.floats(0.001, 0.3), b=st.floats(0.01, 0.9), p=st.floats(0.0, 50.0))
def test_eoqd_exact_is_the_minimum(a: float, b: float, p: float) -> None:
    h, k, d = 1.0, 50.0, 10.0
    r = eoqd(a, b, h, p, k, d)
    grid = np.linspace(r.exact_quantity * 0.2, r.exact_quantity * 5, 300)
    costs = [eoqd_cost(float(q), a, b, h, p, k, d) for q in grid]
    assert r.exact_cost <= min(costs) + 1e-9 * r.exact_cost
    assert r.exact_cost <= r.approx_cost + 1e-12


def test_eoqd_limits() -> None:
    # a supplier that almost never fails: the classic EOQ
    r = eoqd(1e-9, 0.5, 1.0, 20.0, 50.0, 10.0)
    assert r.exact_quantity == pytest.approx(r.eoq, rel=1e-4)
    assert r.approx_quantity == pytest.approx(r.eoq, rel=1e-4)
    # long cycles against short spells: the approximation is close
    r = eoqd(0.2, 0.6, 0.01, 5.0, 5000.0, 10.0)
    assert r.approx_quantity == pytest.approx(r.exact_quantity, rel=1e-3)


def test_stockpile_api() -> None:
    s = tether.stockpile(0.05, 0.25, holding=1.0, shortage=10.0, demand=100.0, order_cost=500.0)
    assert s.optimal_level == 400.0
    assert s.optimal_cost == pytest.approx(542.7083333, rel=1e-9)
    assert s.mean_outage == 4.0 and s.disruption_share == pytest.approx(1 / 6)
    assert s.cover_probability == pytest.approx(1 - (1 / 6) * 0.75**3)
    assert s.eoqd is not None and s.eoqd.exact_cost <= s.eoqd.approx_cost
    at = tether.stockpile(0.05, 0.25, holding=1.0, shortage=10.0, demand=100.0, level=250)
    assert at.level == 250 and at.cost > at.optimal_cost
    assert set(s.to_dict()) >= {"optimal_level", "eoqd", "cover_probability"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"disruption": 0.0},
        {"disruption": 1.0},
        {"recovery": -0.1},
        {"holding": -1.0},
        {"shortage": float("nan")},
        {"demand": 0.0},
        {"level": -3.0},
        {"order_cost": -5.0},
    ],
)
def test_bad_input(kwargs: dict[str, float]) -> None:
    args = {"disruption": 0.05, "recovery": 0.25, "holding": 1.0, "shortage": 10.0}
    args.update(kwargs)
    with pytest.raises(tether.ArgumentError):
        tether.stockpile(**args)  # type: ignore[arg-type]
