"""Analytic engine throughput in part-days per second, against bare scipy.special.pdtr.

The floor of any exact Poisson evaluation done cell by cell is one special-function call
per (part row, day) cell. This benchmark times, in the same run and process:

- ``run_analytic``: the whole engine (pipelines with paused clocks, backorders,
  availability, factors) on a force of 10,000 part rows over 365 days under one cutoff
  (the plan's one batch member), with and without evaluating only what changes and the
  cheaper Poisson evaluations (``tether._engine.analytic.REUSE``,
  ``tether._engine.poisson.FAST``: off, every cell by the incomplete gamma function);
- ``simulate``: the public call (baseline and scenario, the result dataset built);
- ``scipy.special.pdtr(s, m)`` on the engine's own cells: ``m`` the pipeline mean of every
  (part row, day) of the members timed, ``s`` the row's spares (captured from the engine,
  not invented);
- the same three on every scenario of the shipped examples (``examples/*.yaml``).

Rates are part-days per second (for ``simulate``: baseline and scenario cells). Prints
``ratio NAME: VALUE`` lines: engine rate over the pdtr rate on the same cells. Each side
of a ratio is the best of ``--repeat`` runs, the two sides timed in turn.

Run: python -m benchmarks.analytic [--parts 10000] [--days 365] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import special

import tether
import tether._engine.analytic as analytic
import tether._engine.poisson as poisson
from tether import Cutoff, Document
from tether._allocator import tune_allocator
from tether._engine.analytic import part_pipelines, run_analytic
from tether._engine.arrays import Plan
from tether._plan import compile_plan, compile_scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def synthetic_force(parts: int, days: int, seed: int = 7) -> tuple[Document, Any]:
    """A force of 20 fleets sharing ``parts`` part rows, from 12 suppliers in 4 countries.

    Its scenario withholds everything under US jurisdiction from day 10 to day 190; the
    plan returned has that scenario alone as its one batch member.
    """
    rng = np.random.default_rng(seed)
    countries = ["US", "FR", "DE", "KR"]
    suppliers = [{"name": f"s{i}", "jurisdiction": countries[i % 4]} for i in range(12)]
    n_fleets = 20
    per = parts // n_fleets
    systems, fleets = [], []
    for f in range(n_fleets):
        plist = []
        spares = {}
        for p in range(per):
            condemn = float(rng.choice([0.0, 0.05, 0.2, 1.0]))
            domestic = float(rng.choice([0.0, 0.3, 0.6]))
            part: dict[str, Any] = {
                "name": f"p{p}",
                "quantity": int(rng.integers(1, 4)),
                "failure_rate": float(rng.uniform(1e-5, 4e-4)),
                "condemnation": condemn,
                "data_rights": True,
            }
            if condemn > 0:
                part["new_buy"] = {
                    "supplier": f"s{rng.integers(12)}",
                    "lead_time_days": float(rng.integers(30, 365)),
                }
            if condemn < 1:
                part["supplier_repair"] = {
                    "supplier": f"s{rng.integers(12)}",
                    "turnaround_days": float(rng.integers(10, 120)),
                }
                if domestic:
                    part["domestic_repair"] = {
                        "share": domestic,
                        "turnaround_days": float(rng.integers(5, 30)),
                    }
            plist.append(part)
            spares[f"p{p}"] = int(rng.integers(0, 8))
        systems.append({"name": f"sys{f}", "parts": plist})
        fleets.append(
            {
                "name": f"fleet{f}",
                "system": f"sys{f}",
                "area": f"area{f % 4}",
                "units": int(rng.integers(10, 60)),
                "hours_per_day": float(rng.uniform(1, 6)),
                "spares": spares,
            }
        )
    raw = {
        "jurisdictions": [{"name": c} for c in [*countries, "PL"]],
        "suppliers": suppliers,
        "systems": systems,
        "forces": [
            {
                "name": "force",
                "operator": "PL",
                "areas": [{"name": f"area{i}"} for i in range(4)],
                "fleets": fleets,
            }
        ],
        "scenarios": [
            {
                "name": "us-180",
                "force": "force",
                "horizon_days": days,
                "cutoffs": [{"jurisdiction": "US", "start_day": 10, "end_day": 190}],
            }
        ],
    }
    doc = Document.model_validate(raw)
    cut = [Cutoff(jurisdiction="US", start_day=10, end_day=190)]
    plan = compile_plan(doc, doc.forces[0], doc.scenarios[0], [cut], ["us-180"])
    return doc, plan


def best_of(repeat: int, fn: Any) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def engine_cells(plan: Plan) -> tuple[Any, Any]:
    """The (spares, pipeline mean) of every (part row, day) cell of every member of
    ``plan``, as the engine computes them (flat arrays)."""
    k, m = [], []
    for b in range(len(plan.batch)):
        mb = part_pipelines(plan, b)
        m.append(mb.ravel())
        k.append(np.repeat(plan.spares.astype(np.float64), mb.shape[1]))
    return np.concatenate(k), np.concatenate(m)


def interleaved(repeat: int, fns: dict[str, Any]) -> dict[str, float]:
    """Best of ``repeat`` seconds of each of ``fns``, timed in turn (one of each per round),
    so that a busy machine slows both sides of a ratio alike."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - t0)
    return best


def timed(repeat: int, plan: Plan, doc: Document | None, scenario: str | None) -> dict[str, float]:
    """Seconds: run_analytic (fast and straightforward), simulate, pdtr on the cells."""
    k, m = engine_cells(plan)
    out = interleaved(
        repeat, {"engine": lambda: run_analytic(plan), "pdtr": lambda: special.pdtr(k, m)}
    )
    analytic.REUSE = poisson.FAST = False
    try:
        out["straightforward"] = best_of(repeat, lambda: run_analytic(plan))
    finally:
        analytic.REUSE = poisson.FAST = True
    out["cells"] = float(len(m))
    if doc is not None:
        base = compile_scenario(doc, doc.scenario(scenario))
        kb, mb = engine_cells(base)
        both = interleaved(
            repeat,
            {
                "simulate": lambda: tether.simulate(doc, scenario),
                "pdtr_both": lambda: special.pdtr(kb, mb),
            },
        )
        out.update(both)
        out["cells_both"] = float(len(mb))
    return out


def main() -> None:
    tune_allocator()  # as the tether command does; both sides run in this process
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    machine = f"{platform.machine()} {platform.processor() or ''}".strip()
    print(f"machine: {machine}, python {platform.python_version()}")
    doc, plan = synthetic_force(args.parts, args.days)
    r = timed(args.repeat, plan, doc, "us-180")
    n_parts = len(plan.part_labels)
    cells = r["cells"]
    print(f"benchmark force: {cells:,.0f} part-days ({n_parts:,} rows x {plan.horizon + 1} days)")
    print(f"  run_analytic: {r['engine']:.3f} s  {cells / r['engine']:,.0f} part-days/s")
    print(f"  run_analytic, every cell: {r['straightforward']:.3f} s")
    print(f"  pdtr on its cells: {r['pdtr']:.3f} s  {cells / r['pdtr']:,.0f} cells/s")
    print(f"  simulate (baseline + scenario, dataset): {r['simulate']:.3f} s")
    print(f"  pdtr on baseline + scenario cells: {r['pdtr_both']:.3f} s")
    print(f"ratio analytic-vs-pdtr: {r['pdtr'] / r['engine']:.2f}")
    print(f"ratio analytic-every-cell-vs-pdtr: {r['pdtr'] / r['straightforward']:.2f}")
    print(f"ratio simulate-vs-pdtr: {r['pdtr_both'] / r['simulate']:.2f}")

    tot: dict[str, float] = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        ex = tether.load(path)
        for sc in ex.scenarios:
            p = compile_scenario(ex, sc)
            one = timed(args.repeat, p, ex, sc.name)
            for key, val in one.items():
                tot[key] = tot.get(key, 0.0) + val
            print(
                f"  {path.stem} / {sc.name}: {one['cells']:,.0f} part-days, run_analytic "
                f"{one['cells'] / one['engine']:,.0f} part-days/s, pdtr floor "
                f"{one['cells'] / one['pdtr']:,.0f} cells/s, "
                f"ratio {one['pdtr'] / one['engine']:.3f}"
            )
    print(
        f"examples (every scenario, summed): {tot['cells']:,.0f} part-days; run_analytic "
        f"{tot['engine']:.3f} s, every cell {tot['straightforward']:.3f} s, pdtr "
        f"{tot['pdtr']:.4f} s; simulate {tot['simulate']:.3f} s, pdtr {tot['pdtr_both']:.4f} s"
    )
    print(f"ratio examples-analytic-vs-pdtr: {tot['pdtr'] / tot['engine']:.3f}")
    print(f"ratio examples-simulate-vs-pdtr: {tot['pdtr_both'] / tot['simulate']:.3f}")


if __name__ == "__main__":
    main()
