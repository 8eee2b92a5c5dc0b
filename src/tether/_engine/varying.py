"""The analytic engine's parts under a force that changes over time (pure numpy).

Used when a plan has part groups with row windows, stock or unit steps, divert, or a
depot of finite capacity; a plan with none of them takes the engine's constant path.

- Demand of row ``p`` on day ``t``: ``N_f(t) * a_f(t) * Z * rate * hours_f(t)`` while
  ``row_from <= t < row_until`` (0 otherwise), ``N_f(t)`` the fleet's units that day,
  ``a_f(t)`` its operating share (1, or its availability on the 'available' basis).
  Before day 0, rows with ``row_from == 0`` are in steady state with ``units[f]``.
- Routes: each route ``r`` gets ``share_r`` of the demand; with ``divert``, on the days the
  supplier_repair route's supplier withholds ``repair`` its share goes to the domestic
  route. A route is a time-dependent Poisson pipeline (:mod:`tether._engine.pipeline`) or,
  with a finite capacity, a fluid backlog (:mod:`tether._engine.backlog`).
- A group's items out are the sum of its rows' (Poisson, summed means); backorders and
  the share of units up use the group's stock on the day (spares plus stock steps) and
  ``N_f(t) Z`` positions; a group with a backlog takes direct sums over its count's
  distribution (Poisson plus the backlogs). A fleet with no units has availability 1
  (and capability 0).
- Fleets on the 'available' basis: demand on day ``t`` uses the units up on day ``t``.
  A fleet whose groups are each one row with no divert and no capacity limit (row
  windows, stock and unit steps allowed) carries each row's count as a distribution
  (:mod:`tether._engine.feedback`, the units, stock and demand given per day). Other
  fleets feed the expected availability back (mean field): the whole trajectory is found
  by repeating the computation from the previous trajectory (exact on days before the
  ``k``-th pass) until it changes by less than :data:`TOL`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from tether._engine.arrays import KIND_INDEX, Plan
from tether._engine.backlog import Backlog, BacklogSteps, backlog_route, direct_outputs
from tether._engine.feedback import Force, parts_available, route_groups
from tether._engine.groups import group_add
from tether._engine.pipeline import Clock, ReturnIndex, return_index, returned
from tether._engine.poisson import availability_log, backorders_and_up

__all__ = ["constant_force", "parts_varying", "plain_rows", "units_by_day"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

#: The 'available'-basis groups of the mean field by a sweep over windows of days
#: (:func:`_sweep_basis`); ``False``: by passes over the whole trajectory.
SWEEP = True

#: Largest change between passes at which an 'available'-basis trajectory has converged.
TOL = 1e-13

#: Days of the first window of an 'available'-basis sweep, and most days of any (a
#: window holds a backlog per day and capacity-limited route: at most MAX_SUPPORT values).
SWEEP_START, SWEEP_MAX = 16, 512

#: Largest relative change of a day's operating share at which a sweep commits it (its
#: error grows by the feedback over the days after it: :data:`TOL` would be too loose).
SWEEP_TOL = 1e-15

#: Cells (rows x days) per chunk of groups.
CHUNK_CELLS = 1_000_000

DOMESTIC, SUPPLIER = 1, 2

Evaluate = Callable[[I64, F64], tuple[F64, F64]]


def constant_force(plan: Plan) -> bool:
    """Whether the plan's force never changes and no depot has a capacity limit."""
    T = plan.horizon + 1
    P = len(plan.part_labels)
    return bool(
        (len(plan.part_group) == 0 or np.array_equal(plan.part_group, np.arange(P)))
        and not (plan.row_from > 0).any()
        and not (plan.row_until < T).any()
        and not plan.divert.any()
        and not ((plan.st_day < T) & (plan.st_add != 0)).any()
        and not ((plan.un_day < T) & (plan.un_add != 0)).any()
        and np.isinf(plan.route_capacity).all()
    )


def units_by_day(plan: Plan) -> F64:
    """Units of each fleet on each day ``N [F, T]``."""
    T = plan.horizon + 1
    n = np.repeat(plan.units[:, None].astype(np.float64), T, axis=1)
    for f, d, a in zip(plan.un_fleet, plan.un_day, plan.un_add, strict=True):
        if d < T:
            n[f, max(int(d), 0) :] += a
    return n


def _groups(plan: Plan) -> tuple[I64, I64]:
    """Group index ``0..G-1`` of each row, and a representative row of each group."""
    P = len(plan.part_labels)
    pg = plan.part_group if len(plan.part_group) else np.arange(P)
    _, first, inv = np.unique(pg, return_index=True, return_inverse=True)
    return inv.astype(np.int64), first.astype(np.int64)


def _stock(plan: Plan, group_of: I64, rep: I64) -> F64:
    """Stock of each group on each day ``[G, T]``."""
    T = plan.horizon + 1
    s = np.repeat(plan.spares[rep][:, None].astype(np.float64), T, axis=1)
    for r, d, a in zip(plan.st_row, plan.st_day, plan.st_add, strict=True):
        if d < T:
            s[group_of[r], max(int(d), 0) :] += a
    return s


def _window(plan: Plan, rows: I64) -> B8:
    t = np.arange(plan.horizon + 1)
    if not len(plan.row_from):
        return np.ones((len(rows), len(t)), dtype=np.bool_)
    w: B8 = (t[None, :] >= plan.row_from[rows, None]) & (t[None, :] < plan.row_until[rows, None])
    return w


def _route_demand(
    plan: Plan, cut: B8, rows: I64, lam: F64, lss: F64
) -> tuple[list[F64], list[F64], B8]:
    """Per route ``r``: demand ``[n, T]`` and pre-day-0 rate ``[n]``; and which
    (row, route) pairs carry any."""
    R = plan.share.shape[1]
    share = plan.share[rows]
    lam_r = [share[:, r, None] * lam for r in range(R)]
    lss_r = [share[:, r] * lss for r in range(R)]
    used = share > 0
    div = plan.divert[rows] if len(plan.divert) else np.zeros(len(rows), dtype=np.bool_)
    sup = plan.route_supplier[rows, SUPPLIER]
    div &= sup >= 0
    if div.any():
        i = np.flatnonzero(div)
        withheld = cut[sup[i], KIND_INDEX["repair"]]  # [n', T]
        moved = lam_r[SUPPLIER][i] * withheld
        lam_r[SUPPLIER][i] -= moved
        lam_r[DOMESTIC][i] += moved
        used[i, DOMESTIC] |= withheld.any(axis=1) & (plan.route_time[rows[i], DOMESTIC] > 0)
    return lam_r, lss_r, used


def _row_pipelines(
    plan: Plan, cut: B8, clocks: list[Clock], cid: I64, rows: I64, lam: F64, lss: F64
) -> tuple[F64, list[tuple[int, Backlog]]]:
    """Poisson mean ``[n, T]`` of each row's items out, and the backlogs of its
    capacity-limited routes (local row index, backlog per day)."""
    lam_r, lss_r, used = _route_demand(plan, cut, rows, lam, lss)
    m = np.zeros_like(lam)
    backlogs: list[tuple[int, Backlog]] = []
    cap = plan.route_capacity[rows]
    for r in range(plan.share.shape[1]):
        for c in np.unique(cid[rows[used[:, r]], r]):
            on = used[:, r] & (cid[rows, r] == c)
            tau = plan.route_time[rows, r]
            free = np.flatnonzero(on & np.isinf(cap[:, r]))
            if len(free):
                lr = lam_r[r][free]
                cum = np.zeros_like(lr)
                np.cumsum(lr[:, :-1], axis=1, out=cum[:, 1:])
                ri = return_index(clocks[c], tau[free])
                m[free] += cum - returned(cum, lr, lss_r[r][free], ri)
            for i in np.flatnonzero(on & np.isfinite(cap[:, r])):
                mean, q = backlog_route(
                    clocks[c], float(tau[i]), float(cap[i, r]), lam_r[r][i], float(lss_r[r][i])
                )
                m[i] += mean
                if q is not None:
                    backlogs.append((int(i), q))
    return m, backlogs


def _group_sum(group_of: I64, n_groups: int, m: F64) -> F64:
    if n_groups == len(group_of) and np.array_equal(group_of, np.arange(n_groups)):
        return m
    agg = sparse.csr_matrix(
        (np.ones(len(group_of)), (group_of, np.arange(len(group_of)))),
        shape=(n_groups, len(group_of)),
    )
    out: F64 = np.asarray(agg @ m)
    return out


def _segments(plan: Plan) -> I64:
    """Days on which a stock or unit step can change a group's position: segment starts."""
    T = plan.horizon + 1
    days = np.r_[0, plan.st_day, plan.un_day, T].astype(np.int64)
    out: I64 = np.unique(np.clip(days, 0, T))
    return out


def _group_outputs(
    m_g: F64, stock: F64, units: F64, fleet_of: I64, z: F64, bounds: I64, lo: int = 0
) -> tuple[F64, F64]:
    """Backorders and log share up ``[G, D]`` from group pipelines ``m_g`` on the days
    ``lo .. lo + D - 1``."""
    back = np.zeros_like(m_g)
    log_up = np.zeros_like(m_g)
    hi = lo + m_g.shape[1]
    for a, b in itertools.pairwise(bounds):
        a, b = max(int(a), lo), min(int(b), hi)
        if a >= b:
            continue
        s = stock[:, a].astype(np.int64)
        n = units[fleet_of, a]
        none = n <= 0
        bo, up = backorders_and_up(m_g[:, a - lo : b - lo], s, np.where(none, 1.0, n), z)
        up[none] = 1.0
        back[:, a - lo : b - lo] = bo
        log_up[:, a - lo : b - lo] = availability_log(up)
    return back, log_up


def plain_rows(plan: Plan) -> B8:
    """Rows the constant path can take: a group of one row used on every day, no divert,
    no capacity limit, no stock step to it and no unit step to its fleet; on the
    'available' basis, only if every row of the fleet is plain."""
    T = plan.horizon + 1
    P = len(plan.part_labels)
    group_of, _ = _groups(plan)
    ok: B8 = np.bincount(group_of, minlength=len(group_of))[group_of] == 1
    if len(plan.row_from):
        ok &= (plan.row_from <= 0) & (plan.row_until >= T)
    if len(plan.divert):
        ok &= ~plan.divert
    ok &= np.isinf(plan.route_capacity).all(axis=1)
    steps = (plan.st_day < T) & (plan.st_add != 0)
    stepped_groups = np.zeros(P, dtype=np.bool_)
    stepped_groups[group_of[plan.st_row[steps]]] = True
    ok &= ~stepped_groups[group_of]
    moved = np.zeros(len(plan.fleets), dtype=np.bool_)
    moved[plan.un_fleet[(plan.un_day < T) & (plan.un_add != 0)]] = True
    ok &= ~moved[plan.part_fleet]
    basis = plan.available_basis[plan.part_fleet]
    mixed = np.zeros(len(plan.fleets), dtype=np.bool_)
    mixed[plan.part_fleet[~ok & basis]] = True
    ok &= ~mixed[plan.part_fleet]
    return ok


def parts_varying(
    plan: Plan, cut: B8, clocks: list[Clock], cid: I64, a_ss: F64, only: B8 | None = None
) -> tuple[F64, F64]:
    """Availability and backorders ``[F, T]`` under one cut mask ``cut [S, K, T]``; with
    ``only [P]``, of the groups of those rows alone (as log availability terms and
    backorders, to be added to the others')."""
    nf, T = len(plan.fleets), plan.horizon + 1
    group_of, rep = _groups(plan)
    G = len(rep)
    fleet_g = plan.part_fleet[rep]
    units = units_by_day(plan)
    stock = _stock(plan, group_of, rep)
    bounds = _segments(plan)
    zr = plan.quantity * plan.failure_rate
    f = plan.part_fleet
    pre = (plan.row_from == 0) if len(plan.row_from) else np.ones(len(f), dtype=np.bool_)
    lss_base = np.where(pre, plan.units[f] * zr * plan.hours[f, 0], 0.0)
    basis_g = plan.available_basis[fleet_g]

    def evaluate(gs: I64, op: F64) -> tuple[F64, F64]:
        """Backorders and log share up ``[len(gs), T]`` of groups ``gs`` given the
        operating share ``op [F, T]``."""
        inside = np.zeros(G, dtype=np.bool_)
        inside[gs] = True
        rows = np.flatnonzero(inside[group_of])
        fr = f[rows]
        lam = (units[fr] * op[fr] * zr[rows, None] * plan.hours[fr]) * _window(plan, rows)
        lss = lss_base[rows] * a_ss[fr]
        m, backlogs = _row_pipelines(plan, cut, clocks, cid, rows, lam, lss)
        local = np.searchsorted(gs, group_of[rows])
        m_g = _group_sum(local, len(gs), m)
        z = plan.quantity[rep[gs]]
        bo, log_up = _group_outputs(m_g, stock[gs], units, fleet_g[gs], z, bounds)
        held: dict[int, list[Backlog]] = {}
        for i, q in backlogs:
            held.setdefault(int(local[i]), []).append(q)
        for g, qs in held.items():
            n = units[fleet_g[gs[g]]]
            bo[g], up = direct_outputs(m_g[g], qs, stock[gs[g]], n, int(z[g]))
            log_up[g] = availability_log(up)
        return bo, log_up

    log_a, bo = np.zeros((1, nf, T)), np.zeros((1, nf, T))
    chosen = np.ones(G, dtype=np.bool_)
    if only is not None:
        chosen[:] = False
        chosen[group_of[only]] = True
    fixed = np.flatnonzero(~basis_g & chosen)
    rows_per = np.bincount(group_of, minlength=G)
    ones = np.ones((nf, T))
    for chunk in _chunks(fixed, rows_per, T):
        b, lu = evaluate(chunk, ones)
        group_add(bo, fleet_g[chunk], b[None])
        group_add(log_a, fleet_g[chunk], lu[None])
    stepped = np.flatnonzero(basis_g & chosen)
    carried = _carried_fleets(plan, stepped, group_of, fleet_g, rows_per)
    if carried.any():
        rows = rep[stepped[carried]]
        groups = route_groups(plan, clocks, cid, rows)
        force = Force(
            units[f[rows]],
            stock[stepped[carried]],
            (units[f[rows]] * zr[rows, None] * plan.hours[f[rows]]) * _window(plan, rows),
            lss_base[rows],
        )
        log_c, bo_c, _ = parts_available(plan, rows, groups, log_a[0], force)
        log_a[0] += log_c
        bo[0] += bo_c
    stepped = stepped[~carried]
    if len(stepped):
        if SWEEP:
            ctx = (units, stock, bounds, rep, lss_base, a_ss)
            sweep = _Sweep(plan, cut, clocks, cid, stepped, group_of, ctx)
            log_s, bo_s = _sweep_basis(sweep, fleet_g[stepped], log_a[0], a_ss, nf, T)
        else:
            log_s, bo_s = _available_basis(evaluate, stepped, fleet_g, log_a[0], a_ss, nf, T)
        log_a[0] += log_s
        bo[0] += bo_s
    if only is not None:
        return log_a[0], bo[0]
    return np.exp(log_a[0]), bo[0]


def _carried_fleets(plan: Plan, groups: I64, group_of: I64, fleet_g: I64, rows_per: I64) -> B8:
    """Which of the 'available'-basis ``groups`` are carried as distributions
    (:mod:`tether._engine.feedback`): those of fleets whose every such group is one row
    with no divert and no capacity limit. The others keep the mean-field passes."""
    if not len(groups):
        return np.zeros(0, dtype=np.bool_)
    P = len(plan.part_labels)
    div = plan.divert if len(plan.divert) else np.zeros(P, dtype=np.bool_)
    row_ok = ~div & np.isinf(plan.route_capacity).all(axis=1)
    group_ok = np.ones(len(rows_per), dtype=np.bool_)
    np.logical_and.at(group_ok, group_of, row_ok)
    group_ok &= rows_per == 1
    fleet_ok = np.ones(len(plan.fleets), dtype=np.bool_)
    np.logical_and.at(fleet_ok, fleet_g[groups], group_ok[groups])
    out: B8 = fleet_ok[fleet_g[groups]]
    return out


def _available_basis(
    evaluate: Evaluate, groups: I64, fleet_g: I64, log_fixed: F64, a_ss: F64, nf: int, T: int
) -> tuple[F64, F64]:
    """Log share up and backorders ``[F, T]`` of the 'available'-basis groups, by passes
    over the whole trajectory until it no longer changes."""
    op = np.repeat(a_ss[:, None], T, axis=1)
    prev = np.full((nf, T), np.inf)
    log_s, bo_s = np.zeros((nf, T)), np.zeros((nf, T))
    for _ in range(T + 1):
        b, lu = evaluate(groups, op)
        log_s, bo_s = np.zeros((1, nf, T)), np.zeros((1, nf, T))
        group_add(bo_s, fleet_g[groups], b[None])
        group_add(log_s, fleet_g[groups], lu[None])
        a = np.exp(log_s[0] + log_fixed)
        done = bool(np.abs(a - prev).max() <= TOL)
        prev = a
        op = np.where(np.isin(np.arange(nf), fleet_g[groups])[:, None], a, 1.0)
        if done:
            break
    return log_s[0], bo_s[0]


class _Sweep:
    """The 'available'-basis groups ``gs`` a window of days at a time (what ``evaluate``
    gives for all days at once): the outputs on day ``t`` depend on the operating share
    of days before ``t`` only, so the days before the window are committed and only the
    window is computed again, from the state they leave (the rows' cumulative demand and
    the backlogs, :class:`~tether._engine.backlog.BacklogSteps`)."""

    def __init__(
        self,
        plan: Plan,
        cut: B8,
        clocks: list[Clock],
        cid: I64,
        gs: I64,
        group_of: I64,
        ctx: tuple[F64, F64, I64, I64, F64, F64],
    ) -> None:
        units, stock, bounds, rep, lss_base, a_ss = ctx
        T = plan.horizon + 1
        inside = np.zeros(len(rep), dtype=np.bool_)
        inside[gs] = True
        rows = np.flatnonzero(inside[group_of])
        fr = plan.part_fleet[rows]
        self.plan, self.cut, self.rows, self.fr = plan, cut, rows, fr
        self.zr = plan.quantity[rows] * plan.failure_rate[rows]
        self.win = _window(plan, rows)
        self.lss = lss_base[rows] * a_ss[fr]
        self.units, self.bounds = units, bounds
        self.local = np.searchsorted(gs, group_of[rows])
        self.G = len(gs)
        self.z = plan.quantity[rep[gs]]
        self.stock = stock[gs]
        self.fleet = plan.part_fleet[rep[gs]]
        _, lss_r, used = _route_demand(plan, cut, rows, np.ones((len(rows), T)), self.lss)
        cap = plan.route_capacity[rows]
        tau = plan.route_time[rows]
        # per free pipeline: (route, rows, steady rate, return index, cum, demand)
        self.free: list[tuple[int, I64, F64, ReturnIndex, F64, F64]] = []
        self.queues: list[tuple[int, int, BacklogSteps]] = []  # (route, row, backlog)
        for r in range(plan.share.shape[1]):
            for c in np.unique(cid[rows[used[:, r]], r]):
                on = used[:, r] & (cid[rows, r] == c)
                free = np.flatnonzero(on & np.isinf(cap[:, r]))
                if len(free):
                    ri = return_index(clocks[c], tau[free, r])
                    z = np.zeros((len(free), T))
                    self.free.append((r, free, lss_r[r][free], ri, z, z.copy()))
                for i in np.flatnonzero(on & np.isfinite(cap[:, r])):
                    q = BacklogSteps(clocks[c], float(tau[i, r]), float(cap[i, r]), lss_r[r][i])
                    self.queues.append((r, int(i), q))

    def _demand(self, op: F64, lo: int, hi: int) -> list[F64]:
        """Each route's demand ``[n, hi - lo]`` of the rows on days ``lo .. hi - 1``."""
        plan, fr = self.plan, self.fr
        lam = (
            self.units[fr, lo:hi]
            * op[fr, lo:hi]
            * self.zr[:, None]
            * plan.hours[fr, lo:hi]
            * self.win[:, lo:hi]
        )
        lam_r, _, _ = _route_demand(plan, self.cut[:, :, lo:hi], self.rows, lam, self.lss)
        return lam_r

    def _cum(self, lam_r: list[F64], lo: int, hi: int) -> None:
        """The free pipelines' demand on days ``lo .. hi - 1`` and the cumulative
        demand before instants ``lo + 1 .. hi``."""
        for r, free, _, _, cum, lr in self.free:
            lr[:, lo:hi] = lam_r[r][free]
            end = min(hi, cum.shape[1] - 1)
            # from cum[lo] on, adding day by day as one cumsum over all days would
            seg = np.empty((len(cum), end + 1 - lo))
            seg[:, 0], seg[:, 1:] = cum[:, lo], lr[:, lo:end]
            np.cumsum(seg, axis=1, out=cum[:, lo : end + 1])

    def window(self, op: F64, lo: int, hi: int) -> tuple[F64, F64, int]:
        """Backorders and log share up ``[G, h - lo]`` on days ``lo .. h - 1`` given the
        operating share ``op [F, T]`` of days ``lo .. hi - 2`` (``h < hi`` where a
        backlog overflows)."""
        lam_r = self._demand(op, lo, hi - 1)
        m = np.zeros((len(self.rows), hi - lo))
        h = hi
        got: list[tuple[int, list[F64]]] = []
        for r, i, q in self.queues:
            mean, dists, end = q.window(lam_r[r][i], lo, hi)
            h = min(h, end)
            m[i, : end - lo] += mean
            if dists is not None:
                got.append((i, dists))
        self._cum(lam_r, lo, hi - 1)
        for _, free, lss, ri, cum, lr in self.free:
            part = ReturnIndex(ri.idx[:, lo:hi], ri.frac[:, lo:hi], ri.before[:, lo:hi])
            m[free] += cum[:, lo:hi] - returned(cum, lr, lss, part)
        m_g = _group_sum(self.local, self.G, m[:, : h - lo])
        held: dict[int, list[Backlog]] = {}
        for i, dists in got:
            held.setdefault(int(self.local[i]), []).append(dists[: h - lo])
        bo, log_up = np.zeros_like(m_g), np.zeros_like(m_g)
        free = np.ones(self.G, dtype=np.bool_)
        free[list(held)] = False
        rest = np.flatnonzero(free)
        if len(rest):  # the groups with backlogs take direct sums below
            bo[rest], log_up[rest] = _group_outputs(
                m_g[rest],
                self.stock[rest],
                self.units,
                self.fleet[rest],
                self.z[rest],
                self.bounds,
                lo,
            )
        for g, qs in held.items():
            n = self.units[self.fleet[g], lo:h]
            bo[g], up = direct_outputs(m_g[g], qs, self.stock[g, lo:h], n, int(self.z[g]))
            log_up[g] = availability_log(up)
        return bo, log_up, h

    def commit(self, op: F64, lo: int, new: int) -> bool:
        """Take the operating share of days ``lo .. new - 1`` as final; ``False`` (and
        every backlog back to day 0) where a backlog overflows: it is switched to its
        fluid mean."""
        lam_r = self._demand(op, lo, new)
        self._cum(lam_r, lo, new)
        if all([q.commit(lam_r[r][i], new) for r, i, q in self.queues]):
            return True
        for _, _, q in self.queues:
            q.reset()
        return False


def _sweep_basis(
    sweep: _Sweep, fleet_g: I64, log_fixed: F64, a_ss: F64, nf: int, T: int
) -> tuple[F64, F64]:
    """Log share up and backorders ``[F, T]`` of the sweep's groups, window by window.
    A day's outputs depend on the operating shares of the days before it only: the
    first day of a window is exact, and so is each next day while the shares of the
    days before it (from the last pass) changed by at most :data:`SWEEP_TOL`. Those
    days are committed, with the state their final shares leave, and the next window
    starts after them. Windows grow while they are committed whole and shrink when
    little of them is (one day per window where each day's share moves the next)."""
    mine = np.zeros(nf, dtype=np.bool_)
    mine[fleet_g] = True
    alone = len(np.unique(fleet_g)) == len(fleet_g)
    op = np.repeat(a_ss[:, None], T, axis=1)
    log_s, bo_s = np.zeros((nf, T)), np.zeros((nf, T))
    lo, seen, size = 0, 0, SWEEP_START
    while lo < T:
        hi = min(T, lo + size)
        if hi > seen and seen > 0:  # days not yet seen: the last day's share
            op[mine, seen:hi] = op[mine, seen - 1, None]
        seen = max(seen, hi)
        b, lu, h = sweep.window(op, lo, hi)
        ls_w, bo_w = np.zeros((1, nf, h - lo)), np.zeros((1, nf, h - lo))
        if alone:  # one group per fleet: no sums
            bo_w[0, fleet_g], ls_w[0, fleet_g] = b, lu
        else:
            group_add(bo_w, fleet_g, b[None])
            group_add(ls_w, fleet_g, lu[None])
        a = np.exp(ls_w[0] + log_fixed[:, lo:h])
        moved = (np.abs(a - op[:, lo:h]) > SWEEP_TOL * a)[mine].any(axis=0)
        new = lo + (int(moved.argmax()) + 1 if moved.any() else h - lo)
        op[mine, lo:h] = a[mine]
        log_s[:, lo:new], bo_s[:, lo:new] = ls_w[0][:, : new - lo], bo_w[0][:, : new - lo]
        if not sweep.commit(op, lo, new):
            lo, seen, size = 0, 0, SWEEP_START
            continue
        if new == hi:
            size = min(2 * size, SWEEP_MAX)
        elif 4 * (new - lo) <= size:
            size = max(1, size // 2)
        lo = new
    return log_s, bo_s


def _chunks(groups: I64, rows_per: I64, T: int) -> list[I64]:
    """Groups in chunks of at most about :data:`CHUNK_CELLS` row-days."""
    out: list[I64] = []
    step = max(1, CHUNK_CELLS // T)
    lo, size = 0, 0
    for i, g in enumerate(groups):
        size += int(rows_per[g])
        if size >= step:
            out.append(groups[lo : i + 1])
            lo, size = i + 1, 0
    if lo < len(groups):
        out.append(groups[lo:])
    return out
