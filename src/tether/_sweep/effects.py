"""What a sweep shows: main effects of each axis on the force's days lost, worst cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tether._sweep.evaluate import FORCE_AREA

__all__ = ["MainEffect", "SeedSpread", "main_effects", "seed_spread", "worst_cases"]

#: Bins of a continuous axis's values for its main effect.
BINS = 5


@dataclass(frozen=True, slots=True)
class MainEffect:
    """Mean of ``metric`` at each level of ``axis`` (other axes averaged over); ``spread``
    is the largest level mean less the smallest: how far the axis alone moves it."""

    axis: str
    levels: dict[str, float]
    spread: float

    def to_dict(self) -> dict[str, Any]:
        return {"axis": self.axis, "spread": self.spread, "levels": dict(self.levels)}


def _force(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = frame[(frame["area"] == FORCE_AREA) & (frame["metric"] == metric)]
    return rows.drop(columns=["area", "metric"]).reset_index(drop=True)


def main_effects(
    frame: pd.DataFrame, axes: list[str], metric: str = "days_lost"
) -> list[MainEffect]:
    """Main effects of ``axes`` on the force-level ``metric``, largest spread first.

    A ``seeds`` axis is one level per seed (never binned): its spread is how far Monte
    Carlo noise alone moves the mean, to read beside the other axes' spreads."""
    rows = _force(frame, metric)
    out = []
    for ax in axes:
        col = rows[ax]
        if ax != "seeds" and pd.api.types.is_numeric_dtype(col) and col.nunique() > BINS:
            edges = np.unique(np.quantile(col, np.linspace(0, 1, BINS + 1)))
            keys = pd.Series(pd.cut(col.to_numpy(), list(edges), include_lowest=True))
        else:
            keys = col
        means = rows["value"].groupby(keys, sort=True, observed=True).mean()
        levels = {_level(k): float(v) for k, v in means.items()}
        spread = float(means.max() - means.min()) if len(means) else 0.0
        out.append(MainEffect(ax, levels, spread))
    return sorted(out, key=lambda e: (-e.spread, e.axis))


def _level(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def worst_cases(
    frame: pd.DataFrame, axes: list[str], n: int = 5, metric: str = "days_lost"
) -> pd.DataFrame:
    """The ``n`` scenarios with the largest force-level ``metric``, with their axes."""
    rows = _force(frame, metric)
    rows = rows.sort_values(["value", "scenario"], ascending=[False, True], kind="stable")
    return rows[["scenario", *axes, "value"]].head(n).rename(columns={"value": metric})


@dataclass(frozen=True, slots=True)
class SeedSpread:
    """How far the seeds move one point's ``metric``: over the points (every axis but
    ``seeds``), the mean standard deviation across seeds and the largest range."""

    seeds: int
    points: int
    mean_sd: float
    max_range: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "seeds": self.seeds,
            "points": self.points,
            "mean_sd": self.mean_sd,
            "max_range": self.max_range,
        }


def seed_spread(
    frame: pd.DataFrame, axes: list[str], metric: str = "days_lost"
) -> SeedSpread | None:
    """The spread across seeds of the force-level ``metric``; ``None`` without a seeds
    axis or with one seed."""
    if "seeds" not in axes:
        return None
    rows = _force(frame, metric)
    n = int(rows["seeds"].nunique())
    if n < 2:
        return None
    others = [a for a in axes if a != "seeds"]
    grouped = (
        rows.groupby(others, sort=False)["value"]
        if others
        else rows["value"].groupby(np.zeros(len(rows)))
    )
    sd = grouped.std(ddof=1)
    rng = grouped.max() - grouped.min()
    return SeedSpread(n, len(sd), float(sd.mean()), float(rng.max()))
