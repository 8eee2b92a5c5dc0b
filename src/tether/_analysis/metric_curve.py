"""Two echelons: the exact METRIC frontier of one part (a depot and its bases)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tether._engine.metric import MetricResult, metric
from tether._engine.poisson import ebo

__all__ = ["MetricFrontier", "metric_curve", "top_level"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Stock levels are considered up to ``m + TAIL * (sqrt(m) + 1)``: beyond, P(X > s) < 1e-12.
TAIL = 8.0


def top_level(m: F64) -> I64:
    """Highest stock worth considering per part, from its largest pipeline ``m [P, K]``."""
    peak = m.max(axis=1) if m.ndim == 2 else m
    return np.ceil(peak + TAIL * (np.sqrt(peak) + 1.0)).astype(np.int64)


@dataclass(frozen=True, eq=False)
class MetricFrontier:
    """Least total base backorders for each total stock of one part (depot plus bases),
    exact, with the allocation: ``depot[t]``, ``bases[t, j]``, ``base_pipeline[t, j]``."""

    backorders: F64
    depot: I64
    bases: I64
    base_pipeline: F64


def metric_curve(
    base_demand: Sequence[float] | F64,
    *,
    order_ship_time: float,
    depot_repair_time: float,
    base_repair_share: float | Sequence[float] = 0.0,
    base_repair_time: float | Sequence[float] = 0.0,
    max_total: int | None = None,
) -> MetricFrontier:
    """The exact METRIC frontier of one part: for each total stock ``0..max_total``, the
    depot and base stocks with the least expected backorders summed over the bases.

    For each depot stock ``s0`` the bases' pipelines are fixed (:func:`tether.metric`) and
    their backorders convex in stock, so filling the bases one unit at a time where it
    removes most backorders is optimal for every base total; the frontier is the least
    over ``s0`` at each total (Sherbrooke 2004, ch. 3). The best depot stock need not grow
    with the total.

    >>> f = metric_curve([23.2] * 5, base_repair_share=0.2, base_repair_time=0.01,
    ...                  order_ship_time=0.01, depot_repair_time=0.02531, max_total=6)
    >>> [round(float(x), 4) for x in f.backorders]
    [3.5088, 2.6043, 1.924, 1.5072, 1.2469, 0.9658, 0.5743]
    >>> int(f.depot[5]), f.bases[5].tolist()
    (2, [1, 1, 1, 0, 0])
    """
    demand = np.atleast_1d(np.asarray(base_demand, dtype=np.float64))
    J = len(demand)

    def run(s0: int) -> MetricResult:
        return metric(
            demand,
            base_repair_share=base_repair_share,
            base_repair_time=base_repair_time,
            order_ship_time=order_ship_time,
            depot_repair_time=depot_repair_time,
            depot_stock=s0,
            base_stock=np.zeros(J, dtype=np.int64),
        )

    worst = run(0)
    base_top = top_level(worst.base_pipeline)
    depot_top = int(top_level(np.array([worst.depot_pipeline]))[0])
    total = int(base_top.sum()) + depot_top if max_total is None else int(max_total)
    best = np.full(total + 1, np.inf)
    depot = np.zeros(total + 1, dtype=np.int64)
    bases = np.zeros((total + 1, J), dtype=np.int64)
    pipes = np.zeros((total + 1, J))
    L = int(base_top.max()) + 1
    levels = np.arange(L + 1)
    for s0 in range(min(depot_top, total) + 1):
        r = run(s0)
        table = ebo(r.base_pipeline[:, None], levels[None, :])  # [J, L + 1]
        dec = (table[:, :-1] - table[:, 1:]).ravel()
        j_of = np.repeat(np.arange(J), L)
        order = np.lexsort((j_of, -dec))
        n_max = min(total - s0, J * L)
        taken = order[:n_max]
        alloc = np.zeros((n_max + 1, J), dtype=np.int64)
        np.add.at(alloc, (np.arange(1, n_max + 1), j_of[taken]), 1)
        alloc = np.cumsum(alloc, axis=0)
        value = table[:, 0].sum() - np.r_[0.0, np.cumsum(dec[taken])]
        t = s0 + np.arange(n_max + 1)
        better = value < best[t] - 1e-13
        best[t[better]] = value[better]
        depot[t[better]] = s0
        bases[t[better]] = alloc[better]
        pipes[t[better]] = r.base_pipeline
    return MetricFrontier(
        backorders=np.maximum(best, 0.0), depot=depot, bases=bases, base_pipeline=pipes
    )
