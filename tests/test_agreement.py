"""The agreement sweep: the analytic and Monte Carlo engines on every example and catalogue force.

Every scenario of every file in examples/, and every catalogue force under a 180-day cutoff
of each jurisdiction it depends on, runs under both engines (Monte Carlo without
cannibalisation and without munitions noise: the analytic engine models neither). On every
day of every area, in both batch members (baseline and scenario), the Monte Carlo mean of
the area's capability must lie within 3 standard errors of the analytic value. Each case
prints its largest z (and the largest over fleets' availability, for information).

Slow: run it with ``python -m pytest -m slow tests/test_agreement.py -s``, or the table
with ``python -m tests.test_agreement``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import tether
from tether._engine.analytic import run_analytic
from tether._engine.montecarlo import run_montecarlo
from tether._model import Document, Scenario
from tether._plan import compile_scenario, force_suppliers

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REPS = 2000
SEED = 20261124
K = 3.0
#: A catalogue case: every kind withheld by one jurisdiction over days 30..209.
CUT_START, CUT_END, CATALOGUE_HORIZON = 30, 210, 365


@dataclass(frozen=True)
class Case:
    source: str  # example file, or "catalogue"
    scenario: str
    basis: str = "as given"  # or "available": every fleet switched to that tempo basis

    @property
    def id(self) -> str:
        tail = "" if self.basis == "as given" else "_available"
        return f"{self.source}:{self.scenario}{tail}"


@cache
def _catalogue() -> Document:
    return tether.load_text("{}\n", "<catalogue>")


@cache
def _example(name: str) -> Document:
    return tether.load(EXAMPLES / name)


def _catalogue_scenarios() -> Iterator[Scenario]:
    doc = _catalogue()
    where = {s.name: s.jurisdiction for s in doc.suppliers}
    for force in doc.forces:
        for j in sorted({where[s] for s in force_suppliers(doc, force)}):
            yield Scenario.model_validate(
                {
                    "name": f"{force.name}.{j}",
                    "force": force.name,
                    "horizon_days": CATALOGUE_HORIZON,
                    "cutoffs": [{"jurisdiction": j, "start_day": CUT_START, "end_day": CUT_END}],
                }
            )


def cases() -> list[Case]:
    out = [
        Case(path.name, s.name)
        for path in sorted(EXAMPLES.glob("*.yaml"))
        for s in _example(path.name).own_scenarios()
    ]
    out += [Case("catalogue", s.name) for s in _catalogue_scenarios()]
    # The 'available' tempo basis: no shipped file uses it, so every example is also run
    # with all its fleets switched to it.
    out += [Case(c.source, c.scenario, "available") for c in out if c.source != "catalogue"]
    return out


def _available(doc: Document, names: list[str]) -> Document:
    """``doc`` with every fleet of the named forces (a scenario's members) on the
    'available' basis."""
    forces = [
        f.model_copy(
            update={
                "fleets": [fl.model_copy(update={"tempo_basis": "available"}) for fl in f.fleets]
            }
        )
        if f.name in names
        else f
        for f in doc.forces
    ]
    return doc.model_copy(update={"forces": forces})


def _document_and_scenario(case: Case) -> tuple[Document, Scenario]:
    if case.source == "catalogue":
        doc = _catalogue()
        scenario = next(s for s in _catalogue_scenarios() if s.name == case.scenario)
    else:
        doc = _example(case.source)
        scenario = next(s for s in doc.scenarios if s.name == case.scenario)
    if case.basis == "available":
        doc = _available(doc, scenario.members)
    return doc, scenario


@dataclass(frozen=True)
class Agreement:
    z: np.ndarray  # signed (MC mean - analytic) / SE of area capability [B, A, T]
    gap: np.ndarray  # MC mean - analytic [B, A, T]
    value: np.ndarray  # analytic [B, A, T]
    areas: tuple[str, ...]
    z_availability: float  # largest |z| over fleets' availability (for information)
    seconds: float

    @property
    def largest(self) -> float:
        return float(np.abs(self.z).max())

    def describe(self) -> str:
        i = np.unravel_index(int(np.argmax(np.abs(self.z))), self.z.shape)
        return (
            f"largest z {self.z[i]:+.2f} (member {i[0]}, area {self.areas[i[1]]}, day {i[2]}: "
            f"gap {self.gap[i]:+.4g} of {self.value[i]:.4g}); "
            f"fleet availability z {self.z_availability:.2f}; {self.seconds:.1f} s"
        )


def agreement(case: Case, reps: int = REPS, seed: int = SEED) -> Agreement:
    """Run one case under both engines and measure how far apart they are."""
    doc, scenario = _document_and_scenario(case)
    plan = compile_scenario(doc, scenario)
    t0 = time.perf_counter()
    exact = run_analytic(plan)
    B = len(plan.batch)
    mc = run_montecarlo(
        plan, reps, np.random.default_rng(seed), munitions_noise=False, keep_samples=range(B)
    )
    seconds = time.perf_counter() - t0
    member = np.zeros((len(plan.areas), len(plan.fleets)))
    member[plan.area_of, np.arange(len(plan.fleets))] = plan.weight
    a_exact = np.einsum("af,bft->bat", member, exact.capability)
    a_mean = np.einsum("af,bft->bat", member, mc.mean["capability"])
    se = np.stack(
        [
            np.einsum("af,rft->rat", member, mc.samples[b].astype(np.float64)).std(axis=0, ddof=1)
            for b in range(B)
        ]
    ) / np.sqrt(reps)
    gap = a_mean - a_exact
    # exactly-known values (no spread at all) may differ by rounding only
    with np.errstate(divide="ignore", invalid="ignore"):  # no spread: masked below
        z = np.where(np.abs(gap) <= 1e-6 * np.maximum(1.0, np.abs(a_exact)), 0.0, gap / se)
        g_av = mc.mean["availability"] - exact.availability
        z_av = np.where(np.abs(g_av) <= 1e-9, 0.0, g_av / mc.stderr["availability"])
    return Agreement(z, gap, a_exact, plan.areas, float(np.abs(z_av).max()), seconds)


#: Cases where the engines cannot agree because the analytic engine approximates, with the
#: approximation named and the measured largest |z| of area capability (seed 1 / seed 2,
#: 2000 replications; the sweep of 2026-11-25, after the stepped Monte Carlo's shared
#: burn-in). On the 'available' basis the analytic engine carries each part row's count
#: distribution (tether._engine.feedback) and, for munitions, the law of the units-up path
#: (tether._engine.munitions_path: each day's law of the share up from the rows' laws, a
#: copula chain on its quantiles matched to the rows' correlation over three days, the
#: stock carried jointly with it). Before that it ran the stock on the expected
#: availability, which ran dry on one day: largest |z| 13.8 to 73 on every case below
#: (europe-safe-options one-year 40.5, japan-fms 53.6 and 13.8, single-fleet 50.7,
#: taiwan-options 68.2, taiwan-us-munitions-halt 70.1). What remains:
ROWS_INDEPENDENT = (
    "munitions on the 'available' basis: the law of the share up takes the part rows as "
    "independent (too wide a spread under a long cutoff) and the path's memory as one "
    "day's (a copula Markov chain), so stocks run dry over a slightly wrong spread of days"
)
ALL_UP = (
    "munitions on the 'available' basis: a fleet that usually has every unit up stays up "
    "for weeks more often in Monte Carlo than in the analytic copula chain, which moves the "
    "day its stock runs dry with every unit up"
)
VARYING = (
    "munitions on the 'available' basis with a force that changes over time (or random "
    "cutoff lengths): the analytic engine keeps the recursion on the expected availability"
)
APPROXIMATIONS: dict[str, str] = {
    # 4.10 (air defence, day 25) / 4.30 (day 20)
    "europe-safe-options.yaml:us-withholds-one-year_available": ROWS_INDEPENDENT,
    "europe-safe-options.yaml:us-munitions-only_available": ROWS_INDEPENDENT,  # 4.10 / 4.30
    "europe-safe-options.yaml:us-withholds-uncertain_available": VARYING,  # random lengths
    "europe-us-withholds-year.yaml:us-withholds-one-year_available": ROWS_INDEPENDENT,  # 4.58 / 4.16
    "europe-us-withholds-year.yaml:us-withholds-uncertain_available": VARYING,  # random lengths
    # 3.69 / 3.04 (scenario, air defence, day 10, as the cut starts; 2.99 before the
    # stepped Monte Carlo shared its burn-in across members, a change of draws only)
    "japan-fms.yaml:us-repair-halt-data-rights_available": ROWS_INDEPENDENT,
    "japan-fms.yaml:us-repair-halt-fms_available": ROWS_INDEPENDENT,  # 4.35 / 3.69, days differ
    "single-fleet.yaml:us-pause-90_available": ROWS_INDEPENDENT,  # 6.02 / 4.56, days 75-79
    "taiwan-options.yaml:us-munitions-halt-180_available": VARYING,  # 28.5 / 30.3, day 72
    "taiwan-options.yaml:us-munitions-and-services_available": VARYING,  # 28.5 / 30.3
    "taiwan-us-munitions-halt.yaml:us-munitions-halt_available": ALL_UP,  # 14.5 / 10.4, day 72
    "ukraine-intel-pause-2025.yaml:us-intel-pause_available": ROWS_INDEPENDENT,  # 4.14 / 3.59
    "ukraine-starlink.yaml:starlink-withheld_available": ALL_UP,  # inf: day 161, no MC spread
    "ukraine-starlink.yaml:starlink-withheld-oneweb_available": ALL_UP,  # as above
    # 5.07 / 4.03 (germany/air-defence, days 33-37, as the seeker line's stop empties the
    # PAC-3 stocks: 0.040 against Monte Carlo's 0.080); before 2026-11-25 this case ran
    # its fleets on the 'fleet' basis (the switch missed a coalition's member forces)
    "coalition-pac3.yaml:seeker-stop_available": ROWS_INDEPENDENT,
}


def _params() -> list[object]:
    out: list[object] = []
    for c in cases():
        reason = APPROXIMATIONS.get(c.id)
        marks = [pytest.mark.slow]
        if reason is not None:
            # not strict: a case whose stocks never run dry passes
            marks.append(pytest.mark.xfail(reason=reason, strict=False))
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_engines_agree_within_3_standard_errors(case: Case) -> None:
    """Within 3 SE on every day of every area, in both batch members.

    With hundreds of days and several areas a few (correlated) comparisons pass 3 SE by
    chance alone in an unbiased run (the sweep's largest z is then near 3.5-4). A day
    beyond 3 SE is therefore checked again with an independent seed: it fails only if the
    second run also puts it beyond 3 SE on the same side, which a bias of the analytic
    engine does (at 4 SE, in 70% of runs; at 5 SE, 95%) and chance almost never does.
    """
    first = agreement(case)
    print(f"\n{case.id}: {first.describe()}")
    hot = np.abs(first.z) > K
    if hot.any():
        second = agreement(case, seed=SEED + 1)
        print(f"  second seed: {second.describe()}")
        both = hot & (np.abs(second.z) > K) & (np.sign(second.z) == np.sign(first.z))
        assert not both.any(), [
            (b, first.areas[a], t, first.z[b, a, t], second.z[b, a, t])
            for b, a, t in zip(*np.nonzero(both), strict=True)
        ][:10]


def main(argv: list[str]) -> None:
    """Print the sweep as a Markdown table (``python -m tests.test_agreement [REPS]``)."""
    reps = int(argv[0]) if argv else REPS
    print("| case | largest z, seed 1 | seed 2 (where seed 1 > 3) | days > 3 SE in both |")
    print("|---|---|---|---|")
    for c in cases():
        first = agreement(c, reps)
        hot = np.abs(first.z) > K
        row = f"| {c.id} | {first.describe()} |"
        if hot.any():
            second = agreement(c, reps, SEED + 1)
            both = hot & (np.abs(second.z) > K) & (np.sign(second.z) == np.sign(first.z))
            row += f" {second.describe()} | {int(both.sum())} |"
        else:
            row += " | 0 |"
        print(row, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
