"""`tether exposure` on every catalogue force: batched against one plan per cutoff.

The exposure sweep compiles one plan whose batch holds every (jurisdiction, kind) cutoff
and runs the analytic engine once. The baseline, in the same process, is the way a user
scripting it would: the no-cutoff run compiled and run once, then one plan per cutoff,
compiled and run one at a time, and its capability-days lost taken. Both sides: best of
two. Each
force must take under 10 seconds. The last lines are
``ratio exposure-batched-vs-one-by-one: VALUE`` (the slowest force's speed-up) and the
same for the force with the most part rows.

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
    """One plan per cutoff, as a user scripting it would: the no-cutoff baseline compiled
    and run ONCE, then each cutoff compiled and run alone, and its capability-days lost
    taken against that baseline (the number the sweep ranks by)."""
    f = doc.force(force)
    scenario = Scenario(name="x", force=force, horizon_days=365)
    suppliers = force_suppliers(doc, f)
    used = set(suppliers)
    t0 = time.perf_counter()
    base_plan = compile_plan(doc, f, scenario, [[]], ["b"])
    base = run_analytic(base_plan).capability[0]
    lost = []
    for target in _targets(doc, f, "jurisdiction", suppliers):
        for kinds in KIND_SETS:
            cut = Cutoff.model_validate({"jurisdiction": target, "kinds": [kinds]})
            if not used & set(stopped_suppliers(doc, cut)):
                continue  # the sweep skips cutoffs that stop nothing the force uses
            out = run_analytic(compile_plan(doc, f, scenario, [[cut]], ["c"]))
            lost.append(float(base_plan.weight @ (base - out.capability[0]).sum(axis=1)))
    return time.perf_counter() - t0


def main() -> None:
    tune_allocator()  # as the tether command does; both sides run in this process
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    t0 = time.perf_counter()
    doc = tether.load_text("{}\n", "<catalogue>")
    print(f"catalogue loaded in {time.perf_counter() - t0:.2f} s")
    slowest, ratio_at_slowest = 0.0, 0.0
    largest, ratio_at_largest = -1, 0.0
    for force in doc.forces:
        batched = float("inf")
        for _ in range(2):  # best of two, as the other side
            t0 = time.perf_counter()
            ranked = tether.exposure(doc, force.name)
            batched = min(batched, time.perf_counter() - t0)
        loop = min(one_by_one(doc, force.name) for _ in range(2))
        verdict = "ok" if batched < BUDGET_S else "OVER BUDGET"
        rows = len(
            compile_plan(
                doc, force, Scenario(name="x", force=force.name, horizon_days=1), [[]], ["b"]
            ).part_labels
        )
        print(
            f"{force.name:22s} {rows:4d} part rows, {len(ranked.rows):3d} cutoffs: "
            f"batched {batched:.3f} s, one by one (baseline once) {loop:.3f} s, "
            f"x{loop / batched:.2f} ({verdict})"
        )
        if batched > slowest:
            slowest, ratio_at_slowest = batched, loop / batched
        if rows > largest:
            largest, ratio_at_largest = rows, loop / batched
    print(f"slowest force: {slowest:.3f} s (budget {BUDGET_S:.0f} s)")
    print(f"ratio exposure-batched-vs-one-by-one: {ratio_at_slowest:.2f}")
    print(f"ratio exposure-largest-force-batched-vs-one-by-one: {ratio_at_largest:.2f}")


if __name__ == "__main__":
    main()
