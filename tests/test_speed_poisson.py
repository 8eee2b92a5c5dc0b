"""The cheaper Poisson evaluations (``poisson.FAST``) equal the incomplete-gamma ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import tether._engine.poisson as poisson


@settings(max_examples=200, deadline=None)
@given(
    m=st.floats(0.0, 800.0, allow_nan=False),
    a=st.integers(0, poisson.SMALL_A),
)
def test_finite_sum_tail_equals_gamma(m: float, a: int) -> None:
    ms, aa = np.array([[m]]), np.array([[a]])
    q, p = poisson._tail_sum(ms, aa)
    q0, p0 = poisson._tail_gamma(ms, aa)
    assert_allclose(q, q0, rtol=0, atol=1e-14)
    if q0[0, 0] >= poisson.SUM_TAIL_MIN:  # where _tail uses the sum, to relative accuracy
        assert_allclose(q, q0, rtol=1e-13)
    assert_allclose(poisson._tail(ms, aa)[0], q0, rtol=1e-13)
    assert_allclose(p, p0, rtol=1e-11, atol=1e-16)  # exp(-m) at m ~ 700 loses 1e-12


def test_mixed_tail_splits_small_and_large_arguments() -> None:
    m = np.linspace(0.0, 60.0, 41)[None, :].repeat(3, axis=0)
    a = np.array([[2], [poisson.SMALL_A + 1], [40]])
    fast = poisson._tail(m, a)
    slow = poisson._tail_gamma(m, a)
    for x, y in zip(fast, slow, strict=True):
        assert_allclose(x, y, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("z", [2, 3, 5])
def test_skipped_corrections_are_negligible(z: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Share up with the bounded corrections skipped equals the full evaluation."""
    rng = np.random.default_rng(11)
    n = rng.integers(1, 40, 300).astype(np.float64)
    s = rng.integers(0, 30, 300)
    m = rng.uniform(0.0, 60.0, (300, 20))
    fast = poisson.backorders_and_up(m, s, n, np.full(300, float(z)))
    skipped = poisson._negligible_fix(
        m, (s[:, None] + n[:, None] * z).astype(float), n[:, None] * z, z
    )
    assert skipped.any() and not skipped.all()
    monkeypatch.setattr(poisson, "FAST", False)
    slow = poisson.backorders_and_up(m, s, n, np.full(300, float(z)))
    for x, y in zip(fast, slow, strict=True):
        assert_allclose(x, y, rtol=1e-12, atol=1e-13)


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    cells=st.integers(1, 40),
    z=st.integers(2, 20),
    scale=st.sampled_from([1.0, 30.0, 400.0]),
)
def test_direct_sum_as_one_block_equals_the_loop(
    seed: int, cells: int, z: int, scale: float
) -> None:
    """The direct sum over filled positions taken as one block of terms equals the
    term-by-term loop (``FAST`` off) bit for bit."""
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 60, cells).astype(np.float64)
    s = rng.integers(0, 30, cells).astype(np.float64)
    m = rng.uniform(0.01, 1.5, cells) * (s + n * z) + scale * rng.random(cells)
    fast = poisson._up_direct(m, s, n, z)
    poisson.FAST = False
    try:
        slow = poisson._up_direct(m, s, n, z)
    finally:
        poisson.FAST = True
    assert np.array_equal(fast, slow)
