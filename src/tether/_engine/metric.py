"""Steady-state METRIC: one depot and its bases, Poisson demand, deterministic times.

Sherbrooke (2004), ch. 3. Depot demand is the sum of the bases' demand not repaired at
the base; the base's resupply delay is order-and-ship time plus the depot's expected
delay, ``EBO_depot(s0) / depot demand``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tether._engine.poisson import ebo

__all__ = ["MetricResult", "metric"]

F64 = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MetricResult:
    """Steady-state two-echelon METRIC figures for one part."""

    depot_demand: float
    depot_pipeline: float
    depot_backorders: float
    depot_delay: float
    base_pipeline: F64
    base_backorders: F64

    @property
    def total_backorders(self) -> float:
        """Expected backorders summed over the bases (the METRIC objective)."""
        return float(self.base_backorders.sum())


def metric(
    base_demand: ArrayLike,
    *,
    base_repair_share: ArrayLike = 0.0,
    base_repair_time: ArrayLike = 0.0,
    order_ship_time: ArrayLike,
    depot_repair_time: float,
    depot_stock: int,
    base_stock: ArrayLike,
) -> MetricResult:
    """Evaluate METRIC for one part at a depot and its bases (times in one unit, e.g. years).

    Per base: demand rate, probability of base repair ``r``, base repair time, and
    order-and-ship time; all broadcast to the number of bases given by ``base_stock``.

    >>> r = metric([0.1, 0.1], order_ship_time=2, depot_repair_time=14,
    ...            depot_stock=1, base_stock=[1, 1])
    >>> round(r.total_backorders, 4), round(r.depot_delay, 4)
    (0.9066, 9.3041)
    """
    stock = np.atleast_1d(np.asarray(base_stock, dtype=np.int64))
    demand = np.broadcast_to(np.asarray(base_demand, dtype=np.float64), stock.shape)
    r = np.broadcast_to(np.asarray(base_repair_share, dtype=np.float64), stock.shape)
    t_base = np.broadcast_to(np.asarray(base_repair_time, dtype=np.float64), stock.shape)
    t_os = np.broadcast_to(np.asarray(order_ship_time, dtype=np.float64), stock.shape)
    if np.any(demand < 0) or np.any((r < 0) | (r > 1)) or depot_stock < 0 or np.any(stock < 0):
        raise ValueError("demands, stocks must be >= 0 and base repair shares in [0, 1]")
    depot_demand = float((demand * (1.0 - r)).sum())
    depot_pipeline = depot_demand * depot_repair_time
    depot_bo = float(ebo(depot_pipeline, depot_stock))
    delay = depot_bo / depot_demand if depot_demand > 0 else 0.0
    pipeline = demand * (r * t_base + (1.0 - r) * (t_os + delay))
    return MetricResult(
        depot_demand=depot_demand,
        depot_pipeline=depot_pipeline,
        depot_backorders=depot_bo,
        depot_delay=delay,
        base_pipeline=pipeline,
        base_backorders=ebo(pipeline, stock),
    )
