"""Evaluate only what changes: which (part row, day) cells of the analytic engine need
their own Poisson evaluation (pure numpy).

A row whose demand is the same every day (constant tempo, the 'fleet' basis) has the
steady-state pipeline ``m = lam * sum_r share_r tau_r`` on every day its routes' clocks
do not disturb: before the first day any of its clocks stops (instant ``d0`` sees only
days before it), and from the first instant at which every failure made before the end
of the last stop is back (``A(t) >= A(end) + tau`` on each stopped route). Such a row
needs one evaluation for its steady state and one per day in between; a row none of
whose routes is ever stopped needs one in all. Rows whose demand changes by day are
evaluated on every day.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tether._engine.pipeline import Clock

__all__ = ["changing_days"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]


def _clock_span(ck: Clock) -> tuple[int, int]:
    """First day the clock stops and the day after its last stop, among the days that
    move instants ``0..H`` (``(H, H)`` if none)."""
    still = np.flatnonzero(np.diff(ck.A) == 0)
    H = len(ck.A) - 1
    if not len(still):
        return H, H
    return int(still[0]), int(still[-1]) + 1


def changing_days(
    clocks: list[Clock], cid: I64, share: F64, tau: F64, flat: B8, T: int
) -> tuple[I64, I64]:
    """Per row, the days ``[lo, hi)`` that need their own evaluation; outside them the
    row is at its steady state. ``cid``, ``share`` and ``tau`` are ``[n, R]`` for the rows,
    ``flat [n]`` whether each row's demand is the same every day."""
    n = len(flat)
    lo = np.full(n, T, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    for c in np.unique(cid[share > 0]):
        if c == 0:
            continue
        ck = clocks[int(c)]
        first, end = _clock_span(ck)
        if first >= T - 1:
            continue
        rows, routes = np.nonzero((share > 0) & (cid == c))
        np.minimum.at(lo, rows, first + 1)
        back = np.searchsorted(ck.A, ck.A[end] + tau[rows, routes], side="left")
        np.maximum.at(hi, rows, back)
    lo = np.where(flat, lo, 0)
    hi = np.where(flat, np.maximum(hi, lo), T)
    return lo, np.minimum(hi, T)
