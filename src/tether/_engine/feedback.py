"""The 'available' tempo basis with the count's distribution carried day by day (pure numpy).

On this basis a unit that is down does not fail, so demand depends on the number of
items out. Feeding only the expected availability back into demand (a mean field) keeps
each pipeline Poisson, while the feedback makes it less dispersed. Here each part row's
count out ``X_t`` is carried as a distribution on ``0..K`` and stepped from instant
``t`` to ``t + 1``:

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
  clocks running (the fixed point of the fleet coupling, each row's stationary vector by
  a linear solve). With exponential turnarounds this chain is the machine-repair model,
  whose stationary law is insensitive to the turnaround's distribution.

A step costs ``O(K L)`` per row (the transition applied through its generating function on
``L = K + 1`` roots of unity), ``K`` bounded by the row's fleet-basis pipeline (a failure
rate at full tempo bounds the count) and by the count at which every unit is down.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan
from tether._engine.pipeline import ReturnIndex
from tether._engine.poisson import backorders_and_up

__all__ = ["parts_available", "support_size"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
C128 = NDArray[np.complex128]

#: Fixed-point iterations of the fleet coupling in the stationary start.
START_ITERATIONS = 200

#: Tolerance of the stationary start's fixed point.
START_TOL = 1e-14

#: Largest support carried as a distribution; a row whose count can go further keeps
#: the mean field's Poisson law (for cost).
KMAX = 400

#: Complex cells (rows x support x roots) per block of a day's step.
BLOCK_CELLS = 2_000_000

Groups = list[tuple[int, I64, ReturnIndex]]


def support_size(mean_bound: F64, cap: F64) -> I64:
    """Largest count carried per row: a Poisson tail bound on ``mean_bound`` (a mean
    that bounds the count's), at most ``cap``."""
    k = np.ceil(mean_bound + 10.0 * np.sqrt(mean_bound) + 10.0)
    out: I64 = np.minimum(k, cap).astype(np.int64)
    return out


def _up_share(x: F64, spares: F64, n: F64, z: F64) -> F64:
    """Share of units up ``[P, K]`` given ``x`` items out: every position filled."""
    b = np.maximum(x - spares[:, None], 0.0)
    nz = (n * z)[:, None]
    free = nz - b
    h = np.maximum(free, 0.0) / nz
    for j in range(1, int(z.max()) if len(z) else 1):
        more = j < z[:, None]
        h = np.where(more, h * np.maximum(free - j, 0.0) / np.maximum(nz - j, 1.0), h)
    return h


def _step(pi: F64, q: F64, p: F64, mu: F64) -> F64:
    """One day: ``Binomial(X, 1 - q) + Poisson(p * mu(X))`` for rows ``pi [P, K]``,
    through the generating function on ``K`` roots of unity."""
    P, K = pi.shape
    out = np.empty_like(pi)
    step = max(1, BLOCK_CELLS // (K * K))
    w = np.exp(-2j * np.pi * np.arange(K) / K)
    x = np.arange(K, dtype=np.float64)
    for lo in range(0, P, step):
        s = slice(lo, lo + step)
        base = q[s, None] + (1.0 - q[s, None]) * w[None, :]  # [n, L]
        expo = np.log(np.where(base == 0, 1e-300, base))[:, None, :] * x[None, :, None]  # [n, K, L]
        expo += (p[s, None] * mu[s])[:, :, None] * (w[None, None, :] - 1.0)
        phi = np.einsum("nk,nkl->nl", pi[s], np.exp(expo))
        got = np.fft.ifft(phi, axis=1).real
        np.maximum(got, 0.0, out=got)
        out[s] = got / np.maximum(got.sum(axis=1, keepdims=True), 1e-300)
    return out


def _transition(q: F64, p: F64, mu: F64) -> F64:
    """Transition matrices ``[P, K, K]`` of :func:`_step` (row ``x``: the law from ``x``)."""
    K = mu.shape[1]
    w = np.exp(-2j * np.pi * np.arange(K) / K)
    x = np.arange(K, dtype=np.float64)
    base = q[:, None] + (1.0 - q[:, None]) * w[None, :]
    v = np.power(base[:, None, :], x[None, :, None])
    v *= np.exp((p[:, None] * mu)[:, :, None] * (w[None, None, :] - 1.0))
    tm = np.fft.ifft(v, axis=2).real
    np.maximum(tm, 0.0, out=tm)
    out: F64 = tm / tm.sum(axis=2, keepdims=True)
    return out


def _stationary(tm: F64) -> F64:
    """Stationary vectors ``[P, K]`` of row-stochastic matrices ``tm [P, K, K]``."""
    P, K, _ = tm.shape
    a = np.transpose(tm, (0, 2, 1)) - np.eye(K)[None]
    a[:, -1, :] = 1.0
    rhs = np.zeros((P, K))
    rhs[:, -1] = 1.0
    pi = np.linalg.solve(a, rhs[:, :, None])[:, :, 0]
    np.maximum(pi, 0.0, out=pi)
    out: F64 = pi / pi.sum(axis=1, keepdims=True)
    return out


def _fleet_log(values: F64, fleet: I64, nf: int) -> F64:
    out = np.zeros(nf)
    np.add.at(out, fleet, values)
    return out


def parts_available(plan: Plan, rows: I64, groups: Groups, log_fixed: F64) -> tuple[F64, F64, F64]:
    """Log share up, backorders and availability ``[F, T]`` for the part rows ``rows`` of
    'available'-basis fleets (every row of those fleets), given the route groups of
    ``rows`` (``(route, positions, u*)``) and the other rows' log availability
    ``log_fixed [F, T]``. Same outputs as the engine's mean-field step."""
    nf, T = len(plan.fleets), plan.horizon + 1
    P = len(rows)
    f = plan.part_fleet[rows]
    n = plan.units[f].astype(np.float64)
    n_safe = np.where(n > 0, n, 1.0)
    z = plan.quantity[rows].astype(np.float64)
    spares = plan.spares[rows].astype(np.float64)
    c = (plan.units[f] * plan.quantity[rows] * plan.failure_rate[rows])[:, None] * plan.hours[f]
    R = plan.share.shape[1]
    share = plan.share[rows]
    ustar = np.zeros((P, R, T))
    for r, pos, ri in groups:
        ustar[pos, r] = np.where(ri.idx >= 0, ri.idx + ri.frac, ri.before)
    tau = plan.route_time[rows]

    # support: the fleet-basis count bounds this one; no unit up stops failures. Rows
    # whose count cannot reach a backorder keep their Poisson law; so do rows whose
    # support exceeds KMAX (the mean field, for cost)
    full = _cum(c, c[:, 0])
    m_full = (
        share[:, :, None]
        * (full(np.broadcast_to(np.arange(T, dtype=np.float64), ustar.shape)) - full(ustar))
    ).sum(axis=1)
    jump = c.max(axis=1) + 10.0 * np.sqrt(c.max(axis=1)) + 10.0
    kk = support_size(m_full.max(axis=1), np.ceil(spares + n_safe * z + jump))
    carried = np.flatnonzero((kk > spares) & (kk <= KMAX) & (n > 0))
    poisson = np.flatnonzero(~np.isin(np.arange(P), carried))
    K = int(kk[carried].max()) + 1 if len(carried) else 1
    x = np.arange(K, dtype=np.float64)[None, :]
    up = _up_share(
        np.broadcast_to(x, (len(carried), K)), spares[carried], n_safe[carried], z[carried]
    )
    bo_x = np.maximum(x - spares[carried, None], 0.0)
    sp_int = plan.spares[rows][poisson].astype(np.int64)

    def poisson_rows(m: F64) -> tuple[F64, F64]:
        back, upp = backorders_and_up(m[:, None], sp_int, n_safe[poisson], z[poisson])
        upp[n[poisson] <= 0] = 1.0
        return back[:, 0], upp[:, 0]

    # stationary start at day 0's tempo, clocks running
    q0 = (share * np.minimum(tau, 1.0)).sum(axis=1)
    tbar = (share * tau).sum(axis=1)
    p0 = q0.copy()
    q0 = np.where(tbar > 0, q0 / np.where(tbar > 0, tbar, 1.0), 1.0)
    g = np.ones(P)
    pi = np.zeros((len(carried), K))
    e_up = np.ones(P)
    for _ in range(START_ITERATIONS):
        pi = _stationary(
            _transition(q0[carried], p0[carried], c[carried, :1] * g[carried, None] * up)
        )
        e_up[carried] = (pi * up).sum(axis=1)
        e_up[poisson] = poisson_rows(c[poisson, 0] * g[poisson] * tbar[poisson])[1]
        e_up = np.maximum(e_up, 1e-300)
        a_f = np.exp(_fleet_log(np.log(e_up), f, nf) + log_fixed[:, 0])
        g_new = a_f[f] / e_up
        done = bool(np.abs(g_new - g).max() <= START_TOL)
        g = g_new
        if done:
            break
    lam_pre = c[:, 0] * a_f[f]

    log_a, bo, avail = np.zeros((nf, T)), np.zeros((nf, T)), np.zeros((nf, T))
    lam = np.zeros((P, T + 1))
    cum = np.zeros((P, T + 1))
    back_t = np.zeros(P)
    out_t = lam_pre * tbar
    for t in range(T):
        e_up[carried] = (pi * up).sum(axis=1)
        back_t[carried] = (pi * bo_x).sum(axis=1)
        back_t[poisson], e_up[poisson] = poisson_rows(out_t[poisson])
        log_a[:, t] = _fleet_log(np.log(np.maximum(e_up, 1e-300)), f, nf)
        bo[:, t] = _fleet_log(back_t, f, nf)
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
        out_t = now - old + lam[:, t] * p
        if len(carried):
            mu = c[carried, t : t + 1] * g[carried, None] * up
            pi = _step(pi, q[carried], p[carried], mu)
    return log_a, bo, avail


def _at(cum: F64, lam: F64, lam_pre: F64, u: F64) -> F64:
    """``Lambda(u) [P, R]`` from cumulative demand ``cum`` and daily rates ``lam``
    (``[P, D]``, linear within a day, ``lam_pre * u`` before 0)."""
    k = np.clip(np.floor(u), 0, lam.shape[1] - 1).astype(np.int64)
    i = np.arange(len(u))[:, None]
    got = cum[i, k] + (u - k) * lam[i, k]
    out: F64 = np.where(u < 0, lam_pre[:, None] * u, got)
    return out


def _cum(lam: F64, lam_pre: F64):  # type: ignore[no-untyped-def]
    """``Lambda(u)`` for rates ``lam [P, D]`` on days ``0..D-1`` (linear within a day,
    ``lam_pre * u`` before 0); ``u`` of shape ``[P, ...]``, at most ``D``."""
    P, D = lam.shape
    cum = np.zeros((P, D + 1))
    np.cumsum(lam, axis=1, out=cum[:, 1:])
    ext = np.concatenate([lam, np.zeros((P, 1))], axis=1)

    def at(u: F64) -> F64:
        shape = u.shape
        uu = u.reshape(P, -1)
        k = np.clip(np.floor(uu), 0, D).astype(np.int64)
        got = np.take_along_axis(cum, k, axis=1) + (uu - k) * np.take_along_axis(ext, k, axis=1)
        got = np.where(uu < 0, lam_pre[:, None] * uu, got)
        return got.reshape(shape)

    return at
