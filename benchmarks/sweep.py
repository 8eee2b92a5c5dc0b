"""Sweep throughput: 2 local worker processes against 1, and batched plans against one
scenario per plan.

A cartesian sweep of the shipped example force (``examples/single-fleet.yaml``): who cuts
(US, DE), six kind sets, twelve start days, eight lengths and two engine failure rates,
2,304 scenarios in chunks of 64. In the same run and process:

- the whole sweep (Parquet dataset written) with ``--workers 1`` and ``--workers 2``;
- scenarios per second of the batched path (every scenario of a chunk that shares a plan
  is one member of one batched plan) against one scenario per plan (chunks of one), the
  latter on the first ``--single`` scenarios.

- the Monte Carlo engine on the first ``--mc`` scenarios (``--replications`` each, in
  chunks of 16; every scenario one engine run from its own stream), 1 and 2 workers.

- the same 2,304-scenario design on a national force of the catalogue (``taiwan``: four
  fleets, US and French cutoffs, 16 lengths), 1 and 2 workers: each scenario costs what a
  real force costs, so the fixed cost of a pool (forking, sending chunks back, writing
  Parquet in the parent) no longer dominates a 3-second run.

Prints ``ratio sweep-2-vs-1: VALUE`` (the national force; goal: at least 1.8 on a 2-core
machine), ``ratio sweep-2-vs-1-small: VALUE`` (the example force),
``ratio sweep-batched-vs-single: VALUE`` and ``ratio sweep-mc-2-vs-1: VALUE``, with the
load average (1 min) before each timed part: figures from a busy machine are not
comparable.

Run: python -m benchmarks.sweep [--single 200] [--mc 128] [--replications 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tether._sweep import load_sweep, run_sweep
from tether._sweep.evaluate import evaluate_chunk
from tether._sweep.spec import SweepSpec

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "single-fleet.yaml"

NATIONAL = """
sweep:
  force: taiwan
  horizon_days: 365
  chunk_size: 64
axes:
  jurisdiction: [US, FR]
  kinds: [all, spares, repair, software, munitions, services]
  start_day: {from: 0, to: 330, step: 30}
  duration_days: [15, 30, 45, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330, 365, 400, 500]
"""

SWEEP = f"""
sweep:
  file: {EXAMPLE}
  force: demo
  scenario: us-pause-90
  chunk_size: 64
axes:
  jurisdiction: [US, DE]
  kinds: [all, spares, repair, software, munitions, services]
  start_day: {{from: 0, to: 330, step: 30}}
  duration_days: [15, 30, 60, 90, 120, 180, 270, 365]
  systems[launcher-x].parts[engine].failure_rate: [0.0002, 0.0008]
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--single", type=int, default=200, help="Scenarios run one per plan.")
    ap.add_argument("--mc", type=int, default=128, help="Scenarios run by Monte Carlo.")
    ap.add_argument("--replications", type=int, default=200, help="Monte Carlo replications.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(SWEEP, encoding="utf-8")
        spec = load_sweep(path)
        n = len(spec.points)
        evaluate_chunk(spec, [0, 1])  # imports and first-call costs, before any timing
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
        print(f"sweep: {n} scenarios in chunks of {spec.chunk_size}")
        rates = _workers(spec, Path(tmp) / "w", "example force")
        national_path = Path(tmp) / "national.yaml"
        national_path.write_text(NATIONAL, encoding="utf-8")
        national = load_sweep(national_path)
        evaluate_chunk(national, [0, 1])
        big = _workers(national, Path(tmp) / "n", "taiwan")
        single = replace(spec, points=spec.points[: args.single], chunk_size=1)
        load = _load()
        t0 = time.perf_counter()
        for i in range(len(single.points)):
            evaluate_chunk(single, [i])
        dt1 = time.perf_counter() - t0
        one = len(single.points) / dt1
        print(
            f"one scenario per plan: {len(single.points)} in {dt1:.2f} s, "
            f"{one:,.0f} scenarios/s (load {load})"
        )
        mc = replace(
            spec,
            points=spec.points[: args.mc],
            chunk_size=16,
            engine="montecarlo",
            replications=args.replications,
            digest=spec.digest + "-mc",
        )
        mc_rates = _workers(mc, Path(tmp) / "mc", f"montecarlo x {args.replications} reps")
        print(f"ratio sweep-2-vs-1: {big[2] / big[1]:.2f}")
        print(f"ratio sweep-2-vs-1-small: {rates[2] / rates[1]:.2f}")
        print(f"ratio sweep-batched-vs-single: {rates[1] / one:.1f}")
        print(f"ratio sweep-mc-2-vs-1: {mc_rates[2] / mc_rates[1]:.2f}")


def _workers(spec: SweepSpec, out: Path, label: str) -> dict[int, float]:
    """Scenarios per second of the whole sweep (Parquet written) on 1 and 2 workers."""
    rates = {}
    for workers in (1, 2):
        load = _load()
        t0 = time.perf_counter()
        run = run_sweep(spec, out.with_name(f"{out.name}{workers}"), workers=workers)
        dt = time.perf_counter() - t0
        rates[workers] = len(spec.points) / dt
        print(
            f"{label}, {len(spec.points)} scenarios, workers {workers}: {run.chunks} chunks "
            f"in {dt:.2f} s, {rates[workers]:,.1f} scenarios/s (load {load})"
        )
    return rates


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


if __name__ == "__main__":
    main()
