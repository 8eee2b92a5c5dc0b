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
from scipy import special

from tether._engine.pipeline import Clock
from tether._engine.poisson import backorders_and_up

__all__ = ["Backlog", "BacklogSteps", "backlog_route", "direct_outputs"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def _pmf(k: I64, mean: float) -> F64:
    """Poisson probabilities, as ``scipy.stats.poisson.pmf`` computes them (same bits)
    without importing scipy.stats (about a second of start-up)."""
    out: F64 = np.exp(special.xlogy(k, mean) - special.gammaln(k + 1) - mean)
    return out


#: Probability below which a backlog's upper tail is dropped.
TAIL = 1e-17

#: Most values a distribution carried exactly may take: beyond (a backlog of thousands of
#: items, or a Poisson count with a standard deviation in the hundreds), the count is
#: taken as Poisson with the exact mean instead (the fluid mean of the backlog), a
#: documented approximation where the relative spread is small.
MAX_SUPPORT = 4096

#: Backlogs per day (``[T]`` list of probability vectors over 0, 1, 2, ...).
Backlog = list[F64]


def _window(mean: float) -> tuple[int, int]:
    """Values ``lo..hi`` outside which a Poisson count has mass below 1e-25."""
    reach = 12.0 * np.sqrt(mean) + 12.0
    return max(0, int(mean - reach)), int(mean + reach)


def _poisson(mean: float) -> F64:
    out: F64 = _pmf(np.arange(_window(mean)[1] + 1), mean)
    return out


def _fluid(A: NDArray[np.int64], cap: float, inflow: F64) -> F64:
    """The backlog's mean by the fluid recursion ``d = min(q, c)``, at each instant."""
    T = len(inflow)
    open_day = np.ones(T, dtype=np.bool_)
    open_day[:-1] = np.diff(A) > 0
    q, out = 0.0, np.zeros(T)
    for u in range(T):
        out[u] = q
        if open_day[u]:
            q -= min(q, cap)
        q += float(inflow[u])
    return out


def _trim(p: F64) -> F64:
    """``p`` without its upper tail of mass at most :data:`TAIL` (at least one value)."""
    tail = np.cumsum(p[::-1])  # tail mass from the top, never decreasing (p >= 0)
    keep = len(p) - int(np.searchsorted(tail, TAIL, side="right"))
    return p[: max(keep, 1)]


def backlog_route(
    ck: Clock, tau: float, cap: float, inflow: F64, lam_ss: float
) -> tuple[F64, Backlog | None]:
    """One capacity-limited route of one row: the Poisson part of its items out ``[T]``
    (failures since ``u0(t)`` and items from before day 0), and per day the backlog
    ``Q_{u0(t)}``'s distribution. ``inflow [T]`` is the expected failures taking the
    route each day, ``lam_ss`` the steady-state rate before day 0. Where the backlog
    would take more than :data:`MAX_SUPPORT` values, its fluid mean is added to the
    Poisson part instead and no distribution is returned."""
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
            if _window(float(inflow[u]))[1] + len(q) > MAX_SUPPORT:
                return mean + _fluid(A, cap, inflow)[u0], None
            q = _trim(np.convolve(q, _poisson(float(inflow[u]))))
    return mean, [per_instant[int(i)] for i in u0]


class BacklogSteps:
    """:func:`backlog_route` a window of days at a time, for a caller that finds each
    day's inflow only once the days before it are known (the 'available' basis).

    The items out on day ``t`` depend on the inflow of days before ``t`` only.
    :meth:`window` gives the Poisson part of the items out on days ``lo .. h - 1`` and
    the backlogs ``Q_{u0(t)}`` from the inflow of days ``lo .. hi - 2`` (the days
    before ``lo`` as committed); ``h < hi`` where the backlog would take more than
    :data:`MAX_SUPPORT` values from instant ``h`` on. :meth:`commit` takes the inflow
    of days ``lo .. new - 1`` as final; it returns ``False`` where the backlog
    overflows: the route is then switched to its fluid mean (:attr:`fluid`) and the
    caller starts again from day 0 (:meth:`reset`), as :func:`backlog_route` takes the
    fluid mean for the whole route. Only the backlogs later days can still ask for are
    kept (``u0`` never decreases)."""

    def __init__(self, ck: Clock, tau: float, cap: float, lam_ss: float) -> None:
        A = ck.A
        T = len(A)
        self.open_day = np.ones(T, dtype=np.bool_)
        self.open_day[:-1] = np.diff(A) > 0
        self.u0 = np.searchsorted(A, A - int(np.ceil(tau)), side="right")
        self.extra = lam_ss * np.maximum(tau - A, 0.0)
        self.cap, self.c = cap, int(min(cap, 2**62))
        self.cum = np.zeros(T + 1)
        self.level = np.zeros(T)
        self.fluid = False
        self.reset()

    def reset(self) -> None:
        """Back to day 0 (keeping :attr:`fluid`)."""
        self.lo, self.base = 0, 0
        self.known: list[F64] = []  # Q_u for u = base .. lo - 1
        self.q: F64 = np.ones(1)
        self.qf = 0.0
        self._last: tuple[int, F64, list[F64]] = (-1, np.zeros(0), [])

    def _steps(self, inflow: F64, lo: int) -> list[F64] | None:
        """``Q_u`` for ``u = lo .. lo + len(inflow)`` (fewer where it overflows); in
        fluid mode the levels are written to :attr:`level` instead. The backlogs of the
        last window are reused as far as its inflow was the same."""
        # from cum[lo] on, adding day by day as one cumsum over all days would
        seg = np.empty(len(inflow) + 1)
        seg[0], seg[1:] = self.cum[lo], inflow
        np.cumsum(seg, out=self.cum[lo : lo + len(inflow) + 1])
        if self.fluid:
            q = self.qf
            for k, u in enumerate(range(lo, lo + len(inflow))):
                self.level[u] = q
                if self.open_day[u]:
                    q -= min(q, self.cap)
                q += float(inflow[k])
            if lo + len(inflow) < len(self.level):
                self.level[lo + len(inflow)] = q
            return None
        same = 0
        last_lo, last_in, last = self._last
        if last_lo == lo:
            n = min(len(inflow), len(last_in), len(last) - 1)
            differ = inflow[:n] != last_in[:n]
            same = int(differ.argmax()) if differ.any() else n
        states = last[: same + 1] if same else [self.q]
        p = states[-1]
        for k in range(same, len(inflow)):
            u = lo + k
            if self.open_day[u]:
                c = self.c
                p = np.r_[p[: c + 1].sum(), p[c + 1 :]] if len(p) > c + 1 else np.ones(1)
            x = float(inflow[k])
            if x > 0:
                if _window(x)[1] + len(p) > MAX_SUPPORT:
                    break
                p = _trim(np.convolve(p, _poisson(x)))
            states.append(p)
        self._last = (lo, inflow.copy(), states)
        return states

    def window(self, inflow: F64, lo: int, hi: int) -> tuple[F64, list[F64] | None, int]:
        """Poisson part of the items out and backlog per day ``lo .. h - 1``, and ``h``,
        from the inflow ``[hi - 1 - lo]`` of days ``lo .. hi - 2``."""
        states = self._steps(inflow, lo)
        h = hi if states is None else lo + len(states)
        t = np.arange(lo, h)
        u0 = self.u0[t]
        mean: F64 = self.cum[t] - self.cum[u0] + self.extra[t]
        if states is None:
            mean += self.level[u0]
            return mean, None, h
        got = [self.known[i - self.base] if i < lo else states[i - lo] for i in u0]
        return mean, got, h

    def commit(self, inflow: F64, new: int) -> bool:
        """Take the inflow ``[new - lo]`` of days ``lo .. new - 1`` as final; ``False``
        (and :attr:`fluid` set) where the backlog overflows."""
        lo = self.lo
        states = self._steps(inflow, lo)
        if states is None:
            self.qf = float(self.level[new]) if new < len(self.level) else 0.0
        elif len(states) < new - lo + 1:
            self.fluid = True
            return False
        else:
            self.known.extend(states[:-1])
            self.q = states[-1]
            keep = int(self.u0[new]) if new < len(self.u0) else new
            if keep > self.base:
                del self.known[: keep - self.base]
                self.base = keep
        self.lo = new
        return True


def direct_outputs(
    mean: F64, backlogs: list[Backlog], stock: F64, units: F64, z: int
) -> tuple[F64, F64]:
    """Backorders and share of units up ``[T]`` of one group whose items out are a
    Poisson count of mean ``mean [T]`` plus independent backlogs (each at most
    :data:`MAX_SUPPORT` values), by direct sums over the count's distribution (the
    Poisson over its window of mass above 1e-25): ``B = (X - s)^+`` and a unit is up
    with probability ``C(M - Z, B) / C(M, B)``, ``M = N Z`` positions (1 where the
    fleet has no units)."""
    T = len(mean)
    bo, up = np.zeros(T), np.ones(T)
    spread: list[int] = []
    totals: list[float] = []
    for t in range(T):
        lo, hi = _window(float(mean[t]))
        if hi - lo + sum(len(b[t]) for b in backlogs) > 4 * MAX_SUPPORT:
            # a count this spread: Poisson with the exact mean (backlogs at their means)
            spread.append(t)
            totals.append(
                float(mean[t]) + sum(float(b[t] @ np.arange(len(b[t]))) for b in backlogs)
            )
            continue
        px = _pmf(np.arange(lo, hi + 1), float(mean[t]))
        for b in backlogs:
            px = np.convolve(px, b[t])
        x = lo + np.arange(len(px), dtype=np.float64)
        short = np.maximum(x - stock[t], 0.0)
        bo[t] = px @ short
        if units[t] > 0:
            M = units[t] * z
            h = np.ones_like(x)
            for j in range(z):
                h *= np.maximum(M - short - j, 0.0) / (M - j)
            up[t] = px @ h
    if spread:  # all such days in one call
        ts = np.array(spread)
        n = np.where(units[ts] > 0, units[ts], 1.0)
        b_t, u_t = backorders_and_up(
            np.array(totals)[:, None], stock[ts].astype(np.int64), n, np.full(len(ts), float(z))
        )
        bo[ts], up[ts] = b_t[:, 0], np.where(units[ts] > 0, u_t[:, 0], 1.0)
    return bo, up
