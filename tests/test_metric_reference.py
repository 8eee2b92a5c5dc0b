"""The METRIC reference cases of ../shared/validation/metric.md, to 4 decimals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tether import ebo, metric

CASE1 = dict(
    base_repair_share=0.2,
    base_repair_time=0.01,
    order_ship_time=0.01,
    depot_repair_time=0.02531,
)
CASE1_DEMAND = [23.2] * 5

# total stock -> (depot stock, base stocks, least total EBO)
CASE1_TABLE = {
    0: (0, (0, 0, 0, 0, 0), 3.5088),
    1: (1, (0, 0, 0, 0, 0), 2.6043),
    2: (2, (0, 0, 0, 0, 0), 1.9240),
    3: (3, (0, 0, 0, 0, 0), 1.5072),
    4: (3, (1, 0, 0, 0, 0), 1.2469),
    5: (2, (1, 1, 1, 0, 0), 0.9658),
    6: (1, (1, 1, 1, 1, 1), 0.5743),
    7: (2, (1, 1, 1, 1, 1), 0.3269),
    8: (3, (1, 1, 1, 1, 1), 0.2060),
    9: (4, (1, 1, 1, 1, 1), 0.1545),
    10: (4, (2, 1, 1, 1, 1), 0.1261),
    11: (1, (2, 2, 2, 2, 2), 0.0914),
    12: (2, (2, 2, 2, 2, 2), 0.0393),
}


def case1(depot: int, bases: tuple[int, ...]) -> float:
    return metric(CASE1_DEMAND, **CASE1, depot_stock=depot, base_stock=list(bases)).total_backorders


def test_case1_pipelines() -> None:
    r = metric(CASE1_DEMAND, **CASE1, depot_stock=0, base_stock=[0] * 5)
    assert_allclose(r.depot_pipeline, 2.34877, atol=5e-6)
    assert_allclose(r.base_pipeline, 0.701754, atol=5e-7)


@pytest.mark.parametrize("total", sorted(CASE1_TABLE))
def test_case1_table_rows(total: int) -> None:
    depot, bases, expected = CASE1_TABLE[total]
    assert depot + sum(bases) == total
    assert_allclose(case1(depot, bases), expected, atol=5e-5)


def test_case1_rows_are_the_least_total_ebo() -> None:
    """Exhaustive enumeration (bases identical, so sorted allocations suffice)."""
    best: dict[int, float] = {}
    for depot in range(13):
        for bases in itertools.combinations_with_replacement(range(4), 5):
            total = depot + sum(bases)
            if total > 12:
                continue
            value = case1(depot, bases)
            if value < best.get(total, np.inf):
                best[total] = value
    for total, (_, _, expected) in CASE1_TABLE.items():
        assert_allclose(best[total], expected, atol=5e-5)


# (depot stock, outlet stocks, total outlet EBO, depot delay in days)
CASE2_TABLE = [
    (0, (0, 0), 3.2000, 14.0000),
    (0, (1, 1), 1.6038, 14.0000),
    (1, (1, 1), 0.9066, 9.3041),
    (2, (1, 1), 0.4405, 5.4594),
    (2, (2, 2), 0.0966, 5.4594),
    (3, (1, 1), 0.1981, 2.8067),
]


@pytest.mark.parametrize(("depot", "outlets", "total", "delay"), CASE2_TABLE)
def test_case2_lindo_metric(
    depot: int, outlets: tuple[int, int], total: float, delay: float
) -> None:
    r = metric(
        [0.1, 0.1],
        order_ship_time=2.0,
        depot_repair_time=14.0,
        depot_stock=depot,
        base_stock=list(outlets),
    )
    assert_allclose(r.total_backorders, total, atol=5e-5)
    assert_allclose(r.depot_delay, delay, atol=5e-5)


def test_ebo_matches_finite_sum() -> None:
    """The closed form against the definition E[(X - s)^+] summed term by term."""
    from scipy import stats

    for m in (0.0, 0.01, 0.7, 2.3, 15.0, 80.0):
        for s in (0, 1, 2, 5, 20, 100):
            k = np.arange(0, 400)
            direct = float(np.sum(np.maximum(k - s, 0) * stats.poisson.pmf(k, m)))
            assert_allclose(float(ebo(m, s)), direct, rtol=1e-9, atol=1e-12)


def test_metric_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="base repair shares"):
        metric(
            [1.0],
            base_repair_share=1.5,
            order_ship_time=1,
            depot_repair_time=1,
            depot_stock=0,
            base_stock=[0],
        )
