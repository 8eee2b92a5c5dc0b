"""The 'available' tempo basis with the count's distribution carried day by day (pure numpy).

On this basis a unit that is down does not fail, so demand depends on the number of
items out. Feeding only the expected availability back into demand (a mean field) keeps
each pipeline Poisson, while the feedback makes it less dispersed. Here each part row's
count out ``X_t`` is carried as a distribution and stepped from instant ``t`` to
``t + 1``:

    X_{t+1} = Binomial(X_t, 1 - q_t) + Poisson(p_t * mu_t(X_t))

- ``mu_t(x) = c_t * g_t * up(x)``: failures on day ``t`` of the row at full tempo ``c_t``
  (``N Z rate hours``), times the share of its units up given ``x`` items out
  (``up(x)``, the positions filled: ``prod_{j<Z} (NZ - b - j) / (NZ - j)``, ``b`` the
  backorders) and ``g_t`` the expected share up over the fleet's other rows (rows taken as
  independent, as in the engine's product of shares).
- ``q_t``: the share of the items out at ``t`` back by ``t + 1``; ``p_t``: the share of
  day ``t``'s failures (uniform within the day) still out at ``t + 1``. Both come from the
  route clocks (``u*_r``, :mod:`tether._engine.pipeline`) and the expected failures so far:
  with no feedback the step gives the exact Poisson marginals (Poisson thinned and added to
  Poisson), and while a route's clock stands still (a supplier cut) nothing comes back, so
  a single route cut for good is an exact pure-birth process from the cut on.
- Before day 0 the rows are in the stationary distribution of the chain at day 0's tempo,
  clocks running (the fixed point of the fleet coupling: first over the birth-death law
  ``pi(x + 1) / pi(x) = mu(x) tbar / (x + 1)``, then each row's stationary vector of the
  daily chain by a linear solve on the window that holds its mass;
  :mod:`tether._engine.count_start`).

Every row of an 'available'-basis fleet is carried, whatever the cut (so every batch member
uses the same method and a scenario equals its baseline until its first cut). A row's law
is held on a sliding window ``[lo, lo + K)`` (trimmed where the tail mass is below
:data:`TRIM`), and a day's step costs ``O(K B)``: for each count ``x`` the law of the next
count given ``x`` (binomial thinning plus Poisson arrivals) lies in a band of ``B`` counts
(10 standard deviations plus 10 each side of its mean), computed through its generating
function on ``B`` roots of unity, then added into the next law at the band's offset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan
from tether._engine.count_law import SPREAD, step_laws, trim_laws
from tether._engine.count_start import (
    Force,
    Rows,
    constant,
    count_reach,
    fleet_log,
    poisson_up,
    stationary_start,
)
from tether._engine.pipeline import Clock, ReturnIndex, return_index
from tether._engine.share_law import quantile_means

__all__ = [
    "Force",
    "Moments",
    "availability_moments",
    "constant",
    "parts_available",
    "parts_available_moments",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Rows whose count at day 0's tempo reaches past this many keep the mean field.
KMAX = 1000


#: Largest change (law, thinning, arrivals) between two days at which a row's law is a
#: fixed point and is not stepped again.
SAME = 1e-15


Groups = list[tuple[int, I64, ReturnIndex]]

#: Tilted laws in flight (law, window start, mass, day started): see :func:`_step_flight`.
Flight = list[tuple[F64, I64, F64, int]]


def route_groups(plan: Plan, clocks: list[Clock], cid: I64, rows: I64) -> Groups:
    """For parts ``rows``: per (route, clock) group, the part positions and their u*(t)."""
    out: Groups = []
    for r in range(plan.share.shape[1]):
        active = plan.share[rows, r] > 0
        for c in np.unique(cid[rows[active], r]):
            pos = np.flatnonzero(active & (cid[rows, r] == c))
            out.append((r, pos, return_index(clocks[c], plan.route_time[rows[pos], r])))
    return out


def _classes(sizes: I64) -> list[I64]:
    """Rows grouped by the size of their window (powers of two), so that padding one
    class's laws to a common width wastes little."""
    key = np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    return [np.flatnonzero(key == k) for k in np.unique(key)]


def _pack(pis: list[F64], lo: I64, sel: I64) -> tuple[F64, I64]:
    K = max(len(pis[i]) for i in sel)
    out = np.zeros((len(sel), K))
    for j, i in enumerate(sel):
        out[j, : len(pis[i])] = pis[i]
    return out, lo[sel].copy()


Inputs = tuple[F64, I64, F64, F64]


def _moved(before: Inputs | None, pi: F64, lo: I64, q: F64, a: F64) -> NDArray[np.bool_]:
    """Rows whose step must be taken: their law, thinning or arrivals changed by more than
    :data:`SAME` since the previous day's step (which then moved the law by at most that).
    """
    every = np.ones(len(lo), dtype=np.bool_)
    if before is None:
        return every
    pi0, lo0, q0, a0 = before
    if pi0.shape != pi.shape:
        return every
    out: NDArray[np.bool_] = (
        (lo0 != lo)
        | (np.abs(q0 - q) > SAME)
        | (np.abs(a0 - a).max(axis=1) > SAME * np.maximum(a.max(axis=1), 1.0))
        | (np.abs(pi0 - pi).max(axis=1) > SAME)
    )
    return out


def _merge(pi: F64, lo: I64, moved: NDArray[np.bool_], got: tuple[F64, I64]) -> tuple[F64, I64]:
    """Rows ``moved`` of ``(pi, lo)`` replaced by their stepped laws ``got``."""
    new, new_lo = got
    K = max(pi.shape[1], new.shape[1])
    out = np.zeros((len(lo), K))
    out[~moved, : pi.shape[1]] = pi[~moved]
    out[moved, : new.shape[1]] = new
    lo = lo.copy()
    lo[moved] = new_lo
    return out, lo


def parts_available(
    plan: Plan, rows: I64, groups: Groups, log_fixed: F64, force: Force | None = None
) -> tuple[F64, F64, F64]:
    """Log share up, backorders and availability ``[F, T]`` for the part rows ``rows`` of
    'available'-basis fleets (every row of those fleets), given the route groups of
    ``rows`` (``(route, positions, u*)``), the other rows' log availability
    ``log_fixed [F, T]`` and, for a force that changes, its units, stock and demand."""
    log_a, bo, avail, _ = _carry(plan, rows, groups, log_fixed, force, 0)
    return log_a, bo, avail


def parts_available_moments(
    plan: Plan, rows: I64, groups: Groups, log_fixed: F64, days: int, bins: int
) -> tuple[F64, F64, F64, Moments]:
    """:func:`parts_available` and, from the same pass, :func:`availability_moments`
    (one pass where the munitions on this basis need both)."""
    log_a, bo, avail, got = _carry(plan, rows, groups, log_fixed, None, days, bins)
    assert got is not None
    return log_a, bo, avail, got


@dataclass(frozen=True)
class Moments:
    """Per fleet and day ``[F, T]``, of the share of units up ``A_t`` of the carried rows
    (rows independent, as in the engine's product): ``E[A_t]``, ``E[A_t^2]``,
    ``E[A_t A_{t+k}]`` (``k = days``; NaN on the last ``k`` days) and ``P(A_t = 1)``;
    and ``bins [F, T, K]``, the means of ``A_t`` over ``K`` equal quantile bins of its law
    (:func:`tether._engine.share_law.quantile_means`)."""

    mean: F64
    second: F64
    lag: F64
    top: F64
    days: int
    bins: F64


def availability_moments(
    plan: Plan, rows: I64, groups: Groups, log_fixed: F64, days: int = 1, bins: int = 1
) -> Moments:
    """The moments of the share up that :func:`parts_available` carries (see
    :class:`Moments`): each row's ``E[h(X_t)^2]`` and ``P(h(X_t) = 1)`` from its law, and
    ``E[h(X_t) h(X_{t+k})]`` by stepping ``pi_t h_t`` (normalised) ``k = days`` days through
    the same chain beside ``pi`` (``k`` such laws in flight). Rows kept in the mean field
    count as without spread."""
    _, _, _, got = _carry(plan, rows, groups, log_fixed, None, days, bins)
    assert got is not None
    return got


def _carry(
    plan: Plan,
    rows: I64,
    groups: Groups,
    log_fixed: F64,
    force: Force | None,
    lag: int,
    n_bins: int = 1,
) -> tuple[F64, F64, F64, Moments | None]:
    """:func:`parts_available`, and with ``lag > 0`` the :class:`Moments` at that lag."""
    moments = lag > 0
    nf, T = len(plan.fleets), plan.horizon + 1
    P = len(rows)
    rw = Rows(plan, rows, constant(plan, rows) if force is None else force)
    f, c = rw.f, rw.c
    R = plan.share.shape[1]
    share = plan.share[rows]
    ustar = np.zeros((P, R, T))
    for r, pos, ri in groups:
        ustar[pos, r] = np.where(ri.idx >= 0, ri.idx + ri.frac, ri.before)
    tau = plan.route_time[rows]

    # stationary start at day 0's tempo, clocks running
    p0 = (share * np.minimum(tau, 1.0)).sum(axis=1)
    tbar = (share * tau).sum(axis=1)
    q0 = np.where(tbar > 0, p0 / np.where(tbar > 0, tbar, 1.0), 1.0)
    # rows whose count may reach beyond KMAX (in any member: the same rule for all) keep
    # a Poisson pipeline fed the expected availability (the mean field), for cost: a
    # day's step costs the window times the band, both growing with the count
    mean0 = count_reach(plan, rows, rw)
    big = mean0 + SPREAD * np.sqrt(mean0) > KMAX
    pis, lo_all, e_up = stationary_start(rw, q0, p0, tbar, log_fixed[:, 0], nf, big)
    a0 = np.exp(fleet_log(np.log(np.maximum(e_up, 1e-300)), f, nf) + log_fixed[:, 0])
    lam_pre = rw.c_pre * a0[f]
    sizes = np.array([len(pi) for pi in pis], dtype=np.int64)
    classes = [sel[~big[sel]] for sel in _classes(sizes)]
    classes = [sel for sel in classes if len(sel)]
    m_big = lam_pre[big] * tbar[big]
    held = [_pack(pis, lo_all, sel) for sel in classes]

    log_a, bo, avail = np.zeros((nf, T)), np.zeros((nf, T)), np.zeros((nf, T))
    lam = np.zeros((P, T + 1))
    cum = np.zeros((P, T + 1))
    back_t = np.zeros(P)
    last: list[Inputs | None] = [None] * len(classes)
    empty = np.zeros((0, 0))
    window: list[tuple[tuple[int, bytes], F64, F64]] = [((-1, b""), empty, empty)] * len(classes)
    # moments: per row E[h^2], P(h = 1), E[h_t h_{t+k}]; per class, the laws pi_t0 h_t0
    # (normalised) in flight, stepped beside pi: (law, window start, mass, t0)
    e2, top, cross = np.ones((P, T)), np.ones((P, T)), np.full((P, T), np.nan)
    flight: list[Flight] = [[] for _ in classes]
    still = [0] * len(classes)  # days each class's inputs have not moved
    e_hist = np.ones((int(big.sum()) if moments else 0, T))
    q_bins = np.ones((nf, T, n_bins))
    last_key: list[tuple[int, bytes]] = [(-1, b"")] * len(classes)
    fresh = [True] * len(classes)  # classes whose law may have changed since the day before
    row_law: list[tuple[F64, F64]] = [(np.ones(1), np.ones(1))] * P
    for t in range(T):
        ups = []
        for k, (sel, (pi, lo)) in enumerate(zip(classes, held, strict=True)):
            key = (pi.shape[1], lo.tobytes() + rw.key(sel, t))
            if key != window[k][0]:  # the shares up and backorders on the window's counts
                x = (lo[:, None] + np.arange(pi.shape[1])[None, :]).astype(np.float64)
                short = np.maximum(x - rw.spares[sel, t, None], 0.0)
                window[k] = (key, rw.up(sel, x, t), short)
            _, up, short = window[k]
            ups.append(up)
            e_up[sel] = np.minimum((pi * up).sum(axis=1), 1.0)
            back_t[sel] = (pi * short).sum(axis=1)
            if moments:
                for j, i in enumerate(sel):
                    row_law[i] = (pi[j], up[j])
                e2[sel, t] = (pi * up * up).sum(axis=1)
                top[sel, t] = (pi * (up >= 1.0 - 1e-12)).sum(axis=1)
                for phi, plo, mass, t0 in flight[k]:
                    if t - t0 == lag:
                        xs = (plo[:, None] + np.arange(phi.shape[1])[None, :]).astype(np.float64)
                        cross[sel, t0] = mass * (phi * rw.up(sel, xs, t)).sum(axis=1)
        if big.any():
            back_t[big], e_up[big] = poisson_up(rw, big, m_big, t)
            if moments:  # the mean field: no spread
                e2[big, t] = e_up[big] ** 2
                top[big, t] = 0.0
                e_hist[:, t] = e_up[big]
                if t >= lag:
                    cross[big, t - lag] = e_up[big] * e_hist[:, t - lag]
        log_a[:, t] = fleet_log(np.log(np.maximum(e_up, 1e-300)), f, nf)
        bo[:, t] = fleet_log(back_t, f, nf)
        if moments:
            redo = np.zeros(nf, dtype=np.bool_)
            for k, sel in enumerate(classes):
                redo[f[sel]] |= fresh[k] or window[k][0] != last_key[k]
                last_key[k] = window[k][0]
            redo |= t == 0
            redo[f[big]] = True
            for fl in np.flatnonzero(redo):
                mine = np.flatnonzero((f == fl) & ~big)
                lb = np.log(np.maximum(e_up[(f == fl) & big], 1e-300)).sum()
                scale = float(np.exp(log_fixed[fl, t] + lb))
                q_bins[fl, t] = quantile_means([row_law[i] for i in mine], n_bins, scale)
            if t:
                q_bins[~redo, t] = q_bins[~redo, t - 1]
        a_t = np.exp(log_a[:, t] + log_fixed[:, t])
        avail[:, t] = a_t
        g = np.where(e_up > 0, a_t[f] / np.maximum(e_up, 1e-300), 0.0)
        lam[:, t] = c[:, t] * a_t[f]
        if t + 1 == T:
            break
        cum[:, t + 1] = cum[:, t] + lam[:, t]
        u0, u1 = ustar[:, :, t], ustar[:, :, t + 1]
        at0 = _at(cum, lam, lam_pre, u0)
        now = (share * (cum[:, t, None] - at0)).sum(axis=1)
        back = np.maximum(_at(cum, lam, lam_pre, np.minimum(u1, float(t))) - at0, 0.0)
        old = (share * back).sum(axis=1)
        q = np.clip(np.where(now > 0, old / np.where(now > 0, now, 1.0), 1.0), 0.0, 1.0)
        p = np.clip((share * (t + 1.0 - np.maximum(u1, float(t)))).sum(axis=1), 0.0, 1.0)
        if big.any():
            m_big = m_big * (1.0 - q[big]) + p[big] * lam[big, t]
        for k, sel in enumerate(classes):
            pi, lo = held[k]
            arrivals = (p[sel] * c[sel, t] * g[sel])[:, None] * ups[k]
            if moments:
                unmoved = not _moved(last[k], pi, lo, q[sel], arrivals).any()
                last[k] = (pi, lo, q[sel], arrivals)
                still[k] = still[k] + 1 if unmoved else 0
                fresh[k] = still[k] <= lag
                if still[k] > lag:  # the same days as before: the laws in flight shift
                    flight[k] = [(a, b, m, t0 + 1) for a, b, m, t0 in flight[k]]
                    continue
                flight[k] = [e for e in flight[k] if t - e[3] < lag]
                coef = p[sel] * c[sel, t] * g[sel]

                def up_at(x: F64, sel: I64 = sel, t: int = t) -> F64:
                    return rw.up(sel, x, t)

                held[k], flight[k] = _step_flight(pi, lo, q[sel], coef, up_at, flight[k], t)
                continue
            moved = _moved(last[k], pi, lo, q[sel], arrivals)
            last[k] = (pi, lo, q[sel], arrivals)
            if moved.all():
                held[k] = step_laws(pi, lo, q[sel], arrivals)
            elif moved.any():  # laws that stay put: the step leaves them where they are
                got = step_laws(pi[moved], lo[moved], q[sel][moved], arrivals[moved])
                held[k] = _merge(pi, lo, moved, got)
    if not moments:
        return log_a, bo, avail, None
    fixed = np.exp(log_fixed)
    lag_fixed = np.full_like(fixed, np.nan)
    if lag < T:
        lag_fixed[:, : T - lag] = fixed[:, : T - lag] * fixed[:, lag:]

    def prod(v: F64) -> F64:
        out: F64 = np.exp(_fleet_rows(np.log(np.maximum(v, 1e-300)), f, nf))
        return out

    mom = Moments(avail, prod(e2) * fixed**2, prod(cross) * lag_fixed, prod(top), lag, q_bins)
    return log_a, bo, avail, mom


def _step_flight(
    pi: F64,
    lo: I64,
    q: F64,
    coef: F64,
    up_at: Callable[[F64], F64],
    flight: Flight,
    t: int,
) -> tuple[tuple[F64, I64], Flight]:
    """One day for a class's law ``pi`` and its tilted laws in flight, with a new one,
    ``pi h`` normalised, started on day ``t``, all stepped through the same chain (arrivals
    ``coef * up(x)`` at each law's own counts)."""
    K0 = pi.shape[1]
    w = pi * up_at((lo[:, None] + np.arange(K0)[None, :]).astype(np.float64))
    mass = w.sum(axis=1)
    laws = [(pi, lo), (w / np.maximum(mass, 1e-300)[:, None], lo)]
    laws += [(a, b) for a, b, _, _ in flight]
    K = max(a.shape[1] for a, _ in laws)
    n = len(lo)
    stack = np.zeros((len(laws) * n, K))
    for i, (a, _) in enumerate(laws):
        stack[i * n : (i + 1) * n, : a.shape[1]] = a
    reps = len(laws)
    starts = np.concatenate([b for _, b in laws])
    x = (starts[:, None] + np.arange(K)[None, :]).astype(np.float64)
    ups = np.vstack([up_at(x[i * n : (i + 1) * n]) for i in range(reps)])
    got, got_lo = step_laws(stack, starts, np.tile(q, reps), np.tile(coef, reps)[:, None] * ups)
    parts = [trim_laws(got[i * n : (i + 1) * n], got_lo[i * n : (i + 1) * n]) for i in range(reps)]
    out: Flight = [(*parts[1], mass, t)]
    out += [(*parts[i + 2], m, t0) for i, (_, _, m, t0) in enumerate(flight)]
    return parts[0], out


def _fleet_rows(values: F64, fleet: I64, nf: int) -> F64:
    """Per fleet, the sum over its rows of ``values [P, T]``."""
    out = np.zeros((nf, values.shape[1]))
    np.add.at(out, fleet, values)
    return out


def _at(cum: F64, lam: F64, lam_pre: F64, u: F64) -> F64:
    """``Lambda(u) [P, R]`` from cumulative demand ``cum`` and daily rates ``lam``
    (``[P, D]``, linear within a day, ``lam_pre * u`` before 0)."""
    k = np.clip(np.floor(u), 0, lam.shape[1] - 1).astype(np.int64)
    i = np.arange(len(u))[:, None]
    got = cum[i, k] + (u - k) * lam[i, k]
    out: F64 = np.where(u < 0, lam_pre[:, None] * u, got)
    return out
