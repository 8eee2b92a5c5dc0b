"""Evaluate only what changes: which (part row, day) cells of the analytic engine need
their own Poisson evaluation (pure numpy).

A row whose demand is the same every day (constant tempo, the 'fleet' basis) has the
steady-state pipeline ``m = lam * sum_r share_r tau_r`` on every day its routes' clocks
do not disturb: before the first day any of its clocks stops (instant ``d0`` sees only
days before it), and from the first instant at which every failure made before the end
of the last stop is back (``A(t) >= A(end) + tau`` on each stopped route). Such a row
needs one evaluation for its steady state and one per day in between; a row none of
whose routes is ever stopped needs one in all. Rows whose demand changes by day are
evaluated on every day.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tether._engine import poisson
from tether._engine.cells import group_backorders_and_up, grouped_backorders_and_up
from tether._engine.pipeline import Clock
from tether._engine.poisson import availability_log, backorders_and_up

__all__ = ["Steady", "changing_days", "flat_fleet_sums", "steady_sums"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]


def _clock_span(ck: Clock) -> tuple[int, int]:
    """First day the clock stops and the day after its last stop, among the days that
    move instants ``0..H`` (``(H, H)`` if none)."""
    still = np.flatnonzero(np.diff(ck.A) == 0)
    H = len(ck.A) - 1
    if not len(still):
        return H, H
    return int(still[0]), int(still[-1]) + 1


def changing_days(
    clocks: list[Clock], cid: I64, share: F64, tau: F64, flat: B8, T: int
) -> tuple[I64, I64]:
    """Per row, the days ``[lo, hi)`` that need their own evaluation; outside them the
    row is at its steady state. ``cid``, ``share`` and ``tau`` are ``[n, R]`` for the rows,
    ``flat [n]`` whether each row's demand is the same every day."""
    n = len(flat)
    lo = np.full(n, T, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    for c in np.unique(cid[share > 0]):
        if c == 0:
            continue
        ck = clocks[int(c)]
        first, end = _clock_span(ck)
        if first >= T - 1:
            continue
        rows, routes = np.nonzero((share > 0) & (cid == c))
        np.minimum.at(lo, rows, first + 1)
        back = np.searchsorted(ck.A, ck.A[end] + tau[rows, routes], side="left")
        np.maximum.at(hi, rows, back)
    lo = np.where(flat, lo, 0)
    hi = np.where(flat, np.maximum(hi, lo), T)
    return lo, np.minimum(hi, T)


class _Means:
    """Pipeline means of rows ``rows [k]`` with constant demand ``lam`` on their windows
    of days ``lo [k] + 0..w - 1``: ``lam * sum_r share_r (t - u*_r(t))``
    (``Lambda(u) = lam u`` on both sides of day 0). A route whose clock runs gives
    ``lam share_r tau_r`` on every day; a stopped one one gather per cell from its lag
    table (:func:`_route_tables`), or :func:`_lags` per cell where no table was built."""

    def __init__(
        self,
        clocks: list[Clock],
        cid: I64,
        share: F64,
        tau: F64,
        lam: F64,
        rows: I64,
        lo: I64,
        tables: list[tuple[F64, I64] | None],
    ) -> None:
        self.clocks, self.lo, self.rows = clocks, lo, rows
        self.cid, self.tau = cid[rows], tau[rows]
        still = _still(clocks, self.cid, share[rows])
        part = lam[rows, None] * share[rows]
        self.base: F64 = np.where(still, 0.0, part * self.tau).sum(axis=1)
        self.pattern = _pattern(still)
        H1 = len(clocks[0].A)
        self.terms: list[tuple[int, F64, I64, F64]] = []  # (route, table, offset, lam share)
        self.other: list[tuple[int, F64]] = []  # routes without a table
        for r in range(share.shape[1]):
            if not still[:, r].any():
                continue
            sh = np.where(still[:, r], part[:, r], 0.0)
            got = tables[r]
            if got is None:
                self.other.append((r, sh))
            else:
                self.terms.append((r, got[0], got[1][rows] * H1 + lo, sh))

    def piece(self, a: int, b: int, w: I64, at: I64, ar: I64) -> F64:
        """Means on the cells of rows ``a..b - 1`` (``w`` days each, the row's first cell
        at ``at``; ``ar = arange(w.sum())``), row after row. Rows with the same stopped
        routes (:func:`_pattern`) should come together: each block of them takes only its
        own routes' tables (the others would add zeros)."""
        m: F64 = np.repeat(self.base[a:b], w)
        pat = self.pattern[a:b]
        starts = np.flatnonzero(np.r_[True, pat[1:] != pat[:-1]])
        for i, j in zip(starts.tolist(), [*starts[1:].tolist(), b - a], strict=True):
            c0, c1 = int(at[i]), int(at[j - 1] + w[j - 1])
            wb = w[i:j]
            for r, table, off, sh in self.terms:
                if not (int(pat[i]) >> r) & 1:
                    continue
                idx = np.repeat(off[a + i : a + j] - (at[i:j] - c0), wb)
                idx += ar[: c1 - c0]
                v = np.take(table, idx)
                v *= np.repeat(sh[a + i : a + j], wb)
                m[c0:c1] += v
        if self.other:
            local = np.repeat(np.arange(b - a), w)
            day = np.repeat(self.lo[a:b] - at, w) + ar
            for r, sh in self.other:
                cid = self.cid[a:b, r]
                for c in np.unique(cid[sh[a:b] > 0]):
                    cells = np.flatnonzero((cid == c)[local] & (sh[a:b] > 0)[local])
                    rc = local[cells] + a
                    lag = _lags(self.clocks[int(c)], self.tau[rc, r], day[cells])
                    m[cells] += sh[rc] * lag
        return m


def _pattern(still: B8) -> I64:
    """Per row, which of its routes stop, as bits (route ``r``: bit ``r``)."""
    out: I64 = (still * (1 << np.arange(still.shape[1]))).sum(axis=1).astype(np.int64)
    return out


def _still(clocks: list[Clock], cid: I64, share: F64) -> B8:
    """Which (row, route) pairs run on a clock that stops."""
    out: B8 = np.array([not ck.identity for ck in clocks])[cid] & (share > 0)
    return out


def _route_tables(
    clocks: list[Clock], cid: I64, tau: F64, still: B8, cells: int
) -> list[tuple[F64, I64] | None]:
    """:func:`_route_table` of each route (``None`` where no clock of it stops)."""
    return [
        _route_table(clocks, cid[:, r], tau[:, r], still[:, r], cells)
        if still[:, r].any()
        else None
        for r in range(cid.shape[1])
    ]


def _route_table(
    clocks: list[Clock], cid: I64, tau: F64, still: B8, cells: int
) -> tuple[F64, I64] | None:
    """The lags ``t - u*(t)`` of one route for every (stopped clock, turnaround) pair of
    the rows ``[n]`` (``table [1 + pairs, H + 1]``, row 0 zeros) and each row's table row
    ``j [n]`` (0 where the route's clock runs); ``None`` if the table would hold more
    values than there are ``cells``. The table is flat: ``j * (H + 1) + t``."""
    H1 = len(clocks[0].A)
    j = np.zeros(len(cid), dtype=np.int64)
    parts = [np.zeros((1, H1))]
    size = 1
    for c in np.unique(cid[still]):
        in_group = still & (cid == c)
        taus, inv = np.unique(tau[in_group], return_inverse=True)
        if (size + len(taus)) * H1 > cells:
            return None
        parts.append(_lags(clocks[int(c)], taus[:, None], np.arange(H1)[None, :]))
        j[in_group] = size + inv.ravel()
        size += len(taus)
    flat: F64 = np.concatenate(parts).ravel()
    return flat, j


def _lags(ck: Clock, tau: F64, t: I64) -> F64:
    """``t - u*(t)`` on clock ``ck`` for turnarounds ``tau`` (broadcast with ``t``)."""
    y: F64 = ck.A[t] - tau
    k = np.floor(np.maximum(y, 0.0)).astype(np.int64)
    idx = ck.J[k]
    u = np.where(y < 0, y, idx + (y - ck.A[idx]))
    out: F64 = np.asarray(t - u, dtype=np.float64)
    return out


#: Per row, steady backorders and log share up ``[n]``; their fleet sums ``[F]``.
Steady = tuple[F64, F64, F64, F64]


def steady_sums(m_ss: F64, rows: tuple[I64, F64, F64, I64], n_fleets: int) -> Steady:
    """:data:`Steady` of rows with steady pipeline means ``m_ss [n]``; ``rows`` is
    ``(spares, units, quantity, fleet)``."""
    s, n, z, fleet = rows
    b0, u0 = backorders_and_up(m_ss[:, None], s, n, z)
    l0 = availability_log(u0)[:, 0]
    l_sum = np.bincount(fleet, weights=l0, minlength=n_fleets).astype(np.float64)
    b_sum = np.bincount(fleet, weights=b0[:, 0], minlength=n_fleets).astype(np.float64)
    return b0[:, 0], l0, l_sum, b_sum


def flat_fleet_sums(
    clocks: list[Clock],
    cid: I64,
    share: F64,
    tau: F64,
    lam: F64,
    rows: tuple[I64, F64, F64, I64],
    n_fleets: int,
    T: int,
    chunk_cells: int,
    steady: Steady | None = None,
    first_day: int = 0,
) -> tuple[F64, F64]:
    """Fleet sums ``[F, T]`` of log share up and of backorders for rows whose demand
    ``lam [n]`` is the same every day; ``rows`` is ``(spares, units, quantity, fleet)``.

    Each row's steady state is evaluated once and enters every day of its fleet; on the
    days :func:`changing_days` returns, the row's own value replaces it, evaluated once per
    run of days with the same pipeline mean (exact: equal means give equal values). A row
    grounded at its steady state stays grounded (its pipeline never falls below it).
    ``steady`` is :func:`steady_sums` of the rows if already known (it does not depend on
    the cutoffs). Rows are taken a group of equal ``(Z, spares)`` at a time, in pieces of
    at most about ``chunk_cells`` cells. Days before ``first_day`` are left at the steady
    state (for a caller that knows them otherwise)."""
    s, n, z, fleet = rows
    if steady is None:
        steady = steady_sums(lam * (share * tau).sum(axis=1), rows, n_fleets)
    b0, l0, l_sum, b_sum = steady
    log_a: F64 = np.repeat(l_sum[:, None], T, axis=1)
    bo: F64 = np.repeat(b_sum[:, None], T, axis=1)
    lo, hi = changing_days(clocks, cid, share, tau, np.ones(len(lam), dtype=np.bool_), T)
    lo = np.maximum(lo, first_day)
    moving = np.flatnonzero((hi > lo) & np.isfinite(l0))
    if not len(moving):
        return log_a, bo
    key = z[moving].astype(np.int64) * (int(s.max()) + 1) + s[moving]
    # by (Z, spares) group, then by which routes stop (see _Means.piece)
    order = np.lexsort((_pattern(_still(clocks, cid[moving], share[moving])), key))
    moving, key = moving[order], key[order]
    width = hi[moving] - lo[moving]
    # tables no larger than the cells they serve, nor than a few chunks (memory stays
    # bounded by the chunk, as tether._size counts it; beyond, lags are computed per cell)
    cap = min(int(width.sum()), 4 * chunk_cells)
    tables = _route_tables(clocks, cid, tau, _still(clocks, cid, share), cap)
    means = _Means(clocks, cid, share, tau, lam, moving, lo[moving], tables)
    keys = fleet[moving] * T + lo[moving]
    s_m, n_m, z_m, l0_m, b0_m = s[moving], n[moving], z[moving], l0[moving], b0[moving]
    for a, b in _pieces(key, width, chunk_cells):
        w = width[a:b]
        at = np.cumsum(w) - w  # each row's first cell in the piece
        c = int(at[-1] + w[-1])
        ar = np.arange(c)
        m = means.piece(a, b, w, at, ar)
        new = np.empty(c, dtype=np.bool_)
        new[1:] = m[1:] != m[:-1]
        new[at] = True
        first = np.flatnonzero(new)  # each run of equal means: its first cell
        per_row = np.diff(np.r_[np.searchsorted(first, at), len(first)])
        runs = np.diff(np.r_[first, c])
        mf, nf = m[first], np.repeat(n_m[a:b], per_row)
        if not poisson.FAST:
            sf, zf = np.repeat(s_m[a:b], per_row), np.repeat(z_m[a:b], per_row)
            b2, u2 = backorders_and_up(mf[:, None], sf, nf, zf)
            bc, uc = b2[:, 0], u2[:, 0]
        elif key[a] == key[b - 1]:  # one group
            bc, uc = group_backorders_and_up(mf, int(s_m[a]), nf, int(z_m[a]))
        else:
            sf, zf = np.repeat(s_m[a:b], per_row), np.repeat(z_m[a:b], per_row)
            bc, uc = grouped_backorders_and_up(mf, sf, nf, zf)
        dl = availability_log(uc)
        dl -= np.repeat(l0_m[a:b], per_row)
        bc -= np.repeat(b0_m[a:b], per_row)
        cell = np.repeat(keys[a:b] - at, w)
        cell += ar
        size = n_fleets * T
        log_a += np.bincount(cell, np.repeat(dl, runs), size).reshape(n_fleets, T)
        bo += np.bincount(cell, np.repeat(bc, runs), size).reshape(n_fleets, T)
    return log_a, bo


def _pieces(key: I64, width: I64, size: int) -> list[tuple[int, int]]:
    """Consecutive ranges of rows (sorted by ``key``) of about ``size`` cells at most
    (``width`` cells each; one row may be larger), cut at a change of ``key`` where the
    piece holds half as many cells already."""
    ends = np.cumsum(width)
    change = np.flatnonzero(key[1:] != key[:-1]) + 1
    out = []
    a = 0
    n = len(key)
    while a < n:
        base = int(ends[a] - width[a])
        b = max(a + 1, int(np.searchsorted(ends, base + size, side="right")))
        if b < n:  # end at the last change of key in the second half of the piece
            c = change[(change > a) & (change <= b)]
            if len(c) and ends[c[-1] - 1] - base >= size // 2:
                b = int(c[-1])
        out.append((a, b))
        a = b
    return out
