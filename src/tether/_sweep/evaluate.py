"""Evaluate one chunk of a sweep: one batched plan per group of scenarios that differ
only in their cutoffs; rows of (scenario, area, metric, value)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tether._sweep.spec import CUTOFF_AXES, SweepSpec, parse_path, set_path

__all__ = ["FORCE_AREA", "METRICS", "evaluate_chunk", "group_key"]

#: The area name of the force-level rows (areas weighted by value, as ``exposure``).
FORCE_AREA = "(force)"
#: Summary metrics, one row each per scenario and area; ``tts_<threshold>`` is NaN when
#: the area never falls below that fraction within the horizon.
METRICS = ("days_lost", "capability_days_lost", "minimum")


def group_key(point: dict[str, Any]) -> str:
    """What a plan depends on beyond cutoffs: equal keys share one batched plan."""
    return repr(sorted((k, v) for k, v in point.items() if k not in CUTOFF_AXES))


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
        if name in CUTOFF_AXES or name == "tempo":
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
    from tether._api import _membership
    from tether._engine.analytic import run_analytic
    from tether._metrics import summarise
    from tether._plan import compile_plan

    groups: dict[str, list[int]] = {}
    for i in ids:
        groups.setdefault(group_key(spec.points[i]), []).append(i)
    records: list[tuple[int, str, str, float]] = []
    for members in groups.values():
        doc, scenario = _apply(spec, spec.points[members[0]])
        force = doc.force(spec.force)
        sets = [[]] + [_cutoffs(spec, spec.points[i]) for i in members]
        labels = ["baseline"] + [f"s{i}" for i in members]
        plan = compile_plan(doc, force, scenario, sets, labels)
        out = run_analytic(plan)
        area_cap = np.einsum("af,bft->bat", _membership(plan), out.capability)
        base = area_cap[0]
        th = tuple(scenario.thresholds)
        for b, i in enumerate(members, start=1):
            cuts = sets[b]
            start = min((c.start_day for c in cuts), default=None)
            curves = [(a, area_cap[b, k], base[k]) for k, a in enumerate(plan.areas)]
            curves.append((FORCE_AREA, area_cap[b].sum(axis=0), base.sum(axis=0)))
            for area, cap, ref in curves:
                s = summarise(cap, ref, thresholds=th, start_day=start)
                records += [
                    (i, area, "days_lost", float(s.days_lost)),
                    (i, area, "capability_days_lost", float(s.capability_days_lost)),
                    (i, area, "minimum", float(s.minimum)),
                ]
                for t, v in s.time_to_survive.items():
                    records.append((i, area, f"tts_{t:g}", math.nan if v is None else float(v)))
    frame = pd.DataFrame(records, columns=["scenario", "area", "metric", "value"])
    for ax in spec.axes:
        col = [_cell(spec.points[i][ax.name]) for i in frame["scenario"]]
        frame.insert(1 + spec.axes.index(ax), ax.name, col)
    return frame.sort_values(["scenario", "area", "metric"], kind="stable").reset_index(drop=True)


def _cell(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return ",".join(map(str, v))
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    return str(v)
