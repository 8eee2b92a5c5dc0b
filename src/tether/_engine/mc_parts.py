"""Monte Carlo sampling of part pipelines, and fleet availability from backorders.

Two paths give the number of items out of service per replication, part and day:

- :func:`outstanding_fixed`: demand does not depend on the state (the 'fleet' tempo basis,
  unlimited repair capacity). Every failure of the horizon is drawn at once from the
  non-homogeneous Poisson process (inverse of cumulative demand), routed, and given its
  return instant; counts follow from two histograms. No loop over days or events.
- :func:`outstanding_stepped`: demand depends on availability ('available' basis) or a
  depot has a capacity limit. Steps day by day, vectorised over replications and parts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import special

from tether._engine.arrays import Plan
from tether._engine.groups import group_add, group_max
from tether._engine.mc_clock import Clocks

__all__ = ["availability_from_backorders", "outstanding_fixed", "outstanding_stepped"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

Availability = Callable[[NDArray[np.int64]], F64]


def _route_of(plan: Plan, part: I64, w: F64) -> I64:
    cum = np.cumsum(plan.share[part], axis=1)
    route: I64 = (w[:, None] >= cum[:, :2]).sum(axis=1)
    # guard against rounding: never pick a route with zero share
    bad = plan.share[part, route] <= 0
    if bad.any():
        route[bad] = np.argmax(plan.share[part[bad]], axis=1)
    return route


def _pre_zero(
    plan: Plan, rows: I64, clocks: Clocks, lam_ss: F64, reps: int, rng: np.random.Generator
) -> tuple[I64, I64, I64]:
    """Items already out at day 0 (steady state): their replication, part and return instant.

    On route ``r`` the number still out is Poisson with mean ``lam_ss * share_r * tau_r``, and
    each needs a uniform share of ``tau_r`` more clock-days.
    """
    mean = lam_ss[:, None] * plan.share[rows] * plan.route_time[rows]  # [P, 3]
    n = rng.poisson(np.broadcast_to(mean, (reps, *mean.shape)))
    rep, p, route = np.nonzero(n)
    counts = n[rep, p, route]
    rep, p, route = (np.repeat(a, counts) for a in (rep, p, route))
    tau = plan.route_time[rows[p], route]
    need = tau * (1.0 - rng.random(len(tau)))
    back = clocks.back_before_zero(rep, rows[p], route, need)
    return rep, p, back


def outstanding_fixed(
    plan: Plan,
    rows: I64,
    lam: F64,
    lam_ss: F64,
    clocks: Clocks,
    reps: int,
    rng: np.random.Generator,
) -> NDArray[np.int32]:
    """Items out ``[R, P, T]`` for part ``rows`` whose demand ``lam [P, T]`` is fixed."""
    H = plan.horizon
    T = H + 1
    P = len(rows)
    cum = np.zeros((P, T))
    np.cumsum(lam[:, :-1], axis=1, out=cum[:, 1:])  # cum[:, t]: demand before instant t
    total = cum[:, -1]
    # One monotone sequence across parts, so that one searchsorted serves all.
    offset = np.concatenate([[0.0], np.cumsum(total + 1.0)[:-1]])
    flat = (cum + offset[:, None]).ravel()

    n = rng.poisson(np.broadcast_to(total, (reps, P)))
    rep, p = np.nonzero(n)
    counts = n[rep, p]
    rep, p = np.repeat(rep, counts), np.repeat(p, counts)
    v = rng.random(len(p)) * total[p]
    pos = np.searchsorted(flat, v + offset[p], side="right") - 1
    day = np.clip(pos - p * T, 0, H - 1)
    xi = (v - cum[p, day]) / lam[p, day]
    route = _route_of(plan, rows[p], rng.random(len(p)))
    back = clocks.back(rep, rows[p], route, day, xi, plan.route_time[rows[p], route])

    slots = T + 1
    base = (rep * P + p) * slots
    delta = np.bincount(base + day + 1, minlength=reps * P * slots)
    delta -= np.bincount(base + back, minlength=reps * P * slots)
    r0, p0, back0 = _pre_zero(plan, rows, clocks, lam_ss, reps, rng)
    base0 = (r0 * P + p0) * slots
    delta += np.bincount(base0, minlength=reps * P * slots)
    delta -= np.bincount(base0 + back0, minlength=reps * P * slots)
    out = np.cumsum(delta.reshape(reps, P, slots), axis=2)[:, :, :T]
    return out.astype(np.int32)


def outstanding_stepped(
    plan: Plan,
    rows: I64,
    scale: F64,
    lam_ss: F64,
    operating: Callable[[int, NDArray[np.int32]], F64],
    clocks: Clocks,
    reps: int,
    rng: np.random.Generator,
) -> NDArray[np.int32]:
    """Items out ``[R, P, T]``, stepping day by day.

    ``scale [P, T]`` is demand per operating unit-share; ``operating(t, out_t)`` gives the
    share of each part's fleet operating on day ``t`` (``[R, P]``) from the items out at
    ``t``. Routes with a capacity induct at most that many items a day, first come first
    served, and none on a day their route is cut; the others start at once.
    """
    H = plan.horizon
    T = H + 1
    P = len(rows)
    exits = np.zeros((reps, P, T + 1), dtype=np.int64)
    r0, p0, back0 = _pre_zero(plan, rows, clocks, lam_ss, reps, rng)
    np.add.at(exits, (r0, p0, back0), 1)
    current = np.zeros((reps, P), dtype=np.int64)
    np.add.at(current, (r0, p0), 1)
    cap = plan.route_capacity[rows]  # [P, 3]
    limited = np.isfinite(cap)
    queue = np.zeros((reps, P, 3), dtype=np.int64)
    out = np.zeros((reps, P, T), dtype=np.int32)
    for t in range(T):
        current -= exits[:, :, t]
        out[:, :, t] = current
        if t == H:
            break
        if limited.any():
            for r in np.flatnonzero(limited.any(axis=0)):
                lim = np.where(limited[:, r], cap[:, r], 0).astype(np.int64)
                # a depot whose route is cut today takes nothing in
                open_today = clocks.active[clocks.cid[rows, r]][:, :, t].T  # [R', P]
                take = np.minimum(queue[:, :, r], lim[None, :] * open_today)
                queue[:, :, r] -= take
                rr, pp = np.nonzero(take)
                if len(rr):
                    tb = clocks.back_from(
                        rr,
                        rows[pp],
                        np.full(len(rr), r),
                        np.full(len(rr), t),
                        plan.route_time[rows[pp], r],
                    )
                    np.add.at(exits, (rr, pp, tb), take[rr, pp])
        rate = scale[:, t][None, :] * operating(t, out[:, :, t])
        n = rng.poisson(rate)
        current += n
        rep, p = np.nonzero(n)
        if not len(rep):
            continue
        counts = n[rep, p]
        rep, p = np.repeat(rep, counts), np.repeat(p, counts)
        route = _route_of(plan, rows[p], rng.random(len(p)))
        capped = limited[p, route]
        if capped.any():
            np.add.at(queue, (rep[capped], p[capped], route[capped]), 1)
        free = ~capped
        rep, p, route = rep[free], p[free], route[free]
        xi = rng.random(len(p))
        day = np.full(len(p), t)
        tb = clocks.back(rep, rows[p], route, day, xi, plan.route_time[rows[p], route])
        np.add.at(exits, (rep, p, tb), 1)
    return out


def availability_from_backorders(
    backorders: NDArray[np.int32] | NDArray[np.int64],
    fleet_of: I64,
    units: F64,
    quantity: F64,
    n_fleets: int,
    cannibalise: bool,
) -> F64:
    """Fleet availability ``[R, F, ...]`` from backorders ``[R, P, ...]`` per part row.

    With cannibalisation, holes are consolidated onto as few units as possible:
    ``N - max_i ceil(B_i / Z_i)`` units are up. Without, holes sit on units at random: a unit
    is up with probability ``C(NZ - Z, B) / C(NZ, B)`` per part, independently across parts
    (the exact counterpart of Sherbrooke's ``(1 - EBO / NZ)^Z``).
    """
    shape = (backorders.shape[0], n_fleets, *backorders.shape[2:])
    b = backorders.astype(np.float64)
    n = units[fleet_of]
    z = quantity
    extra = (None,) * (backorders.ndim - 2)
    n_ = n[(None, slice(None), *extra)]
    z_ = z[(None, slice(None), *extra)]
    if cannibalise:
        down = np.zeros(shape)
        group_max(down, fleet_of, np.ceil(b / z_))
        up = np.clip(units[(None, slice(None), *extra)] - down, 0.0, None)
        return np.asarray(up / units[(None, slice(None), *extra)], dtype=np.float64)
    nz = n_ * z_
    free = nz - b
    with np.errstate(invalid="ignore"):
        log_h = (
            special.gammaln(np.maximum(free, 0) + 1)
            - special.gammaln(np.maximum(free - z_, 0) + 1)
            - special.gammaln(nz + 1)
            + special.gammaln(nz - z_ + 1)
        )
    log_h = np.where(free >= z_, log_h, -np.inf)
    total = np.zeros(shape)
    group_add(total, fleet_of, log_h)
    return np.asarray(np.exp(total), dtype=np.float64)
