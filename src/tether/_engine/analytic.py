"""The analytic engine: exact expectations from a :class:`~tether._plan.Plan`.

Pure functions over numpy arrays. For each batch member: part pipelines (time-dependent
Poisson with paused supplier clocks), expected backorders, fleet availability
(Sherbrooke, no cannibalisation), software, munitions and service factors, capability.
Fleets whose tempo counts only available units are stepped day by day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tether._engine.arrays import KIND_INDEX, Plan, route_clock_masks
from tether._engine.factors import munitions_factor, service_factor, software_factor
from tether._engine.feedback import Moments, parts_available, parts_available_moments, route_groups
from tether._engine.groups import group_add, group_mul
from tether._engine.lengths import Cases, cases
from tether._engine.munitions_path import BINS, LAG, available_factors, moments_fleets
from tether._engine.pipeline import Clock, ReturnIndex, clock, returned
from tether._engine.poisson import availability_log, backorders_and_up
from tether._engine.reuse import Steady, flat_fleet_sums, steady_sums
from tether._engine.varying import constant_force, parts_varying, plain_rows, units_by_day

__all__ = ["EngineOutput", "part_pipelines", "run_analytic", "steady_state"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

#: Cells (parts x days) processed at once; bounds memory to a few tens of MB.
CHUNK_CELLS = 262_144

#: Fleet-days (times 8 values) of the factors' block of cases (see ``flush``).
FLUSH_CELLS = 2_000_000

Progress = Callable[[int, int], None]

#: Values shared by the batch members of one run (see :func:`_parts_fixed`).
Memo = dict[str, Steady]

#: Evaluate each row's steady state once and only the days that differ from it (exact;
#: ``False`` evaluates every cell, the straightforward path the tests compare with).
REUSE = True

#: Over the lengths of one cutoff, software and services from the longest and the
#: shortest case (:func:`_length_factors`; ``False``: computed case by case).
LENGTH_FACTORS = True


@dataclass(frozen=True, eq=False)
class EngineOutput:
    """Fleet-level arrays, each ``[B, F, T]``."""

    availability: F64
    backorders: F64
    software: F64
    munitions: F64
    services: F64
    capability: F64
    munitions_stock: F64  # [B, M, T]


def _per_part_rate(plan: Plan) -> F64:
    """Failures per day per unit-hour basis: ``Z * rate`` for each part row."""
    return plan.quantity * plan.failure_rate


def _mean_turnaround(plan: Plan) -> F64:
    total: F64 = (plan.share * plan.route_time).sum(axis=1)
    return total


def steady_state(plan: Plan) -> tuple[F64, F64]:
    """Steady-state pipeline means ``[P]`` and fleet availability ``[F]`` at day-0 tempo.

    For fleets on the 'available' basis the demand depends on availability; the fixed
    point ``A = Phi(A)`` is found by bisection (``Phi`` is decreasing in ``A``).
    """
    zr = _per_part_rate(plan)
    tbar = _mean_turnaround(plan)
    f = plan.part_fleet
    nf = len(plan.fleets)

    pre = plan.row_from == 0 if len(plan.row_from) else np.ones(len(f), dtype=np.bool_)
    n = np.where(plan.units[f] > 0, plan.units[f], 1.0)

    def avail(a_fleet: F64) -> tuple[F64, F64]:
        lam = np.where(pre, plan.units[f] * a_fleet[f] * zr * plan.hours[f, 0], 0.0)
        m = lam * tbar
        _, up = backorders_and_up(m[:, None], plan.spares, n, plan.quantity)
        terms = availability_log(up)[:, 0]
        log_a = np.zeros(nf)
        np.add.at(log_a, f, terms)
        return m, np.exp(log_a)

    m, a = avail(np.ones(nf))
    if plan.available_basis.any():
        lo, hi = np.zeros(nf), np.ones(nf)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            _, phi = avail(mid)
            high = mid > phi
            hi = np.where(high, mid, hi)
            lo = np.where(high, lo, mid)
        a_fix = np.where(plan.available_basis, 0.5 * (lo + hi), 1.0)
        m, a = avail(a_fix)
    return m, a


def _clocks(plan: Plan, cut: B8) -> tuple[list[Clock], I64]:
    """Distinct pipeline clocks under the cut mask ``cut [S, K, T]`` and the clock id of
    each (part, route)."""
    actives, cid = route_clock_masks(plan, cut[None])
    return [clock(a[0]) for a in actives], cid


def _pipeline(
    plan: Plan, rows: I64, groups: list[tuple[int, I64, ReturnIndex]], cum: F64, lam: F64, lss: F64
) -> F64:
    m = np.zeros_like(cum)
    for r, pos, ri in groups:
        back = returned(cum[pos], lam[pos], lss[pos], ri)
        m[pos] += plan.share[rows[pos], r][:, None] * (cum[pos] - back)
    return m


def part_pipelines(plan: Plan, b: int) -> F64:
    """Mean pipeline ``m[P, T]`` of every part row in batch member ``b`` (fleet basis only;
    on the 'available' basis, the steady-state availability fixes demand)."""
    rows = np.arange(len(plan.part_labels))
    a_ss = _operating_share(plan)
    lam, lss = _demand(plan, rows, a_ss)
    cum = _cumulative(lam)
    clocks, cid = _clocks(plan, plan.cut[b])
    return _pipeline(plan, rows, route_groups(plan, clocks, cid, rows), cum, lam, lss)


def _operating_share(plan: Plan) -> F64:
    """Share of each fleet's units operating before day 0: 1 on the 'fleet' basis, the
    steady-state availability on the 'available' basis."""
    if not plan.available_basis.any():  # the steady state would be computed for nothing
        return np.ones(len(plan.fleets))
    _, a_ss = steady_state(plan)
    return np.asarray(np.where(plan.available_basis, a_ss, 1.0), dtype=np.float64)


def _demand(plan: Plan, rows: I64, a_fleet: F64) -> tuple[F64, F64]:
    f = plan.part_fleet[rows]
    scale = plan.units[f] * a_fleet[f] * _per_part_rate(plan)[rows]
    return scale[:, None] * plan.hours[f], scale * plan.hours[f, 0]


def _cumulative(lam: F64) -> F64:
    cum = np.zeros_like(lam)
    np.cumsum(lam[:, :-1], axis=1, out=cum[:, 1:])
    return cum


def _parts_fixed(
    plan: Plan,
    rows: I64,
    clocks: list[Clock],
    cid: I64,
    a_ss: F64,
    memo: Memo | None = None,
    first_day: int = 0,
) -> tuple[F64, F64]:
    """Fleet sums of log-availability terms and backorders for fleet-basis parts.

    With :data:`REUSE`, rows whose demand is the same every day take
    :func:`tether._engine.reuse.flat_fleet_sums` (each steady state once, only the days
    that differ from it); the others are evaluated on every cell. ``memo`` keeps the
    steady state (the same under every cut) across the batch members of one run."""
    nf, T = len(plan.fleets), plan.horizon + 1
    log_a, bo = np.zeros((nf, T)), np.zeros((nf, T))
    if REUSE and len(rows):
        f = plan.part_fleet[rows]
        flat = (plan.hours == plan.hours[:, :1]).all(axis=1)[f]  # per fleet, not [P, T]
        fr = rows[flat]
        ff = plan.part_fleet[fr]
        lam = plan.units[ff] * a_ss[ff] * _per_part_rate(plan)[fr] * plan.hours[ff, 0]
        per_row = (plan.spares[fr], plan.units[ff], plan.quantity[fr], ff)
        steady = None if memo is None else memo.get("steady")
        if steady is None:
            steady = steady_sums(lam * _mean_turnaround(plan)[fr], per_row, nf)
            if memo is not None:
                memo["steady"] = steady
        log_a, bo = flat_fleet_sums(
            clocks,
            cid[fr],
            plan.share[fr],
            plan.route_time[fr],
            lam,
            per_row,
            nf,
            T,
            CHUNK_CELLS,
            steady,
            first_day,
        )
        rows = rows[~flat]
    step = max(1, CHUNK_CELLS // T)
    for lo in range(0, len(rows), step):
        chunk = rows[lo : lo + step]
        f = plan.part_fleet[chunk]
        lam, lss = _demand(plan, chunk, a_ss)
        m = _pipeline(
            plan, chunk, route_groups(plan, clocks, cid, chunk), _cumulative(lam), lam, lss
        )
        back, up = backorders_and_up(m, plan.spares[chunk], plan.units[f], plan.quantity[chunk])
        _fleet_add(log_a, f, availability_log(up))
        _fleet_add(bo, f, back)
    return log_a, bo


def run_analytic(plan: Plan, progress: Progress | None = None) -> EngineOutput:
    """Expected availability, factors and capability for every batch member of ``plan``.

    A member whose cutoffs have random lengths is the probability-weighted average over
    the lengths (:func:`tether._engine.lengths.cases`).
    """
    B, nf, T = len(plan.batch), len(plan.fleets), plan.horizon + 1
    a_ss = _operating_share(plan)
    keys = ("availability", "backorders", "software", "munitions", "services", "capability")
    out = {k: np.zeros((B, nf, T)) for k in keys}
    stock = np.zeros((B, len(plan.mu_fleet), T))
    per_case = (nf + len(plan.mu_fleet) + len(plan.sw_fleet) + len(plan.sv_fleet) + 1) * T
    units = units_by_day(plan)
    step = max(1, FLUSH_CELLS // 8 // per_case)
    # (member, cuts, avail, bo, weights, software and services if known)
    block: list[tuple[int, B8, F64, F64, F64, tuple[F64, F64] | None]] = []

    def flush() -> None:
        """The factors of every case in ``block`` at once (one call per factor for many
        members: the munitions recursion steps its days once for all of them)."""
        if not block:
            return
        cuts = np.concatenate([c[1] for c in block])
        values = {
            "availability": np.concatenate([c[2] for c in block]),
            "backorders": np.concatenate([c[3] for c in block]),
        }
        known = [c[5] for c in block]
        if all(k is not None for k in known):
            values["software"] = np.concatenate([k[0] for k in known if k is not None])
            values["services"] = np.concatenate([k[1] for k in known if k is not None])
        else:
            values["software"], values["services"] = _software(plan, cuts), _services(plan, cuts)
        values["munitions"], stock_c = _munitions(plan, cuts, values["availability"], carried)
        carried.clear()
        values["capability"] = units[None] * (
            values["availability"] * values["software"] * values["munitions"] * values["services"]
        )
        lo = 0
        for b, _, _, _, weights, _ in block:
            sl = slice(lo, lo + len(weights))
            for k in keys:  # sum over the cases of weight times value
                out[k][b] += np.einsum("lt,lft->ft", weights, values[k][sl])
            stock[b] += np.einsum("lt,lmt->mt", weights, stock_c[sl])
            lo += len(weights)
        block.clear()

    held = 0
    memo: Memo = {}
    carried: dict[bytes, Moments] = {}  # the moments the munitions need, by cut mask
    for b in range(B):
        cs = cases(plan, b)
        node_a, node_bo = _node_parts(plan, cs, a_ss, memo, carried)
        ends = _length_factors(plan, cs) if LENGTH_FACTORS and cs.by_length else None
        for lo in range(0, cs.count, step):
            sl = slice(lo, lo + step)
            weights = cs.weights[sl]
            if held + len(weights) > step:
                flush()
                held = 0
            known = None
            if ends is not None:
                before = np.arange(T)[None, None, :] < cs.ends[sl][:, None, None]
                (sw_long, sw_short), (sv_long, sv_short) = ends
                known = (np.where(before, sw_long, sw_short), np.where(before, sv_long, sv_short))
            masks, a_l, bo_l = cs.masks(sl), cs.parts(node_a, sl), cs.parts(node_bo, sl)
            block.append((b, masks, a_l, bo_l, weights, known))
            held += len(weights)
        if progress is not None:
            progress(b + 1, B)
    flush()
    return EngineOutput(**out, munitions_stock=stock)


def _node_parts(
    plan: Plan, cs: Cases, a_ss: F64, memo: Memo, carried: dict[bytes, Moments] | None = None
) -> tuple[F64, F64]:
    """Availability and backorders ``[N, F, T]`` under the node masks of ``cs``.

    Over the lengths of one cutoff (:data:`LENGTH_FACTORS`, fleet basis): every output on
    day ``t`` depends on the masks of days up to ``t`` only, so a node whose mask equals
    the node with the most cut days before day ``e`` has that node's values before ``e``;
    only its constant rows' days from ``e`` on are evaluated. Otherwise node by node."""
    if not (LENGTH_FACTORS and REUSE and cs.by_length and len(cs.nodes) > 1) or (
        plan.available_basis.any()
    ):
        runs = [_parts(plan, cut, a_ss, memo, carried=carried) for cut in cs.nodes]
        return np.stack([r[0] for r in runs]), np.stack([r[1] for r in runs])
    T = cs.nodes.shape[-1]
    ref = int(cs.nodes.sum(axis=(1, 2, 3)).argmax())
    a_ref, bo_ref = _parts(plan, cs.nodes[ref], a_ss, memo)
    node_a, node_bo = (
        np.empty((len(cs.nodes), *a_ref.shape)),
        np.empty((len(cs.nodes), *a_ref.shape)),
    )
    for n, cut in enumerate(cs.nodes):
        differ = (cut != cs.nodes[ref]).any(axis=(0, 1))
        e = int(differ.argmax()) if differ.any() else T
        if e >= T:
            node_a[n], node_bo[n] = a_ref, bo_ref
            continue
        a_n, bo_n = _parts(plan, cut, a_ss, memo, first_day=e)
        node_a[n, :, :e], node_bo[n, :, :e] = a_ref[:, :e], bo_ref[:, :e]
        node_a[n, :, e:], node_bo[n, :, e:] = a_n[:, e:], bo_n[:, e:]
    return node_a, node_bo


def _length_factors(plan: Plan, cs: Cases) -> tuple[tuple[F64, F64], tuple[F64, F64]] | None:
    """Software and services factors ``[F, T]`` of the longest and the shortest of the
    cases ``cs`` (the lengths of one cutoff), or ``None``.

    Both factors on day ``t`` depend on the cut masks of days up to ``t`` only, and the
    masks of a case of length ``d`` equal the longest case's before its end ``e_d``: so
    do its factors. From ``e_d`` on they equal the shortest case's, provided that (a) no
    software item of the shortest case is cut on or after its end (then no item is cut
    from ``e_d`` on in any case, and the age since the last cut began is 0 in both), and
    (b) every service's switch-over to its alternative can start on the same day in the
    shortest and the longest case (so in every case between). Otherwise ``None``: the
    factors are computed case by case (:data:`LENGTH_FACTORS` ``False`` always does)."""
    T = plan.horizon + 1
    short, long = cs.masks(slice(0, 1)), cs.masks(slice(cs.count - 1, cs.count))
    end = int(cs.ends[0])
    if short[0, plan.sw_supplier, KIND_INDEX["software"], end:].any():
        return None
    if len(plan.sv_fleet):
        t = np.arange(T)
        firsts = []
        for m in (short, long):
            cut = m[0, plan.sv_supplier, KIND_INDEX["services"]] & (t >= plan.sv_alt_from[:, None])
            firsts.append(np.where(cut.any(axis=1), cut.argmax(axis=1), T))
        if (firsts[0] != firsts[1]).any():
            return None
    sw, sv = (
        _software(plan, np.concatenate([long, short])),
        _services(plan, np.concatenate([long, short])),
    )
    return (sw[0], sw[1]), (sv[0], sv[1])


def _parts(
    plan: Plan,
    cut: B8,
    a_ss: F64,
    memo: Memo | None = None,
    first_day: int = 0,
    carried: dict[bytes, Moments] | None = None,
) -> tuple[F64, F64]:
    """Availability and backorders ``[F, T]`` under one cut mask ``[S, K, T]`` (the
    constant rows' days before ``first_day`` left at their steady state: see
    :func:`_node_parts`). Fleets whose munitions take the units-up path
    (:func:`~tether._engine.munitions_path.moments_fleets`) carry their moments in the
    same pass, into ``carried`` under the mask's bytes."""
    clocks, cid = _clocks(plan, cut)
    plain = np.ones(len(plan.part_labels), dtype=np.bool_)
    if not constant_force(plan):
        if not REUSE:
            return parts_varying(plan, cut, clocks, cid, a_ss)
        plain = plain_rows(plan)  # the rows the force's changes leave alone
    stepped = plan.available_basis[plan.part_fleet]
    fixed_rows = np.flatnonzero(~stepped & plain)
    step_rows = np.flatnonzero(stepped & plain)
    log_a, bo = _parts_fixed(plan, fixed_rows, clocks, cid, a_ss, memo, first_day)
    if not plain.all():
        log_v, bo_v = parts_varying(plan, cut, clocks, cid, a_ss, only=~plain)
        log_a += log_v
        bo += bo_v
    avail = np.exp(log_a)
    if len(step_rows):
        own = moments_fleets(plan)[plan.part_fleet[step_rows]]
        if carried is not None and own.any():
            both = step_rows[own]
            groups = route_groups(plan, clocks, cid, both)
            # (fleets not carried come back as exp(log_a), as they were)
            _, bo_s, avail, got = parts_available_moments(plan, both, groups, log_a, LAG, BINS)
            carried[cut.tobytes()] = got
            bo += bo_s
            step_rows = step_rows[~own]
        if len(step_rows):
            groups = route_groups(plan, clocks, cid, step_rows)
            _, bo_s, avail_s = parts_available(plan, step_rows, groups, log_a)  # the law
            bo += bo_s
            mine = np.zeros(len(plan.fleets), dtype=np.bool_)
            mine[plan.part_fleet[step_rows]] = True
            avail = np.where(mine[:, None], avail_s, avail)
    return avail, bo


def _fleet_add(out: F64, fleet_of: I64, values: F64) -> None:
    """``out[fleet_of[i]] += values[i]`` for rows sorted by fleet (faster than ``add.at``)."""
    if not len(fleet_of):
        return
    starts = np.flatnonzero(np.r_[True, fleet_of[1:] != fleet_of[:-1]])
    out[fleet_of[starts]] += np.add.reduceat(values, starts, axis=0)


def _fleet_product(values: F64, fleet_of: I64, n_fleets: int) -> F64:
    """Per case, the product over rows of each fleet: ``[L, Q, T] -> [L, F, T]``."""
    out = np.ones((values.shape[0], n_fleets, values.shape[2]))
    group_mul(out, fleet_of, values)
    return out


def _software(plan: Plan, cuts: B8) -> F64:
    """Software factors ``[L, F, T]`` under cut masks ``cuts [L, S, K, T]``."""
    L, nf, T = len(cuts), len(plan.fleets), plan.horizon + 1
    q = len(plan.sw_fleet)
    if not q:
        return np.ones((L, nf, T))
    cut = cuts[:, plan.sw_supplier, KIND_INDEX["software"]].reshape(L * q, T)
    f = software_factor(
        cut,
        np.tile(plan.sw_cadence, L),
        np.tile(plan.sw_grace, L),
        np.tile(plan.sw_decline, L),
        np.tile(plan.sw_floor, L),
        np.tile(plan.sw_last_update, L),
    )
    return _fleet_product(f.reshape(L, q, T), plan.sw_fleet, nf)


def _munitions(
    plan: Plan, cuts: B8, avail: F64, carried: dict[bytes, Moments] | None = None
) -> tuple[F64, F64]:
    """Munitions factors ``[L, F, T]`` and stocks ``[L, M, T]``; ``avail [L, F, T]``;
    ``carried``: moments of the units-up path already carried, by cut mask."""
    L, nf, T = len(cuts), len(plan.fleets), plan.horizon + 1
    m = len(plan.mu_fleet)
    if not m:
        return np.ones((L, nf, T)), np.zeros((L, 0, T))
    fleet = plan.mu_fleet
    active = np.where(plan.available_basis[fleet][None, :, None], avail[:, fleet], 1.0)
    demand = units_by_day(plan)[fleet][None] * active * plan.mu_use[None]
    supplied = ~cuts[:, plan.rs_supplier, KIND_INDEX["munitions"]]  # [L, C, T]
    if len(plan.rs_from):
        t = np.arange(T)
        supplied &= (t >= plan.rs_from[:, None]) & (t < plan.rs_until[:, None])
    resupply = np.zeros((L, m, T))
    group_add(resupply, plan.rs_munition, plan.rs_rate[None, :, None] * supplied)
    for mu, day, rounds in zip(plan.md_munition, plan.md_day, plan.md_rounds, strict=True):
        if 0 <= day < T:  # one-off deliveries, usable from their day
            resupply[:, mu, day] += rounds
    factor, stock = munitions_factor(
        np.tile(plan.mu_stock, L), demand.reshape(L * m, T), resupply.reshape(L * m, T)
    )
    factor, stock = factor.reshape(L, m, T), stock.reshape(L, m, T)
    if plan.available_basis[fleet].any():
        # the rounds fired over the law of the units-up path, not at its mean: factors
        # E[A prod f] / E[A] (tether._engine.munitions_path)
        up = units_by_day(plan)[fleet] * plan.mu_use
        f_path, s_path, done = available_factors(plan, cuts, up, resupply, carried)
        factor[:, done] = f_path[:, done]
        stock[:, done] = s_path[:, done]
    return _fleet_product(factor, fleet, nf), stock


def _services(plan: Plan, cuts: B8) -> F64:
    """Service factors ``[L, F, T]`` under cut masks ``cuts [L, S, K, T]``."""
    L, nf, T = len(cuts), len(plan.fleets), plan.horizon + 1
    v = len(plan.sv_fleet)
    if not v:
        return np.ones((L, nf, T))
    k = KIND_INDEX["services"]
    has_alt = plan.sv_alt_supplier >= 0
    alt_cut = cuts[:, np.maximum(plan.sv_alt_supplier, 0), k] & has_alt[None, :, None]
    f = service_factor(
        cuts[:, plan.sv_supplier, k].reshape(L * v, T),
        np.tile(plan.sv_factor, L),
        alt_cut.reshape(L * v, T),
        np.tile(has_alt, L),
        np.tile(plan.sv_alt_delay, L),
        np.tile(plan.sv_alt_factor, L),
        np.tile(plan.sv_alt_from, L),
    )
    return _fleet_product(f.reshape(L, v, T), plan.sv_fleet, nf)
