"""A depot of finite capacity in the analytic engine: the backlog's distribution (pure numpy).

A route with ``route_capacity = c`` inducts at most ``c`` items a day, first come first
served, and none on a day its route's clock is stopped (its supplier withholds the
route's kind); the others wait in a backlog. As in the Monte Carlo engine, a failure
during day ``t`` joins the backlog and is inducted at the earliest at instant ``t + 1``;
an item inducted at instant ``u`` is back at the first instant ``t`` whose clock reading
is at least ``A(u) + ceil(tau)``. Before day 0 the route is in its unlimited steady state.

Let ``Q_u`` be the backlog at instant ``u`` (before that day's induction) and ``N_u`` the
failures taking the route during day ``u`` (Poisson, mean ``a_u``, independent of the
past). The backlog follows Lindley's recursion ``Q_{u+1} = (Q_u - c)^+ + N_u`` on an open
day (``Q_u + N_u`` on a stopped one), whose distribution is carried exactly (a
probability vector per day, tails below 1e-17 dropped). The items of the route out at
instant ``t`` are those in the backlog plus those inducted at instants ``u0(t) .. t - 1``
(the ones not yet back, ``u0(t)`` the first instant with ``A(u) > A(t) - ceil(tau)``), and
by conservation of items that is

    Q_{u0(t)} + N_{u0(t)} + ... + N_{t-1}  (+ items from before day 0 still out),

a backlog term independent of a Poisson term of mean ``a_{u0(t)} + ... + a_{t-1}``. The
count out is therefore exact in distribution, not an approximation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from tether._engine.pipeline import Clock

__all__ = ["Backlog", "backlog_route", "direct_outputs"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Probability below which a backlog's upper tail is dropped.
TAIL = 1e-17

#: Backlogs per day (``[T]`` list of probability vectors over 0, 1, 2, ...).
Backlog = list[F64]


def _poisson(mean: float) -> F64:
    top = int(mean + 12.0 * np.sqrt(mean) + 12.0)
    out: F64 = stats.poisson.pmf(np.arange(top + 1), mean)
    return out


def _trim(p: F64) -> F64:
    tail = np.cumsum(p[::-1])[::-1]
    keep = int(np.flatnonzero(tail > TAIL)[-1]) + 1 if (tail > TAIL).any() else 1
    return p[:keep]


def backlog_route(
    ck: Clock, tau: float, cap: float, inflow: F64, lam_ss: float
) -> tuple[F64, Backlog]:
    """One capacity-limited route of one row: the Poisson part of its items out ``[T]``
    (failures since ``u0(t)`` and items from before day 0), and per day the backlog
    ``Q_{u0(t)}``'s distribution. ``inflow [T]`` is the expected failures taking the
    route each day, ``lam_ss`` the steady-state rate before day 0."""
    T = len(inflow)
    A = ck.A
    open_day = np.ones(T, dtype=np.bool_)
    open_day[:-1] = np.diff(A) > 0
    need = int(np.ceil(tau))
    u0 = np.searchsorted(A, A - need, side="right")
    cum = np.zeros(T + 1)
    np.cumsum(inflow, out=cum[1:])
    t = np.arange(T)
    mean = cum[t] - cum[u0] + lam_ss * np.maximum(tau - A, 0.0)
    c = int(min(cap, 2**62))
    q: F64 = np.ones(1)
    per_instant: list[F64] = []
    for u in range(T):
        per_instant.append(q)
        if open_day[u]:
            q = np.r_[q[: c + 1].sum(), q[c + 1 :]] if len(q) > c + 1 else np.ones(1)
        if inflow[u] > 0:
            q = _trim(np.convolve(q, _poisson(float(inflow[u]))))
    return mean, [per_instant[int(i)] for i in u0]


def direct_outputs(
    mean: F64, backlogs: list[Backlog], stock: F64, units: F64, z: int
) -> tuple[F64, F64]:
    """Backorders and share of units up ``[T]`` of one group whose items out are a
    Poisson count of mean ``mean [T]`` plus independent backlogs, by direct sums over
    the count's distribution: ``B = (X - s)^+`` and a unit is up with probability
    ``C(M - Z, B) / C(M, B)``, ``M = N Z`` positions (1 where the fleet has no units)."""
    T = len(mean)
    bo, up = np.zeros(T), np.ones(T)
    for t in range(T):
        px = _poisson(float(mean[t]))
        for b in backlogs:
            px = np.convolve(px, b[t])
        x = np.arange(len(px), dtype=np.float64)
        short = np.maximum(x - stock[t], 0.0)
        bo[t] = px @ short
        if units[t] > 0:
            M = units[t] * z
            h = np.ones_like(x)
            for j in range(z):
                h *= np.maximum(M - short - j, 0.0) / (M - j)
            up[t] = px @ h
    return bo, up
