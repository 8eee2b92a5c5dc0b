"""Software decay, munitions stock and service factors."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tether._engine.factors import (
    decay_integral,
    decay_value,
    munitions_factor,
    service_factor,
    software_factor,
)


def phase_average(cut: np.ndarray, tau: float, gr: float, dc: float, fl: float) -> np.ndarray:
    """Brute force: average over many phases of an explicit update schedule.

    Updates are scheduled at phi + k tau; one falling on a cut day is not delivered;
    when a cut ends, the supplier delivers at once.
    """
    n = len(cut)
    out = np.zeros(n)
    phases = (np.arange(1000) + 0.5) / 1000 * tau
    for t in range(n):
        vals = []
        ends = [e for e in range(1, t + 1) if cut[e - 1] and not cut[e]]
        for phi in phases:
            # last scheduled update time <= t that fell on a day not cut
            k = np.floor((t - phi) / tau)
            last = None
            while True:
                s = phi + k * tau
                d = int(np.floor(s))
                if d < 0 or not cut[d]:
                    last = s
                    break
                k -= 1
            if ends:
                last = max(last, ends[-1])
            age = t - last
            vals.append(decay_value(np.array([age]), np.array(gr), np.array(dc), np.array(fl))[0])
        out[t] = np.mean(vals)
    return out


@pytest.mark.parametrize(
    ("cuts", "tau", "gr", "dc", "fl"),
    [
        ([(5, 30)], 10.0, 12.0, 8.0, 0.3),
        ([(0, 20)], 7.0, 7.0, 0.0, 0.0),  # hard expiry
        ([(3, 9), (14, 35)], 6.0, 4.0, 10.0, 0.5),
        ([], 10.0, 5.0, 10.0, 0.2),  # grace shorter than cadence: baseline below 1
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
    # updates at -2, 5, 12 (cut, not delivered): at day 10 the last update was day 5
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
