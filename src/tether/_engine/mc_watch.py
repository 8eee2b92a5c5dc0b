"""Monte Carlo: per-replication summaries, reduced chunk by chunk in bounded memory.

For weighted sums of fleet capability (areas, fleets: the rows of ``weights``), each
replication's curve is compared with the baseline's *mean* curve (the same-day no-cutoff
baseline every summary uses) to give its time to survive (first day from the first
cutoff's start with a fraction below each threshold) and its time to recover (days after
*its own* last cutoff end, for sampled lengths, until the fraction reaches the recovery
level and stays there), and whether it is at or above each threshold on each day.
Nothing per replication is kept: day counts go into histograms over ``0..T`` (exact
quantiles, ``W x T`` integers whatever the number of replications), and the
above-threshold indicator into counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["Spread", "Watch", "Watched", "spread"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Slack on the fraction comparisons (as in :func:`tether._metrics.summarise`).
EPS = 1e-12


@dataclass(frozen=True, eq=False)
class Watch:
    """What to summarise per replication of batch member ``member``, against the mean
    capability of member ``baseline`` (simulated before it).

    ``weights [W, F]``: the curves (e.g. areas, then fleets). ``start_day``: the first
    cutoff's start (``None``: count from day 0). ``cutoffs``: indices into the plan's
    cutoff table whose latest end, per replication, is the origin of the time to recover
    (empty: none; any that never ends: none).
    """

    weights: F64
    thresholds: tuple[float, ...]
    recovery_level: float
    start_day: int | None
    cutoffs: I64
    member: int = 1
    baseline: int = 0


@dataclass(eq=False)
class Watched:
    """Histograms over replications: ``survive [W, n_thresholds, T + 1]`` (days from the
    start; the last bin: never within the horizon), ``recover [W, T + 1]`` (days from the
    replication's last cutoff end; the last bin: not within the horizon), ``no_end [W]``
    replications whose cutoffs did not end within the horizon (not in ``recover``), and
    ``above [n_thresholds, W, T]`` replications at or above each threshold on each day."""

    survive: I64
    recover: I64
    no_end: I64
    above: I64
    reps: int = 0
    _base: F64 | None = field(default=None, repr=False)

    @classmethod
    def empty(cls, watch: Watch, horizon: int) -> Watched:
        W, n, T = watch.weights.shape[0], len(watch.thresholds), horizon + 1
        return cls(
            survive=np.zeros((W, n, T + 1), dtype=np.int64),
            recover=np.zeros((W, T + 1), dtype=np.int64),
            no_end=np.zeros(W, dtype=np.int64),
            above=np.zeros((n, W, T), dtype=np.int64),
        )

    def set_baseline(self, watch: Watch, base_mean: F64) -> None:
        """The baseline's mean fleet capability ``[F, T]``."""
        self._base = watch.weights @ base_mean

    def add(self, watch: Watch, capability: F64, ends: I64 | None) -> None:
        """Add a chunk: fleet capability ``[r, F, T]``, and each replication's last
        cutoff end (``[r]``; ``None``: no end within the horizon)."""
        assert self._base is not None, "the baseline member must be simulated first"
        base = self._base
        r, T = capability.shape[0], capability.shape[2]
        W = base.shape[0]
        cap = np.einsum("wf,rft->rwt", watch.weights, capability)
        ok = base > 0
        frac = np.where(ok[None], cap / np.where(ok, base, 1.0)[None], 1.0)
        start = watch.start_day if watch.start_day is not None and watch.start_day < T else 0
        tail = frac[:, :, start:]
        cols = np.arange(W)[None, :]
        for i, theta in enumerate(watch.thresholds):
            below = tail < theta
            first = np.where(below.any(axis=2), below.argmax(axis=2), T)  # [r, W]
            np.add.at(self.survive[:, i], (np.broadcast_to(cols, first.shape), first), 1)
            self.above[i] += (frac >= theta - EPS).sum(axis=0)
        if ends is not None:
            low = frac < watch.recovery_level - EPS  # [r, W, T]
            day = np.arange(T)
            after = day[None, None, :] >= ends[:, None, None]
            last = np.where(low & after, day[None, None, :], -1).max(axis=2)  # [r, W]
            within = ends < T
            days = np.where(last < 0, 0, last + 1 - ends[:, None])
            days = np.where(last >= T - 1, T, days)  # still low on the last day: not yet
            rows = np.broadcast_to(cols, days.shape)
            np.add.at(self.recover, (rows[within], days[within]), 1)
            self.no_end += (~within).sum()
        self.reps += r


@dataclass(frozen=True, slots=True)
class Spread:
    """A day count's distribution over replications: P10, median and P90 (order
    statistics: the smallest day with at least that share of replications at or below
    it; ``None``: beyond the horizon), and the share of replications where it does not
    happen within the horizon."""

    p10: int | None
    median: int | None
    p90: int | None
    never: float

    def to_dict(self) -> dict[str, object]:
        return {"p10": self.p10, "median": self.median, "p90": self.p90, "never": self.never}


def spread(counts: I64) -> Spread | None:
    """:class:`Spread` of a histogram over ``0..T-1`` plus a last 'never' bin (``None``
    when it is empty)."""
    total = int(counts.sum())
    if total == 0:
        return None
    cdf = np.cumsum(counts)
    last = len(counts) - 1

    def q(p: float) -> int | None:
        k = int(np.searchsorted(cdf, p * total - 1e-9))
        return None if k >= last else k

    return Spread(q(0.1), q(0.5), q(0.9), float(counts[-1]) / total)
