"""The Python API's verbs: simulate a scenario of a loaded document."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from tether._analysis.industry_resupply import line_notes
from tether._engine.analytic import run_analytic
from tether._engine.mc_watch import Watch, spread
from tether._engine.montecarlo import MonteCarloOutput, run_montecarlo, sample_limit
from tether._errors import ArgumentError
from tether._mc_size import check_montecarlo_memory, montecarlo_limit
from tether._mc_size import montecarlo_bytes as montecarlo_bytes  # re-exported
from tether._metrics import Summary, drivers, fraction_of, summarise
from tether._model import Cutoff, Document, Scenario
from tether._plan import Plan, compile_scenario
from tether._plan_orders import units_on_order
from tether._result import DRIVER_NAMES, Result

__all__ = ["simulate"]

Engine = Literal["analytic", "montecarlo"]
F64 = NDArray[np.float64]
B8 = NDArray[np.bool_]
Progress = Callable[[int, int], None]

#: Default quantiles of the Monte Carlo bands.
QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)

#: Most Monte Carlo replications one run may ask for.
MAX_REPS = 10_000_000

#: The engine's factor behind each driver name (``parts`` is the availability factor).
DRIVER_FACTORS: tuple[str, ...] = ("availability", "software", "munitions", "services")


def _stops_something(plan: Plan) -> B8:
    """Per cutoff of the scenario (batch member 1's rows of the plan's cutoff table, in
    order): whether it stops at least one supplier the force depends on."""
    return np.asarray(plan.co_stop[plan.co_batch == 1].any(axis=(1, 2)), dtype=np.bool_)


def _acting(scenario: Scenario, plan: Plan, stops: B8) -> list[Cutoff]:
    """The scenario's cutoffs that change something: they start within the horizon and
    stop at least one supplier the force depends on."""
    return [
        c
        for c, hit in zip(scenario.cutoffs, stops, strict=True)
        if hit and c.start_day <= plan.horizon
    ]


def _end_day(cutoffs: Sequence[Cutoff]) -> int | None:
    """The day the last cutoff ends; ``None`` when there is none or one never ends."""
    ends = [c.expected_end() for c in cutoffs]
    if not ends or any(e is None for e in ends):
        return None
    return max(int(e) for e in ends if e is not None)


def _start_day(cutoffs: Sequence[Cutoff]) -> int | None:
    """The day the first cutoff starts; ``None`` when there is no cutoff."""
    return min((c.start_day for c in cutoffs), default=None)


def _membership(plan: Plan) -> F64:
    """``[A, F]`` weights: area capability is ``membership @ fleet capability``."""
    member = np.equal.outer(np.arange(len(plan.areas)), plan.area_of).astype(np.float64)
    return member * plan.weight[None, :]


def _dataset(plan: Plan, mean: dict[str, F64]) -> xr.Dataset:
    """Labelled means of batch members 0 (baseline) and 1 (the scenario), with the loss
    split by driver (see :func:`tether._metrics.drivers`)."""
    fd = ("fleet", "day")
    base, case = 0, 1
    cap = mean["capability"]
    membership = _membership(plan)
    area_cap = np.einsum("af,bft->bat", membership, cap)
    split = drivers(
        np.stack([mean[k][base] for k in DRIVER_FACTORS]),
        np.stack([mean[k][case] for k in DRIVER_FACTORS]),
        cap[base] - cap[case],
    )
    data = {
        "availability": (fd, mean["availability"][case]),
        "software": (fd, mean["software"][case]),
        "munitions": (fd, mean["munitions"][case]),
        "services": (fd, mean["services"][case]),
        "backorders": (fd, mean["backorders"][case]),
        "capability": (fd, cap[case]),
        "baseline_capability": (fd, cap[base]),
        "baseline_availability": (fd, mean["availability"][base]),
        "baseline_software": (fd, mean["software"][base]),
        "baseline_munitions": (fd, mean["munitions"][base]),
        "baseline_services": (fd, mean["services"][base]),
        "fraction": (fd, fraction_of(cap[case], cap[base])),
        "lost": (("driver", "fleet", "day"), split),
        "area_capability": (("area", "day"), area_cap[case]),
        "area_baseline": (("area", "day"), area_cap[base]),
        "area_fraction": (("area", "day"), fraction_of(area_cap[case], area_cap[base])),
        "area_lost": (("driver", "area", "day"), np.einsum("af,dft->dat", membership, split)),
        "area_of": (("fleet",), np.array([plan.areas[i] for i in plan.area_of])),
        "units": (("fleet",), plan.units),
        "weight": (("fleet",), plan.weight),
    }
    coords = {
        "fleet": list(plan.fleets),
        "area": list(plan.areas),
        "day": plan.days,
        "driver": list(DRIVER_NAMES),
    }
    return xr.Dataset(data, coords=coords)


def _bands(
    plan: Plan,
    data: xr.Dataset,
    out: MonteCarloOutput,
    quantiles: Sequence[float],
    thresholds: Sequence[float],
) -> xr.Dataset:
    """Add quantile bands, standard errors and P(area above threshold) from the samples.

    Area by area and fleet by fleet, so that beside the samples themselves only one
    ``[reps, days]`` block (and the sort behind its quantiles) is held at a time.
    """
    fleet_samples = out.samples[1]  # [K, F, T] float32: at most sample_limit replications
    membership = _membership(plan).astype(np.float32)
    base_area = data["area_baseline"].values
    base_fleet = data["baseline_capability"].values
    q = np.asarray(quantiles)
    nq, na, T = len(q), len(plan.areas), plan.horizon + 1
    area_q = np.empty((nq, na, T))
    above = np.empty((len(thresholds), na, T))
    for a in range(na):
        members = np.flatnonzero(plan.area_of == a)
        samples = np.einsum("f,rft->rt", membership[a, members], fleet_samples[:, members])
        area_q[:, a] = np.quantile(samples, q, axis=0)
        for i, th in enumerate(thresholds):
            if out.watched is not None:  # counted over every replication
                above[i, a] = out.watched.above[i, a] / out.watched.reps
            else:
                above[i, a] = (samples >= th * base_area[a][None] - 1e-12).mean(axis=0)
        del samples
    fleet_q = np.empty((nq, len(plan.fleets), T))
    for i in range(len(plan.fleets)):
        fleet_q[:, i] = np.quantile(fleet_samples[:, i], q, axis=0)
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
    if engine == "montecarlo":
        notes.append(
            "time to survive and time to recover are read off the mean curve; their spread "
            "over replications (P10, median, P90) is given beside them"
        )
    if engine == "analytic" and plan.available_basis.any():
        notes.append(
            "fleets on the 'available' tempo basis: the analytic engine carries each part's "
            "count distribution (availability within about 0.01 of Monte Carlo on the tested "
            "fleets; parts sharing a stock, divert or a depot capacity limit keep a "
            "mean-field step); munitions use follows an approximate law of the units-up "
            "path (within about 4% of an area's capability on a day on the examples where "
            "a stock runs dry), except for fleets with such a mean-field part or whose "
            "force changes over time, and where cutoff lengths are random: there use is "
            "taken at the expected units up and a stock runs dry "
            "on one day rather than over a spread (docs/engine-analytic.md); check with "
            "--engine montecarlo"
        )
    return notes


def _warnings(scenario: Scenario, stops: B8) -> list[str]:
    """What the user should know about the input: cutoffs that change nothing.

    An area that runs short even without a cutoff is not a warning about the input: its
    summary says so (``baseline_short_day``) and every view flags it.
    """
    horizon = scenario.horizon_days
    out = []
    for i, (c, hit) in enumerate(zip(scenario.cutoffs, stops, strict=True), 1):
        what = f"cutoff {i} ({c.target}, {', '.join(c.kinds)})"
        if c.start_day > horizon:
            out.append(
                f"{what} starts on day {c.start_day}, after the horizon of {horizon} days: "
                "it changes nothing"
            )
        elif not hit:
            out.append(
                f"{what} stops no supplier force '{scenario.force}' depends on: it changes nothing"
            )
    return out


def _check_arguments(engine: str, reps: int, seed: object, quantiles: Sequence[float]) -> None:
    if engine not in ("analytic", "montecarlo"):
        raise ArgumentError(f"unknown engine {engine!r}; available: 'analytic', 'montecarlo'")
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer):
        raise ArgumentError(f"reps must be a whole number, not {reps!r}")
    if engine == "montecarlo" and not 2 <= reps <= MAX_REPS:
        raise ArgumentError(f"reps must be between 2 and {MAX_REPS:,}, not {reps}")
    if not isinstance(seed, np.random.Generator):
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ArgumentError(f"seed must be a whole number or a Generator, not {seed!r}")
        if seed < 0:
            raise ArgumentError(f"seed must be at least 0, not {seed}")
    if any(not 0 <= q <= 1 for q in quantiles):
        raise ArgumentError("quantiles must lie in [0, 1]")


def _totals(split: F64, names: Sequence[str]) -> dict[str, dict[str, float]]:
    """``{name: {driver: lost over the horizon}}`` from ``[driver, name, day]``."""
    total = split.sum(axis=2)
    return {
        n: {d: float(total[k, i]) for k, d in enumerate(DRIVER_NAMES)} for i, n in enumerate(names)
    }


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
    ``reps`` replications from ``seed`` (an int at least 0, or a
    ``numpy.random.Generator``; the same seed gives the same result) and adds quantile
    bands and the probability that each area is above each threshold. ``cannibalise``
    and ``munitions_noise`` apply to the Monte Carlo engine. Returns a :class:`Result`
    with the scenario and its baseline. Bad arguments raise
    :class:`~tether.ArgumentError`; a Monte Carlo run too large for the memory allowed
    (``TETHER_MAX_BYTES``) raises :class:`~tether.CapacityError` before it starts.

    >>> import tether
    >>> doc = tether.load("examples/single-fleet.yaml")
    >>> result = tether.simulate(doc, "us-pause-90")
    >>> result.areas
    ['long-range-fires']
    >>> f"{result.fraction('long-range-fires')[90]:.2f}"  # the day the cutoff ends
    '0.78'
    """
    _check_arguments(engine, reps, seed, quantiles)
    if not isinstance(scenario, Scenario):
        try:
            scenario = document.scenario(scenario)
        except KeyError as exc:
            raise ArgumentError(str(exc.args[0])) from None
    plan = compile_scenario(document, scenario, engine=engine)
    stops = _stops_something(plan)
    acting = _acting(scenario, plan, stops)
    start, end = _start_day(acting), _end_day(acting)
    extra: dict[str, object] = {}
    watched = None
    if engine == "analytic":
        out = run_analytic(plan, progress=progress)
        mean = {
            k: getattr(out, k)
            for k in ("availability", "software", "munitions", "services", "backorders")
        }
        mean["capability"] = out.capability
        data = _dataset(plan, mean)
    else:
        check_montecarlo_memory(
            document, scenario, plan, int(reps), len(quantiles), montecarlo_limit()
        )
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        hit = np.flatnonzero(plan.co_batch == 1)[
            stops & (plan.co_start[plan.co_batch == 1] <= plan.horizon)
        ]
        watch = Watch(
            weights=np.vstack([_membership(plan), np.eye(len(plan.fleets))]),
            thresholds=tuple(scenario.thresholds),
            recovery_level=scenario.recovery_level,
            start_day=start,
            cutoffs=hit,
        )
        mc = run_montecarlo(
            plan,
            int(reps),
            rng,
            cannibalise=cannibalise,
            munitions_noise=munitions_noise,
            keep_samples=[1],
            max_samples=sample_limit(plan),
            watch=watch,
            progress=progress,
        )
        data = _bands(plan, _dataset(plan, mc.mean), mc, quantiles, scenario.thresholds)
        watched = mc.watched
        del mc
        extra = {
            "reps": int(reps),
            "seed": int(seed) if not isinstance(seed, np.random.Generator) else None,
            "cannibalise": cannibalise,
        }

    def summary(cap: F64, base: F64, row: int) -> Summary:
        s = summarise(
            cap,
            base,
            thresholds=scenario.thresholds,
            recovery_level=scenario.recovery_level,
            start_day=start,
            end_day=end,
        )
        if watched is None:
            return s
        tts = {float(t): spread(watched.survive[row, i]) for i, t in enumerate(s.time_to_survive)}
        ttr = spread(watched.recover[row]) if end is not None else None
        return replace(s, survive_spread=tts, recover_spread=ttr)

    na = len(plan.areas)
    areas = {
        a: summary(data["area_capability"].values[i], data["area_baseline"].values[i], i)
        for i, a in enumerate(plan.areas)
    }
    fleets = {
        f: summary(data["capability"].values[i], data["baseline_capability"].values[i], na + i)
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
        data=data.assign(units_on_order=("fleet", units_on_order(document, scenario, plan.fleets))),
        summary=areas,
        fleet_summary=fleets,
        assumptions=assumptions,
        notes=(*_notes(plan, engine), *line_notes(document, scenario)),
        settings=extra,
        warnings=tuple(_warnings(scenario, stops)),
        drivers=_totals(data["area_lost"].values, plan.areas),
        fleet_drivers=_totals(data["lost"].values, plan.fleets),
    )
