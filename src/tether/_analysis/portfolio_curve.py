"""The budget curve and the fallback search of the portfolio MILP.

:func:`solve_curve` solves at a list of budgets (each from the previous portfolio, so a
larger budget is never worse); :func:`solve_breakpoints` finds every budget at which the
best objective changes. :func:`improve` is the local search for fleets with too many
options to enumerate, and :func:`with_bound` proves its gap against :func:`relaxed`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from tether._analysis.portfolio_search import (
    Block,
    Objective,
    Problem,
    Solution,
    feasible,
    minimum_rows,
    relative_gap,
    solve,
)
from tether._errors import ArgumentError

__all__ = ["improve", "relaxed", "solve_breakpoints", "solve_curve", "with_bound"]

F64 = NDArray[np.float64]


def relaxed(problem: Problem) -> Problem:
    """``problem`` with every inexact block worth its upper bound whatever is chosen: a
    relaxation, so its optimum bounds the true optimum from above."""
    blocks = []
    for b in problem.blocks:
        if b.exact:
            blocks.append(b)
            continue
        if b.upper is None:
            raise ValueError(f"block {b.name} is not exact and has no upper bound")
        blocks.append(replace(b, options=(), subsets=(frozenset(),), values=b.upper[None]))
    return replace(problem, blocks=tuple(blocks))


Evaluate = Callable[[Block, list[frozenset[int]]], F64]


def improve(
    problem: Problem,
    budget: float,
    objective: Objective,
    minimum: dict[int, float] | None,
    evaluate: Evaluate,
    *,
    rounds: int = 20,
    time_limit: float | None = None,
) -> tuple[Problem, Solution]:
    """Local search for inexact blocks: solve over the pools, add every subset one option
    away (in, out, or swapped) from each inexact block's chosen candidate, evaluate, and
    solve again until no new candidate improves the objective. Returns the grown problem
    and its solution; the solution's bound comes from :func:`relaxed`."""
    sol = solve(problem, budget, objective, minimum, time_limit=time_limit)
    for _ in range(rounds):
        grown = list(problem.blocks)
        added = False
        for i, b in enumerate(problem.blocks):
            if b.exact:
                continue
            chosen = frozenset(o for o in b.options if o in sol.chosen)
            new = [s for s in _neighbours(problem, b, chosen, budget) if s not in b.subsets]
            if not new:
                continue
            vals = evaluate(b, new)
            grown[i] = replace(
                b,
                subsets=b.subsets + tuple(new),
                values=np.concatenate([b.values, vals], axis=0),
            )
            added = True
        if not added:
            break
        problem = replace(problem, blocks=tuple(grown))
        nxt = solve(problem, budget, objective, minimum, start=sol.chosen, time_limit=time_limit)
        better = nxt.objective > sol.objective + 1e-12 * max(1.0, abs(sol.objective))
        sol = nxt
        if not better:
            break
    return problem, with_bound(problem, sol, objective, minimum, time_limit)


def with_bound(
    problem: Problem,
    sol: Solution,
    objective: Objective,
    minimum: dict[int, float] | None,
    time_limit: float | None = None,
) -> Solution:
    """``sol`` with a bound valid for the whole problem: for a problem with inexact
    blocks, the proved optimum of :func:`relaxed` (never below ``sol``)."""
    if sol.exact:
        return sol
    try:
        upper = solve(relaxed(problem), sol.budget, objective, minimum, time_limit=time_limit)
        bound = max(upper.bound, sol.objective)
    except ValueError:  # a block without an upper bound: no gap can be proved
        bound = math.inf
    return replace(sol, bound=bound, gap=relative_gap(sol.objective, bound), exact=False)


def _neighbours(
    problem: Problem, b: Block, chosen: frozenset[int], budget: float
) -> list[frozenset[int]]:
    out: list[frozenset[int]] = []
    for o in b.options:
        flip = chosen ^ {o}
        out.append(flip)
        if o in chosen:
            for p in b.options:
                if p not in chosen:
                    out.append((chosen - {o}) | {p})
    return [s for s in dict.fromkeys(out) if feasible(problem.choices, b.options, s, budget)]


def solve_curve(
    problem: Problem,
    budgets: Sequence[float],
    objective: Objective = "expected",
    minimum: dict[int, float] | None = None,
    *,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Solution]:
    """The best portfolio at each budget, in increasing order of budget; each solve starts
    from the previous budget's portfolio, so a larger budget never gives a worse one.
    A budget at which no portfolio meets the minimum is left out."""
    out: list[Solution] = []
    start: tuple[int, ...] | None = None
    order = sorted(set(float(b) for b in budgets))
    if minimum:  # a minimum no choice meets fails at any budget: say where, once
        minimum_rows(
            problem, problem.blocks, minimum, [[0] * len(b.subsets) for b in problem.blocks]
        )
    for i, b in enumerate(order):
        try:
            sol = solve(problem, b, objective, minimum, start=start, time_limit=time_limit)
        except ArgumentError:
            if not minimum:
                raise
            continue
        out.append(with_bound(problem, sol, objective, minimum, time_limit))
        start = sol.chosen
        if progress is not None:
            progress(i + 1, len(order))
    return out


def solve_breakpoints(
    problem: Problem,
    top: float,
    objective: Objective = "expected",
    minimum: dict[int, float] | None = None,
    *,
    limit: int = 100,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Solution]:
    """Every breakpoint of the best objective as a function of the budget, from ``top``
    down: the best portfolio at ``top``, then the best costing less than it (by more
    than a relative 1e-6), and so on (at most ``limit`` points). Between two points the
    best objective is that of the lower one. Returned in increasing order of budget,
    each with its budget set to its cost (the least budget that buys it)."""
    out: list[Solution] = []
    budget = top
    for i in range(limit):
        try:
            sol = solve(problem, budget, objective, minimum, time_limit=time_limit)
        except ArgumentError:
            if not minimum or not out:
                raise
            break
        sol = with_bound(problem, sol, objective, minimum, time_limit)
        out.append(replace(sol, budget=sol.cost))
        if progress is not None:
            progress(i + 1, limit)
        if sol.cost <= 0:
            break
        budget = sol.cost * (1 - 1e-6) - 1e-9
    return sorted(out, key=lambda s: s.budget)
