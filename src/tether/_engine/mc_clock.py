"""Monte Carlo: cutoff masks per replication, pipeline clocks, and return instants.

Conventions match the analytic engine: a failure at time ``u + xi`` (day ``u``, ``xi`` in
(0, 1)) on a route with turnaround ``tau`` is back at the first instant ``t`` with
``A(t) >= A(u + xi) + tau``, ``A`` the route's clock (active days before ``t``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan, route_clock_masks

__all__ = ["Clocks", "build_clocks", "sample_cut", "sample_cuts"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]


def sample_cut(plan: Plan, b: int, reps: int, rng: np.random.Generator) -> B8:
    """Cut masks ``[R, S, K, T]`` for batch member ``b``; ``R`` is 1 when no length is random.

    Random lengths are drawn per replication: uniform over whole days, or lognormal
    rounded to whole days (at least 1).
    """
    return sample_cuts(plan, b, reps, rng)[0]


def sample_cuts(plan: Plan, b: int, reps: int, rng: np.random.Generator) -> tuple[B8, I64]:
    """:func:`sample_cut`, and the end day of each of member ``b``'s cutoffs (in the
    order of the plan's cutoff table) per replication, ``[R, C_b]``: ``horizon + 1`` or
    more when it does not end within the horizon."""
    T = plan.horizon + 1
    mine = np.flatnonzero(plan.co_batch == b)
    if not (plan.co_dist[mine] > 0).any():
        fixed: B8 = plan.cut[b][None]
        ends = np.where(plan.co_end[mine] < 0, T, plan.co_end[mine])[None].astype(np.int64)
        return fixed, ends
    t = np.arange(T)
    cut = np.zeros((reps, *plan.cut.shape[1:]), dtype=np.bool_)
    all_ends = np.empty((reps, len(mine)), dtype=np.int64)
    for i, c in enumerate(mine):
        start = plan.co_start[c]
        if plan.co_dist[c] == 0:
            end = np.full(reps, T if plan.co_end[c] < 0 else plan.co_end[c])
        elif plan.co_dist[c] == 1:
            end = start + rng.integers(int(plan.co_a[c]), int(plan.co_b[c]) + 1, size=reps)
        else:
            length = np.rint(rng.lognormal(np.log(plan.co_a[c]), plan.co_b[c], size=reps))
            end = start + np.maximum(length, 1).astype(np.int64)
        all_ends[:, i] = end
        days = (t[None, :] >= start) & (t[None, :] < end[:, None])  # [R, T]
        cut |= plan.co_stop[c][None, :, :, None] & days[:, None, None, :]
    return cut, all_ends


@dataclass(frozen=True, slots=True)
class Clocks:
    """Stacked clocks ``[C, R', T]`` and first-instant tables ``[C, R', T + 2]``.

    ``cid[p, r]`` is the clock of part row ``p`` on route ``r``; clock 0 never stops.
    ``R'`` is 1 when the masks are the same for every replication.
    """

    A: I64
    active: B8
    first: I64
    cid: I64
    _tables: dict[bytes, tuple[NDArray[np.int32], NDArray[np.int32], F64]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def _row(self, rep: I64, part: I64, route: I64) -> I64:
        """Flat row index (clock, replication) of each item."""
        c: I64 = np.take(self.cid.ravel(), part * self.cid.shape[1] + route)
        if self.A.shape[1] == 1:
            return c
        out: I64 = c * self.A.shape[1] + rep
        return out

    def back(self, rep: I64, part: I64, route: I64, day: I64, xi: F64, tau: F64) -> I64:
        """Return instants of failures at ``day + xi``; ``horizon + 1`` means not within it."""
        row = self._row(rep, part, route)
        at = row * self.A.shape[2] + day
        y = np.take(self.A.ravel(), at) + np.take(self.active.ravel(), at) * xi + tau
        width = self.first.shape[2]
        k = np.minimum(np.ceil(y).astype(np.int64), width - 1)
        out: I64 = np.take(self.first.ravel(), row * width + k)
        return out

    def return_tables(
        self, rows: I64, tau: F64
    ) -> tuple[NDArray[np.int32], NDArray[np.int32], F64]:
        """Return instants by failure day, for clocks shared by every replication.

        For route-rows ``rows`` (part * 3 + route) with turnarounds ``tau = n + phi``, a
        failure on day ``u`` at ``u + xi`` is back at ``late[i, u]`` if ``xi > threshold[i]``
        and at ``early[i, u]`` otherwise: on an active day ``ceil(A(u) + xi + tau)`` is
        ``A(u) + n + 1``, plus one when ``xi > 1 - phi``; on a cut day it is
        ``A(u) + ceil(tau)``.
        """
        assert self.A.shape[1] == 1
        key = rows.tobytes() + tau.tobytes()
        cached = self._tables.get(key)
        if cached is not None:
            return cached
        c = self.cid.ravel()[rows]
        A = self.A[c, 0]  # [n, T]
        active = self.active[c, 0]
        n = np.floor(tau)[:, None].astype(np.int64)
        frac = (tau - np.floor(tau))[:, None]
        width = self.first.shape[2]
        first = self.first[c, 0]

        def at(k: I64) -> NDArray[np.int32]:
            return np.take_along_axis(first, np.minimum(k, width - 1), axis=1).astype(np.int32)

        cut_k = A + n + (frac > 0)
        early = at(np.where(active, A + n + 1, cut_k))
        late = at(np.where(active, A + n + 2, cut_k))
        threshold = np.where(frac[:, 0] > 0, 1.0 - frac[:, 0], 1.0)
        self._tables[key] = (early, late, threshold)
        return early, late, threshold

    def back_from(self, rep: I64, part: I64, route: I64, instant: I64, tau: F64) -> I64:
        """Return instants of items inducted at ``instant`` (a whole day)."""
        c = self.cid[part, route]
        r = rep if self.A.shape[1] > 1 else np.zeros_like(rep)
        k = self.A[c, r, instant] + np.ceil(tau).astype(np.int64)
        out: I64 = self.first[c, r, np.minimum(k, self.first.shape[2] - 1)]
        return out

    def back_before_zero(self, rep: I64, part: I64, route: I64, need: F64) -> I64:
        """Return instants of items that, at day 0, still need ``need`` clock-days."""
        c = self.cid[part, route]
        r = rep if self.A.shape[1] > 1 else np.zeros_like(rep)
        k = np.minimum(np.ceil(need).astype(np.int64), self.first.shape[2] - 1)
        out: I64 = self.first[c, r, k]
        return out


def _tables(active: B8) -> tuple[I64, I64]:
    """Clock readings ``A [R, T]`` and first instants ``[R, T + 2]`` for masks ``[R, T]``."""
    reps, T = active.shape
    A = np.zeros((reps, T), dtype=np.int64)
    np.cumsum(active[:, :-1], axis=1, out=A[:, 1:])
    first = np.full((reps, T + 2), T, dtype=np.int64)  # T = horizon + 1: not within it
    first[:, 0] = 0
    rows, cols = np.nonzero(np.diff(A, axis=1) > 0)
    first[rows, A[rows, cols + 1]] = cols + 1
    return A, first


def build_clocks(plan: Plan, cut: B8) -> Clocks:
    """Clocks of every (route, supplier) pair in use, under masks ``cut [R', S, K, T]``."""
    actives, cid = route_clock_masks(plan, cut)
    active = np.stack(actives)
    tables = [_tables(a) for a in active]
    return Clocks(
        A=np.stack([t[0] for t in tables]),
        active=active,
        first=np.stack([t[1] for t in tables]),
        cid=cid,
    )
