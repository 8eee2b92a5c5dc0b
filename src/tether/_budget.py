"""Budgets as people write them: ``150e9``, ``150bn``, ``2.5m``, ``1.2k``, ``1,500,000``.

Kept light (no numpy): the command line imports it while parsing options.

>>> parse_budget("150bn")
150000000000.0
>>> parse_budget("2.5m"), parse_budget("1.2k"), parse_budget("150e9")
(2500000.0, 1200.0, 150000000000.0)
"""

from __future__ import annotations

import math
import re

from tether._errors import ArgumentError

__all__ = ["SUFFIXES", "parse_budget"]

#: Suffixes (case-insensitive) and their multipliers.
SUFFIXES: dict[str, float] = {
    "": 1.0,
    "k": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "t": 1e12,
    "tn": 1e12,
}

_PATTERN = re.compile(
    r"^\s*([+-]?[0-9][0-9_,]*\.?[0-9]*(?:e[+-]?[0-9]+)?|[+-]?\.[0-9]+)\s*([a-z]*)\s*$"
)


def parse_budget(text: str | float | int, *, name: str = "budget") -> float:
    """A budget in the catalogue's currency: a number at least 0, with an optional suffix
    ``k`` (thousand), ``m``/``mn`` (million), ``b``/``bn`` (billion), ``t``/``tn`` (trillion).

    Anything else (``abc``, ``-5``, ``nan``, ``1e999``) raises :class:`~tether.ArgumentError`
    naming ``name``.

    >>> parse_budget("-5")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tether._errors.ArgumentError: budget must be a number at least 0 ... not '-5'
    """
    if isinstance(text, bool):
        raise ArgumentError(f"{name} must be a number, not {text!r}")
    if isinstance(text, int | float):
        value = float(text)
    else:
        match = _PATTERN.match(str(text).lower())
        value = math.nan
        if match and match.group(2) in SUFFIXES:
            digits = match.group(1).replace("_", "").replace(",", "")
            try:
                value = float(digits) * SUFFIXES[match.group(2)]
            except ValueError:
                value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ArgumentError(
            f"{name} must be a number at least 0 (such as 150e9, 150bn, 2.5m or 1.2k), not {text!r}"
        )
    return value
