"""Monte Carlo sampling of part pipelines, and fleet availability from backorders.

Two paths give the number of items out of service per replication, part and day:

- :func:`outstanding_fixed`: demand does not depend on the state (the 'fleet' tempo basis,
  unlimited repair capacity). Every failure of the horizon is drawn at once from the
  non-homogeneous Poisson process (inverse of cumulative demand), routed, and given its
  return instant; counts follow from two histograms. No loop over days or events.
- :func:`tether._engine.mc_stepped.outstanding_stepped`: demand depends on availability
  ('available' basis) or a depot has a capacity limit. Steps day by day (by thinning).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import Plan
from tether._engine.groups import group_max, group_mul
from tether._engine.mc_clock import Clocks
from tether._engine.poisson import backorders_and_up

__all__ = [
    "availability_from_backorders",
    "burn_in_days",
    "burn_in_rows",
    "outstanding_fixed",
    "start_availability",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

Availability = Callable[[NDArray[np.int64]], F64]


def _route_of(plan: Plan, part: I64, w: F64) -> I64:
    """Route of each failure: 0 new buy, 1 domestic, 2 supplier repair, by their shares."""
    # thresholds that never pick a route with zero share, whatever the rounding
    first = np.where(plan.share[:, 0] > 0, plan.share[:, 0], -1.0)
    second = np.where(plan.share[:, 2] > 0, plan.share[:, 0] + plan.share[:, 1], np.inf)
    route: I64 = (w >= np.take(first, part)).astype(np.int64)
    route += w >= np.take(second, part)
    return route


def _pre_zero(
    plan: Plan, rows: I64, clocks: Clocks, lam_ss: F64, reps: int, rng: np.random.Generator
) -> tuple[I64, I64, I64]:
    """Items already out at day 0 (steady state): their replication, part and return instant.

    On route ``r`` the number still out is Poisson with mean ``lam_ss * share_r * tau_r``, and
    each needs a uniform share of ``tau_r`` more clock-days.
    """
    rep, p, route, need = _pipeline_draw(plan, rows, lam_ss, reps, rng)
    back = clocks.back_before_zero(rep, rows[p], route, need)
    return rep, p, back


def _pipeline_draw(
    plan: Plan, rows: I64, lam_ss: F64, reps: int, rng: np.random.Generator
) -> tuple[I64, I64, I64, F64]:
    """Poisson pipelines at rate ``lam_ss``: each item's replication, part, route and the
    clock-days it still needs."""
    mean = lam_ss[:, None] * plan.share[rows] * plan.route_time[rows]  # [P, 3]
    n = rng.poisson(np.broadcast_to(mean, (reps, *mean.shape)))
    rep, p, route = np.nonzero(n)
    counts = n[rep, p, route]
    rep, p, route = (np.repeat(a, counts) for a in (rep, p, route))
    tau = plan.route_time[rows[p], route]
    need = tau * (1.0 - rng.random(len(tau)))
    return rep, p, route, need


def _diverted(divert: B8, rep: I64, part: I64, route: I64, day: I64) -> I64:
    """Routes after diversion: supplier repair (2) becomes domestic (1) where marked."""
    rr = rep if divert.shape[0] > 1 else np.zeros_like(rep)
    hit = (route == 2) & divert[rr, part, day]
    out: I64 = np.where(hit, 1, route)
    return out


def burn_in_days(plan: Plan, rows: I64) -> int:
    """Days simulated before day 0 so that the stepped pipelines start from their own
    steady state: three of the longest mean turnaround (over routes, by share) of ``rows``,
    at least one day. An item on a longer route than that still carries the initial
    (analytic fixed-point) rate, but only in proportion to its route's share."""
    if not len(rows):
        return 1
    mean = (plan.share[rows] * plan.route_time[rows]).sum(axis=1)
    return max(1, int(np.ceil(BURN_IN_TURNAROUNDS * float(mean.max()))))


#: Mean turnarounds simulated before day 0 on the stepped path (see :func:`burn_in_days`).
BURN_IN_TURNAROUNDS = 3.0


def start_availability(plan: Plan) -> F64:
    """Availability ``[F]`` from which the stepped fleets on the 'available' basis start
    (1 for the others): the analytic engine's steady-state fixed point ``A = Phi(A)`` at
    day 0's tempo (as :func:`tether._engine.analytic.steady_state`, there by 60 bisection
    steps), solved per fleet by Newton's method on ``g(A) = A - Phi(A)`` (increasing, its
    slope at least 1: ``Phi`` falls as ``A`` rises), the slope from a second point in the
    same evaluation, kept inside the bracket ``[0, 1]`` narrowed at each step (bisection
    where a step would leave it), to ``|g| < 1e-13`` (so within 1e-13 of the root) or a
    bracket under 1e-12. The burn-in starts from it; only its pipelines' mean depends on
    it."""
    f, nf = plan.part_fleet, len(plan.fleets)
    on = plan.available_basis
    if not on.any():
        return np.ones(nf)
    pre = plan.row_from == 0 if len(plan.row_from) else np.ones(len(f), dtype=np.bool_)
    n = np.where(plan.units[f] > 0, plan.units[f], 1.0)
    base = np.where(pre, plan.units[f] * plan.quantity * plan.failure_rate * plan.hours[f, 0], 0.0)
    tbar = (plan.share * plan.route_time).sum(axis=1)

    def gap(a: F64) -> F64:  # a - Phi(a) for points a [F, 2], increasing in a
        m = base[:, None] * a[f] * tbar[:, None]
        _, up = backorders_and_up(m, plan.spares, n, plan.quantity)
        log_a = np.zeros(a.shape)
        with np.errstate(divide="ignore"):
            np.add.at(log_a, f, np.log(up))
        return a - np.exp(log_a)

    lo, hi = np.zeros(nf), np.ones(nf)  # g(0) = -Phi(0) <= 0 <= 1 - Phi(1) = g(1)
    x = np.ones(nf)
    step = 1e-7
    for _ in range(100):
        y = np.where(x >= 2 * step, x - step, x + step)
        g2 = gap(np.stack([x, y], axis=1))
        g = g2[:, 0]
        done = (np.abs(g) < 1e-13) | ~on
        hi = np.where(g > 0, x, hi)
        lo = np.where(g > 0, lo, x)
        if np.all(done | ((hi - lo) < 1e-12)):
            x = np.where(done, x, 0.5 * (lo + hi))
            break
        slope = (g - g2[:, 1]) / (x - y)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - g / np.where(slope > 0, slope, 1.0)
        inside = (newton > lo) & (newton < hi) & (slope > 0)
        x = np.where(done, x, np.where(inside, newton, 0.5 * (lo + hi)))
    out: F64 = np.where(on, x, 1.0)
    return out


def burn_in_rows(plan: Plan, rows: I64) -> I64:
    """Burn-in days of each of ``rows`` (``[P]``): :func:`burn_in_days` of its fleet's rows
    among ``rows``. Fleets are independent of one another on the stepped path (a row's
    demand depends only on its own fleet's availability, capacities are per row), so each
    fleet needs only its own burn-in; before it the fleet's pipelines stand still."""
    fleet = plan.part_fleet[rows]
    out = np.ones(len(rows), dtype=np.int64)
    for k in np.unique(fleet):
        mine = fleet == k
        out[mine] = burn_in_days(plan, rows[mine])
    return out


def _back_burn(clocks: Clocks, rep: I64, part: I64, route: I64, when: F64, burn: int) -> I64:
    """Index (instant + ``burn``) at which items are back, given the instant ``when``
    (relative to day 0) at which their route's clock, running without pause before day 0,
    would bring them back."""
    out = np.ceil(when).astype(np.int64) + burn
    later = when > 0
    if later.any():
        out[later] = burn + clocks.back_before_zero(
            rep[later], part[later], route[later], when[later]
        )
    return out


def outstanding_fixed(
    plan: Plan,
    rows: I64,
    lam: F64,
    lam_ss: F64,
    clocks: Clocks,
    reps: int,
    rng: np.random.Generator,
    divert: B8 | None = None,
) -> NDArray[np.int32]:
    """Items out ``[R, P, T]`` for part ``rows`` whose demand ``lam [P, T]`` is fixed.

    ``divert [R', P_all, T]`` (see :func:`tether._engine.mc_force.divert_mask`) sends
    supplier-repair failures to the domestic route on the days it marks."""
    if clocks.A.shape[1] == 1 and divert is None and np.all(lam[:, :-1] == lam[:, :1]):
        return _outstanding_shared(plan, rows, lam[:, 0], lam_ss, clocks, reps, rng)
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
    key = np.repeat(np.arange(reps * P), n.ravel())  # rep * P + p, one per failure
    rep, p = np.divmod(key, P)
    v = rng.random(len(p)) * np.take(total, p)
    if np.all(lam[:, :-1] == lam[:, :1]):  # constant tempo: invert in closed form
        u = v / np.take(lam[:, 0], p)
        day = np.minimum(u.astype(np.int64), H - 1)
        xi = u - day
    else:
        pos = np.searchsorted(flat, v + offset[p], side="right") - 1
        day = np.clip(pos - p * T, 0, H - 1)
        xi = (v - cum[p, day]) / lam[p, day]
    part = np.take(rows, p)
    route = _route_of(plan, part, rng.random(len(p)))
    if divert is not None:
        route = _diverted(divert, rep, part, route, day)
    tau = np.take(plan.route_time.ravel(), part * 3 + route)
    back = clocks.back(rep, part, route, day, xi, tau)

    pre = _pre_zero(plan, rows, clocks, lam_ss, reps, rng)
    return _count_out(key, day, back, pre, reps, P, T)


def _count_out(
    key: I64,
    day: I64,
    back: I64,
    pre: tuple[I64, I64, I64],
    reps: int,
    P: int,
    T: int,
) -> NDArray[np.int32]:
    """Items out ``[R, P, T]`` from failures (``key = rep * P + part``, failure day, return
    instant) and the items already out at day 0 (replication, part, return instant).

    One signed histogram (+1 when an item goes out, -1 when it is back; weighted
    ``bincount`` is several times faster than two plain ones), then a running sum. Items
    out before day 0 all go out at instant 0, so they are added per (replication, part).
    """
    slots = T + 1
    r0, p0, back0 = pre
    base = key * slots
    index = np.concatenate([base + day + 1, base + back, (r0 * P + p0) * slots + back0])
    sign = np.full(len(index), -1.0)
    sign[: len(base)] = 1.0
    delta = np.bincount(index, weights=sign, minlength=reps * P * slots).astype(np.int32)
    delta = delta.reshape(reps, P, slots)
    at_zero = np.bincount(r0 * P + p0, minlength=reps * P).reshape(reps, P)
    delta[:, :, 0] += at_zero.astype(np.int32)
    out = np.cumsum(delta, axis=2, dtype=np.int32)
    return out[:, :, :T]


def _outstanding_shared(
    plan: Plan,
    rows: I64,
    rate: F64,
    lam_ss: F64,
    clocks: Clocks,
    reps: int,
    rng: np.random.Generator,
) -> NDArray[np.int32]:
    """:func:`outstanding_fixed` for constant demand and clocks shared by all replications.

    The Poisson process is split by route up front (independent Poisson processes), and
    return instants come from per (part, route, day) tables: a handful of array
    operations per failure.
    """
    H = plan.horizon
    T = H + 1
    P = len(rows)
    share = plan.share[rows].ravel()  # [P * 3]: part-major, route-minor
    live = np.flatnonzero(share > 0)
    pr_rows = (np.repeat(rows, 3) * 3 + np.tile(np.arange(3), P))[live]
    tau = plan.route_time.ravel()[pr_rows]
    early, late, threshold = clocks.return_tables(pr_rows, tau)
    part_of = live // 3  # local part index of each live route-row
    horizon_mean = (np.repeat(rate, 3) * share)[live] * H
    L = len(live)

    n = rng.poisson(np.broadcast_to(horizon_mean, (reps, L)))
    key = np.repeat(np.arange(reps * L), n.ravel())  # rep * L + live route-row
    rep, i = np.divmod(key, L)
    u = rng.random(len(i)) * H  # constant rate: failure times are uniform on [0, H)
    day = np.minimum(u.astype(np.int64), H - 1)
    xi = u - day
    at = i * T + day
    back = np.where(
        xi > np.take(threshold, i), np.take(late.ravel(), at), np.take(early.ravel(), at)
    )
    pre = _pre_zero(plan, rows, clocks, lam_ss, reps, rng)
    return _count_out(rep * P + np.take(part_of, i), day, back, pre, reps, P, T)


def availability_from_backorders(
    backorders: NDArray[np.int32] | NDArray[np.int64],
    fleet_of: I64,
    units: F64,
    quantity: F64,
    n_fleets: int,
    cannibalise: bool,
) -> F64:
    """Fleet availability ``[R, F, ...]`` from backorders ``[R, P, ...]`` per part row.

    ``units`` is ``[F]``, or ``[F, ...]`` (units by day, matching the trailing axes of
    ``backorders``); a fleet with no units has availability 1.

    With cannibalisation, holes are consolidated onto as few units as possible:
    ``N - max_i ceil(B_i / Z_i)`` units are up. Without, holes sit on units at random: a unit
    is up with probability ``C(NZ - Z, B) / C(NZ, B)`` per part, independently across parts
    (the exact counterpart of Sherbrooke's ``(1 - EBO / NZ)^Z``).
    """
    shape = (backorders.shape[0], n_fleets, *backorders.shape[2:])
    extra = (None,) * (backorders.ndim - 2)
    units = np.asarray(units, dtype=np.float64)

    def along(a: NDArray[Any]) -> NDArray[Any]:
        if a.ndim > 1:
            return a[None]
        return a[(None, slice(None), *extra)]

    z = quantity.astype(np.int64)
    none = along(units) <= 0
    if cannibalise:
        # max_i ceil(B_i / Z_i): the max of B within each (fleet, Z) group first, in
        # integers, then one ceiling division per group and a max per fleet
        down = np.zeros(shape)
        for zz in np.unique(z):
            members = np.flatnonzero(z == zz)
            part = backorders if len(members) == len(z) else backorders[:, members]
            worst = np.zeros(shape, dtype=backorders.dtype)
            group_max(worst, fleet_of[members], part)
            np.maximum(down, -(-worst // zz), out=down)
        up = np.maximum(along(units) - down, 0.0)
        if none.any():
            return np.asarray(
                np.where(none, 1.0, up / np.where(none, 1.0, along(units))), dtype=np.float64
            )
        return np.asarray(up / along(units), dtype=np.float64)
    # P(a unit's Z positions are all filled) = prod_{j<Z} (NZ - B - j) / (NZ - j),
    # computed per group of parts with the same Z (one pass for Z = 1)
    total = np.ones(shape)
    for zz in np.unique(z):
        members = np.flatnonzero(z == zz)
        b = backorders if len(members) == len(z) else backorders[:, members]
        nz = along(units[fleet_of[members]] * float(zz))
        empty = nz <= 0
        if empty.any():
            nz = np.where(empty, float(zz), nz)
        free = nz - b
        h = np.maximum(free, 0.0)
        h /= nz
        for j in range(1, int(zz)):
            h *= np.maximum(free - j, 0.0) / (nz - j)
        if empty.any():
            h = np.where(empty, 1.0, h)
        group_mul(total, fleet_of[members], h)
    return total
