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

import numpy as np
from numpy.typing import NDArray

from tether._engine import mc_relax
from tether._engine.arrays import Plan
from tether._engine.mc_clock import Clocks
from tether._engine.mc_operating import Operating
from tether._engine.mc_parts import _back_burn, _diverted, _pipeline_draw, _route_of

__all__ = ["FAILURE_BLOCK", "Operating", "outstanding_stepped"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]


#: What the stepped path gives: items out ``[R, P, T]`` (without ``operating``), or the
#: fleets' share operating and backorders ``[R, K, T]`` (with it).
Stepped = tuple[NDArray[np.int32] | None, F64 | None, F64 | None]

#: Replication x queue x day cells of the depots' queues solved at once (about 60 bytes
#: each) on the 'fleet' basis.
QUEUE_CELLS = 500_000

#: Most replication x queue cells a day for which the queues are solved in closed form:
#: beyond, a day's array operations cost more than their call overhead, and inducting
#: day after day is faster (measured on the benchmark force).
QUEUE_WIDTH = 4_000

#: Most candidate failures drawn at once (a block of days at a time): about 100 bytes each.
FAILURE_BLOCK = 1_000_000


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
        self.queue = np.zeros((L, reps), dtype=np.int64)  # [L, R]: replications last
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
            take = np.minimum(self.queue, (self.lim[None, :] * self.open[t]).T)
        else:
            take = np.minimum(self.queue, self.lim[:, None])
        if not take.any():
            return
        self.queue -= take
        R = self.reps
        if t >= 0:
            c = self.clocks
            width = c.first.shape[2]
            if c.A.shape[1] == 1:
                k = np.minimum(c.A[self.cid, 0, t] + self.need, width - 1)
                tb = self.burn + c.first[self.cid, 0, k][:, None]  # [L, 1]
            else:
                k = np.minimum(c.A[self.cid, :, t] + self.need[:, None], width - 1)
                tb = self.burn + c.first[self.cid[:, None], np.arange(R)[None, :], k]
        else:
            L = len(self.part)
            tb = _back_burn(
                self.clocks,
                np.tile(np.arange(R), L),
                np.repeat(self.row, R),
                np.repeat(self.route, R),
                np.repeat(t + self.need, R).astype(np.float64),
                self.burn,
            ).reshape(L, R)
        tb = np.minimum(tb, self.last)
        index = (tb * R + np.arange(R)[None, :]) * P + self.part[:, None]
        if self.unique:
            exits_flat[index.ravel()] += take.ravel()
        else:
            np.add.at(exits_flat, index.ravel(), take.ravel().astype(np.int32))

    def run_days(
        self, i0: int, joins: NDArray[np.int64], exits_flat: NDArray[np.int32], P: int
    ) -> None:
        """Stepped days ``i0 .. i0 + D`` at once, ``joins [D, R, L]`` items joining each
        queue each day (after that day's induction): :meth:`induct` and :meth:`join` day
        after day, by Lindley's recursion in closed form. With ``V_i`` what is left after
        day ``i``'s induction (capacity ``c_i``) and ``N_i`` the day's arrivals,
        ``V_i = max(V_{i-1} + N_{i-1} - c_i, 0)``, a reflected random walk: ``V_i = S_i -
        min(-V_0, min_{k <= i} S_k)`` with ``S`` the running sum of ``N_{i-1} - c_i``."""
        D, R, L = joins.shape
        t = np.arange(i0, i0 + D) - self.burn
        cap = np.broadcast_to(self.lim, (D, self.open.shape[1], L)).astype(np.int64)
        now = t >= 0
        if now.any():
            cap[now] *= self.open[t[now]]
        cap = np.broadcast_to(cap, (D, R, L))
        first = np.maximum(self.queue.T - cap[0], 0)
        left = np.empty((D, R, L), dtype=np.int64)
        left[0] = first
        if D > 1:
            walk = np.cumsum(joins[:-1] - cap[1:], axis=0)
            floor = np.minimum.accumulate(np.concatenate([-first[None], walk]), axis=0)[1:]
            left[1:] = walk - floor
        held = np.empty_like(left)
        held[0] = self.queue.T
        held[1:] = left[:-1] + joins[:-1]
        self.queue = np.ascontiguousarray((left[-1] + joins[-1]).T)
        take = held - left  # inducted each day: min(queue, capacity)
        day, rep, slot = np.nonzero(take)
        if not len(day):
            return
        n = take[day, rep, slot]
        t_of = t[day]
        c = self.cid[slot]
        r = rep if self.clocks.A.shape[1] > 1 else np.zeros_like(rep)
        width = self.clocks.first.shape[2]
        when = t_of + self.need[slot]  # before day 0 the clocks run: back at t + ceil(tau)
        k = np.where(t_of >= 0, self.clocks.A[c, r, np.maximum(t_of, 0)] + self.need[slot], when)
        tb = np.where(
            (t_of < 0) & (when <= 0),
            when + self.burn,
            self.burn + self.clocks.first[c, r, np.clip(k, 0, width - 1)],
        )
        tb = np.minimum(tb, self.last)
        index = (tb * R + rep) * P + self.part[slot]
        np.add.at(exits_flat, index, n.astype(np.int32))

    def join(self, rep: I64, p: I64, route: I64, count: NDArray[np.int32] | np.int32) -> None:
        np.add.at(self.queue, (self.slot(p, route), rep), np.asarray(count, dtype=np.int64))


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
            if reps * len(queues.part) > QUEUE_WIDTH:  # large: day after day
                for i in range(block[0], block[1]):
                    queues.induct(i - burn, flat_exits, P)
                    s, e = starts[i - block[0]], starts[i - block[0] + 1]
                    c = capped[s:e]
                    if c.any():
                        queues.join(rep[s:e][c], p[s:e][c], route[s:e][c], one)
                return
            # the queues over many days at a time (Lindley's recursion in closed form)
            width = max(1, QUEUE_CELLS // max(reps * len(queues.part), 1))
            slot = queues.slot(p[capped], route[capped])
            day_c, rep_c = d[capped], rep[capped]
            for i0 in range(block[0], block[1], width):
                D = min(width, block[1] - i0)
                mine = (day_c >= i0) & (day_c < i0 + D)
                joins = np.bincount(
                    ((day_c[mine] - i0) * reps + rep_c[mine]) * len(queues.part) + slot[mine],
                    minlength=D * reps * len(queues.part),
                ).reshape(D, reps, len(queues.part))
                queues.run_days(i0, joins, flat_exits, P)
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
