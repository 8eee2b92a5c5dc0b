"""``tether.optimise``: the best portfolio of mitigation options under a budget.

A decision (``decisions:`` in a file) names a force, weighted scenarios and the options on
the table. Fleets are independent in the engines and area capability is a weighted sum of
fleet capability, so each fleet an option touches is a *block*: every subset of the options
touching it (that is feasible on its own) is evaluated by the analytic engine, all
candidates of a block stacked into one plan, every scenario in the plan's batch, random
lead times at their quadrature nodes, weighted. The choice across blocks is then an exact
multiple-choice knapsack, solved as a MILP by HiGHS
(:mod:`tether._analysis.portfolio_search`). A block touched by more than
:data:`~tether._analysis.portfolio_search.MAX_ENUMERATED` options is searched locally and
its gap proved against an upper bound on its capability (its units at their most).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from tether._analysis.fleet_plans import select_fleets, stack_fleets
from tether._analysis.portfolio_curve import improve, solve_breakpoints, solve_curve
from tether._analysis.portfolio_search import (
    MAX_ENUMERATED,
    Block,
    Choice,
    Problem,
    Solution,
    candidate_subsets,
    feasible,
)
from tether._budget import parse_budget
from tether._engine.analytic import run_analytic
from tether._engine.arrays import Plan
from tether._errors import ArgumentError
from tether._model import Document, Force, Scenario

__all__ = ["Optimisation", "PortfolioPoint", "optimise"]

F64 = NDArray[np.float64]
Objective = Literal["expected", "worst"]
Progress = Callable[[int, int], None]

#: Quadrature nodes per random lead time.
LEAD_NODES = 5
#: Points of the budget curve when no budgets are given (0 to the budget, evenly).
CURVE_POINTS = 9
#: Most points of a curve of every breakpoint.
BREAKPOINTS = 100
#: Most engine plans (candidate x lead-time node) stacked into one engine run.
STACK = 256


@dataclass(frozen=True)
class PortfolioPoint:
    """The best portfolio found at one budget.

    ``objective`` is in days of the objective's day-0 no-cutoff capability (the force's, or
    one area's): expected over the weighted scenarios, or the worst of them. ``bound`` is
    what the search proves no portfolio within the budget can beat, ``gap`` the relative
    distance ``(bound - objective) / bound`` (0: proved optimal).
    """

    budget: float
    options: tuple[str, ...]
    cost: float
    objective: float
    bound: float
    gap: float
    scenarios: dict[str, float]
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "budget": self.budget,
            "options": list(self.options),
            "cost": self.cost,
            "objective": self.objective,
            "bound": _finite(self.bound),
            "gap": _finite(self.gap),
            "scenarios": dict(self.scenarios),
            "status": self.status,
        }


@dataclass(frozen=True)
class FleetSearch:
    """How one fleet's options were searched: all subsets (exact) or locally."""

    fleet: str
    options: tuple[str, ...]
    candidates: int
    exact: bool


@dataclass(frozen=True)
class Optimisation:
    """The chosen portfolio, its budget curve and how it was found."""

    decision: str
    force: str
    objective: Objective
    area: str | None
    budget: float
    minimum: dict[str, float]
    weights: dict[str, float]
    best: PortfolioPoint
    curve: tuple[PortfolioPoint, ...]
    no_option: float
    no_option_scenarios: dict[str, float]
    exact: bool
    fleets: tuple[FleetSearch, ...]
    costs: dict[str, float]
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (every number finite; an unproved bound is ``null``)."""
        return {
            "decision": self.decision,
            "force": self.force,
            "objective": self.objective,
            "area": self.area,
            "budget": self.budget,
            "minimum": dict(self.minimum),
            "weights": dict(self.weights),
            "units": "days of day-0 no-cutoff capability",
            "best": self.best.to_dict(),
            "curve": [p.to_dict() for p in self.curve],
            "no_option": self.no_option,
            "no_option_scenarios": dict(self.no_option_scenarios),
            "exact": self.exact,
            "fleets": [
                {
                    "fleet": f.fleet,
                    "options": list(f.options),
                    "candidates": f.candidates,
                    "exact": f.exact,
                }
                for f in self.fleets
            ],
            "costs": dict(self.costs),
            "notes": list(self.notes),
        }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@dataclass
class _Setup:
    doc: Document
    force: Force
    scenarios: list[Scenario]
    weights: F64
    horizon: int
    groups: list[list[int]]  # scenario indices sharing a plan (same tempo)


def _setup(doc: Document, decision: Any) -> _Setup:
    from tether._checks import levels_by_day

    force = doc.force(decision.force)
    weights = decision.weights()
    scenarios = [doc.scenario(n) for n in weights]
    horizons = {s.horizon_days for s in scenarios}
    if len(horizons) > 1:
        listed = ", ".join(f"{s.name}: {s.horizon_days}" for s in scenarios)
        raise ArgumentError(
            f"decision '{decision.name}' judges scenarios of different horizons ({listed}); "
            "give them one horizon"
        )
    horizon = horizons.pop()
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, sc in enumerate(scenarios):
        groups.setdefault(tuple(levels_by_day(sc, horizon)), []).append(i)
    w = np.array(list(weights.values()), dtype=np.float64)
    return _Setup(doc, force, scenarios, w / w.sum(), horizon, list(groups.values()))


def _compile(
    s: _Setup,
    group: list[int],
    options: Sequence[Any] = (),
    days: Sequence[int] = (),
    fleet: str | None = None,
) -> Plan:
    """A plan of the force with ``options`` from ``days`` (only ``fleet`` when it is one
    of the force's own); batch: no cutoff, then each scenario of ``group``."""
    from tether._plan import compile_plan

    first = s.scenarios[group[0]]
    sets = [[], *(s.scenarios[i].cutoffs for i in group)]
    labels = ["baseline", *(s.scenarios[i].name for i in group)]
    own = {f.name for f in s.force.fleets}
    keep = [fleet] if fleet is not None and fleet in own else None
    return compile_plan(
        s.doc,
        s.force,
        first,
        sets,
        labels,
        options=list(options),
        lead_times=list(days),
        fleets=keep,
    )


def _area_capability(plan: Plan, cap: F64, n_areas: int) -> F64:
    """``[B, A, T]`` from fleet capability ``[B, F, T]``."""
    member = np.zeros((n_areas, len(plan.fleets)))
    member[plan.area_of, np.arange(len(plan.fleets))] = plan.weight
    return np.asarray(np.einsum("af,bft->bat", member, cap), dtype=np.float64)


class _Evaluator:
    """Capability of one fleet under candidate subsets of options, per scenario and day:
    ``[J, S, T]`` weighted into its area's unit-equivalents."""

    def __init__(self, s: _Setup, options: Sequence[Any], nodes: int) -> None:
        self.s = s
        self.options = options
        self.nodes = nodes
        self.runs = 0

    def __call__(self, block: Block, subsets: list[frozenset[int]]) -> F64:
        from tether._plan_options import lead_time_cases

        s = self.s
        T = s.horizon + 1
        out = np.zeros((len(subsets), len(s.scenarios), T))
        for group in s.groups:
            jobs: list[tuple[int, float, Plan | None]] = []
            for j, sub in enumerate(subsets):
                opts = [self.options[o] for o in sorted(sub)]
                for days, w in lead_time_cases(opts, self.nodes, s.horizon):
                    plan = _compile(s, group, opts, days, block.name)
                    if block.name in plan.fleets:
                        jobs.append((j, w, select_fleets(plan, [plan.fleets.index(block.name)])))
                    else:  # a new fleet no chosen option delivers: no capability
                        jobs.append((j, w, None))
            live = [(j, w, p) for j, w, p in jobs if p is not None]
            for lo in range(0, len(live), STACK):
                chunk = live[lo : lo + STACK]
                stacked = stack_fleets([p for _, _, p in chunk if p is not None])
                self.runs += 1
                cap = run_analytic(stacked).capability  # [B, n, T]
                weight = stacked.weight
                for k, (j, w, _) in enumerate(chunk):
                    out[j][group] += w * weight[k] * cap[1:, k]
        return out


def _resolve(
    doc: Document,
    decision: str | None,
) -> Any:
    if not doc.decisions:
        raise ArgumentError(
            f"{doc.file or 'the document'} has no decisions: add a decisions: section naming "
            "the force, the scenarios to judge on and the options on the table (docs/format.md)"
        )
    try:
        return doc.decision(decision)
    except KeyError as exc:
        raise ArgumentError(str(exc.args[0])) from None


def optimise(
    document: Document,
    decision: str | None = None,
    *,
    budget: float | str | None = None,
    objective: Objective | None = None,
    area: str | None = None,
    minimum: Mapping[str, float] | None = None,
    budgets: Sequence[float | str] | Literal["breakpoints"] | None = None,
    lead_nodes: int = LEAD_NODES,
    max_enumerated: int = MAX_ENUMERATED,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> Optimisation:
    """The best portfolio of a decision's options within ``budget``, and the budget curve.

    ``decision``: a name from the file's ``decisions:`` (default: its first). ``budget``,
    ``objective`` (``"expected"`` over the weighted scenarios, or ``"worst"``), ``area``
    (judge one area; default the force) and ``minimum`` (area -> lowest fraction of its
    same-day no-cutoff baseline on every day of every scenario) default to the
    decision's. ``budgets``: the points of the curve (default: :data:`CURVE_POINTS`
    from 0 to ``budget``, or to the cost of all the options if that is less, and
    ``budget``; ``"breakpoints"``: every budget at which the best
    objective changes, each point at the cost of its portfolio). Budgets accept
    ``150e9``, ``150bn``, ``2.5m``.

    Raises :class:`~tether.ArgumentError` for a bad argument or a minimum no portfolio
    meets, :class:`~tether.SolverError` (with HiGHS's status) when the solver fails.
    """
    dec = _resolve(document, decision)
    s = _setup(document, dec)
    objective = objective or dec.objective
    if objective not in ("expected", "worst"):
        raise ArgumentError(f"objective must be 'expected' or 'worst', not {objective!r}")
    raw_budget = budget if budget is not None else dec.budget
    if raw_budget is None:
        raise ArgumentError(f"give a budget: decision '{dec.name}' names none")
    top = parse_budget(raw_budget)
    points: list[float] | None = None  # None: every breakpoint
    if budgets is None:  # up to the budget, or to the cost of every option if less
        span = min(top, sum(document.option(n).cost for n in dec.options))
        points = sorted(set(np.linspace(0.0, span, CURVE_POINTS).tolist()) | {top})
    elif budgets != "breakpoints":
        points = sorted({parse_budget(b, name="curve budget") for b in budgets} | {top})
    areas = tuple(a.name for a in s.force.areas)
    area = area if area is not None else dec.area
    if area is not None and area not in areas:
        raise ArgumentError(f"unknown area {area!r}; the force has: {', '.join(areas)}")
    floors = dict(dec.minimum) if minimum is None else dict(minimum)
    for name, frac in floors.items():
        if name not in areas:
            raise ArgumentError(
                f"unknown area {name!r} in the minimum; the force has: {', '.join(areas)}"
            )
        if not (isinstance(frac, int | float) and 0 < frac <= 1):
            raise ArgumentError(f"the minimum for {name} must be in (0, 1], not {frac!r}")
    if lead_nodes < 1:
        raise ArgumentError(f"lead_nodes must be at least 1, not {lead_nodes}")
    return _search(
        s,
        dec,
        objective,
        area,
        floors,
        top,
        points,
        lead_nodes,
        max_enumerated,
        time_limit,
        progress,
    )


def _search(
    s: _Setup,
    dec: Any,
    objective: Objective,
    area: str | None,
    floors: dict[str, float],
    top: float,
    points: list[float] | None,
    lead_nodes: int,
    max_enumerated: int,
    time_limit: float | None,
    progress: Progress | None,
) -> Optimisation:
    from tether._plan_options import option_fleets

    doc, force = s.doc, s.force
    areas = tuple(a.name for a in force.areas)
    table = [doc.option(n) for n in dec.options]
    on_table = {o.name for o in table}
    notes: list[str] = []
    usable = []
    for o in table:
        missing = [r for r in o.requires if r not in on_table]
        if missing:
            notes.append(
                f"option '{o.name}' requires {', '.join(missing)}, not on the table: left out"
            )
        else:
            usable.append(o)
    choices = tuple(
        Choice(
            o.name,
            float(o.cost),
            tuple(o.requires),
            tuple(e for e in o.excludes if e in {u.name for u in usable}),
        )
        for o in usable
    )
    # baseline: the force without options
    S, T, A = len(s.scenarios), s.horizon + 1, len(areas)
    base_area = np.zeros((S, A, T))
    ref_area = np.zeros((S, A, T))
    base_fleet: dict[str, F64] = {}
    fleet_area: dict[str, int] = {}
    fleet_weight: dict[str, float] = {}
    for group in s.groups:
        plan = _compile(s, group)
        cap = run_analytic(plan).capability
        per_area = _area_capability(plan, cap, A)
        ref_area[group] = per_area[0]
        base_area[group] = per_area[1:]
        for k, name in enumerate(plan.fleets):
            base_fleet.setdefault(name, np.zeros((S, T)))[group] = plan.weight[k] * cap[1:, k]
            fleet_area[name] = int(plan.area_of[k])
            fleet_weight[name] = float(plan.weight[k])
    touches: dict[str, list[int]] = {}
    for i, o in enumerate(usable):
        for f in sorted(option_fleets(doc, force, o)):
            touches.setdefault(f, []).append(i)
    for o in usable:  # new fleets: their area from the delivery
        for d in o.deliveries:
            if d.fleet not in fleet_area and d.area is not None:
                fleet_area[d.fleet] = areas.index(d.area)
                fleet_weight[d.fleet] = float(d.weight or 1.0)
    constant = base_area.copy()
    for name in touches:
        if name in base_fleet:
            constant[:, fleet_area[name]] -= base_fleet[name]
    evaluate = _Evaluator(s, usable, lead_nodes)
    blocks: list[Block] = []
    total = len(touches) + (len(points) if points is not None else BREAKPOINTS)
    for n, (f, opts) in enumerate(sorted(touches.items())):
        exact = len(opts) <= max_enumerated
        if exact:
            subsets = candidate_subsets(choices, opts, top)
        else:
            subsets = [frozenset()] + [
                frozenset({o}) for o in opts if feasible(choices, opts, frozenset({o}), top)
            ]
        probe = Block(f, fleet_area[f], tuple(opts), tuple(subsets), np.zeros(0))
        values = evaluate(probe, list(subsets))
        upper = None if exact else _units_upper(doc, force, usable, opts, f, fleet_weight, s)
        blocks.append(Block(f, fleet_area[f], tuple(opts), tuple(subsets), values, exact, upper))
        if progress is not None:
            progress(n + 1, total)
    objective_areas = np.ones(A) if area is None else np.eye(A)[areas.index(area)]
    norm = float(ref_area[0, :, 0] @ objective_areas)
    problem = Problem(
        choices=choices,
        weights=s.weights,
        constant=constant,
        baseline=ref_area,
        blocks=tuple(blocks),
        objective_areas=objective_areas,
        norm=norm if norm > 0 else 1.0,
        areas=areas,
        scenarios=tuple(sc.name for sc in s.scenarios),
    )
    minimum = {areas.index(a): v for a, v in floors.items()}
    if not all(b.exact for b in blocks):
        problem, _ = improve(problem, top, objective, minimum, evaluate, time_limit=time_limit)
        notes.append(
            "some fleets have too many options to try every subset: searched locally, "
            "gap proved against their capability at most units"
        )

    def step(done: int, _total: int) -> None:
        if progress is not None:
            progress(len(touches) + done, total)

    names = tuple(sc.name for sc in s.scenarios)
    if points is None:
        curve = solve_breakpoints(
            problem, top, objective, minimum, time_limit=time_limit, progress=step
        )
        pts = tuple(_point(problem, sol, names) for sol in curve)
        best = replace(pts[-1], budget=top) if pts else None
    else:
        curve = solve_curve(
            problem, points, objective, minimum, time_limit=time_limit, progress=step
        )
        pts = tuple(_point(problem, sol, names) for sol in curve)
        best = next((p for p in pts if p.budget == top), None)
    if best is None:
        asked = ", ".join(f"{a} at {v:.0%}" for a, v in floors.items())
        raise ArgumentError(
            f"no portfolio within the budget of {top:,.6g} keeps {asked} of its no-cutoff "
            "baseline on every day of every scenario (raise the budget or lower the minimum)"
        )
    none_values = _no_option(problem, base_area, objective_areas)
    no_opt = float(none_values @ s.weights) if objective == "expected" else float(none_values.min())
    return Optimisation(
        decision=dec.name,
        force=force.name,
        objective=objective,
        area=area,
        budget=top,
        minimum=dict(floors),
        weights=dict(zip(names, (float(w) for w in s.weights), strict=True)),
        best=best,
        curve=pts,
        no_option=no_opt,
        no_option_scenarios=dict(zip(names, (float(v) for v in none_values), strict=True)),
        exact=all(b.exact for b in blocks),
        fleets=tuple(
            FleetSearch(b.name, tuple(choices[o].name for o in b.options), len(b.subsets), b.exact)
            for b in problem.blocks
        ),
        costs={c.name: c.cost for c in choices},
        notes=tuple(notes),
    )


def _no_option(problem: Problem, base_area: F64, objective_areas: F64) -> F64:
    return np.asarray(base_area.sum(axis=2) @ objective_areas / problem.norm, dtype=np.float64)


def _point(problem: Problem, sol: Solution, names: tuple[str, ...]) -> PortfolioPoint:
    return PortfolioPoint(
        budget=sol.budget,
        options=tuple(problem.choices[o].name for o in sol.chosen),
        cost=sol.cost,
        objective=sol.objective,
        bound=sol.bound,
        gap=sol.gap,
        scenarios=dict(zip(names, sol.values, strict=True)),
        status=sol.status,
    )


def _units_upper(
    doc: Document,
    force: Force,
    options: Sequence[Any],
    opts: Sequence[int],
    fleet: str,
    weight: Mapping[str, float],
    s: _Setup,
) -> F64:
    """An upper bound on a fleet's contribution under any subset of its options: every
    unit it could hold (its own plus every unit delivered to it, from day 0) fully
    available, times its weight (availability and factors are at most 1)."""
    held = {f.name: float(f.units) for f in force.fleets}.get(fleet, 0.0)
    for o in opts:
        for d in options[o].deliveries:
            if d.fleet == fleet:
                held += d.units
    return np.full((len(s.scenarios), s.horizon + 1), weight.get(fleet, 1.0) * held)
