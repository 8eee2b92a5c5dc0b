"""Mitigation options (``options:``) and the decisions they are judged on (``decisions:``).

An option is something a planner can buy: more spares, a domestic depot, a munitions
stockpile or resupply contract, an alternative service provider, units of another system
type, or a patch of the force. It has a cost, a lead time (a whole number of days or a
random length like a cutoff's ``duration_days``) and changes the force from that day on.
A decision names a force, the scenarios (with weights) the options are judged on, and
the options on the table. Names are checked by :mod:`tether._refs`; the changes compile
into a plan in :mod:`tether._plan_options`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag, model_validator

from tether._model.entries import (
    Capacity,
    MunitionHolding,
    Resupply,
    ServiceHolding,
    SoftwareHolding,
)
from tether._model.fields import (
    _NUMBER,
    MAX_COST,
    MAX_HORIZON_DAYS,
    MAX_SPARES,
    MAX_UNITS,
    MAX_WEIGHT,
    Days,
    DaysOrZero,
    Fraction,
    HoursByLevel,
    Name,
    Rounds,
    _Entry,
    _Strict,
)
from tether._model.scenario import LognormalDuration, UniformDuration

#: Largest budget a decision may name (a thousand times the EU's SAFE loans).
MAX_BUDGET = 1.5e14

Cost = Annotated[float, Field(ge=0.0, le=MAX_COST, strict=True, allow_inf_nan=False), _NUMBER]
LeadDay = Annotated[int, Field(ge=0, le=MAX_HORIZON_DAYS, strict=True), _NUMBER]


def _lead_form(value: Any) -> str:
    return "Distribution" if isinstance(value, dict) else "Days"


#: A lead time: whole days, or a random length as a cutoff's ``duration_days``.
LeadTime = Annotated[
    Annotated[LeadDay, Tag("Days")]
    | Annotated[
        UniformDuration | LognormalDuration,
        Field(discriminator="distribution"),
        Tag("Distribution"),
    ],
    Discriminator(_lead_form),
]


class DataRightsChange(_Strict):
    """The technical data to repair a part of a fleet (no effect of its own: a depot
    option ``requires:`` it)."""

    fleet: Name
    part: Name


class SparesChange(_Strict):
    """More spares of a part in a fleet, arriving at the lead time."""

    fleet: Name
    part: Name
    add: Annotated[int, Field(ge=1, le=MAX_SPARES, strict=True), _NUMBER] = Field(
        description="Spares bought."
    )


class DepotChange(_Strict):
    """A domestic depot for a part of a fleet, repairing from the lead time on."""

    fleet: Name
    part: Name
    share: Fraction = Field(description="Share of repairable failures repaired at the depot.")
    turnaround_days: Days = Field(description="Days from failure to a serviceable item.")
    capacity_per_day: Capacity = None
    divert_when_cut: Annotated[bool, Field(strict=True)] = Field(
        False, description="Send supplier-repair failures here while the supplier withholds."
    )


class StockpileChange(_Strict):
    """Rounds of a munition delivered to a fleet at the lead time."""

    fleet: Name
    munition: Name
    rounds: Rounds = Field(description="Rounds delivered.")


class ResupplyChange(_Strict):
    """A contracted resupply of a munition, delivering a day from the lead time on."""

    fleet: Name
    munition: Name
    per_day: Rounds = Field(description="Rounds delivered a day while supplied.")
    supplier: Name | None = Field(None, description="Defaults to the munition's supplier.")


class ServiceChange(_Strict):
    """An alternative provider of a service, contracted from the lead time on."""

    fleet: Name
    service: Name
    supplier: Name
    switch_days: DaysOrZero = Field(0.0, description="Days to switch over once withheld.")
    factor: Fraction = Field(1.0, description="Capability factor while on the alternative.")


class DeliveryChange(_Strict):
    """Units delivered into a fleet from the lead time on: an existing fleet of the force,
    or a new one (then ``system``, ``area`` and ``hours_per_day`` are required)."""

    fleet: Name = Field(description="The fleet receiving the units (new or existing).")
    units: Annotated[int, Field(ge=1, le=MAX_UNITS, strict=True), _NUMBER] = Field(
        description="Units delivered in all."
    )
    per_year: (
        Annotated[float, Field(gt=0.0, le=MAX_UNITS, strict=True, allow_inf_nan=False), _NUMBER]
        | None
    ) = Field(None, description="Delivery rate from the lead time; none: all at once.")
    replaces: Name | None = Field(
        None, description="A fleet that loses one unit for each unit delivered."
    )
    system: Name | None = None
    area: Name | None = None
    hours_per_day: HoursByLevel | None = None
    weight: (
        Annotated[float, Field(gt=0.0, le=MAX_WEIGHT, strict=True, allow_inf_nan=False), _NUMBER]
        | None
    ) = None
    tempo_basis: Literal["fleet", "available"] = "fleet"
    spares: dict[Name, Annotated[int, Field(ge=0, le=MAX_SPARES, strict=True), _NUMBER]] = Field(
        default_factory=dict
    )
    munitions: dict[Name, MunitionHolding] = Field(default_factory=dict)
    software: dict[Name, SoftwareHolding] = Field(default_factory=dict)
    services: dict[Name, ServiceHolding] = Field(default_factory=dict)

    def schedule(self, start: int) -> list[tuple[int, int]]:
        """(day, units) of each delivery, from day ``start``: all at once, or
        ``per_year`` spread evenly (unit ``i`` on day ``start + floor(i * 365 / rate)``)."""
        if self.per_year is None:
            return [(start, self.units)]
        out: dict[int, int] = {}
        for i in range(self.units):
            day = start + int(i * 365 // self.per_year)
            out[day] = out.get(day, 0) + 1
        return sorted(out.items())


#: Fields of a fleet a patch may change from a day on.
PATCHABLE = ("units", "spares", "munitions", "services")


class PatchMunition(_Strict):
    stock: Rounds | None = Field(None, description="The new stock (more rounds delivered).")
    resupply: list[Resupply] | None = Field(None, description="The resupply contracts from then.")


class PatchFleet(_Strict):
    """A fleet's fields changed from the option's day; fields that cannot change mid-run
    are refused by the reference checks, located."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=True)

    name: Name
    units: Annotated[int, Field(ge=0, le=MAX_UNITS, strict=True), _NUMBER] | None = None
    spares: dict[Name, Annotated[int, Field(ge=0, le=MAX_SPARES, strict=True), _NUMBER]] = Field(
        default_factory=dict
    )
    munitions: dict[Name, PatchMunition] = Field(default_factory=dict)
    services: dict[Name, ServiceHolding] = Field(default_factory=dict)


class Patch(_Strict):
    """Fields of the force changed from the option's day, merged as ``use:`` merges."""

    fleets: list[PatchFleet] = Field(default_factory=list)


#: The kinds of change an option can make, in the order they are listed.
EFFECTS = (
    "data_rights",
    "spares",
    "depots",
    "stockpiles",
    "resupply",
    "services",
    "deliveries",
    "patch",
)


class Option(_Entry):
    """A mitigation a planner can buy for a force."""

    force: Name = Field(description="The force it applies to.")
    cost: Cost = Field(description="Cost, in the catalogue's currency.")
    lead_time_days: LeadTime = Field(
        description="Days until it takes effect: whole days, or a random length like a "
        "cutoff's duration_days."
    )
    requires: list[Name] = Field(default_factory=list, description="Options it needs.")
    excludes: list[Name] = Field(default_factory=list, description="Options it rules out.")
    data_rights: list[DataRightsChange] = Field(default_factory=list)
    spares: list[SparesChange] = Field(default_factory=list)
    depots: list[DepotChange] = Field(default_factory=list)
    stockpiles: list[StockpileChange] = Field(default_factory=list)
    resupply: list[ResupplyChange] = Field(default_factory=list)
    services: list[ServiceChange] = Field(default_factory=list)
    deliveries: list[DeliveryChange] = Field(default_factory=list)
    patch: Patch | None = None

    @model_validator(mode="after")
    def _not_itself(self) -> Option:
        if self.name in self.requires or self.name in self.excludes:
            raise ValueError("an option cannot require or exclude itself")
        both = sorted(set(self.requires) & set(self.excludes))
        if both:
            raise ValueError(f"requires and excludes the same option: {', '.join(both)}")
        return self

    def lead_mean(self) -> float:
        """The mean lead time in days."""
        lead = self.lead_time_days
        return float(lead) if isinstance(lead, int) else lead.mean()


class Decision(_Entry):
    """A choice to make: a force, the weighted scenarios it is judged on, and the options
    on the table, with optional defaults for the optimiser."""

    force: Name
    scenarios: dict[
        Name,
        Annotated[float, Field(gt=0.0, le=MAX_WEIGHT, strict=True, allow_inf_nan=False), _NUMBER],
    ] = Field(
        min_length=1,
        description="Scenario -> weight (a probability or a judgement; normalised to sum 1).",
    )
    options: list[Name] = Field(default_factory=list, description="The options on the table.")
    budget: (
        Annotated[float, Field(ge=0.0, le=MAX_BUDGET, strict=True, allow_inf_nan=False), _NUMBER]
        | None
    ) = Field(None, description="Default budget, in the catalogue's currency.")
    objective: Literal["expected", "worst"] = Field(
        "expected", description="Weighted expectation over the scenarios, or the worst one."
    )
    area: Name | None = Field(None, description="Judge one area's capability; none: the force.")
    minimum: dict[Name, Annotated[float, Field(gt=0.0, le=1.0, strict=True), _NUMBER]] = Field(
        default_factory=dict,
        description="Area -> lowest fraction of its no-cutoff baseline allowed on any day.",
    )

    def weights(self) -> dict[str, float]:
        """Scenario weights normalised to sum 1."""
        total = sum(self.scenarios.values())
        return {k: v / total for k, v in self.scenarios.items()}
