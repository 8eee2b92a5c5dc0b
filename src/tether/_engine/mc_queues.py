"""Monte Carlo: the depots' first-come-first-served queues of the day-stepped path
(:mod:`tether._engine.mc_stepped`; pure numpy).

A capacity-limited (row, route) pair inducts at most its capacity a day, none on a day
its route is cut; what it cannot take waits in its backlog. Inducted items are back at
their route's clock ``A(t) + ceil(tau)``, added to the stepped path's return histogram.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan
from tether._engine.mc_clock import Clocks
from tether._engine.mc_parts import _back_burn

__all__ = ["QUEUE_CELLS", "QUEUE_WIDTH", "Early"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Replication x queue x day cells of the depots' queues solved at once (about 60 bytes
#: each) on the 'fleet' basis.
QUEUE_CELLS = 500_000

#: Most replication x queue cells a day for which the queues are solved in closed form:
#: beyond, a day's array operations cost more than their call overhead, and inducting
#: day after day is faster (measured on the benchmark force).
QUEUE_WIDTH = 4_000

#: Index (instant + burn) at which items are back, from their replication, part row,
#: route and the instant their route's clock, running before day 0, brings them back.
Early = Callable[[I64, I64, I64, F64], I64]


class _Queues:
    """First-come-first-served backlogs of the capacity-limited (row, route) pairs."""

    def __init__(
        self, plan: Plan, rows: I64, clocks: Clocks, reps: int, burn: int, n_exits: int
    ) -> None:
        cap = plan.route_capacity[rows]
        self.part, self.route = np.nonzero(np.isfinite(cap))
        self.any = len(self.part) > 0
        L = len(self.part)
        self.reps, self.burn, self.clocks = reps, burn, clocks
        self.lim = cap[self.part, self.route].astype(np.int64)
        self.queue = np.zeros((L, reps), dtype=np.int64)  # [L, R]: replications last
        self.pos = np.full(rows.shape[0] * 3, -1, dtype=np.int64)
        self.pos[self.part * 3 + self.route] = np.arange(L)
        self.row = rows[self.part]
        self.need = np.ceil(plan.route_time[self.row, self.route]).astype(np.int64)
        self.cid = clocks.cid[self.row, self.route]
        self.unique = len(np.unique(self.part)) == L
        self.last = n_exits - 1
        #: return index of items back at ``when`` (before day 0's clocks: see _back_burn)
        self.early: Early = lambda rep, part, route, when: _back_burn(
            clocks, rep, part, route, when, burn
        )
        # per-day route masks, precomputed: day-major [T, R', L]
        self.open = np.ascontiguousarray(clocks.active[self.cid].transpose(2, 1, 0))

    def slot(self, p: I64, route: I64) -> I64:
        out: I64 = self.pos[p * 3 + route]
        return out

    def induct(self, t: int, exits_flat: NDArray[np.int32], P: int) -> None:
        """Induct at instant ``t`` what each depot takes (none where its route is cut):
        each item is back at its route's clock ``A(t) + ceil(tau)``, added to ``exits``
        (``[instant + burn, R, P]`` flattened)."""
        if t >= 0:
            take = np.minimum(self.queue, (self.lim[None, :] * self.open[t]).T)
        else:
            take = np.minimum(self.queue, self.lim[:, None])
        if not take.any():
            return
        self.queue -= take
        R = self.reps
        if t >= 0:
            c = self.clocks
            width = c.first.shape[2]
            if c.A.shape[1] == 1:
                k = np.minimum(c.A[self.cid, 0, t] + self.need, width - 1)
                tb = self.burn + c.first[self.cid, 0, k][:, None]  # [L, 1]
            else:
                k = np.minimum(c.A[self.cid, :, t] + self.need[:, None], width - 1)
                tb = self.burn + c.first[self.cid[:, None], np.arange(R)[None, :], k]
        else:
            L = len(self.part)
            tb = self.early(
                np.tile(np.arange(R), L),
                np.repeat(self.row, R),
                np.repeat(self.route, R),
                np.repeat(t + self.need, R).astype(np.float64),
            ).reshape(L, R)
        tb = np.minimum(tb, self.last)
        index = (tb * R + np.arange(R)[None, :]) * P + self.part[:, None]
        if self.unique:
            exits_flat[index.ravel()] += take.ravel()
        else:
            np.add.at(exits_flat, index.ravel(), take.ravel().astype(np.int32))

    def run_days(
        self, i0: int, joins: NDArray[np.int64], exits_flat: NDArray[np.int32], P: int
    ) -> None:
        """Stepped days ``i0 .. i0 + D`` at once, ``joins [D, R, L]`` items joining each
        queue each day (after that day's induction): :meth:`induct` and :meth:`join` day
        after day, by Lindley's recursion in closed form. With ``V_i`` what is left after
        day ``i``'s induction (capacity ``c_i``) and ``N_i`` the day's arrivals,
        ``V_i = max(V_{i-1} + N_{i-1} - c_i, 0)``, a reflected random walk: ``V_i = S_i -
        min(-V_0, min_{k <= i} S_k)`` with ``S`` the running sum of ``N_{i-1} - c_i``."""
        D, R, L = joins.shape
        t = np.arange(i0, i0 + D) - self.burn
        cap = np.broadcast_to(self.lim, (D, self.open.shape[1], L)).astype(np.int64)
        now = t >= 0
        if now.any():
            cap[now] *= self.open[t[now]]
        cap = np.broadcast_to(cap, (D, R, L))
        first = np.maximum(self.queue.T - cap[0], 0)
        left = np.empty((D, R, L), dtype=np.int64)
        left[0] = first
        if D > 1:
            walk = np.cumsum(joins[:-1] - cap[1:], axis=0)
            floor = np.minimum.accumulate(np.concatenate([-first[None], walk]), axis=0)[1:]
            left[1:] = walk - floor
        held = np.empty_like(left)
        held[0] = self.queue.T
        held[1:] = left[:-1] + joins[:-1]
        self.queue = np.ascontiguousarray((left[-1] + joins[-1]).T)
        take = held - left  # inducted each day: min(queue, capacity)
        day, rep, slot = np.nonzero(take)
        if not len(day):
            return
        n = take[day, rep, slot]
        t_of = t[day]
        c = self.cid[slot]
        r = rep if self.clocks.A.shape[1] > 1 else np.zeros_like(rep)
        width = self.clocks.first.shape[2]
        when = t_of + self.need[slot]  # before day 0 the clocks run: back at t + ceil(tau)
        k = np.where(t_of >= 0, self.clocks.A[c, r, np.maximum(t_of, 0)] + self.need[slot], when)
        tb = np.where(
            (t_of < 0) & (when <= 0),
            when + self.burn,
            self.burn + self.clocks.first[c, r, np.clip(k, 0, width - 1)],
        )
        tb = np.minimum(tb, self.last)
        index = (tb * R + rep) * P + self.part[slot]
        np.add.at(exits_flat, index, n.astype(np.int32))

    def join(self, rep: I64, p: I64, route: I64, count: NDArray[np.int32] | np.int32) -> None:
        np.add.at(self.queue, (self.slot(p, route), rep), np.asarray(count, dtype=np.int64))
