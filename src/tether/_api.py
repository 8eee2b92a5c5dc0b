"""The Python API's verbs: simulate a scenario of a loaded document."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from tether._engine.analytic import run_analytic
from tether._engine.montecarlo import MonteCarloOutput, run_montecarlo
from tether._errors import TetherError
from tether._metrics import Summary, fraction_of, summarise
from tether._model import Document, Scenario
from tether._plan import Plan, compile_scenario
from tether._result import Result

__all__ = ["simulate"]

Engine = Literal["analytic", "montecarlo"]
F64 = NDArray[np.float64]
Progress = Callable[[int, int], None]

#: Default quantiles of the Monte Carlo bands.
QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)


def _end_day(scenario: Scenario) -> int | None:
    """The day the last cutoff ends; ``None`` when there is none or one never ends."""
    ends = [c.expected_end() for c in scenario.cutoffs]
    if not ends or any(e is None for e in ends):
        return None
    return max(int(e) for e in ends if e is not None)


def _membership(plan: Plan) -> F64:
    """``[A, F]`` weights: area capability is ``membership @ fleet capability``."""
    member = np.equal.outer(np.arange(len(plan.areas)), plan.area_of).astype(np.float64)
    return member * plan.weight[None, :]


def _dataset(plan: Plan, mean: dict[str, F64]) -> xr.Dataset:
    """Labelled means of batch members 0 (baseline) and 1 (the scenario)."""
    fd = ("fleet", "day")
    base, case = 0, 1
    cap = mean["capability"]
    area_cap = np.einsum("af,bft->bat", _membership(plan), cap)
    data = {
        "availability": (fd, mean["availability"][case]),
        "software": (fd, mean["software"][case]),
        "munitions": (fd, mean["munitions"][case]),
        "services": (fd, mean["services"][case]),
        "backorders": (fd, mean["backorders"][case]),
        "capability": (fd, cap[case]),
        "baseline_capability": (fd, cap[base]),
        "baseline_availability": (fd, mean["availability"][base]),
        "fraction": (fd, fraction_of(cap[case], cap[base])),
        "area_capability": (("area", "day"), area_cap[case]),
        "area_baseline": (("area", "day"), area_cap[base]),
        "area_fraction": (("area", "day"), fraction_of(area_cap[case], area_cap[base])),
        "area_of": (("fleet",), np.array([plan.areas[i] for i in plan.area_of])),
        "units": (("fleet",), plan.units),
        "weight": (("fleet",), plan.weight),
    }
    coords = {"fleet": list(plan.fleets), "area": list(plan.areas), "day": plan.days}
    return xr.Dataset(data, coords=coords)


def _bands(
    plan: Plan,
    data: xr.Dataset,
    out: MonteCarloOutput,
    quantiles: Sequence[float],
    thresholds: Sequence[float],
) -> xr.Dataset:
    """Add quantile bands, standard errors and P(area above threshold) from the samples."""
    fleet_samples = out.samples[1]  # [R, F, T] float32; memory scales with reps
    membership = _membership(plan).astype(np.float32)
    area_samples = np.einsum("af,rft->rat", membership, fleet_samples)
    base_area = data["area_baseline"].values
    base_fleet = data["baseline_capability"].values
    q = np.asarray(quantiles)
    area_q = np.quantile(area_samples, q, axis=0).astype(np.float64)
    # fleet by fleet, so the sort behind the quantiles copies one fleet at a time
    fleet_q = np.stack(
        [np.quantile(fleet_samples[:, i], q, axis=0) for i in range(len(plan.fleets))], axis=1
    ).astype(np.float64)
    above = np.stack(
        [(area_samples >= th * base_area[None] - 1e-12).mean(axis=0) for th in thresholds]
    )
    area_se = np.sqrt(
        np.einsum("af,ft->at", _membership(plan) ** 2, out.stderr["capability"][1] ** 2)
    )
    return data.assign(
        capability_se=(("fleet", "day"), out.stderr["capability"][1]),
        availability_se=(("fleet", "day"), out.stderr["availability"][1]),
        area_capability_se=(("area", "day"), area_se),
        area_capability_q=(("quantile", "area", "day"), area_q),
        area_fraction_q=(("quantile", "area", "day"), fraction_of(area_q, base_area[None])),
        fraction_q=(("quantile", "fleet", "day"), fraction_of(fleet_q, base_fleet[None])),
        area_prob_above=(("threshold", "area", "day"), above),
    ).assign_coords(quantile=q, threshold=np.asarray(thresholds, dtype=np.float64))


def _notes(plan: Plan, engine: str) -> list[str]:
    notes = []
    if engine == "analytic":
        if np.isfinite(plan.route_capacity).any():
            notes.append("repair capacity limits are ignored by the analytic engine")
        if plan.random_cutoffs:
            notes.append("the analytic engine plays random cutoff lengths at their mean")
    return notes


def simulate(
    document: Document,
    scenario: str | Scenario | None = None,
    *,
    engine: Engine = "analytic",
    reps: int = 1000,
    seed: int | np.random.Generator = 0,
    cannibalise: bool = False,
    munitions_noise: bool = True,
    quantiles: Sequence[float] = QUANTILES,
    progress: Progress | None = None,
) -> Result:
    """Simulate one scenario of ``document`` (by name; default: the file's first).

    ``engine="analytic"`` gives exact expectations; ``engine="montecarlo"`` samples
    ``reps`` replications from ``seed`` (an int or a ``numpy.random.Generator``; the same
    seed gives the same result) and adds quantile bands and the probability that each
    area is above each threshold. ``cannibalise`` and ``munitions_noise`` apply to the
    Monte Carlo engine. Returns a :class:`Result` with the scenario and its baseline.

    >>> import tether
    >>> doc = tether.load("examples/single-fleet.yaml")
    >>> result = tether.simulate(doc, "us-pause-90")
    >>> result.areas
    ['long-range-fires']
    >>> f"{result.fraction('long-range-fires')[90]:.2f}"  # the day the cutoff ends
    '0.78'
    """
    if engine not in ("analytic", "montecarlo"):
        raise TetherError(f"unknown engine {engine!r}; available: 'analytic', 'montecarlo'")
    if engine == "montecarlo" and not 2 <= reps <= 10_000_000:
        raise TetherError(f"reps must be between 2 and 10,000,000, not {reps}")
    if any(not 0 <= q <= 1 for q in quantiles):
        raise TetherError("quantiles must lie in [0, 1]")
    if not isinstance(scenario, Scenario):
        try:
            scenario = document.scenario(scenario)
        except KeyError as exc:
            raise TetherError(str(exc.args[0])) from None
    plan = compile_scenario(document, scenario)
    extra: dict[str, object] = {}
    if engine == "analytic":
        out = run_analytic(plan, progress=progress)
        mean = {
            k: getattr(out, k)
            for k in ("availability", "software", "munitions", "services", "backorders")
        }
        mean["capability"] = out.capability
        data = _dataset(plan, mean)
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        mc = run_montecarlo(
            plan,
            reps,
            rng,
            cannibalise=cannibalise,
            munitions_noise=munitions_noise,
            keep_samples=[1],
            progress=progress,
        )
        data = _bands(plan, _dataset(plan, mc.mean), mc, quantiles, scenario.thresholds)
        extra = {
            "reps": reps,
            "seed": seed if isinstance(seed, int) else None,
            "cannibalise": cannibalise,
        }
    end = _end_day(scenario)

    def summary(cap: F64, base: F64) -> Summary:
        return summarise(
            cap,
            base,
            thresholds=scenario.thresholds,
            recovery_level=scenario.recovery_level,
            end_day=end,
        )

    areas = {
        a: summary(data["area_capability"].values[i], data["area_baseline"].values[i])
        for i, a in enumerate(plan.areas)
    }
    fleets = {
        f: summary(data["capability"].values[i], data["baseline_capability"].values[i])
        for i, f in enumerate(plan.fleets)
    }
    assumptions: dict[str, tuple[str, ...]] = {}
    for i, area in enumerate(plan.areas):
        members = [f for f in range(len(plan.fleets)) if plan.area_of[f] == i]
        assumptions[area] = tuple(dict.fromkeys(a for f in members for a in plan.assumptions[f]))
    return Result(
        scenario=scenario.name,
        title=scenario.title,
        engine=engine,
        data=data,
        summary=areas,
        fleet_summary=fleets,
        assumptions=assumptions,
        notes=tuple(_notes(plan, engine)),
        settings=extra,
    )
