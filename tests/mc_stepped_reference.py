"""The day-stepped Monte Carlo path as it was before thinning (one Poisson draw per
replication, part and day), kept as the straightforward reference that
tests/test_mc_stepped.py compares the engine's path with, within sampling error."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan
from tether._engine.mc_clock import Clocks
from tether._engine.mc_parts import _back_burn, _diverted, _pipeline_draw, _route_of

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]


def reference_stepped(
    plan: Plan,
    rows: I64,
    scale: F64,
    lam_ss: F64,
    operating: Any,
    column: I64,
    clocks: Clocks,
    reps: int,
    rng: np.random.Generator,
    burn: int = 0,
    divert: B8 | None = None,
    row_burn: I64 | None = None,
    flat: bool = False,
    shared: Any = None,
) -> tuple[NDArray[np.int32], None, None]:
    """Items out ``[R, P, T]``, stepping day by day (and no availability: the engine
    computes it from the items out).

    ``scale [P, T]`` is demand per operating unit-share; ``operating(t, out_t)`` gives the
    share of each part's fleet operating on day ``t`` (``[R, P]``) from the items out at
    ``t``. Routes with a capacity induct at most that many items a day, first come first
    served, and none on a day their route is cut; the others start at once.

    With ``burn > 0`` the pipelines start ``burn`` days before day 0 (Poisson at rate
    ``lam_ss``) and are stepped through those days at day 0's tempo with no cutoff, so that
    day 0 finds them in the steady state of these dynamics rather than of ``lam_ss``;
    with ``row_burn [P]``, a row's pipeline stands still until ``row_burn`` days before.
    """
    H = plan.horizon
    T = H + 1
    P = len(rows)
    exits = np.zeros((burn + T + 1, reps, P), dtype=np.int64)  # [instant + burn, R, P]
    flat_exits = exits.reshape(-1)
    r0, p0, route0, need0 = _pipeline_draw(plan, rows, lam_ss, reps, rng)
    start = np.full(P, burn) if row_burn is None else row_burn
    back0 = _back_burn(clocks, r0, rows[p0], route0, need0 - start[p0], burn)
    np.add.at(exits, (back0, r0, p0), 1)
    current = np.zeros((reps, P), dtype=np.int64)
    np.add.at(current, (r0, p0), 1)
    cap = plan.route_capacity[rows]  # [P, 3]
    limited = np.isfinite(cap)
    queue = np.zeros((reps, P, 3), dtype=np.int64)
    out = np.zeros((T, reps, P), dtype=np.int32)  # day-major: contiguous days
    for t in range(-burn, T):
        current -= exits[t + burn]
        if t >= 0:
            out[t] = current
        if t == H:
            break
        if limited.any():
            for r in np.flatnonzero(limited.any(axis=0)):
                lim = np.where(limited[:, r], cap[:, r], 0).astype(np.int64)
                # a depot whose route is cut today takes nothing in
                if t >= 0:
                    open_today = clocks.active[clocks.cid[rows, r]][:, :, t].T  # [R', P]
                else:
                    open_today = np.ones((1, P), dtype=np.bool_)
                take = np.minimum(queue[:, :, r], lim[None, :] * open_today)
                queue[:, :, r] -= take
                rr, pp = np.nonzero(take)
                if len(rr):
                    tau = plan.route_time[rows[pp], r]
                    route = np.full(len(rr), r)
                    if t >= 0:
                        tb = burn + clocks.back_from(rr, rows[pp], route, np.full(len(rr), t), tau)
                    else:
                        tb = _back_burn(clocks, rr, rows[pp], route, t + np.ceil(tau), burn)
                    np.add.at(exits, (tb, rr, pp), take[rr, pp])
        current_t = out[t] if t >= 0 else current.astype(np.int32)
        share = np.ones((reps, P)) if operating is None else operating(t, current_t)[0][:, column]
        rate = scale[:, max(t, 0)][None, :] * share * (t >= -start)[None, :]
        n = rng.poisson(rate)
        current += n
        rep, p = np.nonzero(n)
        if not len(rep):
            continue
        counts = n[rep, p]
        rep, p = np.repeat(rep, counts), np.repeat(p, counts)
        route = _route_of(plan, rows[p], rng.random(len(p)))
        if divert is not None and t >= 0:
            route = _diverted(divert, rep, rows[p], route, np.full(len(p), t))
        capped = limited[p, route]
        if capped.any():
            np.add.at(queue, (rep[capped], p[capped], route[capped]), 1)
        free = ~capped
        rep, p, route = rep[free], p[free], route[free]
        xi = rng.random(len(p))
        tau = plan.route_time[rows[p], route]
        if t >= 0:
            day = np.full(len(p), t)
            tb = burn + clocks.back(rep, rows[p], route, day, xi, tau)
        else:
            tb = _back_burn(clocks, rep, rows[p], route, t + xi + tau, burn)
        np.add.at(flat_exits, (tb * reps + rep) * P + p, 1)
    return np.ascontiguousarray(out.transpose(1, 2, 0)), None, None
