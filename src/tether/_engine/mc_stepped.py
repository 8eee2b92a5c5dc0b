"""Monte Carlo: part pipelines stepped day by day, by thinning (pure numpy).

Demand that depends on the state ('available' tempo basis: a part's failures scale with
the share of its fleet operating) or a depot with a capacity limit makes the pipelines a
day-by-day recursion. Rather than one Poisson draw per replication, part and day, the
failures are drawn *ahead*, in bulk, at the upper-bound rate (every unit operating), as in
the fixed path: each candidate failure gets its day, instant within the day, route and
return instant at once. Stepping through the days then only decides which candidates
happen: one of day ``t`` is kept with probability the share of its fleet operating at
``t`` (Lewis and Shedler's thinning, exact for a rate constant within the day). The
per-day work is a few operations on ``[R, P]`` (items out, the fleet's availability) plus
work proportional to that day's failures; with no state-dependent demand (a capacity
limit only) nothing is stepped but the depots' queues.

Candidates are drawn a block of days at a time (about :data:`FAILURE_BLOCK` of them), so
their memory is bounded whatever the horizon.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tether._engine import mc_relax
from tether._engine.arrays import Plan
from tether._engine.mc_clock import Clocks
from tether._engine.mc_parts import _back_burn, _diverted, _pipeline_draw, _route_of

__all__ = [
    "FAILURE_BLOCK",
    "Operating",
    "outstanding_stepped",
    "sparse_operating",
    "table_operating",
    "units_operating",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

#: ``operating(t, out)``: from the items out per row ``[R, P]`` (int32) at instant ``t``,
#: the share operating ``[R, K]`` of each of ``K`` fleets (each row's column given beside)
#: and their backorders ``[R, K]``.
Operating = Callable[[int, NDArray[np.int32]], tuple[F64, F64]]

#: What the stepped path gives: items out ``[R, P, T]`` (without ``operating``), or the
#: fleets' share operating and backorders ``[R, K, T]`` (with it).
Stepped = tuple[NDArray[np.int32] | None, F64 | None, F64 | None]

#: Most candidate failures drawn at once (a block of days at a time): about 100 bytes each.
FAILURE_BLOCK = 1_000_000


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

    ends = np.r_[starts[1:], P]

    def reduce(ufunc: np.ufunc, a: NDArray[Any]) -> F64:
        """``ufunc.reduceat`` over each fleet's columns; for many rows (a window of days),
        column by column (the same order of operations), much faster on narrow arrays."""
        if a.shape[0] < 50 * P:
            return np.asarray(ufunc.reduceat(a, starts, axis=1), dtype=np.float64)
        out = np.empty((a.shape[0], len(starts)))
        for k, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
            col = out[:, k]
            col[:] = a[:, lo]
            for j in range(lo + 1, hi):
                ufunc(col, a[:, j], out=col)
        return out

    def operating(t: int, out_t: NDArray[np.int32]) -> tuple[F64, F64]:
        o = out_t if perm is None else out_t[:, perm]
        b = o - stock[None, :]
        np.maximum(b, 0, out=b)
        held_k = reduce(np.add, b)
        np.minimum(b, cap[None, :], out=b)
        b += offset[None, :]
        if cannibalise:
            down = reduce(np.maximum, down_table.take(b))
            up = np.maximum(units[present][None, :] - down, 0.0) / safe_units[None, :]
            share_k = np.where(units[present][None, :] > 0, up, 1.0)
        else:
            share_k = reduce(np.multiply, table.take(b))
        if one_each:
            return share_k, held_k
        share, held = np.ones((o.shape[0], K)), np.zeros((o.shape[0], K))
        share[:, present], held[:, present] = share_k, held_k
        return share, held

    return operating


def units_operating(
    units: F64, units0: F64, quantity: F64, fleet: I64, spares: I64, cannibalise: bool
) -> Operating | None:
    """:func:`~tether._engine.table_operating` for fleets whose units change
    over time (``units [K, T]``; ``units0`` before day 0): one set of tables per distinct
    units on some day (``None`` when one would be too large)."""
    levels, which = np.unique(
        np.concatenate([units0[:, None], units], axis=1).T, axis=0, return_inverse=True
    )
    which = which.reshape(-1)
    built: dict[int, Operating | None] = {}
    for i in np.unique(which):
        built[int(i)] = table_operating(levels[i], quantity, fleet, spares, cannibalise)
        if built[int(i)] is None:
            return None

    def operating(t: int, out_t: NDArray[np.int32]) -> tuple[F64, F64]:
        op = built[int(which[0 if t < 0 else t + 1])]
        assert op is not None
        return op(t, out_t)

    return operating


def sparse_operating(
    units: F64, quantity: F64, fleet: I64, spares: I64, cannibalise: bool
) -> Operating:
    """:func:`availability_from_backorders` of items out per row (one group each, constant
    stock and units) to fleets ``[R, K]``, and the fleets' backorders, computed only where
    a row has backorders (most cells have none on most days)."""
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


class _Queues:
    """First-come-first-served backlogs of the capacity-limited (row, route) pairs."""

    def __init__(
        self, plan: Plan, rows: I64, clocks: Clocks, reps: int, burn: int, n_exits: int
    ) -> None:
        cap = plan.route_capacity[rows]
        self.part, self.route = np.nonzero(np.isfinite(cap))
        self.any = len(self.part) > 0
        L = len(self.part)
        self.reps, self.burn, self.clocks = reps, burn, clocks
        self.lim = cap[self.part, self.route].astype(np.int64)
        self.queue = np.zeros((reps, L), dtype=np.int64)
        self.pos = np.full(rows.shape[0] * 3, -1, dtype=np.int64)
        self.pos[self.part * 3 + self.route] = np.arange(L)
        self.row = rows[self.part]
        self.need = np.ceil(plan.route_time[self.row, self.route]).astype(np.int64)
        self.cid = clocks.cid[self.row, self.route]
        self.unique = len(np.unique(self.part)) == L
        self.last = n_exits - 1
        # per-day route masks, precomputed: day-major [T, R', L]
        self.open = np.ascontiguousarray(clocks.active[self.cid].transpose(2, 1, 0))

    def slot(self, p: I64, route: I64) -> I64:
        out: I64 = self.pos[p * 3 + route]
        return out

    def induct(self, t: int, exits_flat: NDArray[np.int32], P: int) -> None:
        """Induct at instant ``t`` what each depot takes (none where its route is cut):
        each item is back at its route's clock ``A(t) + ceil(tau)``, added to ``exits``
        (``[instant + burn, R, P]`` flattened)."""
        if t >= 0:
            take = np.minimum(self.queue, self.lim[None, :] * self.open[t])
        else:
            take = np.minimum(self.queue, self.lim[None, :])
        if not take.any():
            return
        self.queue -= take
        R = self.reps
        if t >= 0:
            c = self.clocks
            width = c.first.shape[2]
            if c.A.shape[1] == 1:
                k = np.minimum(c.A[self.cid, 0, t] + self.need, width - 1)
                tb = self.burn + c.first[self.cid, 0, k][None, :]  # [1, L]
            else:
                k = np.minimum(c.A[self.cid, :, t].T + self.need[None, :], width - 1)
                tb = self.burn + c.first[self.cid[None, :], np.arange(R)[:, None], k]
        else:
            L = len(self.part)
            rep = np.repeat(np.arange(R), L)
            tb = _back_burn(
                self.clocks,
                rep,
                np.tile(self.row, R),
                np.tile(self.route, R),
                np.tile(t + self.need, R).astype(np.float64),
                self.burn,
            ).reshape(R, L)
        tb = np.minimum(tb, self.last)
        index = (tb * R + np.arange(R)[:, None]) * P + self.part[None, :]
        if self.unique:
            exits_flat[index.ravel()] += take.ravel()
        else:
            np.add.at(exits_flat, index.ravel(), take.ravel().astype(np.int32))

    def join(self, rep: I64, p: I64, route: I64, count: NDArray[np.int32] | np.int32) -> None:
        np.add.at(self.queue, (rep, self.slot(p, route)), np.asarray(count, dtype=np.int64))


def _daily_rate(scale: F64, burn: int, H: int, row_burn: I64 | None = None) -> F64:
    """Upper-bound failure rate per row and stepped day ``[P, burn + H]`` (day 0's tempo
    through the burn-in; with ``row_burn [P]``, none before a row's own burn-in starts)."""
    rate = np.concatenate([np.repeat(scale[:, :1], burn, axis=1), scale[:, :H]], axis=1)
    if row_burn is not None:
        rate[:, :burn][np.arange(burn)[None, :] < (burn - row_burn)[:, None]] = 0.0
    return rate


def _day_blocks(rate: F64, reps: int) -> list[tuple[int, int]]:
    """Stepped days cut into blocks of about :data:`FAILURE_BLOCK` expected candidates."""
    D = rate.shape[1]
    per_day = rate.sum(axis=0) * reps
    cum = np.cumsum(per_day)
    blocks, start = [], 0
    while start < D:
        base = cum[start - 1] if start else 0.0
        end = int(np.searchsorted(cum, base + FAILURE_BLOCK, side="right"))
        end = min(D, max(end, start + 1))
        blocks.append((start, end))
        start = end
    return blocks


#: Rows with at least this many failures a day per replication (at the upper-bound rate)
#: have their candidates drawn as counts per replication, route, day and half-day (see
#: :func:`_counted`) rather than one by one.
DENSE_RATE = 2.0

#: Candidates: replication, row, stepped day, instant within the day, route, and the
#: number of failures each stands for (``None``: one each).
Candidates = tuple[I64, I64, I64, F64, I64, I64 | None]


def _counted(
    plan: Plan, rows: I64, span: F64, dense: I64, reps: int, rng: np.random.Generator
) -> Candidates:
    """Candidate failures of the ``dense`` rows (local indices) on the days of ``span``,
    as counts: per replication, row, route, day and half-day, a Poisson count at the
    upper-bound rate. A failure at ``u + xi`` on a route of turnaround ``n + phi`` is back
    at the clock's ``A(u) + n + 1`` when ``xi <= 1 - phi`` and ``+ 2`` otherwise on a day
    the clock runs (whatever the day while it stands still), so each half-day's failures
    share their return instant: each group carries one instant inside its half-day.
    Thinned with the share operating ``s``, a group of ``n`` keeps ``Binomial(n, s)``:
    the same law as failures drawn one by one."""
    p_l, r_l, xi_l, w_l = [], [], [], []
    for p in dense:
        for r in range(3):
            share = float(plan.share[rows[p], r])
            if share <= 0:
                continue
            tau = float(plan.route_time[rows[p], r])
            phi = tau - np.floor(tau)
            halves = [((1.0 - phi) / 2, 1.0 - phi)] + ([(1.0 - phi / 2, phi)] if phi > 0 else [])
            for xi, w in halves:
                p_l.append(p)
                r_l.append(r)
                xi_l.append(xi)
                w_l.append(share * w)
    cp = np.array(p_l, dtype=np.int64)
    mean = span[cp] * np.array(w_l)[:, None]  # [L, W]
    n = rng.poisson(np.broadcast_to(mean, (reps, *mean.shape)))
    rep, cell, day = np.nonzero(n)
    count = n[rep, cell, day]
    return rep, cp[cell], day, np.array(xi_l)[cell], np.array(r_l, dtype=np.int64)[cell], count


def _candidates(
    plan: Plan,
    rows: I64,
    rate: F64,
    block: tuple[int, int],
    reps: int,
    rng: np.random.Generator,
    dense: I64 | None = None,
) -> Candidates:
    """Candidate failures of stepped days ``block`` at the upper-bound ``rate``: their
    replication, row, stepped day, instant within the day and route, sorted by day; the
    ``dense`` rows' (local indices) as counts (:func:`_counted`), after the single ones
    of each day, with each candidate's count (``None`` without dense rows)."""
    d0, d1 = block
    P = len(rows)
    span = rate[:, d0:d1]
    cum = np.zeros((P, d1 - d0 + 1))
    np.cumsum(span, axis=1, out=cum[:, 1:])
    total = cum[:, -1]
    if dense is not None and len(dense):
        total = total.copy()
        total[dense] = 0.0
    n = rng.poisson(np.broadcast_to(total, (reps, P)))
    key = np.repeat(np.arange(reps * P), n.ravel())
    rep, p = np.divmod(key, P)
    v = rng.random(len(p)) * np.take(total, p)
    width = d1 - d0
    # the first day each row has a rate (rows whose burn-in starts later have none before)
    lo = np.minimum((span > 0).argmax(axis=1), width - 1)
    ref = span[np.arange(P), lo]
    after = np.arange(width)[None, :] >= lo[:, None]
    if np.all(np.where(after, span == ref[:, None], span == 0)):
        # a constant rate from each row's first day: invert in closed form
        u = v / np.take(ref, p)
        day = np.minimum(u.astype(np.int64), width - 1 - np.take(lo, p))
        xi = u - day
        day += np.take(lo, p)
    else:
        offset = np.concatenate([[0.0], np.cumsum(total + 1.0)[:-1]])
        flat = (cum + offset[:, None]).ravel()
        pos = np.searchsorted(flat, v + offset[p], side="right") - 1
        day = np.clip(pos - p * (width + 1), 0, width - 1)
        rate = span[p, day]  # > 0 but for rounding at a zero-rate day's edge
        xi = np.clip((v - cum[p, day]) / np.where(rate > 0, rate, 1.0), 0.0, 1.0)
    route = _route_of(plan, np.take(rows, p), rng.random(len(p)))
    if dense is None or not len(dense):
        order = np.argsort(day.astype(np.uint16 if width < 2**16 else np.int64), kind="stable")
        return rep[order], p[order], day[order] + d0, xi[order], route[order], None
    c_rep, c_p, c_day, c_xi, c_route, c_n = _counted(plan, rows, span, dense, reps, rng)
    key = np.concatenate([2 * day, 2 * c_day + 1])  # a day's single candidates first
    order = np.argsort(key, kind="stable")
    count = np.concatenate([np.ones(len(p), dtype=np.int64), c_n])
    return (
        np.concatenate([rep, c_rep])[order],
        np.concatenate([p, c_p])[order],
        np.concatenate([day, c_day])[order] + d0,
        np.concatenate([xi, c_xi])[order],
        np.concatenate([route, c_route])[order],
        count[order],
    )


def outstanding_stepped(
    plan: Plan,
    rows: I64,
    scale: F64,
    lam_ss: F64,
    operating: Operating | None,
    column: I64,
    clocks: Clocks,
    reps: int,
    rng: np.random.Generator,
    burn: int = 0,
    divert: B8 | None = None,
    row_burn: I64 | None = None,
    flat: bool = False,
) -> Stepped:
    """Items out ``[R, P, T]`` of part ``rows``, stepping day by day; with ``operating``,
    instead, each fleet's share operating and backorders ``[R, K, T]`` on each day (what
    the engine needs of them, without an array per part row and day).


    ``scale [P, T]`` is demand per day with every unit operating; ``operating(t, out)``
    gives the share of each fleet operating ``[R, K]`` from the items out at instant ``t``
    (``column [P]``: each row's fleet among the ``K``); ``None``: every unit, always.
    Routes with a capacity induct at most that many items a day, first come first served,
    and none on a day their route is cut; the others start at once.

    With ``burn > 0`` the pipelines start ``burn`` days before day 0 (Poisson at rate
    ``lam_ss``) and are stepped through those days at day 0's tempo with no cutoff, so that
    day 0 finds them in the steady state of these dynamics rather than of ``lam_ss``.
    ``row_burn [P]`` (at most ``burn``): each row's own burn-in (its fleet's); a row's
    pipeline stands still until ``row_burn`` days before day 0. ``flat``: ``operating``
    does not depend on ``t`` and takes any number of rows, so that the days can be solved
    a window at a time (:func:`~tether._engine.mc_relax.relax_days`, the same result).
    """
    H = plan.horizon
    T = H + 1
    P = len(rows)
    n_exits = burn + T + 1
    exits = np.zeros((n_exits, reps, P), dtype=np.int32)  # [instant + burn, R, P]
    flat_exits = exits.reshape(-1)
    arrive = np.zeros((n_exits, reps, P), dtype=np.int32) if operating is None else None
    r0, p0, route0, need0 = _pipeline_draw(plan, rows, lam_ss, reps, rng)
    start = np.full(P, burn, dtype=np.int64) if row_burn is None else row_burn
    back0 = _back_burn(clocks, r0, rows[p0], route0, need0 - np.take(start, p0), burn)
    one = np.int32(1)  # np.add.at is fast only with matching types
    np.add.at(flat_exits, (back0 * reps + r0) * P + p0, one)
    current = np.zeros((reps, P), dtype=np.int32)
    np.add.at(current.reshape(-1), r0 * P + p0, one)
    queues = _Queues(plan, rows, clocks, reps, burn, n_exits)
    limited = np.isfinite(plan.route_capacity[rows])
    rate = _daily_rate(scale, burn, H, row_burn)
    # rows with many failures a day: their candidates drawn as counts (not with
    # diversion, which would move a count's route within it)
    dense_row = None
    if operating is not None and divert is None:
        dense_row = (rate.max(axis=1, initial=0.0) >= DENSE_RATE).astype(np.int64)
    dense = None if dense_row is None or not dense_row.any() else np.flatnonzero(dense_row)
    K = int(column.max()) + 1 if len(column) else 1
    shares = np.ones((T, reps, K)) if operating is not None else None
    held = np.zeros((T, reps, K)) if operating is not None else None

    def run(block: tuple[int, int]) -> None:
        """Draw the candidates of stepped days ``block`` and step through them (a
        function, so that one block's candidate arrays are freed before the next)."""
        rep, p, d, xi, route, count = _candidates(plan, rows, rate, block, reps, rng, dense)
        keep = rng.random(len(p)) if operating is not None else None
        t_of = d - burn
        if divert is not None:
            now = t_of >= 0
            if now.any():
                route[now] = _diverted(divert, rep[now], rows[p[now]], route[now], t_of[now])
        capped = limited[p, route] if queues.any else None
        part = rows[p]
        tau = plan.route_time[part, route]
        # candidates are sorted by day: those of the burn-in first
        split = int(np.searchsorted(d, burn))
        back = np.empty(len(p), dtype=np.int64)  # capped ones: unused (their queue decides)
        if split:
            early = slice(0, split)
            when = t_of[early] + xi[early] + tau[early]
            back[early] = _back_burn(clocks, rep[early], part[early], route[early], when, burn)
        if split < len(p):
            late = slice(split, len(p))
            back[late] = burn + clocks.back(
                rep[late], part[late], route[late], t_of[late], xi[late], tau[late]
            )
        exit_at = (back * reps + rep) * P + p
        cell = rep * P + p
        if count is None:
            starts = np.searchsorted(d, np.arange(block[0], block[1] + 1))
            halves = starts[1:]  # no counted candidates: a day's single ones end with it
        else:  # a day's single candidates, then its counted ones
            assert dense_row is not None
            split_at = np.searchsorted(
                2 * d + dense_row[p], np.arange(2 * block[0], 2 * block[1] + 1)
            )
            starts, halves = split_at[::2], split_at[1::2]
        if operating is None:
            assert arrive is not None
            np.add.at(arrive.reshape(-1), (d + 1) * reps * P + cell, one)
            if capped is None:
                np.add.at(flat_exits, exit_at, one)
                return
            np.add.at(flat_exits, exit_at[~capped], one)
            for i in range(block[0], block[1]):
                t = i - burn
                queues.induct(t, flat_exits, P)
                s, e = starts[i - block[0]], starts[i - block[0] + 1]
                if s < e:
                    assert capped is not None
                    c = capped[s:e]
                    if c.any():
                        queues.join(rep[s:e][c], p[s:e][c], route[s:e][c], one)
            return
        assert keep is not None
        assert shares is not None
        assert held is not None
        look = rep * K + column[p]
        if flat and count is None and not queues.any and reps * P <= mc_relax.RELAX_WIDTH:
            # days solved a window at a time
            mc_relax.relax_days(
                block,
                d,
                cell,
                exit_at,
                keep,
                look,
                current,
                exits,
                operating,
                shares,
                held,
                burn,
                plan.spares[rows].astype(np.int32),
            )
            return

        def _accept(acc: I64, k: NDArray[np.int32] | np.int32) -> None:
            """Add the accepted candidates ``acc`` (``k`` failures each) to the items out,
            and to the queues or their return instants."""
            np.add.at(flat_current, cell[acc], k)
            if capped is not None:
                c = capped[acc]
                if c.any() and isinstance(k, np.ndarray):
                    queues.join(rep[acc[c]], p[acc[c]], route[acc[c]], k[c])
                    acc, k = acc[~c], k[~c]
                elif c.any():
                    queues.join(rep[acc[c]], p[acc[c]], route[acc[c]], k)
                    acc = acc[~c]
            np.add.at(flat_exits, exit_at[acc], k)

        flat_current = current.reshape(-1)
        for i in range(block[0], block[1]):
            t = i - burn
            np.subtract(current, exits[i], out=current)
            if queues.any:
                queues.induct(t, flat_exits, P)
            s, e = starts[i - block[0]], starts[i - block[0] + 1]
            if t >= 0:
                share, held[t] = operating(t, current)
                shares[t] = share
            elif s == e:
                continue
            else:
                share, _ = operating(t, current)
            m = halves[i - block[0]]
            if m < e:  # counted candidates: Binomial(n, share) of each group
                assert count is not None
                k = rng.binomial(count[m:e], np.take(share.reshape(-1), look[m:e]))
                got = np.flatnonzero(k)
                _accept(m + got, k[got].astype(np.int32))
            acc = s + np.flatnonzero(keep[s:m] < np.take(share.reshape(-1), look[s:m]))
            if len(acc):
                _accept(acc, one)

    for block in _day_blocks(rate, reps):
        run(block)
    if operating is None:
        assert arrive is not None
        arrive[0] += current  # the pipelines at the start
        delta = arrive
        delta -= exits
        np.cumsum(delta, axis=0, out=delta)
        return np.ascontiguousarray(delta[burn : burn + T].transpose(1, 2, 0)), None, None
    assert shares is not None
    assert held is not None
    current -= exits[burn + H]
    shares[H], held[H] = operating(H, current)
    return None, shares.transpose(1, 2, 0), held.transpose(1, 2, 0)
