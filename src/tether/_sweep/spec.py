"""The sweep file: a base (document, force, scenario) and axes to vary, and its design.

A sweep file is YAML read with tether's own loader (so every problem is located)::

    sweep:
      file: single-fleet.yaml        # relative to the sweep file; omitted: the catalogue only
      force: demo
      scenario: us-pause-90          # omitted: no cutoffs, horizon_days below
      design: cartesian              # or latin-hypercube, sobol (then samples:, seed:)
      chunk_size: 50
    axes:
      jurisdiction: [US, DE]
      kinds: [all, spares]
      start_day: {from: 0, to: 180, step: 30}
      duration_days: [30, 90]
      tempo: [default]
      portfolio: [[], [spares]]      # option names of the document's options:
      seeds: {count: 3}              # engine: montecarlo only; crossed with the design
      systems[launcher-x].parts[engine].failure_rate: {from: 0.0002, to: 0.0008, count: 4}

Cutoff axes (``jurisdiction``, ``supplier``, ``kinds``, ``start_day``, ``duration_days``)
replace the scenario's cutoffs by one cutoff; they only change a plan's cutoff sets, so
scenarios differing only there share one batched plan. ``tempo`` and field paths change
the plan itself, as does ``portfolio``; ``seeds`` (Monte Carlo) only the random stream.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tether._errors import ArgumentError, Diagnostic, InputError
from tether._kinds import KINDS
from tether._model import Document
from tether._sweep.special import ENGINES, check_portfolio, parse_portfolios, parse_seeds
from tether._yaml import LDict, LList, Mark, read_yaml

__all__ = [
    "CUTOFF_AXES",
    "Axis",
    "SweepSpec",
    "load_sweep",
    "parse_path",
]

CUTOFF_AXES = ("jurisdiction", "supplier", "kinds", "start_day", "duration_days")
NAMED_AXES = (*CUTOFF_AXES, "tempo", "portfolio", "seeds")
DESIGNS = ("cartesian", "latin-hypercube", "sobol")
_INT_AXES = ("start_day", "duration_days")
_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]+)\])?$")


@dataclass(frozen=True, slots=True)
class Axis:
    """One axis: a name (a named axis or a field path) and its values.

    ``values`` lists the values of a list axis or of a stepped range; ``low``/``high``
    bound a continuous range (sampled designs only; ``values`` is then empty).
    """

    name: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False

    @property
    def is_cutoff(self) -> bool:
        return self.name in CUTOFF_AXES

    def at(self, u: float) -> Any:
        """The value at ``u`` in ``[0, 1)`` of a sampled design."""
        if self.values:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        assert self.low is not None
        assert self.high is not None
        x = self.low + u * (self.high - self.low)
        return round(x) if self.integer else float(x)


@dataclass(slots=True)
class SweepSpec:
    """A loaded sweep: the base document, the axes and the design's points."""

    file: str
    document: Document
    force: str
    scenario: Any  # tether._model.Scenario
    axes: tuple[Axis, ...]
    points: list[dict[str, Any]]
    chunk_size: int
    design: str
    digest: str = ""
    field_types: dict[str, type] = field(default_factory=dict)
    engine: str = "analytic"
    replications: int = 200
    seed: int = 0
    daily: bool = False
    portfolio: tuple[str, ...] = ()


def parse_path(path: str) -> list[tuple[str, str | None]]:
    """``systems[f-35a].parts[radar].failure_rate`` as ``[(name, key), ...]``."""
    out: list[tuple[str, str | None]] = []
    for part in path.split("."):
        m = _TOKEN.match(part)
        if m is None:
            raise ValueError(f"'{part}' is not a field name or name[key]")
        out.append((m.group(1), m.group(2)))
    return out


def get_path(doc: Any, path: str) -> Any:
    """The value at a field path of the document; :class:`KeyError` when there is none."""
    obj: Any = doc
    for name, key in parse_path(path):
        obj = obj[name] if isinstance(obj, dict) else getattr(obj, name, _MISSING)
        if obj is _MISSING or obj is None:
            raise KeyError(f"no field '{name}'")
        if key is not None:
            obj = _item(obj, key)
    return obj


_MISSING = object()


def _item(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        if key not in container:
            raise KeyError(f"no '{key}' (have: {', '.join(map(str, container)) or 'none'})")
        return container[key]
    if isinstance(container, list):
        for item in container:
            if getattr(item, "name", None) == key:
                return item
        names = ", ".join(str(getattr(i, "name", "?")) for i in container) or "none"
        raise KeyError(f"no '{key}' (have: {names})")
    raise KeyError(f"'{key}' indexes something that is not a list or mapping")


def set_path(obj: Any, steps: list[tuple[str, str | None]], value: Any) -> Any:
    """A copy of ``obj`` with the field at ``steps`` set, copying only along the path."""
    name, key = steps[0]
    rest = steps[1:]
    current = obj[name] if isinstance(obj, dict) else getattr(obj, name)
    if key is None:
        new = value if not rest else set_path(current, rest, value)
    elif isinstance(current, dict):
        inner = current[key]
        new = {**current, key: value if not rest else set_path(inner, rest, value)}
    else:
        new = [
            (set_path(i, rest, value) if rest else value) if getattr(i, "name", None) == key else i
            for i in current
        ]
    if isinstance(obj, dict):
        return {**obj, name: new}
    return obj.model_copy(update={name: new})


def is_number(v: Any) -> bool:
    """Whether a parsed YAML value is a number (an int or a float, not a bool)."""
    return isinstance(v, int | float) and not isinstance(v, bool)


def _axis(name: str, raw: Any, mark: Mark, sampled: bool, problems: list[Diagnostic]) -> Axis:
    where = f"axes.{name}"
    integer = name in _INT_AXES
    if isinstance(raw, LList):
        if not raw:
            problems.append(mark.diagnostic(where, "an empty list of values"))
        return Axis(name, tuple(raw), integer=integer)
    if isinstance(raw, LDict):
        unknown = sorted(set(raw) - {"from", "to", "step", "count"})
        if unknown:
            problems.append(raw.mark.diagnostic(where, f"unknown key '{unknown[0]}' in a range"))
            return Axis(name, ())
        lo: Any = raw.get("from")
        hi: Any = raw.get("to")
        if not (is_number(lo) and is_number(hi)):
            problems.append(raw.mark.diagnostic(where, "a range needs numbers 'from' and 'to'"))
            return Axis(name, ())
        if hi < lo:
            problems.append(raw.mark.diagnostic(where, f"an empty range: 'to' {hi} < 'from' {lo}"))
            return Axis(name, ())
        if "step" in raw:
            step = raw["step"]
            if not is_number(step) or step <= 0:
                problems.append(raw.where("step").diagnostic(where, "'step' must be above 0"))
                return Axis(name, ())
            n = int(np.floor((hi - lo) / step + 1e-9)) + 1
            vals = [lo + i * step for i in range(n)]
        elif "count" in raw:
            n = raw["count"]
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                problems.append(raw.where("count").diagnostic(where, "'count' must be at least 1"))
                return Axis(name, ())
            vals = list(np.linspace(lo, hi, n)) if n > 1 else [lo]
        elif sampled:
            return Axis(name, (), float(lo), float(hi), integer)
        else:
            problems.append(
                raw.mark.diagnostic(where, "a cartesian design needs 'step' or 'count' in a range")
            )
            return Axis(name, ())
        if integer or all(isinstance(x, int) for x in (lo, hi, raw.get("step", 1))):
            vals = [round(float(v)) for v in vals]
        else:
            vals = [float(v) for v in vals]
        return Axis(name, tuple(dict.fromkeys(vals)), integer=integer)
    problems.append(mark.diagnostic(where, "values must be a list or a range {from:, to:}"))
    return Axis(name, ())


def _check_values(
    axis: Axis, doc: Document, mark: Mark, types: dict[str, type], problems: list[Diagnostic]
) -> None:
    where = f"axes.{axis.name}"
    name = axis.name
    if name in ("jurisdiction", "supplier"):
        known = {e.name for e in getattr(doc, name + "s")}
        for v in axis.values:
            if v not in known:
                problems.append(mark.diagnostic(where, f"no {name} named '{v}'"))
    elif name == "kinds":
        for v in axis.values:
            vs = v if isinstance(v, list) else [v]
            bad = [k for k in vs if k not in (*KINDS, "all")]
            if bad:
                problems.append(
                    mark.diagnostic(where, f"'{bad[0]}' is not a kind ({', '.join(KINDS)}, all)")
                )
    elif name in ("start_day", "duration_days", "tempo"):
        want = str if name == "tempo" else int
        for v in axis.values:
            if (
                not isinstance(v, want)
                or isinstance(v, bool)
                or (isinstance(v, int) and v < int(name == "duration_days"))
            ):
                problems.append(mark.diagnostic(where, f"{v!r} is not a valid {name}"))
    else:
        try:
            current = get_path(doc, name)
        except (KeyError, ValueError) as exc:
            msg = str(exc.args[0]) if exc.args else str(exc)
            problems.append(mark.diagnostic(where, f"no field at this path: {msg}"))
            return
        if not is_number(current):
            problems.append(mark.diagnostic(where, f"the field holds {current!r}, not a number"))
            return
        types[name] = type(current)
        for v in axis.values:
            if not is_number(v):
                problems.append(mark.diagnostic(where, f"{v!r} is not a number"))


def _design(axes: tuple[Axis, ...], design: str, samples: int, seed: int) -> list[dict[str, Any]]:
    seeds = [a for a in axes if a.name == "seeds"]
    if seeds:  # crossed with the design, never sampled
        rest = tuple(a for a in axes if a.name != "seeds")
        base = _design(rest, design, samples, seed) if rest else [{}]
        return [{**p, "seeds": v} for p in base for v in seeds[0].values]
    if design == "cartesian":
        return [
            dict(zip([a.name for a in axes], combo, strict=True))
            for combo in itertools.product(*(a.values for a in axes))
        ]
    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    d = len(axes)
    if design == "sobol":
        u = qmc.Sobol(d, scramble=True, seed=rng).random_base2(int(np.log2(samples)))
    else:
        u = qmc.LatinHypercube(d, seed=rng).random(samples)
    return [{a.name: a.at(float(row[j])) for j, a in enumerate(axes)} for row in u]


def _get(top: LDict, key: str, kind: type | tuple[type, ...], problems: list[Diagnostic]) -> Any:
    v = top.get(key)
    if v is not None and (not isinstance(v, kind) or isinstance(v, bool)):
        problems.append(
            top.where(key).diagnostic(
                f"sweep.{key}", f"must be a {getattr(kind, '__name__', kind)}"
            )
        )
        return None
    return v


def load_sweep(
    path: str | Path,
    catalogue: list[str] | None = None,
    *,
    builtin: bool = True,
    engine: str | None = None,
    replications: int | None = None,
    daily: bool | None = None,
) -> SweepSpec:
    """Read a sweep file; every problem is an :class:`InputError` with its place.

    ``engine``, ``replications`` and ``daily`` override the file's (the CLI's flags)."""
    from tether._loader import load, load_text
    from tether._model.scenario import scenario_for

    if engine is not None and engine not in ENGINES:
        raise ArgumentError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if replications is not None and replications < 2:
        raise ArgumentError(f"--replications must be at least 2, not {replications}")
    path = Path(path)
    root = read_yaml(path)
    file = str(path)
    top_mark = Mark(file, 1, 1)
    problems: list[Diagnostic] = []
    if not isinstance(root, LDict) or not isinstance(root.get("sweep"), LDict):
        raise InputError([top_mark.diagnostic("sweep", "the file needs a 'sweep:' mapping")])
    unknown = sorted(set(root) - {"sweep", "axes"})
    if unknown:
        problems.append(root.key_marks[unknown[0]].diagnostic(unknown[0], "unknown section"))
    top: LDict = root["sweep"]
    allowed = {
        "file",
        "force",
        "scenario",
        "horizon_days",
        "design",
        "samples",
        "seed",
        "chunk_size",
        "engine",
        "replications",
        "daily",
        "portfolio",
    }
    for k in sorted(set(top) - allowed):
        problems.append(
            top.key_marks[k].diagnostic(
                f"sweep.{k}", f"unknown key (have: {', '.join(sorted(allowed))})"
            )
        )
    base_file = _get(top, "file", str, problems)
    force = _get(top, "force", str, problems)
    scen_name = _get(top, "scenario", str, problems)
    horizon = _get(top, "horizon_days", int, problems) or 365
    design = _get(top, "design", str, problems) or "cartesian"
    samples = _get(top, "samples", int, problems) or 0
    seed = _get(top, "seed", int, problems) or 0
    chunk = _get(top, "chunk_size", int, problems) or 50
    engine = engine or _get(top, "engine", str, problems) or "analytic"
    reps = replications or _get(top, "replications", int, problems) or 200
    raw_daily = top.get("daily", False)
    if not isinstance(raw_daily, bool):
        problems.append(top.where("daily").diagnostic("sweep.daily", "true or false"))
    daily = bool(daily) or raw_daily is True
    if engine not in ENGINES:
        problems.append(
            top.where("engine").diagnostic("sweep.engine", f"one of {', '.join(ENGINES)}")
        )
    if reps < 2:
        problems.append(
            top.where("replications").diagnostic("sweep.replications", "must be at least 2")
        )
    if seed < 0:
        problems.append(top.where("seed").diagnostic("sweep.seed", "must be at least 0"))
    base_portfolio = top.get("portfolio")
    if base_portfolio is not None and not isinstance(base_portfolio, list):
        problems.append(
            top.where("portfolio").diagnostic("sweep.portfolio", "a list of option names")
        )
        base_portfolio = None
    if force is None:
        problems.append(top.mark.diagnostic("sweep.force", "the force to sweep is missing"))
    if design not in DESIGNS:
        problems.append(
            top.where("design").diagnostic("sweep.design", f"one of {', '.join(DESIGNS)}")
        )
    sampled = design in ("latin-hypercube", "sobol")
    if sampled and samples < 1:
        problems.append(
            top.where("samples").diagnostic("sweep.samples", f"a {design} design needs samples: N")
        )
    if design == "sobol" and samples >= 1 and samples & (samples - 1):
        problems.append(
            top.where("samples").diagnostic("sweep.samples", "Sobol samples must be a power of 2")
        )
    if chunk < 1:
        problems.append(
            top.where("chunk_size").diagnostic("sweep.chunk_size", "must be at least 1")
        )
    raw_axes = root.get("axes")
    if not isinstance(raw_axes, LDict) or not raw_axes:
        problems.append(root.where("axes").diagnostic("axes", "the sweep needs at least one axis"))
        raise InputError(problems)
    if problems:
        raise InputError(problems)
    base_text = ""
    if base_file is not None:
        base_path = (
            (path.parent / base_file) if not Path(base_file).is_absolute() else Path(base_file)
        )
        doc = load(base_path, catalogue, builtin=builtin)
        base_text = base_path.read_text(encoding="utf-8")
    else:
        doc = load_text("scenarios: []", file, catalogue, builtin=builtin)
    try:
        f = doc.force(str(force))
    except KeyError as exc:
        raise InputError([top.where("force").diagnostic("sweep.force", str(exc.args[0]))]) from None
    if scen_name is not None:
        try:
            scenario = doc.scenario(scen_name)
        except KeyError as exc:
            raise InputError(
                [top.where("scenario").diagnostic("sweep.scenario", str(exc.args[0]))]
            ) from None
    else:
        scenario = scenario_for(f"sweep-{f.name}", f.name, horizon)
    axes: list[Axis] = []
    types: dict[str, type] = {}
    if base_portfolio is not None:
        problems += check_portfolio(
            doc, f.name, list(base_portfolio), top.where("portfolio"), "sweep.portfolio"
        )
    for name, raw in raw_axes.items():
        mark = raw_axes.key_marks[name]
        if name not in NAMED_AXES and "." not in name:
            problems.append(
                mark.diagnostic(
                    f"axes.{name}", f"not an axis ({', '.join(NAMED_AXES)}, or a field path)"
                )
            )
            continue
        if name == "seeds":
            if engine != "montecarlo":
                problems.append(
                    mark.diagnostic("axes.seeds", "a seeds axis needs engine: montecarlo")
                )
            axes.append(Axis(name, parse_seeds(raw, mark, problems), integer=True))
            continue
        if name == "portfolio":
            axes.append(Axis(name, parse_portfolios(raw, mark, doc, f.name, problems)))
            continue
        ax = _axis(name, raw, mark, sampled, problems)
        if ax.values:
            _check_values(ax, doc, mark, types, problems)
        elif ax.low is not None and name in ("jurisdiction", "supplier", "kinds", "tempo"):
            problems.append(mark.diagnostic(f"axes.{name}", "a named axis takes a list"))
        elif ax.low is not None and "." in name:
            _check_values(ax, doc, mark, types, problems)
        axes.append(ax)
    if "jurisdiction" in raw_axes and "supplier" in raw_axes:
        problems.append(
            raw_axes.key_marks["supplier"].diagnostic(
                "axes.supplier",
                "cut by jurisdiction or by supplier, not both",
            )
        )
    if problems:
        raise InputError(problems)
    points = _design(tuple(axes), design, samples, seed)
    if not points:
        raise InputError([raw_axes.mark.diagnostic("axes", "the design has no scenario")])
    digest = hashlib.sha256(
        json.dumps(
            {
                "base": base_text,
                "force": f.name,
                "scenario": scenario.model_dump(mode="json"),
                "points": points,
                "engine": engine,
                "replications": reps if engine == "montecarlo" else None,
                "seed": seed,
                "portfolio": base_portfolio or [],
            },
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    return SweepSpec(
        file=file,
        document=doc,
        force=f.name,
        scenario=scenario,
        axes=tuple(axes),
        points=points,
        chunk_size=chunk,
        design=design,
        digest=digest,
        field_types=types,
        engine=engine,
        replications=reps,
        seed=seed,
        daily=daily,
        portfolio=tuple(base_portfolio or ()),
    )
