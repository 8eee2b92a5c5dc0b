"""The memory guard of a compiled plan and the engine that runs it.

:func:`check_size` runs before :func:`tether._plan.compile_plan` builds the plan's arrays.
For the analytic engine it estimates the run's peak (:func:`analytic_bytes`: the plan,
the engine's outputs, its chunks of cells, and the rows it holds over every day) and
refuses a run above the bound (``TETHER_MAX_BYTES``). For the Monte Carlo engine it
counts the plan's own arrays only: that engine's run is estimated and checked apart
(``tether._api.check_montecarlo_memory``), once the plan is known.

The coefficients were measured with ``tracemalloc`` on synthetic forces of 1,000 to
100,000 part rows over 365 to 3,650 days, constant, on the 'available' basis and
changing over time, and rounded up; ``tests/test_size.py`` checks that the estimate is
between 1 and 4 times the measured peak of compiling and running a plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from tether._errors import CapacityError, Diagnostic
from tether._kinds import KINDS
from tether._model import Document, Fleet, Scenario, SystemType

__all__ = ["analytic_bytes", "check_size", "plan_bytes"]

#: Bytes of any analytic run: per-run arrays, clocks, scratch.
BASE = 64 * 2**10
#: Per part row: the row's arrays (steady state, windows, keys) over the run.
PER_ROW = 600
#: Per cell of one chunk of (row, day) cells, with its temporaries
#: (:data:`tether._engine.analytic.CHUNK_CELLS` cells at most).
PER_CHUNK_CELL = 128
CHUNK_CELLS = 262_144
#: Per batch member, fleet and day: outputs, per-member sums and the factors' block.
PER_FLEET_DAY = 160
#: Fleets on the 'available' basis (:mod:`tether._engine.feedback`): per (row, day),
#: demand, cumulative demand, return instants and indices held over every day; per row,
#: its count's law and transition bands; and the blocks of complex cells of a day's step.
PER_STEPPED_DAY = 128
PER_STEPPED_ROW = 64 * 2**10
STEPPED_BASE = 64 * 2**20
#: Per (row, day) of a row the force's changes touch: the group's stock by day, and one
#: chunk of the changing path (:data:`tether._engine.varying.CHUNK_CELLS` cells).
PER_VARYING_DAY = 16
PER_VARYING_CHUNK_CELL = 130
VARYING_CHUNK_CELLS = 1_000_000


def plan_bytes(n_batch: int, n_fleets: int, n_suppliers: int, n_parts: int, days: int) -> int:
    """Bytes of a plan's arrays: the cut masks ``[B, S, K, T]``, the fleets' hours and
    units by day, and the part rows' values (``days = horizon + 1``)."""
    cut = n_batch * n_suppliers * len(KINDS) * days
    fleets = 3 * 8 * n_fleets * days
    return cut + fleets + n_parts * (12 * 8 + 5 * 3 * 8)


def analytic_bytes(
    n_batch: int,
    n_fleets: int,
    n_suppliers: int,
    n_parts: int,
    days: int,
    *,
    stepped_parts: int = 0,
    varying_parts: int = 0,
) -> int:
    """Estimated peak bytes of compiling and running a plan with the analytic engine:
    ``stepped_parts`` rows of fleets on the 'available' basis, ``varying_parts`` rows
    the force's changes touch (options, deliveries, depot capacities, diverted repairs)."""
    cells = n_parts * days
    varying = varying_parts * days
    need = (
        BASE
        + plan_bytes(n_batch, n_fleets, n_suppliers, n_parts, days)
        + PER_ROW * n_parts
        + PER_CHUNK_CELL * min(cells, CHUNK_CELLS)
        + PER_FLEET_DAY * n_batch * n_fleets * days
        + (PER_STEPPED_DAY * days + PER_STEPPED_ROW) * stepped_parts
        + (STEPPED_BASE if stepped_parts else 0)
        + PER_VARYING_DAY * varying
        + PER_VARYING_CHUNK_CELL * min(varying, VARYING_CHUNK_CELLS)
    )
    return int(need)


def _row_changes(fleet: Fleet, system: SystemType) -> int:
    """Rows of ``fleet`` that leave the constant path without options: units on order,
    depot capacities, diverted repairs."""
    if getattr(fleet, "on_order", None):
        return len(system.parts)
    n = 0
    for part in system.parts:
        routes = (part.domestic_repair, part.supplier_repair)
        capped = any(getattr(r, "capacity_per_day", None) for r in routes if r is not None)
        n += bool(capped or part.divert_when_cut)
    return n


def check_size(
    doc: Document,
    scenario: Scenario,
    engine: str,
    fleets: Sequence[Fleet],
    sizes: tuple[int, int, int],
    changed: bool,
    max_bytes: int,
) -> None:
    """Refuse (:class:`CapacityError`, located at the scenario's ``horizon_days``) a plan
    whose ``engine`` run would need more than ``max_bytes``. ``sizes`` are the batch
    members, suppliers and part rows (options' depots included); ``changed`` is whether
    options change the force (its rows then count as changing)."""
    n_batch, n_suppliers, n_parts = sizes
    systems = {s.name: s for s in doc.systems}
    days = scenario.horizon_days + 1
    if engine == "analytic":
        stepped = sum(len(systems[f.system].parts) for f in fleets if f.tempo_basis == "available")
        varying = n_parts if changed else sum(_row_changes(f, systems[f.system]) for f in fleets)
        need = analytic_bytes(
            n_batch,
            len(fleets),
            n_suppliers,
            n_parts,
            days,
            stepped_parts=min(stepped, n_parts),
            varying_parts=min(varying, n_parts),
        )
    else:
        need = plan_bytes(n_batch, len(fleets), n_suppliers, n_parts, days)
    if need <= max_bytes:
        return
    where = ("", 0, 0)
    text = "horizon_days"
    if doc._source is not None:
        mark, text = doc._source.where("scenarios", scenario.name, "horizon_days")
        if mark is not None:
            where = (mark.file, mark.line, mark.column)
    raise CapacityError(
        [
            Diagnostic(
                *where,
                text,
                f"horizon of {scenario.horizon_days} days over a batch of {n_batch} needs "
                f"about {need / 2**30:.1f} GiB with the {engine} engine, more than the "
                f"{max_bytes / 2**30:.1f} GiB allowed (shorten the horizon, or raise "
                "TETHER_MAX_BYTES)",
            )
        ]
    )
