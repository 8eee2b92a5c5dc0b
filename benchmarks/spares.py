"""The spares curve of a 10,000-part force against marginal analysis one engine call a step.

The force: 20 fleets, each of its own system of 500 parts (10,000 fleet-part rows; one part
in five installed twice or more, so ``Z > 1``), repaired by a US supplier, partly at home, and
bought new from the US; the scenario: a one-year US cutoff of everything. The curve is taken
at days 180 and 365 (pipelines from the analytic engine), to the point where more stock
gains nothing. Goal: under 5 s.

The baseline, in the same run and from the same pipelines, is what a competent user of the
engine would write: a heap of parts keyed by the next unit's gain in value-weighted log
availability per unit cost; each step pops the best part, adds one unit and calls the engine
(:func:`tether._engine.poisson.backorders_and_up`, exact, on that part's pipelines at both
days) for its next unit's gain, and pushes it back. It runs for as many steps as the curve
has units (a step of the curve may add several units of a ``Z > 1`` part where its hull
says so), and its time is compared with the curve's, pipelines included in neither. Unit
by unit, it stalls on parts whose first units gain nothing (a ``Z > 1`` part that grounds
every unit until several arrive); the availability each reaches is printed. The last line
is ``ratio spares-curve-vs-per-step-engine: VALUE``.

Run: python -m benchmarks.spares
"""

from __future__ import annotations

import heapq
import platform
import time

import numpy as np

import tether
from tether._allocator import tune_allocator
from tether._analysis.spares import _pipelines, _resolve, spares_curve
from tether._engine.poisson import backorders_and_up

GOAL_S = 5.0
FLEETS, PARTS = 20, 500


def force_yaml(seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    out = ["suppliers:", "  - {name: us-prime, jurisdiction: US}", "systems:"]
    for s in range(FLEETS):
        out += [f"  - name: sys-{s}", "    assumed: {parts: synthetic benchmark}", "    parts:"]
        for p in range(PARTS):
            z = int(rng.choice([1, 1, 1, 1, 2, 4]))
            rate = float(rng.lognormal(np.log(3e-5), 0.8))
            cost = int(rng.lognormal(np.log(2e4), 1.2)) + 100
            home = float(rng.choice([0.0, 0.3, 0.6]))
            out.append(
                f"      - {{name: p{p}, quantity: {z}, failure_rate: {rate:.6g}, "
                f"unit_cost: {cost}, condemnation: 0.1, data_rights: true, "
                f"domestic_repair: {{share: {home}, turnaround_days: 20}}, "
                f"supplier_repair: {{supplier: us-prime, turnaround_days: "
                f"{int(rng.integers(20, 120))}}}, "
                f"new_buy: {{supplier: us-prime, "
                f"lead_time_days: {int(rng.integers(90, 400))}}}}}"
            )
    out += [
        "forces:",
        "  - name: big",
        "    operator: EE",
        "    areas: [{name: all}]",
        "    fleets:",
    ]
    for s in range(FLEETS):
        out.append(
            f"      - {{name: fleet-{s}, system: sys-{s}, area: all, "
            f"units: {int(rng.integers(20, 80))}, hours_per_day: 4}}"
        )
    out += [
        "scenarios:",
        "  - name: us-year",
        "    force: big",
        "    horizon_days: 365",
        "    cutoffs: [{jurisdiction: US, kinds: [all], start_day: 0}]",
    ]
    return "\n".join(out) + "\n"


def per_step_engine(doc: tether.Document, steps: int) -> tuple[float, float, int]:
    """The baseline: a heap, one engine call per step. Returns seconds, the availability
    reached, and the steps taken."""
    force, picked = _resolve(doc, "us-year", None)
    plan, m, _ = _pipelines(doc, force, picked, [180, 365])
    f = plan.part_fleet
    share = plan.units * plan.weight / (plan.units * plan.weight).sum()
    w = share[f] / m.shape[1]
    t0 = time.perf_counter()
    level = plan.spares.copy()

    def log_up(rows: np.ndarray, s: np.ndarray) -> np.ndarray:
        _, up = backorders_and_up(m[rows], s, plan.units[f[rows]], plan.quantity[rows])
        with np.errstate(divide="ignore"):
            return np.maximum(np.log(up), -700.0)

    rows = np.arange(len(f))
    now = log_up(rows, level)
    nxt = log_up(rows, level + 1)
    gain = (w[:, None] * (nxt - now)).sum(axis=1)
    heap = [(-g / plan.unit_cost[p], p) for p, g in enumerate(gain)]
    heapq.heapify(heap)
    log_f = np.zeros((len(plan.fleets), m.shape[1]))
    np.add.at(log_f, f, now)
    taken = 0
    while heap and taken < steps:
        _, p = heapq.heappop(heap)
        one = np.array([p])
        log_f[f[p]] += nxt[p] - now[p]
        now[p] = nxt[p]
        level[p] += 1
        nxt[p] = log_up(one, level[one])[0]  # the engine, once per step
        g = float((w[p] * (nxt[p] - now[p])).sum())
        heapq.heappush(heap, (-g / plan.unit_cost[p], p))
        taken += 1
    avail = float((share * np.exp(log_f).mean(axis=1)).sum())
    return time.perf_counter() - t0, avail, taken


def main() -> None:
    tune_allocator()
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    t0 = time.perf_counter()
    doc = tether.load_text(force_yaml(), "<benchmark>")
    print(f"force of {FLEETS * PARTS:,} parts loaded in {time.perf_counter() - t0:.1f} s")
    force, picked = _resolve(doc, "us-year", None)
    _pipelines(doc, force, picked, [180, 365])  # warm-up: imports, caches
    t0 = time.perf_counter()
    _pipelines(doc, force, picked, [180, 365])
    pipes = time.perf_counter() - t0
    print(f"pipelines at days 180 and 365 (compile + analytic engine): {pipes:.2f} s")
    t0 = time.perf_counter()
    curve = spares_curve(doc, "us-year", days=[180, 365])
    total = time.perf_counter() - t0
    curve_only = max(total - pipes, 1e-3)
    units = int(sum(curve.stock(-1).values()) - sum(curve.stock(0).values()))
    print(
        f"curve: {len(curve):,} points, {units:,} units, cost {curve.cost[-1]:.3g}, "
        f"availability {curve.availability[0]:.3g} -> {curve.availability[-1]:.6f}; "
        f"{total:.2f} s with pipelines, {curve_only:.2f} s without "
        f"({'ok' if total < GOAL_S else 'OVER GOAL'}, goal {GOAL_S:.0f} s)"
    )
    base, avail, taken = per_step_engine(doc, units)
    print(
        f"baseline (heap, one engine call per step): {taken:,} steps in {base:.2f} s, "
        f"availability {avail:.6f}"
    )
    print(f"ratio spares-curve-vs-per-step-engine: {base / curve_only:.1f}")


if __name__ == "__main__":
    main()
