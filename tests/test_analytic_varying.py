"""The analytic engine under a force that changes over time (part groups, row windows,
stock and unit steps, divert, depot capacity), against independent computations."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import special, stats

import tether
from tests.helpers import single_pool
from tether._engine import varying as varying_engine
from tether._engine.analytic import _clocks, _operating_share, _parts, run_analytic
from tether._engine.arrays import KIND_INDEX, Plan
from tether._engine.montecarlo import run_montecarlo
from tether._engine.varying import constant_force, parts_varying
from tether._plan import compile_scenario

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.yaml"))

ROW_FIELDS = [
    "part_fleet",
    "quantity",
    "failure_rate",
    "spares",
    "unit_cost",
    "share",
    "route_time",
    "route_supplier",
    "route_capacity",
    "part_group",
    "row_from",
    "row_until",
    "divert",
]


def rows_of(plan: Plan, idx: list[int], **changes: Any) -> Plan:
    """A plan whose part rows are ``plan``'s rows ``idx`` (repeats allowed)."""
    sel = np.asarray(idx)
    fields: dict[str, Any] = {k: getattr(plan, k)[sel].copy() for k in ROW_FIELDS}
    fields["part_labels"] = tuple(plan.part_labels[i] for i in idx)
    fields.update(changes)
    return dataclasses.replace(plan, **fields)


def two_route_pool(**kw: Any) -> Any:
    """One fleet of 20 units, a part installed twice per unit repaired 70% by acme (30 days,
    acme cut on days 10-50) and 30% at home (12 days)."""
    part = {
        "name": "item",
        "quantity": 2,
        "failure_rate": 0.02,
        "data_rights": True,
        "supplier_repair": {"supplier": "acme", "turnaround_days": 30},
        "domestic_repair": {"share": 0.3, "turnaround_days": 12},
    }
    return single_pool(
        system={"parts": [part]},
        cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 50}],
        horizon=90,
        **kw,
    )


# -- the general path on an unchanging force is the constant path ---------------------------


def _both_paths(plan: Plan) -> None:
    a_ss = _operating_share(plan)
    for b in range(len(plan.batch)):
        cut = plan.cut[b]
        fast_a, fast_bo = _parts(plan, cut, a_ss)
        clocks, cid = _clocks(plan, cut)
        gen_a, gen_bo = parts_varying(plan, cut, clocks, cid, a_ss)
        assert_allclose(gen_a, fast_a, rtol=0, atol=1e-12)
        assert_allclose(gen_bo, fast_bo, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_general_path_equals_constant_path_on_examples(path: Path) -> None:
    doc = tether.load(path)
    plan = compile_scenario(doc, doc.scenario())
    if plan.un_day.size:  # units on order (catalogue's Homar-K): compare without the steps
        plan = dataclasses.replace(
            plan, un_fleet=plan.un_fleet[:0], un_day=plan.un_day[:0], un_add=plan.un_add[:0]
        )
    assert constant_force(plan)
    _both_paths(plan)


def test_general_path_equals_constant_path_on_available_basis() -> None:
    """Both paths carry the count's distribution (tether._engine.feedback)."""
    doc = single_pool(
        fleet={"tempo_basis": "available"},
        cutoffs=[{"supplier": "acme", "start_day": 5, "end_day": 40}],
        horizon=80,
    )
    _both_paths(compile_scenario(doc, doc.scenario()))


def test_available_basis_with_unit_and_stock_steps_agrees_with_monte_carlo() -> None:
    """A changing force on the 'available' basis (5 units delivered on day 40, 6 spares on
    day 60, the US route cut on days 10..69) is carried as a distribution: within 0.015
    and 4 SE of 2,000 Monte Carlo replications on every day (measured 0.0085, z 3.4;
    the mean-field passes were 0.077 off, z 34)."""
    doc = single_pool(
        units=10,
        demand_per_day=0.6,
        spares=8,
        turnaround=30,
        horizon=120,
        fleet={"tempo_basis": "available"},
        cutoffs=[{"jurisdiction": "US", "start_day": 10, "end_day": 70}],
    )
    plan = dataclasses.replace(
        compile_scenario(doc, doc.scenario()),
        un_fleet=np.array([0]),
        un_day=np.array([40]),
        un_add=np.array([5.0]),
        st_row=np.array([0]),
        st_day=np.array([60]),
        st_add=np.array([6]),
    )
    assert not constant_force(plan)
    exact = run_analytic(plan).availability[:, 0]
    mc = run_montecarlo(plan, 2000, np.random.default_rng(8))
    gap = exact - mc.mean["availability"][:, 0]
    se = np.maximum(mc.stderr["availability"][:, 0], 1e-12)
    z = np.where(np.abs(gap) > 1e-12, gap / se, 0.0)
    assert np.abs(gap).max() < 0.015
    assert np.abs(z).max() < 4.0


# -- equivalent constant forces --------------------------------------------------------------


def test_stock_step_on_day_zero_is_more_spares() -> None:
    doc = two_route_pool()
    plan = compile_scenario(doc, doc.scenario())
    stepped = dataclasses.replace(
        plan,
        st_row=np.array([0]),
        st_day=np.array([0]),
        st_add=np.array([4]),
        spares=plan.spares.copy(),
    )
    more = dataclasses.replace(plan, spares=plan.spares + 4)
    # the steady state before day 0 is the same only if the stock is; compare from a plan
    # whose steady state is unaffected: the 'fleet' basis (demand does not see stock)
    assert not constant_force(stepped)
    a, b = run_analytic(stepped), run_analytic(more)
    assert_allclose(a.availability, b.availability, rtol=0, atol=1e-12)
    assert_allclose(a.backorders, b.backorders, rtol=1e-12, atol=1e-12)


def test_row_window_from_day_zero_to_the_end_is_the_row() -> None:
    """A group of two rows, the second empty (its window never opens), is the first row."""
    doc = two_route_pool()
    plan = compile_scenario(doc, doc.scenario())
    T = plan.horizon + 1
    two = rows_of(
        plan,
        [0, 0],
        part_group=np.array([0, 0]),
        row_from=np.array([0, T]),
        row_until=np.array([T, T]),
    )
    assert not constant_force(two)
    a, b = run_analytic(two), run_analytic(plan)
    assert_allclose(a.availability, b.availability, rtol=0, atol=1e-12)
    assert_allclose(a.backorders, b.backorders, rtol=1e-12, atol=1e-12)


def test_huge_capacity_with_whole_day_turnarounds_is_unlimited() -> None:
    """Induction at the next instant with ceil(tau) returns every item on the same
    instant as an unlimited route when tau is whole, cut or not."""
    doc = two_route_pool()
    plan = compile_scenario(doc, doc.scenario())
    capped = dataclasses.replace(plan, route_capacity=np.where(plan.share > 0, 1e9, np.inf))
    a_ss = _operating_share(plan)
    for b in range(2):
        clocks, cid = _clocks(plan, plan.cut[b])
        got = parts_varying(capped, plan.cut[b], clocks, cid, a_ss)
        want = parts_varying(plan, plan.cut[b], clocks, cid, a_ss)
        assert_allclose(got[0], want[0], rtol=0, atol=1e-12)
        assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-12)


def test_fleet_without_units_until_delivered() -> None:
    doc = two_route_pool()
    plan = compile_scenario(doc, doc.scenario())
    empty = dataclasses.replace(
        plan,
        units=np.zeros(1),
        un_fleet=np.array([0]),
        un_day=np.array([30]),
        un_add=np.array([20.0]),
    )
    out = run_analytic(empty)
    assert_allclose(out.availability[:, 0, :30], 1.0)
    assert_allclose(out.capability[:, 0, :30], 0.0)
    assert (out.capability[:, 0, 30:] > 0).all()
    # fresh units: nothing is out at day 30, so every unit is up then
    assert_allclose(out.availability[:, 0, 30], 1.0)


# -- brute force: integrate every failure time on a fine grid ---------------------------------


def brute_force(plan: Plan, b: int, substeps: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Availability and backorders of fleet 0 (fleet basis, no capacity), directly:
    items out by integrating failure times, then exact Poisson sums."""
    T = plan.horizon + 1
    t_inst = np.arange(T)
    N = np.full(T, plan.units[0])
    for d, a in zip(plan.un_day, plan.un_add, strict=True):
        N[d:] += a
    groups = np.unique(plan.part_group)
    avail = np.ones(T)
    backorders = np.zeros(T)
    for g in groups:
        rows = np.flatnonzero(plan.part_group == g)
        m = np.zeros(T)
        for p in rows:
            zr = plan.quantity[p] * plan.failure_rate[p]
            for r in range(3):
                tau = plan.route_time[p, r]
                if tau <= 0:
                    continue
                kind = (KIND_INDEX["spares"], -1, KIND_INDEX["repair"])[r]
                s = plan.route_supplier[p, r]
                active = np.ones(T, dtype=bool) if kind < 0 or s < 0 else ~plan.cut[b, s, kind]
                A = np.r_[0, np.cumsum(active[:-1])]
                # failure times: pre-day-0 over [-tau - 1, 0), then days 0..T-1
                n_pre = int(np.ceil(tau + 1)) * substeps
                x_pre = -(np.arange(n_pre) + 0.5) / substeps
                x = (np.arange(T * substeps) + 0.5) / substeps
                day = (x // 1).astype(int)
                Ax = A[day] + active[day] * (x - day)
                window = (day >= plan.row_from[p]) & (day < plan.row_until[p])
                rate = N[day] * zr * plan.hours[0, day] * window * plan.share[p, r]
                if plan.divert[p]:
                    sup = plan.route_supplier[p, 2]
                    held = plan.cut[b, sup, KIND_INDEX["repair"], day]
                    if r == 2:
                        rate = rate * ~held
                    if r == 1:
                        rate = rate + (
                            N[day] * zr * plan.hours[0, day] * window * plan.share[p, 2] * held
                        )
                pre_rate = (
                    plan.units[0] * zr * plan.hours[0, 0] * plan.share[p, r]
                    if plan.row_from[p] == 0
                    else 0.0
                )
                for t in t_inst:
                    out_now = (x < t) & (A[t] < Ax + tau)
                    m[t] += rate[out_now].sum() / substeps
                    m[t] += pre_rate * (A[t] < x_pre + tau).sum() / substeps
        stock = np.full(T, float(plan.spares[rows[0]]))
        for row, d, a in zip(plan.st_row, plan.st_day, plan.st_add, strict=True):
            if plan.part_group[row] == g:
                stock[d:] += a
        z = int(plan.quantity[rows[0]])
        for t in t_inst:
            k = np.arange(int(m[t] + 20 * np.sqrt(m[t]) + 40))
            pmf = stats.poisson.pmf(k, m[t])
            bo = np.maximum(k - stock[t], 0)
            backorders[t] += (pmf * bo).sum()
            M = N[t] * z
            with np.errstate(invalid="ignore"):
                h = np.where(bo <= M - z, special.comb(M - z, bo) / special.comb(M, bo), 0.0)
            avail[t] *= (pmf * h).sum()
    return avail, backorders


def test_time_varying_force_against_brute_force() -> None:
    """Row windows (acme repair until day 40, then a domestic depot), a stock step, unit
    steps up and down, divert while acme withholds repair."""
    doc = two_route_pool()
    plan = compile_scenario(doc, doc.scenario())
    T = plan.horizon + 1
    share = plan.share.copy()
    share2 = np.array([[0.0, 1.0, 0.0]])
    time2 = plan.route_time.copy()
    time2[0, 1] = 8.0
    varying = rows_of(
        plan,
        [0, 0],
        part_group=np.array([0, 0]),
        row_from=np.array([0, 40]),
        row_until=np.array([40, T]),
        share=np.r_[share, share2],
        route_time=np.r_[plan.route_time, time2],
        divert=np.array([True, False]),
        st_row=np.array([1]),
        st_day=np.array([60]),
        st_add=np.array([3]),
        un_fleet=np.array([0, 0]),
        un_day=np.array([20, 70]),
        un_add=np.array([5.0, -8.0]),
    )
    out = run_analytic(varying)
    for b in range(2):
        a, bo = brute_force(varying, b)
        assert_allclose(out.availability[b, 0], a, atol=2e-3)
        assert_allclose(out.backorders[b, 0], bo, atol=2e-2, rtol=2e-3)
    # the divert matters: without it acme's cut keeps more items out
    kept = run_analytic(dataclasses.replace(varying, divert=np.array([False, False])))
    assert (kept.backorders[1, 0, 25:50] > out.backorders[1, 0, 25:50] + 0.1).all()


# -- depot capacity ----------------------------------------------------------------------------


def capped_pool(capacity: int, demand: float, spares: int) -> Any:
    part = {
        "name": "item",
        "failure_rate": demand / 20,
        "supplier_repair": {
            "supplier": "acme",
            "turnaround_days": 30,
            "capacity_per_day": capacity,
        },
    }
    return single_pool(
        spares=spares,
        demand_per_day=demand,
        system={"parts": [part]},
        cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 70}],
        horizon=160,
    )


@pytest.mark.parametrize(("capacity", "demand", "spares"), [(2, 0.5, 10), (1, 0.9, 30)])
def test_capacity_agrees_with_montecarlo(capacity: int, demand: float, spares: int) -> None:
    """The backlog's distribution is exact: within 4 standard errors of a seeded Monte
    Carlo run on every day (z is about 2.3 at most at these seeds)."""
    doc = capped_pool(capacity, demand, spares)
    a = tether.simulate(doc, engine="analytic").data
    m = tether.simulate(doc, engine="montecarlo", reps=1500, seed=3).data
    av_a, av_m = a["availability"].values[0], m["availability"].values[0]
    se = m["availability_se"].values[0]
    assert (np.abs(av_a - av_m) <= 4 * se + 2e-3).all()


def test_recovery_after_a_cutoff_is_gradual_with_capacity() -> None:
    """Unlimited, the items inducted during the cutoff come back within a few days of
    each other; a depot of 2 a day drains its backlog over weeks."""
    plan = compile_scenario(doc := capped_pool(2, 0.5, 10), doc.scenario())
    unlimited = dataclasses.replace(plan, route_capacity=np.full_like(plan.route_capacity, np.inf))
    capped = run_analytic(plan).availability[1, 0, 70:]
    free = run_analytic(unlimited).availability[1, 0, 70:]
    assert (np.diff(free) > 1e-3).sum() <= 3
    assert (np.diff(capped) > 1e-3).sum() > 10


def test_a_huge_backlog_takes_its_fluid_mean() -> None:
    """Thousands of items a day: the backlog is not carried in distribution (bounded
    cost); its mean is the fluid recursion's, here exact (arrivals 5000 a day, capacity
    3000, so the backlog at instant u >= 1 is 5000 + 2000 (u - 1))."""
    from tether._engine.backlog import backlog_route
    from tether._engine.pipeline import clock

    ck = clock(np.ones(11, dtype=np.bool_))
    mean, q = backlog_route(ck, 4.0, 3000.0, np.full(11, 5000.0), 0.0)
    assert q is None
    # out at t: the backlog at u0 = t - 3 plus the failures of days u0 .. t - 1
    t = np.arange(4, 11)
    assert_allclose(mean[4:], 5000.0 + 2000.0 * (t - 4) + 5000.0 * 3, rtol=1e-12)


# -- the 'available' basis's mean field, swept day by day ---------------------------------------


def _sweep_equals_passes(plan: Plan, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The mean-field groups on the 'available' basis give the same values swept window
    by window (varying._sweep_basis) as by passes over the whole trajectory (to 1e-12,
    where both reach the fixed point); returns the sweeps run."""
    sweeps: list[Any] = []
    sweep_basis = varying_engine._sweep_basis

    def spy(sweep: Any, *args: Any) -> Any:
        sweeps.append(sweep)
        return sweep_basis(sweep, *args)

    monkeypatch.setattr(varying_engine, "_sweep_basis", spy)
    a_ss = _operating_share(plan)
    for b in range(len(plan.batch)):
        cut = plan.cut[b]
        clocks, cid = _clocks(plan, cut)
        monkeypatch.setattr(varying_engine, "SWEEP", False)
        ref_a, ref_bo = parts_varying(plan, cut, clocks, cid, a_ss)
        monkeypatch.setattr(varying_engine, "SWEEP", True)
        got_a, got_bo = parts_varying(plan, cut, clocks, cid, a_ss)
        assert_allclose(got_a, ref_a, rtol=1e-12, atol=1e-15)
        assert_allclose(got_bo, ref_bo, rtol=1e-12, atol=1e-12)
    assert sweeps
    return sweeps


def test_sweep_equals_passes_with_capacity(monkeypatch: pytest.MonkeyPatch) -> None:
    """A depot of 2 a day on the 'available' basis: the backlog carried in distribution."""
    part = {
        "name": "item",
        "failure_rate": 0.6 / 20,
        "supplier_repair": {"supplier": "acme", "turnaround_days": 30, "capacity_per_day": 2},
    }
    doc = single_pool(
        demand_per_day=0.6,
        system={"parts": [part]},
        fleet={"tempo_basis": "available"},
        cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 70}],
        horizon=120,
    )
    sweeps = _sweep_equals_passes(compile_scenario(doc, doc.scenario()), monkeypatch)
    assert not any(q.fluid for s in sweeps for _, _, q in s.queues)


def test_sweep_equals_passes_with_divert_and_two_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Divert while acme withholds repair, and a group of two rows (row windows)."""
    doc = two_route_pool(fleet={"tempo_basis": "available"})
    plan = compile_scenario(doc, doc.scenario())
    T = plan.horizon + 1
    share2 = np.array([[0.0, 1.0, 0.0]])
    _sweep_equals_passes(dataclasses.replace(plan, divert=np.array([True])), monkeypatch)
    two = rows_of(
        plan,
        [0, 0],
        part_group=np.array([0, 0]),
        row_from=np.array([0, 40]),
        row_until=np.array([40, T]),
        share=np.r_[plan.share, share2],
        divert=np.array([True, False]),
    )
    _sweep_equals_passes(two, monkeypatch)


def test_sweep_switches_an_overflowing_backlog_to_its_fluid_mean(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A backlog that outgrows MAX_SUPPORT values mid-horizon (300 failures a day, none
    inducted while acme is cut from day 5): the whole route takes its fluid mean, as
    in the passes, the sweep starting again from day 0."""
    part = {
        "name": "item",
        "failure_rate": 300.0 / 3000,
        "supplier_repair": {"supplier": "acme", "turnaround_days": 5, "capacity_per_day": 400},
    }
    doc = single_pool(
        units=3000,
        demand_per_day=300.0,
        spares=20000,
        system={"parts": [part]},
        fleet={"tempo_basis": "available"},
        cutoffs=[{"supplier": "acme", "start_day": 5, "end_day": 30}],
        horizon=40,
    )
    sweeps = _sweep_equals_passes(compile_scenario(doc, doc.scenario()), monkeypatch)
    assert any(q.fluid for s in sweeps for _, _, q in s.queues)
