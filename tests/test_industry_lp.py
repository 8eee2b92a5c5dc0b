"""The batched HiGHS programmes against a second solver path (scipy's linprog, built
afresh per disruption) on random multi-tier networks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from tether import SolverError
from tether._analysis.industry_lp import BatchedLP, Compiled, Disruption, solve_ttr, solve_tts


def random_network(rng: np.random.Generator, n_products: int = 12, n_sites: int = 15) -> Compiled:
    """Products 0..P-1 with components only among later products (so no cycle); every
    product made by one to three sites; stock and demand here and there."""
    p_idx = np.arange(n_products)
    rows, cols, vals = [], [], []
    for q in p_idx:
        later = np.arange(q + 1, n_products)
        if len(later):
            for c in rng.choice(later, size=min(len(later), rng.integers(0, 3)), replace=False):
                rows.append(q)
                cols.append(int(c))
                vals.append(float(rng.integers(1, 4)))
    bom = sp.csr_matrix((vals, (rows, cols)), shape=(n_products, n_products))
    line_site, line_product = [], []
    for p in p_idx:
        for s in rng.choice(n_sites, size=rng.integers(1, 4), replace=False):
            line_site.append(int(s))
            line_product.append(int(p))
    n_l = len(line_site)
    stock = sp.random(n_sites, n_products, density=0.15, random_state=rng) * 50
    demand = np.where(rng.random(n_products) < 0.4, rng.uniform(1, 10, n_products), 0.0)
    demand[0] = max(demand[0], 5.0)
    return Compiled(
        products=tuple(f"p{i}" for i in p_idx),
        sites=tuple(f"s{i}" for i in range(n_sites)),
        line_site=np.array(line_site, dtype=np.int64),
        line_product=np.array(line_product, dtype=np.int64),
        rate=rng.uniform(0.5, 20, n_l),
        bom=bom,
        demand=demand,
        value=rng.uniform(1, 100, n_products),
        stock=sp.csr_matrix(stock),
    )


def _down(net: Compiled, cut: Disruption | None) -> tuple[np.ndarray, np.ndarray]:
    """Line upper-bound factor (0 stopped, 1 running) and the stock left per product."""
    alive = np.ones(len(net.line_site))
    stock = net.stock.toarray()
    if cut is not None:
        alive[cut.lines] = 0.0
        stock[cut.sites] = 0.0
    return alive, stock.sum(axis=0)


def linprog_ttr(net: Compiled, cut: Disruption | None, tau: float) -> float:
    """The TTR programme written out densely for scipy: min v.u, made + u >= d tau - I."""
    n_p, n_l = len(net.products), len(net.line_site)
    made = np.zeros((n_p, n_l))
    made[net.line_product, np.arange(n_l)] = 1.0
    balance = made - net.bom.toarray().T @ made
    alive, stock = _down(net, cut)
    a = np.hstack([balance, np.eye(n_p)])
    bounds = [(0.0, r * tau * a_) for r, a_ in zip(net.rate, alive, strict=True)] + [
        (0.0, d * tau) for d in net.demand
    ]
    cost = np.concatenate([np.zeros(n_l), net.value])
    res = linprog(
        cost, A_ub=-a, b_ub=-(net.demand * tau - stock), bounds=bounds, method="highs-ipm"
    )
    assert res.status == 0, res.message
    return float(res.fun)


def linprog_tts(net: Compiled, cut: Disruption | None, horizon: float) -> float:
    """The TTS programme for scipy: max t, made - d t >= -I, x <= c t."""
    n_p, n_l = len(net.products), len(net.line_site)
    made = np.zeros((n_p, n_l))
    made[net.line_product, np.arange(n_l)] = 1.0
    balance = made - net.bom.toarray().T @ made
    alive, stock = _down(net, cut)
    a_prod = np.hstack([-balance, net.demand.reshape(-1, 1)])
    a_cap = np.hstack([np.eye(n_l), -net.rate.reshape(-1, 1)])
    bounds = [(0.0, None if a_ else 0.0) for a_ in alive] + [(0.0, horizon)]
    cost = np.zeros(n_l + 1)
    cost[-1] = -1.0
    res = linprog(
        cost,
        A_ub=np.vstack([a_prod, a_cap]),
        b_ub=np.concatenate([stock, np.zeros(n_l)]),
        bounds=bounds,
        method="highs-ipm",
    )
    assert res.status == 0, res.message
    return float(-res.fun)


def cuts_of(net: Compiled, rng: np.random.Generator, n: int) -> list[Disruption | None]:
    out: list[Disruption | None] = [None]
    for _ in range(n):
        sites = np.sort(rng.choice(len(net.sites), size=rng.integers(1, 4), replace=False))
        lines = np.flatnonzero(np.isin(net.line_site, sites))
        out.append(Disruption(lines=lines.astype(np.int64), sites=sites.astype(np.int64)))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_batched_ttr_agrees_with_linprog(seed: int) -> None:
    rng = np.random.default_rng(seed)
    net = random_network(rng)
    cuts = cuts_of(net, rng, 12)
    value, units = solve_ttr(net, cuts, tau=30.0)
    want = np.array([linprog_ttr(net, c, 30.0) for c in cuts])
    np.testing.assert_allclose(value, want, rtol=1e-6, atol=1e-6 * max(1.0, want.max()))
    assert np.all(units >= -1e-9)
    assert np.all(value[1:] >= value[0] - 1e-6 * max(1.0, want.max()))  # a cut never helps


@pytest.mark.parametrize("seed", range(6))
def test_batched_tts_agrees_with_linprog(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    net = random_network(rng)
    cuts = cuts_of(net, rng, 12)
    got = solve_tts(net, cuts, horizon=365.0)
    want = np.array([linprog_tts(net, c, 365.0) for c in cuts])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_bounds_are_restored_between_disruptions() -> None:
    rng = np.random.default_rng(7)
    net = random_network(rng)
    lp = BatchedLP(net, "ttr", tau=20.0)
    base, _ = lp.solve(None)
    worst = Disruption(lines=np.arange(len(net.line_site)), sites=np.arange(len(net.sites)))
    everything, _ = lp.solve(worst)
    assert everything == pytest.approx(float(net.value @ net.demand) * 20.0)
    assert lp.solve(None)[0] == pytest.approx(base)


def test_solver_failure_is_a_solver_error() -> None:
    rng = np.random.default_rng(3)
    net = random_network(rng)
    lp = BatchedLP(net, "ttr", tau=20.0)
    lp.h.setOptionValue("simplex_iteration_limit", 0)
    lp.h.clearSolver()
    with pytest.raises(SolverError) as err:
        lp.solve(cuts_of(net, rng, 1)[1])
    assert err.value.status and "TTR" in str(err.value)
