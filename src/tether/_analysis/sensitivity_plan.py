"""Many parameter points of one force through few engine runs.

A field change usually scales entries of the compiled plan's arrays in proportion (a
failure rate, a turnaround, hours per day, a use rate). :class:`PatchedPlan` compiles the
plan once, finds each parameter's footprint by compiling it once more at the top of its
range, and builds the plan of any point by scaling those entries: no compile per point.
A parameter whose footprint is not proportional (or that changes anything but float
arrays) makes every point compile its own plan.

:func:`stack` puts the plans of many points side by side as copies of the force (fleets,
part rows, munitions, software and services concatenated, indices offset; suppliers,
areas and cutoffs shared), so one analytic run evaluates a chunk of points: the engine
treats fleets independently when the force is constant (no depot capacity, no change
over time), which is when :func:`stackable` allows it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan

__all__ = ["Param", "PatchedPlan", "stack", "stackable"]

F64 = NDArray[np.float64]

#: Per-copy arrays and what their values index (offset by that axis's size per copy).
_ROWS: dict[str, str | None] = {
    "units": None,
    "weight": None,
    "area_of": None,
    "available_basis": None,
    "hours": None,
    "part_fleet": "F",
    "quantity": None,
    "failure_rate": None,
    "spares": None,
    "unit_cost": None,
    "share": None,
    "route_time": None,
    "route_supplier": None,
    "route_capacity": None,
    "sw_fleet": "F",
    "sw_supplier": None,
    "sw_cadence": None,
    "sw_grace": None,
    "sw_decline": None,
    "sw_floor": None,
    "sw_last_update": None,
    "mu_fleet": "F",
    "mu_use": None,
    "mu_stock": None,
    "rs_munition": "M",
    "rs_supplier": None,
    "rs_rate": None,
    "sv_fleet": "F",
    "sv_supplier": None,
    "sv_factor": None,
    "sv_alt_supplier": None,
    "sv_alt_delay": None,
    "sv_alt_factor": None,
    "part_group": "P",
    "row_from": None,
    "row_until": None,
    "divert": None,
    "st_row": "P",
    "st_day": None,
    "st_add": None,
    "un_fleet": "F",
    "un_day": None,
    "un_add": None,
    "rs_from": None,
    "rs_until": None,
    "md_munition": "M",
    "md_day": None,
    "md_rounds": None,
    "sv_alt_from": None,
}
#: Shared by every copy.
_SHARED = (
    "horizon",
    "batch",
    "areas",
    "suppliers",
    "cut",
    "co_batch",
    "co_start",
    "co_end",
    "co_dist",
    "co_a",
    "co_b",
    "co_stop",
)
_NAMES = ("fleets", "part_labels", "assumptions")


def stackable(plan: Plan) -> bool:
    """Whether copies of ``plan`` can share one engine run (every field known here, and a
    constant force: no depot capacity, nothing changing over time)."""
    from tether._engine.varying import constant_force

    known = set(_ROWS) | set(_SHARED) | set(_NAMES)
    if any(f.name not in known for f in dataclasses.fields(Plan)):
        return False
    return constant_force(plan)


def stack(plans: Sequence[Plan]) -> Plan:
    """One plan holding ``plans`` (copies of one force, differing only in values) side by
    side; fleet ``j`` of copy ``i`` is fleet ``i * F + j``."""
    first = plans[0]
    if len(plans) == 1:
        return first
    size = {
        "F": len(first.fleets),
        "P": len(first.part_labels),
        "M": len(first.mu_fleet),
    }
    values: dict[str, Any] = {name: getattr(first, name) for name in _SHARED}
    for name, axis in _ROWS.items():
        parts = []
        for i, p in enumerate(plans):
            a = getattr(p, name)
            parts.append(a + i * size[axis] if axis is not None and len(a) else a)
        values[name] = np.concatenate(parts, axis=0)
    values["fleets"] = tuple(f"{f}#{i}" for i, p in enumerate(plans) for f in p.fleets)
    values["part_labels"] = tuple(x for p in plans for x in p.part_labels)
    values["assumptions"] = tuple(x for p in plans for x in p.assumptions)
    return Plan(**values)


@dataclasses.dataclass(frozen=True, slots=True)
class Param:
    """One parameter: its field path, base value, whether the field holds an integer,
    and the top factor of its range (where its footprint is measured)."""

    path: str
    value: float
    integer: bool
    top: float


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return (
            isinstance(b, np.ndarray)
            and a.shape == b.shape
            and bool(np.allclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True))
        )
    return _same(a, b)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, True)
    return bool(a == b)


def _changes(base: Plan, moved: Plan) -> list[tuple[str, NDArray[np.bool_], F64, F64]] | None:
    """Per array of the plan that ``moved`` changes: its name, the changed entries and their
    old and new values. ``None`` if a change is not to finite, nonzero float entries."""
    out = []
    for f in dataclasses.fields(Plan):
        a, b = getattr(base, f.name), getattr(moved, f.name)
        if _same(a, b):
            continue
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return None
        if a.shape != b.shape or a.dtype.kind != "f":
            return None
        changed = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        old, new = a[changed], b[changed]
        if not np.isfinite(old).all() or (old == 0).any():
            return None
        out.append((f.name, changed, old, new))
    return out


class PatchedPlan:
    """The plan of ``document``'s force for ``sets`` of cutoffs at any values of
    ``params`` (factors of their base values), compiled once when the fields allow."""

    def __init__(
        self,
        document: Any,
        force: str,
        scenario: Any,
        sets: Sequence[Sequence[Any]],
        labels: Sequence[str],
        params: Sequence[Param],
    ) -> None:
        from tether._plan import compile_plan
        from tether._sweep.spec import parse_path, set_path

        self._compile_args = (force, scenario, [list(s) for s in sets], list(labels))
        self._document = document
        self._params = list(params)
        self._steps = [parse_path(p.path) for p in params]
        self.base = compile_plan(document, document.force(force), scenario, sets, labels)
        self._index: dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]] | None = None
        #: Per parameter: (field, mask) pairs its factor scales; None: not proportional.
        self.footprints: list[list[tuple[str, NDArray[np.bool_]]] | None] = []
        found = self._all_at_once()
        if found is not None:
            self.footprints = found
            return
        self.footprints, self._index = [], None
        for p, steps in zip(self._params, self._steps, strict=True):
            top = self._value(p, p.top)
            doc = set_path(document, steps, top)
            moved = compile_plan(doc, doc.force(force), scenario, sets, labels)
            self.footprints.append(self._footprint(moved, top / p.value))

    def _all_at_once(self) -> list[list[tuple[str, NDArray[np.bool_]]] | None] | None:
        """Every footprint from one compile: each parameter moved by its own factor at
        once, each changed entry traced to the parameter (or pair of parameters) whose
        factors make its ratio; then checked against a compile at another point.
        ``None`` when that does not hold (then one compile per parameter)."""
        k = len(self._params)
        if k == 0 or any(p.integer for p in self._params):
            return None
        rng = np.random.default_rng(20261124)
        logs = rng.uniform(0.05, 0.7, k)
        moved = self._compiled(np.exp(logs))
        out: list[list[tuple[str, NDArray[np.bool_]]]] = [[] for _ in range(k)]
        pairs = logs[:, None] + logs[None, :]
        changes = _changes(self.base, moved)
        if changes is None:
            return None
        for name, changed, old, new in changes:
            if (new / old <= 0).any():
                return None
            r = np.log(new / old)
            who: list[tuple[int, ...]] = []
            for x in r:
                one = np.flatnonzero(np.abs(logs - x) < 1e-9)
                if len(one) == 1:
                    who.append((int(one[0]),))
                    continue
                two = np.argwhere(np.triu(np.abs(pairs - x) < 1e-9, 1))
                if len(two) != 1:
                    return None
                who.append((int(two[0, 0]), int(two[0, 1])))
            where = np.flatnonzero(changed.ravel())
            for i in range(k):
                mask = np.zeros(changed.size, dtype=np.bool_)
                mask[[w for w, ps in zip(where, who, strict=True) if i in ps]] = True
                if mask.any():
                    out[i].append((name, mask.reshape(changed.shape)))
        self.footprints = list(out)
        self._index = None
        check = np.exp(rng.uniform(-0.69, 0.69, k))
        want, got = self._compiled(check), self.at(check)
        if not all(
            _close(getattr(want, f.name), getattr(got, f.name)) for f in dataclasses.fields(Plan)
        ):
            return None
        return list(out)

    @staticmethod
    def _value(p: Param, factor: float) -> float:
        v = p.value * factor
        return float(max(1, round(v))) if p.integer else v

    def _footprint(self, moved: Plan, factor: float) -> list[tuple[str, NDArray[np.bool_]]] | None:
        changes = _changes(self.base, moved)
        if changes is None:
            return None
        for _, _, old, new in changes:
            if not np.allclose(new / old, factor, rtol=1e-9, atol=0.0):
                return None
        return [(name, changed) for name, changed, _, _ in changes]

    @property
    def proportional(self) -> bool:
        """Whether every parameter's points are patched rather than compiled."""
        return all(fp is not None for fp in self.footprints)

    def _scaled(self) -> dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]]:
        """Per array: the flat positions some parameter scales, and which parameter."""
        if self._index is None:
            parts: dict[str, list[tuple[NDArray[np.int64], int]]] = {}
            for i, fp in enumerate(self.footprints):
                for name, mask in fp or ():
                    parts.setdefault(name, []).append((np.flatnonzero(mask), i))
            self._index = {
                name: (
                    np.concatenate([ix for ix, _ in got]),
                    np.concatenate([np.full(len(ix), i, dtype=np.int64) for ix, i in got]),
                )
                for name, got in parts.items()
            }
        return self._index

    def at(self, factors: F64) -> Plan:
        """The plan with parameter ``i`` at ``factors[i]`` times its base value."""
        if not self.proportional:
            return self._compiled(factors)
        eff = np.array(
            [self._value(p, float(x)) / p.value for p, x in zip(self._params, factors, strict=True)]
        )
        arrays: dict[str, Any] = {}
        for name, (idx, pid) in self._scaled().items():
            base = getattr(self.base, name)
            scale = np.ones(base.size)
            np.multiply.at(scale, idx, eff[pid])
            arrays[name] = base * scale.reshape(base.shape)
        return dataclasses.replace(self.base, **arrays) if arrays else self.base

    def _compiled(self, factors: F64) -> Plan:
        from tether._plan import compile_plan
        from tether._sweep.spec import set_path

        force, scenario, sets, labels = self._compile_args
        doc = self._document
        for p, steps, x in zip(self._params, self._steps, factors, strict=True):
            if float(x) != 1.0:
                doc = set_path(doc, steps, self._value(p, float(x)))
        return compile_plan(doc, doc.force(force), scenario, sets, labels)


def capability(patched: PatchedPlan, factors: F64, chunk: int) -> F64:
    """Fleet capability ``[n, B, F, T]`` at each row of ``factors [n, k]``: chunks of
    ``chunk`` points stacked into one engine run where the plan allows, else one run per
    point."""
    from tether._engine.analytic import run_analytic

    base = patched.base
    B, nf, T = len(base.batch), len(base.fleets), base.horizon + 1
    out = np.empty((len(factors), B, nf, T))
    together = stackable(base) and patched.proportional
    step = max(1, chunk) if together else 1
    for lo in range(0, len(factors), step):
        plans = [patched.at(x) for x in factors[lo : lo + step]]
        cap = run_analytic(stack(plans)).capability  # [B, n * F, T]
        out[lo : lo + len(plans)] = cap.reshape(B, len(plans), nf, T).transpose(1, 0, 2, 3)
    return out
