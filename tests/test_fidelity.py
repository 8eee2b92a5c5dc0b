"""Model fidelity: the analytic engine against independent computations (issue 9, engine side).

Each test compares with a brute-force sum, a finite sum or a seeded Monte Carlo at a
stated number of standard errors.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import rich_case, single_pool
from tether._engine.analytic import run_analytic
from tether._engine.montecarlo import run_montecarlo
from tether._engine.poisson import backorders_and_up, ebo
from tether._plan import compile_scenario

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- 1. parts installed Z > 1 times per unit ---------------------------------------------


def share_up_by_direct_sum(m: float, s: int, n: int, z: int) -> float:
    """``sum_b P(B = b) C(NZ - Z, b) / C(NZ, b)`` term by term, ``B = (X - s)^+``,
    ``X ~ Poisson(m)``, ``h(b)`` as the product ``prod_{j<Z} (NZ - b - j) / (NZ - j)``."""
    positions = n * z

    def pmf(x: int) -> float:
        if m == 0:
            return 1.0 if x == 0 else 0.0
        return math.exp(x * math.log(m) - m - math.lgamma(x + 1))

    terms = [pmf(x) for x in range(s + 1)]  # B = 0
    for b in range(1, positions - z + 1):  # h(b) = 0 once b > NZ - Z
        h = 1.0
        for j in range(z):
            h *= (positions - b - j) / (positions - j)
        terms.append(pmf(s + b) * h)
    return math.fsum(terms)


@SETTINGS
@given(
    m=st.one_of(st.just(0.0), st.floats(1e-3, 3000.0)),
    spare_share=st.floats(0.0, 2.0),
    n=st.integers(1, 60),
    z=st.sampled_from([1, 2, 3, 4, 6, 8, 17, 40]),
)
def test_share_up_is_the_exact_expectation(m: float, spare_share: float, n: int, z: int) -> None:
    """Every regime (moments, direct sum, grounded) against the term-by-term sum, to 1e-10."""
    s = int(spare_share * m)
    _, up = backorders_and_up(np.array([[m]]), np.array([s]), np.array([float(n)]), np.array([z]))
    assert abs(up[0, 0] - share_up_by_direct_sum(m, s, n, z)) < 1e-10


def test_share_up_regimes_fixed_values() -> None:
    """A grid over the three paths, against the direct sum; and Sherbrooke's formula is below."""
    cases = [(0.5, 0, 4, 3), (6.0, 2, 4, 3), (40.0, 30, 1, 8), (300.0, 200, 1, 8)]
    cases += [(1000.0, 5, 4, 8), (2.0, 1, 20, 2), (50.0, 10, 20, 2), (900.0, 850, 30, 6)]
    m = np.array([[c[0]] for c in cases])
    s = np.array([c[1] for c in cases])
    n = np.array([float(c[2]) for c in cases])
    z = np.array([c[3] for c in cases])
    back, up = backorders_and_up(m, s, n, z)
    for i, (mi, si, ni, zi) in enumerate(cases):
        assert abs(up[i, 0] - share_up_by_direct_sum(mi, si, ni, zi)) < 1e-10, cases[i]
    # 4 units, Z = 3, 2 spares, 6 in the pipeline: 0.339 up, where Sherbrooke's
    # (1 - E[min(B, NZ)] / NZ)^Z says 0.294
    assert abs(up[1, 0] - 0.339393) < 1e-6
    holes = ebo(6.0, 2) - ebo(6.0, 14)
    assert abs((1 - holes / 12) ** 3 - 0.294338) < 1e-6
    assert back[1, 0] == ebo(6.0, 2)


def test_share_up_matches_random_placement() -> None:
    """Seeded simulation of the placement itself: B holes dropped on NZ positions at random."""
    rng = np.random.default_rng(20)
    m, s, n, z = 14.0, 4, 5, 3
    reps = 40_000
    x = rng.poisson(m, reps)
    holes = np.clip(x - s, 0, n * z)
    # a uniformly random order of the positions; the first `holes` of it are empty
    rank = np.argsort(np.argsort(rng.random((reps, n * z)), axis=1), axis=1)
    empty = rank < holes[:, None]
    up = (~empty.reshape(reps, n, z).any(axis=2)).mean(axis=1)
    _, exact = backorders_and_up(np.array([[m]]), np.array([s]), np.array([5.0]), np.array([3]))
    se = up.std(ddof=1) / math.sqrt(reps)
    assert abs(up.mean() - exact[0, 0]) < 3 * se  # z < 3


def z3_fleet(**kwargs: Any) -> Any:
    """A 4-unit fleet, a part installed 3 times per unit, its repair cut for good."""
    part = {
        "name": "item",
        "quantity": 3,
        "failure_rate": 0.01,
        "supplier_repair": {"supplier": "acme", "turnaround_days": 30},
    }
    doc = single_pool(
        units=4,
        horizon=120,
        cutoffs=[{"supplier": "acme", "start_day": 10}],
        system={"parts": [part, *kwargs.pop("more_parts", [])]},
        fleet={"spares": {"item": 2, **kwargs.pop("more_spares", {})}},
        **kwargs,
    )
    return compile_scenario(doc, doc.scenario())


CHECK = np.arange(0, 121, 5)


def test_z3_fleet_engines_agree() -> None:
    """Analytic vs Monte Carlo on the issue's kind of case (where Sherbrooke's formula
    was 0.1 below): within 3 standard errors on every fifth day."""
    plan = z3_fleet()
    exact = run_analytic(plan).availability[:, 0][:, CHECK]
    mc = run_montecarlo(plan, 4000, np.random.default_rng(31))
    gap = np.abs(mc.mean["availability"][:, 0][:, CHECK] - exact)
    assert np.all(gap <= 3 * mc.stderr["availability"][:, 0][:, CHECK] + 1e-9), gap.max()


def test_parts_multiply_on_the_fleet_basis() -> None:
    """Two parts with Z > 1 on one fleet: holes of each part sit on units at random and
    independently, and the parts' pipelines are independent, so the expected share up is
    the product over parts. The Monte Carlo engine samples both; within 3 SE every day."""
    pair = {
        "name": "pair",
        "quantity": 2,
        "failure_rate": 0.012,
        "supplier_repair": {"supplier": "beta", "turnaround_days": 20},
    }
    plan = z3_fleet(more_parts=[pair], more_spares={"pair": 1})
    exact = run_analytic(plan).availability[:, 0][:, CHECK]
    mc = run_montecarlo(plan, 4000, np.random.default_rng(32))
    gap = np.abs(mc.mean["availability"][:, 0][:, CHECK] - exact)
    assert np.all(gap <= 3 * mc.stderr["availability"][:, 0][:, CHECK] + 1e-9), gap.max()


# -- 2. demand on available units ------------------------------------------------------


def drift_z(plan: Any, reps: int, seed: int) -> float:
    """z of (mean over days 60.. minus mean over days 0..2) of availability, per replication."""
    mc = run_montecarlo(plan, reps, np.random.default_rng(seed), keep_samples=[0])
    a = mc.samples[0][:, 0, :].astype(np.float64) / plan.units[0]
    d = a[:, 60:].mean(axis=1) - a[:, :3].mean(axis=1)
    return float(d.mean() / (d.std(ddof=1) / math.sqrt(reps)))


def available_fleet() -> Any:
    doc = single_pool(
        units=10,
        demand_per_day=0.6,
        turnaround=30,
        spares=14,
        horizon=120,
        fleet={"tempo_basis": "available"},
    )
    return compile_scenario(doc, doc.scenario())


def test_available_basis_montecarlo_starts_in_its_own_steady_state(monkeypatch: Any) -> None:
    """No cutoff: the daily mean availability is flat (|z| < 3 between the first days and
    days 60..120). Started from the analytic fixed point instead (a 1-day burn-in), the
    same seed drifts up by 0.015 at z = 4."""
    from tether._engine import mc_parts

    plan = available_fleet()
    assert abs(drift_z(plan, 8000, 5)) < 3
    monkeypatch.setattr(mc_parts, "BURN_IN_TURNAROUNDS", 0.0)
    assert drift_z(plan, 8000, 5) > 3


# -- 3. random cutoff lengths in the analytic engine -----------------------------------

KEYS = ("availability", "backorders", "software", "munitions", "services", "capability")

RICH = rich_case(stock=300)


def rich_pool(cutoff: dict[str, Any], horizon: int = 120) -> Any:
    doc = single_pool(horizon=horizon, cutoffs=[cutoff], **RICH)  # type: ignore[arg-type]
    return compile_scenario(doc, doc.scenario())


def fixed_length_average(start: int, lengths: Any, weights: Any, horizon: int = 120) -> Any:
    """The weighted average of analytic runs, one per fixed length: a scenario with a fixed
    end compiled once, its cut mask then set to each length's days."""
    plan = rich_pool({"supplier": "acme", "start_day": start, "end_day": start + 1}, horizon)
    acme = plan.suppliers.index("acme")
    total = {k: 0.0 for k in KEYS}
    for d, w in zip(lengths, weights, strict=True):
        cut = np.zeros_like(plan.cut)
        cut[1, acme, :, start : start + int(d)] = True
        out = run_analytic(dataclasses.replace(plan, cut=cut))
        for k in KEYS:
            total[k] = total[k] + w * getattr(out, k)[1]
    return total


def uniform(low: int, high: int, start: int = 5) -> dict[str, Any]:
    return {
        "supplier": "acme",
        "start_day": start,
        "duration_days": {"distribution": "uniform", "low": low, "high": high},
    }


def test_uniform_lengths_are_averaged_exactly() -> None:
    """11 lengths (no more than 32 nodes): the average of 11 fixed-length runs, to 1e-12."""
    got = run_analytic(rich_pool(uniform(10, 20)))
    want = fixed_length_average(5, range(10, 21), [1 / 11] * 11)
    for k in KEYS:
        np.testing.assert_allclose(getattr(got, k)[1], want[k], rtol=1e-12, atol=1e-12)


def test_many_uniform_lengths_interpolated() -> None:
    """96 lengths, 32 nodes: the factors exact, availability within 1e-3 of the average of
    96 fixed-length runs on every day, backorders (about 15) within 0.1 (at the mean length
    capability was 0.4 of the fleet off)."""
    got = run_analytic(rich_pool(uniform(5, 100)))
    want = fixed_length_average(5, range(5, 101), [1 / 96] * 96)
    for k in ("software", "munitions", "services"):
        np.testing.assert_allclose(getattr(got, k)[1], want[k], rtol=1e-12, atol=1e-12)
    assert np.abs(got.availability[1] - want["availability"]).max() < 1e-3
    assert np.abs(got.capability[1] - want["capability"]).max() < 20 * 1e-3
    assert np.abs(got.backorders[1] - want["backorders"]).max() < 0.1
    mean_length = run_analytic(rich_pool({"supplier": "acme", "start_day": 5, "end_day": 58}))
    assert np.abs(mean_length.capability[1] - want["capability"]).max() / 20 > 0.25


def test_lognormal_lengths_against_the_distribution() -> None:
    """Lognormal (median 30, sigma 0.6) on a 120-day horizon: the weighted average of
    fixed-length runs, weights from scipy.stats.lognorm, lengths past the horizon as one."""
    from scipy import stats

    cutoff = {
        "supplier": "acme",
        "start_day": 0,
        "duration_days": {"distribution": "lognormal", "median": 30, "sigma": 0.6},
    }
    got = run_analytic(rich_pool(cutoff))
    dist = stats.lognorm(s=0.6, scale=30)
    cap = 121  # lengths of 121 days or more all cut to the end of the horizon
    edges = np.r_[0.0, np.arange(1, cap) + 0.5, np.inf]  # rounding to whole days, >= 1
    weights = np.diff(dist.cdf(edges))
    live = weights > 1e-15
    want = fixed_length_average(0, np.arange(1, cap + 1)[live], weights[live])
    for k in ("availability", "software", "munitions", "services"):
        assert np.abs(getattr(got, k)[1] - want[k]).max() < 2e-3, k


@pytest.mark.parametrize("name", ["uniform", "lognormal"])
def test_random_lengths_engines_agree(name: str) -> None:
    """The Monte Carlo engine draws the lengths: within 3 SE of the analytic engine on
    every day (availability and capability; the factors at 4 SE, as in test_montecarlo)."""
    cutoff = (
        uniform(5, 100)
        if name == "uniform"
        else {
            "supplier": "acme",
            "start_day": 0,
            "duration_days": {"distribution": "lognormal", "median": 30, "sigma": 0.6},
        }
    )
    plan = rich_pool(cutoff)
    exact = run_analytic(plan)
    mc = run_montecarlo(plan, 3000, np.random.default_rng(41), munitions_noise=False)
    for k in KEYS:
        gap = np.abs(mc.mean[k][1] - getattr(exact, k)[1])
        # an event expected in a couple of replications (a length of 4 days or less: 8e-4,
        # 2.3 of 3000) may not be drawn at all, leaving a standard error of 0: allow three
        # replications' worth beside the standard errors
        one = 3 * np.abs(getattr(exact, k)[1]).max() / mc.reps
        limit = 3.0 if k in ("availability", "capability") else 4.0
        assert np.all(gap <= limit * mc.stderr[k][1] + one), k


@pytest.mark.slow
def test_europe_uncertain_length_nodes_against_every_length(capsys: Any) -> None:
    """examples/europe-us-withholds-year.yaml, us-withholds-uncertain (uniform 90..540 days,
    451 lengths): 32 nodes against every length run, and against the Monte Carlo engine
    on every day and fleet. Prints the largest errors. Over some 5,000 correlated
    comparisons of skewed means the largest |z| is a little over 3 by chance (3.2 here;
    seeds 44 and 46 at 6,000 replications gave 3.7 and 3.1, with no drift in the mean z;
    seed 43 gave 3.50 after the day-stepped path's changes of 2026-11-25). A cell beyond
    3.5 is therefore checked on a second seed, as the agreement sweep does: it fails only
    if the second run puts it beyond 3.5 on the same side too."""
    import tether
    from tether._engine import analytic, lengths

    doc = tether.load("examples/europe-us-withholds-year.yaml")
    plan = compile_scenario(doc, doc.scenario("us-withholds-uncertain"))
    nodes = run_analytic(plan)
    every = lengths.cases(plan, 1, 10_000)
    assert every.count == 451 and len(every.nodes) == 451
    original = analytic.cases
    try:
        analytic.cases = lambda plan, b: original(plan, b, 10_000)  # type: ignore[assignment]
        exact = run_analytic(plan)
    finally:
        analytic.cases = original  # type: ignore[assignment]
    err = np.abs(nodes.availability[1] - exact.availability[1]).max()
    cap = np.abs(nodes.capability[1] - exact.capability[1]) / plan.units[:, None]
    assert err < 2e-4 and cap.max() < 2e-4

    def signed_z(seed: int) -> Any:
        mc = run_montecarlo(plan, 1000, np.random.default_rng(seed), munitions_noise=False)
        gap = mc.mean["availability"][1] - nodes.availability[1]
        z = gap / np.maximum(mc.stderr["availability"][1], 1e-12)
        return np.where(np.abs(gap) > 1e-9, z, 0.0)

    z = signed_z(43)
    with capsys.disabled():
        print(f"\neurope uncertain: node error {err:.2e} (capability/units {cap.max():.2e}), ")
        print(f"largest |z| against Monte Carlo (1000 reps) {np.abs(z).max():.2f}")
    hot = np.abs(z) > 3.5
    if hot.any():  # chance, or a bias: a bias puts the same cells beyond on a second seed
        again = signed_z(44)
        with capsys.disabled():
            print(f"second seed: largest |z| {np.abs(again).max():.2f}")
        assert not (hot & (np.abs(again) > 3.5) & (np.sign(again) == np.sign(z))).any()


@pytest.mark.parametrize("units", [4, 20])
def test_available_basis_gap_under_a_cutoff_for_good(units: int) -> None:
    """Under a cutoff for good the mean-field step was too high once a small fleet was
    mostly grounded (by up to 0.13 on 4 units, 0.06 on 20, z > 10 with 3,000
    replications). The carried distribution (docs/engine-analytic.md) is within 3.5 SE
    of Monte Carlo on every day (measured: 2.7 and 1.8; gaps 0.014 and 0.003)."""
    doc = single_pool(
        units=units,
        spares=2 if units == 4 else 14,
        demand_per_day=0.2 if units == 4 else 0.5,
        horizon=150,
        cutoffs=[{"jurisdiction": "US", "start_day": 20}],
        fleet={"tempo_basis": "available"},
    )
    plan = compile_scenario(doc, doc.scenario())
    exact = run_analytic(plan).availability[1, 0]
    mc = run_montecarlo(plan, 3000, np.random.default_rng(1))
    gap = exact - mc.mean["availability"][1, 0]
    z = np.where(np.abs(gap) > 1e-12, gap / np.maximum(mc.stderr["availability"][1, 0], 1e-12), 0)
    assert np.abs(z).max() < 3.5
    assert np.abs(gap).max() < 0.02
