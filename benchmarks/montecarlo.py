"""tether's Monte Carlo engine against a SimPy model of the same fleet, at equal replications.

For a small, a medium and a large fleet (one cutoff of a supplier's repair and spares from
day 30 to day 120, 365 days), both models simulate the same cases (the no-cutoff baseline
and the scenario, as tether does) with the same number of replications; the script checks
that mean availability and mean backorders agree within sampling error on every tenth day
and prints the time ratio per case (``ratio montecarlo-vs-simpy-CASE: VALUE``). Its last
line is ``ratio montecarlo-vs-simpy: VALUE`` (medium case).

Run: python -m benchmarks.montecarlo [--reps 100] [--seed 1]; with ``--stepped``, the
day-stepped path against the fixed path (``ratio stepped-available-vs-fixed: VALUE``);
with ``--examples``, the same on every shipped example's scenarios, all fleets switched to
the 'available' basis against the fixed path (no basis, no depot capacity). Times are
the best of ``--repeat`` runs, in CPU seconds of this process (the machine is shared:
wall times move with the load, CPU times much less), wall seconds beside.
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.simpy_reference import RefFleet, RefPart, simulate_reference
from tether import Document
from tether._allocator import tune_allocator
from tether._engine.arrays import ROUTE_KIND, Plan
from tether._engine.montecarlo import run_montecarlo
from tether._plan import compile_scenario

CASES = {"small": (4, 12), "medium": (12, 24), "large": (40, 48)}


def fleet_document(n_parts: int, units: int, seed: int = 3) -> Document:
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n_parts):
        part: dict[str, Any] = {
            "name": f"p{i}",
            "quantity": int(rng.integers(1, 3)),
            "failure_rate": float(rng.uniform(0.0005, 0.003)),
            "condemnation": 0.1,
            "data_rights": True,
            "new_buy": {"supplier": "oem", "lead_time_days": float(rng.integers(60, 120))},
            "supplier_repair": {"supplier": "oem", "turnaround_days": float(rng.integers(20, 60))},
            "domestic_repair": {"share": 0.4, "turnaround_days": float(rng.integers(5, 15))},
        }
        parts.append(part)
    spares = {f"p{i}": int(rng.integers(2, 7)) for i in range(n_parts)}
    raw = {
        "jurisdictions": [{"name": "US"}, {"name": "PL"}],
        "suppliers": [{"name": "oem", "jurisdiction": "US"}],
        "systems": [{"name": "sys", "parts": parts}],
        "forces": [
            {
                "name": "f",
                "operator": "PL",
                "areas": [{"name": "a"}],
                "fleets": [
                    {
                        "name": "fleet",
                        "system": "sys",
                        "area": "a",
                        "units": units,
                        "hours_per_day": 2.0,
                        "spares": spares,
                    }
                ],
            }
        ],
        "scenarios": [
            {
                "name": "cut",
                "force": "f",
                "horizon_days": 365,
                "cutoffs": [
                    {
                        "supplier": "oem",
                        "kinds": ["spares", "repair"],
                        "start_day": 30,
                        "end_day": 120,
                    }
                ],
            }
        ],
    }
    return Document.model_validate(raw)


def _windows(mask: np.ndarray) -> list[tuple[float, float | None]]:
    days = np.flatnonzero(mask)
    if not len(days):
        return []
    runs = np.split(days, np.flatnonzero(np.diff(days) > 1) + 1)
    return [(float(r[0]), None if r[-1] == len(mask) - 1 else float(r[-1] + 1)) for r in runs]


def reference_fleet(plan: Plan, b: int = 1) -> RefFleet:
    """The same fleet for the SimPy model, read off the compiled plan."""
    units = int(plan.units[0])
    ref = RefFleet(units=units, horizon=plan.horizon)
    for p in range(len(plan.part_labels)):
        routes = []
        for r, kind in enumerate(ROUTE_KIND):
            if plan.share[p, r] <= 0:
                continue
            s = plan.route_supplier[p, r]
            windows = _windows(plan.cut[b, s, kind]) if kind >= 0 and s >= 0 else []
            routes.append((float(plan.share[p, r]), float(plan.route_time[p, r]), windows))
        total = sum(w for w, _, _ in routes)
        routes = [(w / total, t, win) for w, t, win in routes]
        rate = plan.units[0] * plan.quantity[p] * plan.failure_rate[p] * plan.hours[0, 0]
        ref.parts.append(
            RefPart(
                plan.part_labels[p],
                int(plan.quantity[p]),
                float(rate),
                int(plan.spares[p]),
                routes,
            )
        )
    return ref


def best_of(repeat: int, fn: Any) -> tuple[float, Any]:
    """The shortest of ``repeat`` timed runs (this machine is shared and noisy)."""
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def best_cpu(repeat: int, fn: Any) -> tuple[float, float]:
    """The shortest CPU time and the shortest wall time of ``repeat`` runs."""
    cpu, wall = np.inf, np.inf
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    return cpu, wall


def _fixed_and_available(plan: Plan) -> tuple[Plan, Plan]:
    """``plan`` on the fixed path (no fleet on the 'available' basis, no depot capacity)
    and with every fleet on the 'available' basis (depot capacities kept)."""
    fixed = replace(
        plan,
        available_basis=np.zeros_like(plan.available_basis),
        route_capacity=np.full_like(plan.route_capacity, np.inf),
    )
    return fixed, replace(plan, available_basis=np.ones_like(plan.available_basis))


def examples_stepped(reps: int, seed: int, repeat: int) -> float:
    """Every shipped example's scenarios: all fleets on the 'available' basis against the
    fixed path, at the same replications; returns the largest ratio."""
    from tether import load

    worst = 0.0
    examples = Path(__file__).resolve().parent.parent / "examples"
    for path in sorted(examples.glob("*.yaml")):
        doc = load(path)
        for scenario in doc.own_scenarios():
            fixed, available = _fixed_and_available(compile_scenario(doc, scenario))
            times = {}
            for name, p in (("fixed", fixed), ("available", available)):
                times[name] = best_cpu(
                    repeat,
                    lambda p=p: run_montecarlo(
                        p, reps, np.random.default_rng(seed), keep_samples=[]
                    ),
                )
            ratio = times["available"][0] / times["fixed"][0]
            worst = max(worst, ratio)
            print(
                f"{path.name} {scenario.name}: {len(fixed.part_labels)} part rows, "
                f"{len(fixed.fleets)} fleets, {fixed.horizon} days; fixed "
                f"{times['fixed'][0]:.2f} s CPU ({times['fixed'][1]:.2f} s wall), available "
                f"{times['available'][0]:.2f} s CPU ({times['available'][1]:.2f} s wall): "
                f"ratio {ratio:.2f}"
            )
    return worst


def compare(case: str, reps: int, seed: int, repeat: int) -> float:
    """Time both models on the same cases (the baseline and the scenario, as tether
    simulates them) and check that availability and backorders agree."""
    n_parts, units = CASES[case]
    doc = fleet_document(n_parts, units)
    plan = compile_scenario(doc, doc.scenarios[0])
    t_tether, mc = best_of(
        repeat,
        lambda: run_montecarlo(
            plan, reps, np.random.default_rng(seed), cannibalise=True, keep_samples=[]
        ),
    )
    refs = [reference_fleet(plan, b) for b in (0, 1)]
    t_simpy, sims = best_of(
        repeat if case != "large" else 1,
        lambda: [simulate_reference(ref, reps, seed + b) for b, ref in enumerate(refs)],
    )
    days = np.arange(0, plan.horizon + 1, 10)
    worst = 0.0
    for b, sim in enumerate(sims):
        for key, ref in (("availability", sim.availability), ("backorders", sim.backorders)):
            m = mc.mean[key][b, 0, days]
            se = np.hypot(mc.stderr[key][b, 0, days], ref.std(axis=0, ddof=1)[days] / np.sqrt(reps))
            worst = max(
                worst, float((np.abs(m - ref.mean(axis=0)[days]) / np.maximum(se, 1e-12)).max())
            )
    agree = worst <= 4.0
    a_mc, a_ref = mc.mean["availability"][1, 0, days], sims[1].availability.mean(axis=0)[days]
    print(
        f"{case:6s} parts={n_parts:3d} units={units:3d} reps={reps} (baseline and scenario): "
        f"tether {t_tether:.3f} s, simpy {t_simpy:.2f} s, ratio {t_simpy / t_tether:.0f}x; "
        f"mean availability tether {a_mc.mean():.4f} simpy {a_ref.mean():.4f}; "
        f"availability and backorders max |z| {worst:.2f} ({'agree' if agree else 'DISAGREE'})"
    )
    if not agree:
        raise SystemExit(f"{case}: outputs disagree beyond sampling error")
    return t_simpy / t_tether


def stepped_vs_fixed(reps: int, seed: int, repeat: int) -> float:
    """Time the day-stepped path (every fleet on the 'available' basis; then a depot
    capacity on every supplier-repair route) against the fixed path on the medium fleet,
    at the same replications."""
    n_parts, units = CASES["medium"]
    doc = fleet_document(n_parts, units)
    plan = compile_scenario(doc, doc.scenarios[0])
    cap = plan.route_capacity.copy()
    cap[:, 2] = np.where(plan.share[:, 2] > 0, 5.0, np.inf)
    variants = {
        "fixed": plan,
        "available": replace(plan, available_basis=np.ones_like(plan.available_basis)),
        "capacity": replace(plan, route_capacity=cap),
    }
    times, walls = {}, {}
    for name, p in variants.items():
        times[name], walls[name] = best_cpu(
            repeat,
            lambda p=p: run_montecarlo(p, reps, np.random.default_rng(seed), keep_samples=[]),
        )
    print(
        f"medium, {reps} reps, CPU seconds (wall): fixed {times['fixed']:.2f} s "
        f"({walls['fixed']:.2f}), 'available' basis {times['available']:.2f} s "
        f"({walls['available']:.2f}; burn-in included), depot capacity "
        f"{times['capacity']:.2f} s ({walls['capacity']:.2f})"
    )
    print(f"ratio stepped-capacity-vs-fixed: {times['capacity'] / times['fixed']:.1f}")
    return times["available"] / times["fixed"]


def main() -> None:
    tune_allocator()  # as the tether command does; both sides run in this process
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs (large: 1)")
    ap.add_argument("--stepped", action="store_true", help="time the day-stepped path instead")
    ap.add_argument(
        "--examples", action="store_true", help="the day-stepped path on the shipped examples"
    )
    args = ap.parse_args()
    machine = f"{platform.machine()} {platform.processor() or ''}".strip()
    print(f"machine: {machine}, python {platform.python_version()}")
    if args.examples:
        ratio = examples_stepped(args.reps, args.seed, args.repeat)
        print(f"ratio stepped-available-vs-fixed-examples-worst: {ratio:.2f}")
        return
    if args.stepped:
        ratio = stepped_vs_fixed(args.reps, args.seed, args.repeat)
        print(f"ratio stepped-available-vs-fixed: {ratio:.1f}")
        return
    ratios = {case: compare(case, args.reps, args.seed, args.repeat) for case in CASES}
    for case, ratio in ratios.items():
        print(f"ratio montecarlo-vs-simpy-{case}: {ratio:.1f}")
    print(f"ratio montecarlo-vs-simpy: {ratios['medium']:.1f}")


if __name__ == "__main__":
    main()
