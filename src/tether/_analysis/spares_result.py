"""The spares curve's results: the curve (every point with its stock list) and the exact
optimum at a budget. Built by :func:`tether.spares_curve`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tether._errors import ArgumentError

__all__ = ["SparesCurve", "SparesOptimum"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class SparesOptimum:
    """The exact optimum at one budget: stock per part, cost, figures and how it was found.

    ``method`` is ``"dp"`` (exact) or ``"milp"`` (HiGHS, exact within its tolerances: gains
    below about 1e-7 of the largest may be left out; where the curve's own point within
    the budget is better it is taken, and the method says so). ``gap`` is proved
    independently of the solver: the LP relaxation's bound (the curve's hull at the budget)
    minus the optimum's objective, in the objective's units (``-`` backorders, or
    value-weighted mean ``log`` availability); 0 for the DP, which is exact.
    """

    budget: float
    cost: float
    availability: float
    backorders: float
    stock: dict[str, int]
    method: str
    gap: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "budget": self.budget,
            "cost": self.cost,
            "availability": self.availability,
            "backorders": self.backorders,
            "stock": dict(self.stock),
            "method": self.method,
            "gap": self.gap,
        }


@dataclass(frozen=True, eq=False)
class SparesCurve:
    """The efficient curve: point 0 is the starting stock, point ``i`` adds step ``i``.

    ``step_part[i - 1]`` is raised to ``step_level[i - 1]`` at point ``i``; ``cost``,
    ``availability`` and ``backorders`` are per point (cost of stock added to the start).
    ``availability`` is the value-weighted mean over fleets (and points) of expected
    availability from parts; ``backorders`` the expected backorders summed over parts,
    averaged over the (scenario, day) points.
    """

    parts: tuple[str, ...]
    unit_cost: F64
    start: I64
    step_part: I64
    step_level: I64
    cost: F64
    availability: F64
    backorders: F64
    objective: str
    echelons: int
    points: tuple[tuple[str, int], ...]
    optimum: SparesOptimum | None = None
    notes: tuple[str, ...] = field(default=())
    #: two echelons: per item, its locations (depot first) and stock per total ``[L, 1 + J]``
    locations: dict[str, tuple[tuple[str, ...], I64]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cost)

    def stock(self, i: int = -1) -> dict[str, int]:
        """Stock per part at point ``i`` (default: the last)."""
        n = len(self.cost)
        i = i + n if i < 0 else i
        if not 0 <= i < n:
            raise ArgumentError(f"point must be between 0 and {n - 1}, not {i}")
        level = self.start.copy()
        level[self.step_part[:i]] = 0
        np.maximum.at(level, self.step_part[:i], self.step_level[:i])
        return {p: int(s) for p, s in zip(self.parts, level, strict=True)}

    def allocation(self, i: int = -1) -> dict[str, int]:
        """Two echelons: stock per location (``depot:SYSTEM/PART`` and ``FLEET/PART``) at
        point ``i``; one echelon: :meth:`stock`."""
        totals = self.stock(i)
        if not self.locations:
            return totals
        out: dict[str, int] = {}
        for item, total in totals.items():
            names, split = self.locations[item]
            out.update({n: int(v) for n, v in zip(names, split[total], strict=True)})
        return out

    def at_budget(self, budget: float) -> int:
        """The last point whose cost is within ``budget``."""
        return int(np.searchsorted(self.cost, budget * (1 + 1e-12), side="right") - 1)

    def to_frame(self) -> pd.DataFrame:
        """One row per point: cost, availability, backorders, the part raised and its level."""
        part = np.array([""] + [self.parts[p] for p in self.step_part], dtype=object)
        level = np.r_[-1, self.step_level]
        return pd.DataFrame(
            {
                "point": np.arange(len(self.cost)),
                "cost": self.cost,
                "availability": self.availability,
                "backorders": self.backorders,
                "part": part,
                "level": pd.array([None if v < 0 else int(v) for v in level], dtype="Int64"),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the start stock, every point with the part it raises (its stock list
        is the start stock with the raises of points 1..i), the optimum if asked."""
        return {
            "objective": self.objective,
            "echelons": self.echelons,
            "at": [{"scenario": s, "day": d} for s, d in self.points],
            "start_stock": self.stock(0),
            "unit_cost": {p: float(c) for p, c in zip(self.parts, self.unit_cost, strict=True)},
            "points": [
                {
                    "cost": float(self.cost[i]),
                    "availability": float(self.availability[i]),
                    "backorders": float(self.backorders[i]),
                    "raise": (
                        {self.parts[self.step_part[i - 1]]: int(self.step_level[i - 1])}
                        if i
                        else {}
                    ),
                }
                for i in range(len(self.cost))
            ],
            "optimum": None if self.optimum is None else self.optimum.to_dict(),
            "notes": list(self.notes),
        }
