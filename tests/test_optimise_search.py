"""The portfolio search against exhaustive search, on synthetic evaluations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tether._analysis.portfolio_curve import improve, solve_breakpoints, solve_curve
from tether._analysis.portfolio_search import (
    Block,
    Choice,
    Problem,
    candidate_subsets,
    solve,
)
from tether._errors import ArgumentError, SolverError

pytest.importorskip("highspy")


def synthetic(seed: int, n_options: int, n_fleets: int = 4, n_sc: int = 3, T: int = 6) -> tuple:
    """Random options touching one or two fleets, random requires/excludes, and a random
    (non-additive) value table per fleet and subset of its options."""
    rng = np.random.default_rng(seed)
    names = [f"o{i}" for i in range(n_options)]
    touch = []
    for _ in range(n_options):
        k = 1 if rng.random() < 0.7 or n_fleets == 1 else 2
        touch.append(tuple(sorted(rng.choice(n_fleets, size=k, replace=False).tolist())))
    reqs: list[tuple[str, ...]] = [() for _ in names]
    excl: list[tuple[str, ...]] = [() for _ in names]
    for i in range(1, n_options):
        if rng.random() < 0.2:
            reqs[i] = (names[int(rng.integers(i))],)
        if rng.random() < 0.15:
            j = int(rng.integers(i))
            excl[i] = (names[j],)
    choices = tuple(
        Choice(n, float(rng.integers(1, 20)), reqs[i], excl[i]) for i, n in enumerate(names)
    )
    area_of = rng.integers(0, 2, size=n_fleets)
    tables: list[dict[frozenset[int], np.ndarray]] = []
    blocks = []
    for f in range(n_fleets):
        opts = tuple(o for o in range(n_options) if f in touch[o])
        subs = candidate_subsets(choices, opts, math.inf)
        table = {s: rng.random((n_sc, T)) * (1 + len(s)) for s in subs} if opts else {}
        tables.append(table)
        if opts:
            values = np.stack([table[s] for s in subs])
            blocks.append(Block(f"f{f}", int(area_of[f]), opts, tuple(subs), values))
    weights = rng.random(n_sc)
    weights /= weights.sum()
    constant = rng.random((n_sc, 2, T))
    problem = Problem(
        choices=choices,
        weights=weights,
        constant=constant,
        baseline=np.full((n_sc, 2, T), 3.0),
        blocks=tuple(blocks),
        objective_areas=np.array([1.0, 0.5]),
        norm=2.0,
    )
    return problem, tables, touch, area_of


def brute(problem: Problem, tables, touch, area_of, budget, objective, minimum=None):
    """Every subset of options, each evaluated from the tables."""
    n = len(problem.choices)
    idx = problem.index
    best = -math.inf
    for r in range(n + 1):
        for combo in itertools.combinations(range(n), r):
            s = set(combo)
            c = problem.choices
            if sum(c[o].cost for o in s) > budget:
                continue
            if any(idx[q] not in s for o in s for q in c[o].requires):
                continue
            if any(idx[q] in s for o in s for q in c[o].excludes):
                continue
            cap = problem.constant.copy()
            for f, table in enumerate(tables):
                key = frozenset(o for o in s if f in touch[o])
                if key in table:
                    cap[:, area_of[f]] += table[key]
            if minimum:
                ok = all(
                    (cap[:, a] >= frac * problem.baseline[:, a] - 1e-9).all()
                    for a, frac in minimum.items()
                )
                if not ok:
                    continue
            per = cap.sum(axis=2) @ problem.objective_areas / problem.norm
            v = per @ problem.weights if objective == "expected" else per.min()
            best = max(best, v)
    return best


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 12),
    frac=st.floats(0.0, 1.0),
    objective=st.sampled_from(["expected", "worst"]),
)
def test_equals_exhaustive_search(seed: int, n: int, frac: float, objective: str) -> None:
    problem, tables, touch, area_of = synthetic(seed, n)
    budget = frac * sum(c.cost for c in problem.choices)
    sol = solve(problem, budget, objective)  # type: ignore[arg-type]
    want = brute(problem, tables, touch, area_of, budget, objective)
    assert sol.objective == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert sol.cost <= budget + 1e-9
    assert sol.gap <= 1e-6
    assert sol.bound >= sol.objective


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 8), level=st.floats(0.3, 0.9))
def test_minimum_capability_equals_exhaustive_search(seed: int, n: int, level: float) -> None:
    problem, tables, touch, area_of = synthetic(seed, n)
    budget = 0.6 * sum(c.cost for c in problem.choices)
    minimum = {0: level}
    want = brute(problem, tables, touch, area_of, budget, "expected", minimum)
    if want == -math.inf:
        with pytest.raises(ArgumentError):
            solve(problem, budget, "expected", minimum)
        return
    sol = solve(problem, budget, "expected", minimum)
    assert sol.objective == pytest.approx(want, rel=1e-9, abs=1e-9)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 10))
def test_larger_budget_never_worse(seed: int, n: int) -> None:
    problem, *_ = synthetic(seed, n)
    total = sum(c.cost for c in problem.choices)
    for objective in ("expected", "worst"):
        curve = solve_curve(problem, np.linspace(0, total, 5), objective)  # type: ignore[arg-type]
        values = [p.objective for p in curve]
        assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))
        assert all(p.cost <= p.budget + 1e-9 for p in curve)


def test_impossible_minimum_is_a_user_error() -> None:
    problem, *_ = synthetic(3, 5)
    with pytest.raises(ArgumentError, match="no portfolio keeps area 0 at"):
        solve(problem, 1e9, "expected", {0: 1e6})


def test_solver_failure_carries_status(monkeypatch: pytest.MonkeyPatch) -> None:
    import highspy

    problem, *_ = synthetic(4, 8)
    real = highspy.Highs.getModelStatus

    def failed(self: object) -> object:
        return highspy.HighsModelStatus.kSolveError

    monkeypatch.setattr(highspy.Highs, "getModelStatus", failed)
    monkeypatch.setattr("tether._analysis.portfolio_search._has_solution", lambda h: False)
    with pytest.raises(SolverError) as info:
        solve(problem, 30.0)
    assert info.value.status == "Solve error"
    monkeypatch.setattr(highspy.Highs, "getModelStatus", real)


def test_time_limit_zero_is_a_solver_error() -> None:
    problem, *_ = synthetic(5, 12, n_fleets=2, n_sc=4, T=40)
    with pytest.raises(SolverError) as info:
        solve(problem, 50.0, time_limit=0.0)
    assert "Time limit" in info.value.status


def test_local_search_fallback_proves_a_valid_gap() -> None:
    """A block whose pool is partial: local search reaches the exhaustive optimum here,
    and the bound from the relaxation is above it."""
    problem, tables, touch, area_of = synthetic(11, 7, n_fleets=1)
    b = problem.blocks[0]
    table = tables[0]
    small = [s for s in b.subsets if len(s) <= 1]
    upper = np.max(np.stack(list(table.values())), axis=0)
    partial = Block(
        b.name,
        b.area,
        b.options,
        tuple(small),
        np.stack([table[s] for s in small]),
        exact=False,
        upper=upper,
    )
    from dataclasses import replace

    p2 = replace(problem, blocks=(partial,))

    def evaluate(block: Block, subsets: list[frozenset[int]]) -> np.ndarray:
        return np.stack([table[s] for s in subsets])

    budget = 0.5 * sum(c.cost for c in problem.choices)
    grown, sol = improve(p2, budget, "expected", None, evaluate)
    want = brute(problem, tables, touch, area_of, budget, "expected")
    assert sol.objective <= want + 1e-12
    assert sol.bound >= want - 1e-12
    assert not sol.exact
    assert len(grown.blocks[0].subsets) > len(small)


def test_nothing_to_choose() -> None:
    problem, *_ = synthetic(1, 1)
    from dataclasses import replace

    empty = replace(problem, choices=(), blocks=())
    sol = solve(empty, 10.0)
    assert sol.chosen == () and sol.gap == 0.0
    want = problem.constant.sum(axis=2) @ problem.objective_areas / problem.norm
    assert sol.objective == pytest.approx(float(want @ problem.weights))


@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 9))
def test_breakpoints_are_the_step_function(seed: int, n: int) -> None:
    """At every budget, the best objective equals the best breakpoint at or below it."""
    problem, tables, touch, area_of = synthetic(seed, n)
    total = sum(c.cost for c in problem.choices)
    points = solve_breakpoints(problem, total)
    budgets = [p.budget for p in points]
    values = [p.objective for p in points]
    assert budgets == sorted(budgets)
    assert all(b > a for a, b in itertools.pairwise(values))
    for budget in np.linspace(0, total, 9):
        want = brute(problem, tables, touch, area_of, budget, "expected")
        below = [p.objective for p in points if p.budget <= budget + 1e-9]
        assert max(below) == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_solves_after_another_highs_user_set_up_threads() -> None:
    """HiGHS's thread pool is global: a solve must not ask for a thread count different
    from the one another user (the spares or industry solvers) started it with."""
    import highspy

    from tether._analysis.portfolio_search import _quiet_highs

    other = _quiet_highs()
    other.setOptionValue("threads", 2)
    other.addVar(0.0, 1.0)
    other.run()
    problem, *_ = synthetic(2, 4)
    assert solve(problem, 10.0).status == "Optimal"
    del highspy
