"""Sweep throughput: 2 local worker processes against 1, and batched plans against one
scenario per plan.

A cartesian sweep of the shipped example force (``examples/single-fleet.yaml``): who cuts
(US, DE), six kind sets, twelve start days, eight lengths and two engine failure rates,
2,304 scenarios in chunks of 64. In the same run and process:

- the whole sweep (Parquet dataset written) with ``--workers 1`` and ``--workers 2``;
- scenarios per second of the batched path (every scenario of a chunk that shares a plan
  is one member of one batched plan) against one scenario per plan (chunks of one), the
  latter on the first ``--single`` scenarios.

Prints ``ratio sweep-2-vs-1: VALUE`` (goal: at least 1.8 on a 2-core machine) and
``ratio sweep-batched-vs-single: VALUE``.

Run: python -m benchmarks.sweep [--single 200]
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

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "single-fleet.yaml"

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
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(SWEEP, encoding="utf-8")
        spec = load_sweep(path)
        n = len(spec.points)
        evaluate_chunk(spec, [0, 1])  # imports and first-call costs, before any timing
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
        print(f"sweep: {n} scenarios in chunks of {spec.chunk_size}")
        rates = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            run = run_sweep(spec, Path(tmp) / f"w{workers}", workers=workers)
            dt = time.perf_counter() - t0
            rates[workers] = n / dt
            print(
                f"workers {workers}: {run.chunks} chunks in {dt:.2f} s, "
                f"{rates[workers]:,.0f} scenarios/s"
            )
        single = replace(spec, points=spec.points[: args.single], chunk_size=1)
        t0 = time.perf_counter()
        for i in range(len(single.points)):
            evaluate_chunk(single, [i])
        dt1 = time.perf_counter() - t0
        one = len(single.points) / dt1
        print(f"one scenario per plan: {len(single.points)} in {dt1:.2f} s, {one:,.0f} scenarios/s")
        print(f"ratio sweep-2-vs-1: {rates[2] / rates[1]:.2f}")
        print(f"ratio sweep-batched-vs-single: {rates[1] / one:.1f}")


if __name__ == "__main__":
    main()
