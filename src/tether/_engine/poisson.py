"""Expected backorders and availability from Poisson pipelines (pure numpy/scipy)."""

from __future__ import annotations

from math import comb

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["availability_log", "backorders_and_up", "ebo", "empty_positions"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: A Poisson variable is treated as never beyond ``m + SPREAD * (sqrt(m) + 1)`` (and never
#: below ``m - SPREAD * (sqrt(m) + 1)``): the mass left out is below 1e-25.
SPREAD = 12.0

#: Below ``M < DIRECT * sqrt(m)`` positions the moment formula of :func:`backorders_and_up` loses
#: digits to cancellation, and the direct sum over its at most ``M`` terms is used instead.
DIRECT = 3.0

#: Parts installed more than this many times per unit always take the direct sum.
SERIES_MAX = 16

#: Most terms of the direct sum computed one by one; wider windows take a midpoint rule.
MAX_TERMS = 2048

#: Cells times terms of a direct sum taken as one block rather than term by term.
BLOCK_TERMS = 1 << 18

#: Cheaper evaluations, equal to the incomplete-gamma ones to about 1e-15 (``False``: every
#: tail by :func:`scipy.special.gammainc`, every ``Z > 1`` correction computed): tails at
#: ``a <= SMALL_A`` by a finite sum, and the ``Z > 1`` correction at ``s + M`` skipped where
#: a bound puts it below 1e-18.
FAST = True
SMALL_A = 24

#: Tails below this take the incomplete gamma function (the sum loses relative digits).
SUM_TAIL_MIN = 0.05

#: ``log(1e-18)``: corrections bounded below this are left out.
LOG_NEGLIGIBLE = -41.4


def _tail(m: F64, a: ArrayLike) -> tuple[F64, F64]:
    """``P(X >= a)`` and ``P(X = a)`` for ``X ~ Poisson(m)``, integer ``a >= 0``."""
    a = np.asarray(a)
    if FAST:
        # the sum where the tail is not small: beyond m + 2 sqrt(m) + 1 it would mostly
        # fall below SUM_TAIL_MIN and be evaluated again
        with np.errstate(invalid="ignore"):
            small = (a <= SMALL_A) & (a - m <= 2.0 * np.sqrt(m) + 1.0)
        small = np.broadcast_to(small, np.broadcast_shapes(np.shape(m), a.shape))
        if small.any():
            mb = np.broadcast_to(m, small.shape)
            ab = np.broadcast_to(a, small.shape)
            if small.all():
                q, pmf = _tail_sum(mb, ab)
                # writable arrays, also for scalar arguments (0-d)
                q, pmf = np.array(q, dtype=np.float64), np.array(pmf, dtype=np.float64)
            else:
                q, pmf = np.empty(small.shape), np.empty(small.shape)
                q[small], pmf[small] = _tail_sum(mb[small], ab[small])
            # 1 - P(X < a) keeps only absolute accuracy: small tails by the gamma function
            redo = ~small | (q < SUM_TAIL_MIN)
            if redo.any():
                q[redo], pmf[redo] = _tail_gamma(mb[redo], ab[redo])
            return q, pmf
    return _tail_gamma(m, a)


def _tail_gamma(m: F64, a: NDArray[np.int64]) -> tuple[F64, F64]:
    ap = np.maximum(a, 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        q = np.where(a > 0, special.gammainc(ap, m), 1.0)
        pmf = np.exp(special.xlogy(a, m) - m - _log_factorial(a))
    return q, pmf


def _log_factorial(a: NDArray[np.int64]) -> F64:
    """``log(a!)``, from a table of ``gammaln`` where many cells share few values."""
    a = np.asarray(a)
    top = int(a.max(initial=0))
    if a.size >= 256 and top < 2 * a.size and a.min(initial=0) >= 0:
        table = special.gammaln(np.arange(top + 1) + 1.0)
        return np.asarray(table[a], dtype=np.float64)
    return np.asarray(special.gammaln(a + 1.0), dtype=np.float64)


def _tail_sum(m: F64, a: NDArray[np.int64]) -> tuple[F64, F64]:
    """:func:`_tail` for ``a <= SMALL_A``: ``P(X < a)`` as the finite sum
    ``exp(-m) sum_{k<a} m^k / k!`` of positive terms (``P(X >= a)`` to a few ulp of 1)."""
    shape = np.broadcast_shapes(np.shape(m), a.shape)
    with np.errstate(under="ignore"):
        term = np.broadcast_to(np.exp(-m), shape).copy()
        below = np.zeros(shape)
        pmf = np.zeros(shape)
        for k in range(int(a.max(initial=0)) + 1):
            np.copyto(pmf, term, where=a == k)
            np.add(below, term, out=below, where=a > k)
            term *= m
            term /= k + 1
    q: F64 = 1.0 - below
    return q, pmf


def ebo(m: ArrayLike, s: ArrayLike) -> F64:
    """Expected backorders ``E[(X - s)^+]`` for ``X ~ Poisson(m)``, elementwise.

    Closed form ``m P(X >= s) - s P(X >= s + 1)``, with ``P(X >= s+1) = P(X >= s) - P(X = s)``
    so that one incomplete-gamma evaluation serves both terms.

    >>> round(float(ebo(2.34877, 0)), 5)
    2.34877
    >>> round(float(ebo(1.6, 1)), 4)
    0.8019
    """
    m = np.asarray(m, dtype=np.float64)
    s = np.asarray(s)
    q, pmf = _tail(m, s)
    return _ebo_from_tail(m, s, q, pmf)


def _ebo_from_tail(m: F64, s: NDArray[np.int64], q: F64, pmf: F64) -> F64:
    val = m * q - s * (q - pmf)
    out: F64 = np.maximum(val, 0.0)
    return out


def empty_positions(
    m: F64, s: NDArray[np.int64], positions: F64, backorders: F64 | None = None
) -> F64:
    """Expected empty positions ``E[min((X - s)^+, n)]`` for ``X ~ Poisson(m)``, ``n`` installed.

    Equals ``EBO(s) - EBO(s + n)``: backorders beyond the installed positions ground no
    more units. The second term is evaluated only where it is not negligible, that is
    where ``s + n`` is within 12 standard deviations (plus 12) of ``m``.

    ``m`` is ``[P, T]``; ``s`` and ``positions`` are ``[P]``; ``backorders``, if given, is
    ``EBO(m, s)`` already computed.
    """
    top = (np.reshape(s, (-1, 1)) + np.reshape(positions, (-1, 1))).astype(np.float64)
    out = ebo(m, np.reshape(s, (-1, 1))) if backorders is None else backorders.copy()
    near = top < m + SPREAD * np.sqrt(m) + SPREAD
    if near.any():
        rows, cols = np.nonzero(near)
        out[rows, cols] -= ebo(m[rows, cols], top[rows, 0].astype(np.int64))
        np.maximum(out, 0.0, out=out)
    return out


def _upper_moments(m: F64, a: F64, q: F64, pmf: F64, order: int) -> list[F64]:
    """``G_i(a) = E[C(X - a, i); X >= a]`` for ``i = 0..order``, ``X ~ Poisson(m)``.

    ``G_0 = P(X >= a)``, ``G_1 = EBO(a)``, and from ``E[X g(X)] = m E[g(X + 1)]`` with
    Pascal's rule, ``(i + 1) G_{i+1} = (m - a - i) G_i + m G_{i-1}`` (``m G_{-1} = a P(X = a)``).
    """
    g = [q, (m - a) * q + a * pmf]
    for i in range(1, order):
        g.append(((m - a - i) * g[i] + m * g[i - 1]) / (i + 1))
    return g


def _log_comb(n: F64, k: F64 | float) -> F64:
    """``log C(n, k)`` for ``0 <= k <= n`` (accurate for large arguments)."""
    out: F64 = -np.log1p(n) - special.betaln(n - k + 1.0, k + 1.0)
    return out


def _up_direct(m: F64, s: F64, n: F64, z: int) -> F64:
    """The share up as the direct sum over filled positions ``W = M - Y``.

    A unit is up when the highest of its ``Z`` positions (a random ``Z``-subset of
    ``1..M``, so ``P(max = w) = C(w - 1, Z - 1) / C(M, Z)``) is filled, that is at most
    ``W``: ``sum_{w=Z..M} C(w - 1, Z - 1) / C(M, Z) P(X <= s + M - w)``. All terms are
    positive. Only the terms where ``P(X <= s + M - w)`` is neither within 1e-25 of 1 nor
    below 1e-25 are summed (at most ``24 sqrt(m) + 25``); those before sum to
    ``C(w_0 - 1, Z) / C(M, Z)``. Flat arrays over cells.
    """
    M = n * z
    K = s + M
    reach = SPREAD * (np.sqrt(m) + 1.0)
    first = np.maximum(z, np.ceil(K - m - reach))  # before: P(X <= K - w) ~ 1
    last = np.minimum(M, np.floor(K - m + reach))  # after: P(X <= K - w) ~ 0
    wide = last - first >= MAX_TERMS
    if wide.any():  # very large pipelines: a midpoint rule over the (smooth) terms
        out = np.zeros_like(m)
        narrow = ~wide
        if narrow.any():
            out[narrow] = _up_direct(m[narrow], s[narrow], n[narrow], z)
        out[wide] = _up_strided(m[wide], K[wide], M[wide], z, first[wide], last[wide])
        return out
    with np.errstate(divide="ignore", invalid="ignore", under="ignore", over="ignore"):
        up = np.where(first - 1 >= z, np.exp(_log_comb(first - 1, z) - _log_comb(M, z)), 0.0)
        k = K - first  # the CDF's argument for w = first
        cdf = special.gammaincc(k + 1.0, m)
        pmf = np.exp(special.xlogy(k, m) - m - special.gammaln(k + 1.0))
        weight = np.exp(_log_comb(first - 1, z - 1.0) - _log_comb(M, z))
        terms = int(max(0.0, (last - first).max())) + 1
        if FAST and terms > 8 and len(m) * terms <= BLOCK_TERMS and (m > 0).all():
            return _direct_block(m, z, up, k, cdf, pmf, weight, first, last, terms)
        w = first
        for _ in range(terms):
            up += np.where(w <= last, weight * cdf, 0.0)
            cdf = np.maximum(cdf - pmf, 0.0)
            pmf = pmf * (k / np.maximum(m, 1e-300))  # m = 0: no mass below
            k = k - 1
            weight = weight * (w / (w - z + 1))
            w = w + 1
    return up


def _direct_block(
    m: F64,
    z: int,
    head: F64,
    k: F64,
    cdf: F64,
    pmf: F64,
    weight: F64,
    first: F64,
    last: F64,
    terms: int,
) -> F64:
    """The loop of :func:`_up_direct` as one block ``[cells, terms]`` (few cells, many
    terms): the same operations in the same order, as running products,
    differences and sums along the terms, so the same numbers bit for bit. (A running
    difference clamped at 0 only once equals the loop's clamp at every step: the Poisson
    terms subtracted are not negative while ``w <= last``.)"""
    j = np.arange(terms, dtype=np.float64)[None, :]
    w = first[:, None] + j
    step = np.empty((len(m), terms))
    step[:, 0] = pmf
    step[:, 1:] = (k[:, None] - j[:, :-1]) / np.maximum(m, 1e-300)[:, None]  # as the loop
    p = np.cumprod(step, axis=1)
    step[:, 0] = cdf
    step[:, 1:] = p[:, :-1]
    c = np.maximum(np.subtract.accumulate(step, axis=1), 0.0)
    step[:, 0] = weight
    step[:, 1:] = w[:, :-1] / (w[:, :-1] - z + 1)
    wt = np.cumprod(step, axis=1)
    total = np.empty((len(m), terms + 1))
    total[:, 0] = head
    total[:, 1:] = np.where(w <= last[:, None], wt * c, 0.0)
    out: F64 = np.cumsum(total, axis=1)[:, -1]
    return out


def _up_strided(m: F64, K: F64, M: F64, z: int, first: F64, last: F64) -> F64:
    """:func:`_up_direct` where more than :data:`MAX_TERMS` terms matter (``sqrt(m)`` in
    the thousands): the terms vary on the scale of ``sqrt(m)``, so a midpoint rule over
    :data:`MAX_TERMS` points of the window, plus the exact head. An approximation, not
    checked against the term-by-term sum (too long to run at these sizes).
    """
    width = (last - first + 1.0) / MAX_TERMS
    w = np.floor(first[:, None] + (np.arange(MAX_TERMS) + 0.5) * width[:, None])
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        head = np.where(first - 1 >= z, np.exp(_log_comb(first - 1, z) - _log_comb(M, z)), 0.0)
        weight = np.exp(_log_comb(w - 1, z - 1.0) - _log_comb(M, z)[:, None])
        cdf = special.gammaincc(K[:, None] - w + 1.0, m[:, None])
    out: F64 = head + width * (weight * cdf).sum(axis=1)
    return out


def backorders_and_up(m: F64, s: I64, units: F64, quantity: F64) -> tuple[F64, F64]:
    """Expected backorders ``EBO(m, s)`` and expected share of units up, both ``[P, T]``.

    ``B = (X - s)^+`` items are missing, ``X ~ Poisson(m)``; without cannibalisation they
    leave ``min(B, M)`` of the ``M = N Z`` positions empty, at random. A unit is up when
    none of its ``Z`` positions is empty: ``h(b) = C(M - Z, b) / C(M, b)``. The share up
    is ``E[h(B)]``, exact to about 1e-11: for ``Z = 1``, ``1 - E[min(B, N)] / N``; for
    ``Z > 1`` by factorial moments of ``min(B, M)`` (a second incomplete-gamma call where
    ``s + M`` is within reach of ``m``), or, where ``M < 3 sqrt(m)`` or ``m - s > M``, by
    the direct sum of at most ``min(M, 12 sqrt(m) + 12)`` terms; 0 where
    ``P(B < M) < 1e-25``.

    ``m`` is ``[P, T]``; ``s``, ``units`` and ``quantity`` are ``[P]``.
    """
    s_col = np.reshape(s, (-1, 1))
    q, pmf = _tail(m, s_col)
    back = _ebo_from_tail(m, s_col, q, pmf)
    up = np.empty_like(m)
    z_all = quantity.astype(np.int64)
    one = np.flatnonzero(z_all == 1)
    if len(one):
        holes = empty_positions(m[one], s[one], units[one], backorders=back[one])
        up[one] = 1.0 - holes / units[one, None]
    for z in np.flatnonzero(np.bincount(z_all, minlength=2)[2:]) + 2:
        rows = np.flatnonzero(z_all == z)
        up[rows] = _up_z(m[rows], s[rows], units[rows], int(z), q[rows], pmf[rows])
    np.clip(up, 0.0, 1.0, out=up)
    return back, up


def _up_z(m: F64, s: I64, n: F64, z: int, q: F64, pmf: F64) -> F64:
    """The share up for parts of one ``Z > 1``: ``m``, ``q = P(X >= s)``, ``pmf = P(X = s)``
    are ``[P, T]``; ``s``, ``n`` ``[P]``.

    By factorial moments of the empty positions ``Y = min((X - s)^+, M)``: Newton's series
    ``h(y) = C(M - y, Z) / C(M, Z) = sum_k (-1)^k C(Z, k) C(y, k) / C(M, k)``, and
    ``E[C(Y, k)] = G_k(s) - sum_{i=1..k} C(M, k - i) G_i(s + M)`` (Vandermonde, splitting off
    ``X > s + M``; the second part only where ``s + M`` is within reach of ``m``). Cells
    where the moments would cancel (``M < 3 sqrt(m)``, or ``m - s > M``) take the direct
    sum; cells where ``P(B < M) < 1e-25`` are 0.
    """
    sc = s[:, None].astype(np.float64)
    M = (n * z)[:, None]
    if z > SERIES_MAX:  # the series' coefficients would overflow: sum directly
        direct = np.zeros_like(m)
        rows, cols = np.nonzero(sc + M >= m - SPREAD * (np.sqrt(m) + 1.0))
        if len(rows):
            direct[rows, cols] = _up_direct(m[rows, cols], sc[rows, 0], n[rows], z)
        return direct
    binom = [np.ones_like(M)]  # C(M, j), j = 0..z
    for j in range(1, z + 1):
        binom.append(binom[-1] * (M - j + 1) / j)
    coef = [(-1) ** k * comb(z, k) / binom[k] for k in range(z + 1)]
    with np.errstate(over="ignore", invalid="ignore"):
        gs = _upper_moments(m, sc, q, pmf, z)
        up: F64 = 1.0 + coef[1] * gs[1]
        for k in range(2, z + 1):
            up += coef[k] * gs[k]
    reach = SPREAD * (np.sqrt(m) + 1.0)
    top = sc + M
    rows, cols = np.nonzero(top < m + reach)
    if FAST and len(rows):
        keep = ~_negligible_fix(m[rows, cols], top[rows, 0], M[rows, 0], z)
        rows, cols = rows[keep], cols[keep]
    if len(rows):
        mt = m[rows, cols]
        at = top[rows, 0]
        qt, pt = _tail(mt, at.astype(np.int64))
        gt = _upper_moments(mt, at, qt, pt, z)
        fix = np.zeros_like(mt)
        for k in range(1, z + 1):
            inner = sum(binom[k - i][rows, 0] * gt[i] for i in range(1, k + 1))
            fix += coef[k][rows, 0] * inner
        up[rows, cols] -= fix
    up[top < m - reach] = 0.0  # grounded: P(B < M) < 1e-25
    cancel = (np.sqrt(m) * DIRECT > M) | (m - sc > M)
    rows, cols = np.nonzero(cancel & (top >= m - reach))
    if len(rows):
        up[rows, cols] = _up_direct(m[rows, cols], sc[rows, 0], n[rows], z)
    return up


def _negligible_fix(m: F64, top: F64, M: F64, z: int) -> NDArray[np.bool_]:
    """Where the ``Z > 1`` correction at ``a = s + M`` is below 1e-18 for sure.

    With ``rho = m / (a + 1) < 1`` the Poisson terms beyond ``a`` fall at least by ``rho``
    each, so ``G_i(a) <= P(X = a) / (1 - rho)^(i + 1)``; for ``M >= 2z``,
    ``C(M, k - i) <= C(M, k)``, so the correction is at most
    ``z 2^z P(X = a) / (1 - rho)^(z + 1)`` (:func:`negligible_top`)."""
    out: NDArray[np.bool_] = (2 * z <= M) & negligible_top(m, top, z + 1, z * 2.0**z)
    return out


def negligible_top(m: F64, top: F64, power: int, scale: float) -> NDArray[np.bool_]:
    """Where ``scale * P(X = top) / (1 - rho)^power`` is below 1e-18 for sure, ``rho =
    m / (top + 1) < 1`` (``P(X = top + j) <= P(X = top) rho^j``, so the upper moments
    ``G_i(top) <= P(X = top) / (1 - rho)^(i + 1)``). ``log P(X = top)`` is bounded by
    Stirling: ``top log(m / top) + top - m - log(2 pi top) / 2``."""
    rho = m / (top + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = top * np.log(m / top) + top - m - 0.5 * np.log(2 * np.pi * top)
        bound = log_p - power * np.log1p(-rho) + np.log(scale)
    out: NDArray[np.bool_] = (rho < 1.0) & (top >= 1.0) & (bound < LOG_NEGLIGIBLE)
    return out


def availability_log(up: F64) -> F64:
    """``log`` of :func:`backorders_and_up`: summed over a fleet's parts and exponentiated, the
    fleet's expected availability without cannibalisation (``-inf`` where a part grounds
    every unit)."""
    with np.errstate(divide="ignore"):
        out: F64 = np.log(up)
    return out
