"""Summary metrics of a capability curve against its baseline (pure numpy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["REPORT_DAYS", "Summary", "fraction_of", "summarise"]

F64 = NDArray[np.float64]

#: Days at which tables report capability as a share of baseline.
REPORT_DAYS: tuple[int, ...] = (7, 30, 90, 180, 365)


def fraction_of(capability: F64, baseline: F64) -> F64:
    """``capability / baseline``, taken as 1 where the baseline is zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(baseline > 0, capability / np.where(baseline > 0, baseline, 1.0), 1.0)
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Summary:
    """Summary of one area (or fleet) over the horizon.

    ``time_to_survive[theta]`` is the first day the fraction of baseline is below
    ``theta`` (``None``: never within the horizon). ``days_lost`` is the sum over days of
    ``1 - fraction`` (days of the whole baseline capability lost);
    ``capability_days_lost`` the sum of ``baseline - capability`` in weighted unit-days.
    ``time_to_recover`` counts days from the end of the last cutoff until the fraction
    reaches ``recovery_level`` and stays there (``None``: no cutoff ends, or not recovered
    within the horizon).
    """

    baseline: float
    at_day: dict[int, float]
    time_to_survive: dict[float, int | None]
    days_lost: float
    capability_days_lost: float
    minimum: float
    minimum_day: int
    cutoff_end_day: int | None
    time_to_recover: int | None

    def to_dict(self) -> dict[str, object]:
        return {
            "baseline": self.baseline,
            "at_day": {str(k): v for k, v in self.at_day.items()},
            "time_to_survive": {f"{k:g}": v for k, v in self.time_to_survive.items()},
            "days_lost": self.days_lost,
            "capability_days_lost": self.capability_days_lost,
            "minimum": self.minimum,
            "minimum_day": self.minimum_day,
            "cutoff_end_day": self.cutoff_end_day,
            "time_to_recover": self.time_to_recover,
        }


def summarise(
    capability: F64,
    baseline: F64,
    *,
    thresholds: Sequence[float] = (0.75, 0.5),
    recovery_level: float = 0.99,
    end_day: int | None = None,
    report_days: Sequence[int] = REPORT_DAYS,
) -> Summary:
    """Summarise a daily capability curve (days ``0..H``) against its baseline.

    >>> import numpy as np
    >>> base = np.full(11, 10.0)
    >>> cap = np.array([10, 10, 8, 6, 4, 4, 6, 8, 10, 10, 10.0])
    >>> s = summarise(cap, base, end_day=5)
    >>> s.time_to_survive, s.days_lost, s.minimum, s.time_to_recover
    ({0.75: 3, 0.5: 4}, 2.4, 0.4, 3)
    """
    frac = fraction_of(capability, baseline)
    horizon = len(frac) - 1
    tts: dict[float, int | None] = {}
    for theta in thresholds:
        below = np.flatnonzero(frac < theta)
        tts[float(theta)] = int(below[0]) if below.size else None
    recover: int | None = None
    if end_day is not None and end_day <= horizon:
        low = np.flatnonzero(frac[end_day:] < recovery_level - 1e-12)
        if low.size == 0:
            recover = 0
        elif low[-1] + end_day < horizon:
            recover = int(low[-1] + 1)
    k = int(np.argmin(frac))
    return Summary(
        baseline=float(baseline[0]),
        at_day={d: float(frac[d]) for d in report_days if d <= horizon},
        time_to_survive=tts,
        days_lost=float(np.sum(1.0 - frac)),
        capability_days_lost=float(np.sum(baseline - capability)),
        minimum=float(frac[k]),
        minimum_day=k,
        cutoff_end_day=end_day,
        time_to_recover=recover,
    )
