"""Scenarios: cutoffs, tempo and random cutoff lengths."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

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


class Scenario(_Entry):
    """A force, a horizon, a tempo profile and the cutoffs to play."""

    force: Name
    horizon_days: Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS, strict=True), _NUMBER]
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
