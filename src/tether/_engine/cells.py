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

import numpy as np
from numpy.typing import NDArray

from tether._engine import poisson
from tether._engine.poisson import SPREAD, ebo, negligible_top

__all__ = ["grouped_backorders_and_up"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]


def _sum_tail(m: F64, a: int) -> tuple[F64, F64]:
    """``P(X >= a)`` (absolute accuracy) and ``P(X = a)`` for one integer ``a``."""
    with np.errstate(under="ignore"):
        term = np.exp(-m)
        below = np.zeros_like(m)
        for k in range(a):
            below += term
            term *= m
            term *= 1.0 / (k + 1)
    q: F64 = 1.0 - below
    return q, term


def _group(m: F64, a: int, n: F64, z: int) -> tuple[F64, F64]:
    """Backorders and share up of cells with spares ``a`` and ``Z = z``; ``m``, ``n`` ``[c]``."""
    if a <= poisson.SMALL_A:
        q, pmf = _sum_tail(m, a)
    else:
        q, pmf = poisson._tail_gamma(m, np.full(len(m), a, dtype=np.int64))
    back: F64 = np.maximum(m * q - a * (q - pmf), 0.0)
    if z == 1:
        holes = back.copy()
        top = a + n
        near = top < m + SPREAD * np.sqrt(m) + SPREAD
        if near.any():
            near[near] = ~negligible_top(m[near], top[near], 2, 1.0)
        if near.any():
            holes[near] -= ebo(m[near], top[near].astype(np.int64))
            np.maximum(holes, 0.0, out=holes)
        up: F64 = 1.0 - holes / n
    else:
        s = np.full(len(m), a, dtype=np.int64)
        up = poisson._up_z(m[:, None], s, n, z, q[:, None], pmf[:, None])[:, 0]
    np.clip(up, 0.0, 1.0, out=up)
    return back, up


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
        back[lo:hi], up[lo:hi] = _group(m[lo:hi], int(s[lo]), n[lo:hi], int(zi[lo]))
    if order is not None:
        b_out, u_out = np.empty(c), np.empty(c)
        b_out[order], u_out[order] = back, up
        return b_out, u_out
    return back, up
