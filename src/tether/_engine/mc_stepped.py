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

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan
from tether._engine.mc_clock import Clocks
from tether._engine.mc_parts import _back_burn, _diverted, _pipeline_draw, _route_of

__all__ = ["FAILURE_BLOCK", "Operating", "outstanding_stepped"]

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

    def join(self, rep: I64, p: I64, route: I64) -> None:
        np.add.at(self.queue, (rep, self.slot(p, route)), np.int64(1))


def _daily_rate(scale: F64, burn: int, H: int) -> F64:
    """Upper-bound failure rate per row and stepped day ``[P, burn + H]`` (day 0's tempo
    through the burn-in)."""
    return np.concatenate([np.repeat(scale[:, :1], burn, axis=1), scale[:, :H]], axis=1)


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


def _candidates(
    plan: Plan,
    rows: I64,
    rate: F64,
    block: tuple[int, int],
    reps: int,
    rng: np.random.Generator,
) -> tuple[I64, I64, I64, F64, I64]:
    """Candidate failures of stepped days ``block`` at the upper-bound ``rate``: their
    replication, row, stepped day, instant within the day and route, sorted by day."""
    d0, d1 = block
    P = len(rows)
    span = rate[:, d0:d1]
    cum = np.zeros((P, d1 - d0 + 1))
    np.cumsum(span, axis=1, out=cum[:, 1:])
    total = cum[:, -1]
    n = rng.poisson(np.broadcast_to(total, (reps, P)))
    key = np.repeat(np.arange(reps * P), n.ravel())
    rep, p = np.divmod(key, P)
    v = rng.random(len(p)) * np.take(total, p)
    width = d1 - d0
    if np.all(span == span[:, :1]):  # a constant rate: invert in closed form
        u = v / np.take(span[:, 0], p)
        day = np.minimum(u.astype(np.int64), width - 1)
        xi = u - day
    else:
        offset = np.concatenate([[0.0], np.cumsum(total + 1.0)[:-1]])
        flat = (cum + offset[:, None]).ravel()
        pos = np.searchsorted(flat, v + offset[p], side="right") - 1
        day = np.clip(pos - p * (width + 1), 0, width - 1)
        rate = span[p, day]  # > 0 but for rounding at a zero-rate day's edge
        xi = np.clip((v - cum[p, day]) / np.where(rate > 0, rate, 1.0), 0.0, 1.0)
    route = _route_of(plan, np.take(rows, p), rng.random(len(p)))
    order = np.argsort(day.astype(np.uint16 if width < 2**16 else np.int64), kind="stable")
    return rep[order], p[order], day[order] + d0, xi[order], route[order]


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
    """
    H = plan.horizon
    T = H + 1
    P = len(rows)
    n_exits = burn + T + 1
    exits = np.zeros((n_exits, reps, P), dtype=np.int32)  # [instant + burn, R, P]
    flat_exits = exits.reshape(-1)
    arrive = np.zeros((n_exits, reps, P), dtype=np.int32) if operating is None else None
    r0, p0, route0, need0 = _pipeline_draw(plan, rows, lam_ss, reps, rng)
    back0 = _back_burn(clocks, r0, rows[p0], route0, need0 - burn, burn)
    one = np.int32(1)  # np.add.at is fast only with matching types
    np.add.at(flat_exits, (back0 * reps + r0) * P + p0, one)
    current = np.zeros((reps, P), dtype=np.int32)
    np.add.at(current.reshape(-1), r0 * P + p0, one)
    queues = _Queues(plan, rows, clocks, reps, burn, n_exits)
    limited = np.isfinite(plan.route_capacity[rows])
    rate = _daily_rate(scale, burn, H)
    K = int(column.max()) + 1 if len(column) else 1
    shares = np.ones((T, reps, K)) if operating is not None else None
    held = np.zeros((T, reps, K)) if operating is not None else None

    def run(block: tuple[int, int]) -> None:
        """Draw the candidates of stepped days ``block`` and step through them (a
        function, so that one block's candidate arrays are freed before the next)."""
        rep, p, d, xi, route = _candidates(plan, rows, rate, block, reps, rng)
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
        starts = np.searchsorted(d, np.arange(block[0], block[1] + 1))
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
                        queues.join(rep[s:e][c], p[s:e][c], route[s:e][c])
            return
        assert keep is not None
        assert shares is not None
        assert held is not None
        look = rep * K + column[p]
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
            acc = s + np.flatnonzero(keep[s:e] < np.take(share.reshape(-1), look[s:e]))
            if not len(acc):
                continue
            np.add.at(flat_current, cell[acc], one)
            if capped is not None:
                c = capped[acc]
                if c.any():
                    queues.join(rep[acc[c]], p[acc[c]], route[acc[c]])
                    acc = acc[~c]
            np.add.at(flat_exits, exit_at[acc], one)

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
