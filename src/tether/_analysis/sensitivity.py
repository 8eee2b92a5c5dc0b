"""Which assumptions move the answer: global sensitivity of a force's assumed parameters.

Every numeric rate, turnaround or lead time that an ``assumed:`` mark covers (on the
force, the systems of its fleets, or the suppliers it uses) gets a range, by default
x0.5..x2 of its value, or the one a ranges file gives
(:mod:`tether._analysis.sensitivity_ranges`); ranges are sampled on a log scale. Morris
screening (SALib) of every parameter, then Sobol indices (S1, ST) of those that survive
screening (:mod:`tether._analysis.sensitivity_salib`), for three results: the scenario's
capability-days lost, its time to survive (first threshold; a force that never falls
below it counts as surviving the horizon plus one day), and the days lost when the
base exposure ranking's top supplier cuts (:func:`tether.exposure`). Points are
evaluated by patched, stacked plans (:mod:`tether._analysis.sensitivity_plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from tether._analysis.sensitivity_plan import Param, PatchedPlan, capability
from tether._analysis.sensitivity_ranges import Ranges, load_ranges
from tether._analysis.sensitivity_salib import analyse, require_salib
from tether._errors import ArgumentError, Diagnostic, InputError, TetherError
from tether._model import Document

__all__ = [
    "RESULTS",
    "RankRow",
    "Sensitivity",
    "SensitivityRow",
    "assumed_parameters",
    "load_ranges",
    "ranking_robustness",
    "sensitivity",
]

F64 = NDArray[np.float64]

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

#: The results analysed, in the order of every per-result list.
RESULTS = ("capability_days_lost", "time_to_survive", "top_supplier_days_lost")

#: Sample points stacked into one engine run.
CHUNK = 64

#: Horizon of the scenario analysed when no scenario plays the force (its top
#: supplier's cutoff from day 0).
HORIZON = 365


@dataclass(frozen=True, slots=True)
class SensitivityRow:
    """One parameter: its path, base value and range (field values), its Morris
    statistics per result (``mu_star``, ``mu_star_conf``, ``mu``, ``sigma``: change of the
    result across the parameter's whole log-range), and, when it survived screening, its
    Sobol indices per result (``s1``, ``s1_conf``, ``st``, ``st_conf``)."""

    path: str
    value: float
    low: float
    high: float
    morris: dict[str, dict[str, float]]
    sobol: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def screened_in(self) -> bool:
        return bool(self.sobol)

    @property
    def mu_star(self) -> float:
        """``mu*`` on capability-days lost (the first result)."""
        return self.morris[RESULTS[0]]["mu_star"]

    @property
    def sigma(self) -> float:
        """``sigma`` on capability-days lost (the first result)."""
        return self.morris[RESULTS[0]]["sigma"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "value": self.value,
            "range": [self.low, self.high],
            "screened_in": self.screened_in,
            "morris": self.morris,
            "sobol": self.sobol,
        }


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


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """Assumed parameters, most influential first (largest ``mu*`` relative to each
    result's largest). ``base`` holds each result at the base values; ``top_supplier`` the
    cutoff behind the third result; ``kept`` the parameters given Sobol indices;
    ``ranking`` the exposure ranking's robustness (empty unless asked for)."""

    force: str
    scenario: str
    factors: tuple[float, float]
    base: dict[str, float]
    top_supplier: str
    trajectories: int
    samples: int
    share: float
    max_sobol: int
    morris_runs: int
    sobol_runs: int
    rows: tuple[SensitivityRow, ...]
    ranking: tuple[RankRow, ...] = ()
    ranking_samples: int = 0

    @property
    def runs(self) -> int:
        return self.morris_runs + self.sobol_runs

    @property
    def kept(self) -> tuple[str, ...]:
        return tuple(r.path for r in self.rows if r.screened_in)

    def to_dict(self) -> dict[str, Any]:
        return {
            "force": self.force,
            "scenario": self.scenario,
            "results": list(RESULTS),
            "method": "morris+sobol (SALib)",
            "range_factors": list(self.factors),
            "base": dict(self.base),
            "top_supplier": self.top_supplier,
            "trajectories": self.trajectories,
            "sobol_samples": self.samples,
            "screening": {"share": self.share, "max_sobol": self.max_sobol},
            "morris_runs": self.morris_runs,
            "sobol_runs": self.sobol_runs,
            "rows": [r.to_dict() for r in self.rows],
            "ranking": [r.to_dict() for r in self.ranking],
            "ranking_samples": self.ranking_samples,
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


def _force_and_scenario(
    document: Document, force: str | None, scenario: str | None
) -> tuple[str, Any]:
    """The force and the scenario named, else the first playing the force (``None``
    when none does)."""
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
        scen = mine[0] if mine else None
    return f.name, scen


def _top_scenario(force: str, cut: Any) -> Any:
    """A force no scenario plays: its top supplier's cutoff for :data:`HORIZON` days."""
    from tether._model import Scenario

    target = cut.jurisdiction
    kinds = cut.kinds[0]
    return Scenario(
        name=f"{target}-withholds-{kinds}",
        force=force,
        horizon_days=HORIZON,
        cutoffs=[cut],
    )


def _params(
    document: Document, force: str, factors: tuple[float, float], ranges: Ranges | None
) -> tuple[list[Param], F64]:
    """The parameters analysed (sorted by path) and their ranges ``[k, 2]`` in
    log-factor units: ``ranges`` where given, else ``factors`` of the value, kept within
    what the field accepts."""
    from tether._analysis.sensitivity_ranges import field_bounds
    from tether._sweep.spec import get_path

    lo, hi = factors
    if not 0 < lo < hi:
        raise ArgumentError(f"the range factors must satisfy 0 < low < high, not {lo}, {hi}")
    values = assumed_parameters(document, force)
    spans = {}
    for p, v in values.items():
        b_lo, _, b_hi, _ = field_bounds(document, p)
        a, b = v * lo, v * hi
        spans[p] = (a if b_lo is None else max(a, b_lo), b if b_hi is None else min(b, b_hi))
    for p, (a, b) in (ranges or {}).items():
        values[p] = float(get_path(document, p))
        spans[p] = (a, b)
    if not values:
        raise TetherError(f"force '{force}' has no assumed rate, turnaround or lead time")
    params, rows = [], []
    for p in sorted(values):
        v = values[p]
        a, b = spans[p]
        params.append(Param(p, v, isinstance(get_path(document, p), int), b / v))
        rows.append((np.log(a / v), np.log(b / v)))
    return params, np.asarray(rows, dtype=np.float64)


def _top_cutoff(document: Document, force: str, horizon: int) -> tuple[Any, str, Any]:
    """The base exposure ranking's first row as a cutoff, its label, and the ranking."""
    from tether._analysis.exposure import exposure
    from tether._model import Cutoff

    ranked = exposure(document, force, horizon=horizon)
    top = ranked.rows[0]
    cut = Cutoff.model_validate({"jurisdiction": top.target, "kinds": [top.kinds]})
    return cut, f"{top.target}: {top.kinds}", ranked


def _force_curves(plan: Any, cap: F64) -> F64:
    """Force capability ``[n, B, T]`` from fleet capability ``[n, B, F, T]``."""
    from tether._api import _membership

    out: F64 = np.einsum("af,nbft->nbt", _membership(plan), cap)
    return out


def _evaluator(document: Document, force: str, scen: Any, params: list[Param], top_cut: Any) -> Any:
    """``f(X [n, k] log-factors) -> [n, 3]`` (the :data:`RESULTS`)."""
    from tether._metrics import summarise
    from tether._model import Scenario

    run = PatchedPlan(document, force, scen, [[], scen.cutoffs], ["baseline", "scenario"], params)
    horizon = scen.horizon_days
    ex_scen = Scenario(name=f"exposure-{force}", force=force, horizon_days=horizon)
    top = PatchedPlan(document, force, ex_scen, [[], [top_cut]], ["baseline", "top"], params)
    th = tuple(scen.thresholds) or (0.5,)
    start = min((c.start_day for c in scen.cutoffs), default=None)
    never = float(horizon - (start or 0) + 1)

    def evaluate(x: F64) -> F64:
        factors = np.exp(np.asarray(x, dtype=np.float64))
        curves = _force_curves(run.base, capability(run, factors, CHUNK))
        tops = _force_curves(top.base, capability(top, factors, CHUNK))
        out = np.empty((len(factors), len(RESULTS)))
        out[:, 0] = (curves[:, 0] - curves[:, 1]).sum(axis=1)
        for i in range(len(factors)):
            s = summarise(curves[i, 1], curves[i, 0], thresholds=th[:1], start_day=start)
            t = s.time_to_survive[th[0]]
            out[i, 1] = never if t is None else float(t)
        base0 = tops[:, 0, 0]
        lost = (tops[:, 0] - tops[:, 1]).sum(axis=1)
        out[:, 2] = np.where(base0 > 0, lost / np.where(base0 > 0, base0, 1.0), 0.0)
        return out

    return evaluate


def sensitivity(
    document: Document,
    force: str | None = None,
    *,
    scenario: str | None = None,
    factors: tuple[float, float] = (0.5, 2.0),
    ranges: Ranges | None = None,
    trajectories: int = 10,
    samples: int = 128,
    share: float = 0.1,
    max_sobol: int = 8,
    ranking: int = 0,
    seed: int = 0,
) -> Sensitivity:
    """Morris screening of ``force``'s assumed parameters (and any in ``ranges``, field
    values ``(low, high)`` by path), then Sobol indices from ``samples`` base points of
    those that survive screening (``mu*`` at least ``share`` of the largest for some
    result; at most ``max_sobol``), on the scenario named (else the file's first for that
    force; else, when none plays it, the top supplier of its exposure ranking withholding
    from day 0 for :data:`HORIZON` days). ``ranking`` > 0 adds
    :func:`ranking_robustness` over that many points.
    """
    require_salib()
    if trajectories < 2:
        raise ArgumentError(f"trajectories must be at least 2, not {trajectories}")
    name, scen = _force_and_scenario(document, force, scenario)
    params, bounds = _params(document, name, factors, ranges)
    top_cut, top_label, _ = _top_cutoff(
        document, name, HORIZON if scen is None else scen.horizon_days
    )
    if scen is None:
        scen = _top_scenario(name, top_cut)
    evaluate = _evaluator(document, name, scen, params, top_cut)
    names = [p.path for p in params]
    k = len(params)
    base = evaluate(np.zeros((1, k)))[0]
    a = analyse(
        evaluate,
        names,
        bounds,
        np.zeros(k),
        trajectories=trajectories,
        samples=samples,
        share=share,
        max_sobol=max_sobol,
        seed=seed,
    )
    rel = np.zeros(k)
    for m in a.morris:
        top = float(m.mu_star.max())
        if top > 0:
            rel = np.maximum(rel, m.mu_star / top)
    rows = []
    for i, (p, (lo, hi)) in enumerate(zip(params, np.exp(bounds), strict=True)):
        morris = {
            r: {
                "mu_star": float(m.mu_star[i]),
                "mu_star_conf": float(m.mu_star_conf[i]),
                "mu": float(m.mu[i]),
                "sigma": float(m.sigma[i]),
            }
            for r, m in zip(RESULTS, a.morris, strict=True)
        }
        sobol: dict[str, dict[str, float]] = {}
        if i in a.kept:
            j = a.kept.index(i)
            sobol = {
                r: {
                    "s1": float(s.s1[j]),
                    "s1_conf": float(s.s1_conf[j]),
                    "st": float(s.st[j]),
                    "st_conf": float(s.st_conf[j]),
                }
                for r, s in zip(RESULTS, a.sobol, strict=True)
            }
        rows.append(SensitivityRow(p.path, p.value, p.value * lo, p.value * hi, morris, sobol))
    order = sorted(range(k), key=lambda i: (-rel[i], rows[i].path))
    ranks = (
        ranking_robustness(
            document,
            name,
            samples=ranking,
            factors=factors,
            ranges=ranges,
            seed=seed,
            horizon=scen.horizon_days,
        )
        if ranking > 0
        else ()
    )
    return Sensitivity(
        force=name,
        scenario=scen.name,
        factors=(float(factors[0]), float(factors[1])),
        base={r: float(v) for r, v in zip(RESULTS, base, strict=True)},
        top_supplier=top_label,
        trajectories=trajectories,
        samples=samples,
        share=share,
        max_sobol=max_sobol,
        morris_runs=a.morris_runs,
        sobol_runs=a.sobol_runs,
        rows=tuple(rows[i] for i in order),
        ranking=ranks,
        ranking_samples=ranking,
    )


def ranking_robustness(
    document: Document,
    force: str,
    *,
    samples: int = 32,
    factors: tuple[float, float] = (0.5, 2.0),
    ranges: Ranges | None = None,
    seed: int = 0,
    horizon: int = 365,
) -> tuple[RankRow, ...]:
    """How far the exposure ranking (:func:`tether.exposure`, by jurisdiction) holds when
    every assumed parameter moves over its range: a Latin hypercube of ``samples`` points
    on the log-ranges, evaluated by one stacked plan per chunk. Rows in base-rank order."""
    from scipy.stats import qmc

    from tether._analysis.exposure import KIND_SETS
    from tether._model import Cutoff, Scenario

    if samples < 1:
        raise ArgumentError(f"samples must be at least 1, not {samples}")
    params, bounds = _params(document, force, factors, ranges)
    _, _, ranked = _top_cutoff(document, force, horizon)
    keys = [(r.target, r.kinds) for r in ranked.rows]
    sets: list[list[Any]] = [[]] + [
        [Cutoff.model_validate({"jurisdiction": t, "kinds": [kd]})] for t, kd in keys
    ]
    scen = Scenario(name=f"exposure-{force}", force=force, horizon_days=horizon)
    run = PatchedPlan(
        document, force, scen, sets, ["baseline"] + [f"{t}:{k}" for t, k in keys], params
    )
    u = qmc.LatinHypercube(len(params), seed=np.random.default_rng(seed)).random(samples)
    x = np.exp(bounds[:, 0] + (bounds[:, 1] - bounds[:, 0]) * u)
    curves = _force_curves(run.base, capability(run, x, max(1, CHUNK // len(sets))))
    base0 = curves[:, 0, 0]
    lost = (curves[:, :1] - curves[:, 1:]).sum(axis=2)  # [n, rows]
    days = np.where(base0[:, None] > 0, lost / np.where(base0 > 0, base0, 1.0)[:, None], 0.0)
    ranks = np.empty((samples, len(keys)), dtype=np.int64)
    for n in range(samples):
        order = sorted(
            range(len(keys)),
            key=lambda i: (-days[n, i], keys[i][0], KIND_SETS.index(keys[i][1])),
        )
        ranks[n, order] = np.arange(1, len(keys) + 1)
    return tuple(
        RankRow(
            target=t,
            kinds=kd,
            base_rank=i + 1,
            p_first=float(np.mean(ranks[:, i] == 1)),
            rank_low=int(ranks[:, i].min()),
            rank_high=int(ranks[:, i].max()),
        )
        for i, (t, kd) in enumerate(keys)
    )
