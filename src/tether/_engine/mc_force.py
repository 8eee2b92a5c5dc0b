"""Monte Carlo: a force that changes over time (part groups, row windows, stock and unit
steps, diversion to the domestic route while a supplier withholds repair).

See the plan's fields in :class:`tether._engine.arrays.Plan`. Everything here is built
once per plan; :attr:`Force.constant` is true when the plan holds the defaults, and the
engine then takes exactly the paths (and draws) it took before these fields existed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import KIND_INDEX, Plan

__all__ = ["Force", "divert_mask", "force_of"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Force:
    """The force by day, as the Monte Carlo engine reads it.

    ``group [P]``: compact group (physical part) of each row, ``0..G-1``; ``lead [G]``: a
    row of each group (its fleet, quantity and spares stand for the group's); ``window
    [P, T]``: whether failures of the row's group take this row on day ``t`` (``None``: every
    row always); ``stock [G, T]``: the group's stock on day ``t`` (``None``: the spares, on
    every day); ``units [F, T]``: ``N_f(t)``; ``from_zero [P]``: rows in force before day 0
    (they hold the steady-state pipeline).
    """

    group: I64
    lead: I64
    window: B8 | None
    stock: I64 | None
    units: F64
    units_change: bool
    from_zero: B8
    divert: B8

    @property
    def grouped(self) -> bool:
        return len(self.lead) != len(self.group)

    @property
    def constant(self) -> bool:
        """Whether the plan holds the constant defaults (a force that never changes)."""
        return (
            not self.grouped
            and self.window is None
            and self.stock is None
            and not self.units_change
            and not self.divert.any()
        )


def _or_default(values: NDArray[np.generic], default: NDArray[np.generic]) -> NDArray[np.generic]:
    return default if len(values) == 0 else values


def force_of(plan: Plan) -> Force:
    """The time-varying force of ``plan`` (empty arrays read as the defaults)."""
    P, T = len(plan.part_labels), plan.horizon + 1
    group_ids = np.asarray(_or_default(plan.part_group, np.arange(P)), dtype=np.int64)
    row_from = np.asarray(_or_default(plan.row_from, np.zeros(P, np.int64)), dtype=np.int64)
    row_until = np.asarray(_or_default(plan.row_until, np.full(P, T, np.int64)), dtype=np.int64)
    divert = np.asarray(_or_default(plan.divert, np.zeros(P, np.bool_)), dtype=np.bool_)
    _, lead, group = np.unique(group_ids, return_index=True, return_inverse=True)
    group = group.astype(np.int64).reshape(-1)
    lead = lead.astype(np.int64)
    days = np.arange(T)
    window = None
    if P and ((row_from > 0).any() or (row_until < T).any()):
        window = (days[None, :] >= row_from[:, None]) & (days[None, :] < row_until[:, None])
    stock = None
    if len(plan.st_row):
        stock = np.repeat(plan.spares[lead][:, None], T, axis=1).astype(np.int64)
        for row, day, add in zip(plan.st_row, plan.st_day, plan.st_add, strict=True):
            if day < T:
                stock[group[row], max(int(day), 0) :] += int(add)
    units = np.repeat(plan.units[:, None], T, axis=1).astype(np.float64)
    for f, day, add in zip(plan.un_fleet, plan.un_day, plan.un_add, strict=True):
        if day < T:
            units[f, max(int(day), 0) :] += float(add)
    np.maximum(units, 0.0, out=units)
    return Force(
        group=group,
        lead=lead,
        window=window,
        stock=stock,
        units=units,
        units_change=not np.array_equal(units, plan.units[:, None] * np.ones((1, T))),
        from_zero=row_from <= 0,
        divert=divert,
    )


def divert_mask(plan: Plan, force: Force, cut: B8) -> B8 | None:
    """``[R', P, T]``: whether a failure of row ``p`` on day ``t`` that would take the
    supplier-repair route goes to the domestic route instead (the row diverts, and the
    route's supplier withholds repair that day). ``None`` when nothing is ever diverted."""
    rows = np.flatnonzero(force.divert & (plan.route_supplier[:, 2] >= 0))
    if not len(rows):
        return None
    mask = np.zeros((cut.shape[0], len(plan.part_labels), cut.shape[-1]), dtype=np.bool_)
    mask[:, rows] = cut[:, plan.route_supplier[rows, 2], KIND_INDEX["repair"]]
    if not mask.any():
        return None
    return mask
