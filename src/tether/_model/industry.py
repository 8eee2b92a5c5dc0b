"""The ``industry:`` section: production networks (products, bills of materials, sites).

Each entry of ``industry:`` is one named network. Its products carry a bill of materials
(component -> units per unit), demand per period by buyer and the rule that splits a
shared line's output among buyers; its sites are suppliers (so a jurisdiction and control
edges) with a capacity per period for each product they make, a ramp of announced
expansions and stock on hand. Cross-references (a site's supplier, a component, a product
nobody makes, a cycle in the bills of materials) are checked by
:func:`tether._checks_industry.check_network`, with file, line and column.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from tether._model.fields import _NUMBER, MAX_HORIZON_DAYS, MAX_ROUNDS, Name, _Entry, _Strict

__all__ = [
    "MAX_BOM_QUANTITY",
    "Allocation",
    "IndustryNetwork",
    "Line",
    "Product",
    "ProductKind",
    "RampStep",
    "Site",
]

#: Most units of one component in one unit of a product.
MAX_BOM_QUANTITY = 1e6

ProductKind = Literal["munition", "spare_part", "platform", "component", "material"]
Units = Annotated[float, Field(ge=0.0, le=MAX_ROUNDS, strict=True, allow_inf_nan=False), _NUMBER]
PerUnit = Annotated[
    float, Field(gt=0.0, le=MAX_BOM_QUANTITY, strict=True, allow_inf_nan=False), _NUMBER
]
Value = Annotated[float, Field(ge=0.0, le=1e13, strict=True, allow_inf_nan=False), _NUMBER]
RampDay = Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS, strict=True), _NUMBER]


class Allocation(_Strict):
    """How a product's output is split among its buyers when it falls short.

    ``pro_rata``: in proportion to each buyer's demand. ``priority``: buyers in ``order``
    are served in full one after the other (buyers not named come last, pro rata).
    ``shares``: fixed shares (weights, normalised); a buyer's share beyond its demand goes
    to the others in proportion to their shares.
    """

    rule: Literal["pro_rata", "priority", "shares"] = "pro_rata"
    order: list[Name] = Field(default_factory=list, description="Buyers, first served first.")
    shares: dict[Name, Value] = Field(default_factory=dict, description="Buyer -> weight.")

    @model_validator(mode="after")
    def _complete(self) -> Allocation:
        if self.rule == "priority" and not self.order:
            raise ValueError("rule 'priority' needs an 'order' of buyers")
        if self.rule == "shares" and not any(v > 0 for v in self.shares.values()):
            raise ValueError("rule 'shares' needs 'shares' with a positive weight")
        if len(set(self.order)) != len(self.order):
            raise ValueError("a buyer appears twice in 'order'")
        return self


class Product(_Strict):
    """Something made: a munition, spare part, platform, component or material."""

    name: Name
    title: str | None = None
    kind: ProductKind = Field(description="munition, spare_part, platform, component, material.")
    unit_value: Value = Field(
        1.0, description="Value of one unit (for value lost); 1 counts units."
    )
    bom: dict[Name, PerUnit] = Field(
        default_factory=dict, description="Bill of materials: component -> units per unit."
    )
    demand: dict[Name, Units] = Field(
        default_factory=dict, description="Buyer -> units wanted per period."
    )
    allocation: Allocation = Field(default_factory=Allocation)


class RampStep(_Strict):
    """From ``day`` on, the line's capacity is ``capacity`` per period."""

    day: RampDay
    capacity: Units


class Line(_Strict):
    """A site's capacity for one product, per period, with announced expansions."""

    capacity: Units = Field(description="Units per period from day 0.")
    ramp: list[RampStep] = Field(default_factory=list)

    @field_validator("ramp")
    @classmethod
    def _increasing(cls, value: list[RampStep]) -> list[RampStep]:
        if any(b.day <= a.day for a, b in pairwise(value)):
            raise ValueError("ramp steps must be in increasing order of day")
        return value

    def capacity_on(self, day: int) -> float:
        """Capacity per period on ``day`` (the last ramp step at or before it)."""
        out = self.capacity
        for step in self.ramp:
            if step.day <= day:
                out = step.capacity
        return out


class Site(_Strict):
    """A production site: a supplier (so a jurisdiction and control edges), its lines and
    its stock of components and finished goods."""

    name: Name
    title: str | None = None
    supplier: Name = Field(description="The supplier (company or plant) that runs the site.")
    makes: dict[Name, Line] = Field(
        default_factory=dict, description="Product -> capacity per period (and ramp)."
    )
    stock: dict[Name, Units] = Field(default_factory=dict, description="Product -> units held.")


class IndustryNetwork(_Entry):
    """A production network: products with bills of materials, and the sites making them."""

    period_days: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS, strict=True), _NUMBER] = Field(
        365, description="Days in the period that capacities and demand are given per."
    )
    horizon_days: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS, strict=True), _NUMBER] = Field(
        730, description="Longest time-to-survive reported (longer counts as this)."
    )
    products: list[Product] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
