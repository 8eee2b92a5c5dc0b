"""Which assumptions move the answer: Morris screening of a force's assumed parameters.

Every numeric rate, turnaround or lead time that an ``assumed:`` mark covers (on the
force, the systems of its fleets, or the suppliers it uses) gets a range, by default
x0.5..x2 of its value; Morris elementary effects (Morris 1991; ``mu*`` after Campolongo
et al. 2007) over that range, sampled on a log scale, rank the parameters by how far they
move the scenario's capability-days lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from tether._errors import ArgumentError, Diagnostic, InputError, TetherError
from tether._model import Document

__all__ = [
    "RankRow",
    "Sensitivity",
    "SensitivityRow",
    "assumed_parameters",
    "morris",
    "ranking_robustness",
    "sensitivity",
]

#: Field names that take the default range: rates, turnarounds, lead times, cadences,
#: uses. Fractions (shares, condemnation, floors) are left out: x2 would leave [0, 1].
SCALED = (
    "failure_rate",
    "turnaround_days",
    "lead_time_days",
    "cadence_days",
    "use_per_unit_day",
    "per_day",
    "grace_days",
    "decline_days",
    "hours_per_day",
)

#: Morris grid levels.
LEVELS = 4


@dataclass(frozen=True, slots=True)
class SensitivityRow:
    """One parameter: its path, value, and Morris ``mu*`` (mean absolute elementary
    effect, in capability-days lost per unit of the log-range) and ``sigma``."""

    path: str
    value: float
    mu_star: float
    mu: float
    sigma: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "value": self.value,
            "mu_star": self.mu_star,
            "mu": self.mu,
            "sigma": self.sigma,
        }


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """Assumed parameters ranked by ``mu*``, largest first."""

    force: str
    scenario: str
    factors: tuple[float, float]
    base: float
    runs: int
    rows: tuple[SensitivityRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "force": self.force,
            "scenario": self.scenario,
            "metric": "capability_days_lost",
            "method": "morris",
            "range_factors": list(self.factors),
            "base": self.base,
            "runs": self.runs,
            "rows": [r.to_dict() for r in self.rows],
        }


def _leaves(obj: Any, prefix: str, out: dict[str, float]) -> None:
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            if name in ("assumed", "cited", "sources", "notes", "title", "name"):
                continue
            _leaves(getattr(obj, name), f"{prefix}.{name}", out)
    elif isinstance(obj, list):
        for item in obj:
            key = getattr(item, "name", None)
            if key is not None:
                _leaves(item, f"{prefix}[{key}]", out)
            elif isinstance(item, BaseModel) and len(obj) == 1:
                pass
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                continue  # e.g. spares counts, or per-level hours: keyed, not a rate
            _leaves(v, f"{prefix}[{k}]", out)
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        leaf = prefix.rsplit(".", 1)[-1]
        if leaf in SCALED and obj > 0:
            out[prefix] = float(obj)


def _resolve(entry: Any, key: str, base: str) -> tuple[Any, str] | None:
    """The object an assumed key (``parts.engine.failure_rate``) names, with its path."""
    obj, path = entry, base
    tokens = key.split(".")
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if isinstance(obj, BaseModel):
            if tok not in type(obj).model_fields:
                return None
            obj, path = getattr(obj, tok), f"{path}.{tok}"
        elif isinstance(obj, list):
            found = [x for x in obj if getattr(x, "name", None) == tok]
            if not found:
                return None
            obj, path = found[0], f"{path}[{tok}]"
        elif isinstance(obj, dict):
            if tok not in obj:
                return None
            obj, path = obj[tok], f"{path}[{tok}]"
        else:
            return None
        i += 1
    return obj, path


def assumed_parameters(document: Document, force: str) -> dict[str, float]:
    """Field paths (sweep syntax) and values of the force's assumed rates and times."""
    from tether._plan import force_suppliers

    f = document.force(force)
    entries: list[tuple[str, Any]] = [("forces", f)]
    seen: set[str] = set()
    for fleet in f.fleets:
        if fleet.system not in seen:
            seen.add(fleet.system)
            entries.append(("systems", document.system(fleet.system)))
    entries += [("suppliers", document.supplier(s)) for s in force_suppliers(document, f)]
    out: dict[str, float] = {}
    for section, entry in entries:
        for key in entry.assumed:
            hit = _resolve(entry, key, f"{section}[{entry.name}]")
            if hit is None:
                continue
            obj, path = hit
            if isinstance(obj, int | float) and not isinstance(obj, bool):
                leaf = path.rsplit(".", 1)[-1]
                if leaf in SCALED and obj > 0:
                    out[path] = float(obj)
            else:
                _leaves(obj, path, out)
    return dict(sorted(out.items()))


def _model(
    document: Document, force: str, scenario: Any, params: list[tuple[str, float, type]]
) -> Any:
    from tether._api import _membership
    from tether._engine.analytic import run_analytic
    from tether._plan import compile_plan
    from tether._sweep.spec import parse_path, set_path

    steps = [(parse_path(p), v, t) for p, v, t in params]

    def run(factors: np.ndarray) -> float:
        doc = document
        for (path, v, t), x in zip(steps, factors, strict=True):
            val = v * float(x)
            doc = set_path(doc, path, max(1, round(val)) if t is int else val)
        plan = compile_plan(doc, doc.force(force), scenario, [[], scenario.cutoffs], ["b", "s"])
        cap = np.einsum("af,bft->bt", _membership(plan), run_analytic(plan).capability)
        return float((cap[0] - cap[1]).sum())

    return run


def morris(
    fn: Callable[[np.ndarray], float], k: int, trajectories: int, rng: np.random.Generator
) -> tuple[list[np.ndarray], int]:
    """Morris elementary effects of ``fn`` over ``[0, 1]**k``: per input, one effect per
    trajectory (``(f(x + delta e_i) - f(x)) / delta`` on a grid of :data:`LEVELS`
    levels), and the number of calls made."""
    delta = LEVELS / (2 * (LEVELS - 1))
    grid = np.arange(LEVELS // 2) / (LEVELS - 1)  # starts that leave room for +delta
    effects: list[list[float]] = [[] for _ in range(k)]
    runs = 0
    for _ in range(trajectories):
        x = rng.choice(grid, size=k)
        y = fn(x)
        runs += 1
        for i in rng.permutation(k):
            x2 = x.copy()
            x2[i] += delta
            y2 = fn(x2)
            runs += 1
            effects[i].append((y2 - y) / delta)
            x, y = x2, y2
    return [np.asarray(e) for e in effects], runs


def sensitivity(
    document: Document,
    force: str | None = None,
    *,
    scenario: str | None = None,
    factors: tuple[float, float] = (0.5, 2.0),
    trajectories: int = 10,
    seed: int = 0,
) -> Sensitivity:
    """Morris screening of ``force``'s assumed parameters on its scenario's
    capability-days lost (the scenario named, else the file's first for that force).
    """
    lo, hi = factors
    if not 0 < lo < hi:
        raise ArgumentError(f"the range factors must satisfy 0 < low < high, not {lo}, {hi}")
    if trajectories < 1:
        raise ArgumentError(f"trajectories must be at least 1, not {trajectories}")
    try:
        scen = document.scenario(scenario) if scenario or force is None else None
        if force is None:
            assert scen is not None
            force = scen.force
        f = document.force(force)
    except KeyError as exc:
        raise InputError([Diagnostic(document.file, 0, 0, "force", str(exc.args[0]))]) from None
    if scen is None:
        mine = [s for s in document.scenarios if s.force == f.name]
        if not mine:
            raise TetherError(f"no scenario plays force '{f.name}': name one with --scenario")
        scen = mine[0]
    params = assumed_parameters(document, f.name)
    if not params:
        raise TetherError(f"force '{f.name}' has no assumed rate, turnaround or lead time")
    from tether._sweep.spec import get_path

    typed = [(p, v, type(get_path(document, p))) for p, v in params.items()]
    run = _model(document, f.name, scen, typed)
    k = len(typed)
    log_lo, log_span = np.log(lo), np.log(hi) - np.log(lo)

    def at(x: np.ndarray) -> float:
        return float(run(np.exp(log_lo + log_span * x)))

    effects, runs = morris(at, k, trajectories, np.random.default_rng(seed))
    base = run(np.ones(k))
    rows = []
    for (p, v, _), e in zip(typed, effects, strict=True):
        rows.append(
            SensitivityRow(
                path=p,
                value=v,
                mu_star=float(np.abs(e).mean()),
                mu=float(e.mean()),
                sigma=float(e.std(ddof=1)) if len(e) > 1 else 0.0,
            )
        )
    rows.sort(key=lambda r: (-r.mu_star, r.path))
    return Sensitivity(f.name, scen.name, (lo, hi), base, runs + 1, tuple(rows))


@dataclass(frozen=True, slots=True)
class RankRow:
    """One exposure row over the assumption ranges: the probability that it ranks first,
    its rank (1 = most exposed) at the base values, and the lowest and highest rank it
    took over the samples."""

    target: str
    kinds: str
    base_rank: int
    p_first: float
    rank_low: int
    rank_high: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kinds": self.kinds,
            "base_rank": self.base_rank,
            "p_first": self.p_first,
            "rank_interval": [self.rank_low, self.rank_high],
        }


def ranking_robustness(
    document: Document,
    force: str,
    *,
    samples: int = 32,
    factors: tuple[float, float] = (0.5, 2.0),
    seed: int = 0,
    horizon: int = 365,
) -> tuple[RankRow, ...]:
    """How far the exposure ranking (:func:`tether.exposure`, by jurisdiction) holds when
    every assumed parameter moves over its range: a Latin hypercube of ``samples`` points
    on the log-range, one batched exposure run each. Rows in base-rank order."""
    from scipy.stats import qmc

    from tether._analysis.exposure import exposure
    from tether._sweep.spec import get_path, parse_path, set_path

    lo, hi = factors
    if not 0 < lo < hi:
        raise ArgumentError(f"the range factors must satisfy 0 < low < high, not {lo}, {hi}")
    if samples < 1:
        raise ArgumentError(f"samples must be at least 1, not {samples}")
    params = assumed_parameters(document, force)
    typed = [(parse_path(p), v, type(get_path(document, p))) for p, v in params.items()]
    base = exposure(document, force, horizon=horizon)
    keys = [(r.target, r.kinds) for r in base.rows]
    ranks: dict[tuple[str, str], list[int]] = {k: [] for k in keys}
    u = qmc.LatinHypercube(max(1, len(typed)), seed=np.random.default_rng(seed)).random(samples)
    for row in u:
        doc = document
        for (path, v, t), x in zip(typed, row, strict=False):
            val = v * float(np.exp(np.log(lo) + (np.log(hi) - np.log(lo)) * x))
            doc = set_path(doc, path, max(1, round(val)) if t is int else val)
        ranked = exposure(doc, force, horizon=horizon)
        order = {(r.target, r.kinds): i + 1 for i, r in enumerate(ranked.rows)}
        for k in keys:
            ranks[k].append(order.get(k, len(keys)))
    return tuple(
        RankRow(
            target=t,
            kinds=kd,
            base_rank=i + 1,
            p_first=float(np.mean(np.asarray(ranks[(t, kd)]) == 1)),
            rank_low=int(min(ranks[(t, kd)])),
            rank_high=int(max(ranks[(t, kd)])),
        )
        for i, (t, kd) in enumerate(keys)
    )
