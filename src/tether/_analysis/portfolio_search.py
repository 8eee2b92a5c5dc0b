"""The portfolio search: a multiple-choice knapsack over fleets, solved as a MILP by HiGHS.

Pure numpy and highspy; knows nothing of files or engines. The caller evaluates, for every
*block* (one fleet: its capability depends only on the options that touch it), the
capability of each candidate subset of those options, per scenario and day. The MILP then
has one binary per option (``y``) and one per (block, candidate) (``x``), linked so that the
candidate chosen in each block is exactly the set of chosen options that touch it:

* ``sum_j x[b, j] = 1`` and ``sum_{j containing o} x[b, j] = y[o]`` for each option ``o``
  of block ``b``;
* the budget ``sum_o cost[o] y[o] <= B``; ``y[o] <= y[r]`` for each requirement and
  ``y[o] + y[e] <= 1`` for each exclusion;
* objective ``expected``: maximise ``sum_s w[s] v[s]``; ``worst``: maximise ``z`` with
  ``z <= v[s]`` for every scenario, where ``v[s]`` is the objective's capability-days in
  scenario ``s`` (constant part plus ``sum x[b, j] value[b, j, s]``);
* a minimum capability per area and day: linear rows over the area's blocks (rows that no
  choice can break are left out; one no choice can meet is refused before solving).

A block whose candidates are all enumerated is exact, so the MILP is exact and the gap
reported is the one HiGHS proves. A block with too many options to enumerate keeps a pool
of candidates grown by local search (:mod:`tether._analysis.portfolio_curve`); its gap is
then proved against a relaxation in which the block is worth an upper bound on any of
its candidates.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from tether._errors import ArgumentError, SolverError

__all__ = [
    "Block",
    "Choice",
    "Problem",
    "Solution",
    "candidate_subsets",
    "feasible",
    "minimum_rows",
    "relative_gap",
    "solve",
]

F64 = NDArray[np.float64]
Objective = Literal["expected", "worst"]

#: Largest number of options of one block whose subsets are all enumerated.
MAX_ENUMERATED = 14

#: Relative tolerance of the minimum-capability rows and of "no choice can meet it".
TOL = 1e-9


@dataclass(frozen=True)
class Choice:
    """One option as the search sees it: a cost and its logical links (option names)."""

    name: str
    cost: float
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Block:
    """One fleet: the options that touch it and the capability of each candidate subset.

    ``values[j, s, t]`` is the fleet's contribution to its area's capability (fleet
    capability times its weight) under candidate ``subsets[j]`` in scenario ``s`` on day
    ``t``. ``exact``: every feasible subset is a candidate. ``upper[s, t]`` bounds the
    contribution of any subset (needed for a gap when the block is not exact).
    """

    name: str
    area: int
    options: tuple[int, ...]
    subsets: tuple[frozenset[int], ...]
    values: F64
    exact: bool = True
    upper: F64 | None = None


@dataclass(frozen=True, eq=False)
class Problem:
    """Options, scenarios and blocks; capability outside the blocks is ``constant``.

    ``constant[s, a, t]``: area capability of the fleets no option touches. ``baseline
    [s, a, t]``: the reference of minimum-capability constraints (no cutoff, no option).
    ``objective_areas[a]``: weight of each area in the objective (1 for the force, one-hot
    for one area); ``norm`` divides capability-days (the day-0 baseline, so the objective
    is in days of that capability). ``weights[s]`` sum to 1.
    """

    choices: tuple[Choice, ...]
    weights: F64
    constant: F64
    baseline: F64
    blocks: tuple[Block, ...]
    objective_areas: F64
    norm: float = 1.0
    areas: tuple[str, ...] = ()
    scenarios: tuple[str, ...] = ()

    def area_name(self, a: int) -> str:
        return f"area '{self.areas[a]}'" if a < len(self.areas) else f"area {a}"

    def scenario_name(self, s: int) -> str:
        return f"scenario '{self.scenarios[s]}'" if s < len(self.scenarios) else f"scenario {s}"

    @property
    def index(self) -> dict[str, int]:
        return {c.name: i for i, c in enumerate(self.choices)}


@dataclass(frozen=True)
class Solution:
    """The best portfolio found at one budget and what HiGHS proves about it."""

    budget: float
    chosen: tuple[int, ...]
    cost: float
    objective: float
    bound: float
    gap: float
    status: str
    values: tuple[float, ...]  # objective per scenario
    exact: bool = True


def _quiet_highs() -> Any:
    """A HiGHS instance; its banner (printed by the C++ library on stdout at the first
    construction) goes to /dev/null so that ``--json`` output stays one JSON object."""
    import highspy

    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. captured)
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
            with contextlib.suppress(OSError, AttributeError):
                ctypes.CDLL(None).fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
    h.setOptionValue("output_flag", False)
    return h


def candidate_subsets(
    choices: Sequence[Choice], options: Sequence[int], max_cost: float
) -> list[frozenset[int]]:
    """Every subset of ``options`` that is feasible on its own: no excluded pair inside,
    each requirement among ``options`` met, cost at most ``max_cost``. The empty set first."""
    opts = list(options)
    return [
        frozenset(combo)
        for r in range(len(opts) + 1)
        for combo in combinations(opts, r)
        if feasible(choices, opts, frozenset(combo), max_cost)
    ]


def _objective_rows(problem: Problem, block: Block) -> F64:
    """``[J, S]``: the block's objective value per candidate and scenario."""
    w = problem.objective_areas[block.area]
    return np.asarray(block.values.sum(axis=2) * w / problem.norm, dtype=np.float64)


def _constant_values(problem: Problem) -> F64:
    per_area = problem.constant.sum(axis=2)  # [S, A]
    return np.asarray(per_area @ problem.objective_areas / problem.norm, dtype=np.float64)


@dataclass
class _Model:
    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[list[int], list[float], float, float]] = field(default_factory=list)

    def var(self, cost: float, lo: float = 0.0, hi: float = 1.0, integer: bool = True) -> int:
        self.cost.append(cost)
        self.lower.append(lo)
        self.upper.append(hi)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, idx: list[int], val: list[float], lo: float, hi: float) -> None:
        self.rows.append((idx, val, lo, hi))


def minimum_rows(
    problem: Problem, blocks: Sequence[Block], minimum: dict[int, float], xs: list[list[int]]
) -> list[tuple[list[int], list[float], float, float]]:
    """Rows ``sum x value >= floor - constant`` for every (scenario, area, day) some choice
    could break; :class:`ArgumentError` when no choice meets one."""
    rows: list[tuple[list[int], list[float], float, float]] = []
    for a, frac in sorted(minimum.items()):
        floor = frac * problem.baseline[:, a, :]  # [S, T]
        members = [i for i, b in enumerate(blocks) if b.area == a]
        lo = problem.constant[:, a, :].copy()
        hi = problem.constant[:, a, :].copy()
        for i in members:
            b = blocks[i]
            vmax = b.values.max(axis=0)
            if not b.exact and b.upper is not None:
                vmax = np.maximum(vmax, b.upper)
            lo += b.values.min(axis=0)
            hi += vmax
        tol = TOL * np.maximum(1.0, np.abs(floor))
        if (hi < floor - tol).any():
            s, t = np.argwhere(hi < floor - tol)[0]
            reach = hi[s, t] / max(float(problem.baseline[s, a, t]), 1e-300)
            raise ArgumentError(
                f"no portfolio keeps {problem.area_name(a)} at {frac:.0%} of its baseline: "
                f"on day {t} of {problem.scenario_name(s)} the most it can reach is {reach:.1%}"
            )
        for s, t in np.argwhere(lo < floor - tol):
            idx: list[int] = []
            val: list[float] = []
            for i in members:
                idx += xs[i]
                val += [float(v) for v in blocks[i].values[:, s, t]]
            rows.append((idx, val, float(floor[s, t] - problem.constant[s, a, t]), math.inf))
    return rows


def _build(
    problem: Problem,
    blocks: Sequence[Block],
    budget: float,
    objective: Objective,
    minimum: dict[int, float],
    at_least: float | None = None,
) -> tuple[_Model, list[int], list[list[int]], int | None]:
    """The MILP. With ``at_least``, the cheapest portfolio whose objective is at least
    that (the second, tie-breaking pass) instead of the best one."""
    m = _Model()
    index = problem.index
    nsc = len(problem.weights)
    cheapest = at_least is not None
    scale = max([c.cost for c in problem.choices] + [1e-300])  # coefficients near 1
    ys = [m.var(c.cost / scale if cheapest else 0.0) for c in problem.choices]
    z = None
    if objective == "worst":
        lo = at_least if at_least is not None else -math.inf
        z = m.var(0.0 if cheapest else -1.0, lo, math.inf, integer=False)
    xs: list[list[int]] = []
    per_scenario: list[tuple[list[int], list[float]]] = [([], []) for _ in range(nsc)]
    expected_row: tuple[list[int], list[float]] = ([], [])
    for b in blocks:
        obj = _objective_rows(problem, b)  # [J, S]
        if objective == "expected":
            gain = [float(obj[j] @ problem.weights) for j in range(len(b.subsets))]
            ids = [m.var(0.0 if cheapest else -g) for g in gain]
            expected_row[0].extend(ids)
            expected_row[1].extend(gain)
        else:
            ids = [m.var(0.0) for _ in b.subsets]
            for s in range(nsc):
                per_scenario[s][0].extend(ids)
                per_scenario[s][1].extend(-float(v) for v in obj[:, s])
        xs.append(ids)
        m.row(ids, [1.0] * len(ids), 1.0, 1.0)
        for o in b.options:
            idx = [ids[j] for j, sub in enumerate(b.subsets) if o in sub]
            m.row([*idx, ys[o]], [1.0] * len(idx) + [-1.0], 0.0, 0.0)
    m.row(ys, [c.cost / scale for c in problem.choices], -math.inf, budget / scale)
    for o, c in enumerate(problem.choices):
        for r in c.requires:
            m.row([ys[o], ys[index[r]]], [1.0, -1.0], -math.inf, 0.0)
        for e in c.excludes:
            if index[e] > o or o not in [index[q] for q in problem.choices[index[e]].excludes]:
                m.row([ys[o], ys[index[e]]], [1.0, 1.0], -math.inf, 1.0)
    if z is not None:
        const = _constant_values(problem)
        for s in range(nsc):
            idx, val = per_scenario[s]
            m.row([z, *idx], [1.0, *val], -math.inf, float(const[s]))
    if at_least is not None and objective == "expected":
        shift = float(_constant_values(problem) @ problem.weights)
        m.row(expected_row[0], expected_row[1], at_least - shift, math.inf)
    for row in minimum_rows(problem, blocks, minimum, xs):
        m.row(*row)
    return m, ys, xs, z


def _run(m: _Model, start: Sequence[float] | None, time_limit: float | None) -> Any:
    import highspy

    h = _quiet_highs()
    n = len(m.cost)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(m.rows)
    lp.col_cost_ = np.asarray(m.cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(m.lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(m.upper, dtype=np.float64)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.array([-inf if r[2] == -math.inf else r[2] for r in m.rows], dtype=float)
    lp.row_upper_ = np.array([inf if r[3] == math.inf else r[3] for r in m.rows], dtype=float)
    starts = np.zeros(len(m.rows) + 1, dtype=np.int32)
    starts[1:] = np.cumsum([len(r[0]) for r in m.rows])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = np.asarray([i for r in m.rows for i in r[0]], dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray([v for r in m.rows for v in r[1]], dtype=np.float64)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in m.integer
    ]
    h.passModel(lp)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.setOptionValue("mip_feasibility_tolerance", 1e-9)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    return h


def _status(h: Any) -> str:
    return str(h.modelStatusToString(h.getModelStatus()))


def _has_solution(h: Any) -> bool:
    import highspy

    info = h.getInfo()
    return bool(info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible)


def solve(
    problem: Problem,
    budget: float,
    objective: Objective = "expected",
    minimum: dict[int, float] | None = None,
    *,
    start: Sequence[int] | None = None,
    time_limit: float | None = None,
) -> Solution:
    """The best portfolio within ``budget``; ``start`` (option indices) is a feasible
    portfolio to begin from (e.g. the best at a smaller budget).

    Raises :class:`ArgumentError` when no portfolio within the budget meets the minimum
    capability, :class:`SolverError` (with HiGHS's status) when HiGHS fails or stops
    without a portfolio.
    """
    import highspy

    minimum = dict(minimum or {})
    m, ys, xs, z = _build(problem, problem.blocks, budget, objective, minimum)
    col_start = _start_columns(problem, m, ys, xs, z, start, objective) if start else None
    h = _run(m, col_start, time_limit)
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        if minimum:
            raise ArgumentError(
                f"no portfolio within the budget of {budget:,.6g} meets the minimum capability "
                "asked for (raise the budget or lower the minimum)"
            )
        raise SolverError("the portfolio problem has no feasible point", _status(h))
    if status == highspy.HighsModelStatus.kModelEmpty:  # nothing to choose
        values = _constant_values(problem)
        best = float(values @ problem.weights) if objective == "expected" else float(values.min())
        return Solution(
            float(budget), (), 0.0, best, best, 0.0, "Optimal", tuple(float(v) for v in values)
        )
    if status != highspy.HighsModelStatus.kOptimal and not _has_solution(h):
        raise SolverError("HiGHS found no portfolio", _status(h))
    col = np.asarray(h.getSolution().col_value)
    values = _scenario_values(problem, problem.blocks, xs, col)
    best = float(values @ problem.weights) if objective == "expected" else float(values.min())
    info = h.getInfo()
    shift = float(_constant_values(problem) @ problem.weights) if objective == "expected" else 0.0
    bound = max(-float(info.mip_dual_bound) + shift, best)
    col = _cheapest(problem, budget, objective, minimum, best, col, time_limit)
    values = _scenario_values(problem, problem.blocks, xs, col)
    chosen = tuple(o for o in range(len(problem.choices)) if col[ys[o]] > 0.5)
    spent = sum(problem.choices[o].cost for o in chosen)
    if spent > budget * (1 + 1e-6) + 1e-9:  # pragma: no cover - integrality tolerance
        raise SolverError(f"HiGHS's portfolio costs {spent:,.6g}, over {budget:,.6g}", _status(h))
    return Solution(
        budget=float(budget),
        chosen=chosen,
        cost=float(sum(problem.choices[o].cost for o in chosen)),
        objective=best,
        bound=bound,
        gap=relative_gap(best, bound),
        status=_status(h),
        values=tuple(float(v) for v in values),
        exact=all(b.exact for b in problem.blocks),
    )


def _cheapest(
    problem: Problem,
    budget: float,
    objective: Objective,
    minimum: dict[int, float],
    best: float,
    col: F64,
    time_limit: float | None,
) -> F64:
    """Among portfolios as good as ``best`` (to a relative 1e-9), the cheapest: an option
    that adds nothing is never listed. Keeps ``col`` if the second pass fails."""
    floor = best - 1e-9 * max(1.0, abs(best))
    m, _, xs, z = _build(problem, problem.blocks, budget, objective, minimum, at_least=floor)
    start = list(col)
    if z is not None:
        start[z] = max(start[z], floor)
    try:
        h = _run(m, start, time_limit)
    except Exception:  # pragma: no cover - the first pass's answer stands
        return col
    if not _has_solution(h):
        return col
    new = np.asarray(h.getSolution().col_value)
    values = _scenario_values(problem, problem.blocks, xs, new)
    got = float(values @ problem.weights) if objective == "expected" else float(values.min())
    return new if got >= floor else col


def relative_gap(best: float, bound: float) -> float:
    """Relative gap ``(bound - best) / |bound|``; infinite when nothing bounds it."""
    if not math.isfinite(bound):
        return math.inf
    return float((bound - best) / max(abs(bound), abs(best), 1e-12))


def _scenario_values(
    problem: Problem, blocks: Sequence[Block], xs: list[list[int]], col: F64
) -> F64:
    v = _constant_values(problem).copy()
    for b, ids in zip(blocks, xs, strict=True):
        j = int(np.argmax(col[ids]))
        v += _objective_rows(problem, b)[j]
    return v


def _start_columns(
    problem: Problem,
    m: _Model,
    ys: list[int],
    xs: list[list[int]],
    z: int | None,
    start: Sequence[int],
    objective: Objective,
) -> list[float] | None:
    """Column values of the portfolio ``start``, or ``None`` if a block has no such
    candidate."""
    col = [0.0] * len(m.cost)
    chosen = set(start)
    for o in chosen:
        col[ys[o]] = 1.0
    for b, ids in zip(problem.blocks, xs, strict=True):
        want = frozenset(o for o in b.options if o in chosen)
        if want not in b.subsets:
            return None
        col[ids[b.subsets.index(want)]] = 1.0
    if z is not None:
        col[z] = float(_scenario_values(problem, problem.blocks, xs, np.asarray(col)).min())
    return col


def feasible(
    choices: Sequence[Choice], options: Sequence[int], s: frozenset[int], budget: float
) -> bool:
    """Whether subset ``s`` of a block's ``options`` is feasible on its own: within the
    budget, no excluded pair inside, each requirement that is among ``options`` met."""
    index = {c.name: i for i, c in enumerate(choices)}
    inside = set(options)
    if sum(choices[o].cost for o in s) > budget * (1 + 1e-12):
        return False
    for o in s:
        c = choices[o]
        if any(index[q] in inside and index[q] not in s for q in c.requires):
            return False
        if any(index[q] in s for q in c.excludes):
            return False
    return True
