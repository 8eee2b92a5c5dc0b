"""A straightforward SimPy discrete-event model of one fleet's spares pipeline.

Written the way an analyst would, independently of tether's engines: one process per
part generating failures, one process per failed item walking it through its repair or
procurement route (waiting out supplier cutoffs), and a monitor reading the state once
a day. It models what tether's Monte Carlo engine models for a fleet on the 'fleet'
tempo basis with cannibalisation: Poisson failures at ``N * Z * rate * hours`` per day,
routes chosen by their shares, deterministic turnarounds whose clocks stop while the
route's supplier withholds that kind, spares on hand, and units up
``N - max_i ceil(backorders_i / Z_i)``.

Before day 0 the model runs a warm-up with no cutoff of one longest turnaround: with
deterministic turnarounds the pipeline then holds exactly the failures of the last
turnaround, so day 0 is in steady state (the warm-up starts with stock on the shelf and
an empty pipeline). A failure's route is one uniform draw compared with the cumulative
shares, as an analyst would write it. The monitor records availability and backorders.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy


@dataclass
class RefPart:
    name: str
    quantity: int
    rate_per_day: float  # N * Z * failure_rate * hours
    spares: int
    # (share, turnaround days, cut windows [(start, end or None)]) per route
    routes: list[tuple[float, float, list[tuple[float, float | None]]]]


@dataclass
class RefFleet:
    units: int
    parts: list[RefPart] = field(default_factory=list)
    horizon: int = 365


def _in_window(now: float, windows: list[tuple[float, float | None]]) -> tuple[bool, float]:
    """Whether ``now`` is inside a cutoff, and when that cutoff ends (inf: never)."""
    for start, end in windows:
        if start <= now and (end is None or now < end):
            return True, math.inf if end is None else end
    return False, 0.0


def _next_start(now: float, windows: list[tuple[float, float | None]]) -> float:
    starts = [s for s, _ in windows if s > now]
    return min(starts) if starts else math.inf


class FleetModel:
    def __init__(self, env: simpy.Environment, fleet: RefFleet, rng: np.random.Generator):
        self.env = env
        self.fleet = fleet
        self.rng = rng
        self.stock = [p.spares for p in fleet.parts]
        self.backorders = [0 for _ in fleet.parts]
        self.available: list[float] = []
        self.backordered: list[int] = []
        for i in range(len(fleet.parts)):
            env.process(self.failures(i))

    def failures(self, i: int) -> Generator[Any, Any, None]:
        part = self.fleet.parts[i]
        if part.rate_per_day <= 0:
            return
        cumulative = list(itertools.accumulate(s for s, _, _ in part.routes))
        last = len(cumulative) - 1
        while True:
            yield self.env.timeout(self.rng.exponential(1.0 / part.rate_per_day))
            if self.stock[i] > 0:
                self.stock[i] -= 1
            else:
                self.backorders[i] += 1
            u = self.rng.random()
            route = next((k for k, c in enumerate(cumulative) if u < c), last)
            self.env.process(self.repair(i, route))

    def repair(self, i: int, route: int) -> Generator[Any, Any, None]:
        _, turnaround, windows = self.fleet.parts[i].routes[route]
        remaining = turnaround
        while remaining > 1e-12:
            cut, until = _in_window(self.env.now, windows)
            if cut:
                if math.isinf(until):
                    return  # never comes back
                yield self.env.timeout(until - self.env.now)
                continue
            step = min(remaining, _next_start(self.env.now, windows) - self.env.now)
            yield self.env.timeout(step)
            remaining -= step
        if self.backorders[i] > 0:
            self.backorders[i] -= 1
        else:
            self.stock[i] += 1

    def monitor(self, start: float) -> Generator[Any, Any, None]:
        yield self.env.timeout(start - self.env.now + 1e-9)  # read after events at t
        for _ in range(self.fleet.horizon + 1):
            down = max(
                (
                    math.ceil(b / p.quantity)
                    for b, p in zip(self.backorders, self.fleet.parts, strict=True)
                ),
                default=0,
            )
            self.available.append(max(self.fleet.units - down, 0) / self.fleet.units)
            self.backordered.append(sum(self.backorders))
            yield self.env.timeout(1.0)


@dataclass
class RefRun:
    """Per replication and day ``[reps, horizon + 1]``: availability and total
    backorders."""

    availability: np.ndarray
    backorders: np.ndarray


def simulate_reference(fleet: RefFleet, reps: int, seed: int) -> RefRun:
    """Simulate ``reps`` replications of ``fleet`` from ``seed``."""
    rng = np.random.default_rng(seed)
    warmup = max((t for p in fleet.parts for _, t, _ in p.routes), default=0.0) + 1.0
    avail = np.empty((reps, fleet.horizon + 1))
    held = np.empty((reps, fleet.horizon + 1))
    for r in range(reps):
        env = simpy.Environment(initial_time=-warmup)
        model = FleetModel(env, fleet, rng)
        env.process(model.monitor(0.0))
        env.run(until=fleet.horizon + 0.5)
        avail[r] = model.available
        held[r] = model.backordered
    return RefRun(avail, held)
