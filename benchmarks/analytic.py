"""Analytic engine throughput in part-days per second, against bare scipy.special.pdtr.

The floor of any exact Poisson evaluation is one special-function call per (part, day)
cell; this benchmark times the whole engine (pipelines with paused clocks, backorders,
availability, factors) on a force of 10,000 parts over 365 days under a cutoff, and
``scipy.special.pdtr`` over the same number of cells, in the same run.

Run: python benchmarks/analytic.py [--parts 10000] [--days 365] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Any

import numpy as np
from scipy import special

from tether import Cutoff, Document
from tether._allocator import tune_allocator
from tether._engine.analytic import run_analytic
from tether._plan import compile_plan


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


def main() -> None:
    tune_allocator()  # as the tether command does; both sides run in this process
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    _, plan = synthetic_force(args.parts, args.days)
    cells = len(plan.part_labels) * (plan.horizon + 1)

    t_engine = best_of(args.repeat, lambda: run_analytic(plan))

    rng = np.random.default_rng(1)
    k = rng.integers(0, 8, cells).astype(np.float64)
    m = rng.uniform(0.0, 6.0, cells)
    t_pdtr = best_of(args.repeat, lambda: special.pdtr(k, m))

    rate_engine = cells / t_engine
    rate_pdtr = cells / t_pdtr
    machine = f"{platform.machine()} {platform.processor() or ''}".strip()
    print(f"machine: {machine}, python {platform.python_version()}")
    n_parts = len(plan.part_labels)
    print(f"cells (part-days): {cells:,} ({n_parts:,} parts x {plan.horizon + 1} days)")
    print(f"tether analytic engine: {t_engine:.3f} s  {rate_engine:,.0f} part-days/s")
    print(f"bare scipy.special.pdtr: {t_pdtr:.3f} s  {rate_pdtr:,.0f} cells/s")
    print(f"ratio analytic-vs-pdtr: {rate_engine / rate_pdtr:.2f}")


if __name__ == "__main__":
    main()
