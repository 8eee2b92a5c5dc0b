"""The plan: one force and a batch of cutoff sets compiled to dense numpy arrays.

Engines consume only :class:`Plan`; they never see the pydantic model. Batch member 0 is
by convention the baseline (no cutoffs) when built by :func:`compile_scenario`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tether._analysis.industry_resupply import (
    LineItem,
    item_of,
    line_rows,
    line_suppliers,
)
from tether._checks import derived_problems, levels_by_day, located
from tether._engine.arrays import KIND_INDEX, KINDS, ROUTES, Plan
from tether._errors import ArgumentError, Diagnostic, InputError
from tether._model import (
    Cutoff,
    DepotChange,
    Document,
    Fleet,
    Force,
    Option,
    Part,
    Scenario,
    expand_kinds,
)
from tether._plan_forces import option_suppliers, plan_problems
from tether._plan_options import Changes, collect, option_fleets, realised_lead_times
from tether._plan_orders import order_steps
from tether._size import check_size

__all__ = [
    "KIND_INDEX",
    "ROUTES",
    "Plan",
    "compile_plan",
    "compile_scenario",
    "derived_problems",
    "force_suppliers",
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


def force_suppliers(
    doc: Document, force: Force, fleets: Sequence[Fleet] | None = None, extra: Iterable[str] = ()
) -> tuple[str, ...]:
    """The suppliers a force depends on directly, in catalogue order: repair and new-buy
    routes, software, munitions resupply, services and contracted alternatives (of
    ``fleets`` when given, else of every fleet of the force; ``extra`` adds more)."""
    systems = {s.name: s for s in doc.systems}
    used: set[str] = set(extra)
    for fleet in force.fleets if fleets is None else fleets:
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
                if r.product is None:
                    used.add(str(r.supplier or defaults.get(name)))
                else:
                    used.update(line_suppliers(doc, r.network, r.product))
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
    edges = [
        (s.name, c.by, frozenset(expand_kinds(list(c.kinds))))
        for s in doc.suppliers
        for c in s.controlled_by
    ]
    for name, by, edge in edges:  # control by the cut jurisdiction or supplier itself
        if by == cutoff.jurisdiction or by == cutoff.supplier:
            stopped[name] |= edge & kinds
    changed = True
    while changed:  # then by stopped suppliers, transitively
        changed = False
        for name, by, edge in edges:
            add = edge & stopped.get(by, set())
            if not add <= stopped[name]:
                stopped[name] |= add
                changed = True
    return {name: frozenset(k) for name, k in stopped.items() if k}


def _per_day(value: float | dict[str, float], levels: list[str]) -> F64:
    if isinstance(value, dict):
        return np.array([value[lv] for lv in levels], dtype=np.float64)
    return np.full(len(levels), float(value))


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
    "un_add",
    "md_rounds",
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


def _route_row(
    part: Part, depot: DepotChange | None, sidx: dict[str, int]
) -> tuple[F64, F64, I64, F64, bool]:
    """Shares, times, suppliers and capacities of a part's routes, and whether it
    diverts; with ``depot``, the domestic route is the depot's."""
    share = np.array(part.route_shares())
    rtime = np.zeros(3)
    rsup = np.full(3, -1, dtype=np.int64)
    rcap = np.full(3, np.inf)
    if part.new_buy is not None:
        rtime[0] = part.new_buy.lead_time_days
        rsup[0] = sidx[part.new_buy.supplier]
    domestic = depot if depot is not None else part.domestic_repair
    if domestic is not None:
        rtime[1] = domestic.turnaround_days
        rcap[1] = domestic.capacity_per_day or np.inf
    if depot is not None:
        c = part.condemnation
        share[1:] = (1 - c) * depot.share, (1 - c) * (1 - depot.share)
    if part.supplier_repair is not None:
        rtime[2] = part.supplier_repair.turnaround_days
        rsup[2] = sidx[part.supplier_repair.supplier]
        rcap[2] = part.supplier_repair.capacity_per_day or np.inf
    divert = part.divert_when_cut or (depot is not None and depot.divert_when_cut)
    return share, rtime, rsup, rcap, bool(divert and domestic is not None)


def _missing_levels(doc: Document, changes: Changes, levels: list[str]) -> None:
    """A new fleet's hours per tempo level must cover the scenario's levels."""
    need = set(levels)
    for f in changes.new_fleets:
        if isinstance(f.hours_per_day, dict) and not need <= set(f.hours_per_day):
            missing = ", ".join(sorted(need - set(f.hours_per_day)))
            name, i = changes.origin[f.name]
            where, text = located(doc, "options", name, "deliveries", i, "hours_per_day")
            raise InputError([Diagnostic(*where, text, f"no value for tempo level(s) {missing}")])


def compile_plan(
    doc: Document,
    force: Force,
    scenario: Scenario,
    cutoff_sets: Sequence[Sequence[Cutoff]],
    labels: Sequence[str],
    *,
    max_bytes: int | None = None,
    options: Sequence[Option] = (),
    lead_times: Sequence[int] | None = None,
    fleets: Collection[str] | None = None,
    engine: str = "analytic",
) -> Plan:
    """Compile ``force`` under ``scenario``'s horizon and tempo for each cutoff set
    (refused if the ``engine``'s run would not fit in memory: :mod:`tether._size`).

    ``options`` are mitigation options bought for the force, option ``i`` taking effect
    on day ``lead_times[i]`` (default: each option's fixed lead time); they fill the
    plan's time-varying arrays (see :mod:`tether._plan_options`). ``fleets`` compiles
    only those fleets of the force, and the new fleets the options deliver that are named
    there or replace a fleet named there (names from :func:`option_fleets` are accepted).
    """
    horizon = scenario.horizon_days
    T = horizon + 1
    levels = levels_by_day(scenario, horizon)
    systems = {s.name: s for s in doc.systems}
    if fleets is not None:
        delivered = {d.fleet for o in options for d in o.deliveries}
        unknown = sorted(set(fleets) - {f.name for f in force.fleets} - delivered)
        if unknown:
            raise ArgumentError(f"force '{force.name}' has no fleet named {unknown[0]!r}")
    orders = order_steps(force.fleets, scenario, horizon)  # units on order (_plan_orders)
    changes = (
        collect(
            doc, force, options, realised_lead_times(options, lead_times), horizon, fleets, orders
        )
        if options
        else Changes(units=orders)
    )
    _missing_levels(doc, changes, levels)
    chosen = [f for f in force.fleets if fleets is None or f.name in fleets]
    fleets_ = [*chosen, *changes.new_fleets]
    units0 = [f.units for f in chosen] + [0] * len(changes.new_fleets)
    suppliers = force_suppliers(doc, force, fleets_, option_suppliers(doc, changes))
    sidx = {n: i for i, n in enumerate(suppliers)}
    areas = tuple(a.name for a in force.areas)
    n_parts = sum(
        len(systems[f.system].parts)
        + sum(len(changes.depots.get((f.name, p.name), ())) for p in systems[f.system].parts)
        for f in fleets_
    )
    limit = max_bytes_allowed() if max_bytes is None else max_bytes
    sizes = (len(cutoff_sets), len(suppliers), n_parts)
    check_size(doc, scenario, engine, fleets_, sizes, bool(options), limit)
    checked = (
        force
        if fleets is None and not changes.new_fleets
        else force.model_copy(update={"fleets": fleets_})
    )
    problems = plan_problems(doc, checked, scenario)
    if problems:
        raise InputError(problems)
    touched: dict[str, list[str]] = {}
    for opt in options:
        for name in option_fleets(doc, force, opt):
            touched.setdefault(name, []).extend(f"options.{opt.name}.{k}" for k in opt.assumed)

    hours = np.stack([_per_day(f.hours_per_day, levels) for f in fleets_])
    part_rows: list[tuple[int, Part]] = []
    labels_p: list[str] = []
    share = np.zeros((n_parts, 3))
    rtime = np.zeros((n_parts, 3))
    rsup = np.full((n_parts, 3), -1, dtype=np.int64)
    rcap = np.full((n_parts, 3), np.inf)
    group: list[int] = []
    row_from: list[int] = []
    row_until: list[int] = []
    divert: list[bool] = []
    first_row: dict[tuple[str, str], int] = {}
    assumptions: list[tuple[str, ...]] = []
    sw: list[tuple[int, int, float, float, float, float, float]] = []
    mu: list[tuple[int, F64, float]] = []
    mu_index: dict[tuple[str, str], int] = {}
    rs: list[tuple[int, int, float, int, int]] = []
    lines: list[tuple[int, LineItem, int, int]] = []
    sv: list[tuple[int, int, float, int, float, float, int]] = []
    for fi, fleet in enumerate(fleets_):
        st = systems[fleet.system]
        assumed = [f"{st.name}.{k}" for k in st.assumed] + [
            f"{fleet.name}.{k}" for k in fleet.assumed
        ]
        assumed += touched.get(fleet.name, [])
        for part in st.parts:
            first_row[fleet.name, part.name] = len(part_rows)
            steps = [(0, None), *changes.depots.get((fleet.name, part.name), [])]
            for j, (day, depot) in enumerate(steps):
                until = steps[j + 1][0] if j + 1 < len(steps) else T
                if until <= day:
                    continue  # replaced on the same day
                p = len(part_rows)
                part_rows.append((fi, part))
                labels_p.append(f"{fleet.name}/{part.name}" + (f"@{day}" if j else ""))
                share[p], rtime[p], rsup[p], rcap[p], diverts = _route_row(part, depot, sidx)
                group.append(len(first_row) - 1)
                row_from.append(day)
                row_until.append(until)
                divert.append(diverts)
            assumed += [f"{st.name}.parts.{part.name}.{k}" for k in part.assumed]
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
            mi = mu_index[fleet.name, m.name] = len(mu)
            mu.append((fi, _per_day(m.use_per_unit_day, levels), holding.stock if holding else 0.0))
            until = changes.resupply_until.get((fleet.name, m.name), T)
            for r in holding.resupply if holding else []:
                if r.product is not None:
                    lines.append((mi, item_of(doc, force, r), 0, until))
                    continue
                supplier = r.supplier or m.supplier
                assert supplier is not None  # checked by the reference checks
                rs.append((mi, sidx[supplier], float(r.per_day or 0.0), 0, until))
            for f_, m_, r, day in changes.line_resupply:
                if (f_, m_) == (fleet.name, m.name):
                    lines.append((mi, item_of(doc, force, r), day, T))
            for f_, m_, sup, rate, day in changes.resupply:
                if (f_, m_) == (fleet.name, m.name):
                    supplier = sup or m.supplier
                    assert supplier is not None  # checked by the reference checks
                    rs.append((mi, sidx[supplier], rate, day, T))
            assumed += [f"{st.name}.munitions.{m.name}.{k}" for k in m.assumed]
        for s in st.services:
            held = fleet.services.get(s.name)
            alt = held.alternative if held is not None else None
            bought = changes.services.get((fleet.name, s.name))
            if bought is not None:
                sup, delay, factor, day = bought
                alt_row = (sidx[sup], delay, factor, day)
            elif alt is not None:
                alt_row = (sidx[alt.supplier], alt.switch_days, alt.factor, 0)
            else:
                alt_row = (-1, 0.0, 0.0, 0)
            sv.append((fi, sidx[s.supplier], s.factor_when_withheld, *alt_row))
            assumed += [f"{st.name}.services.{s.name}.{k}" for k in s.assumed]
        assumptions.append(tuple(dict.fromkeys(assumed)))

    st_rows = [(first_row[f, p], day, add) for f, p, day, add in changes.stock]
    fidx = {f.name: i for i, f in enumerate(fleets_)}
    un_rows = [(fidx[f], day, add) for f, day, add in changes.units if f in fidx]
    md_rows = [(mu_index[f, m], day, n) for f, m, day, n in changes.rounds]

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

    if lines:
        suppliers, cut, stops = _line_rows(
            doc, force, lines, cutoff_sets, suppliers, cut, stops, rs
        )
    parts = [p for _, p in part_rows]
    plan = Plan(
        horizon=horizon,
        batch=tuple(labels),
        fleets=tuple(f.name for f in fleets_),
        areas=areas,
        suppliers=suppliers,
        part_labels=tuple(labels_p),
        units=np.array(units0, dtype=np.float64),
        weight=np.array([f.weight for f in fleets_], dtype=np.float64),
        area_of=np.array([areas.index(f.area) for f in fleets_], dtype=np.int64),
        available_basis=np.array([f.tempo_basis == "available" for f in fleets_]),
        hours=hours,
        part_fleet=np.array([fi for fi, _ in part_rows], dtype=np.int64),
        quantity=np.array([p.quantity for p in parts], dtype=np.float64),
        failure_rate=np.array([p.failure_rate for p in parts], dtype=np.float64),
        spares=np.array(
            [fleets_[fi].spares.get(p.name, 0) for fi, p in part_rows],
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
        part_group=np.array(group, dtype=np.int64),
        row_from=np.array(row_from, dtype=np.int64),
        row_until=np.array(row_until, dtype=np.int64),
        divert=np.array(divert, dtype=np.bool_),
        st_row=_i64(st_rows, 0),
        st_day=_i64(st_rows, 1),
        st_add=_i64(st_rows, 2),
        un_fleet=_i64(un_rows, 0),
        un_day=_i64(un_rows, 1),
        un_add=_f64(un_rows, 2),
        rs_from=_i64(rs, 3),
        rs_until=_i64(rs, 4),
        md_munition=_i64(md_rows, 0),
        md_day=_i64(md_rows, 1),
        md_rounds=_f64(md_rows, 2),
        sv_alt_from=_i64(sv, 6),
    )
    _check_finite(doc, scenario, plan)
    return plan


def _line_rows(
    doc: Document,
    force: Force,
    lines: Sequence[tuple[int, LineItem, int, int]],
    cutoff_sets: Sequence[Sequence[Cutoff]],
    suppliers: tuple[str, ...],
    cut: B8,
    stops: list[B8],
    rs: list[tuple[int, int, float, int, int]],
) -> tuple[tuple[str, ...], B8, list[B8]]:
    """Resupply rows of the resupplies from production lines, appended to ``rs``.

    Each row passes through a gate of its own on the plan's supplier axis (``line#...``),
    closed while the cutoffs that change the line's rate last: their rows of the cutoff
    table stop it, so random lengths are followed (see :func:`line_rows`). Returns the
    widened supplier axis, cut mask and cutoff stops.
    """
    T = cut.shape[-1]
    try:
        built = line_rows(
            doc, [it for _, it, _, _ in lines], [(a, z) for *_, a, z in lines], cutoff_sets, T
        )
    except ValueError as exc:
        where, text = located(doc, "forces", force.name)
        raise InputError(
            [Diagnostic(*where, text, f"resupply from production lines: {exc}")]
        ) from None
    first = [0]
    for cs in cutoff_sets:
        first.append(first[-1] + len(cs))
    n_real, mun = len(suppliers), KIND_INDEX["munitions"]
    names = [*suppliers, *(f"line#{b}.{'.'.join(map(str, js))}" for b, js in built.gates)]
    wide = np.zeros((cut.shape[0], len(names), *cut.shape[2:]), dtype=np.bool_)
    wide[:, :n_real] = cut
    stops = [np.pad(s, ((0, len(names) - n_real), (0, 0))) for s in stops]
    for g, (b, js) in enumerate(built.gates):
        for j in js:
            c = cutoff_sets[b][j]
            stops[first[b] + j][n_real + g, mun] = True
            expected = c.expected_end()
            end = T if expected is None else min(expected, T)
            wide[b, n_real + g, mun, c.start_day : max(c.start_day, end)] = True
    rs += [(lines[k][0], n_real + g, rate, a, z) for k, g, rate, a, z in built.rows]
    return tuple(names), wide, stops


def compile_scenario(
    doc: Document, scenario: Scenario, *, max_bytes: int | None = None, engine: str = "analytic"
) -> Plan:
    """Compile a scenario as a batch of two: the baseline (no cutoffs) and the scenario."""
    force = doc.force(scenario.force)
    return compile_plan(
        doc,
        force,
        scenario,
        [[], scenario.cutoffs],
        ["baseline", scenario.name],
        max_bytes=max_bytes,
        engine=engine,
    )
