"""Supplier exposure: one cutoff per jurisdiction (or supplier) and kind, ranked.

Every cutoff of the sweep is one member of a single batched plan, so a force's whole
exposure is one engine run. By default (``weighting="value"``) the force's capability is
the sum of its areas' weighted unit-equivalents, so each area counts by its value: days
lost are the force's capability-days lost over its day-0 no-cutoff capability, and the
risk-exposure index ranks capability-days lost. ``weighting="equal"`` counts each area
equally whatever its units: the force's fraction is the mean of its areas' fractions and
its days lost the mean of theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from tether._api import _membership
from tether._engine.analytic import run_analytic
from tether._errors import ArgumentError, Diagnostic, InputError, TetherError
from tether._metrics import fraction_of, summarise
from tether._model import KINDS, MAX_HORIZON_DAYS, Cutoff, Document, Force
from tether._model.scenario import scenario_for
from tether._plan import compile_plan, force_suppliers, stopped_suppliers

__all__ = ["Exposure", "ExposureRow", "exposure"]

By = Literal["jurisdiction", "supplier"]
Weighting = Literal["value", "equal"]
KIND_SETS: tuple[str, ...] = (*KINDS, "all")


@dataclass(frozen=True, slots=True)
class ExposureRow:
    """The effect of one cutoff (a target withholding one kind, or all) on the force.

    ``time_to_survive`` counts days from the cutoff's start; fractions (``minimum``, the
    thresholds) are of the same-day no-cutoff baseline. ``capability_days_lost`` is in
    weighted unit-days; ``days_lost`` as the exposure's weighting says.
    """

    target: str
    kinds: str
    time_to_survive: dict[float, int | None]
    days_lost: float
    minimum: float
    worst_area: str
    worst_area_days_lost: float
    risk_exposure_index: float = 0.0
    stops: tuple[str, ...] = field(default=())
    capability_days_lost: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kinds": self.kinds,
            "time_to_survive": {f"{k:g}": v for k, v in self.time_to_survive.items()},
            "days_lost": self.days_lost,
            "capability_days_lost": self.capability_days_lost,
            "minimum": self.minimum,
            "worst_area": self.worst_area,
            "worst_area_days_lost": self.worst_area_days_lost,
            "risk_exposure_index": self.risk_exposure_index,
            "stops": list(self.stops),
        }


@dataclass(frozen=True, slots=True)
class Exposure:
    """Ranked exposure of a force: rows sorted by days lost, largest first.

    ``weighting`` says how areas make up the force: ``"value"`` (by their weighted
    unit-equivalents) or ``"equal"`` (each area the same). ``short_areas`` names the areas
    whose no-cutoff capability itself falls below the first threshold of its day-0 value,
    with the first such day: they run short even without a cutoff, and every row's
    fractions are of that falling same-day baseline.
    """

    force: str
    by: str
    horizon: int
    start_day: int
    duration: int | None
    rows: tuple[ExposureRow, ...]
    assumptions: tuple[str, ...]
    weighting: str = "value"
    short_areas: dict[str, int] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        records = []
        for r in self.rows:
            d = r.to_dict()
            tts = d.pop("time_to_survive")
            d.update({f"tts_{k}": v for k, v in tts.items()})
            d["stops"] = ", ".join(r.stops)
            records.append(d)
        return pd.DataFrame(records)

    def to_dict(self) -> dict[str, Any]:
        return {
            "force": self.force,
            "by": self.by,
            "horizon_days": self.horizon,
            "start_day": self.start_day,
            "duration_days": self.duration,
            "weighting": self.weighting,
            "reference": "same-day no-cutoff baseline",
            "short_without_cutoff": dict(self.short_areas),
            "rows": [r.to_dict() for r in self.rows],
            "assumptions": list(self.assumptions),
        }


def _targets(doc: Document, force: Force, by: By, used: tuple[str, ...]) -> list[str]:
    """Who to cut: the force's suppliers, or every other jurisdiction that stops one."""
    if by == "supplier":
        return list(used)
    out = []
    for j in doc.jurisdictions:
        if j.name == force.operator:
            continue
        if set(used) & set(stopped_suppliers(doc, Cutoff(jurisdiction=j.name))):
            out.append(j.name)
    return out


def _check(
    by: str,
    horizon: int,
    start_day: int,
    duration: int | None,
    weighting: str,
    thresholds: Sequence[float],
) -> None:
    if not thresholds or any(not 0 < t < 1 for t in thresholds):
        raise ArgumentError(f"thresholds must lie strictly between 0 and 1, not {thresholds!r}")
    if list(thresholds) != sorted(thresholds, reverse=True):
        raise ArgumentError(
            f"thresholds must be in decreasing order (the first is the one that flags "
            f"an area short without a cutoff), not {thresholds!r}"
        )
    if by not in ("jurisdiction", "supplier"):
        raise ArgumentError(f"by must be 'jurisdiction' or 'supplier', not {by!r}")
    if weighting not in ("value", "equal"):
        raise ArgumentError(f"weighting must be 'value' or 'equal', not {weighting!r}")
    if not 1 <= horizon <= MAX_HORIZON_DAYS:
        raise ArgumentError(f"horizon must be between 1 and {MAX_HORIZON_DAYS} days, not {horizon}")
    if start_day < 0:
        raise ArgumentError(f"start day must be at least 0, not {start_day}")
    if start_day > horizon:
        raise ArgumentError(
            f"start day {start_day} is after the horizon of {horizon} days: "
            "the cutoffs would change nothing"
        )
    if duration is not None and duration < 1:
        raise ArgumentError(f"duration must be at least 1 day, not {duration}")


def exposure(
    document: Document,
    force: str,
    *,
    by: By = "jurisdiction",
    horizon: int = 365,
    start_day: int = 0,
    duration: int | None = None,
    thresholds: Sequence[float] = (0.75, 0.5),
    weighting: Weighting = "value",
) -> Exposure:
    """Rank the force's exposure to each jurisdiction (or supplier), kind by kind.

    Each cutoff starts on ``start_day`` (from 0 to ``horizon``; otherwise
    :class:`~tether.ArgumentError`) and lasts ``duration`` days (``None``: for the rest of
    the horizon). Rows where the target stops nothing of that kind are left out. Time to
    survive counts from ``start_day``. The risk-exposure index is a row's days lost
    divided by the largest: with ``weighting="value"`` (the default), its capability-days
    lost over the largest.

    >>> import tether
    >>> doc = tether.load_text("scenarios: []")
    >>> ranked = tether.exposure(doc, "canada", horizon=180)
    >>> (ranked.rows[0].target, ranked.rows[0].kinds, ranked.rows[0].risk_exposure_index)
    ('US', 'all', 1.0)
    """
    _check(by, horizon, start_day, duration, weighting, thresholds)
    try:
        f = document.force(force)
    except KeyError as exc:
        raise InputError([Diagnostic(document.file, 0, 0, "force", str(exc.args[0]))]) from None
    end = None if duration is None else start_day + duration
    suppliers = force_suppliers(document, f)
    used = set(suppliers)
    sets: list[list[Cutoff]] = [[]]
    labels: list[tuple[str, str, tuple[str, ...]]] = []
    for target in _targets(document, f, by, suppliers):
        for kinds in KIND_SETS:
            key = {"jurisdiction" if by == "jurisdiction" else "supplier": target}
            cut = Cutoff.model_validate(
                {**key, "kinds": [kinds], "start_day": start_day, "end_day": end}
            )
            stops = stopped_suppliers(document, cut)
            hit = tuple(sorted(s for s, k in stops.items() if s in used and k))
            if not hit:
                continue
            sets.append([cut])
            labels.append((target, kinds, hit))
    if not labels:
        raise TetherError(f"nothing in force '{force}' depends on any {by} but its own")
    scenario = scenario_for(f"exposure-{force}", f.name, horizon)
    plan = compile_plan(
        document, f, scenario, sets, ["baseline"] + [f"{t}:{k}" for t, k, _ in labels]
    )
    out = run_analytic(plan)
    area_cap = np.einsum("af,bft->bat", _membership(plan), out.capability)
    base_area = area_cap[0]  # [areas, days]
    frac = fraction_of(area_cap[1:], base_area[None])  # [cutoffs, areas, days]
    area_lost = (base_area[None] - area_cap[1:]).sum(axis=2)  # capability-days, per area
    area_base0 = base_area[:, 0]
    area_days = np.where(area_base0 > 0, area_lost / np.where(area_base0 > 0, area_base0, 1), 0)
    force_base = base_area.sum(axis=0)
    short = fraction_of(base_area, area_base0[:, None]) < thresholds[0] if thresholds else None
    short_areas = {
        plan.areas[a]: int(np.argmax(short[a]))
        for a in range(len(plan.areas))
        if short is not None and short[a].any()
    }
    rows = []
    for i, (target, kinds, hit) in enumerate(labels):
        if weighting == "value":
            s = summarise(
                area_cap[1 + i].sum(axis=0), force_base, thresholds=thresholds, start_day=start_day
            )
            days_lost = s.days_lost
        else:
            curve = frac[i].mean(axis=0)
            s = summarise(curve, np.ones_like(curve), thresholds=thresholds, start_day=start_day)
            days_lost = float(area_days[i].mean())
        worst = int(np.argmax(area_days[i]))
        rows.append(
            ExposureRow(
                target=target,
                kinds=kinds,
                time_to_survive=s.time_to_survive,
                days_lost=days_lost,
                minimum=s.minimum,
                worst_area=plan.areas[worst],
                worst_area_days_lost=float(area_days[i, worst]),
                stops=hit,
                capability_days_lost=float(area_lost[i].sum()),
            )
        )
    top = max(r.days_lost for r in rows) or 1.0
    ranked = sorted(
        (replace(r, risk_exposure_index=r.days_lost / top) for r in rows),
        key=lambda r: (-r.days_lost, r.target, KIND_SETS.index(r.kinds)),
    )
    assumed = tuple(dict.fromkeys(a for fleet in plan.assumptions for a in fleet))
    return Exposure(
        force=f.name,
        by=by,
        horizon=horizon,
        start_day=start_day,
        duration=duration,
        rows=tuple(ranked),
        assumptions=assumed,
        weighting=weighting,
        short_areas=short_areas,
    )
