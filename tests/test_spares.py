"""The spares curve: METRIC frontier points, exact optimum against exhaustive search,
monotone in budget, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import tether
from tether._analysis.knapsack import solve_budget
from tether._analysis.metric_curve import metric_curve
from tether._analysis.spares import _segments, _tables, spares_curve

# metric.md, case 1 (Sherbrooke 2004 ch. 3): total stock -> depot, bases, least total EBO
CASE1 = [
    (0, [0, 0, 0, 0, 0], 3.5088),
    (1, [0, 0, 0, 0, 0], 2.6043),
    (2, [0, 0, 0, 0, 0], 1.9240),
    (3, [0, 0, 0, 0, 0], 1.5072),
    (3, [1, 0, 0, 0, 0], 1.2469),
    (2, [1, 1, 1, 0, 0], 0.9658),
    (1, [1, 1, 1, 1, 1], 0.5743),
    (2, [1, 1, 1, 1, 1], 0.3269),
    (3, [1, 1, 1, 1, 1], 0.2060),
    (4, [1, 1, 1, 1, 1], 0.1545),
    (4, [2, 1, 1, 1, 1], 0.1261),
    (1, [2, 2, 2, 2, 2], 0.0914),
    (2, [2, 2, 2, 2, 2], 0.0393),
]
CASE1_INPUTS = {
    "base_repair_share": 0.2,
    "base_repair_time": 0.01,
    "order_ship_time": 0.01,
    "depot_repair_time": 0.02531,
}


def test_metric_frontier_case1_every_total() -> None:
    f = metric_curve([23.2] * 5, max_total=12, **CASE1_INPUTS)
    assert_allclose(f.backorders, [row[2] for row in CASE1], atol=5e-5)
    for t, (depot, bases, _) in enumerate(CASE1):
        assert int(f.depot[t]) == depot
        assert sorted(f.bases[t].tolist(), reverse=True) == bases
        assert int(f.depot[t]) + int(f.bases[t].sum()) == t


def test_metric_greedy_points_lie_on_case1_table() -> None:
    """Marginal analysis over the part's frontier reaches only hull points, each a table row."""
    f = metric_curve([23.2] * 5, max_total=12, **CASE1_INPUTS)
    value = -f.backorders[None, :]
    _, _, hi, _, _ = _segments(value, np.array([0]), np.array([12]), np.array([1.0]))
    reached = [0, *hi.tolist()]
    assert reached == sorted(reached) and len(reached) >= 8
    for t in reached:
        assert f.backorders[t] == pytest.approx(CASE1[t][2], abs=5e-5)


def test_metric_case2_rows_and_frontier() -> None:
    """metric.md case 2 (LINDO METRIC.lng): each row evaluates as tabled, and the frontier
    is at or below every row at its total stock."""
    rows = [
        (0, [0, 0], 3.2000, 14.0000),
        (0, [1, 1], 1.6038, 14.0000),
        (1, [1, 1], 0.9066, 9.3041),
        (2, [1, 1], 0.4405, 5.4594),
        (2, [2, 2], 0.0966, 5.4594),
        (3, [1, 1], 0.1981, 2.8067),
    ]
    f = metric_curve([0.1, 0.1], order_ship_time=2, depot_repair_time=14, max_total=8)
    for depot, bases, total, delay in rows:
        r = tether.metric(
            [0.1, 0.1], order_ship_time=2, depot_repair_time=14, depot_stock=depot, base_stock=bases
        )
        assert_allclose([r.total_backorders, r.depot_delay], [total, delay], atol=5e-5)
        assert f.backorders[depot + sum(bases)] <= total + 5e-5


def _exhaustive_metric(demand: list[float], total: int, **kw: float) -> float:
    best = np.inf
    for depot in range(total + 1):
        for bases in itertools.product(range(total - depot + 1), repeat=len(demand)):
            if depot + sum(bases) == total:
                r = tether.metric(demand, depot_stock=depot, base_stock=list(bases), **kw)
                best = min(best, r.total_backorders)
    return float(best)


@settings(max_examples=15, deadline=None)
@given(
    demand=st.lists(st.floats(0.05, 2.0), min_size=1, max_size=3),
    share=st.floats(0.0, 0.9),
    depot_time=st.floats(0.2, 3.0),
)
def test_metric_frontier_equals_exhaustive(
    demand: list[float], share: float, depot_time: float
) -> None:
    kw = {
        "base_repair_share": share,
        "base_repair_time": 0.5,
        "order_ship_time": 0.3,
        "depot_repair_time": depot_time,
    }
    f = metric_curve(demand, max_total=4, **kw)
    for t in range(5):
        assert f.backorders[t] == pytest.approx(_exhaustive_metric(demand, t, **kw), abs=1e-9)


instances = st.lists(
    st.tuples(
        st.floats(0.05, 4.0),  # pipeline
        st.sampled_from([1, 2, 3]),  # Z
        st.integers(1, 4),  # units
        st.integers(1, 5),  # unit cost
    ),
    min_size=1,
    max_size=3,
)


def _instance(rows: list[tuple[float, int, int, int]], top: int = 6):
    m = np.array([[r[0]] for r in rows])
    z = np.array([float(r[1]) for r in rows])
    n = np.array([float(r[2]) for r in rows])
    cost = np.array([float(r[3]) for r in rows])
    tops = np.full(len(rows), top, dtype=np.int64)
    logup, back = _tables(m, n, z, tops)
    return logup[:, :, 0], back[:, :, 0], cost, tops


def _brute(value: np.ndarray, cost: np.ndarray, budget: float, top: int) -> float:
    best = -np.inf
    for levels in itertools.product(range(top + 1), repeat=value.shape[0]):
        lv = np.array(levels)
        if (cost * lv).sum() <= budget + 1e-9:
            best = max(best, float(value[np.arange(len(lv)), lv].sum()))
    return best


@settings(max_examples=40, deadline=None)
@given(rows=instances, budget=st.integers(0, 16), objective=st.sampled_from(["a", "b"]))
def test_exact_optimum_equals_exhaustive(
    rows: list[tuple[float, int, int, int]], budget: int, objective: str
) -> None:
    logup, back, cost, tops = _instance(rows)
    value = logup if objective == "a" else -back
    start = np.zeros(len(rows), dtype=np.int64)
    want = _brute(value, cost, budget, 6)
    for method in ("dp", "milp"):
        level, used, gap = solve_budget(value, start, tops, cost, float(budget), method)
        assert used == method and gap <= 1e-6
        assert (cost * level).sum() <= budget + 1e-9
        got = float(value[np.arange(len(rows)), level].sum())
        assert got == pytest.approx(want, abs=1e-7 * max(1.0, abs(want)))


@settings(max_examples=40, deadline=None)
@given(rows=instances, objective=st.sampled_from(["a", "b"]))
def test_curve_points_are_optimal_at_their_cost(
    rows: list[tuple[float, int, int, int]], objective: str
) -> None:
    """Every point marginal analysis reaches is the exhaustive optimum at its own cost, and
    the curve never gets worse as the cost grows."""
    logup, back, cost, tops = _instance(rows)
    value = logup if objective == "a" else -back
    start = np.zeros(len(rows), dtype=np.int64)
    part, _, hi, gain, seg_cost = _segments(value, start, tops, cost)
    level = start.copy()
    spent = 0.0
    current = float(value[np.arange(len(rows)), level].sum())
    for p, h, g, c in zip(part, hi, gain, seg_cost, strict=True):
        level[p] = h
        spent += c
        assert g > 0
        new = float(value[np.arange(len(rows)), level].sum())
        assert new >= current
        current = new
        assert current == pytest.approx(_brute(value, cost, spent, 6), abs=1e-9)


def test_single_fleet_curve_and_optimum() -> None:
    doc = tether.load("examples/single-fleet.yaml")
    curve = spares_curve(doc, "us-pause-90", days=[90], budget=2e6)
    assert np.all(np.diff(curve.cost) > 0)
    assert np.all(np.diff(curve.availability) >= -1e-12)
    assert np.all(np.diff(curve.backorders) <= 1e-12)
    assert curve.cost[-1] <= 2e6
    opt = curve.optimum
    assert opt is not None and opt.cost <= 2e6
    assert opt.availability >= curve.availability[-1] - 1e-12
    assert curve.stock(0) == {
        "launchers/engine": 3,
        "launchers/fire-control": 3,
        "launchers/hydraulics": 6,
    }
    # fixed figures (analytic engine, day 90 of the 90-day US pause)
    assert_allclose(curve.availability[[0, -1]], [0.757055, 0.973019], atol=1e-6)
    assert opt.stock == {
        "launchers/engine": 6,
        "launchers/fire-control": 5,
        "launchers/hydraulics": 21,
    }
    same = spares_curve(doc, "us-pause-90", days=[90], budget=2e6, method="milp")
    assert same.optimum is not None
    assert same.optimum.availability == pytest.approx(opt.availability, abs=1e-9)


def test_more_budget_never_lowers_availability() -> None:
    doc = tether.load("examples/single-fleet.yaml")
    got = [
        spares_curve(doc, "us-pause-90", days=[30, 90], budget=b).optimum.availability  # type: ignore[union-attr]
        for b in (0, 3e5, 1e6, 2.5e6)
    ]
    assert got == sorted(got) and got[-1] > got[0]


def test_steady_state_force_and_two_echelons() -> None:
    doc = tether.load("examples/single-fleet.yaml")
    steady = spares_curve(doc, "demo", objective="backorders", from_current=False)
    assert steady.points == (("steady-state", 0),)
    assert steady.cost[0] == 0 and steady.backorders[-1] < 1e-6
    two = spares_curve(doc, "demo", echelons=2, objective="backorders", budget=1e6)
    assert np.all(np.diff(two.backorders) <= 1e-12)
    where = two.allocation(-1)
    assert "depot:launcher-x/engine" in where and "launchers/engine" in where
    assert sum(where.values()) == sum(two.stock(-1).values())


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"force_or_scenario": "nope"}, tether.InputError),
        ({"budget": "abc"}, tether.ArgumentError),
        ({"budget": "-5"}, tether.ArgumentError),
        ({"days": [9999]}, tether.ArgumentError),
        ({"objective": "speed"}, tether.ArgumentError),
        ({"echelons": 3}, tether.ArgumentError),
        ({"echelons": 2}, tether.ArgumentError),
    ],
)
def test_bad_input(kwargs: dict[str, object], error: type[Exception]) -> None:
    doc = tether.load("examples/single-fleet.yaml")
    with pytest.raises(error):
        spares_curve(doc, **kwargs)  # type: ignore[arg-type]
