"""Portfolio optimisation: 40 options over 20 scenarios, with the gap the search proves.

The force is the catalogue's ``european-nato`` (7 fleets, 365 days). The 40 options are
spares for every part of every fleet, munitions stockpiles, an alternative targeting
provider, a domestic F135 depot with its data rights, and units of other systems (SAMP/T
batteries with a random delivery date, Gripen replacing F-16s, PULS replacing HIMARS,
more Rafales). The 20 scenarios are US, German and French cutoffs of several starts and
lengths, weighted.

Measured in the same run:

* ``tether.optimise`` (exact: every fleet's option subsets evaluated by the engine, the
  MILP solved by HiGHS), its time (goal: under 30 s) and the gap HiGHS proves;
* the baseline: greedy by ratio (add the option, or an option with what it requires,
  with the best objective gain per unit cost that still fits, until none improves),
  evaluated on the same engine tables;
* the same instance with enumeration capped at 3 options per fleet (the fallback: local
  search, gap proved against each such fleet's capability at most units).

Prints ``ratio optimise-vs-greedy: VALUE`` (objective of the optimum over the greedy's)
and ``ratio optimise-goal-time: VALUE`` (goal seconds over measured seconds).
"""

from __future__ import annotations

import math
import os
import platform
import time
from typing import Any

import numpy as np
import yaml

import tether
from tether._analysis.portfolio_search import Problem

GOAL_S = 30.0
BUDGET = 3e9

FLEET_PARTS = {
    "f-35a": (["f135-engine-module", "airframe-heavy", "avionics-lru"], 2_000_000.0),
    "f-16": (["engine-module", "avionics-lru", "ew-pod"], 1_000_000.0),
    "rafale": (["m88-engine-module", "rbe2-radar-lru", "airframe-lru"], 1_000_000.0),
    "patriot": (["radar-lru", "launcher", "engagement-control"], 1_000_000.0),
    "samp-t": (["radar-lru", "launcher", "engagement-control"], 1_000_000.0),
    "himars": (["truck-powertrain", "launcher-module", "fire-control"], 500_000.0),
    "k9": (["engine", "gun-and-turret"], 300_000.0),
}


def options() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for fleet, (parts, cost) in FLEET_PARTS.items():
        for i, part in enumerate(parts):
            out.append(
                {
                    "name": f"spares-{fleet}-{part}",
                    "cost": 10 * cost * (1 + i),
                    "lead_time_days": 90 + 30 * i,
                    "spares": [{"fleet": fleet, "part": part, "add": 10}],
                }
            )
    stock = [
        ("patriot", "pac-3-mse", 200, 8e8, 365),
        ("patriot", "gem-t", 300, 6e8, 180),
        ("samp-t", "aster-30", 200, 4e8, 240),
        ("himars", "gmlrs", 3000, 5e8, 120),
        ("k9", "shell-155", 200_000, 8e8, 60),
        ("k9", "shell-155", 100_000, 4.5e8, 30),
    ]
    for i, (fleet, munition, rounds, cost, lead) in enumerate(stock):
        out.append(
            {
                "name": f"stock-{munition}-{i}",
                "cost": cost,
                "lead_time_days": lead,
                "stockpiles": [{"fleet": fleet, "munition": munition, "rounds": rounds}],
            }
        )
    out += [
        {
            "name": "alt-targeting",
            "cost": 3e8,
            "lead_time_days": 60,
            "services": [
                {
                    "fleet": "himars",
                    "service": "targeting-intelligence",
                    "supplier": "eutelsat-oneweb",
                    "switch_days": 14,
                    "factor": 0.7,
                }
            ],
        },
        {
            "name": "f135-data-rights",
            "cost": 2e8,
            "lead_time_days": 0,
            "data_rights": [{"fleet": "f-35a", "part": "f135-engine-module"}],
        },
        {
            "name": "f135-depot",
            "cost": 6e8,
            "lead_time_days": {"distribution": "uniform", "low": 120, "high": 300},
            "requires": ["f135-data-rights"],
            "depots": [
                {
                    "fleet": "f-35a",
                    "part": "f135-engine-module",
                    "share": 0.7,
                    "turnaround_days": 60,
                    "divert_when_cut": True,
                }
            ],
        },
        {
            "name": "samp-t-batteries",
            "cost": 2.4e9,
            "lead_time_days": {"distribution": "uniform", "low": 180, "high": 540},
            "deliveries": [{"fleet": "samp-t", "units": 8}],
        },
        {
            "name": "gripen-for-f-16",
            "cost": 4e9,
            "lead_time_days": 200,
            "excludes": ["rafale-more"],
            "deliveries": [
                {
                    "fleet": "gripen",
                    "units": 40,
                    "per_year": 40,
                    "replaces": "f-16",
                    "system": "gripen-e",
                    "area": "air-combat",
                    "hours_per_day": 0.8,
                    "spares": {"f414-engine-module": 4, "avionics-lru": 8},
                }
            ],
        },
        {
            "name": "rafale-more",
            "cost": 3e9,
            "lead_time_days": 250,
            "deliveries": [{"fleet": "rafale", "units": 24, "per_year": 24}],
        },
        {
            "name": "puls-for-himars",
            "cost": 1.5e9,
            "lead_time_days": 150,
            "deliveries": [
                {
                    "fleet": "puls",
                    "units": 20,
                    "replaces": "himars",
                    "system": "puls",
                    "area": "long-range-fires",
                    "hours_per_day": 2,
                    "munitions": {"puls-rocket": {"stock": 2000, "resupply": [{"per_day": 20}]}},
                }
            ],
        },
    ]
    while len(out) < 40:  # a second, larger spares buy for the first fleets' first part
        fleet = list(FLEET_PARTS)[len(out) - 36]
        part = FLEET_PARTS[fleet][0][0]
        out.append(
            {
                "name": f"spares-{fleet}-{part}-large",
                "cost": 25 * FLEET_PARTS[fleet][1],
                "lead_time_days": 120,
                "excludes": [f"spares-{fleet}-{part}"],
                "spares": [{"fleet": fleet, "part": part, "add": 30}],
            }
        )
    for o in out:
        o["force"] = "european-nato"
    return out


def scenarios() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    rng = np.random.default_rng(7)
    for i in range(20):
        juris = ["US", "US", "US", "DE", "FR"][i % 5]
        start = int(rng.integers(0, 120))
        length = [90, 180, 365, None][i % 4]
        cut: dict[str, Any] = {"jurisdiction": juris, "start_day": start}
        if length is not None:
            cut["end_day"] = start + length
        out.append(
            {
                "name": f"s{i:02d}-{juris}",
                "force": "european-nato",
                "horizon_days": 365,
                "cutoffs": [cut],
            }
        )
    return out


def document() -> tether.Document:
    opts = options()
    scs = scenarios()
    data = {
        "options": opts,
        "scenarios": scs,
        "decisions": [
            {
                "name": "safe",
                "force": "european-nato",
                "scenarios": {s["name"]: (3.0 if s["name"].endswith("US") else 1.0) for s in scs},
                "options": [o["name"] for o in opts],
                "budget": BUDGET,
            }
        ],
    }
    return tether.load_text(yaml.safe_dump(data, sort_keys=False), "benchmark.yaml")


def greedy(problem: Problem, budget: float) -> tuple[float, list[str]]:
    """Greedy by ratio on the evaluated tables: add the option (with what it requires)
    with the best gain per unit cost that fits, until none gains."""
    idx = problem.index
    chosen: set[int] = set()

    def value(s: set[int]) -> float:
        v = problem.constant.sum(axis=2) @ problem.objective_areas / problem.norm
        for b in problem.blocks:
            key = frozenset(o for o in b.options if o in s)
            if key not in b.subsets:
                return -math.inf
            j = b.subsets.index(key)
            v = v + b.values[j].sum(axis=1) * problem.objective_areas[b.area] / problem.norm
        return float(v @ problem.weights)

    current = value(chosen)
    while True:
        best, pick = 0.0, None
        for o, c in enumerate(problem.choices):
            if o in chosen:
                continue
            add = {o} | {idx[r] for r in c.requires}
            new = chosen | add
            if any(idx[e] in new for q in new for e in problem.choices[q].excludes):
                continue
            cost = sum(problem.choices[q].cost for q in add)
            if sum(problem.choices[q].cost for q in new) > budget:
                continue
            gain = value(new) - current
            ratio = gain / max(cost, 1e-9)
            if gain > 0 and ratio > best:
                best, pick = ratio, add
        if pick is None:
            return current, sorted(problem.choices[o].name for o in chosen)
        chosen |= pick
        current = value(chosen)


def main() -> None:
    from tether._analysis import optimise as opt_mod

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}"
    )
    doc = document()
    captured: list[Problem] = []
    real = opt_mod.solve_curve

    def spy(problem: Problem, *args: Any, **kwargs: Any) -> Any:
        captured.append(problem)
        return real(problem, *args, **kwargs)

    opt_mod.solve_curve = spy  # type: ignore[assignment]
    t0 = time.perf_counter()
    result = tether.optimise(doc, budget=BUDGET, budgets=[])
    took = time.perf_counter() - t0
    problem = captured[-1]
    cands = sum(len(b.subsets) for b in problem.blocks)
    print(
        f"40 options x 20 scenarios (365 days): {took:.1f} s (goal {GOAL_S:.0f} s); "
        f"{len(problem.blocks)} fleets, {cands} candidates evaluated; exact={result.exact}"
    )
    print(
        f"optimum {result.best.objective:.3f} days, bound {result.best.bound:.3f}, "
        f"gap {result.best.gap:.2e} ({result.best.status}); no option {result.no_option:.3f}"
    )
    print(f"chosen ({result.best.cost / 1e9:.2f}bn): {', '.join(result.best.options)}")
    t1 = time.perf_counter()
    g_value, g_opts = greedy(problem, BUDGET)
    g_took = time.perf_counter() - t1
    print(f"greedy by ratio: {g_value:.3f} days in {g_took:.2f} s: {', '.join(g_opts)}")
    t2 = time.perf_counter()
    capped = tether.optimise(doc, budget=BUDGET, budgets=[], max_enumerated=3)
    c_took = time.perf_counter() - t2
    print(
        f"enumeration capped at 3 options per fleet (local search): {capped.best.objective:.3f} "
        f"days, bound {capped.best.bound:.3f}, gap {capped.best.gap:.2e}, {c_took:.1f} s"
    )
    opt_mod.solve_curve = real  # type: ignore[assignment]
    print(f"ratio optimise-vs-greedy: {result.best.objective / g_value:.4f}")
    print(f"ratio optimise-goal-time: {GOAL_S / took:.2f}")


if __name__ == "__main__":
    main()
