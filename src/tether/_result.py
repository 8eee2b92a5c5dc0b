"""Results: labelled arrays over (area, fleet, day), summaries, and their exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from tether._errors import TetherError
from tether._metrics import REFERENCE, Summary, finite

__all__ = ["DRIVER_NAMES", "Result"]

#: What a capability loss is attributed to: the four factors of a fleet's capability
#: (``parts`` is the availability factor). See docs/model.md, "What drives a loss".
DRIVER_NAMES: tuple[str, ...] = ("parts", "software", "munitions", "services")

#: Per-fleet variables of a result's dataset, besides the capability curves.
FLEET_FACTORS: tuple[str, ...] = ("availability", "software", "munitions", "services")


@dataclass(frozen=True, eq=False)
class Result:
    """The outcome of simulating one scenario.

    ``data`` is an :class:`xarray.Dataset` with coordinates ``area``, ``fleet`` and
    ``day``. Per fleet: ``availability``, ``software``, ``munitions``, ``services``
    (factors in [0, 1]), ``backorders`` (expected, summed over parts), ``capability`` and
    ``baseline_capability`` (unit-equivalents), ``fraction`` (of baseline). Per area:
    ``area_capability``, ``area_baseline``, ``area_fraction``. The baseline is the
    same-day no-cutoff capability; ``baseline_software`` (and the other factors) are its
    factors. ``lost`` (per fleet) and ``area_lost`` (per area) split the daily loss
    ``baseline - capability`` over the ``driver`` coordinate (:data:`DRIVER_NAMES`).
    ``summary`` holds the summary metrics per area (on the mean curves); ``fleet_summary``
    per fleet. ``drivers[area][driver]`` is the capability-days lost to each driver over
    the horizon (they sum to the area's ``capability_days_lost``); ``fleet_drivers`` the
    same per fleet. ``warnings`` holds what the user should know about the input (a
    cutoff after the horizon); an area that runs short without any cutoff is flagged by
    its summary's ``baseline_short_day``.

    From the Monte Carlo engine, also: ``capability_se``, ``availability_se`` and
    ``area_capability_se`` (standard errors of the means); ``area_capability_q``,
    ``area_fraction_q`` and ``fraction_q`` (quantile bands over the ``quantile``
    coordinate); ``area_prob_above`` (probability that the area is at or above each
    ``threshold`` times its mean baseline). ``settings`` records reps, seed and
    cannibalisation; ``notes`` what the engine left out.
    """

    scenario: str
    title: str | None
    engine: str
    data: xr.Dataset
    summary: dict[str, Summary]
    fleet_summary: dict[str, Summary]
    assumptions: dict[str, tuple[str, ...]]
    notes: tuple[str, ...] = ()
    settings: dict[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    drivers: dict[str, dict[str, float]] = field(default_factory=dict)
    fleet_drivers: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def has_bands(self) -> bool:
        """Whether the result carries Monte Carlo bands."""
        return "area_fraction_q" in self.data

    def band(self, area: str, quantile: float) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Daily fraction of baseline at ``quantile`` for ``area`` (Monte Carlo only)."""
        if not self.has_bands:
            raise TetherError("this result has no bands: run the Monte Carlo engine")
        if area not in self.areas:
            raise TetherError(f"no area '{area}' in this result (have: {', '.join(self.areas)})")
        # the area exactly (text labels), the quantile nearest among those computed
        values = (
            self.data["area_fraction_q"].sel(area=area).sel(quantile=quantile, method="nearest")
        )
        return np.asarray(values.values, dtype=np.float64)

    @property
    def horizon(self) -> int:
        return int(self.data.sizes["day"]) - 1

    @property
    def areas(self) -> list[str]:
        return [str(a) for a in self.data["area"].values]

    @property
    def fleets(self) -> list[str]:
        return [str(f) for f in self.data["fleet"].values]

    def fraction(self, area: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Daily capability of ``area`` as a fraction of its baseline."""
        if area not in self.areas:
            raise TetherError(f"no area '{area}' in this result (have: {', '.join(self.areas)})")
        return np.asarray(self.data["area_fraction"].sel(area=area).values, dtype=np.float64)

    def to_dataframe(self, level: str = "area") -> pd.DataFrame:
        """A long table, one row per (area, day) or per (fleet, day).

        ``baseline`` is the same-day no-cutoff capability; ``lost_parts``,
        ``lost_software``, ``lost_munitions`` and ``lost_services`` split that day's
        ``baseline - capability`` by driver.
        """
        if level == "area":
            names = ["area_capability", "area_baseline", "area_fraction"]
            frame = self.data[names].to_dataframe().reset_index()
            frame.columns = pd.Index(["area", "day", "capability", "baseline", "fraction"])
            self._add_lost(frame, "area_lost", "area")
            if self.has_bands:
                for q in self.data["quantile"].values:
                    band = self.data["area_fraction_q"].sel(quantile=q)
                    frame[f"fraction_p{round(100 * q)}"] = band.transpose(
                        "area", "day"
                    ).values.ravel()
                for th in self.data["threshold"].values:
                    prob = self.data["area_prob_above"].sel(threshold=th)
                    frame[f"prob_above_{th:g}"] = prob.transpose("area", "day").values.ravel()
        elif level == "fleet":
            names = [*FLEET_FACTORS, "backorders", "capability", "baseline_capability", "fraction"]
            frame = self.data[names].to_dataframe().reset_index()
            frame = frame.rename(columns={"baseline_capability": "baseline"})
            self._add_lost(frame, "lost", "fleet")
        else:
            raise TetherError(f"level must be 'area' or 'fleet', not {level!r}")
        frame.insert(0, "scenario", self.scenario)
        return frame

    def _add_lost(self, frame: pd.DataFrame, name: str, dim: str) -> None:
        if name not in self.data:
            return
        lost = self.data[name]
        for d in DRIVER_NAMES:
            frame[f"lost_{d}"] = lost.sel(driver=d).transpose(dim, "day").values.ravel()

    def summary_frame(self) -> pd.DataFrame:
        """Summary metrics, one row per area (fractions of the same-day no-cutoff
        baseline; ``lost_*``: capability-days lost to each driver)."""
        rows = []
        for area, s in self.summary.items():
            row: dict[str, object] = {"scenario": self.scenario, "area": area}
            row.update(
                baseline=s.baseline,
                baseline_min=s.baseline_min,
                baseline_min_day=s.baseline_min_day,
                baseline_short_day=s.baseline_short_day,
            )
            row.update({f"day_{d}": v for d, v in s.at_day.items()})
            row["first_cutoff_day"] = s.first_cutoff_day
            row.update({f"tts_{k:g}": v for k, v in s.time_to_survive.items()})
            row.update({f"survive_day_{k:g}": v for k, v in s.survive_day.items()})
            row.update(
                days_lost=s.days_lost,
                capability_days_lost=s.capability_days_lost,
                minimum=s.minimum,
                minimum_day=s.minimum_day,
                cutoff_end_day=s.cutoff_end_day,
                time_to_recover=s.time_to_recover,
            )
            row.update({f"lost_{d}": v for d, v in self.drivers.get(area, {}).items()})
            rows.append(row)
        frame = pd.DataFrame(rows)
        # whole days with gaps (None) stay integers
        for col in frame.columns:
            if col.startswith(("tts_", "survive_day_")) or col.endswith("_day"):
                frame[col] = frame[col].astype("Int64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; its shape is documented in ``docs/json.md``.

        Every number is finite (``json.dumps(..., allow_nan=False)`` accepts it); a
        value that is not (which bounded inputs do not produce) is ``null``.
        """

        def rounded(values: Any) -> list[float | None]:
            return [finite(round(float(v), 6)) for v in np.asarray(values).ravel()]

        areas = []
        for area in self.areas:
            sel = self.data.sel(area=area)
            entry: dict[str, Any] = {
                "name": area,
                "fraction": rounded(self.fraction(area)),
                "baseline": rounded(sel["area_baseline"].values),
                "capability": rounded(sel["area_capability"].values),
                "metrics": self.summary[area].to_dict(),
                "drivers": _finite_map(self.drivers.get(area, {})),
                "assumptions": list(self.assumptions.get(area, ())),
            }
            if self.has_bands:
                entry["bands"] = {
                    f"p{round(100 * q)}": rounded(sel["area_fraction_q"].sel(quantile=q).values)
                    for q in self.data["quantile"].values
                }
                entry["prob_above"] = {
                    f"{th:g}": rounded(sel["area_prob_above"].sel(threshold=th).values)
                    for th in self.data["threshold"].values
                }
                base = sel["area_baseline"].values
                se = sel["area_capability_se"].values
                entry["fraction_stderr"] = rounded(
                    np.where(base > 0, se / np.where(base > 0, base, 1), 0)
                )
            areas.append(entry)
        fleets = []
        for fleet in self.fleets:
            sel = self.data.sel(fleet=fleet)
            fleets.append(
                {
                    "name": fleet,
                    "area": str(sel["area_of"].values),
                    "units_held": round(float(sel["units"].values)),
                    "units_on_order": round(float(sel.get("units_on_order", 0))),
                    "fraction": rounded(sel["fraction"].values),
                    "availability": rounded(sel["availability"].values),
                    "baseline": rounded(sel["baseline_capability"].values),
                    "capability": rounded(sel["capability"].values),
                    "metrics": self.fleet_summary[fleet].to_dict(),
                    "drivers": _finite_map(self.fleet_drivers.get(fleet, {})),
                }
            )
        return {
            "scenario": self.scenario,
            "title": self.title,
            "engine": self.engine,
            "settings": dict(self.settings),
            "reference": REFERENCE,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "horizon_days": self.horizon,
            "areas": areas,
            "fleets": fleets,
        }

    def plot(self) -> Any:
        """A plotly Figure of capability per area over time, with Monte Carlo bands
        (needs the ``web`` extra)."""
        from tether._report.charts import capability_figure

        return capability_figure(self)

    def write(self, directory: str | Path) -> list[Path]:
        """Write area and fleet tables and the summary as CSV and Parquet files."""
        out = Path(directory)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TetherError(f"cannot create output directory {out}: {exc.strerror}") from None
        written: list[Path] = []
        tables = {
            "areas": self.to_dataframe("area"),
            "fleets": self.to_dataframe("fleet"),
            "summary": self.summary_frame(),
        }
        for name, frame in tables.items():
            stem = out / f"{self.scenario}.{name}"
            csv, parquet = (
                stem.with_suffix(stem.suffix + ".csv"),
                stem.with_suffix(stem.suffix + ".parquet"),
            )
            frame.to_csv(csv, index=False)
            frame.to_parquet(parquet, index=False)
            written += [csv, parquet]
        return written


def _finite_map(values: dict[str, float]) -> dict[str, float | None]:
    return {k: finite(round(float(v), 6)) for k, v in values.items()}
