"""Entries of the first four sections: jurisdictions, suppliers, system types, forces."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from tether._model.fields import (
    _NUMBER,
    MAX_CAPACITY,
    MAX_COST,
    MAX_FAILURE_RATE,
    MAX_HORIZON_DAYS,
    MAX_QUANTITY,
    MAX_SPARES,
    MAX_UNITS,
    MAX_WEIGHT,
    Day,
    Days,
    DaysOrZero,
    Fraction,
    HoursByLevel,
    Kind,
    Name,
    Rounds,
    UseByLevel,
    _all_kinds,
    _Entry,
    _Strict,
)


class Jurisdiction(_Entry):
    """A country (or union) whose government can order a stop."""


class Control(_Strict):
    """A control edge: who else can stop a supplier, and for which kinds."""

    by: Name = Field(description="A jurisdiction or supplier that controls this supplier.")
    kinds: list[Kind] = Field(default_factory=_all_kinds, min_length=1)
    basis: str | None = Field(None, description="E.g. 'ITAR', 'design authority', 'golden share'.")


class Supplier(_Entry):
    """A company or site, located in one jurisdiction and controlled by zero or more others."""

    jurisdiction: Name
    controlled_by: list[Control] = Field(default_factory=list)

    @field_validator("controlled_by", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"by": v} if isinstance(v, str) else v for v in value]
        return value


Capacity = Annotated[
    Annotated[int, Field(ge=1, le=MAX_CAPACITY, strict=True), _NUMBER] | None,
    Field(
        description="Most items inducted into repair per day (Monte Carlo engine only); "
        "none means unlimited.",
    ),
]


class DomesticRepair(_Strict):
    """Repair at the operator's own depot (needs the technical data: ``data_rights``)."""

    share: Fraction = Field(description="Share of repairable failures repaired domestically.")
    turnaround_days: Days = Field(description="Days from failure to a serviceable item.")
    capacity_per_day: Capacity = None


class SupplierRepair(_Strict):
    """Repair at the supplier's depot."""

    supplier: Name
    turnaround_days: Days = Field(description="Days from failure to a serviceable item.")
    capacity_per_day: Capacity = None


class NewBuy(_Strict):
    """Replacement of condemned items by a new buy."""

    supplier: Name
    lead_time_days: Days = Field(description="Days from order to delivery.")


class Part(_Entry):
    """A line-replaceable unit of a system type."""

    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY, strict=True), _NUMBER] = Field(
        1, description="Installed per unit of the system."
    )
    failure_rate: Annotated[
        float, Field(ge=0.0, le=MAX_FAILURE_RATE, strict=True, allow_inf_nan=False), _NUMBER
    ] = Field(description="Failures per operating hour, per item.")
    unit_cost: Annotated[
        float, Field(ge=0.0, le=MAX_COST, strict=True, allow_inf_nan=False), _NUMBER
    ] = Field(0.0, description="Cost of one spare.")
    condemnation: Fraction = Field(0.0, description="Share of failures that are not repairable.")
    data_rights: Annotated[bool, Field(strict=True)] = Field(
        False, description="The operator holds the data to repair it."
    )
    domestic_repair: DomesticRepair | None = None
    supplier_repair: SupplierRepair | None = None
    new_buy: NewBuy | None = None
    divert_when_cut: Annotated[bool, Field(strict=True)] = Field(
        False,
        description="While the supplier withholds repair, send supplier-repair failures to "
        "the domestic depot (needs one: domestic_repair with data_rights, or an option's depot).",
    )

    @model_validator(mode="after")
    def _routes(self) -> Part:
        domestic = self.domestic_repair.share if self.domestic_repair else 0.0
        if domestic > 0 and not self.data_rights:
            raise ValueError(
                "domestic_repair needs data_rights: true (the operator must hold the repair data)"
            )
        if self.condemnation > 0 and self.new_buy is None:
            raise ValueError("condemnation > 0 needs a new_buy route (supplier, lead_time_days)")
        if self.condemnation < 1 and domestic < 1 and self.supplier_repair is None:
            raise ValueError(
                "repairable failures need a route: give supplier_repair, "
                "or domestic_repair with share 1, or condemnation 1"
            )
        return self

    def route_shares(self) -> tuple[float, float, float]:
        """Probabilities of (new buy, domestic repair, supplier repair) per failure."""
        domestic = self.domestic_repair.share if self.domestic_repair else 0.0
        c = self.condemnation
        return c, (1 - c) * domestic, (1 - c) * (1 - domestic)


class Decay(_Strict):
    """How capability decays with days since the last update.

    Full capability for ``grace_days``; then a linear decline over ``decline_days`` to
    ``floor``. A hard expiry is ``decline_days: 0``.
    """

    grace_days: DaysOrZero = Field(description="Days of full capability after the last update.")
    decline_days: DaysOrZero = Field(0.0, description="Days of linear decline after the grace.")
    floor: Fraction = 0.0


class SoftwareItem(_Entry):
    """Software or mission data that the supplier updates on a cadence.

    The decay curve is measured against normal service, in which the next update
    arrives before the current one starts to degrade: ``decay.grace_days`` must be at
    least ``cadence_days``. While a cutoff lasts no update arrives; when it ends, the
    supplier delivers the latest update at once.
    """

    supplier: Name
    cadence_days: Days = Field(description="Days between routine updates.")
    decay: Decay

    @model_validator(mode="after")
    def _grace_covers_cadence(self) -> SoftwareItem:
        if self.decay.grace_days < self.cadence_days:
            raise ValueError(
                "decay.grace_days must be at least cadence_days: the curve describes decay "
                "after updates stop, not between routine updates"
            )
        return self


class MunitionType(_Entry):
    """A munition a system type uses."""

    supplier: Name | None = Field(None, description="Default supplier of resupply.")
    use_per_unit_day: UseByLevel = Field(
        description="Rounds per unit per day: one number, or one per tempo level."
    )


class ServiceType(_Entry):
    """An enabling service (intelligence, satellite link, navigation, ...)."""

    supplier: Name
    factor_when_withheld: Fraction = Field(
        description="Capability factor left while the service is withheld."
    )


class SystemType(_Entry):
    """Equipment of one kind: its parts, software, munitions and services."""

    parts: list[Part] = Field(default_factory=list)
    software: list[SoftwareItem] = Field(default_factory=list)
    munitions: list[MunitionType] = Field(default_factory=list)
    services: list[ServiceType] = Field(default_factory=list)


class Resupply(_Strict):
    """A resupply of one munition: a contracted rate (``per_day``), or a share of a
    production line's output (``product`` of an ``industry:`` network, as ``buyer``)."""

    per_day: Rounds | None = Field(None, description="Rounds delivered a day while supplied.")
    supplier: Name | None = Field(None, description="Defaults to the munition's supplier.")
    product: Name | None = Field(
        None, description="A product of an industry network: the rate is the buyer's allocation."
    )
    network: Name | None = Field(
        None, description="The industry network making the product (default: the only one)."
    )
    buyer: Name | None = Field(
        None, description="The buyer in the product's demand (default: the force's operator)."
    )
    share: Fraction = Field(1.0, description="Share of the buyer's allocation this fleet gets.")

    @model_validator(mode="after")
    def _rate_or_line(self) -> Resupply:
        if (self.per_day is None) == (self.product is None):
            raise ValueError("give either per_day (a rate) or product (a production line)")
        if self.product is None and (
            self.network is not None or self.buyer is not None or self.share != 1.0
        ):
            raise ValueError("network, buyer and share go with product")
        if self.product is not None and self.supplier is not None:
            raise ValueError("a resupply from a line has no supplier: its sites' suppliers")
        return self


class MunitionHolding(_Strict):
    stock: Rounds = Field(0.0, description="Rounds on hand on day 0.")
    resupply: list[Resupply] = Field(default_factory=list)


class SoftwareHolding(_Strict):
    last_update_day: (
        Annotated[int, Field(ge=-MAX_HORIZON_DAYS, le=0, strict=True), _NUMBER] | None
    ) = Field(
        None,
        description="Day of the last update (<= 0) when known; unknown means uniform phase.",
    )


class ServiceAlternative(_Strict):
    supplier: Name
    switch_days: DaysOrZero = Field(0.0, description="Days to switch over once withheld.")
    factor: Fraction = Field(1.0, description="Capability factor while on the alternative.")


class ServiceHolding(_Strict):
    alternative: ServiceAlternative | None = None


#: Most deliveries on order of one fleet.
MAX_DELIVERIES = 1000

Units = Annotated[int, Field(ge=1, le=MAX_UNITS, strict=True), _NUMBER]


class Delivery(_Strict):
    """Units of a fleet on order, delivered on a day of the scenario or on a calendar date
    (counted from the scenario's ``start_date``)."""

    units: Units = Field(description="Units delivered.")
    day: Day | None = Field(None, description="Day of delivery, from the scenario's day 0.")
    date: datetime.date | None = Field(
        None, description="Date of delivery (YYYY-MM-DD), from the scenario's start_date."
    )
    source: str | None = Field(None, description="A public source (address) for the delivery.")

    @model_validator(mode="after")
    def _day_or_date(self) -> Delivery:
        if (self.day is None) == (self.date is None):
            raise ValueError("give exactly one of 'day' or 'date'")
        return self


class Fleet(_Entry):
    """A holding of one system type by the force's operator: ``units`` held, and
    deliveries ``on_order``."""

    system: Name
    area: Name
    units: Units = Field(description="Units held (delivered), not those on order.")
    on_order: list[Delivery] = Field(
        default_factory=list,
        max_length=MAX_DELIVERIES,
        description="Deliveries of units on order; each adds its units from its day on.",
    )
    contracted: Units | None = Field(
        None,
        description="Units under contract, held and on order together (tether catalogue "
        "check compares it with units + on_order).",
    )
    weight: Annotated[
        float, Field(gt=0.0, le=MAX_WEIGHT, strict=True, allow_inf_nan=False), _NUMBER
    ] = Field(1.0, description="Value weight per unit within its area.")
    hours_per_day: HoursByLevel = Field(
        description="Operating hours per unit per day: one number, or one per tempo level."
    )
    tempo_basis: Literal["fleet", "available"] = Field(
        "fleet",
        description="'fleet': every unit operates (METRIC); 'available': only available units.",
    )
    spares: dict[Name, Annotated[int, Field(ge=0, le=MAX_SPARES, strict=True), _NUMBER]] = Field(
        default_factory=dict, description="Spares on hand per part."
    )
    munitions: dict[Name, MunitionHolding] = Field(default_factory=dict)
    software: dict[Name, SoftwareHolding] = Field(default_factory=dict)
    services: dict[Name, ServiceHolding] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _total_units(self) -> Fleet:
        if self.peak_units > MAX_UNITS:
            raise ValueError(
                f"units held and on order come to {self.peak_units}, more than {MAX_UNITS}"
            )
        return self

    @property
    def units_on_order(self) -> int:
        """Units on order: the sum of the deliveries' units."""
        return sum(d.units for d in self.on_order)

    @property
    def peak_units(self) -> int:
        """Units held plus units on order: the most the fleet holds once all arrive."""
        return self.units + self.units_on_order


class Area(_Entry):
    """A capability area (air defence, long-range fires, ...)."""


class Force(_Entry):
    """The fleets of one operator, grouped into capability areas."""

    operator: Name
    areas: list[Area] = Field(min_length=1)
    fleets: list[Fleet] = Field(min_length=1)
