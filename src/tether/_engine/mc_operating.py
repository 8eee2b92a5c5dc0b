"""Monte Carlo: the share of each fleet operating, from the items out per part row (pure
numpy), for the day-stepped path (:mod:`tether._engine.mc_stepped`).

Each function returns an ``operating(t, out)``: from the items out ``[X, P]`` (int32) of
one group per row (constant stock), the share of each of ``K`` fleets operating and their
backorders ``[X, K]``; the values of
:func:`~tether._engine.mc_parts.availability_from_backorders`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["TABLE_ENTRIES", "Operating", "sparse_operating", "table_operating", "units_operating"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: ``operating(t, out)``: from the items out per row ``[R, P]`` (int32) at instant ``t``,
#: the share operating ``[R, K]`` of each of ``K`` fleets (each row's column given beside)
#: and their backorders ``[R, K]``.
Operating = Callable[[int, NDArray[np.int32]], tuple[F64, F64]]


#: Most entries of the per-row availability tables of :func:`table_operating` (beyond,
#: the caller computes the shares another way).
TABLE_ENTRIES = 4_000_000


def table_operating(
    units: F64, quantity: F64, fleet: I64, spares: I64, cannibalise: bool
) -> Operating | None:
    """The share operating ``[R, K]`` of ``K`` fleets and their backorders from items out
    per row ``[R, P]`` (one group each, constant stock and units: each row's ``fleet``
    among the ``K``), by table look-up: each row's share of units up (or units down, with
    cannibalisation) is tabulated once for every backorder count ``0 .. N Z`` (more
    leave none up), so that a day costs a handful of array operations. The values are
    those of :func:`~tether._engine.mc_parts.availability_from_backorders`; ``None`` when
    the tables would pass :data:`TABLE_ENTRIES`."""
    K, P = len(units), len(fleet)
    z = quantity.astype(np.int64)
    nz = units[fleet] * quantity
    size = np.where(nz > 0, np.ceil(np.maximum(nz, 0.0)), 0).astype(np.int64) + 1
    if not P or int(size.sum()) > TABLE_ENTRIES:
        return None
    order = np.argsort(fleet, kind="stable")
    perm = None if np.array_equal(order, np.arange(P)) else order
    sf = fleet[order]
    starts = np.flatnonzero(np.r_[True, sf[1:] != sf[:-1]])
    present = sf[starts]
    offset = np.r_[0, np.cumsum(size[order])[:-1]].astype(np.int32)
    cap = (size[order] - 1).astype(np.int32)
    stock = spares[order].astype(np.int32)
    pieces, downs = [], []
    for i in order:
        b = np.arange(size[i], dtype=np.float64)
        if nz[i] <= 0:
            h = np.ones(size[i])
        else:
            m, left = nz[i], nz[i] - b
            h = np.maximum(left, 0.0) / m
            for j in range(1, int(z[i])):
                h *= np.maximum(left - j, 0.0) / max(m - j, 1.0)
        pieces.append(h)
        downs.append(np.ceil(b / quantity[i]))
    table, down_table = np.concatenate(pieces), np.concatenate(downs)
    safe_units = np.where(units > 0, units, 1.0)[present]
    one_each = len(present) == K and np.array_equal(present, np.arange(K))

    def look_up(o: NDArray[np.int32], axis: int) -> tuple[F64, F64]:
        """Shares and backorders of the fleets present from items out ``o`` (one part row
        per index along ``axis``, in the order of ``order``; ``o`` is not changed)."""
        at = (slice(None), None) if axis == 0 else (None, slice(None))
        b = np.subtract(o, stock[at], order="C")
        np.maximum(b, 0, out=b)
        held_k = per_fleet(np.add, b, axis).astype(np.float64)
        np.minimum(b, cap[at], out=b)
        b += offset[at]
        if cannibalise:
            down = per_fleet(np.maximum, down_table.take(b), axis)
            up = np.maximum(units[present][at] - down, 0.0) / safe_units[at]
            return np.where(units[present][at] > 0, up, 1.0), held_k
        return per_fleet(np.multiply, table.take(b), axis), held_k

    def per_fleet(op: np.ufunc, x: NDArray[Any], axis: int) -> NDArray[Any]:
        """``op`` over each fleet's rows along ``axis``, in order (one fleet: a plain
        reduction, the same operations as ``reduceat`` and several times faster)."""
        if len(starts) == 1:
            out: NDArray[Any] = op.reduce(x, axis=axis, keepdims=True)
            return out
        return op.reduceat(x, starts, axis=axis)

    def operating(t: int, out_t: NDArray[np.int32]) -> tuple[F64, F64]:
        if out_t.shape[0] >= 8 * P:
            # many rows (a window of days): worked on the transposed layout [P, X], as
            # broadcasting over a short last axis is slow, and the reductions over each
            # fleet's rows then run along contiguous rows (the same order of operations)
            share_t, held_t = look_up(out_t.T if perm is None else out_t.T[perm], 0)
            share_k, held_k = share_t.T, held_t.T
        else:
            share_k, held_k = look_up(out_t if perm is None else out_t[:, perm], 1)
        if one_each:
            return np.ascontiguousarray(share_k), np.ascontiguousarray(held_k)
        share, held = np.ones((out_t.shape[0], K)), np.zeros((out_t.shape[0], K))
        share[:, present], held[:, present] = share_k, held_k
        return share, held

    return operating


def units_operating(
    units: F64, units0: F64, quantity: F64, fleet: I64, spares: I64, cannibalise: bool
) -> Operating | None:
    """:func:`table_operating` for fleets whose units change
    over time (``units [K, T]``; ``units0`` before day 0): one set of tables per distinct
    units on some day (``None`` when one would be too large)."""
    levels, which = np.unique(
        np.concatenate([units0[:, None], units], axis=1).T, axis=0, return_inverse=True
    )
    which = which.reshape(-1)
    built: dict[int, Operating] = {}
    for i in np.unique(which):
        op = table_operating(levels[i], quantity, fleet, spares, cannibalise)
        if op is None:
            return None
        built[int(i)] = op

    def operating(t: int, out_t: NDArray[np.int32]) -> tuple[F64, F64]:
        return built[int(which[0 if t < 0 else t + 1])](t, out_t)

    return operating


def sparse_operating(
    units: F64, quantity: F64, fleet: I64, spares: I64, cannibalise: bool
) -> Operating:
    """:func:`~tether._engine.mc_parts.availability_from_backorders` of items out per row
    (one group each, constant stock and units) to fleets ``[R, K]``, and the fleets'
    backorders, computed only where a row has backorders (most cells have none on most
    days)."""
    K = len(units)
    z = quantity.astype(np.int64)
    zf = quantity[:] * 1.0
    nz = units[fleet] * zf
    empty = nz <= 0
    nz_safe = np.where(empty, zf, nz)
    stock = spares.astype(np.int32)
    most = int(z.max()) if len(z) else 1
    safe_units = np.where(units > 0, units, 1.0)

    def operating(t: int, out_t: NDArray[np.int32]) -> tuple[F64, F64]:
        total = np.ones((out_t.shape[0], K))
        held = np.zeros((out_t.shape[0], K))
        r, c = np.nonzero(out_t > stock)
        if not len(r):
            return total, held
        b = (out_t[r, c] - stock[c]).astype(np.float64)
        # one reduction per (replication, fleet) with backorders: cells come in row-major
        # order, so these are runs (sorted first when a fleet's rows are not contiguous)
        at = r * K + fleet[c]
        if K > 1 and np.any(at[1:] < at[:-1]):
            order = np.argsort(at, kind="stable")
            at, b, c = at[order], b[order], c[order]
        starts = np.flatnonzero(np.r_[True, at[1:] != at[:-1]])
        cells = at[starts]
        held.reshape(-1)[cells] = np.add.reduceat(b, starts)
        if cannibalise:  # N - max_i ceil(B_i / Z_i) units up
            down = np.zeros((out_t.shape[0], K))
            down.reshape(-1)[cells] = np.maximum.reduceat(np.ceil(b / zf[c]), starts)
            up = np.maximum(units[None, :] - down, 0.0) / safe_units[None, :]
            return np.where(units[None, :] > 0, up, 1.0), held
        # P(a unit's Z positions all filled) = prod_{j<Z} (NZ - B - j) / (NZ - j)
        m = nz_safe[c]
        left = m - b
        h = np.maximum(left, 0.0) / m
        for j in range(1, most):
            h *= np.where(j < z[c], np.maximum(left - j, 0.0) / np.maximum(m - j, 1.0), 1.0)
        h[empty[c]] = 1.0
        total.reshape(-1)[cells] = np.multiply.reduceat(h, starts)
        return total, held

    return operating
