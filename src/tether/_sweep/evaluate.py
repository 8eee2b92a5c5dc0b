"""Evaluate one chunk of a sweep: one batched plan per group of scenarios that differ
only in their cutoffs; rows of (scenario, area, metric, value)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tether._metrics import fraction_of, summarise
from tether._sweep.spec import CUTOFF_AXES, SweepSpec, parse_path, set_path
from tether._sweep.special import portfolio_label, scenario_rng, stable_int

__all__ = [
    "FORCE_AREA",
    "LEAD_NODES",
    "METRICS",
    "evaluate",
    "evaluate_chunk",
    "group_key",
    "member_plan",
    "node_cases",
    "reference_key",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Lead-time quadrature nodes per option of a portfolio (as ``tether optimise``).
LEAD_NODES = 5

#: The area name of the force-level rows (areas weighted by value, as ``exposure``).
FORCE_AREA = "(force)"
#: Summary metrics, one row each per scenario and area; ``tts_<threshold>`` is NaN when
#: the area never falls below that fraction within the horizon. The Monte Carlo engine
#: adds ``days_lost_se``, the standard error of ``days_lost``.
METRICS = ("days_lost", "capability_days_lost", "minimum")


def group_key(point: dict[str, Any]) -> str:
    """What a plan depends on beyond cutoffs (and seeds): equal keys share one plan."""
    return repr(sorted((k, v) for k, v in point.items() if k not in CUTOFF_AXES and k != "seeds"))


def reference_key(point: dict[str, Any]) -> str:
    """What the no-cutoff, no-option reference of a point depends on."""
    skip = (*CUTOFF_AXES, "seeds", "portfolio")
    return repr(sorted((k, v) for k, v in point.items() if k not in skip))


def _cutoffs(spec: SweepSpec, point: dict[str, Any]) -> list[Any]:
    from tether._model import Cutoff

    if not any(k in CUTOFF_AXES for k in point):
        return list(spec.scenario.cutoffs)
    base = spec.scenario.cutoffs[0].model_dump(exclude_none=True) if spec.scenario.cutoffs else {}
    base.pop("duration_days", None)
    if "jurisdiction" in point:
        base.pop("supplier", None)
        base["jurisdiction"] = point["jurisdiction"]
    if "supplier" in point:
        base.pop("jurisdiction", None)
        base["supplier"] = point["supplier"]
    if "kinds" in point:
        k = point["kinds"]
        base["kinds"] = list(k) if isinstance(k, list | tuple) else [k]
    start = int(point.get("start_day", base.get("start_day", 0)))
    if "duration_days" in point:
        base["end_day"] = start + int(point["duration_days"])
    elif base.get("end_day") is not None:  # the base cutoff's length, moved with its start
        base["end_day"] = start + int(base["end_day"]) - int(base.get("start_day", 0))
    base["start_day"] = start
    return [Cutoff.model_validate(base)]


def _apply(spec: SweepSpec, point: dict[str, Any]) -> tuple[Any, Any]:
    """The document and scenario of a point's non-cutoff axes."""
    from tether._model import TempoPhase

    doc = spec.document
    for name, value in point.items():
        if name in CUTOFF_AXES or name in ("tempo", "portfolio", "seeds"):
            continue
        want = spec.field_types.get(name, float)
        doc = set_path(doc, parse_path(name), want(round(value) if want is int else value))
    scenario = spec.scenario
    if "tempo" in point:
        scenario = scenario.model_copy(
            update={"tempo": [TempoPhase(start_day=0, level=point["tempo"])]}
        )
    if doc is not spec.document:
        doc._source = spec.document._source
        doc._file = spec.document._file
    return doc, scenario


def evaluate_chunk(spec: SweepSpec, ids: Sequence[int]) -> pd.DataFrame:
    """Rows for the scenarios ``ids`` of ``spec``: area by area and for the force."""
    return evaluate(spec, ids)[0]


def evaluate(spec: SweepSpec, ids: Sequence[int]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The summary rows of scenarios ``ids`` and, when ``spec.daily``, their daily rows
    (``scenario, area, day, fraction``; ``None`` otherwise)."""
    groups: dict[str, list[int]] = {}
    for i in ids:
        groups.setdefault(group_key(spec.points[i]), []).append(i)
    records: list[tuple[int, str, str, float]] = []
    daily: list[tuple[I64, list[str], F64]] = []
    refs: dict[tuple[str, int], tuple[F64, F64]] = {}
    for members in groups.values():
        doc, scenario = _apply(spec, spec.points[members[0]])
        sets = [[]] + [_cutoffs(spec, spec.points[i]) for i in members]
        areas, area_cap, var = _capability(spec, doc, scenario, sets, members, refs)
        th = tuple(scenario.thresholds)
        for b, i in enumerate(members, start=1):
            base, base_var = refs[(reference_key(spec.points[i]), _seed_of(spec.points[i]))]
            start = min((c.start_day for c in sets[b]), default=None)
            curves = [(a, area_cap[b, k], base[k]) for k, a in enumerate(areas)]
            curves.append((FORCE_AREA, area_cap[b].sum(axis=0), base.sum(axis=0)))
            for k, (area, cap, ref) in enumerate(curves):
                s = summarise(cap, ref, thresholds=th, start_day=start)
                if spec.engine == "montecarlo":
                    se = math.sqrt(var[b, k] + base_var[k]) / ref[0] if ref[0] > 0 else 0.0
                    records.append((i, area, "days_lost_se", se))
                records += [
                    (i, area, "days_lost", float(s.days_lost)),
                    (i, area, "capability_days_lost", float(s.capability_days_lost)),
                    (i, area, "minimum", float(s.minimum)),
                ]
                for t, v in s.time_to_survive.items():
                    records.append((i, area, f"tts_{t:g}", math.nan if v is None else float(v)))
            if spec.daily:
                fr = np.stack([fraction_of(c, r) for _, c, r in curves])
                daily.append((np.full(fr.size, i, dtype=np.int64), [a for a, _, _ in curves], fr))
    frame = pd.DataFrame(records, columns=["scenario", "area", "metric", "value"])
    for ax in spec.axes:
        col = [_cell(ax.name, spec.points[i][ax.name]) for i in frame["scenario"]]
        frame.insert(1 + spec.axes.index(ax), ax.name, col)
    frame = frame.sort_values(["scenario", "area", "metric"], kind="stable")
    return frame.reset_index(drop=True), (_daily(daily) if spec.daily else None)


def _daily(parts: list[tuple[I64, list[str], F64]]) -> pd.DataFrame:
    """The daily rows: ``scenario, area, day, fraction`` (of the same-day reference)."""
    if not parts:
        return pd.DataFrame(
            {
                "scenario": np.zeros(0, np.int64),
                "area": np.zeros(0, object),
                "day": np.zeros(0, np.int32),
                "fraction": np.zeros(0),
            }
        )
    T = parts[0][2].shape[1]
    frame = pd.DataFrame(
        {
            "scenario": np.concatenate([s for s, _, _ in parts]),
            "area": np.concatenate([np.repeat(np.array(a, dtype=object), T) for _, a, _ in parts]),
            "day": np.concatenate(
                [np.tile(np.arange(T, dtype=np.int32), len(a)) for _, a, _ in parts]
            ),
            "fraction": np.concatenate([f.ravel() for _, _, f in parts]),
        }
    )
    return frame.sort_values(["scenario", "area", "day"], kind="stable").reset_index(drop=True)


def _seed_of(point: dict[str, Any]) -> int:
    return int(point.get("seeds", 0))


def _capability(
    spec: SweepSpec,
    doc: Any,
    scenario: Any,
    sets: list[list[Any]],
    members: list[int],
    refs: dict[tuple[str, int], tuple[F64, F64]],
) -> tuple[tuple[str, ...], F64, F64]:
    """Area capability ``[B, A, T]`` of the batch ``sets`` (member 0: no cutoff) under
    the members' portfolio, the mean over the lead-time nodes of its options, and the
    sampling variance ``[B, A + 1]`` of its sum over the days (areas, then the force; 0
    for the analytic engine); fills ``refs`` with the no-option, no-cutoff reference of
    each member (``[A, T]``, and its variance ``[A + 1]``)."""
    from tether._plan import compile_plan

    first = spec.points[members[0]]
    force = doc.force(spec.force)
    names = first.get("portfolio", spec.portfolio)
    options = [doc.option(n) for n in names]
    labels = ["baseline"] + [f"s{i}" for i in members]
    out: F64 | None = None
    out_var: F64 | None = None
    areas: tuple[str, ...] = ()
    for node, (days, w) in enumerate(node_cases(options, scenario.horizon_days)):
        plan = compile_plan(doc, force, scenario, sets, labels, options=options, lead_times=days)
        areas = plan.areas
        cap, var = _run(spec, plan, members, node)
        out = w * cap if out is None else out + w * cap
        out_var = w * w * var if out_var is None else out_var + w * w * var
        if not options and spec.engine == "analytic":
            refs.setdefault((reference_key(first), 0), (cap[0], var[0]))
    assert out is not None
    assert out_var is not None
    for i in members:
        key = (reference_key(spec.points[i]), _seed_of(spec.points[i]))
        if key not in refs:
            plan = compile_plan(doc, force, scenario, [[]], ["baseline"])
            if spec.engine == "analytic":
                cap, var = _run(spec, plan, [], 0)
                refs[key] = (cap[0], var[0])
            else:
                rng = scenario_rng(spec.seed, key[1], (1, stable_int(key[0])))
                refs[key] = _montecarlo(spec, plan, rng)
    return areas, out, out_var


def node_cases(options: Sequence[Any], horizon: int) -> list[tuple[list[int], float]]:
    """Every combination of the options' lead-time nodes (:data:`LEAD_NODES` each, as the
    optimiser), with its probability; one case ``([], 1)`` without options."""
    from tether._plan_options import lead_time_cases

    return lead_time_cases(options, LEAD_NODES, horizon)


def _run(spec: SweepSpec, plan: Any, members: list[int], node: int) -> tuple[F64, F64]:
    """Area capability ``[1 + len(members), A, T]`` of a plan whose batch is the
    reference then ``members``, and its variance (see :func:`_capability`): one batched
    analytic run, or one Monte Carlo run per member from the member's own stream (the
    reference row is then left at zero)."""
    from tether._api import _membership
    from tether._engine.analytic import run_analytic

    B, A = len(plan.batch), len(plan.areas)
    var = np.zeros((B, A + 1))
    if spec.engine == "analytic":
        out = run_analytic(plan)
        cap = np.einsum("af,bft->bat", _membership(plan), out.capability)
        return np.asarray(cap, dtype=np.float64), var
    cap = np.zeros((B, A, plan.horizon + 1))
    for b, i in enumerate(members, start=1):
        rng = scenario_rng(spec.seed, _seed_of(spec.points[i]), (0, i, node))
        cap[b], var[b] = _montecarlo(spec, member_plan(plan, b), rng)
    return cap, var


def _montecarlo(spec: SweepSpec, plan: Any, rng: np.random.Generator) -> tuple[F64, F64]:
    """Mean area capability ``[A, T]`` of a one-member plan over ``spec.replications``,
    and the variance of its sum over the days ``[A + 1]`` (areas, then the force),
    estimated from the replications kept (at most :func:`sample_limit`)."""
    from tether._api import _membership
    from tether._engine.montecarlo import run_montecarlo, sample_limit

    reps = spec.replications
    kept = min(reps, sample_limit(plan))
    mc = run_montecarlo(plan, reps, rng, keep_samples=[0], max_samples=kept)
    member = _membership(plan)
    totals = np.einsum("af,kft->ka", member, mc.samples[0].astype(np.float64))
    totals = np.column_stack([totals, totals.sum(axis=1)])
    var = totals.var(axis=0, ddof=1) / reps if len(totals) > 1 else np.zeros(totals.shape[1])
    return np.asarray(member @ mc.mean["capability"][0]), np.asarray(var, dtype=np.float64)


def member_plan(plan: Any, b: int) -> Any:
    """The plan of batch member ``b`` alone (its cut mask and cutoffs)."""
    sel = plan.co_batch == b
    return replace(
        plan,
        batch=(plan.batch[b],),
        cut=plan.cut[b : b + 1],
        co_batch=np.zeros(int(sel.sum()), dtype=np.int64),
        co_start=plan.co_start[sel],
        co_end=plan.co_end[sel],
        co_dist=plan.co_dist[sel],
        co_a=plan.co_a[sel],
        co_b=plan.co_b[sel],
        co_stop=plan.co_stop[sel],
    )


def _cell(axis: str, v: Any) -> Any:
    if axis == "portfolio":
        return portfolio_label(v)
    if axis == "seeds":
        return int(v)
    if isinstance(v, list | tuple):
        return ",".join(map(str, v))
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    return str(v)
