"""Stockpiles against an unreliable supplier: base stock and EOQ under Markov disruptions.

Snyder and Shen, *Fundamentals of Supply Chain Theory* (2nd ed., Wiley, 2019), ch. 9
(supply uncertainty), its section on supply disruptions: the base-stock model with
disruptions and the EOQ model with disruptions (EOQD, after Parlar and Berkin 1991 and Berk
and Arreola-Risa 1994). The formulas below are derived here in full, so that they can be
checked without the book (section numbers in the book are not repeated here: check them
against your edition); ``tests/test_stockpile.py`` checks each against a seeded simulation.

**Base stock with disruptions** (periodic review, one period = one day by default). The
supplier is up or down; from up it goes down with probability ``a`` per period, from down it
recovers with probability ``b``. Demand is ``d`` per period, backordered; lead time 0. Each
up period the stock is raised to ``S``; down periods order nothing. Let ``N`` be the number
of consecutive down periods so far (0 when up). In steady state ``P(up) = b / (a + b)`` and
``P(N = n) = P(up) a (1 - b)^(n - 1)`` for ``n >= 1``, so ``P(N > n) = a (1 - b)^n / (a + b)``
for ``n >= 0``. The inventory at the end of a period is ``S - (N + 1) d``, and the expected
cost per period, holding ``h`` and shortage (backorder) ``p`` per unit and period, is

    g(S) = h E[(S - (N + 1) d)^+] + p E[((N + 1) d - S)^+]
         = (h + p) E[(S - (N + 1) d)^+] + p (d (1 + E[N]) - S),   E[N] = a / (b (a + b)).

``E[(S - (N + 1) d)^+]`` is a finite sum over ``n < S/d - 1``, summed in closed form with
geometric series (:func:`base_stock_cost`). ``g`` is convex and piecewise linear with kinks at
``S = (n + 1) d``, so the optimum is the newsvendor fractile of ``N``:

    S* = d (n* + 1),   n* = min{n >= 0 : P(N <= n) >= p / (p + h)}
       = max(0, ceil(ln((a + b) h / (a (p + h))) / ln(1 - b))).

**EOQ with disruptions** (continuous time). Demand ``D`` per unit time, fixed cost ``K`` per
order, holding ``h`` per unit and unit time, ``p`` per unit of demand lost while out of stock.
Up and down spells are exponential with rates ``lam`` and ``mu``; from per-period
probabilities ``lam = -ln(1 - a)``, ``mu = -ln(1 - b)``. An order of ``Q`` is placed when the
stock reaches 0 and the supplier is up; when it is down, demand is lost until it recovers
(mean ``1 / mu``, memoryless). The supplier is down ``Q / D`` after an order with probability
``psi(Q) = lam / (lam + mu) (1 - exp(-(lam + mu) Q / D))``, and by renewal-reward the cost per
unit time is exactly

    g(Q) = (K + h Q^2 / (2 D) + p D psi(Q) / mu) / (Q / D + psi(Q) / mu).

:func:`eoqd` minimises it numerically (exact). Dropping the exponential term
(``psi = lam / (lam + mu)``, good when ``(lam + mu) Q / D`` is large) gives the closed form

    Q ~ -D psi / mu + sqrt((D psi / mu)^2 + 2 D (K + p D psi / mu) / h),

which is the classic EOQ ``sqrt(2 K D / h)`` when the supplier never fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tether._errors import ArgumentError

__all__ = [
    "EOQD",
    "Stockpile",
    "base_stock_cost",
    "eoqd",
    "eoqd_cost",
    "optimal_base_stock",
    "simulate_base_stock",
    "simulate_eoqd",
    "stockpile",
]

F64 = NDArray[np.float64]


def _check(**values: float) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ArgumentError(f"{name} must be a finite number, not {v!r}")
    for name in ("disruption", "recovery"):
        if name in values and not 0 < values[name] < 1:
            raise ArgumentError(f"{name} must be a probability strictly between 0 and 1")
    for name in ("holding", "shortage", "order_cost", "level"):
        if name in values and values[name] < 0:
            raise ArgumentError(f"{name} must be at least 0, not {values[name]!r}")
    if "demand" in values and values["demand"] <= 0:
        raise ArgumentError(f"demand must be more than 0, not {values['demand']!r}")
    if values.get("holding", 1.0) + values.get("shortage", 1.0) <= 0:
        raise ArgumentError("holding and shortage costs cannot both be 0")


def mean_disrupted(disruption: float, recovery: float) -> float:
    """``E[N]``: the mean number of consecutive down periods at the end of a period."""
    return disruption / (recovery * (disruption + recovery))


def base_stock_cost(
    level: float,
    disruption: float,
    recovery: float,
    holding: float,
    shortage: float,
    demand: float = 1.0,
) -> float:
    """Expected holding and shortage cost per period of base-stock ``level`` (closed form).

    >>> round(base_stock_cost(3, 0.05, 0.25, 1.0, 10.0), 4)
    5.4583
    """
    _check(
        level=level,
        disruption=disruption,
        recovery=recovery,
        holding=holding,
        shortage=shortage,
        demand=demand,
    )
    a, b, d = disruption, recovery, demand
    up = b / (a + b)
    q = 1.0 - b
    k = max(0, math.ceil(level / d - 1.0))  # terms n = 0..k-1 have (n + 1) d < level
    over = up * (level - d) if k >= 1 else 0.0  # n = 0
    m = k - 1  # terms n = 1..k-1, as j = n - 1 = 0..m-1: (level - (j + 2) d) up a q^j
    if m >= 1:
        geo = (1 - q**m) / (1 - q)
        lin = q * (1 - m * q ** (m - 1) + (m - 1) * q**m) / (1 - q) ** 2
        over += up * a * ((level - 2 * d) * geo - d * lin)
    mean_use = d * (1.0 + mean_disrupted(a, b))
    return (holding + shortage) * over + shortage * (mean_use - level)


def optimal_base_stock(
    disruption: float, recovery: float, holding: float, shortage: float, demand: float = 1.0
) -> float:
    """The cost-minimising base-stock level ``S* = d (n* + 1)`` (closed form).

    >>> optimal_base_stock(0.05, 0.25, 1.0, 10.0)
    4.0
    """
    _check(
        disruption=disruption, recovery=recovery, holding=holding, shortage=shortage, demand=demand
    )
    a, b = disruption, recovery
    if holding == 0:
        raise ArgumentError("with no holding cost the stockpile should be unbounded")
    target = (a + b) * holding / (a * (shortage + holding))
    n = 0 if target >= 1 else math.ceil(math.log(target) / math.log(1 - b) - 1e-12)
    return demand * (max(n, 0) + 1)


@dataclass(frozen=True, slots=True)
class EOQD:
    """The EOQ under disruptions: exact and approximate order quantities and their costs
    per unit time (both costs from the exact formula), and the classic EOQ."""

    exact_quantity: float
    exact_cost: float
    approx_quantity: float
    approx_cost: float
    eoq: float

    def to_dict(self) -> dict[str, float]:
        return {
            "exact_quantity": self.exact_quantity,
            "exact_cost": self.exact_cost,
            "approx_quantity": self.approx_quantity,
            "approx_cost": self.approx_cost,
            "eoq": self.eoq,
        }


def _rates(disruption: float, recovery: float) -> tuple[float, float]:
    return -math.log1p(-disruption), -math.log1p(-recovery)


def eoqd_cost(
    quantity: float,
    disruption: float,
    recovery: float,
    holding: float,
    shortage: float,
    order_cost: float,
    demand: float = 1.0,
) -> float:
    """Exact cost per unit time of order quantity ``quantity`` under disruptions."""
    lam, mu = _rates(disruption, recovery)
    psi = lam / (lam + mu) * -math.expm1(-(lam + mu) * quantity / demand)
    num = order_cost + holding * quantity**2 / (2 * demand) + shortage * demand * psi / mu
    return num / (quantity / demand + psi / mu)


def eoqd(
    disruption: float,
    recovery: float,
    holding: float,
    shortage: float,
    order_cost: float,
    demand: float = 1.0,
) -> EOQD:
    """The order quantity minimising :func:`eoqd_cost` (exact, by bounded search), and the
    closed-form approximation.

    >>> r = eoqd(0.01, 0.1, holding=1.0, shortage=20.0, order_cost=50.0, demand=10.0)
    >>> round(r.eoq, 2), round(r.approx_quantity, 2), round(r.exact_quantity, 2)
    (31.62, 57.87, 33.96)
    """
    from scipy.optimize import minimize_scalar

    _check(
        disruption=disruption,
        recovery=recovery,
        holding=holding,
        shortage=shortage,
        order_cost=order_cost,
        demand=demand,
    )
    if holding <= 0:
        raise ArgumentError("the EOQ needs a holding cost above 0")
    lam, mu = _rates(disruption, recovery)
    d = demand
    psi = lam / (lam + mu)
    a = d * psi / mu
    approx = -a + math.sqrt(a * a + 2 * d * (order_cost + shortage * d * psi / mu) / holding)
    eoq = math.sqrt(2 * order_cost * d / holding)

    def cost(q: float) -> float:
        return eoqd_cost(q, disruption, recovery, holding, shortage, order_cost, d)

    hi = 4 * max(approx, eoq, d / (lam + mu), 1e-9)
    res = minimize_scalar(
        cost, bounds=(hi * 1e-9, hi), method="bounded", options={"xatol": 1e-10 * hi}
    )
    q = float(res.x)
    return EOQD(q, cost(q), approx, cost(approx), eoq)


@dataclass(frozen=True, slots=True)
class Stockpile:
    """A stockpile against a supplier that fails and recovers at random (see the module).

    ``cost`` is the expected cost per period at ``level`` (the optimum unless a level was
    given); ``disruption_share`` the long-run share of periods the supplier is down;
    ``mean_outage`` the mean length of a disruption in periods; ``eoqd`` the order quantity
    under disruptions when an order cost was given.
    """

    disruption: float
    recovery: float
    holding: float
    shortage: float
    demand: float
    optimal_level: float
    optimal_cost: float
    level: float
    cost: float
    disruption_share: float
    mean_outage: float
    cover_probability: float
    eoqd: EOQD | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "disruption": self.disruption,
            "recovery": self.recovery,
            "holding": self.holding,
            "shortage": self.shortage,
            "demand": self.demand,
            "optimal_level": self.optimal_level,
            "optimal_cost": self.optimal_cost,
            "level": self.level,
            "cost": self.cost,
            "disruption_share": self.disruption_share,
            "mean_outage": self.mean_outage,
            "cover_probability": self.cover_probability,
            "eoqd": None if self.eoqd is None else self.eoqd.to_dict(),
        }


def stockpile(
    disruption: float,
    recovery: float,
    holding: float,
    shortage: float,
    *,
    demand: float = 1.0,
    level: float | None = None,
    order_cost: float | None = None,
) -> Stockpile:
    """Base-stock stockpile (and, with ``order_cost``, the EOQ) against Markov disruptions.

    ``disruption``, ``recovery``: per-period probabilities that an up supplier goes down and
    that a down one recovers; ``holding``, ``shortage``: cost per unit and period held or
    short; ``demand`` per period. ``cover_probability`` is the chance a period ends with no
    shortage at the level.

    >>> import tether
    >>> s = tether.stockpile(0.05, 0.25, holding=1.0, shortage=10.0, demand=100.0)
    >>> s.optimal_level, round(s.optimal_cost, 1), round(s.mean_outage, 1)
    (400.0, 542.7, 4.0)
    """
    _check(
        disruption=disruption, recovery=recovery, holding=holding, shortage=shortage, demand=demand
    )
    best = optimal_base_stock(disruption, recovery, holding, shortage, demand)
    at = best if level is None else level
    if level is not None:
        _check(level=level)
    k = max(0, math.floor(at / demand + 1e-12) - 1)  # no shortage while N <= k
    cover = (
        1.0 - disruption / (disruption + recovery) * (1 - recovery) ** k if at >= demand else 0.0
    )
    return Stockpile(
        disruption=disruption,
        recovery=recovery,
        holding=holding,
        shortage=shortage,
        demand=demand,
        optimal_level=best,
        optimal_cost=base_stock_cost(best, disruption, recovery, holding, shortage, demand),
        level=at,
        cost=base_stock_cost(at, disruption, recovery, holding, shortage, demand),
        disruption_share=disruption / (disruption + recovery),
        mean_outage=1.0 / recovery,
        cover_probability=cover,
        eoqd=None
        if order_cost is None
        else eoqd(disruption, recovery, holding, shortage, order_cost, demand),
    )


# --- seeded simulations (the checks) --------------------------------------------------------


def simulate_base_stock(
    level: float,
    disruption: float,
    recovery: float,
    holding: float,
    shortage: float,
    demand: float,
    periods: int,
    rng: np.random.Generator,
) -> float:
    """Average cost per period of base-stock ``level`` over ``periods`` simulated periods
    (the supplier starts in its stationary state)."""
    up = rng.random() < recovery / (disruption + recovery)
    u = rng.random(periods)
    stock = level
    total = 0.0
    for t in range(periods):
        if t:
            up = u[t] >= disruption if up else u[t] < recovery
        if up:
            stock = level
        stock -= demand
        total += holding * max(stock, 0.0) + shortage * max(-stock, 0.0)
    return total / periods


def simulate_eoqd(
    quantity: float,
    disruption: float,
    recovery: float,
    holding: float,
    shortage: float,
    order_cost: float,
    demand: float,
    cycles: int,
    rng: np.random.Generator,
) -> float:
    """Average cost per unit time of ordering ``quantity`` under exponential up/down spells,
    over ``cycles`` simulated order cycles."""
    lam, mu = _rates(disruption, recovery)
    up = rng.random() < mu / (lam + mu)
    clock = 0.0  # time left in the current spell
    clock = rng.exponential(1 / lam if up else 1 / mu)
    time = cost = 0.0
    for _ in range(cycles):
        # order arrives at once (the supplier is up), stock runs down over Q / D
        cost += order_cost + holding * quantity**2 / (2 * demand)
        left = quantity / demand
        time += left
        while left > 0:  # advance the supplier over the depletion time
            step = min(left, clock)
            left -= step
            clock -= step
            if clock <= 0:
                up = not up
                clock = rng.exponential(1 / lam if up else 1 / mu)
        if not up:  # out of stock until the supplier recovers: demand lost
            cost += shortage * demand * clock
            time += clock
            up = True
            clock = rng.exponential(1 / lam)
    return cost / time
