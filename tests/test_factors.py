"""Software decay, munitions stock and service factors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import tether._engine.factors as factors
from tether._engine.factors import (
    decay_integral,
    decay_value,
    munitions_factor,
    service_factor,
    software_factor,
)


def phase_average(cut: np.ndarray, tau: float, gr: float, dc: float, fl: float) -> np.ndarray:
    """Brute force: average over many phases of an explicit update schedule.

    Updates are issued at phi + k tau. One issued on a cut day is held back and delivered
    when that cut ends (never, if it lasts to the end); the age is days since the issue of
    the newest update delivered by t.
    """
    n = len(cut)
    phases = (np.arange(2000) + 0.5) / 2000 * tau
    k = np.arange(-1, int(n / tau) + 2)
    issued = phases[:, None] + k[None, :] * tau  # [phase, update]
    delivered = issued.copy()
    for i, s in np.ndenumerate(issued):
        d = int(np.floor(s))
        if 0 <= d < n and cut[d]:
            while d < n and cut[d]:
                d += 1
            delivered[i] = d if d < n else np.inf
    out = np.zeros(n)
    for t in range(n):
        newest = np.where(delivered <= t, issued, -np.inf).max(axis=1)
        out[t] = decay_value(t - newest, np.array(gr), np.array(dc), np.array(fl)).mean()
    return out


@pytest.mark.parametrize(
    ("cuts", "tau", "gr", "dc", "fl"),
    [
        ([(5, 30)], 10.0, 12.0, 8.0, 0.3),
        ([(0, 20)], 7.0, 7.0, 0.0, 0.0),  # hard expiry
        ([(3, 9), (14, 35)], 6.0, 4.0, 10.0, 0.5),
        ([], 10.0, 5.0, 10.0, 0.2),  # grace shorter than cadence: baseline below 1
        ([(2, 4), (9, 30)], 10.0, 5.0, 10.0, 0.2),  # a short cut then a long one
    ],
)
def test_software_unknown_phase_matches_phase_average(
    cuts: list[tuple[int, int]], tau: float, gr: float, dc: float, fl: float
) -> None:
    n = 40
    cut = np.zeros(n, dtype=bool)
    for a, e in cuts:
        cut[a:e] = True
    got = software_factor(
        cut[None],
        np.array([tau]),
        np.array([gr]),
        np.array([dc]),
        np.array([fl]),
        np.array([np.nan]),
    )[0]
    assert_allclose(got, phase_average(cut, tau, gr, dc, fl), atol=2e-3)


def test_software_known_last_update() -> None:
    cut = np.zeros(30, dtype=bool)
    cut[10:] = True
    got = software_factor(
        cut[None],
        np.array([7.0]),
        np.array([5.0]),
        np.array([10.0]),
        np.array([0.0]),
        np.array([-2.0]),
    )[0]
    # updates at -2, 5, 12 (cut, held back): at day 10 the last update was day 5
    age = np.arange(10, 30) - 5.0
    assert_allclose(got[10:], np.clip(1 - (age - 5) / 10, 0, 1))
    before = np.arange(10.0)
    last = np.where(before < 5, -2.0, 5.0)
    expected = decay_value(before - last, np.array(5.0), np.array(10.0), np.array(0.0))
    assert_allclose(got[:10], expected)


def test_decay_integral_is_the_integral() -> None:
    s = np.linspace(0, 50, 50001)
    g = decay_value(s, np.array(10.0), np.array(20.0), np.array(0.25))
    numeric = np.concatenate([[0], np.cumsum((g[1:] + g[:-1]) / 2 * np.diff(s))])
    closed = decay_integral(s, np.array(10.0), np.array(20.0), np.array(0.25))
    assert_allclose(closed, numeric, atol=1e-6)


def test_munitions_stock_by_hand() -> None:
    demand = np.full((1, 6), 10.0)
    resupply = np.array([[4.0, 4, 0, 0, 4, 4]])
    factor, stock = munitions_factor(np.array([15.0]), demand, resupply)
    # stock 15 -> 9 -> 3 -> 0 (fires 3) -> 0 -> 0 (fires 4) ...
    assert_allclose(stock[0], [15, 9, 3, 0, 0, 0])
    assert_allclose(factor[0], [1, 1, 0.3, 0, 0.4, 0.4])


def test_service_alternative_switches_after_its_delay() -> None:
    cut = np.zeros((2, 12), dtype=bool)
    cut[:, 2:10] = True
    f = service_factor(
        cut,
        withheld=np.array([0.2, 0.2]),
        alt_cut=np.array([np.zeros(12, bool), np.ones(12, bool)]),
        has_alt=np.array([True, True]),
        alt_delay=np.array([3.0, 3.0]),
        alt_factor=np.array([0.8, 0.8]),
    )
    assert_allclose(f[0], [1, 1, 0.2, 0.2, 0.2, 0.8, 0.8, 0.8, 0.8, 0.8, 1, 1])
    assert_allclose(f[1], [1, 1] + [0.2] * 8 + [1, 1])  # the alternative is cut too


def test_software_catch_up_delivers_only_what_was_withheld() -> None:
    """After a cut the item is as fresh as in normal service, never fresher: with a
    grace shorter than the cadence the factor returns to its baseline, not above it."""
    cut = np.zeros(60, dtype=bool)
    cut[20:35] = True
    args = [np.array([v]) for v in (10.0, 5.0, 10.0, 0.2, np.nan)]
    got = software_factor(cut[None], *args)[0]
    base = software_factor(np.zeros((1, 60), dtype=bool), *args)[0]
    assert_allclose(got[35:], base[35:])
    assert np.all(got <= base + 1e-15)


def munitions_loop(stock0: np.ndarray, demand: np.ndarray, resupply: np.ndarray) -> tuple:
    """The day-by-day recursion, as the engine computed it before the closed form."""
    m, n = demand.shape
    factor = np.ones((m, n))
    stock = np.empty((m, n))
    level = stock0.astype(np.float64).copy()
    for t in range(n):
        stock[:, t] = level
        have = level + resupply[:, t]
        used = np.minimum(have, demand[:, t])
        with np.errstate(divide="ignore", invalid="ignore"):
            factor[:, t] = np.where(demand[:, t] > 0, used / demand[:, t], 1.0)
        level = have - used
    return factor, stock


@st.composite
def munitions_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stocks, demand and resupply: whole rounds, fractions, zeros and large values mixed."""
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    def values(shape: tuple[int, ...]) -> np.ndarray:
        scale = draw(st.sampled_from([1.0, 30.0, 1e4]))
        v = rng.exponential(scale, shape)
        v = np.where(rng.random(shape) < draw(st.floats(0.0, 1.0)), np.round(v), v)
        return np.where(rng.random(shape) < draw(st.floats(0.0, 0.9)), 0.0, v)

    return values((m,)), values((m, n)), values((m, n))


@settings(max_examples=150, deadline=None)
@given(munitions_cases())
def test_munitions_closed_form_matches_the_loop(
    case: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    s0, demand, resupply = case
    f_loop, stock_loop = munitions_loop(s0, demand, resupply)
    f, stock = munitions_factor(s0, demand, resupply)
    scale = 1.0 + s0[:, None] + np.cumsum(resupply + demand, axis=1)
    assert np.all(np.abs(stock - stock_loop) <= 1e-12 * scale)
    assert np.all(np.abs(f - f_loop) <= 1e-12 * scale / np.maximum(demand, 1.0))
    assert np.all(stock >= 0)


def test_munitions_closed_form_long_horizon_and_batches() -> None:
    """Ten years of days, replications as a leading axis: the same as the loop row by row."""
    rng = np.random.default_rng(4)
    demand = rng.poisson(40.0, (3, 5, 3650)).astype(float)
    resupply = np.where(rng.random((3, 5, 3650)) < 0.3, 130.0, 0.0)
    s0 = rng.uniform(0, 5000, (3, 5))
    f, stock = munitions_factor(s0, demand, resupply)
    f_loop, stock_loop = munitions_loop(
        s0.ravel(), demand.reshape(15, -1), resupply.reshape(15, -1)
    )
    assert_allclose(stock.reshape(15, -1), stock_loop, rtol=1e-12, atol=1e-9)
    assert_allclose(f.reshape(15, -1), f_loop, rtol=1e-12, atol=1e-12)
    assert 0 < (f < 1).mean() < 1  # it runs dry and recovers


def test_service_contract_persists_after_a_switch_over() -> None:
    """Once the alternative's switch-over has started, it is in force for the rest of the
    horizon: a second withholding is served at once, and one under way carries on."""
    cut = np.zeros((3, 20), dtype=bool)
    cut[0, [*range(2, 9), *range(12, 16)]] = True  # switched over on day 5; again at once
    cut[1, [2, 3, 5, 6, 7, 8, 9]] = True  # the switch-over carries on through day 4
    cut[2, 2:10] = True  # the two merged: the same days get the alternative
    f = service_factor(
        cut,
        withheld=np.full(3, 0.2),
        alt_cut=np.zeros((3, 20), bool),
        has_alt=np.ones(3, bool),
        alt_delay=np.full(3, 3.0),
        alt_factor=np.full(3, 0.8),
    )
    assert_allclose(f[0], [1, 1, 0.2, 0.2, 0.2] + [0.8] * 4 + [1] * 3 + [0.8] * 4 + [1] * 4)
    assert_allclose(f[1], [1, 1, 0.2, 0.2, 1] + [0.8] * 5 + [1] * 10)
    assert_allclose(f[2], [1, 1, 0.2, 0.2, 0.2] + [0.8] * 5 + [1] * 10)
    assert np.all(f[2] <= f[1])  # filling the gap never helps


def test_service_alternative_contracted_later() -> None:
    cut = np.zeros((2, 30), dtype=bool)
    cut[:, 5:25] = True
    kw = dict(
        withheld=np.full(2, 0.2),
        alt_cut=np.zeros((2, 30), bool),
        has_alt=np.ones(2, bool),
        alt_delay=np.full(2, 3.0),
        alt_factor=np.full(2, 0.8),
    )
    f = service_factor(cut, **kw, alt_from=np.array([0, 12]))  # type: ignore[arg-type]
    assert f[0, 8] == 0.8 and f[0, 7] == 0.2
    assert f[1, 14] == 0.2 and f[1, 15] == 0.8  # from max(5, 12) + 3
    default = service_factor(cut, **kw)  # type: ignore[arg-type]
    assert_allclose(default[0], f[0])


def test_an_extra_software_cutoff_brings_no_update_earlier() -> None:
    """A short cutoff ending just before a long one must not make the item fresher during
    the long one (the catch-up delivers only what was held back, dated when issued)."""
    one = np.zeros(60, dtype=bool)
    one[20:50] = True
    two = one.copy()
    two[15:18] = True
    args = [np.array([v]) for v in (10.0, 10.0, 20.0, 0.0, np.nan)]
    f = software_factor(np.stack([one, two]), *(np.repeat(a, 2) for a in args))
    assert np.all(f[1] <= f[0] + 1e-15)
    assert_allclose(f[1, 20:], f[0, 20:])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    items=st.integers(1, 30),
    days=st.integers(1, 80),
    known=st.floats(0.0, 1.0),
)
def test_software_table_equals_cell_by_cell(seed: int, items: int, days: int, known: float) -> None:
    """The unknown-phase expectation looked up by whole days since the cut began equals
    ``(G(x + tau) - G(x)) / tau`` evaluated on every cell, bit for bit; known phases too."""
    rng = np.random.default_rng(seed)
    cut = rng.random((items, days)) < rng.uniform(0.0, 0.9)
    pick = rng.integers(0, 3, items)  # repeated parameter sets share a table row
    cadence = np.array([30.0, 7.5, 90.0])[pick]
    grace = np.array([10.0, 0.0, 45.0])[pick]
    decline = np.array([60.0, 0.0, 30.0])[pick]
    floor = np.array([0.2, 0.5, 0.0])[pick]
    last = np.where(rng.random(items) < known, rng.uniform(-50, 0, items), np.nan)
    got = software_factor(cut, cadence, grace, decline, floor, last)
    x = factors._since_start(cut)
    tau, gr, dc, fl = (a[:, None] for a in (cadence, grace, decline, floor))
    want = (decay_integral(x + tau, gr, dc, fl) - decay_integral(x, gr, dc, fl)) / tau
    k = ~np.isnan(last)
    if k.any():
        t = np.arange(days, dtype=np.float64)
        w = np.mod(t - x[k] - last[k][:, None], tau[k])
        want[k] = decay_value(x[k] + w, gr[k], dc[k], fl[k])
    assert np.array_equal(got, np.clip(want, 0.0, 1.0))
