"""The validated model: pydantic objects that mirror the YAML file format field by field.

See ``docs/format.md`` for the format in prose. Cross-references between entries (a
fleet naming its system type, a part naming its supplier, ...) are checked by
:mod:`tether._refs` once every entry is valid on its own.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from tether._kinds import KINDS

__all__ = [
    "KINDS",
    "Area",
    "Control",
    "Cutoff",
    "Decay",
    "Document",
    "DomesticRepair",
    "Fleet",
    "Force",
    "Jurisdiction",
    "MunitionHolding",
    "MunitionType",
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
]


#: Longest horizon accepted, in days (a century).
MAX_HORIZON_DAYS = 36_500

Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        description="An identifier: letters, digits, '_', '.', '-'; starts with a letter or digit.",
    ),
]
Kind = Literal["spares", "repair", "software", "munitions", "services", "all"]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Day = Annotated[int, Field(ge=0, le=MAX_HORIZON_DAYS)]


def _all_kinds() -> list[Kind]:
    return ["all"]


def expand_kinds(kinds: list[str]) -> tuple[str, ...]:
    """The concrete kinds named by a kinds list (``all`` stands for every kind)."""
    if "all" in kinds:
        return KINDS
    return tuple(k for k in KINDS if k in kinds)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Entry(_Strict):
    """Fields every named entry has: identity and provenance."""

    name: Name
    title: str | None = Field(None, description="A human-readable name.")
    notes: str | None = Field(None, description="Free text.")
    sources: list[str] = Field(
        default_factory=list, description="Public sources (addresses) for this entry's facts."
    )
    assumed: dict[str, str] = Field(
        default_factory=dict,
        description="Fields no source gives, each with a one-line reason for the value chosen. "
        "Keys are field paths (list items by name), e.g. 'parts.engine.failure_rate'; "
        "a path covers everything below it.",
    )
    cited: dict[str, str] = Field(
        default_factory=dict,
        description="Fields whose value a source gives: field path -> the source's address.",
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
    int | None,
    Field(
        None,
        ge=1,
        description="Most items inducted into repair per day (Monte Carlo engine only); "
        "none means unlimited.",
    ),
]


class DomesticRepair(_Strict):
    """Repair at the operator's own depot (needs the technical data: ``data_rights``)."""

    share: Fraction = Field(description="Share of repairable failures repaired domestically.")
    turnaround_days: Positive
    capacity_per_day: Capacity = None


class SupplierRepair(_Strict):
    """Repair at the supplier's depot."""

    supplier: Name
    turnaround_days: Positive
    capacity_per_day: Capacity = None


class NewBuy(_Strict):
    """Replacement of condemned items by a new buy."""

    supplier: Name
    lead_time_days: Positive


class Part(_Entry):
    """A line-replaceable unit of a system type."""

    quantity: int = Field(1, ge=1, le=10_000, description="Installed per unit of the system.")
    failure_rate: NonNegative = Field(description="Failures per operating hour, per item.")
    unit_cost: NonNegative = 0.0
    condemnation: Fraction = Field(0.0, description="Share of failures that are not repairable.")
    data_rights: bool = Field(False, description="The operator holds the data to repair it.")
    domestic_repair: DomesticRepair | None = None
    supplier_repair: SupplierRepair | None = None
    new_buy: NewBuy | None = None

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

    grace_days: NonNegative
    decline_days: NonNegative = 0.0
    floor: Fraction = 0.0


class SoftwareItem(_Entry):
    """Software or mission data that the supplier updates on a cadence.

    The decay curve is measured against normal service, in which the next update
    arrives before the current one starts to degrade: ``decay.grace_days`` must be at
    least ``cadence_days``. While a cutoff lasts no update arrives; when it ends, the
    supplier delivers the latest update at once.
    """

    supplier: Name
    cadence_days: Positive
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
    use_per_unit_day: NonNegative | dict[Name, NonNegative] = Field(
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
    """A contracted resupply rate of one munition."""

    per_day: NonNegative
    supplier: Name | None = Field(None, description="Defaults to the munition's supplier.")


class MunitionHolding(_Strict):
    stock: NonNegative = 0.0
    resupply: list[Resupply] = Field(default_factory=list)


class SoftwareHolding(_Strict):
    last_update_day: int | None = Field(
        None,
        le=0,
        ge=-MAX_HORIZON_DAYS,
        description="Day of the last update (<= 0) when known; unknown means uniform phase.",
    )


class ServiceAlternative(_Strict):
    supplier: Name
    switch_days: NonNegative = Field(0.0, description="Days to switch over once withheld.")
    factor: Fraction = Field(1.0, description="Capability factor while on the alternative.")


class ServiceHolding(_Strict):
    alternative: ServiceAlternative | None = None


class Fleet(_Entry):
    """A holding of one system type by the force's operator."""

    system: Name
    area: Name
    units: int = Field(ge=1, le=1_000_000)
    weight: Positive = Field(1.0, description="Value weight per unit within its area.")
    hours_per_day: NonNegative | dict[Name, NonNegative] = Field(
        description="Operating hours per unit per day: one number, or one per tempo level."
    )
    tempo_basis: Literal["fleet", "available"] = Field(
        "fleet",
        description="'fleet': every unit operates (METRIC); 'available': only available units.",
    )
    spares: dict[Name, Annotated[int, Field(ge=0, le=10_000_000)]] = Field(default_factory=dict)
    munitions: dict[Name, MunitionHolding] = Field(default_factory=dict)
    software: dict[Name, SoftwareHolding] = Field(default_factory=dict)
    services: dict[Name, ServiceHolding] = Field(default_factory=dict)


class Area(_Entry):
    """A capability area (air defence, long-range fires, ...)."""


class Force(_Entry):
    """The fleets of one operator, grouped into capability areas."""

    operator: Name
    areas: list[Area] = Field(min_length=1)
    fleets: list[Fleet] = Field(min_length=1)


class UniformDuration(_Strict):
    """A cutoff length uniform over whole days ``low..high`` (inclusive)."""

    distribution: Literal["uniform"]
    low: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS)]
    high: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS)]

    @model_validator(mode="after")
    def _order(self) -> UniformDuration:
        if self.high < self.low:
            raise ValueError("high must be at least low")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2


class LognormalDuration(_Strict):
    """A lognormal cutoff length in days (rounded to whole days, at least 1)."""

    distribution: Literal["lognormal"]
    median: Annotated[float, Field(gt=0.0, le=MAX_HORIZON_DAYS)]
    sigma: Annotated[float, Field(gt=0.0, le=5.0)]

    def mean(self) -> float:
        return float(self.median * math.exp(self.sigma**2 / 2))


Duration = Annotated[UniformDuration | LognormalDuration, Field(discriminator="distribution")]


class Cutoff(_Strict):
    """A withholding of support by a jurisdiction or a supplier."""

    jurisdiction: Name | None = None
    supplier: Name | None = None
    kinds: list[Kind] = Field(default_factory=_all_kinds, min_length=1)
    start_day: Day = 0
    end_day: Day | None = Field(None, description="Support resumes on this day; none: never.")
    duration_days: Duration | None = Field(
        None,
        description="A random length instead of end_day, sampled by the Monte Carlo engine; "
        "the analytic engine uses its mean.",
    )
    title: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Cutoff:
        if (self.jurisdiction is None) == (self.supplier is None):
            raise ValueError("give exactly one of 'jurisdiction' or 'supplier'")
        if self.end_day is not None and self.end_day <= self.start_day:
            raise ValueError("end_day must be after start_day")
        if self.end_day is not None and self.duration_days is not None:
            raise ValueError("give end_day or duration_days, not both")
        return self

    def expected_end(self) -> int | None:
        """The end day, or for a random length the start plus its mean (whole days)."""
        if self.duration_days is not None:
            return self.start_day + max(1, round(self.duration_days.mean()))
        return self.end_day

    @property
    def target(self) -> str:
        return self.jurisdiction if self.jurisdiction is not None else str(self.supplier)


class TempoPhase(_Strict):
    start_day: Day
    level: Name


class Scenario(_Entry):
    """A force, a horizon, a tempo profile and the cutoffs to play."""

    force: Name
    horizon_days: int = Field(ge=1, le=MAX_HORIZON_DAYS)
    tempo: list[TempoPhase] = Field(
        default_factory=list,
        description="Tempo levels by day; empty means one level named 'default'.",
    )
    cutoffs: list[Cutoff] = Field(default_factory=list)
    thresholds: list[Annotated[float, Field(gt=0.0, lt=1.0)]] = Field(
        default_factory=lambda: [0.75, 0.5],
        description="Fractions of baseline for time-to-survive.",
    )
    recovery_level: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.99, description="Fraction of baseline that counts as recovered."
    )

    @field_validator("tempo")
    @classmethod
    def _tempo_order(cls, value: list[TempoPhase]) -> list[TempoPhase]:
        if value:
            if value[0].start_day != 0:
                raise ValueError("the first tempo phase must start on day 0")
            days = [p.start_day for p in value]
            if any(b <= a for a, b in pairwise(days)):
                raise ValueError("tempo phases must be in increasing order of start_day")
        return value

    def levels(self) -> list[str]:
        return [p.level for p in self.tempo] or ["default"]


class Document(_Strict):
    """A whole file (or a catalogue merged with a file): every section is a list."""

    jurisdictions: list[Jurisdiction] = Field(default_factory=list)
    suppliers: list[Supplier] = Field(default_factory=list)
    systems: list[SystemType] = Field(default_factory=list)
    forces: list[Force] = Field(default_factory=list)
    scenarios: list[Scenario] = Field(default_factory=list)

    _source: Any = PrivateAttr(default=None)
    _file: str = PrivateAttr(default="<memory>")

    @property
    def file(self) -> str:
        """The file this document was loaded from."""
        return self._file

    def _get(self, section: str, name: str) -> Any:
        entry: Any
        for entry in getattr(self, section):
            if entry.name == name:
                return entry
        names = ", ".join(e.name for e in getattr(self, section)) or "none"
        raise KeyError(f"no {section[:-1]} named '{name}' (have: {names})")

    def scenario(self, name: str | None = None) -> Scenario:
        """The scenario called ``name``; without a name, the file's only or first scenario."""
        if name is None:
            if not self.scenarios:
                raise KeyError("the document has no scenarios")
            return self.scenarios[-1] if len(self.scenarios) == 1 else self._first_own()
        found: Scenario = self._get("scenarios", name)
        return found

    def _first_own(self) -> Scenario:
        own = [s for s in self.scenarios if self._is_own("scenarios", s.name)]
        return own[0] if own else self.scenarios[0]

    def _is_own(self, section: str, name: str) -> bool:
        if self._source is None:
            return True
        mark, _ = self._source.where(section, name)
        return mark is not None and mark.file == self._file

    def own_scenarios(self) -> list[Scenario]:
        """The scenarios defined in the loaded file itself (not the catalogue's)."""
        return [s for s in self.scenarios if self._is_own("scenarios", s.name)]

    def own_entries(self, section: str) -> list[Any]:
        """The entries of ``section`` defined (or overridden) in the loaded file itself."""
        return [e for e in getattr(self, section) if self._is_own(section, e.name)]

    def force(self, name: str) -> Force:
        found: Force = self._get("forces", name)
        return found

    def system(self, name: str) -> SystemType:
        found: SystemType = self._get("systems", name)
        return found

    def supplier(self, name: str) -> Supplier:
        found: Supplier = self._get("suppliers", name)
        return found


#: Section name -> entry model, in the order references flow.
SECTIONS: dict[str, type[_Entry]] = {
    "jurisdictions": Jurisdiction,
    "suppliers": Supplier,
    "systems": SystemType,
    "forces": Force,
    "scenarios": Scenario,
}
