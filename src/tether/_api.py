"""The Python API's verbs: simulate a scenario of a loaded document."""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from tether._engine.analytic import EngineOutput, run_analytic
from tether._errors import TetherError
from tether._metrics import Summary, fraction_of, summarise
from tether._model import Document, Scenario
from tether._plan import Plan, compile_scenario
from tether._result import Result

__all__ = ["simulate"]

Engine = Literal["analytic"]


def _end_day(scenario: Scenario) -> int | None:
    """The day the last cutoff ends; ``None`` when there is none or one never ends."""
    ends = [c.expected_end() for c in scenario.cutoffs]
    if not ends or any(e is None for e in ends):
        return None
    return max(int(e) for e in ends if e is not None)


def _dataset(plan: Plan, out: EngineOutput) -> xr.Dataset:
    fleet_dims = ("fleet", "day")
    base, case = 0, 1
    area_names = list(plan.areas)
    weighted = plan.weight[None, :, None] * out.capability
    member = np.equal.outer(np.arange(len(area_names)), plan.area_of).astype(np.float64)
    area_cap = np.einsum("af,bft->bat", member, weighted)
    data = {
        "availability": (fleet_dims, out.availability[case]),
        "software": (fleet_dims, out.software[case]),
        "munitions": (fleet_dims, out.munitions[case]),
        "services": (fleet_dims, out.services[case]),
        "backorders": (fleet_dims, out.backorders[case]),
        "capability": (fleet_dims, out.capability[case]),
        "baseline_capability": (fleet_dims, out.capability[base]),
        "baseline_availability": (fleet_dims, out.availability[base]),
        "fraction": (fleet_dims, fraction_of(out.capability[case], out.capability[base])),
        "area_capability": (("area", "day"), area_cap[case]),
        "area_baseline": (("area", "day"), area_cap[base]),
        "area_fraction": (("area", "day"), fraction_of(area_cap[case], area_cap[base])),
        "area_of": (("fleet",), np.array([area_names[i] for i in plan.area_of])),
        "units": (("fleet",), plan.units),
        "weight": (("fleet",), plan.weight),
    }
    coords = {"fleet": list(plan.fleets), "area": area_names, "day": plan.days}
    return xr.Dataset(data, coords=coords)


def simulate(
    document: Document,
    scenario: str | Scenario | None = None,
    *,
    engine: Engine = "analytic",
) -> Result:
    """Simulate one scenario of ``document`` (by name; default: the file's first).

    Returns a :class:`Result` with the scenario and its no-cutoff baseline.

    >>> import tether
    >>> doc = tether.load("examples/single-fleet.yaml")
    >>> result = tether.simulate(doc, "us-pause-90")
    >>> result.areas
    ['long-range-fires']
    >>> f"{result.fraction('long-range-fires')[90]:.2f}"  # the day the cutoff ends
    '0.78'
    """
    if engine != "analytic":
        raise TetherError(f"unknown engine {engine!r}; available: 'analytic'")
    if not isinstance(scenario, Scenario):
        try:
            scenario = document.scenario(scenario)
        except KeyError as exc:
            raise TetherError(str(exc.args[0])) from None
    plan = compile_scenario(document, scenario)
    out = run_analytic(plan)
    data = _dataset(plan, out)
    end = _end_day(scenario)

    def summary(cap: NDArray[np.float64], base: NDArray[np.float64]) -> Summary:
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
    )
