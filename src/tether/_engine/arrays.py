"""The plan's arrays: what every engine consumes (numpy only, no model objects).

Built by :mod:`tether._plan` from a validated scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tether._kinds import KIND_INDEX, KINDS

__all__ = ["KINDS", "KIND_INDEX", "ROUTES", "ROUTE_KIND", "Plan", "route_clock_masks"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

#: Failure routes, in the order of a plan's route axis, and the kind that pauses each.
ROUTES: tuple[str, ...] = ("new_buy", "domestic", "supplier_repair")
ROUTE_KIND: tuple[int, ...] = (KIND_INDEX["spares"], -1, KIND_INDEX["repair"])


def _no_int() -> I64:
    return np.zeros(0, dtype=np.int64)


def _no_float() -> F64:
    return np.zeros(0, dtype=np.float64)


def _no_bool() -> B8:
    return np.zeros(0, dtype=np.bool_)


@dataclass(frozen=True, eq=False)
class Plan:
    """Dense arrays for one force over days ``0..horizon`` and ``B`` cutoff sets.

    Axes: ``F`` fleets, ``P`` (fleet, part) rows, ``S`` suppliers, ``K`` kinds (see
    :data:`KINDS`), ``T = horizon + 1`` days, ``R`` = 3 failure routes.
    ``cut[b, s, k, t]`` is true while supplier ``s`` withholds kind ``k`` during day ``t``.
    """

    horizon: int
    batch: tuple[str, ...]
    fleets: tuple[str, ...]
    areas: tuple[str, ...]
    suppliers: tuple[str, ...]
    part_labels: tuple[str, ...]
    # fleets
    units: F64
    weight: F64
    area_of: I64
    available_basis: B8
    hours: F64  # [F, T] operating hours per unit during day t
    # parts, sorted by fleet
    part_fleet: I64
    quantity: F64
    failure_rate: F64
    spares: I64
    unit_cost: F64
    share: F64  # [P, R]
    route_time: F64  # [P, R] days; 0 where the share is 0
    route_supplier: I64  # [P, R]; -1 for domestic or none
    route_capacity: F64  # [P, R] items inducted per day; inf where unlimited
    # cutoffs: the mask, with random lengths at their mean, and the table behind it
    cut: B8  # [B, S, K, T]
    co_batch: I64  # [C] batch member of each cutoff
    co_start: I64  # [C]
    co_end: I64  # [C] end day; -1 for never (or for a random length)
    co_dist: I64  # [C] 0 fixed, 1 uniform whole days [a, b], 2 lognormal (median a, sigma b)
    co_a: F64
    co_b: F64
    co_stop: B8  # [C, S, K] what each cutoff stops
    # software
    sw_fleet: I64
    sw_supplier: I64
    sw_cadence: F64
    sw_grace: F64
    sw_decline: F64
    sw_floor: F64
    sw_last_update: F64  # nan where unknown
    # munitions
    mu_fleet: I64
    mu_use: F64  # [M, T] rounds per unit during day t
    mu_stock: F64
    rs_munition: I64
    rs_supplier: I64
    rs_rate: F64
    # services
    sv_fleet: I64
    sv_supplier: I64
    sv_factor: F64
    sv_alt_supplier: I64
    sv_alt_delay: F64
    sv_alt_factor: F64
    # provenance: per fleet, the assumed parameters its numbers rest on
    assumptions: tuple[tuple[str, ...], ...] = field(default=())
    # A force that changes over time (mitigation options, deliveries). compile_plan fills
    # every array below; an unchanged force has the defaults noted.
    part_group: I64 = field(default_factory=_no_int)  # [P] physical part of each row (arange)
    row_from: I64 = field(default_factory=_no_int)  # [P] first day failures use this row (0)
    row_until: I64 = field(default_factory=_no_int)  # [P] first day they no longer do (T)
    divert: B8 = field(default_factory=_no_bool)  # [P] divert_when_cut (False)
    st_row: I64 = field(default_factory=_no_int)  # [Q] stock steps: a row of the group,
    st_day: I64 = field(default_factory=_no_int)  # [Q] the day they arrive,
    st_add: I64 = field(default_factory=_no_int)  # [Q] items added (empty)
    un_fleet: I64 = field(default_factory=_no_int)  # [U] unit steps: fleet,
    un_day: I64 = field(default_factory=_no_int)  # [U] day from which,
    un_add: F64 = field(default_factory=_no_float)  # [U] units added, < 0 removed (empty)
    rs_from: I64 = field(default_factory=_no_int)  # [Rs] resupply runs from this day (0)
    rs_until: I64 = field(default_factory=_no_int)  # [Rs] until the day before this (T)
    md_munition: I64 = field(default_factory=_no_int)  # [D] one-off deliveries: munition,
    md_day: I64 = field(default_factory=_no_int)  # [D] day,
    md_rounds: F64 = field(default_factory=_no_float)  # [D] rounds (empty)
    sv_alt_from: I64 = field(default_factory=_no_int)  # [V] alternative contracted from (0)

    @property
    def random_cutoffs(self) -> bool:
        """Whether any cutoff has a random length."""
        return bool((self.co_dist > 0).any())

    @property
    def days(self) -> I64:
        return np.arange(self.horizon + 1, dtype=np.int64)


def route_clock_masks(plan: Plan, cut: B8) -> tuple[list[B8], I64]:
    """The distinct pipeline clocks under cut masks ``cut [R', S, K, T]``.

    Returns the active-day masks of each clock (``[R', T]``; clock 0 never stops) and
    the clock id of every (part row, route). A supplier route's clock stops on the days
    its supplier withholds the route's kind; routes with identical masks share a clock.
    """
    reps, T = cut.shape[0], plan.horizon + 1
    actives: list[B8] = [np.ones((reps, T), dtype=np.bool_)]
    keys: dict[bytes, int] = {}
    cid = np.zeros(plan.share.shape, dtype=np.int64)
    for r, kind in enumerate(ROUTE_KIND):
        if kind < 0:
            continue
        for s in np.unique(plan.route_supplier[:, r]):
            if s < 0:
                continue
            mask = cut[:, s, kind]
            if not mask.any():
                continue
            key = mask.tobytes()
            if key not in keys:
                keys[key] = len(actives)
                actives.append(~mask)
            cid[plan.route_supplier[:, r] == s, r] = keys[key]
    return actives, cid
