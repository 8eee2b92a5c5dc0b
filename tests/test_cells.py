"""Grouped cell evaluation (``tether._engine.cells``) equals the incomplete-gamma path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import tether._engine.poisson as poisson
from tether._engine.cells import grouped_backorders_and_up


def _slow(m: np.ndarray, s: np.ndarray, n: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    fast = poisson.FAST
    poisson.FAST = False
    try:
        b, u = poisson.backorders_and_up(m[:, None], s, n, z)
    finally:
        poisson.FAST = fast
    return b[:, 0], u[:, 0]


def _check(m: np.ndarray, s: np.ndarray, n: np.ndarray, z: np.ndarray) -> None:
    b, u = grouped_backorders_and_up(m, s, n, z)
    b0, u0 = _slow(m, s, n, z)
    assert_allclose(b, b0, rtol=1e-12, atol=1e-12)
    assert_allclose(u, u0, rtol=1e-12, atol=1e-12)
    with np.errstate(divide="ignore"):
        assert_allclose(np.log(u), np.log(u0), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_cells_in_any_order(seed: int) -> None:
    """Unsorted cells over spares 0-40 (both sides of the finite-sum limit), Z 1-4 and
    pipelines from tiny to far beyond the stock."""
    rng = np.random.default_rng(seed)
    c = 5_000
    s = rng.integers(0, 40, c)
    z = rng.integers(1, 5, c).astype(np.float64)
    n = rng.integers(1, 60, c).astype(np.float64)
    m = rng.choice([0.01, 1.0, 10.0, 60.0], c) * rng.uniform(0, 1.5, c)
    _check(m, s, n, z)


def test_sorted_cells_match_unsorted() -> None:
    rng = np.random.default_rng(4)
    s = rng.integers(0, 10, 2_000)
    z = rng.integers(1, 4, 2_000).astype(np.float64)
    n = rng.integers(5, 30, 2_000).astype(np.float64)
    m = rng.uniform(0, 25, 2_000)
    order = np.lexsort((s, z))
    b, u = grouped_backorders_and_up(m, s, n, z)
    bs, us = grouped_backorders_and_up(m[order], s[order], n[order], z[order])
    assert_allclose(bs, b[order], rtol=0, atol=0)
    assert_allclose(us, u[order], rtol=0, atol=0)


@settings(max_examples=150, deadline=None)
@given(
    m=st.floats(0.0, 300.0, allow_nan=False),
    s=st.integers(0, 60),
    n=st.integers(1, 80),
    z=st.integers(1, 6),
)
def test_one_cell(m: float, s: int, n: int, z: int) -> None:
    _check(np.array([m]), np.array([s]), np.array([float(n)]), np.array([float(z)]))


def test_negligible_top_is_a_bound() -> None:
    """Where :func:`negligible_top` says the upper moments at ``top`` are below 1e-18,
    they are (``G_1 = EBO(top)`` checked directly)."""
    rng = np.random.default_rng(5)
    m = rng.uniform(0, 40, 20_000)
    top = rng.integers(1, 120, 20_000).astype(np.float64)
    skip = poisson.negligible_top(m, top, 2, 1.0)
    assert skip.any() and not skip.all()
    assert (poisson.ebo(m[skip], top[skip].astype(np.int64)) < 1e-18).all()


def test_no_cells() -> None:
    b, u = grouped_backorders_and_up(np.zeros(0), np.zeros(0, np.int64), np.ones(0), np.ones(0))
    assert b.shape == u.shape == (0,)
