"""The validated model: pydantic objects that mirror the YAML file format field by field.

See ``docs/format.md`` for the format in prose. Cross-references between entries (a
fleet naming its system type, a part naming its supplier, ...) are checked by
:mod:`tether._refs` once every entry is valid on its own.

The package has three parts: :mod:`~tether._model.fields` (identifiers and bounded
numbers), :mod:`~tether._model.entries` (jurisdictions, suppliers, system types, forces)
and :mod:`~tether._model.scenario` (scenarios, cutoffs and the whole :class:`Document`).
"""

from __future__ import annotations

from tether._kinds import KINDS
from tether._model.entries import (
    Area,
    Control,
    Decay,
    DomesticRepair,
    Fleet,
    Force,
    Jurisdiction,
    MunitionHolding,
    MunitionType,
    NewBuy,
    Part,
    Resupply,
    ServiceAlternative,
    ServiceHolding,
    ServiceType,
    SoftwareHolding,
    SoftwareItem,
    Supplier,
    SupplierRepair,
    SystemType,
)
from tether._model.fields import (
    MAX_CAPACITY,
    MAX_COST,
    MAX_DAYS,
    MAX_FAILURE_RATE,
    MAX_HORIZON_DAYS,
    MAX_HOURS_PER_DAY,
    MAX_QUANTITY,
    MAX_ROUNDS,
    MAX_SIGMA,
    MAX_SPARES,
    MAX_UNITS,
    MAX_USE_PER_UNIT_DAY,
    MAX_WEIGHT,
    Kind,
    Name,
    expand_kinds,
)
from tether._model.scenario import (
    SECTIONS,
    Cutoff,
    Document,
    LognormalDuration,
    Scenario,
    TempoPhase,
    UniformDuration,
)

__all__ = [
    "KINDS",
    "MAX_CAPACITY",
    "MAX_COST",
    "MAX_DAYS",
    "MAX_FAILURE_RATE",
    "MAX_HORIZON_DAYS",
    "MAX_HOURS_PER_DAY",
    "MAX_QUANTITY",
    "MAX_ROUNDS",
    "MAX_SIGMA",
    "MAX_SPARES",
    "MAX_UNITS",
    "MAX_USE_PER_UNIT_DAY",
    "MAX_WEIGHT",
    "SECTIONS",
    "Area",
    "Control",
    "Cutoff",
    "Decay",
    "Document",
    "DomesticRepair",
    "Fleet",
    "Force",
    "Jurisdiction",
    "Kind",
    "LognormalDuration",
    "MunitionHolding",
    "MunitionType",
    "Name",
    "NewBuy",
    "Part",
    "Resupply",
    "Scenario",
    "ServiceAlternative",
    "ServiceHolding",
    "ServiceType",
    "SoftwareHolding",
    "SoftwareItem",
    "Supplier",
    "SupplierRepair",
    "SystemType",
    "TempoPhase",
    "UniformDuration",
    "expand_kinds",
]
