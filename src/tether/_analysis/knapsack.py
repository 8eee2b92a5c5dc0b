"""The exact optimum of a separable objective under a budget: a multiple-choice knapsack.

Each item (a part) takes one level ``start..top``; level ``s`` is worth ``value[p, s]`` and
costs ``cost_p (s - start_p)``. Solved exactly by dynamic programming over costs in whole
units (their gcd) when the table is small, else as a MILP with HiGHS (``highspy``, the
``opt`` extra), which reports the relative gap it proves.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from tether._errors import ArgumentError, SolverError

__all__ = ["DP_CELLS", "solve_budget"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Largest DP table (parts x levels x budget units) before the MILP is used instead.
DP_CELLS = 30_000_000


def _integer_unit(cost: F64) -> float | None:
    """A cost unit every unit cost is a whole multiple of (their gcd when they are whole
    numbers), or ``None``."""
    positive = cost[cost > 0]
    if not len(positive):
        return 1.0
    if np.any(np.abs(positive - np.round(positive)) > 1e-9 * np.maximum(positive, 1)):
        return None
    return float(np.gcd.reduce(np.round(positive).astype(np.int64)))


def _solve_dp(value: F64, start: I64, top: I64, cost: F64, budget: float, unit: float) -> I64:
    """Exact multiple-choice knapsack by DP over budget units; returns the levels."""
    P = value.shape[0]
    U = math.floor(budget / unit + 1e-9)
    units = np.round(cost / unit).astype(np.int64)
    best = np.zeros(U + 1)
    choice = np.zeros((P, U + 1), dtype=np.int32)
    for p in range(P):
        a, b = int(start[p]), int(top[p])
        if units[p] > 0:
            b = min(b, a + U // int(units[p]))
        new = best + value[p, a]
        pick = np.zeros(U + 1, dtype=np.int32)
        for s in range(a + 1, b + 1):
            k = int(units[p]) * (s - a)
            cand = np.full(U + 1, -np.inf)
            cand[k:] = best[: U + 1 - k] + value[p, s]
            better = cand > new + 1e-15 * np.abs(new)
            new = np.where(better, cand, new)
            pick[better] = s - a
        best = new
        choice[p] = pick
    level = start.copy()
    u = U
    for p in range(P - 1, -1, -1):
        extra = int(choice[p, u])
        level[p] = start[p] + extra
        u -= extra * int(units[p])
    return level


def _solve_milp(value: F64, start: I64, top: I64, cost: F64, budget: float) -> tuple[I64, float]:
    """Exact multiple-choice knapsack as a MILP (one binary per part and level above its
    start, at most one per part, the cost within the budget); returns levels and the
    proven relative gap."""
    try:
        import highspy
    except ImportError:
        raise ArgumentError(
            "the exact optimum at this budget needs highspy (pip install 'tether[opt]')"
        ) from None
    cols_p: list[int] = []
    cols_s: list[int] = []
    for p in range(value.shape[0]):
        a = int(start[p])
        b = int(top[p]) if cost[p] <= 0 else min(int(top[p]), a + int(budget // cost[p]))
        cols_p += [p] * (b - a)
        cols_s += list(range(a + 1, b + 1))
    cp = np.asarray(cols_p, dtype=np.int64)
    cs = np.asarray(cols_s, dtype=np.int64)
    n = len(cp)
    if n == 0:
        return start.copy(), 0.0
    gain = value[cp, cs] - value[cp, start[cp]]
    spend = cost[cp] * (cs - start[cp])
    used = np.unique(cp)
    row_of = np.searchsorted(used, cp)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(used) + 1
    scale = float(np.abs(gain).max()) or 1.0
    lp.col_cost_ = gain / scale  # gains of order 1: the solver's tolerances are relative
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = np.full(len(used) + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.r_[np.ones(len(used)), budget]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * n + 1, 2, dtype=np.int32)
    index = np.empty(2 * n, dtype=np.int32)
    index[0::2] = row_of
    index[1::2] = len(used)
    val = np.empty(2 * n)
    val[0::2] = 1.0
    val[1::2] = spend
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = val
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    lp.sense_ = highspy.ObjSense.kMaximize
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError("the spares MILP found no optimum", h.modelStatusToString(status))
    x = np.asarray(h.getSolution().col_value) > 0.5
    level = start.copy()
    level[cp[x]] = cs[x]
    gap = float(h.getInfo().mip_gap)
    return level, gap if math.isfinite(gap) else 0.0


def solve_budget(
    value: F64, start: I64, top: I64, cost: F64, budget: float, method: str = "auto"
) -> tuple[I64, str, float]:
    """Levels maximising ``sum_p value[p, level_p]`` with ``sum_p cost_p (level_p - start_p)
    <= budget``, ``start_p <= level_p <= top_p``: exact. ``method``: ``"dp"`` (needs whole
    unit costs), ``"milp"`` or ``"auto"`` (the DP when its table is small). Returns the
    levels, the method used and the proven relative gap."""
    unit = _integer_unit(cost)
    if method == "auto":
        cells = value.shape[0] * value.shape[1] * (budget / unit + 1) if unit else math.inf
        method = "dp" if cells <= DP_CELLS else "milp"
    if method == "dp":
        if unit is None:
            raise ArgumentError("the DP needs whole-number unit costs; use method='milp'")
        return _solve_dp(value, start, top, cost, budget, unit), "dp", 0.0
    if method == "milp":
        level, gap = _solve_milp(value, start, top, cost, budget)
        return level, "milp", gap
    raise ArgumentError(f"method must be 'auto', 'dp' or 'milp', not {method!r}")
