"""The Monte Carlo engine: distributions over replications from the same plan.

Pure functions over numpy arrays; every random draw comes from the ``Generator`` passed
in. Replications are an array axis, processed in chunks whose results are reduced on the
fly (sums for means and standard errors; capability per replication kept in float32 for
bands), so memory is bounded by the chunk size plus ``reps x fleets x days`` samples.

What it adds to the analytic engine: cannibalisation on or off, random cutoff lengths,
depot capacity limits, munitions use with Poisson noise, the exact 'available' tempo
basis, and quantile bands.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tether._engine import mc_operating, mc_stepped
from tether._engine.arrays import KIND_INDEX, Plan
from tether._engine.factors import munitions_factor, service_factor, software_factor
from tether._engine.groups import group_add, group_mul
from tether._engine.mc_clock import Clocks, build_clocks, sample_cuts
from tether._engine.mc_force import Force, divert_mask, force_of
from tether._engine.mc_parts import (
    availability_from_backorders,
    burn_in_days,
    burn_in_rows,
    outstanding_fixed,
    start_availability,
)
from tether._engine.mc_stepped import BurnIn, Stepped, outstanding_stepped
from tether._engine.mc_watch import Watch, Watched

__all__ = [
    "MonteCarloOutput",
    "run_montecarlo",
    "sample_limit",
    "stepped_days",
    "stepped_fleets",
]

F64 = NDArray[np.float64]
F32 = NDArray[np.float32]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

#: Replication x (part + supplier) x day cells per chunk: small enough that a chunk's
#: arrays stay in cache (measured fastest near this size), and memory stays bounded.
CHUNK_CELLS = 400_000

FACTORS = ("availability", "backorders", "software", "munitions", "services", "capability")

Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class MonteCarloOutput:
    """Means ``[B, F, T]``, standard errors of the means, and capability samples.

    ``samples[b]`` is capability per replication ``[K, F, T]`` (float32) for the batch
    members asked for: the first ``K = min(reps, max_samples)`` replications (independent
    draws, so an unbiased sample of them all). ``watched``: per-replication summaries
    (see :mod:`tether._engine.mc_watch`) when a :class:`Watch` was given.
    """

    reps: int
    mean: dict[str, F64]
    stderr: dict[str, F64]
    samples: dict[int, F32]
    watched: Watched | None = None


def _fleet_product(values: F64, fleet_of: I64, n_fleets: int) -> F64:
    out = np.ones((values.shape[0], n_fleets, values.shape[2]))
    group_mul(out, fleet_of, values)
    return out


def stepped_fleets(plan: Plan) -> B8:
    """Fleets stepped day by day: on the 'available' basis, or with a depot capacity."""
    capped = np.isfinite(plan.route_capacity).any(axis=1)
    stepped = plan.available_basis.copy()
    np.logical_or.at(stepped, plan.part_fleet, capped)
    return stepped


def _parts(
    plan: Plan,
    force: Force,
    clocks: Clocks,
    divert: B8 | None,
    reps: int,
    rng: np.random.Generator,
    cannibalise: bool,
    a_ss: F64,
    burned: dict[tuple[int, int], list[BurnIn]] | None = None,
) -> tuple[F64, F64]:
    """Availability and backorders per fleet ``[R, F, T]``. ``burned``: the burn-ins'
    end states by block of stepped fleets, filled by the first batch member of a chunk
    and read by the next (see :func:`~tether._engine.mc_stepped.outstanding_stepped`)."""
    nf, T = len(plan.fleets), plan.horizon + 1
    f = plan.part_fleet
    per_unit = (plan.units * np.where(plan.available_basis, a_ss, 1.0))[f]
    zr = plan.quantity * plan.failure_rate
    if force.units_change:
        lam = force.units[f] * zr[:, None] * plan.hours[f]
    else:
        lam = (plan.units[f] * zr)[:, None] * plan.hours[f]
    lam_ss = per_unit * zr * plan.hours[f, 0]
    if force.window is not None:
        lam = lam * force.window
        lam_ss = lam_ss * force.from_zero
    stepped = stepped_fleets(plan)[f]
    fixed = np.flatnonzero(~stepped)
    rows = np.flatnonzero(stepped)
    blocks = part_blocks(force, fixed, reps, T)
    if not len(rows) and len(blocks) == 1:
        out = outstanding_fixed(plan, fixed, lam, lam_ss, clocks, reps, rng, divert)
        held = _held(force, out, plan.spares)
        lead = force.lead
        units = force.units if force.units_change else plan.units
        avail = availability_from_backorders(
            held, f[lead], units, plan.quantity[lead], nf, cannibalise
        )
        backorders = np.zeros((reps, nf, T))
        group_add(backorders, f[lead], held)
        return avail, backorders
    avail = np.ones((reps, nf, T))
    backorders = np.zeros((reps, nf, T))
    if len(fixed):  # whole groups of fixed rows at a time (one block for most forces)
        for block in blocks:
            out = outstanding_fixed(
                plan, block, lam[block], lam_ss[block], clocks, reps, rng, divert
            )
            _combine(plan, force, block, out, cannibalise, avail, backorders)
    # fleets on the 'available' basis start from their own steady state (a burn-in);
    # capacity-limited fleets on the 'fleet' basis start from unlimited pipelines
    basis_rows = plan.available_basis[f[rows]]
    for g, (group, burn) in enumerate(((rows[basis_rows], True), (rows[~basis_rows], False))):
        days = burn_in_days(plan, group) if burn and len(group) else 0
        for i, block in enumerate(fleet_blocks(plan, group, reps, stepped_days(plan, group, days))):
            row_burn = burn_in_rows(plan, block) if burn else None
            shared = None if burned is None else burned.setdefault((g, i), [])
            items, share, fleet_held = _stepped(
                plan,
                force,
                block,
                lam,
                lam_ss,
                clocks,
                divert,
                reps,
                rng,
                cannibalise,
                row_burn,
                shared,
            )
            if items is not None:
                _combine(plan, force, block, items, cannibalise, avail, backorders)
            else:  # the fleets' availability and backorders, computed day by day
                assert share is not None
                assert fleet_held is not None
                fleets = np.unique(plan.part_fleet[block])
                avail[:, fleets] = share
                backorders[:, fleets] += fleet_held
    return avail, backorders


def stepped_days(plan: Plan, rows: I64, burn: int) -> int:
    """Instants of the return histograms of stepped ``rows`` with a burn-in of ``burn``
    days: the burn-in and the horizon, or, while the burn-in is stepped, its days and a
    slot per route and clock-day an item may still need after day 0 (whichever is more)."""
    T = plan.horizon + 1
    if burn <= 0:
        return T + 1
    return burn + max(T + 1, 1 + int(mc_stepped.later_width(plan, rows).sum()))


def fleet_blocks(plan: Plan, rows: I64, reps: int, days: int) -> list[I64]:
    """Stepped ``rows`` cut into blocks of whole fleets, each about :data:`STEP_CELLS`
    cells for ``reps`` replications over ``days`` (one block when they all fit; a
    fleet's rows are coupled through its availability, so a fleet is never cut)."""
    if not len(rows):
        return []
    return _whole_blocks(rows, plan.part_fleet, max(1, STEP_CELLS // max(reps * days, 1)))


#: Replication x part-row x day cells of the fixed path at a time: a large force is
#: simulated a block of part rows (whole groups) at a time, so that memory stays bounded
#: however many rows it has.
BLOCK_CELLS = 2_000_000


def part_blocks(force: Force, rows: I64, reps: int, T: int) -> list[I64]:
    """``rows`` cut into blocks of whole groups, each about :data:`BLOCK_CELLS` cells for
    ``reps`` replications (one block when they all fit)."""
    return _whole_blocks(rows, force.group, max(1, BLOCK_CELLS // max(reps * T, 1)))


def _whole_blocks(rows: I64, key: I64, per_block: int) -> list[I64]:
    """``rows`` cut into blocks of about ``per_block`` rows, never cutting rows of one
    ``key`` value apart (each block sorted; one block when they all fit)."""
    if len(rows) <= per_block:
        return [rows]
    order = rows[np.argsort(key[rows], kind="stable")]
    g = key[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    cuts = [0]
    for s in starts[1:]:
        if s - cuts[-1] >= per_block:
            cuts.append(int(s))
    cuts.append(len(order))
    return [np.sort(order[a:b]) for a, b in itertools.pairwise(cuts)]


def _combine(
    plan: Plan,
    force: Force,
    rows: I64,
    out: NDArray[np.int32],
    cannibalise: bool,
    avail: F64,
    backorders: F64,
) -> None:
    """Fold part ``rows`` (whole groups; items out ``out [R, rows, T]``) into fleet
    availability (a product over parts without cannibalisation, the minimum over parts
    of ``N - ceil(B / Z)`` with it) and backorders."""
    gids = np.unique(force.group[rows])
    lead = force.lead[gids]
    held = _held(force, out, plan.spares, rows)
    units = force.units if force.units_change else plan.units
    f = plan.part_fleet[lead]
    nf = len(plan.fleets)
    a = availability_from_backorders(held, f, units, plan.quantity[lead], nf, cannibalise)
    if cannibalise:
        np.minimum(avail, a, out=avail)
    else:
        avail *= a
    group_add(backorders, f, held)


def _held(
    force: Force, out: NDArray[np.int32], spares: I64, rows: I64 | None = None
) -> NDArray[np.int32]:
    """Backorders per group ``[R, G, ...]`` from items out per row ``[R, P, ...]`` (of part
    ``rows``, whole groups, sorted by group; all rows when ``None``); ``spares [P]`` of
    every row."""
    if not force.grouped and force.stock is None:
        mine = spares if rows is None else spares[rows]
        held = out - mine.astype(np.int32)[(None, slice(None), *(None,) * (out.ndim - 2))]
        np.maximum(held, 0, out=held)
        return held
    group = force.group if rows is None else force.group[rows]
    gids, local = np.unique(group, return_inverse=True)
    total = np.zeros((out.shape[0], len(gids), *out.shape[2:]), dtype=np.int32)
    group_add(total, local.reshape(-1).astype(np.int64), out)
    if force.stock is None:
        stock = spares[force.lead[gids]].astype(np.int32)
        total -= stock[(None, slice(None), *(None,) * (out.ndim - 2))]
    elif out.ndim == 3:
        total -= force.stock[gids].astype(np.int32)[None]
    else:
        raise ValueError("per-day stock needs a day axis")
    np.maximum(total, 0, out=total)
    return total


def _stepped(
    plan: Plan,
    force: Force,
    rows: I64,
    lam: F64,
    lam_ss: F64,
    clocks: Clocks,
    divert: B8 | None,
    reps: int,
    rng: np.random.Generator,
    cannibalise: bool,
    row_burn: I64 | None,
    shared: list[BurnIn] | None = None,
) -> Stepped:
    """Part ``rows`` (whole fleets) of fleets stepped day by day, after a burn-in of
    ``row_burn [P]`` days (each row's fleet's; none when ``None``): items out
    ``[R, P, T]`` on the 'fleet' basis; on the 'available' basis, the fleets'
    availability and backorders ``[R, K, T]`` instead (see
    :func:`~tether._engine.mc_stepped.outstanding_stepped`)."""
    fleets, local = np.unique(plan.part_fleet[rows], return_inverse=True)
    basis = plan.available_basis[fleets][local]
    gids, glocal = np.unique(force.group[rows], return_inverse=True)
    glocal = glocal.reshape(-1)
    lead = force.lead[gids]
    gfleet = np.searchsorted(fleets, plan.part_fleet[lead])
    spares = plan.spares[lead].astype(np.int64)

    units0 = plan.units[fleets]
    quantity = plan.quantity[lead]
    row_fleet = local.reshape(-1).astype(np.int64)
    operating, flat = None, False
    if not force.grouped and force.stock is None and not force.units_change:
        args = (units0, plan.quantity[rows], row_fleet, plan.spares[rows], cannibalise)
        operating = mc_operating.table_operating(*args) or mc_operating.sparse_operating(*args)
        flat = True
    elif not force.grouped and force.stock is None:
        operating = mc_operating.units_operating(
            force.units[fleets],
            units0,
            plan.quantity[rows],
            row_fleet,
            plan.spares[rows],
            cannibalise,
        )

    def general(t: int, out_t: NDArray[np.int32]) -> tuple[F64, F64]:
        total_g = np.zeros((out_t.shape[0], len(gids)), dtype=np.int64)
        group_add(total_g, glocal.astype(np.int64), out_t)
        stock = spares if force.stock is None else force.stock[gids, max(t, 0)]
        held = np.maximum(total_g - stock[None, :], 0)
        units = units0 if t < 0 else force.units[fleets, t]
        bo = np.zeros((out_t.shape[0], len(fleets)))
        group_add(bo, gfleet, held)
        a = availability_from_backorders(held, gfleet, units, quantity, len(fleets), cannibalise)
        return a, bo

    return outstanding_stepped(
        plan,
        rows,
        lam[rows],
        lam_ss[rows],
        (operating or general) if basis.any() else None,
        row_fleet,
        clocks,
        reps,
        rng,
        burn=0 if row_burn is None else int(row_burn.max()),
        divert=divert,
        row_burn=row_burn,
        flat=flat,
        shared=shared,
    )


def _rows(cut: B8, index: I64, kind: str, reps: int) -> B8:
    rows = cut[:, index, KIND_INDEX[kind]]
    return np.broadcast_to(rows, (reps, *rows.shape[1:]))


def _software(plan: Plan, cut: B8, reps: int, rng: np.random.Generator) -> F64:
    nf, T = len(plan.fleets), plan.horizon + 1
    q = len(plan.sw_fleet)
    if not q:
        return np.ones((reps, nf, T))
    rows = _rows(cut, plan.sw_supplier, "software", reps).reshape(reps * q, T)
    phase = rng.random((reps, q)) * plan.sw_cadence
    last = np.where(np.isnan(plan.sw_last_update), phase - plan.sw_cadence, plan.sw_last_update)
    f = software_factor(
        rows,
        np.tile(plan.sw_cadence, reps),
        np.tile(plan.sw_grace, reps),
        np.tile(plan.sw_decline, reps),
        np.tile(plan.sw_floor, reps),
        last.ravel(),
    ).reshape(reps, q, T)
    return _fleet_product(f, plan.sw_fleet, nf)


def _munitions(
    plan: Plan,
    force: Force,
    cut: B8,
    reps: int,
    rng: np.random.Generator,
    avail: F64,
    noise: bool,
) -> F64:
    nf, T = len(plan.fleets), plan.horizon + 1
    m = len(plan.mu_fleet)
    if not m:
        return np.ones((reps, nf, T))
    fleet = plan.mu_fleet
    active = np.where(plan.available_basis[fleet][None, :, None], avail[:, fleet], 1.0)
    units = force.units[fleet][None] if force.units_change else plan.units[fleet][None, :, None]
    demand = units * active * plan.mu_use[None]
    if noise:
        demand = rng.poisson(demand).astype(np.float64)
    supplied = ~_rows(cut, plan.rs_supplier, "munitions", reps)  # [R, C, T]
    days = np.arange(T)
    if len(plan.rs_from) and ((plan.rs_from > 0).any() or (plan.rs_until < T).any()):
        runs = (days[None, :] >= plan.rs_from[:, None]) & (days[None, :] < plan.rs_until[:, None])
        supplied = supplied & runs[None]
    resupply = np.zeros((reps, m, T))
    group_add(resupply, plan.rs_munition, plan.rs_rate[None, :, None] * supplied)
    for mu, day, rounds in zip(plan.md_munition, plan.md_day, plan.md_rounds, strict=True):
        if 0 <= day < T:  # one-off deliveries: whatever any supplier does
            resupply[:, mu, day] += rounds
    factor, _ = munitions_factor(
        np.tile(plan.mu_stock, reps), demand.reshape(reps * m, T), resupply.reshape(reps * m, T)
    )
    return _fleet_product(factor.reshape(reps, m, T), fleet, nf)


def _services(plan: Plan, cut: B8, reps: int) -> F64:
    nf, T = len(plan.fleets), plan.horizon + 1
    v = len(plan.sv_fleet)
    if not v:
        return np.ones((reps, nf, T))
    has_alt = plan.sv_alt_supplier >= 0
    alt = _rows(cut, np.maximum(plan.sv_alt_supplier, 0), "services", reps) & has_alt[:, None]
    own = _rows(cut, plan.sv_supplier, "services", reps)
    f = service_factor(
        own.reshape(reps * v, T),
        np.tile(plan.sv_factor, reps),
        alt.reshape(reps * v, T),
        np.tile(has_alt, reps),
        np.tile(plan.sv_alt_delay, reps),
        np.tile(plan.sv_alt_factor, reps),
        np.tile(plan.sv_alt_from, reps),
    ).reshape(reps, v, T)
    return _fleet_product(f, plan.sv_fleet, nf)


#: Bytes of the burn-ins' end states kept for the next batch members (beyond, a member
#: burns its chunk in again: the same law, other draws).
SHARED_BYTES = 32 * 2**20


#: Fewest replications per chunk, so that per-chunk overhead stays small for large forces
#: (fewer when their fleet x day arrays would pass :data:`FLEET_CELLS`).
MIN_CHUNK_REPS = 16
FLEET_CELLS = 1_000_000


#: Bytes the kept capability samples (float32) may take, and the fewest replications
#: kept whatever the force's size (see :func:`sample_limit`).
SAMPLE_BYTES = 128 * 2**20
MIN_SAMPLES = 50


def sample_limit(plan: Plan) -> int:
    """Most replications whose capability ``[F, T]`` is kept for quantile bands: as many
    as fit in :data:`SAMPLE_BYTES`, at least :data:`MIN_SAMPLES`. The first replications
    are kept (independent, so an unbiased sample of all); a ``p`` quantile from ``K`` of
    them has a rank error of standard deviation ``sqrt(p (1 - p) / K)`` (0.0095 for the
    P10 at ``K = 1,000``)."""
    per_rep = 4 * len(plan.fleets) * (plan.horizon + 1)
    return max(MIN_SAMPLES, SAMPLE_BYTES // max(per_rep, 1))


#: Replication x part cells of one chunk on the day-stepped path (per day of the horizon
#: and burn-in): each day's step costs a few array operations whatever their size, so
#: large blocks of replications amortise them (about 100 MB of int32 returns on the
#: 'available' basis, twice that and the items out on the 'fleet' basis).
STEP_CELLS = 24_000_000

#: Replication x fleet x day cells of one chunk on the day-stepped path (the fleet-level
#: arrays: availability, factors, capability, their squares).
STEP_FLEET_CELLS = 1_000_000


def stepped_rate(plan: Plan, rows: I64) -> tuple[float, float]:
    """Candidate failures of the day-stepped ``rows`` per replication (every unit
    operating, the most units a fleet ever has): on the busiest day, and over the
    burn-in and the horizon."""
    if not len(rows):
        return 0.0, 0.0
    f = plan.part_fleet[rows]
    units = plan.units.astype(np.float64).copy()
    np.add.at(units, plan.un_fleet, np.maximum(np.asarray(plan.un_add, dtype=np.float64), 0))
    per_hour = units[f] * plan.quantity[rows] * plan.failure_rate[rows]
    daily = per_hour[:, None] * plan.hours[f, :-1]
    burn = burn_in_days(plan, rows) if plan.available_basis[f].any() else 0
    busiest = float(daily.sum(axis=0).max()) if daily.shape[1] else 0.0
    total = float(daily.sum() + burn * (per_hour * plan.hours[f, 0]).sum())
    return busiest, total


def chunk_size(plan: Plan, reps: int) -> int:
    """Replications per chunk: about :data:`CHUNK_CELLS` cells, at least
    :data:`MIN_CHUNK_REPS` replications (fewer for a force whose fleet x day arrays
    are large: :data:`FLEET_CELLS`), at most ``reps``; with fleets stepped day by day,
    about :data:`STEP_CELLS` cells of their parts over the burn-in and the horizon
    instead, at most :data:`STEP_FLEET_CELLS` fleet cells and the candidate failures
    of one day at most :data:`~tether._engine.mc_stepped.FAILURE_BLOCK` (at least one
    replication)."""
    T = plan.horizon + 1
    per_rep = (len(plan.part_labels) + 1) * T
    fewest = max(1, min(MIN_CHUNK_REPS, FLEET_CELLS // max(len(plan.fleets) * T, 1)))
    stepped = np.flatnonzero(stepped_fleets(plan)[plan.part_fleet])
    if not len(stepped):
        return int(max(1, min(reps, max(fewest, CHUNK_CELLS // per_rep))))
    burn = burn_in_days(plan, stepped) if plan.available_basis.any() else 0
    busiest, _ = stepped_rate(plan, stepped)
    most = min(
        STEP_CELLS // (len(stepped) * stepped_days(plan, stepped, burn)),
        STEP_FLEET_CELLS // max(len(plan.fleets) * T, 1),
        int(mc_stepped.FAILURE_BLOCK // max(busiest, 1e-9)),
    )
    return int(max(1, min(reps, most)))


def run_montecarlo(
    plan: Plan,
    reps: int,
    rng: np.random.Generator,
    *,
    cannibalise: bool = False,
    munitions_noise: bool = True,
    keep_samples: Sequence[int] | None = None,
    max_samples: int | None = None,
    watch: Watch | None = None,
    progress: Progress | None = None,
) -> MonteCarloOutput:
    """Simulate every batch member of ``plan`` ``reps`` times, drawing from ``rng``.

    ``keep_samples``: members whose capability per replication is kept (all when
    ``None``), at most ``max_samples`` replications of each. ``watch``: summarise each
    replication of one member against the mean of another (see :class:`Watch`).
    """
    if reps < 2:
        raise ValueError("reps must be at least 2 (standard errors need two)")
    if watch is not None and watch.baseline >= watch.member:
        raise ValueError("the watched member's baseline must be simulated before it")
    B, nf, T = len(plan.batch), len(plan.fleets), plan.horizon + 1
    keep = set(range(B) if keep_samples is None else keep_samples)
    a_ss = start_availability(plan)
    force = force_of(plan)
    units = force.units[None] if force.units_change else plan.units[None, :, None]
    sums = {k: np.zeros((B, nf, T)) for k in FACTORS}
    squares = {k: np.zeros((B, nf, T)) for k in FACTORS}
    kept = reps if max_samples is None else max(0, min(reps, max_samples))
    samples = {b: np.empty((kept, nf, T), dtype=np.float32) for b in keep}
    watched = None if watch is None else Watched.empty(watch, plan.horizon)
    step = chunk_size(plan, reps)
    chunks = -(-reps // step)
    done = 0
    # the burn-ins' end states by chunk, shared by the batch members (within a budget)
    burned: dict[int, dict[tuple[int, int], list[BurnIn]]] = {}
    for b in range(B):
        random = bool((plan.co_dist[plan.co_batch == b] > 0).any())
        fixed_cut = None if random else sample_cuts(plan, b, 1, rng)
        fixed_clocks = None if fixed_cut is None else build_clocks(plan, fixed_cut[0])
        if watched is not None and watch is not None and b == watch.member:
            watched.set_baseline(watch, sums["capability"][watch.baseline] / reps)
        for start in range(0, reps, step):
            r = min(step, reps - start)
            cut, ends = sample_cuts(plan, b, r, rng) if fixed_cut is None else fixed_cut
            clocks = build_clocks(plan, cut) if fixed_clocks is None else fixed_clocks
            divert = divert_mask(plan, force, cut)
            mine = burned.get(start, {}) if B > 1 else None
            avail, backorders = _parts(plan, force, clocks, divert, r, rng, cannibalise, a_ss, mine)
            if mine is not None and start not in burned and b < B - 1:
                size = sum(s.nbytes for lists in burned.values() for v in lists.values() for s in v)
                if size + sum(s.nbytes for v in mine.values() for s in v) <= SHARED_BYTES:
                    burned[start] = mine
            if b == B - 1:
                burned.pop(start, None)  # no member left to read it
            values = {
                "availability": avail,
                "backorders": backorders,
                "software": _software(plan, cut, r, rng),
                "munitions": _munitions(plan, force, cut, r, rng, avail, munitions_noise),
                "services": _services(plan, cut, r),
            }
            values["capability"] = units * (
                avail * values["software"] * values["munitions"] * values["services"]
            )
            for k, v in values.items():
                sums[k][b] += v.sum(axis=0)
            for k in squares:
                squares[k][b] += np.square(values[k]).sum(axis=0)
            if b in keep and start < kept:
                samples[b][start : start + r] = values["capability"][: kept - start]
            if watched is not None and watch is not None and b == watch.member:
                watched.add(watch, values["capability"], _last_end(plan, b, watch, ends, r))
            done += 1
            if progress is not None:
                progress(done, B * chunks)
    mean = {k: v / reps for k, v in sums.items()}
    stderr = {
        k: np.sqrt(np.maximum(squares[k] / reps - mean[k] ** 2, 0.0) * reps / (reps - 1) / reps)
        for k in squares
    }
    return MonteCarloOutput(reps=reps, mean=mean, stderr=stderr, samples=samples, watched=watched)


def _last_end(plan: Plan, b: int, watch: Watch, ends: I64, reps: int) -> I64 | None:
    """Per replication, the latest end of the watched cutoffs (``None``: none, or one
    never ends)."""
    if not len(watch.cutoffs):
        return None
    mine = np.flatnonzero(plan.co_batch == b)
    pos = np.searchsorted(mine, watch.cutoffs)
    if ((plan.co_dist[watch.cutoffs] == 0) & (plan.co_end[watch.cutoffs] < 0)).any():
        return None
    last: I64 = np.broadcast_to(ends[:, pos].max(axis=1), (reps,))
    return last
