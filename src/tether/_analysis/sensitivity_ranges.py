"""Ranges of a sensitivity analysis from a file.

A ranges file (YAML) holds ``ranges:``, optionally inside a ``sensitivity:`` section,
and may set the default factors::

    sensitivity:
      factors: [0.5, 2]                    # every assumed parameter's default range
      ranges:
        systems[f-35a].parts[avionics-lru].failure_rate: {low: 0.0005, high: 0.003}
        forces[european-nato].fleets[f-16].hours_per_day: {factors: [0.8, 1.5]}

Each key is a field path (the sweep's syntax); ``low``/``high`` are values of the field,
``factors`` multiples of its current value. An entry overrides that parameter's default
range, or adds a numeric field that no ``assumed:`` mark covers. Every problem (an
unknown path, a field that is not a number, low above high, a value outside what the
field accepts) is reported with its place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tether._errors import Diagnostic, InputError
from tether._sweep.spec import get_path, is_number, parse_path
from tether._yaml import LDict, LList, Mark, read_yaml

__all__ = ["Ranges", "field_bounds", "load_ranges"]

#: A parameter's range: field values ``(low, high)``.
Ranges = dict[str, tuple[float, float]]


def field_bounds(document: Any, path: str) -> tuple[float | None, bool, float | None, bool]:
    """What the field at ``path`` accepts, from its model: ``(low, low_inclusive, high,
    high_inclusive)``; ``None`` where unbounded."""
    from annotated_types import Ge, Gt, Le, Lt
    from pydantic import BaseModel

    steps = parse_path(path)
    parent_path = ".".join(
        f"{n}[{k}]" if k is not None else n for n, k in steps[:-1]
    )  # the model holding the leaf
    parent = get_path(document, parent_path) if parent_path else document
    name, key = steps[-1]
    lo: float | None = None
    hi: float | None = None
    lo_in = hi_in = True
    if key is None and isinstance(parent, BaseModel):
        info = type(parent).model_fields.get(name)
        for m in info.metadata if info is not None else ():
            if isinstance(m, Ge):
                lo, lo_in = float(m.ge), True  # type: ignore[arg-type]
            elif isinstance(m, Gt):
                lo, lo_in = float(m.gt), False  # type: ignore[arg-type]
            elif isinstance(m, Le):
                hi, hi_in = float(m.le), True  # type: ignore[arg-type]
            elif isinstance(m, Lt):
                hi, hi_in = float(m.lt), False  # type: ignore[arg-type]
    return lo, lo_in, hi, hi_in


def _outside(v: float, b: tuple[float | None, bool, float | None, bool]) -> str | None:
    lo, lo_in, hi, hi_in = b
    if lo is not None and (v < lo or (v == lo and not lo_in)):
        return f"{v:g} is below what the field accepts ({'>=' if lo_in else '>'} {lo:g})"
    if hi is not None and (v > hi or (v == hi and not hi_in)):
        return f"{v:g} is above what the field accepts ({'<=' if hi_in else '<'} {hi:g})"
    return None


def _pair(raw: Any) -> tuple[float, float] | None:
    if isinstance(raw, LList) and len(raw) == 2 and all(is_number(x) for x in raw):
        return float(raw[0]), float(raw[1])
    return None


def _entry(
    document: Any, path: str, raw: Any, mark: Mark, problems: list[Diagnostic]
) -> tuple[float, float] | None:
    where = f"ranges.{path}"

    def bad(m: Mark, message: str) -> None:
        problems.append(m.diagnostic(where, message))

    try:
        current = get_path(document, path)
    except (KeyError, ValueError) as exc:
        bad(mark, f"no field at this path: {exc.args[0] if exc.args else exc}")
        return None
    if not is_number(current):
        bad(mark, f"the field holds {current!r}, not a number")
        return None
    if not isinstance(raw, LDict):
        bad(mark, "a range is {low:, high:} or {factors: [low, high]}")
        return None
    unknown = sorted(set(raw) - {"low", "high", "factors"})
    if unknown:
        bad(raw.key_marks[unknown[0]], f"unknown key '{unknown[0]}' in a range")
        return None
    if "factors" in raw:
        if "low" in raw or "high" in raw:
            bad(raw.mark, "give either low/high or factors, not both")
            return None
        f = _pair(raw["factors"])
        if f is None:
            bad(raw.where("factors"), "factors must be a list of two numbers [low, high]")
            return None
        if f[0] <= 0:
            bad(raw.where("factors"), f"factors must be above 0, not {f[0]:g}")
            return None
        lo, hi, m = float(current) * f[0], float(current) * f[1], raw.where("factors")
    else:
        if not (is_number(raw.get("low")) and is_number(raw.get("high"))):
            bad(raw.mark, "a range needs numbers 'low' and 'high' (or 'factors')")
            return None
        lo, hi, m = float(raw["low"]), float(raw["high"]), raw.where("high")
    if not lo < hi:
        bad(m, f"an empty range: low {lo:g} is not below high {hi:g}")
        return None
    if lo <= 0:
        bad(m, f"low must be above 0 (ranges are sampled on a log scale), not {lo:g}")
        return None
    if current == 0:
        bad(mark, "the field is 0 here: its range cannot be taken relative to it")
        return None
    bounds = field_bounds(document, path)
    for v in (lo, hi):
        why = _outside(v, bounds)
        if why is not None:
            bad(m, why)
            return None
    return lo, hi


def load_ranges(path: str | Path, document: Any) -> tuple[Ranges, tuple[float, float] | None]:
    """The ranges of a ranges file, checked against ``document``, and its default factors
    (``None`` when the file sets none). :class:`~tether.InputError` lists every problem."""
    path = Path(path)
    root = read_yaml(path)
    file = str(path)
    top_mark = Mark(file, 1, 1)
    problems: list[Diagnostic] = []
    if isinstance(root, LDict) and "sensitivity" in root:
        unknown = sorted(set(root) - {"sensitivity"})
        if unknown:
            m = root.key_marks[unknown[0]]
            problems.append(Diagnostic(file, m.line, m.column, unknown[0], "unknown section"))
        root = root["sensitivity"]
    if not isinstance(root, LDict):
        raise InputError([Diagnostic(file, 1, 1, "ranges", "the file needs a 'ranges:' mapping")])
    unknown = sorted(set(root) - {"ranges", "factors"})
    if unknown:
        m = root.key_marks[unknown[0]]
        problems.append(Diagnostic(file, m.line, m.column, unknown[0], "unknown key"))
    factors = None
    if "factors" in root:
        f = _pair(root["factors"])
        m = root.where("factors")
        if f is None or not 0 < f[0] < f[1]:
            problems.append(
                Diagnostic(
                    file, m.line, m.column, "factors", "factors must be [low, high], 0 < low < high"
                )
            )
        else:
            factors = f
    raw = root.get("ranges")
    out: Ranges = {}
    if raw is None:
        raw = LDict(top_mark)
    if not isinstance(raw, LDict):
        m = root.where("ranges")
        problems.append(
            Diagnostic(file, m.line, m.column, "ranges", "ranges must map field paths to ranges")
        )
        raw = LDict(top_mark)
    for key, value in raw.items():
        got = _entry(document, str(key), value, raw.key_marks[key], problems)
        if got is not None:
            out[str(key)] = got
    if problems:
        raise InputError(problems)
    return out, factors
