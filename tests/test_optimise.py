"""tether.optimise on a file's decision, against brute force with the engine itself."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tether
from tether._analysis.optimise import LEAD_NODES, optimise
from tether._engine.analytic import run_analytic
from tether._errors import ArgumentError, SolverError
from tether._model import Document
from tether._plan import compile_plan
from tether._plan_options import lead_time_nodes

pytest.importorskip("highspy")

DOC = """
suppliers:
  - {name: acme, jurisdiction: US}
  - {name: beta, jurisdiction: FR}
systems:
  - name: lx
    parts:
      - name: engine
        failure_rate: 0.0004
        unit_cost: 250000
        supplier_repair: {supplier: acme, turnaround_days: 45}
      - name: fire-control
        failure_rate: 0.0003
        unit_cost: 400000
        supplier_repair: {supplier: acme, turnaround_days: 60}
    munitions:
      - {name: rocket, supplier: acme, use_per_unit_day: 1}
    services:
      - {name: targeting, supplier: acme, factor_when_withheld: 0.5}
  - name: ly
    parts:
      - name: radar
        failure_rate: 0.0005
        unit_cost: 100000
        supplier_repair: {supplier: beta, turnaround_days: 30}
forces:
  - name: f
    operator: EE
    areas: [{name: fires}, {name: air}]
    fleets:
      - name: a
        system: lx
        area: fires
        units: 20
        hours_per_day: 6
        spares: {engine: 2, fire-control: 2}
        munitions: {rocket: {stock: 600, resupply: [{per_day: 10}]}}
      - name: b
        system: lx
        area: air
        units: 10
        hours_per_day: 4
        spares: {engine: 1, fire-control: 1}
        munitions: {rocket: {stock: 300}}
scenarios:
  - name: us-90
    force: f
    horizon_days: HORIZON
    cutoffs: [{jurisdiction: US, start_day: 0, end_day: 45}]
  - name: us-all
    force: f
    horizon_days: HORIZON
    cutoffs: [{jurisdiction: US, start_day: 10}]
options:
  - {name: spares-a, force: f, cost: 10, lead_time_days: 20,
     spares: [{fleet: a, part: engine, add: 4}]}
  - {name: rockets-a, force: f, cost: 20, lead_time_days: 0,
     stockpiles: [{fleet: a, munition: rocket, rounds: 2000}]}
  - {name: rights-a, force: f, cost: 5, lead_time_days: 0,
     data_rights: [{fleet: a, part: fire-control}]}
  - name: depot-a
    force: f
    cost: 15
    lead_time_days: {distribution: uniform, low: 20, high: 40}
    requires: [rights-a]
    depots: [{fleet: a, part: fire-control, share: 0.6, turnaround_days: 20}]
  - {name: alt-targeting, force: f, cost: 8, lead_time_days: 30,
     services: [{fleet: a, service: targeting, supplier: beta, switch_days: 5, factor: 0.8}]}
  - name: ly-for-b
    force: f
    cost: 30
    lead_time_days: 10
    excludes: [spares-b]
    deliveries: [{fleet: c, units: 6, replaces: b, system: ly, area: air, hours_per_day: 4,
                  spares: {radar: 2}}]
  - {name: spares-b, force: f, cost: 6, lead_time_days: 5,
     spares: [{fleet: b, part: engine, add: 3}]}
  - {name: too-late, force: f, cost: 1, lead_time_days: 500,
     spares: [{fleet: b, part: fire-control, add: 10}]}
decisions:
  - name: choose
    force: f
    scenarios: {us-90: 2, us-all: 1}
    options: OPTIONS
    budget: 60
"""

ALL = [
    "spares-a",
    "rockets-a",
    "rights-a",
    "depot-a",
    "alt-targeting",
    "ly-for-b",
    "spares-b",
    "too-late",
]


def document(options: list[str], horizon: int = 60) -> Document:
    text = DOC.replace("HORIZON", str(horizon)).replace("OPTIONS", "[" + ", ".join(options) + "]")
    return tether.load_text(text, "decision.yaml")


def brute(
    doc: Document,
    budget: float,
    objective: str = "expected",
    area: str | None = None,
    minimum: dict[str, float] | None = None,
) -> float:
    """Every subset of the decision's options, each compiled with the whole force and
    run by the engine (random lead times at the same nodes, weighted)."""
    dec = doc.decision()
    force = doc.force(dec.force)
    weights = dec.weights()
    scs = [doc.scenario(n) for n in weights]
    w = np.array(list(weights.values()))
    sets = [[], *(s.cutoffs for s in scs)]
    labels = ["baseline", *weights]
    areas = [a.name for a in force.areas]
    pick = np.ones(len(areas)) if area is None else np.eye(len(areas))[areas.index(area)]

    def area_cap(options: list, days: list[int]) -> np.ndarray:
        plan = compile_plan(doc, force, scs[0], sets, labels, options=options, lead_times=days)
        cap = run_analytic(plan).capability
        member = np.zeros((len(areas), len(plan.fleets)))
        member[plan.area_of, np.arange(len(plan.fleets))] = plan.weight
        return np.einsum("af,bft->bat", member, cap)

    ref = area_cap([], [])[0]
    norm = float(ref[:, 0] @ pick)
    opts = [doc.option(n) for n in dec.options]
    best = -math.inf
    for r in range(len(opts) + 1):
        for combo in itertools.combinations(opts, r):
            names = {o.name for o in combo}
            if sum(o.cost for o in combo) > budget:
                continue
            if any(q not in names for o in combo for q in o.requires):
                continue
            if any(q in names for o in combo for q in o.excludes):
                continue
            nodes = [lead_time_nodes(o, LEAD_NODES, scs[0].horizon_days) for o in combo]
            cap = 0.0
            for pick_nodes in itertools.product(*(range(len(d)) for d, _ in nodes)):
                days = [int(nodes[i][0][k]) for i, k in enumerate(pick_nodes)]
                p = float(np.prod([nodes[i][1][k] for i, k in enumerate(pick_nodes)]))
                cap = cap + p * area_cap(list(combo), days)[1:]
            if minimum:
                ok = all(
                    (cap[:, areas.index(a)] >= frac * ref[areas.index(a)] - 1e-9).all()
                    for a, frac in minimum.items()
                )
                if not ok:
                    continue
            per = (cap.sum(axis=2) @ pick) / norm
            value = float(per @ w) if objective == "expected" else float(per.min())
            best = max(best, value)
    return best


SMALL = ["spares-a", "rights-a", "depot-a", "ly-for-b", "spares-b"]


@pytest.mark.parametrize("objective", ["expected", "worst"])
def test_equals_brute_force_with_the_engine(objective: str) -> None:
    doc = document(SMALL, horizon=40)
    result = optimise(doc, budget=40, objective=objective)  # type: ignore[arg-type]
    assert result.best.objective == pytest.approx(brute(doc, 40, objective), rel=1e-9)
    assert result.best.gap <= 1e-9
    assert result.exact
    assert result.best.cost <= 40


@pytest.mark.slow
@pytest.mark.parametrize("budget", [0, 25, 60, 100])
def test_equals_brute_force_all_options(budget: float) -> None:
    doc = document(ALL, horizon=60)
    for objective in ("expected", "worst"):
        got = optimise(doc, budget=budget, objective=objective, budgets=[])  # type: ignore[arg-type]
        assert got.best.objective == pytest.approx(brute(doc, budget, objective), rel=1e-9)
    floors = {"air": 0.45, "fires": 0.3}
    want = brute(doc, budget, area="air", minimum=floors)
    if want == -math.inf:
        with pytest.raises(ArgumentError, match="no portfolio"):
            optimise(doc, budget=budget, area="air", minimum=floors, budgets=[])
        return
    got = optimise(doc, budget=budget, area="air", minimum=floors, budgets=[])
    assert got.best.objective == pytest.approx(want, rel=1e-9)


def test_curve_never_worse_with_more_budget() -> None:
    doc = document(SMALL, horizon=40)
    result = optimise(doc, budget=70, budgets=[0, 5, 10, 20, 35, 50, 70])
    values = [p.objective for p in result.curve]
    assert [p.budget for p in result.curve] == [0, 5, 10, 20, 35, 50, 70]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))
    assert result.curve[0].options == ()
    assert result.curve[0].objective == pytest.approx(result.no_option, rel=1e-12)
    for p in result.curve:
        assert p.cost == pytest.approx(sum(result.costs[o] for o in p.options))
        assert p.cost <= p.budget


def test_an_option_after_the_horizon_changes_nothing() -> None:
    doc = document(["spares-b", "too-late"], horizon=40)
    result = optimise(doc, budget=100)
    assert "too-late" not in result.best.options  # the cheapest of equal portfolios
    with_it = optimise(document(["too-late"], horizon=40), budget=100)
    assert with_it.best.options == ()
    assert with_it.best.objective == pytest.approx(with_it.no_option, rel=1e-12)
    forced = optimise(document(["too-late"], horizon=40), budget=1, budgets=[1])
    assert forced.best.objective == pytest.approx(with_it.no_option, rel=1e-12)


def test_an_impossible_minimum_is_a_user_error() -> None:
    doc = document(SMALL, horizon=40)
    with pytest.raises(ArgumentError, match=r"no portfolio keeps area 'air' at 100%.* day 0 of"):
        optimise(doc, budget=1000, minimum={"air": 1.0})
    with pytest.raises(ArgumentError, match="no portfolio keeps area 'fires' at 100%"):
        optimise(doc, budget=1000, minimum={"fires": 1.0})


def test_bad_arguments() -> None:
    doc = document(SMALL, horizon=40)
    with pytest.raises(ArgumentError, match="budget must be a number"):
        optimise(doc, budget="abc")
    with pytest.raises(ArgumentError, match="budget must be a number"):
        optimise(doc, budget=-5)
    with pytest.raises(ArgumentError, match="unknown area 'sea'"):
        optimise(doc, budget=5, minimum={"sea": 0.5})
    with pytest.raises(ArgumentError, match="objective must be"):
        optimise(doc, budget=5, objective="best")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="nope"):
        optimise(doc, "nope", budget=5)


def test_solver_failure_is_a_solver_error(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = document(SMALL, horizon=40)
    with pytest.raises(SolverError) as info:
        optimise(doc, budget=40, time_limit=0.0)
    assert "Time limit" in info.value.status


def test_json_is_strict() -> None:
    import json

    result = optimise(document(SMALL, horizon=40), budget="60", budgets=["0", "30"])
    text = json.dumps(result.to_json(), allow_nan=False)
    back = json.loads(text)
    assert back["best"]["budget"] == 60
    assert [p["budget"] for p in back["curve"]] == [0, 30, 60]


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    picked=st.lists(st.sampled_from(ALL), min_size=1, max_size=6, unique=True),
    frac=st.floats(0.0, 1.0),
    objective=st.sampled_from(["expected", "worst"]),
)
def test_random_instances_equal_brute_force(picked: list[str], frac: float, objective: str) -> None:
    """Random subsets of the options, budgets and objectives: the engine-backed search
    equals brute force over every subset, each compiled and run whole."""
    doc = document(picked, horizon=30)
    budget = frac * sum(doc.option(n).cost for n in picked)
    got = optimise(doc, budget=budget, objective=objective, budgets=[])  # type: ignore[arg-type]
    assert got.best.objective == pytest.approx(brute(doc, budget, objective), rel=1e-9)


def test_breakpoints_curve() -> None:
    """Every breakpoint: each point at its cost, strictly better than the one below, and
    the best at any budget is the best breakpoint at or below it."""
    doc = document(SMALL, horizon=40)
    result = optimise(doc, budget=60, budgets="breakpoints")
    pts = result.curve
    assert pts[0].options == () and pts[0].budget == 0
    assert all(p.budget == p.cost for p in pts)
    assert all(b.objective > a.objective for a, b in itertools.pairwise(pts))
    assert result.best.budget == 60 and result.best.options == pts[-1].options
    for budget in (7, 21, 33):
        at = optimise(doc, budget=budget, budgets=[]).best.objective
        below = max(p.objective for p in pts if p.budget <= budget)
        assert at == pytest.approx(below, rel=1e-12)


def test_fallback_bound_holds_the_exact_optimum() -> None:
    """Enumeration capped at one option per fleet: local search, and a bound that the
    exact optimum does not exceed."""
    doc = document(SMALL, horizon=40)
    exact = optimise(doc, budget=40, budgets=[])
    local = optimise(doc, budget=40, budgets=[], max_enumerated=1)
    assert not local.exact and any(not f.exact for f in local.fleets)
    assert local.best.objective <= exact.best.objective + 1e-9
    assert local.best.bound >= exact.best.objective - 1e-9
    assert local.best.gap >= 0
    assert any("searched locally" in n for n in local.notes)
