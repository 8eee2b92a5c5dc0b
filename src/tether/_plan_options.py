"""Mitigation options compiled into a plan: the changes a chosen set of options makes to a
force, each from its realised lead time (see docs/format.md, ``options``).

:func:`collect` turns options and lead times into :class:`Changes` (new fleets, unit and
stock steps, depot rows, deliveries of rounds, resupply windows, alternative providers),
dropping every change that falls after the horizon; :func:`tether._plan.compile_plan`
lays them into the time-varying arrays of :class:`~tether._engine.arrays.Plan`.
:func:`option_fleets`, :func:`lead_time_nodes` and :func:`lead_time_cases` serve the
optimiser and the sweeps.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tether._engine.lengths import length_pmf
from tether._errors import ArgumentError
from tether._model import (
    MAX_HORIZON_DAYS,
    DeliveryChange,
    DepotChange,
    Document,
    Fleet,
    Force,
    Option,
    PatchFleet,
    Resupply,
)

__all__ = [
    "Changes",
    "collect",
    "lead_time_cases",
    "lead_time_nodes",
    "option_fleets",
    "realised_lead_times",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass
class Changes:
    """What chosen options change, by fleet and item name, each change from its day."""

    new_fleets: list[Fleet] = field(default_factory=list)
    #: new fleet -> (the option delivering it, the delivery's index)
    origin: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: (fleet, day, units added; < 0 withdrawn)
    units: list[tuple[str, int, int]] = field(default_factory=list)
    #: (fleet, part, day, spares added)
    stock: list[tuple[str, str, int, int]] = field(default_factory=list)
    #: (fleet, part) -> [(day, depot)], in day order
    depots: dict[tuple[str, str], list[tuple[int, DepotChange]]] = field(default_factory=dict)
    #: (fleet, munition, day, rounds)
    rounds: list[tuple[str, str, int, float]] = field(default_factory=list)
    #: (fleet, munition, supplier or None, per day, from day)
    resupply: list[tuple[str, str, str | None, float, int]] = field(default_factory=list)
    #: (fleet, munition, resupply from a production line, from day)
    line_resupply: list[tuple[str, str, Resupply, int]] = field(default_factory=list)
    #: (fleet, munition) -> the day the file's resupply contracts end (a patch replaced them)
    resupply_until: dict[tuple[str, str], int] = field(default_factory=dict)
    #: (fleet, service) -> (supplier, switch days, factor, from day)
    services: dict[tuple[str, str], tuple[str, float, float, int]] = field(default_factory=dict)

    def suppliers(self) -> set[str]:
        """Suppliers the changes name (resupply contracts, alternative providers)."""
        used = {s for _, _, s, _, _ in self.resupply if s is not None}
        used.update(s for s, _, _, _ in self.services.values())
        return used

    @property
    def empty(self) -> bool:
        return not (
            self.new_fleets
            or self.units
            or self.stock
            or self.depots
            or self.rounds
            or self.resupply
            or self.line_resupply
            or self.resupply_until
            or self.services
        )


def realised_lead_times(options: Sequence[Option], lead_times: Sequence[int] | None) -> list[int]:
    """The lead time of each option: as given, or the option's own when it is fixed."""
    if lead_times is not None:
        if len(lead_times) != len(options):
            raise ArgumentError(
                f"{len(lead_times)} lead times for {len(options)} options: give one each"
            )
        bad = [d for d in lead_times if not 0 <= int(d) <= MAX_HORIZON_DAYS]
        if bad:
            raise ArgumentError(f"lead times are whole days 0..{MAX_HORIZON_DAYS}, not {bad[0]}")
        return [int(d) for d in lead_times]
    out: list[int] = []
    for o in options:
        if not isinstance(o.lead_time_days, int):
            raise ArgumentError(
                f"option '{o.name}' has a random lead time: give its realised lead time "
                "(lead_time_nodes gives the days to evaluate and their weights)"
            )
        out.append(o.lead_time_days)
    return out


def _fleet_of_delivery(d: DeliveryChange) -> Fleet:
    """The new fleet a delivery makes (its ``units`` is the total delivered)."""
    keys = ("system", "area", "hours_per_day", "tempo_basis", "spares", "munitions")
    data = {k: getattr(d, k) for k in (*keys, "software", "services")}
    if d.weight is not None:
        data["weight"] = d.weight
    return Fleet.model_validate({"name": d.fleet, "units": d.units, **data})


def collect(
    doc: Document,
    force: Force,
    options: Sequence[Option],
    lead_times: Sequence[int],
    horizon: int,
    fleets: Collection[str] | None = None,
    orders: Sequence[tuple[str, int, int]] = (),
) -> Changes:
    """The changes ``options`` make to ``force``, option ``i`` from day ``lead_times[i]``.

    Changes on a day after ``horizon`` are dropped (an option that arrives too late
    changes nothing). With ``fleets``, only changes to those fleets are kept (a new fleet
    counts as in the subset when the fleet it replaces is, or when it is named).
    Where two options give the same service an alternative provider, the earlier one
    holds (on a tie, the one listed first). ``orders`` are the fleets' deliveries on order
    (fleet, day, units), kept among the unit steps, so a withdrawal may take units delivered.
    """
    out = Changes()
    own = {f.name: f for f in force.fleets}
    keep = None if fleets is None else set(fleets)
    new: dict[str, Fleet] = {}
    timed = sorted(zip(options, lead_times, strict=True), key=lambda x: x[1])
    for opt, _ in timed:
        if opt.force != force.name:
            raise ArgumentError(
                f"option '{opt.name}' is for force '{opt.force}', not '{force.name}'"
            )
    timed = [(opt, day) for opt, day in timed if day <= horizon]
    # deliveries first: an option may stock a fleet another option delivers later
    for opt, day in timed:
        for i, dv in enumerate(opt.deliveries):
            if keep is not None and dv.fleet not in keep and dv.replaces not in keep:
                continue
            steps = [(t, n) for t, n in dv.schedule(day) if t <= horizon]
            if not steps:
                continue
            if dv.fleet not in own and dv.fleet not in new:
                new[dv.fleet] = _fleet_of_delivery(dv)
                out.new_fleets.append(new[dv.fleet])
                out.origin[dv.fleet] = (opt.name, i)
            out.units += [(dv.fleet, t, n) for t, n in steps]
            if dv.replaces is not None:
                out.units += [(dv.replaces, t, -n) for t, n in steps]

    def ok(fleet: str) -> bool:
        return fleet in new or (fleet in own and (keep is None or fleet in keep))

    for opt, day in timed:
        out.stock += [(s.fleet, s.part, day, s.add) for s in opt.spares if ok(s.fleet)]
        for dp in opt.depots:
            if ok(dp.fleet):
                out.depots.setdefault((dp.fleet, dp.part), []).append((day, dp))
        out.rounds += [(m.fleet, m.munition, day, m.rounds) for m in opt.stockpiles if ok(m.fleet)]
        out.resupply += [
            (r.fleet, r.munition, r.supplier, r.per_day, day) for r in opt.resupply if ok(r.fleet)
        ]
        for v in opt.services:
            if ok(v.fleet):
                out.services.setdefault(
                    (v.fleet, v.service), (v.supplier, v.switch_days, v.factor, day)
                )
        if opt.patch is not None:
            for pf in opt.patch.fleets:
                if ok(pf.name) and pf.name in own:
                    _patch(out, own[pf.name], pf, day)
    out.units += [o for o in orders if ok(o[0])]  # units on order (tether._plan_orders)
    _clamp_units(out, {**{k: v.units for k, v in own.items()}, **dict.fromkeys(new, 0)})
    return out


def _patch(out: Changes, fleet: Fleet, pf: PatchFleet, day: int) -> None:
    """A patch's values are the fleet's new values; they compile as changes from the
    file's (more units, spares or rounds; the resupply list replaced)."""
    if pf.units is not None and pf.units != fleet.units:
        out.units.append((fleet.name, day, pf.units - fleet.units))
    for part, n in pf.spares.items():
        add = n - fleet.spares.get(part, 0)
        if add > 0:
            out.stock.append((fleet.name, part, day, add))
    for name, m in pf.munitions.items():
        held = fleet.munitions.get(name)
        if m.stock is not None:
            more = m.stock - (held.stock if held else 0.0)
            if more > 0:
                out.rounds.append((fleet.name, name, day, more))
        if m.resupply is not None:
            out.resupply_until[fleet.name, name] = min(
                day, out.resupply_until.get((fleet.name, name), day)
            )
            r: Resupply
            for r in m.resupply:
                if r.per_day is None:
                    out.line_resupply.append((fleet.name, name, r, day))
                else:
                    out.resupply.append((fleet.name, name, r.supplier, r.per_day, day))
    for name, s in pf.services.items():
        alt = s.alternative
        if alt is not None:
            out.services.setdefault(
                (fleet.name, name), (alt.supplier, alt.switch_days, alt.factor, day)
            )


def _clamp_units(out: Changes, start: dict[str, int]) -> None:
    """Units never fall below 0: a withdrawal beyond what a fleet holds is cut short."""
    steps: list[tuple[str, int, int]] = []
    held = dict(start)
    for fleet, day, add in sorted(out.units, key=lambda s: (s[1], s[2] < 0)):
        add = max(add, -held.get(fleet, 0))
        if add != 0:
            held[fleet] = held.get(fleet, 0) + add
            steps.append((fleet, day, add))
    out.units = steps


def option_fleets(doc: Document, force: Force, option: Option) -> frozenset[str]:
    """The fleets an option's effect touches: those it changes or grants data rights
    for, those it delivers units to (new fleets included) and those it withdraws from.

    >>> from tether._model import Option
    >>> opt = Option.model_validate({"name": "o", "force": "demo", "cost": 1,
    ...     "lead_time_days": 0, "deliveries": [{"fleet": "b", "units": 2,
    ...     "replaces": "a", "system": "s", "area": "x", "hours_per_day": 1}]})
    >>> sorted(option_fleets(None, None, opt))  # type: ignore[arg-type]
    ['a', 'b']
    """
    del doc, force  # the names are in the option; kept for a stable signature
    out: set[str] = set()
    for changes in (
        option.data_rights,
        option.spares,
        option.depots,
        option.stockpiles,
        option.resupply,
        option.services,
    ):
        out.update(c.fleet for c in changes)
    for d in option.deliveries:
        out.add(d.fleet)
        if d.replaces is not None:
            out.add(d.replaces)
    if option.patch is not None:
        out.update(pf.name for pf in option.patch.fleets)
    return frozenset(out)


def lead_time_nodes(option: Option, k: int, horizon: int | None = None) -> tuple[I64, F64]:
    """Lead times (whole days) standing for an option's lead time, and their weights.

    A fixed lead time is one node of weight 1. A random one is exact when it takes at
    most ``k`` distinct values (with ``horizon``, every lead time past it is one case: it
    changes nothing, and stands as ``horizon + 1``); otherwise ``k`` bins of about equal
    probability, each standing at its median day with the bin's probability as weight.
    Lognormal lead times round to whole days, at least 1, as cutoff lengths do.

    >>> from tether._model import Option
    >>> opt = Option.model_validate({"name": "o", "force": "f", "cost": 1,
    ...     "lead_time_days": {"distribution": "uniform", "low": 10, "high": 13}})
    >>> days, w = lead_time_nodes(opt, 8)
    >>> days.tolist(), w.tolist()
    ([10, 11, 12, 13], [0.25, 0.25, 0.25, 0.25])
    >>> lead_time_nodes(opt, 2)[0].tolist()
    [10, 12]
    """
    if k < 1:
        raise ArgumentError(f"k must be at least 1, not {k}")
    lead = option.lead_time_days
    if isinstance(lead, int):
        return np.array([lead], dtype=np.int64), np.ones(1)
    cap = MAX_HORIZON_DAYS + 1 if horizon is None else horizon + 1
    if lead.distribution == "uniform":
        days, p = length_pmf(1, lead.low, lead.high, cap)
    else:
        days, p = length_pmf(2, lead.median, lead.sigma, cap)
    live = p > 0
    days, p = days[live], p[live] / p[live].sum()
    if len(days) <= k:
        return days.astype(np.int64), p
    cum = np.cumsum(p)
    which = np.minimum(((cum - 0.5 * p) * k).astype(np.int64), k - 1)
    nodes: list[int] = []
    weights: list[float] = []
    for b in np.unique(which):
        sel = which == b
        d, q = days[sel], p[sel]
        half = np.searchsorted(np.cumsum(q), 0.5 * q.sum() * (1 - 1e-9))  # lower median
        nodes.append(int(d[min(half, len(d) - 1)]))
        weights.append(float(q.sum()))
    return np.array(nodes, dtype=np.int64), np.array(weights)


def lead_time_cases(
    options: Sequence[Option], nodes: int, horizon: int
) -> list[tuple[list[int], float]]:
    """Every combination of the options' lead-time nodes (:func:`lead_time_nodes`, ``nodes``
    each), with its probability; one case ``([], 1)`` without options."""
    per = [lead_time_nodes(o, nodes, horizon) for o in options]
    out: list[tuple[list[int], float]] = []
    for combo in itertools.product(*(range(len(d)) for d, _ in per)):
        days = [int(per[j][0][k]) for j, k in enumerate(combo)]
        w = float(np.prod([per[j][1][k] for j, k in enumerate(combo)]))
        out.append((days, w))
    return out
