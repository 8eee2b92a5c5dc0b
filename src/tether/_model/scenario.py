"""Scenarios: cutoffs, tempo and random cutoff lengths."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from tether._model.entries import Area, Fleet, Force
from tether._model.fields import (
    _NUMBER,
    MAX_HORIZON_DAYS,
    MAX_SIGMA,
    Day,
    Kind,
    Name,
    _all_kinds,
    _Entry,
    _Strict,
)


class UniformDuration(_Strict):
    """A cutoff length uniform over whole days ``low..high`` (inclusive)."""

    distribution: Literal["uniform"]
    low: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS, strict=True), _NUMBER]
    high: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS, strict=True), _NUMBER]

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
    median: Annotated[
        float, Field(gt=0.0, le=MAX_HORIZON_DAYS, strict=True, allow_inf_nan=False), _NUMBER
    ]
    sigma: Annotated[float, Field(gt=0.0, le=MAX_SIGMA, strict=True, allow_inf_nan=False), _NUMBER]

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


def _schema(schema: dict[str, Any]) -> None:
    """``force`` is required unless ``forces`` is given; never both."""
    schema["required"] = [f for f in schema.get("required", []) if f != "force"]
    schema["not"] = {"required": ["force", "forces"]}


#: Joins the forces of a coalition in the name of their combined force ("a+b").
COALITION_JOIN = "+"
#: ``force`` while a scenario of ``forces`` is validated (replaced by their joined names).
_PENDING = "pending"


class Scenario(_Entry):
    """A force (or several: ``forces``), a horizon, a tempo profile and the cutoffs to play.

    With ``forces: [a, b]`` the scenario plays their combined force, named ``a+b``
    (:func:`combined_force`); ``force`` then holds that name, so code reading
    ``scenario.force`` and ``Document.force(scenario.force)`` sees one force.
    """

    model_config = ConfigDict(**_Entry.model_config, json_schema_extra=_schema)

    force: Name = Field(description="The force played; give this or 'forces'.")
    forces: list[Name] | None = Field(
        None,
        min_length=1,
        description="Several forces played in one run, competing for the same production "
        "lines (instead of 'force'): fleets and areas are named 'force/fleet'.",
    )
    horizon_days: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS, strict=True), _NUMBER]
    start_date: datetime.date = Field(
        datetime.date(2026, 1, 1),
        description="The calendar date of day 0 (YYYY-MM-DD): fleets' deliveries on order "
        "by date count from it.",
    )
    tempo: list[TempoPhase] = Field(
        default_factory=list,
        description="Tempo levels by day; empty means one level named 'default'.",
    )
    cutoffs: list[Cutoff] = Field(default_factory=list)
    thresholds: list[
        Annotated[float, Field(gt=0.0, lt=1.0, strict=True, allow_inf_nan=False), _NUMBER]
    ] = Field(
        default_factory=lambda: [0.75, 0.5],
        description="Fractions of baseline for time-to-survive.",
    )
    recovery_level: Annotated[
        float, Field(gt=0.0, le=1.0, strict=True, allow_inf_nan=False), _NUMBER
    ] = Field(0.99, description="Fraction of baseline that counts as recovered.")

    @field_validator("forces")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        for i, name in enumerate(value or []):
            if name in (value or [])[:i]:
                raise ValueError(f"force '{name}' appears twice in 'forces'")
        return value

    @model_validator(mode="before")
    @classmethod
    def _force_or_forces(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("forces") is not None:
            if "force" in data:
                raise ValueError(
                    "give 'force' (one force) or 'forces' (a list of several), not both"
                )
            data = {**data, "force": _PENDING}  # the combined force's name, set once valid
        return data

    @model_validator(mode="after")
    def _combined_name(self) -> Scenario:
        if self.forces is not None:
            # frozen model: set once, here
            object.__setattr__(self, "force", COALITION_JOIN.join(self.forces))
        return self

    @property
    def members(self) -> list[str]:
        """The forces played: ``forces``, or ``[force]``."""
        return list(self.forces) if self.forces is not None else [self.force]

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


def combined_force(forces: Sequence[Force]) -> Force:
    """One force of several, as a scenario's ``forces:`` plays them (one force: itself).

    Fleets and areas are named ``force/fleet`` and ``force/area``; the force is named
    ``a+b`` with operator ``A+B``. Each fleet keeps its own operator as the buyer of its
    resupplies from production lines (a resupply naming no ``buyer`` gets its force's
    operator), so the forces draw on their own allocations of a shared line.
    """
    if len(forces) == 1:
        return forces[0]
    areas: list[Area] = []
    fleets: list[Fleet] = []
    for f in forces:
        areas += [a.model_copy(update={"name": f"{f.name}/{a.name}"}) for a in f.areas]
        for fleet in f.fleets:
            munitions = {
                m: h.model_copy(
                    update={
                        "resupply": [
                            r.model_copy(update={"buyer": f.operator})
                            if r.product is not None and r.buyer is None
                            else r
                            for r in h.resupply
                        ]
                    }
                )
                for m, h in fleet.munitions.items()
            }
            fleets.append(
                fleet.model_copy(
                    update={
                        "name": f"{f.name}/{fleet.name}",
                        "area": f"{f.name}/{fleet.area}",
                        "munitions": munitions,
                    }
                )
            )
    return Force.model_construct(
        name=COALITION_JOIN.join(f.name for f in forces),
        title=" and ".join(f.title or f.name for f in forces),
        operator=COALITION_JOIN.join(dict.fromkeys(f.operator for f in forces)),
        areas=areas,
        fleets=fleets,
        sources=[s for f in forces for s in f.sources],
        assumed={f"{f.name}/{k}": v for f in forces for k, v in f.assumed.items()},
    )


def scenario_for(name: str, force: str, horizon_days: int) -> Scenario:
    """A scenario without cutoffs named ``name`` (its ``+`` read as ``-``), playing
    ``force``: a force's name, or several joined by ``+`` (their ``forces:``)."""
    if COALITION_JOIN in force:
        return Scenario.model_validate(
            {
                "name": name.replace(COALITION_JOIN, "-"),
                "forces": force.split(COALITION_JOIN),
                "horizon_days": horizon_days,
            }
        )
    return Scenario(name=name, force=force, horizon_days=horizon_days)
