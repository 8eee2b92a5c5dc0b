"""Side-by-side comparison: two or more scenarios, or the same scenarios on force variants.

Each column is one scenario played on one force (by :func:`tether.simulate`). Per area, and
for the whole force (``FORCE``, the sum of its areas' weighted unit-equivalents), a column
has its capability by day, its time to survive and days lost (against its own no-cutoff
baseline, as ``tether run`` reports them), its capability-days (absolute, so forces of
different sizes compare), and the difference from the first column. With the Monte Carlo
engine, ``p_beats`` is the probability that the first column (A) ends the common horizon
with more capability-days than each other column: per replication totals of independent
runs, compared over every pair (ties count one half).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tether._api import _membership, simulate
from tether._engine.montecarlo import run_montecarlo
from tether._errors import ArgumentError, Diagnostic, InputError
from tether._metrics import Summary, fraction_of, summarise
from tether._model import Document, Scenario
from tether._plan import compile_scenario
from tether._result import Result

__all__ = ["FORCE", "Comparison", "compare", "p_greater"]

F64 = NDArray[np.float64]

#: The label of the whole force among the areas.
FORCE = "FORCE"

#: Days shown in tables by default (those within the common horizon, and its last day).
TABLE_DAYS: tuple[int, ...] = (0, 30, 90, 180, 365)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Columns (scenario on force) side by side, per area and for the whole force.

    ``capability[area]`` is ``[C, T]`` over the common horizon (``NaN`` where a column has
    no such area); ``summary[area][c]`` the column's :class:`~tether.Summary` (``None``
    where it lacks the area); ``capability_days[area][c]`` the sum of its capability over
    the common horizon; ``difference`` that minus the first column's; ``p_beats[area][c]``
    (Monte Carlo) P(first column's capability-days > column ``c``'s), ``None`` for ``c = 0``.
    """

    labels: tuple[str, ...]
    scenarios: tuple[str, ...]
    forces: tuple[str, ...]
    areas: tuple[str, ...]
    engine: str
    horizon: int
    days: tuple[int, ...]
    capability: dict[str, F64]
    fraction: dict[str, F64]
    summary: dict[str, list[Summary | None]]
    capability_days: dict[str, list[float | None]]
    difference: dict[str, list[float | None]]
    p_beats: dict[str, list[float | None]] | None
    results: tuple[Result, ...]
    notes: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        """Long form: one row per column, area and day (the full series)."""
        rows = []
        day = np.arange(self.horizon + 1)
        for area in self.areas:
            for c, label in enumerate(self.labels):
                cap = self.capability[area][c]
                if np.isnan(cap).all():
                    continue
                rows.append(
                    pd.DataFrame(
                        {
                            "column": label,
                            "area": area,
                            "day": day,
                            "capability": cap,
                            "fraction": self.fraction[area][c],
                        }
                    )
                )
        return pd.concat(rows, ignore_index=True)

    def summary_frame(self) -> pd.DataFrame:
        """One row per column and area: survival, days lost, capability-days, difference."""
        rows: list[dict[str, Any]] = []
        for area in self.areas:
            for c, label in enumerate(self.labels):
                s = self.summary[area][c]
                if s is None:
                    continue
                row: dict[str, Any] = {"column": label, "area": area}
                row.update({f"tts_{k:g}": v for k, v in s.time_to_survive.items()})
                row.update(
                    days_lost=s.days_lost,
                    capability_days=self.capability_days[area][c],
                    difference=self.difference[area][c],
                )
                if self.p_beats is not None:
                    row["p_first_beats"] = self.p_beats[area][c]
                rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        def series(a: F64) -> list[float | None]:
            return [None if np.isnan(v) else round(float(v), 6) for v in a]

        areas = {}
        for area in self.areas:
            cols = []
            for c, label in enumerate(self.labels):
                s = self.summary[area][c]
                cols.append(
                    None
                    if s is None
                    else {
                        "column": label,
                        "time_to_survive": {f"{k:g}": v for k, v in s.time_to_survive.items()},
                        "days_lost": s.days_lost,
                        "capability_days": self.capability_days[area][c],
                        "difference": self.difference[area][c],
                        "p_first_beats": None if self.p_beats is None else self.p_beats[area][c],
                        "capability": series(self.capability[area][c]),
                        "fraction": series(self.fraction[area][c]),
                    }
                )
            areas[area] = cols
        return {
            "columns": [
                {"label": lab, "scenario": s, "force": f}
                for lab, s, f in zip(self.labels, self.scenarios, self.forces, strict=True)
            ],
            "engine": self.engine,
            "horizon_days": self.horizon,
            "areas": areas,
            "notes": list(self.notes),
        }


def p_greater(a: F64, b: F64) -> float:
    """``P(X > Y) + P(X = Y) / 2`` for independent ``X`` (samples ``a``) and ``Y`` (``b``),
    over every pair (the Mann-Whitney statistic).

    >>> p_greater(np.array([1.0, 3.0]), np.array([2.0, 2.0]))
    0.5
    """
    b_sorted = np.sort(b)
    below = np.searchsorted(b_sorted, a, side="left")
    upto = np.searchsorted(b_sorted, a, side="right")
    return float((below + 0.5 * (upto - below)).sum() / (len(a) * len(b)))


def _columns(
    doc: Document, scenarios: Sequence[str], forces: Sequence[str] | None
) -> list[tuple[str, Scenario]]:
    def bad(field_: str, text: str) -> InputError:
        return InputError([Diagnostic(doc.file, 0, 0, field_, text)])

    picked: list[Scenario] = []
    for name in scenarios:
        try:
            picked.append(doc.scenario(name))
        except KeyError as exc:
            raise bad("scenario", str(exc.args[0])) from None
    if not forces:
        if len(picked) < 2:
            raise ArgumentError(
                "compare needs two or more scenarios, or scenarios on two or more forces"
            )
        return [(s.name, s) for s in picked]
    for f in forces:
        try:
            doc.force(f)
        except KeyError as exc:
            raise bad("--force", str(exc.args[0])) from None
    if not picked:
        try:
            picked = [doc.scenario()]
        except KeyError as exc:
            raise bad("scenario", str(exc.args[0])) from None
    if len(picked) * len(forces) < 2:
        raise ArgumentError("compare needs at least two columns (scenarios or forces)")
    out = []
    for s in picked:
        for f in forces:
            label = f if len(picked) == 1 else f"{s.name}@{f}"
            out.append((label, s.model_copy(update={"force": f})))
    return out


def _rep_totals(doc: Document, scenario: Scenario, reps: int, seed: int, common: int) -> F64:
    """Capability-days per replication ``[K, areas + 1]`` (the areas, then the force) over
    days ``0..common``, from the Monte Carlo engine's kept replications."""
    plan = compile_scenario(doc, scenario)
    mc = run_montecarlo(plan, reps, np.random.default_rng(seed), keep_samples=[1])
    fleet_days = mc.samples[1][:, :, : common + 1].sum(axis=2, dtype=np.float64)  # [K, F]
    area_days = fleet_days @ _membership(plan).T  # [K, A]
    return np.column_stack([area_days, area_days.sum(axis=1)])


def compare(
    document: Document,
    scenarios: Sequence[str] = (),
    *,
    forces: Sequence[str] | None = None,
    engine: str = "analytic",
    reps: int = 1000,
    seed: int = 0,
    days: Sequence[int] | None = None,
) -> Comparison:
    """Compare scenarios (two or more), or each scenario on each of ``forces``.

    Without ``forces``, each name in ``scenarios`` is a column. With ``forces``, each
    scenario (default: the file's first) is played on each force (its cutoffs, horizon and
    tempo; the force swapped), one column per pair. ``days`` picks the days the tables show
    (the JSON and frames hold every day). ``engine="montecarlo"`` adds ``p_beats`` (see
    :class:`Comparison`); every column uses ``seed``.

    >>> import tether
    >>> doc = tether.load("examples/canada-fighters.yaml")
    >>> c = tether.compare(doc, ["f-35-fleet-us-cut"], forces=["canada", "canada-gripen"])
    >>> c.labels
    ('canada', 'canada-gripen')
    >>> [round(s.days_lost) for s in c.summary["air-combat"]]
    [469, 41]
    """
    if engine not in ("analytic", "montecarlo"):
        raise ArgumentError(f"unknown engine {engine!r}; available: 'analytic', 'montecarlo'")
    cols = _columns(document, scenarios, forces)
    results = [
        simulate(document, sc, engine=engine, reps=reps, seed=seed)  # type: ignore[arg-type]
        for _, sc in cols
    ]
    common = min(r.horizon for r in results)
    if days is not None:
        bad = [d for d in days if not 0 <= d <= common]
        if bad:
            raise ArgumentError(f"day {bad[0]} is outside the common horizon (0 to {common})")
    shown = (
        tuple(sorted(set(days)))
        if days
        else tuple(sorted({d for d in TABLE_DAYS if d <= common} | {common}))
    )
    areas = list(dict.fromkeys(a for r in results for a in r.areas))
    capability: dict[str, F64] = {}
    fraction: dict[str, F64] = {}
    summary: dict[str, list[Summary | None]] = {}
    C, T = len(results), common + 1
    for area in [*areas, FORCE]:
        cap = np.full((C, T), np.nan)
        frac = np.full((C, T), np.nan)
        summ: list[Summary | None] = []
        for c, r in enumerate(results):
            (_, sc) = cols[c]
            if area == FORCE:
                cur = r.data["area_capability"].values.sum(axis=0)
                base = r.data["area_baseline"].values.sum(axis=0)
                any_area = next(iter(r.summary.values()))
                summ.append(
                    summarise(
                        cur,
                        base,
                        thresholds=sc.thresholds,
                        recovery_level=sc.recovery_level,
                        start_day=any_area.first_cutoff_day,
                        end_day=any_area.cutoff_end_day,
                    )
                )
            elif area in r.areas:
                cur = r.data["area_capability"].sel(area=area).values
                base = r.data["area_baseline"].sel(area=area).values
                summ.append(r.summary[area])
            else:
                summ.append(None)
                continue
            cap[c] = cur[:T]
            frac[c] = fraction_of(cur, base)[:T]
        capability[area], fraction[area], summary[area] = cap, frac, summ
    all_areas = (*areas, FORCE)
    cap_days = {
        a: [
            None if np.isnan(capability[a][c]).all() else float(capability[a][c].sum())
            for c in range(C)
        ]
        for a in all_areas
    }
    diff = {
        a: [
            None if v is None or cap_days[a][0] is None else v - float(cap_days[a][0])  # type: ignore[arg-type]
            for v in cap_days[a]
        ]
        for a in all_areas
    }
    p_beats = None
    notes: list[str] = []
    if common < max(r.horizon for r in results):
        notes.append(f"horizons differ: capability-days are over the common days 0 to {common}")
    if engine == "montecarlo":
        totals = [_rep_totals(document, sc, reps, seed, common) for _, sc in cols]
        p_beats = {}
        for a in all_areas:
            row: list[float | None] = [None]
            for c in range(1, C):
                ia = _area_index(results[0], a)
                ic = _area_index(results[c], a)
                row.append(
                    None
                    if ia is None or ic is None
                    else p_greater(totals[0][:, ia], totals[c][:, ic])
                )
            p_beats[a] = row
        kept = min(len(t) for t in totals)
        notes.append(
            f"P(A beats B): capability-days per replication over days 0 to {common}, "
            f"{kept:,} replications per column, independent runs, every pair compared"
        )
    return Comparison(
        labels=tuple(label for label, _ in cols),
        scenarios=tuple(sc.name for _, sc in cols),
        forces=tuple(sc.force for _, sc in cols),
        areas=all_areas,
        engine=engine,
        horizon=common,
        days=shown,
        capability=capability,
        fraction=fraction,
        summary=summary,
        capability_days=cap_days,
        difference=diff,
        p_beats=p_beats,
        results=tuple(results),
        notes=tuple(notes),
    )


def _area_index(result: Result, area: str) -> int | None:
    """Column of ``area`` in :func:`_rep_totals` (areas in the result's order, then the
    force)."""
    if area == FORCE:
        return len(result.areas)
    return result.areas.index(area) if area in result.areas else None
