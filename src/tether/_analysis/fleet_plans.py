"""Plans cut to some fleets, and several plans' fleets stacked into one plan.

Fleets are independent in the engines (a fleet's capability depends only on its own
arrays and the cut masks), so the optimiser evaluates many candidates of one fleet in one
engine run: each candidate's plan cut to that fleet, all stacked side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan

__all__ = ["FIELD_AXES", "select_fleets", "stack_fleets", "with_suppliers"]

I64 = NDArray[np.int64]

#: The axis each array field of a :class:`Plan` runs along (its first axis), and for index
#: fields the axis its values point into. Fields not named here are shared by every fleet
#: (the batch, suppliers and the cut masks) and kept as they are.
FIELD_AXES: dict[str, tuple[str, str | None]] = {
    "units": ("fleet", None),
    "weight": ("fleet", None),
    "area_of": ("fleet", None),
    "available_basis": ("fleet", None),
    "hours": ("fleet", None),
    "part_fleet": ("part", "fleet"),
    "quantity": ("part", None),
    "failure_rate": ("part", None),
    "spares": ("part", None),
    "unit_cost": ("part", None),
    "share": ("part", None),
    "route_time": ("part", None),
    "route_supplier": ("part", None),
    "route_capacity": ("part", None),
    "part_group": ("part", "part"),
    "row_from": ("part", None),
    "row_until": ("part", None),
    "divert": ("part", None),
    "st_row": ("stock", "part"),
    "st_day": ("stock", None),
    "st_add": ("stock", None),
    "un_fleet": ("unit", "fleet"),
    "un_day": ("unit", None),
    "un_add": ("unit", None),
    "sw_fleet": ("software", "fleet"),
    "sw_supplier": ("software", None),
    "sw_cadence": ("software", None),
    "sw_grace": ("software", None),
    "sw_decline": ("software", None),
    "sw_floor": ("software", None),
    "sw_last_update": ("software", None),
    "mu_fleet": ("munition", "fleet"),
    "mu_use": ("munition", None),
    "mu_stock": ("munition", None),
    "rs_munition": ("resupply", "munition"),
    "rs_supplier": ("resupply", None),
    "rs_rate": ("resupply", None),
    "rs_from": ("resupply", None),
    "rs_until": ("resupply", None),
    "md_munition": ("delivery", "munition"),
    "md_day": ("delivery", None),
    "md_rounds": ("delivery", None),
    "sv_fleet": ("service", "fleet"),
    "sv_supplier": ("service", None),
    "sv_factor": ("service", None),
    "sv_alt_supplier": ("service", None),
    "sv_alt_delay": ("service", None),
    "sv_alt_factor": ("service", None),
    "sv_alt_from": ("service", None),
}

#: Fields shared by all fleets (never cut or stacked).
SHARED = frozenset({"cut", "co_batch", "co_start", "co_end", "co_dist", "co_a", "co_b", "co_stop"})

#: The field whose length is each axis's size.
_SIZE_OF = {
    "fleet": "units",
    "part": "part_fleet",
    "stock": "st_row",
    "unit": "un_fleet",
    "software": "sw_fleet",
    "munition": "mu_fleet",
    "resupply": "rs_munition",
    "delivery": "md_munition",
    "service": "sv_fleet",
}


def _array_fields(plan: Plan) -> list[str]:
    return [f.name for f in fields(plan) if isinstance(getattr(plan, f.name), np.ndarray)]


def _check_known(plan: Plan) -> None:
    unknown = [n for n in _array_fields(plan) if n not in FIELD_AXES and n not in SHARED]
    if unknown:  # pragma: no cover - a new Plan field must be classified here
        raise TypeError(f"fleet_plans does not know the Plan fields {unknown}")


def select_fleets(plan: Plan, keep: Sequence[int]) -> Plan:
    """``plan`` cut to the fleets ``keep`` (in that order), with every row that belongs to
    them (parts, software, munitions, resupply, deliveries, services, steps) re-indexed."""
    _check_known(plan)
    keep_arr = np.asarray(keep, dtype=np.int64)
    masks: dict[str, I64] = {}
    new_index: dict[str, I64] = {}
    fleet_map = np.full(len(plan.units), -1, dtype=np.int64)
    fleet_map[keep_arr] = np.arange(len(keep_arr))
    masks["fleet"] = keep_arr
    new_index["fleet"] = fleet_map

    def owned(axis: str, owner_field: str, owner_axis: str) -> None:
        owner = getattr(plan, owner_field)
        sel = np.flatnonzero(new_index[owner_axis][owner] >= 0) if len(owner) else owner[:0]
        m = np.full(len(owner), -1, dtype=np.int64)
        m[sel] = np.arange(len(sel))
        masks[axis] = sel
        new_index[axis] = m

    owned("part", "part_fleet", "fleet")
    owned("stock", "st_row", "part")
    owned("unit", "un_fleet", "fleet")
    owned("software", "sw_fleet", "fleet")
    owned("munition", "mu_fleet", "fleet")
    owned("resupply", "rs_munition", "munition")
    owned("delivery", "md_munition", "munition")
    owned("service", "sv_fleet", "fleet")
    changes: dict[str, Any] = {}
    for name, (axis, points) in FIELD_AXES.items():
        value = getattr(plan, name)
        if len(value) != len(getattr(plan, _SIZE_OF[axis])):  # an unfilled optional field
            continue
        value = value[masks[axis]]
        if points is not None:
            value = new_index[points][value]
        changes[name] = value
    fleets = [plan.fleets[i] for i in keep_arr]
    changes["fleets"] = tuple(fleets)
    changes["part_labels"] = tuple(plan.part_labels[i] for i in masks["part"])
    if plan.assumptions:
        changes["assumptions"] = tuple(plan.assumptions[i] for i in keep_arr)
    return replace(plan, **changes)


#: Fields holding a supplier index (-1 for none).
SUPPLIER_FIELDS = ("route_supplier", "sw_supplier", "rs_supplier", "sv_supplier", "sv_alt_supplier")


def with_suppliers(plan: Plan, suppliers: Sequence[str]) -> Plan:
    """``plan`` on the supplier axis ``suppliers`` (a superset of its own, in any order):
    supplier indices re-pointed, cut masks and the cutoff table laid out on the new axis
    (a supplier the plan did not hold is never cut: no fleet of the plan uses it)."""
    if tuple(suppliers) == plan.suppliers:
        return plan
    where = {n: i for i, n in enumerate(suppliers)}
    old_to_new = np.array([where[n] for n in plan.suppliers] + [-1], dtype=np.int64)
    changes: dict[str, Any] = {}
    for name in SUPPLIER_FIELDS:
        value = getattr(plan, name)
        changes[name] = old_to_new[np.where(value < 0, -1, value)]
    B, _, K, T = plan.cut.shape
    cut = np.zeros((B, len(suppliers), K, T), dtype=np.bool_)
    cut[:, old_to_new[:-1]] = plan.cut
    stop = np.zeros((plan.co_stop.shape[0], len(suppliers), K), dtype=np.bool_)
    stop[:, old_to_new[:-1]] = plan.co_stop
    changes.update(cut=cut, co_stop=stop, suppliers=tuple(suppliers))
    return replace(plan, **changes)


def stack_fleets(plans: Sequence[Plan], names: Sequence[str] | None = None) -> Plan:
    """One plan holding the fleets of every plan in ``plans`` side by side. All share the
    horizon and batch; their suppliers are merged onto one axis (cut masks of a supplier
    are the same in every plan of one document). ``names`` renames the stacked fleets."""
    first = plans[0]
    _check_known(first)
    suppliers = tuple(dict.fromkeys(s for p in plans for s in p.suppliers))
    moved = [with_suppliers(p, suppliers) for p in plans]
    cut = np.logical_or.reduce([p.cut for p in moved])
    stop = np.logical_or.reduce([p.co_stop for p in moved])
    for p, m in zip(plans, moved, strict=True):
        if p.horizon != first.horizon or p.batch != first.batch:
            raise ValueError("stacked plans must share the horizon and the batch")
        own = [suppliers.index(n) for n in p.suppliers]
        if not np.array_equal(m.cut[:, own], cut[:, own]) or len(p.co_start) != len(first.co_start):
            raise ValueError("stacked plans must share the batch and its cut masks")
    plans = [replace(m, cut=cut, co_stop=stop) for m in moved]
    first = plans[0]
    offsets = {axis: 0 for axis in _SIZE_OF}
    parts: dict[str, list[Any]] = {name: [] for name in FIELD_AXES}
    for p in plans:
        for name, (_axis, points) in FIELD_AXES.items():
            value = getattr(p, name)
            if points is not None:
                value = value + offsets[points]
            parts[name].append(value)
        for axis, size_field in _SIZE_OF.items():
            offsets[axis] += len(getattr(p, size_field))
    changes: dict[str, Any] = {}
    for name, values in parts.items():
        if any(
            len(v) != len(getattr(p, _SIZE_OF[FIELD_AXES[name][0]]))
            for v, p in zip(values, plans, strict=True)
        ):
            continue  # an unfilled optional field: keep the first plan's (empty) default
        changes[name] = np.concatenate(values, axis=0)
    fleet_names = [f for p in plans for f in p.fleets]
    changes["fleets"] = tuple(names) if names is not None else tuple(fleet_names)
    changes["part_labels"] = tuple(lb for p in plans for lb in p.part_labels)
    changes["assumptions"] = tuple(a for p in plans for a in p.assumptions)
    return replace(first, **changes)
