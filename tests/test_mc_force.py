"""Monte Carlo with a force that changes over time: part groups and row windows, stock
steps, unit steps and diversion to the domestic route, each against a brute-force sum
(integer turnarounds, so every item's return instant is known exactly) or against a run
that must give the same draws."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.stats import poisson

from tests.helpers import single_pool
from tether._engine.arrays import KIND_INDEX, Plan
from tether._engine.montecarlo import run_montecarlo
from tether._plan import compile_scenario

DAYS = [0, 5, 9, 10, 15, 25, 39, 40, 41, 60, 79]


def base_plan(**kwargs: Any) -> Plan:
    doc = single_pool(horizon=80, **kwargs)
    return compile_scenario(doc, doc.scenario())


def with_rows(plan: Plan, routes: list[dict[str, Any]], **fields: Any) -> Plan:
    """``plan`` (one part row) with its row repeated once per entry of ``routes`` (each
    overriding share, route_time, route_supplier, route_capacity), in one group."""
    n = len(routes)
    rep = {
        k: np.repeat(getattr(plan, k), n, axis=0)
        for k in (
            "part_fleet",
            "quantity",
            "failure_rate",
            "spares",
            "unit_cost",
            "share",
            "route_time",
            "route_supplier",
            "route_capacity",
        )
    }
    for i, r in enumerate(routes):
        for k, v in r.items():
            rep[k][i] = v
    defaults: dict[str, Any] = {
        "part_labels": tuple(f"pool/item#{i}" for i in range(n)),
        "part_group": np.zeros(n, dtype=np.int64),
        "row_from": np.zeros(n, dtype=np.int64),
        "row_until": np.full(n, plan.horizon + 1, dtype=np.int64),
        "divert": np.zeros(n, dtype=np.bool_),
    }
    return replace(plan, **(defaults | rep | fields))


def brute_pipeline(plan: Plan, b: int) -> np.ndarray:
    """Mean items out per group and day ``[G, T]`` by summing over failure days: each
    day's failures (rate by the row in force, routed by share, diverted while cut) come
    back at the clock's first instant ``A(t) >= A(u + xi) + tau`` (integer ``tau``)."""
    T = plan.horizon + 1
    groups = np.unique(plan.part_group)
    out = np.zeros((len(groups), T))
    units = np.repeat(plan.units[:, None], T, axis=1)
    for f, day, add in zip(plan.un_fleet, plan.un_day, plan.un_add, strict=True):
        units[f, day:] += add
    repair = KIND_INDEX["repair"]
    for p in range(len(plan.part_labels)):
        f = plan.part_fleet[p]
        zr = plan.quantity[p] * plan.failure_rate[p] * plan.hours[f, 0]
        for route in range(3):
            if plan.route_time[p, route] <= 0:
                continue
            tau = int(plan.route_time[p, route])
            s = plan.route_supplier[p, route]
            kind = KIND_INDEX["spares"] if route == 0 else repair
            active = np.ones(T, bool) if s < 0 else ~plan.cut[b, s, kind]
            A = np.concatenate([[0], np.cumsum(active[:-1])])
            for u in range(-200, T - 1):
                in_force = plan.row_from[p] <= max(u, 0) < plan.row_until[p]
                if not in_force:
                    continue
                share = plan.share[p, route]
                if plan.divert[p] and u >= 0:
                    s2 = plan.route_supplier[p, 2]
                    withheld = s2 >= 0 and plan.cut[b, s2, repair, u]
                    if route == 2 and withheld:
                        continue
                    if route == 1 and withheld:
                        share = share + plan.share[p, 2]
                if share <= 0:
                    continue
                lam = (units[f, 0] if u < 0 else units[f, u]) * zr * share
                k = u + tau + 1 if u < 0 else A[u] + tau + (1 if active[u] else 0)
                hit = np.flatnonzero(k <= A) if k > 0 else np.array([0])
                back = hit[0] if len(hit) else T
                lo = max(u + 1, 0)
                out[plan.part_group[p], lo:back] += lam
    return out


def expected(plan: Plan, b: int, stock: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Mean and variance of backorders and availability (one Z = 1 part, holes at
    random: ``max(N - B, 0) / N`` units up) from the brute sum, per day."""
    m = brute_pipeline(plan, b)[0]
    T = plan.horizon + 1
    s = np.full(T, plan.spares[0]) if stock is None else stock
    k = np.arange(0, 400)[:, None]
    pmf = poisson.pmf(k, m[None])
    held = np.maximum(k - s[None], 0)
    units = np.repeat(plan.units[0], T).astype(float)
    for day, add in zip(plan.un_day, plan.un_add, strict=True):
        units[day:] += add
    n = np.where(units > 0, units, 1.0)[None]
    up = np.where(units[None] > 0, np.maximum(n - held, 0) / n, 1.0)
    out = {}
    for key, x in (("backorders", held), ("availability", up)):
        mean = (x * pmf).sum(axis=0)
        out[key] = mean
        out[key + "_var"] = (np.square(x - mean[None]) * pmf).sum(axis=0)
    return out


def check(plan: Plan, reps: int, seed: int, stock: np.ndarray | None = None) -> None:
    """Mean backorders and availability within 3 standard errors of the brute sum (the
    larger of the sampled and the exact standard error, so that a day where the sample
    happens to hold no backorder still counts)."""
    mc = run_montecarlo(plan, reps, np.random.default_rng(seed), keep_samples=[])
    for b in range(len(plan.batch)):
        ex = expected(plan, b, stock)
        for key in ("backorders", "availability"):
            gap = np.abs(mc.mean[key][b, 0, DAYS] - ex[key][DAYS])
            se = np.maximum(mc.stderr[key][b, 0, DAYS], np.sqrt(ex[key + "_var"][DAYS] / reps))
            assert np.all(gap <= 3 * se + 1e-9), (key, b, (gap / np.maximum(se, 1e-12)).max())


def test_defaults_given_explicitly_give_the_same_draws() -> None:
    plan = base_plan(cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 40}])
    empty = replace(
        plan,
        part_group=np.zeros(0, np.int64),
        row_from=np.zeros(0, np.int64),
        row_until=np.zeros(0, np.int64),
        divert=np.zeros(0, np.bool_),
    )
    a = run_montecarlo(plan, 50, np.random.default_rng(1))
    b = run_montecarlo(empty, 50, np.random.default_rng(1))
    assert_array_equal(a.mean["capability"], b.mean["capability"])


def test_stock_step_on_day_zero_is_more_spares_with_the_same_draws() -> None:
    plan = base_plan(cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 40}])
    stepped = replace(plan, st_row=np.array([0]), st_day=np.array([0]), st_add=np.array([4]))
    more = replace(plan, spares=plan.spares + 4)
    a = run_montecarlo(stepped, 100, np.random.default_rng(3))
    b = run_montecarlo(more, 100, np.random.default_rng(3))
    for k in ("availability", "backorders", "capability"):
        assert_array_equal(a.mean[k], b.mean[k])


def test_stock_step_later_switches_between_the_two_runs() -> None:
    plan = base_plan(cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 40}])
    stepped = replace(plan, st_row=np.array([0]), st_day=np.array([30]), st_add=np.array([5]))
    a = run_montecarlo(stepped, 100, np.random.default_rng(3))
    before = run_montecarlo(plan, 100, np.random.default_rng(3))
    after = run_montecarlo(replace(plan, spares=plan.spares + 5), 100, np.random.default_rng(3))
    k = "backorders"
    assert_array_equal(a.mean[k][..., :30], before.mean[k][..., :30])
    assert_array_equal(a.mean[k][..., 30:], after.mean[k][..., 30:])
    assert not np.array_equal(a.mean[k], before.mean[k])


def test_row_windows_route_by_the_row_in_force() -> None:
    """A supplier-repair part that gains a domestic depot (10 days) from day 25."""
    plan = base_plan(cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 40}])
    two = with_rows(
        plan,
        [
            {},
            {
                "share": [0.0, 1.0, 0.0],
                "route_time": [0.0, 10.0, 0.0],
                "route_supplier": [-1, -1, -1],
            },
        ],
        row_from=np.array([0, 25]),
        row_until=np.array([25, 81]),
    )
    check(two, 3000, 4)


def test_unit_steps_scale_demand_and_availability() -> None:
    plan = base_plan(cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 40}])
    grown = replace(
        plan,
        un_fleet=np.array([0, 0]),
        un_day=np.array([15, 50]),
        un_add=np.array([20.0, -30.0]),
    )
    check(grown, 3000, 5)


def test_fleet_with_no_units_until_delivered() -> None:
    plan = base_plan()
    later = replace(
        plan,
        units=np.array([0.0]),
        un_fleet=np.array([0]),
        un_day=np.array([20]),
        un_add=np.array([20.0]),
    )
    mc = run_montecarlo(later, 200, np.random.default_rng(6))
    assert_array_equal(mc.mean["availability"][:, 0, :20], 1.0)
    assert_array_equal(mc.mean["capability"][:, 0, :20], 0.0)
    assert np.all(mc.mean["capability"][:, 0, 20:] > 10)
    check(later, 2000, 6)


def test_divert_sends_supplier_repair_home_while_cut() -> None:
    plan = base_plan(cutoffs=[{"supplier": "acme", "kinds": ["repair"], "start_day": 10}])
    plan = replace(
        plan,
        route_time=np.array([[0.0, 8.0, 30.0]]),
        divert=np.array([True]),
    )
    check(plan, 3000, 7)
    kept = run_montecarlo(replace(plan, divert=np.array([False])), 2000, np.random.default_rng(7))
    sent = run_montecarlo(plan, 2000, np.random.default_rng(7))
    # without diversion the cut part only accumulates; with it, it comes home
    assert sent.mean["availability"][1, 0, 79] > kept.mean["availability"][1, 0, 79] + 0.3


@pytest.mark.parametrize("capacity", [1.0, 3.0])
def test_diverted_items_share_the_domestic_capacity(capacity: float) -> None:
    plan = base_plan(cutoffs=[{"supplier": "acme", "kinds": ["repair"], "start_day": 10}])
    plan = replace(
        plan,
        share=np.array([[0.0, 0.5, 0.5]]),
        route_time=np.array([[0.0, 8.0, 30.0]]),
        route_capacity=np.array([[np.inf, capacity, np.inf]]),
        divert=np.array([True]),
    )
    free = replace(plan, route_capacity=np.array([[np.inf, np.inf, np.inf]]))
    capped = run_montecarlo(plan, 1000, np.random.default_rng(8))
    loose = run_montecarlo(free, 1000, np.random.default_rng(8))
    # demand is 0.5 a day: a depot of 1 a day keeps up (up to queueing), one of 3 always
    se = np.hypot(capped.stderr["backorders"], loose.stderr["backorders"])
    gap = capped.mean["backorders"] - loose.mean["backorders"]
    assert np.all(gap >= -3 * se - 1e-9)
    check(free, 2000, 8)
    if capacity >= 3:
        assert np.all(np.abs(gap) <= 3 * se + 1e-9)


def _varying_cases() -> dict[str, Plan]:
    plan = base_plan(cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 40}])
    domestic = {"share": [0.0, 1.0, 0.0], "route_time": [0.0, 10.0, 0.0]}
    cut_repair = base_plan(cutoffs=[{"supplier": "acme", "kinds": ["repair"], "start_day": 10}])
    return {
        "window": with_rows(
            plan,
            [{}, domestic | {"route_supplier": [-1, -1, -1]}],
            row_from=np.array([0, 25]),
            row_until=np.array([25, 81]),
        ),
        "units": replace(
            plan,
            un_fleet=np.array([0, 0]),
            un_day=np.array([15, 50]),
            un_add=np.array([20.0, -30.0]),
        ),
        "stock": replace(plan, st_row=np.array([0]), st_day=np.array([30]), st_add=np.array([5])),
        "divert": replace(
            cut_repair, route_time=np.array([[0.0, 8.0, 30.0]]), divert=np.array([True])
        ),
    }


@pytest.mark.parametrize("name", ["window", "units", "stock", "divert"])
def test_agrees_with_the_analytic_engine(name: str) -> None:
    """Within 3 standard errors of the analytic engine's time-varying force, every day."""
    pytest.importorskip("tether._engine.varying")  # the analytic side of the same arrays
    from tether._engine.analytic import run_analytic

    plan = _varying_cases()[name]
    exact = run_analytic(plan)
    mc = run_montecarlo(plan, 3000, np.random.default_rng(11), keep_samples=[])
    for k in ("availability", "backorders"):
        se = np.maximum(mc.stderr[k], 1e-3)  # a day with no backorder sampled still counts
        gap = np.abs(mc.mean[k] - getattr(exact, k))
        assert np.all(gap <= 3 * se), (k, (gap / se).max())
