"""The spares curve: the efficient cost/availability (or cost/backorders) frontier.

Marginal analysis as in OPUS10 and LMI ASM (Sherbrooke 2004, ch. 2 and 4): each part's
benefit as a function of its stock is made concave (its upper convex hull, so ``Z > 1``
parts and steep first units are handled exactly), and the hull segments of all parts are
taken in decreasing benefit per unit cost. That is the order a heap over the parts pops
them in (each part's segments already come in decreasing order), done as one sort. Every
point reached is optimal for its own cost (a point of the frontier's convex hull); a budget
between two points may do better with another mix, so where asked the exact optimum at a
budget is solved as a multiple-choice knapsack: dynamic programming over costs in integer
units when that is small, else a MILP with HiGHS (``highspy``, the ``opt`` extra).

Benefits come from the analytic engine's pipelines (:func:`~tether._engine.analytic.
part_pipelines`) at chosen days of chosen scenarios, with the exact expectation of
:func:`~tether._engine.poisson.backorders_and_up` (so ``Z > 1`` is exact). The objective
``"backorders"`` minimises expected backorders summed over parts, averaged over the chosen
(scenario, day) points; ``"availability"`` maximises the value-weighted mean over fleets and
points of ``log`` availability (Sherbrooke's separable form; for one fleet at one point that
is availability itself). Two echelons (a depot and its bases, steady state) use METRIC
(:func:`tether.metric`): for each depot stock the bases are filled by marginal analysis
(exact: their backorders are convex and every base unit costs the same), and a part's curve
is the least backorders over depot stocks at each total.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from tether._analysis.knapsack import solve_budget
from tether._analysis.metric_curve import MetricFrontier, metric_curve, top_level
from tether._analysis.spares_result import SparesCurve, SparesOptimum
from tether._engine.analytic import part_pipelines
from tether._engine.poisson import backorders_and_up
from tether._errors import ArgumentError, Diagnostic, InputError
from tether._model import Document, Scenario
from tether._model.scenario import scenario_for
from tether._plan import Plan, compile_plan, compile_scenario

__all__ = ["MetricFrontier", "SparesCurve", "SparesOptimum", "metric_curve", "spares_curve"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Objective = Literal["availability", "backorders"]

#: Gains below this (in objective units) end a part's curve.
NEGLIGIBLE = 1e-12
#: log up is floored here, so a part that grounds every unit is a large finite loss.
LOG_FLOOR = -700.0


# --- per-part curves and their hulls -------------------------------------------------------


def _tables(m: F64, units: F64, quantity: F64, top: I64) -> tuple[F64, F64]:
    """``log up`` and backorders ``[P, L, K]`` for levels ``0..L-1`` (``L = max(top) + 1``);
    levels above a part's ``top`` repeat its value at ``top``."""
    P, K = m.shape
    L = int(top.max()) + 1 if P else 1
    logup = np.zeros((P, L, K))
    back = np.zeros((P, L, K))
    for s in range(L):
        act = np.flatnonzero(top >= s)
        if not len(act):
            break
        b, up = backorders_and_up(
            m[act], np.full(len(act), s, dtype=np.int64), units[act], quantity[act]
        )
        with np.errstate(divide="ignore"):
            logup[act, s] = np.maximum(np.log(up), LOG_FLOOR)
        back[act, s] = b
        done = np.flatnonzero(top == s)
        if len(done) and s + 1 < L:
            logup[done, s + 1 :] = logup[done, s][:, None]
            back[done, s + 1 :] = back[done, s][:, None]
    return logup, back


def _hull(values: F64, lo: int, hi: int) -> list[int]:
    """Levels of the upper concave hull of ``values[lo..hi]`` (Andrew's monotone chain)."""
    pts: list[int] = []
    for x in range(lo, hi + 1):
        while len(pts) >= 2:
            a, b = pts[-2], pts[-1]
            # drop b when it lies on or below the chord a-x
            if (values[b] - values[a]) * (x - a) <= (values[x] - values[a]) * (b - a):
                pts.pop()
            else:
                break
        pts.append(x)
    return pts


def _segments(value: F64, start: I64, top: I64, cost: F64) -> tuple[I64, I64, I64, F64, F64]:
    """Hull segments of every part: part, from level, to level, gain, cost, in greedy order
    (decreasing gain per unit cost; zero-cost gains first; ties by part, then level)."""
    L = value.shape[1]
    inc = np.diff(value, axis=1)  # [P, L - 1]
    lvl = np.arange(L - 1)[None, :]
    inside = (lvl >= start[:, None]) & (lvl < top[:, None])  # increments start..top-1
    rise = np.zeros_like(inside)
    rise[:, 1:] = inside[:, 1:] & inside[:, :-1] & (inc[:, 1:] > inc[:, :-1] + 1e-15)
    bent: NDArray[np.bool_] = np.asarray(rise.any(axis=1))  # not concave: take its hull
    rows, cols = np.nonzero(inside & ~bent[:, None])
    parts_l, lo_l, hi_l = [rows], [cols], [cols + 1]
    for p in np.flatnonzero(bent):
        levels = np.asarray(_hull(value[p], int(start[p]), int(top[p])), dtype=np.int64)
        parts_l.append(np.full(len(levels) - 1, p))
        lo_l.append(levels[:-1])
        hi_l.append(levels[1:])
    part = np.concatenate(parts_l).astype(np.int64)
    lo = np.concatenate(lo_l).astype(np.int64)
    hi = np.concatenate(hi_l).astype(np.int64)
    gain = value[part, hi] - value[part, lo]
    seg_cost = cost[part] * (hi - lo)
    scale = max(1.0, float(np.abs(value).max(initial=0.0)))
    keep = gain > NEGLIGIBLE * scale
    part, lo, hi, gain, seg_cost = part[keep], lo[keep], hi[keep], gain[keep], seg_cost[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(seg_cost > 0, gain / np.where(seg_cost > 0, seg_cost, 1.0), np.inf)
    order = np.lexsort((lo, part, -ratio))
    return part[order], lo[order], hi[order], gain[order], seg_cost[order]


# --- assembling the curve ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Items:
    """What the curve is built from: per item (a part, or a depot-and-bases part), its
    objective value per level ``[I, L]``, start and top levels, unit cost; per row (an
    item's effect on one fleet) the item, fleet, log availability and backorders
    ``[R, L, K]`` (rows sorted by item)."""

    labels: tuple[str, ...]
    value: F64
    start: I64
    top: I64
    cost: F64
    row_item: I64
    row_fleet: I64
    logup: F64
    back: F64
    fleet_share: F64


def _values(
    items_rows: I64, n_items: int, logup: F64, back: F64, share: F64, objective: str
) -> F64:
    """Objective per item and level from its rows: ``-`` mean backorders, or the
    value-weighted mean ``log`` availability."""
    per_row: F64 = np.asarray(
        -back.mean(axis=2) if objective == "backorders" else share[:, None] * logup.mean(axis=2)
    )
    if len(items_rows) == n_items and np.array_equal(items_rows, np.arange(n_items)):
        return per_row
    out = np.zeros((n_items, per_row.shape[1]))
    np.add.at(out, items_rows, per_row)
    return out


def _assemble(
    it: _Items,
    objective: str,
    budget: float | None,
    exact: bool,
    method: str,
    echelons: int,
    points: tuple[tuple[str, int], ...],
    notes: tuple[str, ...],
) -> SparesCurve:
    part, lo, hi, gain, seg_cost = _segments(it.value, it.start, it.top, it.cost)
    cost = np.r_[0.0, np.cumsum(seg_cost)]
    lp_extra = 0.0  # the LP relaxation's share of the first segment beyond the budget
    if budget is not None:
        n = int(np.searchsorted(cost, budget * (1 + 1e-12), side="right"))
        if n - 1 < len(gain) and seg_cost[n - 1] > 0:
            lp_extra = float(gain[n - 1] * min(1.0, (budget - cost[n - 1]) / seg_cost[n - 1]))
        part, lo, hi, cost = part[: n - 1], lo[: n - 1], hi[: n - 1], cost[:n]
    avail, backs = _figures(it, part, lo, hi)
    optimum = None
    if budget is not None and exact:
        level, used, _ = solve_budget(it.value, it.start, it.top, it.cost, budget, method)
        # the curve's last point within the budget is feasible too: a solver that stops
        # within its tolerances (gains below ~1e-7 of the largest) never returns less
        greedy = it.start.copy()
        np.maximum.at(greedy, part, hi)
        rows = np.arange(len(level))
        found = float(it.value[rows, level].sum())
        if it.value[rows, greedy].sum() > found:
            level, used = greedy, f"{used}, bettered by the curve's point"
            found = float(it.value[rows, greedy].sum())
        # bound: the LP relaxation of the knapsack, the hull at the budget (Sherbrooke)
        bound = float(it.value[rows, greedy].sum()) + lp_extra
        gap = 0.0 if used == "dp" else max(0.0, bound - found)
        a, b = _evaluate(it, level)
        optimum = SparesOptimum(
            budget=budget,
            cost=float((it.cost * (level - it.start)).sum()),
            availability=a,
            backorders=b,
            stock={p: int(s) for p, s in zip(it.labels, level, strict=True)},
            method=used,
            gap=gap,
        )
    return SparesCurve(
        parts=it.labels,
        unit_cost=it.cost,
        start=it.start,
        step_part=part,
        step_level=hi,
        cost=cost,
        availability=avail,
        backorders=backs,
        objective=objective,
        echelons=echelons,
        points=points,
        optimum=optimum,
        notes=notes,
    )


def _evaluate(it: _Items, level: I64) -> tuple[float, float]:
    """Availability and backorders of one stock list."""
    lv = level[it.row_item]
    r = np.arange(len(it.row_item))
    log_f = np.zeros((len(it.fleet_share), it.logup.shape[2]))
    np.add.at(log_f, it.row_fleet, it.logup[r, lv])
    avail = float((it.fleet_share * np.exp(log_f).mean(axis=1)).sum())
    return avail, float(it.back[r, lv].mean(axis=1).sum())


def _figures(it: _Items, part: I64, lo: I64, hi: I64) -> tuple[F64, F64]:
    """Availability and backorders at every point, by cumulative sums of each step's change
    per fleet (no re-evaluation)."""
    n = len(part)
    r0 = np.arange(len(it.row_item))
    lv0 = it.start[it.row_item]
    log_f0 = np.zeros((len(it.fleet_share), it.logup.shape[2]))
    np.add.at(log_f0, it.row_fleet, it.logup[r0, lv0])
    back0 = float(it.back[r0, lv0].mean(axis=1).sum())
    # expand each step to the rows of its item (rows are sorted by item)
    first = np.searchsorted(it.row_item, part, side="left")
    count = np.searchsorted(it.row_item, part, side="right") - first
    step = np.repeat(np.arange(n), count)
    row = np.repeat(first - np.cumsum(np.r_[0, count[:-1]]), count) + np.arange(count.sum())
    dlog = it.logup[row, hi[step]] - it.logup[row, lo[step]]  # [E, K]
    dback = (it.back[row, hi[step]] - it.back[row, lo[step]]).mean(axis=1)
    backs = back0 + np.r_[0.0, np.cumsum(np.bincount(step, weights=dback, minlength=n))]
    avail = np.zeros(n + 1)
    fleet = it.row_fleet[row]
    for f in range(len(it.fleet_share)):
        if it.fleet_share[f] == 0:
            continue
        mine = np.flatnonzero(fleet == f)
        cum = log_f0[f][None] + np.cumsum(dlog[mine], axis=0)  # after each of its steps
        a_f = np.exp(np.vstack([log_f0[f][None], cum])).mean(axis=1)
        at = np.searchsorted(step[mine], np.arange(n + 1) - 1, side="right")
        avail += it.fleet_share[f] * a_f[at]
    return avail, backs


# --- from a document ------------------------------------------------------------------------


def _resolve(
    doc: Document, name: str | None, scenarios: Sequence[str] | None
) -> tuple[str, list[Scenario]]:
    """The force and the scenarios a curve is for."""

    def unknown(field_: str, text: str) -> InputError:
        return InputError([Diagnostic(doc.file, 0, 0, field_, text)])

    picked: list[Scenario] = []
    if name is None:
        try:
            first = doc.scenario()
        except KeyError as exc:
            raise unknown("scenario", str(exc.args[0])) from None
        force, picked = first.force, [first]
    else:
        try:
            sc = doc.scenario(name)
            force, picked = sc.force, [sc]
        except KeyError:
            try:
                force = doc.force(name).name
            except KeyError:
                raise unknown("scenario", f"no scenario or force named '{name}'") from None
    for s in scenarios or []:
        try:
            sc = doc.scenario(s)
        except KeyError as exc:
            raise unknown("scenario", str(exc.args[0])) from None
        if sc.force != force:
            raise ArgumentError(
                f"scenario '{s}' plays force '{sc.force}', not '{force}': a spares curve is "
                "for one force"
            )
        if sc not in picked:
            picked.append(sc)
    return force, picked


def _pipelines(
    doc: Document, force: str, scenarios: list[Scenario], days: Sequence[int] | None
) -> tuple[Plan, F64, tuple[tuple[str, int], ...]]:
    """Pipelines ``m [P, K]`` at the chosen (scenario, day) points; with no scenario, the
    steady state at day-0 tempo (one point, ``("steady-state", 0)``)."""
    if not scenarios:
        f = doc.force(force)
        sc = scenario_for("steady-state", f.name, 1)
        plan = compile_plan(doc, f, sc, [[]], ["baseline"])
        return plan, part_pipelines(plan, 0)[:, :1], (("steady-state", 0),)
    columns: list[F64] = []
    points: list[tuple[str, int]] = []
    for sc in scenarios:
        plan = compile_scenario(doc, sc)
        m = part_pipelines(plan, 1)
        if days:
            bad = [d for d in days if not 0 <= d <= plan.horizon]
            if bad:
                raise ArgumentError(
                    f"day {bad[0]} is outside scenario '{sc.name}' (days 0 to {plan.horizon})"
                )
            chosen = sorted(set(days))
        else:  # the day availability from parts is lowest at the current stock
            pf = plan.part_fleet
            _, up = backorders_and_up(m, plan.spares, plan.units[pf], plan.quantity)
            log_f = np.zeros((len(plan.fleets), m.shape[1]))
            with np.errstate(divide="ignore"):
                np.add.at(log_f, pf, np.maximum(np.log(up), LOG_FLOOR))
            chosen = [int(np.argmin((_shares(plan)[:, None] * np.exp(log_f)).sum(axis=0)))]
        columns.append(m[:, chosen])
        points += [(sc.name, d) for d in chosen]
    return plan, np.hstack(columns), tuple(points)


def _shares(plan: Plan) -> F64:
    value = plan.units * plan.weight
    out: F64 = value / value.sum()
    return out


def _one_echelon(plan: Plan, m: F64, objective: str, from_current: bool) -> _Items:
    f = plan.part_fleet
    top = top_level(m)
    start = plan.spares.copy() if from_current else np.zeros(len(f), dtype=np.int64)
    top = np.maximum(top, start)
    logup, back = _tables(m, plan.units[f], plan.quantity, top)
    share = _shares(plan)
    rows = np.arange(len(f))
    return _Items(
        labels=plan.part_labels,
        value=_values(rows, len(f), logup, back, share[f], objective),
        start=start,
        top=top,
        cost=plan.unit_cost.copy(),
        row_item=rows,
        row_fleet=f.copy(),
        logup=logup,
        back=back,
        fleet_share=share,
    )


def _two_echelon(
    doc: Document, force_name: str, plan: Plan, order_ship_days: float
) -> tuple[_Items, dict[str, tuple[tuple[str, ...], I64]]]:
    """Items for METRIC: each (system, part) with one depot and a base per fleet of that
    system; base repair is the part's domestic route, depot repair its supplier routes."""
    force = doc.force(force_name)
    system_of = {fl.name: fl.system for fl in force.fleets}
    groups: dict[tuple[str, str], list[int]] = {}
    for p, label in enumerate(plan.part_labels):
        fleet, part = label.split("/", 1)
        groups.setdefault((system_of[fleet], part), []).append(p)
    labels, values, costs, tops = [], [], [], []
    r_item, r_fleet, r_log, r_back = [], [], [], []
    where: dict[str, tuple[tuple[str, ...], I64]] = {}
    for i, ((system, part), rows_l) in enumerate(groups.items()):
        rows = np.asarray(rows_l)
        f = plan.part_fleet[rows]
        demand = plan.units[f] * plan.hours[f, 0] * plan.quantity[rows] * plan.failure_rate[rows]
        share = plan.share[rows]
        depot_share = share[0, 0] + share[0, 2]
        t_depot = (
            (share[0, 0] * plan.route_time[rows[0], 0] + share[0, 2] * plan.route_time[rows[0], 2])
            / depot_share
            if depot_share > 0
            else 0.0
        )
        fr = metric_curve(
            demand,
            order_ship_time=order_ship_days,
            depot_repair_time=t_depot,
            base_repair_share=share[:, 1],
            base_repair_time=plan.route_time[rows, 1],
        )
        label = f"{system}/{part}"
        labels.append(label)
        values.append(-fr.backorders)
        costs.append(plan.unit_cost[rows[0]])
        tops.append(len(fr.backorders) - 1)
        where[label] = (
            (f"depot:{label}", *(plan.part_labels[r] for r in rows)),
            np.column_stack([fr.depot, fr.bases]),
        )
        for j, r in enumerate(rows):
            back, up = backorders_and_up(
                fr.base_pipeline[:, j : j + 1],
                fr.bases[:, j],
                np.full(len(fr.depot), plan.units[f[j]]),
                np.full(len(fr.depot), plan.quantity[r]),
            )
            r_item.append(i)
            r_fleet.append(int(f[j]))
            with np.errstate(divide="ignore"):
                r_log.append(np.maximum(np.log(up[:, 0]), LOG_FLOOR))
            r_back.append(back[:, 0])
    L = max(tops) + 1
    value = np.array([np.pad(v, (0, L - len(v)), mode="edge") for v in values])

    def pad(a: list[F64]) -> F64:
        return np.array([np.pad(v, (0, L - len(v)), mode="edge") for v in a])[:, :, None]

    items = _Items(
        labels=tuple(labels),
        value=value,
        start=np.zeros(len(labels), dtype=np.int64),
        top=np.asarray(tops, dtype=np.int64),
        cost=np.asarray(costs, dtype=np.float64),
        row_item=np.asarray(r_item, dtype=np.int64),
        row_fleet=np.asarray(r_fleet, dtype=np.int64),
        logup=pad(r_log),
        back=pad(r_back),
        fleet_share=_shares(plan),
    )
    return items, where


def spares_curve(
    document: Document,
    force_or_scenario: str | None = None,
    *,
    days: Sequence[int] | None = None,
    scenarios: Sequence[str] | None = None,
    objective: Objective = "availability",
    budget: float | str | None = None,
    echelons: int = 1,
    exact: bool | None = None,
    method: str = "auto",
    from_current: bool = True,
    order_ship_days: float = 5.0,
) -> SparesCurve:
    """The efficient spares curve of a force: cost against availability (or backorders).

    ``force_or_scenario`` names a scenario (its force, its pipelines) or a force (its
    steady state at day-0 tempo); default the file's first scenario. ``scenarios`` adds
    scenarios of the same force; ``days`` picks days of each (default: each scenario's
    day of lowest availability from parts at the current stock). The curve starts at the
    fleets' current spares (``from_current``, else at none) and stops at ``budget`` (a
    number or text such as ``"2.5m"``) or where more stock gains nothing. With a budget,
    ``exact`` (the default then) adds the exact optimum at that budget (``method``:
    ``"auto"``, ``"dp"``, ``"milp"``).

    ``echelons=2`` allocates between a national depot and a base per fleet of each system
    by METRIC, steady state: base repair is the part's domestic route, depot repair its
    supplier routes (their mean turnaround), ``order_ship_days`` the depot-to-base time.
    It minimises backorders (``objective="backorders"``) from no stock.

    >>> import tether
    >>> doc = tether.load("examples/single-fleet.yaml")
    >>> curve = tether.spares_curve(doc, "us-pause-90", days=[90], budget=2e6)
    >>> curve.points
    (('us-pause-90', 90),)
    >>> f"{curve.availability[0]:.3f} -> {curve.availability[-1]:.3f}"
    '0.757 -> 0.973'
    >>> curve.optimum.stock, curve.optimum.method
    ({'launchers/engine': 6, 'launchers/fire-control': 5, 'launchers/hydraulics': 21}, 'dp')
    """
    if objective not in ("availability", "backorders"):
        raise ArgumentError(f"objective must be 'availability' or 'backorders', not {objective!r}")
    if echelons not in (1, 2):
        raise ArgumentError(f"echelons must be 1 or 2, not {echelons!r}")
    if echelons == 2 and objective != "backorders":
        raise ArgumentError("echelons=2 (METRIC) minimises backorders: use objective='backorders'")
    if not (math.isfinite(order_ship_days) and order_ship_days >= 0):
        raise ArgumentError(f"order_ship_days must be at least 0, not {order_ship_days!r}")
    if budget is not None:
        from tether._budget import parse_budget

        budget = parse_budget(budget)
    if days is not None and any(isinstance(d, bool) or int(d) != d for d in days):
        raise ArgumentError(f"days must be whole numbers, not {list(days)!r}")
    force, picked = _resolve(document, force_or_scenario, scenarios)
    plan, m, points = _pipelines(document, force, picked, days)
    notes: list[str] = []
    if plan.available_basis.any():
        notes.append(
            "fleets on the 'available' tempo basis: demand at their steady-state availability"
        )
    where = None
    if echelons == 2:
        items, where = _two_echelon(document, force, plan, order_ship_days)
        points = (("steady-state", 0),)
        notes.append("METRIC, steady state at day-0 tempo; from no stock")
    else:
        items = _one_echelon(plan, m, objective, from_current)
    curve = _assemble(
        items,
        objective,
        budget,
        budget is not None if exact is None else exact,
        method,
        echelons,
        points,
        tuple(notes),
    )
    return curve if where is None else replace(curve, locations=where)
