"""Expected backorders and share up on flat cells, a group of equal ``(Z, spares)`` at a
time (pure numpy/scipy).

:func:`tether._engine.poisson.backorders_and_up` evaluates ``[P, T]`` blocks whose rows
differ in spares and ``Z``, so its Poisson tails loop over every spares level with masks.
The cells the engine evaluates one by one (:mod:`tether._engine.reuse`) come as flat
arrays; grouped by ``(Z, spares)``, each group's tail ``P(X >= s)`` is the finite sum
``1 - exp(-m) sum_{k<s} m^k / k!`` with scalar coefficients (no masks, no incomplete
gamma for ``s <= SMALL_A``), and the ``Z = 1`` term at ``s + N`` is left out where a bound
puts it below 1e-18. The finite sum is accurate to about 1e-16 absolute (not relative)
where the tail is small: every quantity computed from it (backorders, the share up) is
needed to absolute accuracy only, and equals the incomplete-gamma evaluation to 1e-12
(``tests/test_cells.py``).
"""

from __future__ import annotations

from math import comb

import numpy as np
from numpy.typing import NDArray

from tether._engine import poisson
from tether._engine.poisson import SPREAD, negligible_top

__all__ = ["group_backorders_and_up", "grouped_backorders_and_up"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]


def _sum_tail(m: F64, a: int) -> tuple[F64, F64]:
    """``P(X >= a)`` (absolute accuracy) and ``P(X = a)`` for one integer ``a``."""
    with np.errstate(under="ignore"):
        term = np.exp(-m)
        if not a:
            return np.ones_like(m), term
        below = term.copy()
        for k in range(1, a + 1):
            term *= m
            term *= 1.0 / k
            if k < a:
                below += term
    q: F64 = 1.0 - below
    return q, term


def group_backorders_and_up(m: F64, a: int, n: F64, z: int) -> tuple[F64, F64]:
    """Backorders and share up of flat cells ``m [c]`` with spares ``a`` and ``Z = z``
    (``n [c]`` units): :func:`~tether._engine.poisson.backorders_and_up` for one group."""
    if not len(m):
        return np.zeros(0), np.zeros(0)
    if a <= poisson.SMALL_A:
        q, pmf = _sum_tail(m, a)
    else:
        q, pmf = poisson._tail_gamma(m, np.full(len(m), a, dtype=np.int64))
    back: F64 = m * q
    back -= a * (q - pmf)
    np.maximum(back, 0.0, out=back)
    root = np.sqrt(m)
    reach = root + 1.0
    reach *= SPREAD  # Poisson mass beyond m +- reach: below 1e-25
    if z == 1:
        holes = back.copy()
        top = a + n
        near = np.flatnonzero(top < m + reach)
        if len(near):
            near = near[~negligible_top(m[near], top[near], 2, 1.0)]
        if len(near):
            mt, tt = m[near], top[near]
            below = tt < mt - reach[near]  # P(X < top) < 1e-25: EBO(top) = m - top
            qt, pt = np.ones(len(near)), np.zeros(len(near))
            if not below.all():
                fit = np.flatnonzero(~below)
                qt[fit], pt[fit] = poisson._tail_gamma(mt[fit], tt[fit].astype(np.int64))
            holes[near] -= poisson._ebo_from_tail(mt, tt, qt, pt)  # type: ignore[arg-type]
            np.maximum(holes, 0.0, out=holes)
        up: F64 = 1.0 - holes / n
    else:
        up = _up_z(m, a, n, z, q, pmf, root, reach)
    np.clip(up, 0.0, 1.0, out=up)
    return back, up


def _up_z(m: F64, a: int, n: F64, z: int, q: F64, pmf: F64, root: F64, reach: F64) -> F64:
    """:func:`tether._engine.poisson._up_z` on flat cells of one spares level ``a``
    (``root = sqrt(m)``, ``reach = SPREAD (root + 1)``): the same series, corrections and
    direct sums. The series' coefficients depend on ``n`` only: computed once per run of
    cells with equal ``n`` (the cells of one row come together)."""
    M = n * z
    top = a + M
    if z > poisson.SERIES_MAX:  # the series' coefficients would overflow: sum directly
        direct = np.zeros_like(m)
        rows = np.flatnonzero(top >= m - reach)
        if len(rows):
            direct[rows] = poisson._up_direct(m[rows], np.full(len(rows), float(a)), n[rows], z)
        return direct
    starts = np.flatnonzero(np.r_[True, n[1:] != n[:-1]])
    runs = np.diff(np.r_[starts, len(n)])
    Mr = M[starts]
    binom_r = [np.ones_like(Mr)]  # C(M, j), j = 0..z
    for j in range(1, z + 1):
        binom_r.append(binom_r[-1] * (Mr - j + 1) / j)
    coef_r = [(-1) ** k * comb(z, k) / binom_r[k] for k in range(z + 1)]
    binom = [np.repeat(b, runs) for b in binom_r]
    coef = [np.repeat(c, runs) for c in coef_r]
    with np.errstate(over="ignore", invalid="ignore"):
        gs = poisson._upper_moments(m, float(a), q, pmf, z)  # type: ignore[arg-type]
        up: F64 = 1.0 + coef[1] * gs[1]
        for k in range(2, z + 1):
            up += coef[k] * gs[k]
    low = m - reach
    rows = np.flatnonzero((top < m + reach) & (top >= low))  # not grounded (below)
    if len(rows):
        rows = rows[~poisson._negligible_fix(m[rows], top[rows], M[rows], z)]
    if len(rows):
        mt, at = m[rows], top[rows]
        qt, pt = poisson._tail_gamma(mt, at.astype(np.int64))
        gt = poisson._upper_moments(mt, at, qt, pt, z)
        fix = np.zeros_like(mt)
        for k in range(1, z + 1):
            inner = sum(binom[k - i][rows] * gt[i] for i in range(1, k + 1))
            fix += coef[k][rows] * inner
        up[rows] -= fix
    up[top < low] = 0.0  # grounded: P(B < M) < 1e-25
    cancel = (root * poisson.DIRECT > M) | (m - a > M)
    rows = np.flatnonzero(cancel & (top >= low))
    if len(rows):
        up[rows] = poisson._up_direct(m[rows], np.full(len(rows), float(a)), n[rows], z)
    return up


def grouped_backorders_and_up(m: F64, s: I64, n: F64, z: F64) -> tuple[F64, F64]:
    """:func:`~tether._engine.poisson.backorders_and_up` on flat cells: ``m``, ``s``,
    ``n`` (units) and ``z`` (quantity) are ``[c]``. Cells sorted by ``(z, s)`` are taken
    in place; others are sorted first (the result is in the cells' order)."""
    c = len(m)
    if not c:
        return np.zeros(0), np.zeros(0)
    zi = z.astype(np.int64)
    key = zi * (int(s.max()) + 1) + s
    order = None
    if (np.diff(key) < 0).any():
        order = np.argsort(key, kind="stable")
        m, s, n, zi, key = m[order], s[order], n[order], zi[order], key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], c]
    back, up = np.empty(c), np.empty(c)
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        back[lo:hi], up[lo:hi] = group_backorders_and_up(
            m[lo:hi], int(s[lo]), n[lo:hi], int(zi[lo])
        )
    if order is not None:
        b_out, u_out = np.empty(c), np.empty(c)
        b_out[order], u_out[order] = back, up
        return b_out, u_out
    return back, up
