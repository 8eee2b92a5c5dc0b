"""Summary metrics of a capability curve against its baseline (pure numpy).

The reference of every fraction is the *same-day no-cutoff baseline*: the capability the
same force would have on that day without any cutoff. Day counts of time to survive are
counted from the first cutoff's start; ``days_lost`` is counted in days of the *day-0*
no-cutoff capability. :func:`drivers` splits a loss over the four capability factors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tether._engine.mc_watch import Spread

__all__ = ["REFERENCE", "REPORT_DAYS", "Summary", "drivers", "fraction_of", "summarise"]

F64 = NDArray[np.float64]

#: Days at which tables report capability as a share of baseline.
REPORT_DAYS: tuple[int, ...] = (7, 30, 90, 180, 365)

#: What every fraction of a summary is a fraction of.
REFERENCE = "same-day no-cutoff baseline"


def fraction_of(capability: F64, baseline: F64) -> F64:
    """``capability / baseline``, taken as 1 where the baseline is zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(baseline > 0, capability / np.where(baseline > 0, baseline, 1.0), 1.0)
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Summary:
    """Summary of one area (or fleet) over the horizon.

    Fractions (``at_day``, ``minimum``, the thresholds of ``time_to_survive``) are of the
    same-day no-cutoff baseline. ``baseline`` is the no-cutoff capability on day 0;
    ``baseline_min`` (on ``baseline_min_day``) its lowest value over the horizon, and
    ``baseline_short_day`` the first day the no-cutoff curve itself is below the first
    threshold times ``baseline`` (``None``: never; otherwise the force runs short even
    without a cutoff).

    ``time_to_survive[theta]`` counts days from ``first_cutoff_day`` (from day 0 when no
    cutoff starts within the horizon) until the fraction is first below ``theta`` (0: on
    that day; ``None``: never within the horizon); ``survive_day[theta]`` is the same as an
    absolute day. ``capability_days_lost`` is the sum over days of ``baseline - capability``
    in weighted unit-days; ``days_lost`` the same in days of the day-0 baseline
    (``capability_days_lost / baseline``; 0 when that baseline is 0). ``time_to_recover``
    counts days from ``cutoff_end_day`` (the end of the last cutoff; ``None`` when none
    ends within the horizon) until the fraction reaches ``recovery_level`` and stays there
    (``None``: not within the horizon); it is never negative.

    Monte Carlo runs add ``survive_spread`` (per threshold) and ``recover_spread``: the
    same day counts computed per replication (against the mean baseline, the recovery
    from each replication's own cutoff end) and their P10, median and P90 over the
    replications (:class:`~tether._engine.mc_watch.Spread`); ``None`` otherwise.
    """

    baseline: float
    baseline_min: float
    baseline_min_day: int
    baseline_short_day: int | None
    at_day: dict[int, float]
    first_cutoff_day: int | None
    time_to_survive: dict[float, int | None]
    survive_day: dict[float, int | None]
    days_lost: float
    capability_days_lost: float
    minimum: float
    minimum_day: int
    cutoff_end_day: int | None
    time_to_recover: int | None
    survive_spread: dict[float, Spread | None] | None = None
    recover_spread: Spread | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: every float finite (see :func:`finite`)."""
        return {
            "reference": REFERENCE,
            "baseline": finite(self.baseline),
            "baseline_min": finite(self.baseline_min),
            "baseline_min_day": self.baseline_min_day,
            "baseline_short_day": self.baseline_short_day,
            "at_day": {str(k): finite(v) for k, v in self.at_day.items()},
            "first_cutoff_day": self.first_cutoff_day,
            "time_to_survive": {f"{k:g}": v for k, v in self.time_to_survive.items()},
            "survive_day": {f"{k:g}": v for k, v in self.survive_day.items()},
            "days_lost": finite(self.days_lost),
            "capability_days_lost": finite(self.capability_days_lost),
            "minimum": finite(self.minimum),
            "minimum_day": self.minimum_day,
            "cutoff_end_day": self.cutoff_end_day,
            "time_to_recover": self.time_to_recover,
        } | self._spreads()

    def _spreads(self) -> dict[str, object]:
        """The per-replication spreads, when there are any (Monte Carlo)."""
        out: dict[str, object] = {}
        if self.survive_spread is not None:
            out["time_to_survive_spread"] = {
                f"{k:g}": None if v is None else v.to_dict() for k, v in self.survive_spread.items()
            }
            out["time_to_recover_spread"] = (
                None if self.recover_spread is None else self.recover_spread.to_dict()
            )
        return out


def finite(value: float) -> float | None:
    """``value`` as a float, or ``None`` (JSON ``null``: not a number) when it is NaN or
    infinite. Inputs are bounded, so results are finite; this guards the JSON anyway."""
    v = float(value)
    return v if np.isfinite(v) else None


def summarise(
    capability: F64,
    baseline: F64,
    *,
    thresholds: Sequence[float] = (0.75, 0.5),
    recovery_level: float = 0.99,
    end_day: int | None = None,
    start_day: int | None = None,
    report_days: Sequence[int] = REPORT_DAYS,
) -> Summary:
    """Summarise a daily capability curve (days ``0..H``) against its no-cutoff baseline.

    ``start_day`` is the first cutoff's start and ``end_day`` the last cutoff's end
    (either ``None``, or past the horizon: none within it).

    >>> import numpy as np
    >>> base = np.full(11, 10.0)
    >>> cap = np.array([10, 10, 8, 6, 4, 4, 6, 8, 10, 10, 10.0])
    >>> s = summarise(cap, base, start_day=2, end_day=5)
    >>> s.time_to_survive, s.survive_day
    ({0.75: 1, 0.5: 2}, {0.75: 3, 0.5: 4})
    >>> s.days_lost, s.capability_days_lost, s.minimum, s.time_to_recover
    (2.4, 24.0, 0.4, 3)
    """
    capability = np.asarray(capability, dtype=np.float64)
    baseline = np.asarray(baseline, dtype=np.float64)
    frac = fraction_of(capability, baseline)
    horizon = len(frac) - 1
    start = start_day if start_day is not None and 0 <= start_day <= horizon else None
    origin = 0 if start is None else start
    tts: dict[float, int | None] = {}
    absolute: dict[float, int | None] = {}
    for theta in thresholds:
        below = np.flatnonzero(frac[origin:] < theta)
        tts[float(theta)] = int(below[0]) if below.size else None
        absolute[float(theta)] = int(below[0]) + origin if below.size else None
    end = end_day if end_day is not None and 0 <= end_day <= horizon else None
    recover: int | None = None
    if end is not None:
        low = np.flatnonzero(frac[end:] < recovery_level - 1e-12)
        if low.size == 0:
            recover = 0
        elif low[-1] + end < horizon:
            recover = int(low[-1] + 1)
    base0 = float(baseline[0])
    short = np.flatnonzero(baseline < thresholds[0] * base0) if thresholds and base0 > 0 else None
    lost = float(np.sum(baseline - capability))
    k = int(np.argmin(frac))
    kb = int(np.argmin(baseline))
    return Summary(
        baseline=base0,
        baseline_min=float(baseline[kb]),
        baseline_min_day=kb,
        baseline_short_day=int(short[0]) if short is not None and short.size else None,
        at_day={d: float(frac[d]) for d in report_days if d <= horizon},
        first_cutoff_day=start,
        time_to_survive=tts,
        survive_day=absolute,
        days_lost=lost / base0 if base0 > 0 else 0.0,
        capability_days_lost=lost,
        minimum=float(frac[k]),
        minimum_day=k,
        cutoff_end_day=end,
        time_to_recover=recover,
    )


def drivers(base_factors: F64, factors: F64, loss: F64) -> F64:
    """Split ``loss`` (``[...]``) over capability factors (``[K, ...]``): exact and additive.

    Capability is a product of factors, so its log-ratio to the baseline is a sum:
    ``ln(C0/C) = sum_k ln(f0_k/f_k)``. Factor ``k`` takes the share
    ``ln(f0_k/f_k) / sum_j ln(f0_j/f_j)`` of the loss; the shares sum to 1, so the parts
    always sum to ``loss``. A factor that rose above its baseline takes a negative share.
    Special cases: factors that fell to 0 from above 0 take the whole loss between them
    (a gain, if all of them rose from 0); when the log-ratios cancel to 0 the loss (a
    rounding residue, or Monte Carlo noise) is split in proportion to ``|ln(f0/f)|``, and
    equally when no factor moved.

    >>> import numpy as np
    >>> f0 = np.array([[0.9], [1.0], [1.0], [1.0]])
    >>> f = np.array([[0.9], [0.5], [1.0], [0.25]])  # software halved, services quartered
    >>> [round(float(v), 4) for v in drivers(f0, f, np.array([0.9 - 0.9 * 0.5 * 0.25]))[:, 0]]
    [0.0, 0.2625, 0.0, 0.525]
    """
    f0 = np.asarray(base_factors, dtype=np.float64)
    f = np.asarray(factors, dtype=np.float64)
    n = f.shape[0]
    pos0, pos = f0 > 0, f > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        both = pos0 & pos
        logs = np.where(both, np.log(np.where(both, f0, 1.0)) - np.log(np.where(both, f, 1.0)), 0)
    fell = pos0 & ~pos  # from >0 to 0: an infinite log-ratio
    rose = ~pos0 & pos  # from 0 to >0
    total = logs.sum(axis=0)
    absolute = np.abs(logs).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            np.abs(total) > 1e-9,
            logs / np.where(np.abs(total) > 1e-9, total, 1.0),
            np.where(absolute > 0, np.abs(logs) / np.where(absolute > 0, absolute, 1.0), 1.0 / n),
        )
        for mask in (rose, fell):  # fell overrides rose: it makes the capability 0
            count = mask.sum(axis=0)
            share = np.where(count > 0, mask / np.maximum(count, 1), share)
    return np.asarray(share * np.asarray(loss, dtype=np.float64)[None], dtype=np.float64)
