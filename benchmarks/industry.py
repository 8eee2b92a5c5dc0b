"""Time-to-recover on a three-tier network: one model re-solved by bounds vs rebuilt.

A synthetic network of 200 + 500 + 1,000 sites (tier 1 makes 40 end products from
tier 2's 100 subassemblies, which are made from tier 3's 250 components; every product
is made by several sites; stock here and there). Every tier-2 and tier-3 site is
disrupted in turn: 1,500 TTR programmes.

- batched: :class:`tether._analysis.industry_lp.BatchedLP` builds the sparse model once
  and, per disruption, changes the stopped lines' and lost stock's bounds, re-solves from
  the previous basis and restores them;
- baseline (same run): each programme built afresh with highspy's modelling layer
  (a variable and a constraint at a time, as a modelling-layer script would) and solved.

Both must give the same objective to 1e-6 (relative); the batched set should take under
a minute. The last lines are ``ratio NAME: VALUE``.

Run: python benchmarks/industry.py [--baseline-every K]
(``--baseline-every K`` builds afresh only every K-th disruption and compares per problem.)
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import scipy.sparse as sp

from tether._analysis.industry_lp import BatchedLP, Compiled, Disruption, new_highs

TIERS = (200, 500, 1000)
PRODUCTS = (40, 100, 250)
TAU = 30.0


def network(seed: int = 1) -> Compiled:
    """The three-tier network (products: end items, subassemblies, components)."""
    rng = np.random.default_rng(seed)
    n1, n2, n3 = PRODUCTS
    first = (0, n1, n1 + n2)
    n_p = n1 + n2 + n3
    rows, cols, vals = [], [], []
    for tier, (n_users, n_parts) in enumerate(((n1, n2), (n2, n3))):
        for u in range(n_users):
            for c in rng.choice(n_parts, size=3, replace=False):
                rows.append(first[tier] + u)
                cols.append(first[tier + 1] + int(c))
                vals.append(float(rng.integers(1, 4)))
    bom = sp.csr_matrix((vals, (rows, cols)), shape=(n_p, n_p))
    demand = np.zeros(n_p)
    demand[:n1] = rng.uniform(5, 20, n1)
    demand[n1 : n1 + n2] = rng.uniform(0, 2, n2) * (rng.random(n2) < 0.3)  # spares
    # gross requirement per product, so that capacity covers it with some slack
    need = demand.copy()
    bt = bom.T.tocsr()
    for _ in range(3):
        need = demand + bt @ need
    line_site, line_product, rate = [], [], []
    site = 0
    for tier, n_sites in enumerate(TIERS):
        n_prod = PRODUCTS[tier]
        owner = np.concatenate([np.arange(n_prod), rng.integers(0, n_prod, n_sites - n_prod)])
        per_product = np.bincount(owner, minlength=n_prod)
        for s in range(n_sites):
            p = first[tier] + int(owner[s])
            line_site.append(site + s)
            line_product.append(p)
            rate.append(need[p] / per_product[owner[s]] * rng.uniform(0.9, 1.4))
        site += n_sites
    n_s = site
    stock = sp.random(n_s, n_p, density=0.0005, random_state=rng) * 100
    return Compiled(
        products=tuple(f"p{i}" for i in range(n_p)),
        sites=tuple(f"s{i}" for i in range(n_s)),
        line_site=np.array(line_site, dtype=np.int64),
        line_product=np.array(line_product, dtype=np.int64),
        rate=np.array(rate),
        bom=bom,
        demand=demand,
        value=rng.uniform(1, 100, n_p),
        stock=sp.csr_matrix(stock),
    )


def disruptions(net: Compiled) -> list[Disruption]:
    """Every tier-2 and tier-3 site, alone."""
    out = []
    for s in range(TIERS[0], sum(TIERS)):
        lines = np.flatnonzero(net.line_site == s).astype(np.int64)
        out.append(Disruption(lines=lines, sites=np.array([s], dtype=np.int64)))
    return out


def batched(net: Compiled, cuts: list[Disruption]) -> np.ndarray:
    lp = BatchedLP(net, "ttr", tau=TAU)
    return np.array([lp.solve(c, values=False)[0] for c in cuts])


def afresh(net: Compiled, cut: Disruption) -> float:
    """One TTR programme built from scratch with highspy's modelling layer."""
    h = new_highs()
    n_p, n_l = len(net.products), len(net.line_site)
    stopped = set(cut.lines.tolist())
    stock = (
        np.asarray(net.stock.sum(axis=0)).ravel()
        - np.asarray(net.stock[cut.sites].sum(axis=0)).ravel()
    )
    x = [
        h.addVariable(lb=0.0, ub=0.0 if i in stopped else float(net.rate[i] * TAU))
        for i in range(n_l)
    ]
    short = {
        p: h.addVariable(lb=0.0, ub=float(net.demand[p] * TAU))
        for p in range(n_p)
        if net.demand[p] > 0
    }
    makers: list[list[int]] = [[] for _ in range(n_p)]
    for i, p in enumerate(net.line_product):
        makers[int(p)].append(i)
    users: list[list[tuple[int, float]]] = [[] for _ in range(n_p)]
    coo = net.bom.tocoo()
    for q, p, v in zip(coo.row, coo.col, coo.data, strict=True):
        users[int(p)].append((int(q), float(v)))
    for p in range(n_p):
        expr = sum(x[i] for i in makers[p])
        for q, v in users[p]:
            expr = expr - v * sum(x[i] for i in makers[q])
        if p in short:
            expr = expr + short[p]
        h.addConstr(expr >= float(net.demand[p] * TAU - stock[p]))
    h.minimize(sum(float(net.value[p]) * u for p, u in short.items()))
    return float(h.getObjectiveValue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-every", type=int, default=1)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    net = network()
    cuts = disruptions(net)
    print(
        f"network: {len(net.sites)} sites, {len(net.products)} products, "
        f"{len(net.line_site)} lines; {len(cuts)} TTR programmes (tau {TAU:g} days)"
    )
    t0 = time.perf_counter()
    fast = batched(net, cuts)
    t_fast = time.perf_counter() - t0
    each = 1e3 * t_fast / len(cuts)
    print(f"batched (built once, bounds changed): {t_fast:.2f} s, {each:.2f} ms each")
    picked = list(range(0, len(cuts), args.baseline_every))
    t0 = time.perf_counter()
    slow = np.array([afresh(net, cuts[i]) for i in picked])
    t_slow = time.perf_counter() - t0
    print(
        f"baseline (built afresh, modelling layer): {t_slow:.2f} s for {len(picked)}, "
        f"{1e3 * t_slow / len(picked):.2f} ms each"
    )
    gap = np.abs(fast[picked] - slow) / np.maximum(1.0, np.abs(slow))
    print(f"largest relative objective difference: {gap.max():.2e} (tolerance 1e-6)")
    if gap.max() > 1e-6:
        raise SystemExit("objectives disagree")
    base = BatchedLP(net, "ttr", tau=TAU).solve(None)[0]
    worse = int((fast > base + 1e-6 * max(1.0, base)).sum())
    print(f"undisrupted loss {base:,.0f}; disruptions losing more: {worse} of {len(cuts)}")
    per_fast = t_fast / len(cuts)
    per_slow = t_slow / len(picked)
    print(f"ratio industry-ttr-batched-vs-afresh: {per_slow / per_fast:.1f}")
    print(f"ratio industry-ttr-set-seconds: {t_fast:.2f}")


if __name__ == "__main__":
    main()
