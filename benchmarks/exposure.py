"""`tether exposure` on every catalogue force: batched against one plan per cutoff.

The exposure sweep compiles one plan whose batch holds every (jurisdiction, kind) cutoff
and runs the analytic engine once. The baseline, in the same run, is the way a
spreadsheet user would do it: one scenario per cutoff, compiled and run one at a time.
Each force must take under 10 seconds. The last line is
``ratio exposure-batched-vs-one-by-one: VALUE`` (the slowest force's speed-up).

Run: python benchmarks/exposure.py
"""

from __future__ import annotations

import platform
import time

import tether
from tether._allocator import tune_allocator
from tether._analysis.exposure import KIND_SETS, _targets
from tether._engine.analytic import run_analytic
from tether._model import Cutoff, Scenario
from tether._plan import compile_plan, force_suppliers, stopped_suppliers

BUDGET_S = 10.0


def one_by_one(doc: tether.Document, force: str) -> float:
    f = doc.force(force)
    scenario = Scenario(name="x", force=force, horizon_days=365)
    suppliers = force_suppliers(doc, f)
    used = set(suppliers)
    t0 = time.perf_counter()
    for target in _targets(doc, f, "jurisdiction", suppliers):
        for kinds in KIND_SETS:
            cut = Cutoff.model_validate({"jurisdiction": target, "kinds": [kinds]})
            if not used & set(stopped_suppliers(doc, cut)):
                continue  # the sweep skips cutoffs that stop nothing the force uses
            run_analytic(compile_plan(doc, f, scenario, [[], [cut]], ["b", "c"]))
    return time.perf_counter() - t0


def main() -> None:
    tune_allocator()  # as the tether command does; both sides run in this process
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    t0 = time.perf_counter()
    doc = tether.load_text("{}\n", "<catalogue>")
    print(f"catalogue loaded in {time.perf_counter() - t0:.2f} s")
    slowest, ratio_at_slowest = 0.0, 0.0
    for force in doc.forces:
        t0 = time.perf_counter()
        ranked = tether.exposure(doc, force.name)
        batched = time.perf_counter() - t0
        loop = one_by_one(doc, force.name)
        verdict = "ok" if batched < BUDGET_S else "OVER BUDGET"
        print(
            f"{force.name:22s} {len(ranked.rows):3d} cutoffs: batched {batched:.3f} s, "
            f"one by one {loop:.3f} s, x{loop / batched:.1f} ({verdict})"
        )
        if batched > slowest:
            slowest, ratio_at_slowest = batched, loop / batched
    print(f"slowest force: {slowest:.3f} s (budget {BUDGET_S:.0f} s)")
    print(f"ratio exposure-batched-vs-one-by-one: {ratio_at_slowest:.1f}")


if __name__ == "__main__":
    main()
