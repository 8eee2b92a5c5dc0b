"""The Monte Carlo engine's memory: its estimate, and the check before a run starts.

:func:`montecarlo_bytes` counts every term of a run that grows: the plan, the running sums
and the outputs (batch members x fleets x days), the kept capability samples (at most
:func:`~tether._engine.montecarlo.sample_limit` replications of fleets x days), one chunk
of replications (its fleet-level arrays; a block of fixed part rows; on the day-stepped
path, a block of whole fleets' rows over the burn-in and the horizon, and one block of
candidate failures), and the band computation. Each term is bounded by chunking except
those that are the result itself (fleets x days), so a force too large for the memory
allowed is refused, with the most replications that would fit.

The memory allowed for a Monte Carlo run is ``TETHER_MAX_BYTES`` when it is set, else
:data:`MONTECARLO_DEFAULT_BYTES` (1 GiB of estimated peak: with the estimate at or above
the measured peak, no run the check lets through uses more).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from tether import _plan
from tether._engine import mc_relax, mc_stepped, montecarlo
from tether._engine.arrays import Plan
from tether._engine.mc_parts import burn_in_days
from tether._engine.montecarlo import (
    chunk_size,
    sample_limit,
    stepped_days,
    stepped_fleets,
    stepped_rate,
)
from tether._errors import CapacityError, Diagnostic
from tether._model import Document, Scenario

__all__ = [
    "MONTECARLO_DEFAULT_BYTES",
    "check_montecarlo_memory",
    "montecarlo_bytes",
    "montecarlo_limit",
]

#: Memory allowed for a Monte Carlo run when ``TETHER_MAX_BYTES`` is not set.
MONTECARLO_DEFAULT_BYTES = 2**30

#: Default number of band quantiles (P10, median, P90).
N_QUANTILES = 3

#: Bytes per replication and day of one Monte Carlo chunk, per item of the force: per
#: (fleet, part) row, software item, munition, service and fleet, and per expected failure
#: (the per-failure arrays). Measured with tracemalloc on forces of each kind and rounded
#: up (tests/test_mc_size.py checks the estimate against a measured peak).
_CHUNK_BYTES = {"part": 32, "software": 130, "munition": 64, "service": 56, "fleet": 100}
_FAILURE_BYTES = 160

#: The day-stepped path: bytes per replication, part row and day of the burn-in and the
#: horizon (returns, and arrivals on the 'fleet' basis, int32), per replication, part row
#: and day of the horizon on the 'fleet' basis (items out, its copy, the backorders), and
#: per candidate failure drawn at once.
_STEP_CELL_BYTES = {True: 6, False: 8}
_STEP_OUT_BYTES = {True: 0, False: 24}
_CANDIDATE_BYTES = 240

#: Bytes per replication, part row and day of one window of days solved together on the
#: 'available' basis (tether._engine.mc_relax: histograms, running sum, shares), and per
#: candidate failure of a block (its window's copies and decisions).
_RELAX_BYTES = 64
_RELAX_CANDIDATE_BYTES = 100

#: Bytes per replication, queue and day of the depots' queues solved at once on the
#: 'fleet' basis (tether._engine.mc_stepped.QUEUE_CELLS of them at most).
_QUEUE_BYTES = 80


def montecarlo_limit() -> int:
    """The memory allowed for a Monte Carlo run: ``TETHER_MAX_BYTES`` when set (read at
    each run), else the smaller of :data:`MONTECARLO_DEFAULT_BYTES` and the general
    default."""
    allowed = _plan.max_bytes_allowed()
    if os.environ.get("TETHER_MAX_BYTES", "").strip():
        return allowed
    return min(allowed, MONTECARLO_DEFAULT_BYTES)


def _expected_failures(plan: Plan, rows: np.ndarray) -> float:
    """Expected failures of part ``rows`` per replication over the horizon, plus those out
    on day 0."""
    f = plan.part_fleet[rows]
    rate = plan.units[f] * plan.quantity[rows] * plan.failure_rate[rows]
    hours = plan.hours[:, :-1].sum(axis=1)[f]
    tbar = (plan.share[rows] * plan.route_time[rows]).sum(axis=1)
    return float((rate * (hours + plan.hours[f, 0] * tbar)).sum())


def _stepped_chunk(plan: Plan, rows: np.ndarray) -> Callable[[int], float]:
    """Bytes of the day-stepped path for a chunk of ``r`` replications: one block of
    whole fleets' rows (about :data:`~tether._engine.montecarlo.STEP_CELLS` cells, or the
    largest fleet) of the 'available' basis or of the 'fleet' basis (whichever is more),
    with one window of days solved together where the 'available' basis has few cells a
    day (tether._engine.mc_relax), and one block of candidate failures."""
    if not len(rows):
        return lambda r: 0.0
    T = plan.horizon + 1
    basis = plan.available_basis[plan.part_fleet[rows]]
    groups = []
    for on in (True, False):
        mine = rows[basis == on]
        if len(mine):
            burn = burn_in_days(plan, mine) if on else 0
            largest = int(np.bincount(plan.part_fleet[mine]).max())
            groups.append((on, len(mine), stepped_days(plan, mine, burn), largest))
    _, per_rep = stepped_rate(plan, rows)

    def chunk(r: int) -> float:
        most, per_candidate = 0.0, float(_CANDIDATE_BYTES)
        for on, n, days, largest in groups:
            block = max(largest, min(n, max(1, montecarlo.STEP_CELLS // max(r * days, 1))))
            cells = r * block * (days * _STEP_CELL_BYTES[on] + T * _STEP_OUT_BYTES[on])
            if on and r * block <= mc_relax.RELAX_WIDTH:  # one window of days at a time
                days = min(mc_relax.RELAX_DAYS, mc_relax.RELAX_CELLS // max(r * block, 1))
                cells += r * block * max(days, 1) * _RELAX_BYTES
                per_candidate = float(_CANDIDATE_BYTES + _RELAX_CANDIDATE_BYTES)
            if not on:  # the queues of (at most every route of) the block's rows
                cells += min(mc_stepped.QUEUE_CELLS, 3 * r * block * (T + 1)) * _QUEUE_BYTES
            most = max(most, cells)
        return most + min(float(mc_stepped.FAILURE_BLOCK), r * per_rep) * per_candidate

    return chunk


def _montecarlo_costs(
    plan: Plan, n_quantiles: int
) -> tuple[float, float, Callable[[int], float], float]:
    """Bytes of a Monte Carlo run: fixed, per replication kept, one chunk of ``r``
    replications, and per replication of the band computation (see
    :func:`montecarlo_bytes`)."""
    B, nf, T = len(plan.batch), len(plan.fleets), plan.horizon + 1
    plan_bytes = sum(v.nbytes for v in vars(plan).values() if isinstance(v, np.ndarray))
    watched = (len(plan.areas) + nf) * (T + 2) * 8 * 4  # histograms and counts (mc_watch)
    tables = 8 * T * int((plan.share > 0).sum())  # return instants by day (Clocks, cached)
    fixed = (
        plan_bytes
        + tables
        + (12 * B + 24) * nf * T * 8
        + 2 * n_quantiles * (len(plan.areas) + nf) * T * 8
        + watched
    )
    c = _CHUNK_BYTES
    per_day = (
        c["software"] * len(plan.sw_fleet)
        + c["munition"] * len(plan.mu_fleet)
        + c["service"] * len(plan.sv_fleet)
        + c["fleet"] * nf
    )
    if plan.random_cutoffs:  # cut masks and clocks per replication
        per_day += plan.cut.shape[1] * plan.cut.shape[2] + 24 * (1 + 3 * len(plan.suppliers))
    on_step = stepped_fleets(plan)[plan.part_fleet]
    stepped = np.flatnonzero(on_step)
    n_fixed = len(plan.part_labels) - len(stepped)
    failures = _expected_failures(plan, np.flatnonzero(~on_step))
    stepped_chunk = _stepped_chunk(plan, stepped)

    def chunk(r: int) -> float:
        # the fixed path holds one block of part rows at a time (part_blocks), the
        # stepped path one block of whole fleets; then come the fleet-level arrays
        share = min(1.0, max(1, montecarlo.BLOCK_CELLS // max(r * T, 1)) / max(n_fixed, 1))
        rows = c["part"] * T * n_fixed * share + _FAILURE_BYTES * failures * share
        demand = 16.0 * len(plan.part_labels) * T  # demand by row and day, and a temporary
        parts = r * (16.0 * nf * T + rows) + stepped_chunk(r)
        return max(parts, r * (T * per_day + rows)) + demand

    return float(fixed), float(nf * T * 4), chunk, float(3 * T * 4)


def _burned_bytes(plan: Plan, reps: int) -> float:
    """Bytes of the burn-ins' end states kept for the next batch members (at most
    :data:`~tether._engine.montecarlo.SHARED_BYTES`): per replication, items out and
    back at day 0 per stepped row on the 'available' basis, and about 28 bytes per item
    out at day 0 (its slot, replication, row and count)."""
    rows = np.flatnonzero(plan.available_basis[plan.part_fleet])
    if len(plan.batch) < 2 or not len(rows):
        return 0.0
    f = plan.part_fleet[rows]
    rate = plan.units[f] * plan.quantity[rows] * plan.failure_rate[rows] * plan.hours[f, 0]
    out = float((rate * (plan.share[rows] * plan.route_time[rows]).sum(axis=1)).sum())
    return float(min(montecarlo.SHARED_BYTES, int(np.ceil(reps * (8.0 * len(rows) + 28.0 * out)))))


def montecarlo_bytes(plan: Plan, reps: int, n_quantiles: int = N_QUANTILES) -> int:
    """Estimated peak memory, in bytes, of a Monte Carlo run of ``plan``: the plan itself,
    the running sums and outputs, the kept samples ``[K, F, T]`` float32, and the larger
    of one chunk's temporaries (:func:`~tether._engine.montecarlo.chunk_size`
    replications, a block of part rows at a time) and the band computation (one area or
    fleet at a time). Samples and bands hold ``K = min(reps,``
    :func:`~tether._engine.montecarlo.sample_limit` ``)`` replications."""
    fixed, kept, chunk, bands = _montecarlo_costs(plan, n_quantiles)
    k = min(reps, sample_limit(plan))
    held = _burned_bytes(plan, reps)
    return int(fixed + held + k * kept + max(chunk(chunk_size(plan, reps)), k * bands))


def check_montecarlo_memory(
    document: Document, scenario: Scenario, plan: Plan, reps: int, n_quantiles: int, limit: int
) -> None:
    """Raise :class:`CapacityError` at the scenario's ``horizon_days`` when the run would
    need more than ``limit`` bytes, saying how many replications would fit."""
    need = montecarlo_bytes(plan, reps, n_quantiles)
    if need <= limit:
        return
    fixed, kept, chunk, bands = _montecarlo_costs(plan, n_quantiles)

    def cost(r: int) -> float:
        k = min(r, sample_limit(plan))
        held = _burned_bytes(plan, r)
        return fixed + held + k * kept + max(chunk(chunk_size(plan, r)), k * bands)

    lo, hi = 1, reps  # the most replications that fit (the cost grows with reps)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if cost(mid) <= limit else (lo, mid - 1)
    fits = lo if lo >= 2 and cost(lo) <= limit else 0
    where, text = (document.file, 0, 0), "horizon_days"
    if document._source is not None:
        mark, text = document._source.where("scenarios", scenario.name, "horizon_days")
        if mark is not None:
            where = (mark.file, mark.line, mark.column)
    fewer = f"fewer --reps (at most {fits:,} fit)" if fits else "a smaller force"
    raise CapacityError(
        [
            Diagnostic(
                *where,
                text,
                f"a Monte Carlo run of {reps:,} replications over {len(plan.fleets):,} fleets "
                f"and {plan.horizon} days needs about {need / 2**30:.1f} GiB, more than the "
                f"{limit / 2**30:.1f} GiB allowed: ask for {fewer}, a shorter horizon, or "
                "raise TETHER_MAX_BYTES",
            )
        ]
    )
