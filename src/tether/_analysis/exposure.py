"""Supplier exposure: one cutoff per jurisdiction (or supplier) and kind, ranked.

Every cutoff of the sweep is one member of a single batched plan, so a force's whole
exposure is one engine run. The force-level curve is the mean over capability areas of
each area's fraction of baseline (each area counts equally, whatever its units).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from tether._api import _membership
from tether._engine.analytic import run_analytic
from tether._errors import Diagnostic, InputError, TetherError
from tether._metrics import fraction_of, summarise
from tether._model import KINDS, Cutoff, Document, Force, Scenario
from tether._plan import compile_plan, force_suppliers, stopped_suppliers

__all__ = ["Exposure", "ExposureRow", "exposure"]

By = Literal["jurisdiction", "supplier"]
KIND_SETS: tuple[str, ...] = (*KINDS, "all")


@dataclass(frozen=True, slots=True)
class ExposureRow:
    """The effect of one cutoff (a target withholding one kind, or all) on the force."""

    target: str
    kinds: str
    time_to_survive: dict[float, int | None]
    days_lost: float
    minimum: float
    worst_area: str
    worst_area_days_lost: float
    risk_exposure_index: float = 0.0
    stops: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kinds": self.kinds,
            "time_to_survive": {f"{k:g}": v for k, v in self.time_to_survive.items()},
            "days_lost": self.days_lost,
            "minimum": self.minimum,
            "worst_area": self.worst_area,
            "worst_area_days_lost": self.worst_area_days_lost,
            "risk_exposure_index": self.risk_exposure_index,
            "stops": list(self.stops),
        }


@dataclass(frozen=True, slots=True)
class Exposure:
    """Ranked exposure of a force: rows sorted by days lost, largest first."""

    force: str
    by: str
    horizon: int
    start_day: int
    duration: int | None
    rows: tuple[ExposureRow, ...]
    assumptions: tuple[str, ...]

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


def exposure(
    document: Document,
    force: str,
    *,
    by: By = "jurisdiction",
    horizon: int = 365,
    start_day: int = 0,
    duration: int | None = None,
    thresholds: Sequence[float] = (0.75, 0.5),
) -> Exposure:
    """Rank the force's exposure to each jurisdiction (or supplier), kind by kind.

    Each cutoff starts on ``start_day`` and lasts ``duration`` days (``None``: for the
    rest of the horizon). Rows where the target stops nothing of that kind are left out.
    The risk-exposure index is a row's days lost divided by the largest.

    >>> import tether
    >>> doc = tether.load_text("scenarios: []")
    >>> ranked = tether.exposure(doc, "canada", horizon=180)
    >>> (ranked.rows[0].target, ranked.rows[0].kinds, ranked.rows[0].risk_exposure_index)
    ('US', 'all', 1.0)
    """
    if by not in ("jurisdiction", "supplier"):
        raise TetherError(f"by must be 'jurisdiction' or 'supplier', not {by!r}")
    if duration is not None and duration < 1:
        raise TetherError("duration must be at least 1 day")
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
    scenario = Scenario(name=f"exposure-{force}", force=f.name, horizon_days=horizon)
    plan = compile_plan(
        document, f, scenario, sets, ["baseline"] + [f"{t}:{k}" for t, k, _ in labels]
    )
    out = run_analytic(plan)
    area_cap = np.einsum("af,bft->bat", _membership(plan), out.capability)
    frac = fraction_of(area_cap[1:], area_cap[:1])  # [cutoffs, areas, days]
    force_frac = frac.mean(axis=1)
    rows = []
    for i, (target, kinds, hit) in enumerate(labels):
        s = summarise(force_frac[i], np.ones_like(force_frac[i]), thresholds=thresholds)
        area_lost = (1.0 - frac[i]).sum(axis=1)
        worst = int(np.argmax(area_lost))
        rows.append(
            ExposureRow(
                target=target,
                kinds=kinds,
                time_to_survive=s.time_to_survive,
                days_lost=s.days_lost,
                minimum=s.minimum,
                worst_area=plan.areas[worst],
                worst_area_days_lost=float(area_lost[worst]),
                stops=hit,
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
    )
