"""The plan: one force and a batch of cutoff sets compiled to dense numpy arrays.

Engines consume only :class:`Plan`; they never see the pydantic model. Batch member 0 is
by convention the baseline (no cutoffs) when built by :func:`compile_scenario`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tether._checks import derived_problems, levels_by_day, located
from tether._engine.arrays import KIND_INDEX, KINDS, ROUTES, Plan
from tether._errors import ArgumentError, CapacityError, Diagnostic, InputError
from tether._model import Cutoff, Document, Force, Part, Scenario, expand_kinds

__all__ = [
    "KIND_INDEX",
    "ROUTES",
    "Plan",
    "compile_plan",
    "compile_scenario",
    "derived_problems",
    "stopped_suppliers",
]

F64 = NDArray[np.float64]
B8 = NDArray[np.bool_]
I64 = NDArray[np.int64]


#: Default bound on the memory a plan and its engine may use, in bytes.
DEFAULT_MAX_BYTES = 4 * 2**30


def max_bytes_allowed() -> int:
    """The memory bound in force: ``TETHER_MAX_BYTES`` (a whole number of bytes, such as
    ``8e9`` or ``8589934592``) when set, else :data:`DEFAULT_MAX_BYTES`. Read at each run,
    so a program may change it between runs."""
    text = os.environ.get("TETHER_MAX_BYTES", "").strip()
    if not text:
        return DEFAULT_MAX_BYTES
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 1):
        raise ArgumentError(f"TETHER_MAX_BYTES must be a number of bytes such as 8e9, not {text!r}")
    return int(value)


def _f64(rows: Sequence[tuple[Any, ...]], i: int) -> F64:
    return np.array([r[i] for r in rows], dtype=np.float64)


def _i64(rows: Sequence[tuple[Any, ...]], i: int) -> I64:
    return np.array([r[i] for r in rows], dtype=np.int64)


def force_suppliers(doc: Document, force: Force) -> tuple[str, ...]:
    """The suppliers a force depends on directly, in catalogue order: repair and new-buy
    routes, software, munitions resupply, services and contracted alternatives."""
    systems = {s.name: s for s in doc.systems}
    used: set[str] = set()
    for fleet in force.fleets:
        st = systems[fleet.system]
        for part in st.parts:
            for route in (part.supplier_repair, part.new_buy):
                if route is not None:
                    used.add(route.supplier)
        used.update(item.supplier for item in st.software)
        used.update(s.supplier for s in st.services)
        defaults = {m.name: m.supplier for m in st.munitions}
        for name, holding in fleet.munitions.items():
            for r in holding.resupply:
                used.add(str(r.supplier or defaults.get(name)))
        for held in fleet.services.values():
            if held.alternative is not None:
                used.add(held.alternative.supplier)
    return tuple(s.name for s in doc.suppliers if s.name in used)


def stopped_suppliers(doc: Document, cutoff: Cutoff) -> dict[str, frozenset[str]]:
    """Suppliers a cutoff stops, each with the kinds it stops.

    A jurisdiction stops every supplier located in it, and every supplier it controls
    (for the kinds the control edge covers); a stopped supplier stops those it controls,
    transitively.

    >>> from tether import load_text
    >>> doc = load_text('''
    ... jurisdictions: [{name: US}, {name: DE}]
    ... suppliers:
    ...   - {name: raytheon, jurisdiction: US}
    ...   - {name: mbda-de, jurisdiction: DE, controlled_by: [{by: raytheon, basis: design}]}
    ...   - {name: diehl, jurisdiction: DE}
    ... ''', builtin=False)
    >>> sorted(stopped_suppliers(doc, Cutoff(jurisdiction="US", kinds=["spares"])))
    ['mbda-de', 'raytheon']
    """
    kinds = frozenset(expand_kinds(list(cutoff.kinds)))
    stopped: dict[str, set[str]] = {s.name: set() for s in doc.suppliers}
    for s in doc.suppliers:
        if cutoff.jurisdiction is not None and s.jurisdiction == cutoff.jurisdiction:
            stopped[s.name] |= kinds
        if cutoff.supplier == s.name:
            stopped[s.name] |= kinds
    changed = True
    while changed:
        changed = False
        for s in doc.suppliers:
            for c in s.controlled_by:
                edge = set(expand_kinds(list(c.kinds)))
                if c.by == cutoff.jurisdiction or c.by == cutoff.supplier:
                    add = edge & kinds
                else:
                    add = edge & stopped.get(c.by, set())
                if not add <= stopped[s.name]:
                    stopped[s.name] |= add
                    changed = True
    return {name: frozenset(k) for name, k in stopped.items() if k}


def _per_day(value: float | dict[str, float], levels: list[str]) -> F64:
    if isinstance(value, dict):
        return np.array([value[lv] for lv in levels], dtype=np.float64)
    return np.full(len(levels), float(value))


def _check_size(
    doc: Document,
    scenario: Scenario,
    n_batch: int,
    n_fleets: int,
    n_suppliers: int,
    n_parts: int,
    max_bytes: int,
) -> None:
    horizon = scenario.horizon_days
    t = horizon + 1
    need = 8 * t * (n_batch * 8 * n_fleets + 5 * n_suppliers * n_batch + 12 * n_parts)
    if need <= max_bytes:
        return
    where = ("", 0, 0)
    text = "horizon_days"
    if doc._source is not None:
        mark, text = doc._source.where("scenarios", scenario.name, "horizon_days")
        if mark is not None:
            where = (mark.file, mark.line, mark.column)
    raise CapacityError(
        [
            Diagnostic(
                *where,
                text,
                f"horizon of {horizon} days over a batch of {n_batch} needs about "
                f"{need / 2**30:.1f} GiB, more than the {max_bytes / 2**30:.1f} GiB allowed "
                "(shorten the horizon, or raise TETHER_MAX_BYTES)",
            )
        ]
    )


_FINITE_CHECKED = (
    "units",
    "weight",
    "hours",
    "quantity",
    "failure_rate",
    "unit_cost",
    "share",
    "route_time",
    "co_a",
    "co_b",
    "sw_cadence",
    "sw_grace",
    "sw_decline",
    "sw_floor",
    "mu_use",
    "mu_stock",
    "rs_rate",
    "sv_factor",
    "sv_alt_delay",
    "sv_alt_factor",
)


def _check_finite(doc: Document, scenario: Scenario, plan: Plan) -> None:
    """Every number a plan holds is finite (route capacities may be unlimited, last
    update days unknown). A model built without validation can break this."""
    bad = [n for n in _FINITE_CHECKED if not np.isfinite(getattr(plan, n)).all()]
    if not bad:
        return
    where, text = located(doc, "scenarios", scenario.name)
    raise InputError(
        [
            Diagnostic(
                *where,
                text,
                f"the compiled plan holds numbers that are not finite ({', '.join(bad)}): "
                "a value is outside the bounds in docs/format.md",
            )
        ]
    )


def compile_plan(
    doc: Document,
    force: Force,
    scenario: Scenario,
    cutoff_sets: Sequence[Sequence[Cutoff]],
    labels: Sequence[str],
    *,
    max_bytes: int | None = None,
) -> Plan:
    """Compile ``force`` under ``scenario``'s horizon and tempo for each cutoff set."""
    horizon = scenario.horizon_days
    T = horizon + 1
    levels = levels_by_day(scenario, horizon)
    systems = {s.name: s for s in doc.systems}
    suppliers = force_suppliers(doc, force)
    sidx = {n: i for i, n in enumerate(suppliers)}
    areas = tuple(a.name for a in force.areas)
    fleets = force.fleets
    n_parts = sum(len(systems[f.system].parts) for f in fleets)
    limit = max_bytes_allowed() if max_bytes is None else max_bytes
    _check_size(doc, scenario, len(cutoff_sets), len(fleets), len(suppliers), n_parts, limit)
    problems = derived_problems(doc, force, scenario)
    if problems:
        raise InputError(problems)

    hours = np.stack([_per_day(f.hours_per_day, levels) for f in fleets])
    part_rows: list[tuple[int, Part]] = []
    labels_p: list[str] = []
    share = np.zeros((n_parts, 3))
    rtime = np.zeros((n_parts, 3))
    rsup = np.full((n_parts, 3), -1, dtype=np.int64)
    rcap = np.full((n_parts, 3), np.inf)
    assumptions: list[tuple[str, ...]] = []
    sw: list[tuple[int, int, float, float, float, float, float]] = []
    mu: list[tuple[int, F64, float]] = []
    rs: list[tuple[int, int, float]] = []
    sv: list[tuple[int, int, float, int, float, float]] = []
    for fi, fleet in enumerate(fleets):
        st = systems[fleet.system]
        assumed = [f"{st.name}.{k}" for k in st.assumed] + [
            f"{fleet.name}.{k}" for k in fleet.assumed
        ]
        for part in st.parts:
            p = len(part_rows)
            part_rows.append((fi, part))
            labels_p.append(f"{fleet.name}/{part.name}")
            assumed += [f"{st.name}.parts.{part.name}.{k}" for k in part.assumed]
            share[p] = part.route_shares()
            if part.new_buy is not None:
                rtime[p, 0] = part.new_buy.lead_time_days
                rsup[p, 0] = sidx[part.new_buy.supplier]
            if part.domestic_repair is not None:
                rtime[p, 1] = part.domestic_repair.turnaround_days
                rcap[p, 1] = part.domestic_repair.capacity_per_day or np.inf
            if part.supplier_repair is not None:
                rtime[p, 2] = part.supplier_repair.turnaround_days
                rsup[p, 2] = sidx[part.supplier_repair.supplier]
                rcap[p, 2] = part.supplier_repair.capacity_per_day or np.inf
        for item in st.software:
            last = fleet.software.get(item.name)
            known = last.last_update_day if last is not None else None
            sw.append(
                (
                    fi,
                    sidx[item.supplier],
                    item.cadence_days,
                    item.decay.grace_days,
                    item.decay.decline_days,
                    item.decay.floor,
                    np.nan if known is None else float(known),
                )
            )
            assumed += [f"{st.name}.software.{item.name}.{k}" for k in item.assumed]
        for m in st.munitions:
            holding = fleet.munitions.get(m.name)
            mi = len(mu)
            mu.append((fi, _per_day(m.use_per_unit_day, levels), holding.stock if holding else 0.0))
            for r in holding.resupply if holding else []:
                supplier = r.supplier or m.supplier
                assert supplier is not None  # checked by the reference checks
                rs.append((mi, sidx[supplier], r.per_day))
            assumed += [f"{st.name}.munitions.{m.name}.{k}" for k in m.assumed]
        for s in st.services:
            held = fleet.services.get(s.name)
            alt = held.alternative if held is not None else None
            sv.append(
                (
                    fi,
                    sidx[s.supplier],
                    s.factor_when_withheld,
                    sidx[alt.supplier] if alt else -1,
                    alt.switch_days if alt else 0.0,
                    alt.factor if alt else 0.0,
                )
            )
            assumed += [f"{st.name}.services.{s.name}.{k}" for k in s.assumed]
        assumptions.append(tuple(dict.fromkeys(assumed)))

    cut = np.zeros((len(cutoff_sets), len(suppliers), len(KINDS), T), dtype=np.bool_)
    table: list[tuple[int, int, int, int, float, float]] = []
    stops: list[B8] = []
    for b, cutoffs in enumerate(cutoff_sets):
        for c in cutoffs:
            stop = np.zeros((len(suppliers), len(KINDS)), dtype=np.bool_)
            for name, kinds in stopped_suppliers(doc, c).items():
                if name not in sidx:
                    continue  # a supplier this force does not use
                for k in kinds:
                    stop[sidx[name], KIND_INDEX[k]] = True
            stops.append(stop)
            d = c.duration_days
            if d is None:
                table.append((b, c.start_day, -1 if c.end_day is None else c.end_day, 0, 0, 0))
            elif d.distribution == "uniform":
                table.append((b, c.start_day, -1, 1, d.low, d.high))
            else:
                table.append((b, c.start_day, -1, 2, d.median, d.sigma))
            expected = c.expected_end()
            end = T if expected is None else min(expected, T)
            if c.start_day < end:
                cut[b, :, :, c.start_day : end] |= stop[:, :, None]

    parts = [p for _, p in part_rows]
    plan = Plan(
        horizon=horizon,
        batch=tuple(labels),
        fleets=tuple(f.name for f in fleets),
        areas=areas,
        suppliers=suppliers,
        part_labels=tuple(labels_p),
        units=np.array([f.units for f in fleets], dtype=np.float64),
        weight=np.array([f.weight for f in fleets], dtype=np.float64),
        area_of=np.array([areas.index(f.area) for f in fleets], dtype=np.int64),
        available_basis=np.array([f.tempo_basis == "available" for f in fleets]),
        hours=hours,
        part_fleet=np.array([fi for fi, _ in part_rows], dtype=np.int64),
        quantity=np.array([p.quantity for p in parts], dtype=np.float64),
        failure_rate=np.array([p.failure_rate for p in parts], dtype=np.float64),
        spares=np.array(
            [fleets[fi].spares.get(p.name, 0) for fi, p in part_rows],
            dtype=np.int64,
        ),
        unit_cost=np.array([p.unit_cost for p in parts], dtype=np.float64),
        share=share,
        route_time=rtime,
        route_supplier=rsup,
        route_capacity=rcap,
        cut=cut,
        co_batch=_i64(table, 0),
        co_start=_i64(table, 1),
        co_end=_i64(table, 2),
        co_dist=_i64(table, 3),
        co_a=_f64(table, 4),
        co_b=_f64(table, 5),
        co_stop=np.stack(stops) if stops else np.zeros((0, len(suppliers), len(KINDS)), bool),
        sw_fleet=_i64(sw, 0),
        sw_supplier=_i64(sw, 1),
        sw_cadence=_f64(sw, 2),
        sw_grace=_f64(sw, 3),
        sw_decline=_f64(sw, 4),
        sw_floor=_f64(sw, 5),
        sw_last_update=_f64(sw, 6),
        mu_fleet=_i64(mu, 0),
        mu_use=np.stack([m[1] for m in mu]) if mu else np.zeros((0, T)),
        mu_stock=_f64(mu, 2),
        rs_munition=_i64(rs, 0),
        rs_supplier=_i64(rs, 1),
        rs_rate=_f64(rs, 2),
        sv_fleet=_i64(sv, 0),
        sv_supplier=_i64(sv, 1),
        sv_factor=_f64(sv, 2),
        sv_alt_supplier=_i64(sv, 3),
        sv_alt_delay=_f64(sv, 4),
        sv_alt_factor=_f64(sv, 5),
        assumptions=tuple(assumptions),
        part_group=np.arange(n_parts, dtype=np.int64),
        row_from=np.zeros(n_parts, dtype=np.int64),
        row_until=np.full(n_parts, T, dtype=np.int64),
        divert=np.zeros(n_parts, dtype=np.bool_),
        rs_from=np.zeros(len(rs), dtype=np.int64),
        rs_until=np.full(len(rs), T, dtype=np.int64),
        sv_alt_from=np.zeros(len(sv), dtype=np.int64),
    )
    _check_finite(doc, scenario, plan)
    return plan


def compile_scenario(doc: Document, scenario: Scenario, *, max_bytes: int | None = None) -> Plan:
    """Compile a scenario as a batch of two: the baseline (no cutoffs) and the scenario."""
    force = doc.force(scenario.force)
    return compile_plan(
        doc,
        force,
        scenario,
        [[], scenario.cutoffs],
        ["baseline", scenario.name],
        max_bytes=max_bytes,
    )
