"""Munitions on the 'available' tempo basis: expected rounds fired over the law of the
units-up path (pure numpy and scipy).

On this basis a fleet's demand on day ``t`` is ``N_t use_t A_t``, with ``A_t`` its random
share of units up, and the stock follows Lindley's recursion on that random demand:
``fired_t = min(S_t + R_t, D_t)``, ``S_{t+1} = S_t + R_t - fired_t``. The expected fired
rounds need the law of the whole path of ``A`` (the stock integrates it), not its mean.

The path is approximated by a Markov chain on ``K`` quantile bins of the day's law of
``A_t`` (a Gaussian copula with lag-one correlation ``rho_t``):

- bin ``j`` holds the mean of ``A_t`` over the quantiles ``[j / K, (j + 1) / K)`` of the
  day's law, so the bins' mean is ``E[A_t]`` exactly. The engine (:func:`available_factors`)
  takes the law of the product of the rows' independent share-up laws
  (:func:`tether._engine.feedback.availability_moments`, on a grid: see
  :mod:`tether._engine.share_law`); :func:`expected_fired` without those bins assumes an
  atom ``P(A_t = 1)`` (no unit down) and a beta law below it with the mean and variance;
- from day ``t`` to ``t + 1`` a bin moves to another with the probabilities of a standard
  bivariate normal of correlation ``rho_t = Corr(A_t, A_{t+1})`` between the bins' normal
  scores (made doubly stochastic, so every bin keeps probability ``1 / K``);
- the stock is carried jointly with the bin on a grid of rounds (``h`` apart, a window
  that slides with the law, mass split linearly between the two grid points around an
  exact stock, which keeps its mean), and the recursion is exact given the bin: the floor
  at 0, resupply and one-off deliveries.

``E[fired_t]`` and ``E[S_t]`` follow from the joint law each day. What is approximated:
the law of ``A_t`` (the rows taken as independent and the product put on a grid; or two
moments and the atom), the path's dependence beyond one day (geometric in the copula's
scores), and the grid of rounds (spread added: at most ``h^2 / 4`` of variance a day).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray
from scipy.special import betainc, betaincinv, ndtr, ndtri

from tether._engine.arrays import Plan, route_clock_masks
from tether._engine.factors import munitions_stock
from tether._engine.feedback import Moments, availability_moments, route_groups
from tether._engine.pipeline import clock
from tether._engine.varying import plain_rows

__all__ = [
    "BINS",
    "LAG",
    "Fired",
    "available_factors",
    "expected_fired",
    "moments_fleets",
    "path_munitions",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Quantile bins of the day's share up.
BINS = 32

#: Normal scores per bin averaged in a transition's row.
NODES = 4

#: Grid points per standard deviation of a day's demand (the median over days), and at
#: least per largest day's demand over :data:`WINDOW`.
PER_SD = 8

#: Largest stock window (grid points); past it the grid spacing doubles.
WINDOW = 1500

#: Tail mass dropped from the stock window's ends.
TAIL = 1e-14

#: Transition matrices are tabulated on this many conditional spreads ``sqrt(1 - rho^2)``.
SPREADS = 200


def _bin_values(mean: F64, second: F64, top: F64) -> F64:
    """Mean share up in each quantile bin ``[n, T, K]`` (atom at 1, beta below)."""
    var = np.maximum(second - mean * mean, 0.0)
    p1 = np.clip(top, 0.0, 1.0 - 1e-9)
    rest = 1.0 - p1
    m = (mean - p1) / rest
    v = (second - p1) / rest - m * m
    ok = (m > 1e-9) & (m < 1.0 - 1e-9) & (v > 0) & (v < m * (1.0 - m))
    p1 = np.where(ok, p1, 0.0)  # no usable atom: a beta law with the whole moments
    rest = 1.0 - p1
    m = np.where(ok, m, np.clip(mean, 1e-9, 1.0 - 1e-9))
    v = np.where(ok, v, var)
    v = np.clip(v, 1e-15, 0.999 * m * (1.0 - m))
    k = m * (1.0 - m) / v - 1.0
    a, b = m * k, (1.0 - m) * k
    p = np.arange(BINS + 1) / BINS  # bin edges in probability

    def partial(pp: F64) -> F64:
        """``int_0^pp Q(u) du`` for ``pp [.., K+1]``."""
        below = np.minimum(pp, rest[..., None])
        u = below / rest[..., None]
        x = betaincinv(a[..., None], b[..., None], np.clip(u, 0.0, 1.0))
        head = rest[..., None] * m[..., None] * betainc(a[..., None] + 1.0, b[..., None], x)
        out: F64 = head + np.maximum(pp - rest[..., None], 0.0)
        return out

    g = partial(np.broadcast_to(p, (*mean.shape, BINS + 1)))
    vals = np.diff(g, axis=-1) * BINS
    # no spread: every bin at the mean
    vals = np.where((var <= 1e-14)[..., None], mean[..., None], vals)
    out: F64 = np.clip(vals, 0.0, 1.0)
    return out


@cache
def _transitions(bins: int) -> tuple[F64, F64]:
    """Tabulated bin-to-bin matrices ``[SPREADS, K, K]`` for ``K = bins`` and their
    spreads (built once per ``bins``, on first use)."""
    spreads = np.concatenate([[0.0], np.geomspace(1e-3, 1.0, SPREADS - 1)])
    edges = ndtri(np.arange(bins + 1) / bins)
    sub = (np.arange(bins)[:, None] + (np.arange(NODES)[None, :] + 0.5) / NODES) / bins
    z = ndtri(sub)  # [K, NODES] normal scores inside each bin
    out = np.empty((SPREADS, bins, bins))
    for i, s in enumerate(spreads):
        rho = np.sqrt(1.0 - s * s)
        if s == 0.0:
            m = np.eye(bins)
        else:
            c = ndtr((edges[None, None, :] - rho * z[:, :, None]) / s)  # [K, NODES, K+1]
            m = np.diff(c, axis=-1).mean(axis=1)
        for _ in range(50):  # doubly stochastic: every bin keeps 1 / K
            m /= m.sum(axis=0, keepdims=True)
            m /= m.sum(axis=1, keepdims=True)
        out[i] = m
    return out, spreads


def _transition(rho: F64) -> F64:
    """Bin-to-bin matrices ``[n, K, K]`` for correlations ``rho [n]`` (interpolated)."""
    table, spreads = _transitions(BINS)
    s = np.sqrt(np.clip(1.0 - np.clip(rho, 0.0, 1.0) ** 2, 0.0, 1.0))
    i = np.clip(np.searchsorted(spreads, s) - 1, 0, SPREADS - 2)
    w = np.clip((s - spreads[i]) / (spreads[i + 1] - spreads[i]), 0.0, 1.0)
    out: F64 = table[i] * (1.0 - w)[:, None, None] + table[i + 1] * w[:, None, None]
    return out


#: Days between the two instants whose correlation the copula matches.
LAG = 3

#: Every how many tabulated spreads the calibration of the copula's correlation looks.
COARSE = 8


def _calibrate(v0: F64, v1: F64, corr: F64) -> F64:
    """Copula correlations ``[n, D]`` under which the bins' values ``v0, v1 [n, D, K]`` on
    two days have correlation ``corr [n, D]`` (the scores' correlation is higher than the
    values': the beta and the atom bend them)."""
    table, spreads = _transitions(BINS)
    idx = np.arange(0, SPREADS, COARSE)
    if idx[-1] != SPREADS - 1:
        idx = np.append(idx, SPREADS - 1)
    m0, m1 = v0.mean(axis=2), v1.mean(axis=2)
    sd = np.sqrt(np.maximum(v0.var(axis=2) * v1.var(axis=2), 0.0))
    want = corr * sd  # the covariance the bins should have
    n, T1, _ = v0.shape
    out = np.ones((n, T1))
    step = max(1, 200_000 // max(1, n * len(idx) * BINS))
    for lo in range(0, T1, step):
        sl = slice(lo, lo + step)
        got = np.einsum("ntj,sjk,ntk->nts", v0[:, sl], table[idx], v1[:, sl]) / BINS
        got -= (m0[:, sl] * m1[:, sl])[..., None]  # decreasing along the spreads
        w = want[:, sl, None]
        i = np.clip((got >= w).sum(axis=2), 1, len(idx) - 1)  # first spread below the target
        g0 = np.take_along_axis(got, (i - 1)[..., None], 2)[..., 0]
        g1 = np.take_along_axis(got, i[..., None], 2)[..., 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.clip(np.nan_to_num((g0 - want[:, sl]) / (g0 - g1)), 0.0, 1.0)
        spread = spreads[idx[i - 1]] + f * (spreads[idx[i]] - spreads[idx[i - 1]])
        out[:, sl] = np.sqrt(1.0 - spread * spread)
    # no spread on either day: anything goes
    flat = sd <= 1e-14
    out[flat] = 1.0
    return out


def _place(pos: F64, mass: F64, n: int) -> tuple[F64, I64]:
    """Mass ``[n, K, G]`` at grid positions ``pos`` (absolute, in grid steps) split
    linearly onto the grid: the new window ``[n, K, G']`` and its first index ``[n]``."""
    lo = np.floor(pos).astype(np.int64)
    w = pos - lo
    live = mass > 0
    big = np.iinfo(np.int64).max
    start = np.where(live, lo, big).reshape(n, -1).min(axis=1)
    start = np.where(start == big, 0, start)
    stop = np.where(live, lo, 0).reshape(n, -1).max(axis=1) + 2
    size = int(max((stop - start).max(), 1))
    K = pos.shape[1]
    rel = np.where(live, lo - start[:, None, None], 0)
    base = (np.arange(n)[:, None, None] * K + np.arange(K)[None, :, None]) * size
    out = np.bincount(
        (base + rel).ravel(), weights=(mass * (1.0 - w)).ravel(), minlength=n * K * size
    )
    out += np.bincount(
        (base + np.minimum(rel + 1, size - 1)).ravel(),
        weights=(mass * w).ravel(),
        minlength=n * K * size,
    )
    return np.asarray(out, dtype=np.float64).reshape(n, K, size), start


def _trim(law: F64, start: I64) -> tuple[F64, I64]:
    total = law.sum(axis=1)  # [n, G]
    c = np.cumsum(total, axis=1)
    first = np.argmax(c > TAIL, axis=1)
    r = np.cumsum(total[:, ::-1], axis=1)
    G = total.shape[1]
    last = G - 1 - np.argmax(r > TAIL, axis=1)
    keep = int(np.maximum(last - first + 1, 1).max())
    cols = np.minimum(first[:, None] + np.arange(keep)[None, :], G - 1)
    inside = (first[:, None] + np.arange(keep)[None, :]) <= last[:, None]
    out = np.take_along_axis(law, np.broadcast_to(cols[:, None, :], (*law.shape[:2], keep)), 2)
    out = np.where(inside[:, None, :], out, 0.0)
    return out, start + first


def _coarsen(law: F64, start: I64) -> tuple[F64, I64]:
    """Double the grid spacing, keeping each chain's mean: a point at an odd index goes
    half to each neighbour of the coarse grid."""
    odd = start % 2 == 1
    n, K, G = law.shape
    pad = np.zeros((n, K, G + 3))
    pad[~odd, :, :G] = law[~odd]
    pad[odd, :, 1 : G + 1] = law[odd]
    start = start - odd.astype(np.int64)
    even, rest = pad[:, :, 0::2], pad[:, :, 1::2]
    H = min(even.shape[2], rest.shape[2])
    out = even[:, :, :H].copy()
    out += 0.5 * rest[:, :, :H]
    out[:, :, 1:H] += 0.5 * rest[:, :, : H - 1]
    return out, start // 2


@dataclass(frozen=True)
class Fired:
    """Per chain ``[n, T, K]``: the share up of each bin ``value``, its probability
    ``mass`` and the expected rounds fired in it ``fired`` (``E[fired; bin]``); and the
    expected stock at each instant ``stock [n, T]``."""

    value: F64
    mass: F64
    fired: F64
    stock: F64


def expected_fired(
    mean: F64,
    second: F64,
    lag: F64,
    top: F64,
    demand_up: F64,
    stock0: F64,
    resupply: F64,
    days: int = 1,
    vals: F64 | None = None,
) -> Fired:
    """Expected rounds fired per bin of the share up and expected stock (:class:`Fired`).

    ``mean, second, lag, top [n, T]``: ``E[A_t]``, ``E[A_t^2]``, ``E[A_t A_{t+k}]``
    (``k = days``) and ``P(A_t = 1)`` of the share up; ``demand_up [n, T]`` the demand
    with every unit up (``N_t use_t``); ``stock0 [n]``; ``resupply [n, T]`` (deliveries
    included). The copula's daily correlation is the ``k``-th root of the one that gives
    the bins the correlation of ``A_t`` and ``A_{t+k}``. A chain with no spread on any day
    is the recursion on its mean (exact), in one bin. ``vals [n, T, K]``: the bins' means
    of the share up where the law is known (else an atom at 1 and a beta law below with
    the moments).
    """
    n, T = mean.shape
    flat = (second - mean * mean <= 1e-14).all(axis=1)
    value, mass = np.zeros((n, T, BINS)), np.zeros((n, T, BINS))
    fired, stock = np.zeros((n, T, BINS)), np.zeros((n, T))
    if flat.any():  # no spread on any day: the recursion on the mean is exact
        d = demand_up[flat] * mean[flat]
        st, _ = munitions_stock(stock0[flat], d, resupply[flat])
        value[flat, :, 0] = mean[flat]
        mass[flat, :, 0] = 1.0
        fired[flat, :, 0] = np.minimum(st + resupply[flat], d)
        stock[flat] = st
    k = ~flat
    if k.any():
        v = _bin_values(mean[k], second[k], top[k]) if vals is None else vals[k]
        got = _chain(mean[k], second[k], lag[k], v, demand_up[k], stock0[k], resupply[k], days)
        value[k], mass[k], fired[k], stock[k] = got
    return Fired(value, mass, fired, stock)


def _chain(
    mean: F64,
    second: F64,
    lag: F64,
    vals: F64,
    demand_up: F64,
    stock0: F64,
    resupply: F64,
    days: int,
) -> tuple[F64, F64, F64, F64]:
    """The joint chain of bin and stock (see :func:`expected_fired`)."""
    n, T = mean.shape
    rho = np.ones((n, T))
    k = days
    if k < T:
        var = np.maximum(second - mean * mean, 0.0)
        v0, v1 = var[:, : T - k], var[:, k:]
        cov = lag[:, : T - k] - mean[:, : T - k] * mean[:, k:]
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.where((v0 > 1e-14) & (v1 > 1e-14), cov / np.sqrt(v0 * v1), 1.0)
        corr = np.clip(np.nan_to_num(corr, nan=1.0), 0.0, 1.0)
        got = _calibrate(vals[:, : T - k], vals[:, k:], corr) ** (1.0 / k)
        rho[:, : T - k] = got
        rho[:, T - k :] = got[:, -1:]
    sd = np.sqrt(np.maximum(second - mean * mean, 0.0)) * demand_up
    top_d = np.maximum(demand_up.max(axis=1), 1e-9)
    h = np.maximum(np.median(sd, axis=1) / PER_SD, top_d / WINDOW)  # grid spacing [n]
    pos0 = np.asarray(stock0, dtype=np.float64) / h
    law, start = _place(
        np.broadcast_to(pos0[:, None, None], (n, BINS, 1)).copy(),
        np.full((n, BINS, 1), 1 / BINS),
        n,
    )
    mass = np.zeros((n, T, BINS))
    fired = np.zeros((n, T, BINS))
    stock = np.zeros((n, T))
    for t in range(T):
        law, start = _trim(law, start)
        while law.shape[2] > WINDOW:
            law, start = _coarsen(law, start)
            h = 2.0 * h
            law, start = _trim(law, start)
        G = law.shape[2]
        s = (start[:, None] + np.arange(G)[None, :]) * h[:, None]  # [n, G]
        d = demand_up[:, t, None] * vals[:, t]  # [n, K]
        r = resupply[:, t, None, None]
        out = np.minimum(s[:, None, :] + r, d[:, :, None])
        fired[:, t] = (law * out).sum(axis=2)
        mass[:, t] = law.sum(axis=2)
        stock[:, t] = (law.sum(axis=1) * s).sum(axis=1)
        if t + 1 == T:
            break
        after = np.maximum(s[:, None, :] + r - d[:, :, None], 0.0)
        law, start = _place(after / h[:, None, None], law, n)
        m = _transition(rho[:, t])  # [n, K, K]
        law = np.matmul(m.transpose(0, 2, 1), law)
    return vals, mass, fired, stock


def path_munitions(plan: Plan) -> NDArray[np.bool_]:
    """Which munitions :func:`available_factors` does: those of 'available'-basis fleets
    whose rows all take the constant path, when no cutoff has a random length (every
    length case would pay the moments' pass, hundreds of them)."""
    nf = len(plan.fleets)
    fleet = plan.mu_fleet
    fleet_ok = np.ones(nf, dtype=np.bool_)
    np.logical_and.at(fleet_ok, plan.part_fleet, plain_rows(plan))
    out: NDArray[np.bool_] = (
        plan.available_basis[fleet] & fleet_ok[fleet] & (not plan.random_cutoffs)
    )
    return out


def moments_fleets(plan: Plan) -> NDArray[np.bool_]:
    """Fleets ``[F]`` whose moments :func:`available_factors` needs: the parts' pass may
    carry them (:func:`tether._engine.feedback.parts_available_moments`) and pass them in
    ``known``, keyed by the cut mask's bytes."""
    out = np.zeros(len(plan.fleets), dtype=np.bool_)
    out[plan.mu_fleet[path_munitions(plan)]] = True
    return out


def available_factors(
    plan: Plan,
    cuts: NDArray[np.bool_],
    demand_up: F64,
    resupply: F64,
    known: dict[bytes, Moments] | None = None,
) -> tuple[F64, F64, NDArray[np.bool_]]:
    """Munitions factors and expected stocks ``[L, M, T]`` of the munitions of
    'available'-basis fleets under cut masks ``cuts [L, S, K, T]``, given each munition's
    demand with every unit up ``demand_up [M, T]`` and resupply ``resupply [L, M, T]``;
    and which munitions were done so (fleets whose rows all take the constant path; the
    others are left to the caller: factor 1, stock 0 here).

    A fleet's factor is ``E[A prod_k f_k] / E[A]`` (so that the engine's capability
    ``N E[A] factor`` is the expectation of ``N A prod_k f_k``), with ``f_k`` the share of
    munition ``k``'s demand fired; it goes on the fleet's first munition, 1 on the others.
    Given the bin of ``A`` the munitions' shares are taken as independent (exact for one).
    """
    L, T = len(cuts), plan.horizon + 1
    nf = len(plan.fleets)
    fleet = plan.mu_fleet
    done = path_munitions(plan)
    factor = np.ones((L, len(fleet), T))
    stock = np.zeros((L, len(fleet), T))
    if not done.any():
        return factor, stock, done
    wanted = np.zeros(nf, dtype=np.bool_)
    wanted[fleet[done]] = True
    rows = np.flatnonzero(wanted[plan.part_fleet])
    mu = np.flatnonzero(done)
    f = fleet[mu]
    got = []
    for c in cuts:
        have = None if known is None else known.get(c.tobytes())
        if have is not None:  # carried with the parts (see moments_fleets)
            got.append(have)
            continue
        actives, cid = route_clock_masks(plan, c[None])
        clocks = [clock(a[0]) for a in actives]
        groups = route_groups(plan, clocks, cid, rows)
        got.append(availability_moments(plan, rows, groups, np.zeros((nf, T)), LAG, BINS))
    mean = np.stack([g.mean[f] for g in got])  # [L, m, T]
    m = len(mu)
    shape = (L * m, T)

    def flat(key: str) -> F64:
        out: F64 = np.stack([getattr(g, key)[f] for g in got]).reshape(shape)
        return out

    res = expected_fired(
        mean.reshape(shape),
        flat("second"),
        flat("lag"),
        flat("top"),
        np.broadcast_to(demand_up[mu][None], (L, m, T)).reshape(shape),
        np.tile(plan.mu_stock[mu], L),
        resupply[:, mu].reshape(shape),
        LAG,
        np.stack([g.bins[f] for g in got]).reshape(L * m, T, BINS),
    )
    stock[:, mu] = res.stock.reshape(L, m, T)
    value = res.value.reshape(L, m, T, BINS)
    mass = res.mass.reshape(L, m, T, BINS)
    fired = res.fired.reshape(L, m, T, BINS)
    d = demand_up[mu][None, :, :, None] * value  # [L, m, T, K]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(d * mass > 0, fired / np.where(d * mass > 0, d * mass, 1.0), 1.0)
    for fl in np.unique(f):
        own = np.flatnonzero(f == fl)
        joint = (mass[:, own[0]] * value[:, own[0]] * share[:, own].prod(axis=1)).sum(axis=2)
        ea = mean[:, own[0]]
        factor[:, mu[own[0]]] = np.where(ea > 0, joint / np.where(ea > 0, ea, 1.0), 1.0)
    return np.clip(factor, 0.0, 1.0), stock, done
