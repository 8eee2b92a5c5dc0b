"""Extreme but legal values found by the property test in tests/test_bounds.py, kept as
named cases: each once gave a NaN or ran for many minutes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

import tether
from tether._engine.count_start import poisson_reach, up_share
from tether._model import Document


def _doc(
    hours: float,
    basis: str,
    units: int,
    quantity: int,
    rate: float,
    spares: int,
    supplier_days: float = 1.0,
    horizon: int = 20,
) -> Document:
    return Document.model_validate(
        {
            "suppliers": [{"name": "acme", "jurisdiction": "US"}],
            "jurisdictions": [{"name": "US"}, {"name": "EE"}],
            "systems": [
                {
                    "name": "s",
                    "parts": [
                        {
                            "name": "p",
                            "quantity": quantity,
                            "failure_rate": rate,
                            "data_rights": True,
                            "condemnation": 0.17,
                            "domestic_repair": {"share": 0.96, "turnaround_days": 0.96},
                            "supplier_repair": {
                                "supplier": "acme",
                                "turnaround_days": supplier_days,
                            },
                            "new_buy": {"supplier": "acme", "lead_time_days": 40.0},
                        }
                    ],
                }
            ],
            "forces": [
                {
                    "name": "f",
                    "operator": "EE",
                    "areas": [{"name": "a"}],
                    "fleets": [
                        {
                            "name": "fl",
                            "system": "s",
                            "area": "a",
                            "units": units,
                            "hours_per_day": hours,
                            "tempo_basis": basis,
                            "spares": {"p": spares},
                        }
                    ],
                }
            ],
            "scenarios": [
                {
                    "name": "sc",
                    "force": "f",
                    "horizon_days": horizon,
                    "cutoffs": [{"jurisdiction": "US", "start_day": 3, "end_day": 185}],
                }
            ],
        }
    )


def _finite_in_range(result: tether.Result) -> None:
    for name in ("availability", "capability", "backorders", "area_capability"):
        values = np.asarray(result.data[name].values, dtype=np.float64)
        assert np.isfinite(values).all(), name
    a = result.data["availability"].values
    assert ((a >= 0) & (a <= 1)).all()


@pytest.mark.parametrize("basis", ["fleet", "available"])
@pytest.mark.parametrize("hours", [1e-311, 5e-324])
def test_subnormal_tempo_fails_nothing(hours: float, basis: str) -> None:
    """A tempo so small that the pipeline mean is subnormal: the Poisson step ``k / m``
    overflowed and gave NaN availability. Both engines now give every unit up."""
    doc = _doc(hours, basis, units=10, quantity=100, rate=1.0, spares=0, horizon=1)
    for kw in ({}, {"engine": "montecarlo", "reps": 3, "seed": 0}):
        result = tether.simulate(doc, **kw)  # type: ignore[arg-type]
        _finite_in_range(result)
        np.testing.assert_allclose(result.data["availability"].values, 1.0)


def test_large_fleet_of_many_positions_on_the_available_basis() -> None:
    """3,061 units of 2,295 positions each (7 million positions) and a trickle of failures:
    the stationary start multiplied out every position of every count up to all of them
    empty (hours of work). Its window now ends where the Poisson law of the same mean does."""
    big: dict[str, Any] = {"units": 3061, "quantity": 2295, "rate": 1.345e-10, "spares": 1}
    result = tether.simulate(_doc(10.84, "available", **big, supplier_days=28388.0))
    _finite_in_range(result)
    fleet = tether.simulate(_doc(10.84, "fleet", **big, supplier_days=28388.0))
    # fewer than one item out on average: the bases differ by less than that share
    a = result.data["availability"].values
    b = fleet.data["availability"].values
    assert (a >= b - 1e-9).all()
    assert np.abs(a - b).max() < 0.05


def _up_loop(x: np.ndarray, spares: np.ndarray, n: np.ndarray, z: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        for k in range(x.shape[1]):
            b = max(x[i, k] - spares[i], 0.0)
            h = 1.0
            for j in range(int(z[i])):
                h *= max(n[i] * z[i] - b - j, 0.0) / max(n[i] * z[i] - j, 1.0)
            out[i, k] = h
    return out


@pytest.mark.parametrize("windows", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_up_share_is_the_product_over_positions(seed: int, windows: bool) -> None:
    """:func:`up_share` equals the product position by position: on windows of counts
    (by the ratio of consecutive counts) and on any counts (in blocks of positions),
    including quantities of thousands and counts past every position empty."""
    rng = np.random.default_rng(seed)
    P, K = 3, 12
    n = rng.integers(1, 30, P).astype(np.float64)
    z = rng.choice([1.0, 3.0, 40.0, 2500.0], P)
    spares = rng.integers(0, 5, P).astype(np.float64)
    if windows:
        lo = spares + rng.integers(-6, 60, P)
        x = np.maximum(lo, 0.0)[:, None] + np.arange(K, dtype=np.float64)[None, :]
    else:
        x = spares[:, None] + rng.integers(-3, 40, (P, K)).astype(np.float64)
        x = np.maximum(x, 0.0)
    got = up_share(x, spares, n, z)
    want = _up_loop(x, spares, n, z)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    assert ((got == 0.0) == (want == 0.0)).all()


def test_poisson_reach_is_where_the_law_falls_fifty_below_its_mode() -> None:
    m = np.array([0.0, 1e-9, 0.3, 4.0, 70.0, 900.0])
    reach = poisson_reach(m)
    for mi, r in zip(m, reach, strict=True):
        mode = np.floor(mi)
        below = stats.poisson.logpmf(np.arange(mode, r + 1), mi) - stats.poisson.logpmf(mode, mi)
        assert below[-1] < -50.0 or mi == 0.0
        assert (below[:-2] >= -50.0).all()  # nothing within 50 of the mode is cut


@pytest.mark.parametrize(
    ("cutoff", "days_held"),
    [
        ({"start_day": 10, "end_day": 40}, 60.0 + 30.0),  # the turnaround plus 30 days cut
        (
            {"start_day": 10, "duration_days": {"distribution": "uniform", "low": 5, "high": 9}},
            60.0 + 91.0,
        ),  # a random length: held to the horizon's end (days 10..100)
        (None, 60.0),
    ],
)
def test_count_reach_is_the_longest_stop_in_any_member(
    cutoff: dict[str, Any] | None, days_held: float
) -> None:
    """:func:`count_reach`: failures a day over the turnaround plus the most days the
    supplier withholds the route in any member, whichever member is stepped (baseline
    and scenario apply the same rule), capped at the stock plus every position empty plus
    a day's failures."""
    from tests.helpers import single_pool
    from tether._engine.count_start import Rows, constant, count_reach
    from tether._plan import compile_scenario

    cutoffs = None if cutoff is None else [{"jurisdiction": "US", **cutoff}]
    doc = single_pool(
        units=20, demand_per_day=0.1, turnaround=60.0, spares=3, horizon=100, cutoffs=cutoffs
    )
    plan = compile_scenario(doc, doc.scenario())
    rows = np.arange(len(plan.part_labels))
    rw = Rows(plan, rows, constant(plan, rows))
    np.testing.assert_allclose(count_reach(plan, rows, rw), [0.1 * days_held], rtol=1e-12)
    few = single_pool(units=2, demand_per_day=5.0, turnaround=60.0, spares=3, horizon=100)
    plan = compile_scenario(few, few.scenario())
    rw = Rows(plan, rows, constant(plan, rows))
    # stock, every position and a day's failures
    np.testing.assert_allclose(count_reach(plan, rows, rw), [3.0 + 2.0 + 5.0])
