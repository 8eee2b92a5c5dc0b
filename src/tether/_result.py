"""Results: labelled arrays over (area, fleet, day), summaries, and their exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from tether._errors import TetherError
from tether._metrics import Summary

__all__ = ["Result"]

#: Per-fleet variables of a result's dataset, besides the capability curves.
FLEET_FACTORS: tuple[str, ...] = ("availability", "software", "munitions", "services")


@dataclass(frozen=True, eq=False)
class Result:
    """The outcome of simulating one scenario.

    ``data`` is an :class:`xarray.Dataset` with coordinates ``area``, ``fleet`` and
    ``day``. Per fleet: ``availability``, ``software``, ``munitions``, ``services``
    (factors in [0, 1]), ``backorders`` (expected, summed over parts), ``capability`` and
    ``baseline_capability`` (unit-equivalents), ``fraction`` (of baseline). Per area:
    ``area_capability``, ``area_baseline``, ``area_fraction``.
    ``summary`` holds the summary metrics per area (on the mean curves); ``fleet_summary``
    per fleet.

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

    @property
    def has_bands(self) -> bool:
        """Whether the result carries Monte Carlo bands."""
        return "area_fraction_q" in self.data

    def band(self, area: str, quantile: float) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Daily fraction of baseline at ``quantile`` for ``area`` (Monte Carlo only)."""
        if not self.has_bands:
            raise TetherError("this result has no bands: run the Monte Carlo engine")
        values = self.data["area_fraction_q"].sel(area=area, quantile=quantile, method="nearest")
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
        """A long table, one row per (area, day) or per (fleet, day)."""
        if level == "area":
            names = ["area_capability", "area_baseline", "area_fraction"]
            frame = self.data[names].to_dataframe().reset_index()
            frame.columns = pd.Index(["area", "day", "capability", "baseline", "fraction"])
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
        else:
            raise TetherError(f"level must be 'area' or 'fleet', not {level!r}")
        frame.insert(0, "scenario", self.scenario)
        return frame

    def summary_frame(self) -> pd.DataFrame:
        """Summary metrics, one row per area."""
        rows = []
        for area, s in self.summary.items():
            row: dict[str, object] = {"scenario": self.scenario, "area": area}
            row["baseline"] = s.baseline
            row.update({f"day_{d}": v for d, v in s.at_day.items()})
            row.update({f"tts_{k:g}": v for k, v in s.time_to_survive.items()})
            row.update(
                days_lost=s.days_lost,
                capability_days_lost=s.capability_days_lost,
                minimum=s.minimum,
                minimum_day=s.minimum_day,
                time_to_recover=s.time_to_recover,
            )
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; its shape is documented in ``docs/json.md``."""

        def rounded(values: Any) -> list[float]:
            return [round(float(v), 6) for v in values]

        areas = []
        for area in self.areas:
            entry: dict[str, Any] = {
                "name": area,
                "fraction": rounded(self.fraction(area)),
                "metrics": self.summary[area].to_dict(),
                "assumptions": list(self.assumptions.get(area, ())),
            }
            if self.has_bands:
                sel = self.data.sel(area=area)
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
                    "fraction": [round(float(v), 6) for v in sel["fraction"].values],
                    "availability": [round(float(v), 6) for v in sel["availability"].values],
                    "metrics": self.fleet_summary[fleet].to_dict(),
                }
            )
        return {
            "scenario": self.scenario,
            "title": self.title,
            "engine": self.engine,
            "settings": dict(self.settings),
            "notes": list(self.notes),
            "horizon_days": self.horizon,
            "areas": areas,
            "fleets": fleets,
        }

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
