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

On the 'available' basis the burn-in (the days before day 0) is stepped on its own, and
its end state (:class:`BurnIn`) serves every batch member of the chunk: members differ
only by their cutoffs, which act from day 0 on, so they agree before it. Items still out
at its end are kept by route and clock-days still needed, and read on each member's own
clocks. Members then share their draws before day 0 (common random numbers: day 0 is the
same in each, replication by replication).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tether._engine import mc_relax
from tether._engine.arrays import Plan
from tether._engine.mc_clock import Clocks
from tether._engine.mc_operating import Operating
from tether._engine.mc_parts import _back_burn, _diverted, _pipeline_draw, _route_of
from tether._engine.mc_queues import QUEUE_CELLS, QUEUE_WIDTH, Early, _Queues

__all__ = [
    "FAILURE_BLOCK",
    "QUEUE_CELLS",
    "QUEUE_WIDTH",
    "BurnIn",
    "Operating",
    "later_width",
    "outstanding_stepped",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]


#: What the stepped path gives: items out ``[R, P, T]`` (without ``operating``), or the
#: fleets' share operating and backorders ``[R, K, T]`` (with it).
Stepped = tuple[NDArray[np.int32] | None, F64 | None, F64 | None]


#: Most candidate failures drawn at once (a block of days at a time): about 100 bytes each.
FAILURE_BLOCK = 1_000_000


def _daily_rate(scale: F64, burn: int, H: int, row_burn: I64 | None = None) -> F64:
    """Upper-bound failure rate per row and stepped day ``[P, burn + H]`` (day 0's tempo
    through the burn-in; with ``row_burn [P]``, none before a row's own burn-in starts)."""
    rate = np.concatenate([np.repeat(scale[:, :1], burn, axis=1), scale[:, :H]], axis=1)
    if row_burn is not None:
        rate[:, :burn][np.arange(burn)[None, :] < (burn - row_burn)[:, None]] = 0.0
    return rate


def _day_blocks(rate: F64, reps: int, lo: int, D: int) -> list[tuple[int, int]]:
    """Stepped days ``lo .. D - 1`` cut into blocks of about :data:`FAILURE_BLOCK`
    expected candidates."""
    per_day = rate.sum(axis=0) * reps
    cum = np.cumsum(per_day)
    blocks, start = [], lo
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


class _Steps:
    """The stepping of :func:`outstanding_stepped`: its candidates drawn a block of days
    at a time and kept or dropped day by day (or a window of days at a time), on the
    return histogram ``exits [instant + burn, R, P]`` given to :meth:`begin`."""

    def __init__(
        self,
        plan: Plan,
        rows: I64,
        rate: F64,
        operating: Operating | None,
        column: I64,
        clocks: Clocks,
        reps: int,
        rng: np.random.Generator,
        burn: int,
        divert: B8 | None,
        flat: bool,
    ) -> None:
        self.plan, self.rows, self.rate, self.operating = plan, rows, rate, operating
        self.column, self.clocks, self.reps, self.rng = column, clocks, reps, rng
        self.burn, self.divert, self.flat = burn, divert, flat
        self.limited = np.isfinite(plan.route_capacity[rows])
        # rows with many failures a day: their candidates drawn as counts (not with
        # diversion, which would move a count's route within it)
        self.dense_row = (rate.max(axis=1, initial=0.0) >= DENSE_RATE).astype(np.int64)
        self.K = int(column.max()) + 1 if len(column) else 1
        T = plan.horizon + 1
        self.shares = np.ones((T, reps, self.K)) if operating is not None else None
        self.held = np.zeros((T, reps, self.K)) if operating is not None else None
        self.arrive: NDArray[np.int32] | None = None

    def begin(
        self,
        exits: NDArray[np.int32],
        current: NDArray[np.int32],
        queue: I64 | None,
        early: Early | None = None,
    ) -> None:
        """Step from the items out ``current [R, P]`` (and the depots' backlogs ``queue``;
        ``None``: empty) on ``exits``; ``early`` maps the return of items back before
        day 0's clocks (default: :func:`_back_burn`)."""
        self.exits, self.flat_exits, self.current = exits, exits.reshape(-1), current
        self.queues = _Queues(
            self.plan, self.rows, self.clocks, self.reps, self.burn, exits.shape[0]
        )
        if queue is not None:
            self.queues.queue = queue
        if early is not None:
            self.queues.early = early
        self.early = self.queues.early

    def whole(self, lam_ss: F64, row_burn: I64 | None) -> Stepped:
        """The burn-in and the horizon in one pass, items back after day 0 read on the
        clocks at once (no state kept at day 0: the path without a burn-in, and the
        straightforward one the shared burn-in is tested against)."""
        plan, rows, reps, burn = self.plan, self.rows, self.reps, self.burn
        H, P = plan.horizon, len(rows)
        n_exits = burn + H + 2
        exits = np.zeros((n_exits, reps, P), dtype=np.int32)  # [instant + burn, R, P]
        if self.operating is None:
            self.arrive = np.zeros((n_exits, reps, P), dtype=np.int32)
        r0, p0, route0, need0 = _pipeline_draw(plan, rows, lam_ss, reps, self.rng)
        start = np.full(P, burn, dtype=np.int64) if row_burn is None else row_burn
        back0 = _back_burn(self.clocks, r0, rows[p0], route0, need0 - np.take(start, p0), burn)
        one = np.int32(1)
        np.add.at(exits.reshape(-1), (back0 * reps + r0) * P + p0, one)
        current = np.zeros((reps, P), dtype=np.int32)
        np.add.at(current.reshape(-1), r0 * P + p0, one)
        self.begin(exits, current, None)
        # blocks of days cut at day 0, as when the burn-in is stepped on its own
        for block in _day_blocks(self.rate, reps, 0, burn) + _day_blocks(
            self.rate, reps, burn, burn + H
        ):
            self.run(block, dense=self.divert is None)
        return self.finish()

    def finish(self) -> Stepped:
        """What the stepping gives, once every day is stepped."""
        burn, H, current = self.burn, self.plan.horizon, self.current
        if self.operating is None:
            assert self.arrive is not None
            delta = self.arrive
            delta[0] += current  # the pipelines at the start
            delta -= self.exits
            np.cumsum(delta, axis=0, out=delta)
            return np.ascontiguousarray(delta[burn : burn + H + 1].transpose(1, 2, 0)), None, None
        assert self.shares is not None
        assert self.held is not None
        current -= self.exits[burn + H]
        self.shares[H], self.held[H] = self.operating(H, current)
        return None, self.shares.transpose(1, 2, 0), self.held.transpose(1, 2, 0)

    def run(self, block: tuple[int, int], dense: bool) -> None:
        """Draw the candidates of stepped days ``block`` and step through them (one
        block's candidate arrays are freed before the next); ``dense``: rows with many
        failures a day drawn as counts (on the 'available' basis)."""
        plan, rows, reps, rng, burn = self.plan, self.rows, self.reps, self.rng, self.burn
        operating, queues, clocks, column = self.operating, self.queues, self.clocks, self.column
        exits, flat_exits, current, K = self.exits, self.flat_exits, self.current, self.K
        P = len(rows)
        dense_row = self.dense_row if dense and operating is not None else None
        many = None if dense_row is None or not dense_row.any() else np.flatnonzero(dense_row)
        rep, p, d, xi, route, count = _candidates(plan, rows, self.rate, block, reps, rng, many)
        keep = rng.random(len(p)) if operating is not None else None
        t_of = d - burn
        if self.divert is not None:
            now = t_of >= 0
            if now.any():
                route[now] = _diverted(self.divert, rep[now], rows[p[now]], route[now], t_of[now])
        capped = self.limited[p, route] if queues.any else None
        part = rows[p]
        tau = plan.route_time[part, route]
        # candidates are sorted by day: those of the burn-in first
        split = int(np.searchsorted(d, burn))
        back = np.empty(len(p), dtype=np.int64)  # capped ones: unused (their queue decides)
        if split:
            early = slice(0, split)
            when = t_of[early] + xi[early] + tau[early]
            back[early] = self.early(rep[early], part[early], route[early], when)
        if split < len(p):
            late = slice(split, len(p))
            back[late] = burn + clocks.back(
                rep[late], part[late], route[late], t_of[late], xi[late], tau[late]
            )
        exit_at = (back * reps + rep) * P + p
        cell = rep * P + p
        one = np.int32(1)  # np.add.at is fast only with matching types
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
            arrive = self.arrive
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
        shares, held = self.shares, self.held
        assert shares is not None
        assert held is not None
        look = rep * K + column[p]
        if self.flat and count is None and not queues.any and reps * P <= mc_relax.RELAX_WIDTH:
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


@dataclass(frozen=True, eq=False)
class BurnIn:
    """The stepped pipelines at the end of the burn-in, before day 0 (see
    :func:`outstanding_stepped`): the same for every batch member, whose rows, demand and
    clocks agree before day 0 (cutoffs act from day 0 on). ``current [R, P]``: items out
    after the burn-in's last day; ``at_zero [R, P]``: those of them back at instant 0;
    ``slot, rep, part, count``: the others, by how many clock-days they still need after
    day 0 on which route (``slot``: the route's first slot, past the routes before it
    with ``K [3]`` slots each, ``+ k - 1``), to be read on each member's own
    clocks; ``queue [L, R]``: the depots' backlogs."""

    current: NDArray[np.int32]
    at_zero: NDArray[np.int32]
    slot: I64
    rep: I64
    part: I64
    count: NDArray[np.int32]
    queue: I64
    K: I64

    @property
    def nbytes(self) -> int:
        arrays = (self.current, self.at_zero, self.slot, self.rep, self.part, self.count)
        return sum(a.nbytes for a in arrays) + self.queue.nbytes


def later_width(plan: Plan, rows: I64) -> I64:
    """Clock-days after day 0 an item out at the burn-in's end may still need, per route
    ``[3]`` (the longest whole turnaround on the route among ``rows``, at most
    ``horizon + 1``; 0 for a route none of them takes)."""
    if not len(rows):
        return np.zeros(3, dtype=np.int64)
    most = np.where(plan.share[rows] > 0, plan.route_time[rows], 0.0).max(axis=0)
    width: I64 = np.minimum(np.ceil(most), plan.horizon + 1).astype(np.int64)
    return width


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
    shared: list[BurnIn] | None = None,
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

    ``shared`` (with ``operating`` and a burn-in): the burn-in's end state
    (:class:`BurnIn`), computed here and appended when the list is empty, else read from
    it (no draws): batch members agree before day 0, so one burn-in serves them all.
    """
    H = plan.horizon
    T = H + 1
    P = len(rows)
    rate = _daily_rate(scale, burn, H, row_burn)
    steps = _Steps(plan, rows, rate, operating, column, clocks, reps, rng, burn, divert, flat)
    if operating is None or burn <= 0:
        return steps.whole(lam_ss, row_burn)
    if shared is not None and shared:
        start = shared[0]
    else:
        start = _burn_in(plan, rows, rate, lam_ss, row_burn, steps)
        if shared is not None:
            shared.append(start)
    n_exits = burn + T + 1
    exits = np.zeros((n_exits, reps, P), dtype=np.int32)
    exits[burn] = start.at_zero
    off = np.concatenate([[0], np.cumsum(start.K)])  # each route's first slot
    route = np.searchsorted(off, start.slot, side="right") - 1
    k = start.slot - off[route]
    inst = clocks.back_before_zero(start.rep, rows[start.part], route, (k + 1).astype(np.float64))
    at = ((burn + inst) * reps + start.rep) * P + start.part
    np.add.at(exits.reshape(-1), np.minimum(at, exits.size - 1), start.count)
    steps.begin(exits, start.current.copy(), start.queue.copy())
    for block in _day_blocks(rate, reps, burn, burn + H):
        steps.run(block, dense=divert is None)
    return steps.finish()


def _burn_in(
    plan: Plan, rows: I64, rate: F64, lam_ss: F64, row_burn: I64 | None, steps: _Steps
) -> BurnIn:
    """Step the burn-in (``steps.burn`` days before day 0) from Poisson pipelines at rate
    ``lam_ss``; items back after day 0 are kept by route and clock-days still needed
    (a slot per route and whole day, past the burn-in's instants)."""
    burn, reps, P = steps.burn, steps.reps, len(rows)
    K = later_width(plan, rows)
    off = np.concatenate([[0], np.cumsum(K)[:-1]]) + burn  # each route's first slot - 1
    exits = np.zeros((burn + 1 + int(K.sum()), reps, P), dtype=np.int32)

    def early(rep: I64, part: I64, route: I64, when: F64) -> I64:
        out = np.ceil(when).astype(np.int64) + burn
        later = when > 0
        r = route[later]
        out[later] = off[r] + np.minimum(out[later] - burn, K[r])  # its slot, past burn
        return out

    r0, p0, route0, need0 = _pipeline_draw(plan, rows, lam_ss, steps.reps, steps.rng)
    start = np.full(P, burn, dtype=np.int64) if row_burn is None else row_burn
    back0 = early(r0, rows[p0], route0, need0 - np.take(start, p0))
    current = np.zeros((reps, P), dtype=np.int32)
    np.add.at(current.reshape(-1), r0 * P + p0, np.int32(1))
    np.add.at(exits.reshape(-1), (back0 * reps + r0) * P + p0, np.int32(1))
    steps.begin(exits, current, None, early)
    for block in _day_blocks(rate, reps, 0, burn):
        steps.run(block, dense=True)
    later = exits[burn + 1 :].reshape(-1)
    at = np.flatnonzero(later)  # one index array: several times faster than nonzero's three
    slot, cell = np.divmod(at, reps * P)
    rep, part = np.divmod(cell, P)
    return BurnIn(
        current=steps.current,
        at_zero=exits[burn].copy(),
        slot=slot,
        rep=rep,
        part=part,
        count=later[at],
        queue=steps.queues.queue,
        K=K,
    )
