"""Peak memory of a large Monte Carlo run: a national force, 365 days, 10,000 replications.

The force is the analytic benchmark's: 20 fleets, 1,000 parts by default, 12 suppliers,
under a 180-day US cutoff. Peak memory is what ``tracemalloc`` sees (numpy's arrays
included) over the whole ``tether.simulate`` call, bands and all, beside the memory
check's estimate (``montecarlo_bytes``) and the memory it allows (1 GiB unless
``TETHER_MAX_BYTES`` is set). With ``--available``, every fleet is on the 'available' tempo
basis (the day-stepped path, its burn-in included). The budget is 1 GiB.

Run: python -m benchmarks.montecarlo_memory [--parts 1000] [--reps 10000] [--days 365]
[--available]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import tether
from benchmarks.analytic import synthetic_force
from tether._allocator import tune_allocator
from tether._mc_size import montecarlo_bytes, montecarlo_limit
from tether._plan import compile_scenario

BUDGET = 2**30


def main() -> None:
    tune_allocator()  # as the tether command does; both sides run in this process
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--available", action="store_true", help="every fleet on 'available'")
    args = ap.parse_args()
    doc, _ = synthetic_force(args.parts, args.days)
    if args.available:
        forces = [
            f.model_copy(
                update={
                    "fleets": [x.model_copy(update={"tempo_basis": "available"}) for x in f.fleets]
                }
            )
            for f in doc.forces
        ]
        doc = doc.model_copy(update={"forces": forces})
    scenario = doc.scenario("us-180")
    estimate = montecarlo_bytes(compile_scenario(doc, scenario), args.reps)
    allowed = montecarlo_limit()
    print(f"memory check's estimate: {estimate / 2**20:.0f} MiB, allowed {allowed / 2**20:.0f} MiB")
    tracemalloc.start()
    t0 = time.perf_counter()
    result = tether.simulate(doc, "us-180", engine="montecarlo", reps=args.reps, seed=1)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    fleets = len(result.fleets)
    print(f"force: {fleets} fleets, {args.parts} parts, {args.days} days, {args.reps} reps")
    print(f"time: {elapsed:.1f} s; peak traced memory: {peak / 2**20:.0f} MiB")
    print(f"ratio memory-vs-1GiB-budget: {peak / BUDGET:.2f}")


if __name__ == "__main__":
    main()
