"""Results: labelled arrays over (area, fleet, day), summaries, and their exports."""

from __future__ import annotations

from dataclasses import dataclass
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
    ``summary`` holds the summary metrics per area; ``fleet_summary`` per fleet.
    """

    scenario: str
    title: str | None
    engine: str
    data: xr.Dataset
    summary: dict[str, Summary]
    fleet_summary: dict[str, Summary]
    assumptions: dict[str, tuple[str, ...]]

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
        areas = []
        for area in self.areas:
            areas.append(
                {
                    "name": area,
                    "fraction": [round(float(v), 6) for v in self.fraction(area)],
                    "metrics": self.summary[area].to_dict(),
                    "assumptions": list(self.assumptions.get(area, ())),
                }
            )
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
