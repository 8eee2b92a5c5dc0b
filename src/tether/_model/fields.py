"""Field types of the model: identifiers, kinds, and bounded numbers.

Every numeric field has an upper bound far above any real input and low enough that the
quantities the engines derive from it stay finite (docs/format.md lists them). Numbers
are strict: text and booleans are rejected, whole numbers are accepted where a
fractional number is expected.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

from tether._kinds import KINDS

#: Longest horizon accepted, in days (a century).
MAX_HORIZON_DAYS = 36_500

# Upper bounds of the numeric fields. Each lies far above any real input, and low enough
# that every quantity the engines derive from them stays finite in float64 (and counts in
# the Monte Carlo engine's integers); docs/format.md lists them.

#: Longest turnaround, lead time, software cadence, decay or switch-over, in days (a
#: century, as the horizon; the Monte Carlo engine steps through a burn-in of a few).
MAX_DAYS = float(MAX_HORIZON_DAYS)
#: Highest failure rate, failures per operating hour per item (one every six minutes).
MAX_FAILURE_RATE = 10.0
#: Operating hours per unit per day.
MAX_HOURS_PER_DAY = 24.0
#: Most units in one fleet.
MAX_UNITS = 1_000_000
#: Most items of one part installed per unit.
MAX_QUANTITY = 10_000
#: Most spares of one part held by one fleet (stays within 32-bit counts).
MAX_SPARES = 10_000_000
#: Most items a repair depot inducts a day.
MAX_CAPACITY = 1_000_000_000
#: Highest value weight per unit.
MAX_WEIGHT = 1e6
#: Highest cost of one spare, in any currency unit.
MAX_COST = 1e13
#: Most rounds one unit uses a day.
MAX_USE_PER_UNIT_DAY = 1e7
#: Most rounds of one munition held by a fleet, or resupplied to it a day.
MAX_ROUNDS = 1e13
#: Widest lognormal cutoff length (sigma of its logarithm).
MAX_SIGMA = 3.0


#: A YAML 1.2 number in exponent form. The YAML 1.1 reader leaves ``1e-4`` and
#: ``2.5e3`` as text (it wants a dot and a signed exponent); they are numbers.
_EXPONENT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$")


def _number(value: Any) -> Any:
    """Booleans are not numbers (``units: true`` is a mistake, not one unit); exponent
    forms such as ``1e-4`` are. Other text is left for the type check to reject."""
    if isinstance(value, bool):
        raise ValueError("true/false is not a number")
    if isinstance(value, str) and _EXPONENT.match(value.strip()):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    return value


_NUMBER = BeforeValidator(_number)

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
# Numbers: strict (no text, no booleans; whole numbers where a float is expected are fine)
# and finite.
Fraction = Annotated[float, Field(ge=0.0, le=1.0, strict=True, allow_inf_nan=False), _NUMBER]
Days = Annotated[float, Field(gt=0.0, le=MAX_DAYS, strict=True, allow_inf_nan=False), _NUMBER]
DaysOrZero = Annotated[float, Field(ge=0.0, le=MAX_DAYS, strict=True, allow_inf_nan=False), _NUMBER]
Hours = Annotated[
    float, Field(ge=0.0, le=MAX_HOURS_PER_DAY, strict=True, allow_inf_nan=False), _NUMBER
]
UseRate = Annotated[
    float, Field(ge=0.0, le=MAX_USE_PER_UNIT_DAY, strict=True, allow_inf_nan=False), _NUMBER
]
Rounds = Annotated[float, Field(ge=0.0, le=MAX_ROUNDS, strict=True, allow_inf_nan=False), _NUMBER]
Day = Annotated[int, Field(ge=0, le=MAX_HORIZON_DAYS, strict=True), _NUMBER]


def _per_level(value: Any) -> str:
    """Which form a per-level value takes, so that errors name only the form given."""
    return "Levels" if isinstance(value, dict) else "Number"


#: Operating hours: one number, or a mapping tempo level -> number.
HoursByLevel = Annotated[
    Annotated[Hours, Tag("Number")] | Annotated[dict[Name, Hours], Tag("Levels")],
    Discriminator(_per_level),
]
#: Rounds per unit per day: one number, or a mapping tempo level -> number.
UseByLevel = Annotated[
    Annotated[UseRate, Tag("Number")] | Annotated[dict[Name, UseRate], Tag("Levels")],
    Discriminator(_per_level),
]


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
