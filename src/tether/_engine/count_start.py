"""The carried count laws' constants and their stationary start (pure numpy): the share of
units up given the items out, each row's constants, and the law of each row's count before
day 0 (see :mod:`tether._engine.feedback`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from tether._engine.arrays import ROUTE_KIND, Plan
from tether._engine.count_law import SPREAD, band_width, bands
from tether._engine.poisson import backorders_and_up

__all__ = [
    "Force",
    "Rows",
    "birth_death_log",
    "constant",
    "count_reach",
    "fleet_log",
    "poisson_reach",
    "poisson_up",
    "stationary_start",
    "stationary_window",
    "up_positions",
    "up_share",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Fixed-point iterations of the fleet coupling in the stationary start.
START_ITERATIONS = 200

#: Tolerance of the stationary start's fixed point.
START_TOL = 1e-14

#: Below this change of the coupling, one that no longer halves is at rounding's floor.
FLOOR = 1e-11


#: Elements of one block of positions in :func:`up_share`.
UP_BLOCK = 1 << 20

#: Log-probability below the mode at which the stationary start's window is cut.
TAIL = 50.0


def up_share(x: F64, spares: F64, n: F64, z: F64) -> F64:
    """Share of units up ``[P, K]`` given ``x [P, K]`` items out: every position filled.

    ``h(b) = prod_{j<Z} max(NZ - b - j, 0) / max(NZ - j, 1)`` with ``b`` the backorders; a
    count with no backorder leaves every unit up. Where the counts of a row run on by one
    (the windows), the first backorder's ``h`` is multiplied out over the positions and
    the next ones follow from ``h(b + 1) / h(b) = max(NZ - b - Z, 0) / (NZ - b)``;
    otherwise every entry over the positions, in blocks (never a loop of ``Z`` steps)."""
    b = np.maximum(x - spares[:, None], 0.0)
    pos = b > 0
    if not pos.any():
        return np.ones(b.shape)
    nz = (n * z)[:, None]
    if x.shape[1] > 1 and (np.diff(x, axis=1) == 1.0).all():
        first = pos.copy()
        first[:, 1:] &= ~pos[:, :-1]  # a row's first count with a backorder
        at = np.nonzero(first)
        steps = np.ones(b.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(nz - b > 0, np.maximum(nz - b - z[:, None], 0.0) / (nz - b), 0.0)
        steps[:, 1:] = np.where(pos[:, :-1], ratio[:, :-1], 1.0)
        steps[at] = up_positions(b[at], (n * z)[at[0]], z[at[0]])
        return np.asarray(np.cumprod(steps, axis=1), dtype=np.float64)
    h = np.ones(b.shape)
    at = np.nonzero(pos)
    h[at] = up_positions(b[at], (n * z)[at[0]], z[at[0]])
    return h


def up_positions(b: F64, nz: F64, z: F64) -> F64:
    """``h(b)`` for flat ``b, nz, z``, multiplied out over the positions in blocks."""
    free = nz - b
    out = np.ones(len(b))
    block = max(1, UP_BLOCK // len(b))
    zmax = int(z.max())
    for j0 in range(0, zmax, block):
        j = np.arange(j0, min(j0 + block, zmax), dtype=np.float64)[None, :]
        r = np.maximum(free[:, None] - j, 0.0) / np.maximum(nz[:, None] - j, 1.0)
        r[j >= z[:, None]] = 1.0
        out *= r.prod(axis=1)
    return out


def stationary_window(lo: int, K: int, q: float, a_of: F64) -> F64:
    """Stationary law on counts ``lo .. lo + K - 1`` of the daily chain with thinning
    ``q`` and arrivals ``a_of [K]`` (mass leaving the window is put back at its edges)."""
    x = (lo + np.arange(K, dtype=np.float64))[None, :]
    live = np.ones((1, K), dtype=np.bool_)
    width = band_width(x, np.array([q]), a_of[None], live)
    band, o = bands(x, np.array([q]), a_of[None], width)
    cols = o[0][:, None] - lo + np.arange(width)[None, :]
    cols = np.clip(cols, 0, K - 1)
    tm = np.zeros((K, K))
    np.add.at(tm, (np.repeat(np.arange(K), width), cols.ravel()), band[0].ravel())
    tm /= np.maximum(tm.sum(axis=1, keepdims=True), 1e-300)
    m = tm.T - np.eye(K)
    m[-1, :] = 1.0
    rhs = np.zeros(K)
    rhs[-1] = 1.0
    pi = np.linalg.solve(m, rhs)
    np.maximum(pi, 0.0, out=pi)
    out: F64 = pi / pi.sum()
    return out


def birth_death_log(lam: F64, tbar: float, up: F64) -> F64:
    """Log of the unnormalised birth-death law ``prod_{k<x} lam up(k) tbar / (k + 1)``."""
    k = np.arange(len(up), dtype=np.float64)
    with np.errstate(divide="ignore"):
        terms = np.log(lam * tbar * up[:-1]) - np.log(k[:-1] + 1.0)
    out: F64 = np.concatenate([[0.0], np.cumsum(terms)])
    return out


def poisson_reach(m: F64) -> I64:
    """Per mean ``m``, the last count whose Poisson log-probability is within
    :data:`TAIL` of the mode's (a law below it in likelihood ratio ends there too)."""
    m = np.maximum(m, 0.0)
    mode = np.floor(m)
    d = np.arange(int(np.ceil(3.0 * np.sqrt(TAIL * (float(m.max()) + 1.0)) + 3.0 * TAIL)) + 2)
    k = mode[:, None] + d[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(
            m[:, None] > 0,
            (k - mode[:, None]) * np.log(np.maximum(m, 1e-300))[:, None]
            - gammaln(k + 1.0)
            + gammaln(mode + 1.0)[:, None],
            np.where(k > 0, -np.inf, 0.0),
        )
    last = (rel >= -TAIL).sum(axis=1)  # rel falls past the mode: the count within TAIL
    out: I64 = (mode + last).astype(np.int64)
    return out


def fleet_log(values: F64, fleet: I64, nf: int) -> F64:
    out = np.zeros(nf)
    np.add.at(out, fleet, values)
    return out


@dataclass(frozen=True)
class Force:
    """A force that changes over time, per carried row and day ``[P, T]``: the units of
    its fleet ``units``, its stock ``spares``, its failures a day at full tempo ``rate``
    (0 outside the row's window), and ``rate_pre [P]`` before day 0."""

    units: F64
    spares: F64
    rate: F64
    rate_pre: F64


def constant(plan: Plan, rows: I64) -> Force:
    """The plan's unchanging force for ``rows``."""
    f = plan.part_fleet[rows]
    T = plan.horizon + 1
    n = np.repeat(plan.units[f].astype(np.float64)[:, None], T, axis=1)
    s = np.repeat(plan.spares[rows].astype(np.float64)[:, None], T, axis=1)
    c = (plan.units[f] * plan.quantity[rows] * plan.failure_rate[rows])[:, None] * plan.hours[f]
    return Force(n, s, c, c[:, 0].copy())


class Rows:
    """Per-row constants of the carried rows."""

    def __init__(self, plan: Plan, rows: I64, force: Force) -> None:
        self.f = plan.part_fleet[rows]
        self.n = force.units
        self.n_safe = np.where(self.n > 0, self.n, 1.0)
        self.z = plan.quantity[rows].astype(np.float64)
        self.spares = force.spares
        self.c = force.rate
        self.c_pre = force.rate_pre
        # no count past this one fails on day 0: every position of every unit is empty
        self.top = np.ceil(self.spares[:, 0] + self.n_safe[:, 0] * self.z).astype(np.int64)

    def up(self, sel: I64, x: F64, t: int) -> F64:
        """Share of units up on day ``t`` given ``x [n, K]`` items out of rows ``sel``."""
        u = up_share(x, self.spares[sel, t], self.n_safe[sel, t], self.z[sel])
        out: F64 = np.where((self.n[sel, t] <= 0)[:, None], 1.0, u)
        return out

    def key(self, sel: I64, t: int) -> bytes:
        """What the shares up of rows ``sel`` depend on besides the counts, on day ``t``."""
        out: bytes = self.n[sel, t].tobytes() + self.spares[sel, t].tobytes()
        return out


def stationary_start(
    rw: Rows, q0: F64, p0: F64, tbar: F64, log_fixed0: F64, nf: int, big: NDArray[np.bool_]
) -> tuple[list[F64], I64, F64]:
    """Stationary laws at day 0's tempo (fixed point of the fleet coupling): the laws,
    their window starts, and the expected share up of each row."""
    P = len(rw.f)
    g = np.ones(P)
    e_up = np.ones(P)
    small = [i for i in range(P) if not big[i]]
    # the coupling g is at most 1 and up(x) too, so the birth-death law is below the
    # Poisson law of mean c tbar in likelihood ratio: its window ends before that one's
    reach = np.minimum(rw.top, poisson_reach(np.where(big, 0.0, rw.c_pre * tbar))) + 2
    ups = {i: rw.up(np.array([i]), np.arange(float(reach[i]))[None], 0)[0] for i in small}

    def couple(e: F64) -> F64:
        e = np.maximum(e, 1e-300)
        a_f = np.exp(fleet_log(np.log(e), rw.f, nf) + log_fixed0)
        out: F64 = a_f[rw.f] / e
        return out

    def birth_death(g: F64) -> tuple[F64, list[F64]]:
        logs = [np.zeros(1)] * P
        e = np.empty(P)
        for i in small:
            logs[i] = birth_death_log(rw.c_pre[i] * g[i], tbar[i], ups[i])
            w = np.exp(logs[i] - logs[i].max())
            e[i] = (w * ups[i]).sum() / w.sum()
        if big.any():  # Poisson pipelines (mean field)
            e[big] = poisson_up(rw, big, rw.c_pre[big] * g[big] * tbar[big], 0)[1]
        return e, logs

    def settle(g: F64, delta: F64) -> tuple[F64, list[F64]]:
        """Fixed point of the coupling with the birth-death shares up plus ``delta``."""
        logs: list[F64] = []
        change, weight = np.inf, 1.0
        for _ in range(START_ITERATIONS * 5):
            e, logs = birth_death(g)
            g_new = couple(np.clip(e + delta, 1e-300, 1.0))
            now = float(np.abs(g_new - g).max())
            if now <= START_TOL or FLOOR > now > 0.5 * change:  # settled, or at the floor
                g = g_new
                break
            if now >= change:  # a strong coupling overshoots: damp the iteration
                weight *= 0.5
            g = g + weight * (g_new - g)
            change = now
        return g, logs

    g, logs = settle(np.ones(P), np.zeros(P))
    # windows from the birth-death law, with a margin; then the daily chain's own law
    lo = np.zeros(P, dtype=np.int64)
    size = np.ones(P, dtype=np.int64)
    for i in small:
        where = np.flatnonzero(logs[i] >= logs[i].max() - TAIL)
        a, b = int(where[0]), int(where[-1])
        # past the birth-death law's last count, one day's arrivals can still go on
        jump = int(np.ceil(SPREAD * np.sqrt(p0[i] * rw.c_pre[i]) + SPREAD))
        lo[i] = max(a - int(SPREAD), 0)
        size[i] = b + jump - lo[i] + 1
    # the daily chain's shares up differ from the birth-death ones by a nearly constant
    # offset: solve, correct the coupling by the offset, solve again until it holds
    pis: list[F64] = [np.ones(1)] * P
    solved = np.full(P, np.nan)  # the coupling each row's law was solved at
    change = np.inf
    for _ in range(START_ITERATIONS):
        for i in map(int, np.flatnonzero(~(np.abs(g - solved) <= START_TOL) & ~big)):
            x = lo[i] + np.arange(size[i], dtype=np.float64)
            up = rw.up(np.array([i]), x[None], 0)[0]
            pis[i] = stationary_window(
                int(lo[i]), int(size[i]), q0[i], p0[i] * rw.c_pre[i] * g[i] * up
            )
            e_up[i] = min(float((pis[i] * up).sum()), 1.0)
            solved[i] = g[i]
        if big.any():
            e_up[big] = birth_death(g)[0][big]
        g_new = couple(e_up)
        # settled, or at rounding's floor (no longer halving)
        now = float(np.abs(g_new - g).max())
        if now <= START_TOL or FLOOR > now > 0.5 * change:
            break
        change = now
        g, _ = settle(g, e_up - birth_death(g)[0])
    return pis, lo, e_up


def poisson_up(rw: Rows, sel: NDArray[np.bool_], m: F64, t: int) -> tuple[F64, F64]:
    """Backorders and share up of rows ``sel`` whose count is Poisson with mean ``m``."""
    spares = rw.spares[sel, t].astype(np.int64)
    back, up = backorders_and_up(m[:, None], spares, rw.n_safe[sel, t], rw.z[sel])
    out: F64 = np.where(rw.n[sel, t] <= 0, 1.0, up[:, 0])
    return back[:, 0], out


def count_reach(plan: Plan, rows: I64, rw: Rows) -> F64:
    """Per row of ``rows``, a count its pipeline may reach in some batch member: its
    failures a day at full tempo over its mean turnaround plus, on each route, the most
    days the route's supplier withholds it in any member (a random length: to the
    horizon's end), and never more than its stock plus every position empty plus a day's
    failures. The same
    for every member (a rule on the plan, not the cut)."""
    T = plan.horizon + 1
    stop = plan.cut.sum(axis=3).max(axis=0).astype(np.float64)  # [S, K] most days cut
    for c in np.flatnonzero(plan.co_dist > 0):
        stop = np.where(plan.co_stop[c], np.maximum(stop, T - plan.co_start[c]), stop)
    share, tau = plan.share[rows], plan.route_time[rows]
    held = tau.copy()
    for r, kind in enumerate(ROUTE_KIND):
        sup = plan.route_supplier[rows, r]
        if kind >= 0:
            held[:, r] += np.where(sup >= 0, stop[np.maximum(sup, 0), kind], 0.0)
    rate = np.maximum(rw.c_pre, rw.c.max(axis=1) if rw.c.shape[1] else 0.0)
    # every position empty, plus a day's failures (the chain steps a day at a time: a
    # unit up at the day's start fails at its tempo all day)
    top = (rw.spares + rw.n_safe * rw.z[:, None]).max(axis=1) + rate
    out: F64 = np.minimum(rate * (share * held).sum(axis=1), top)
    return out
