"""Software/data, munitions and service factors per day (pure numpy).

All functions take boolean ``cut`` masks over days ``0..H`` (true while the supplier
withholds that kind during day ``t``) and return factors at instants ``0..H``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["decay_integral", "decay_value", "munitions_factor", "service_factor", "software_factor"]

F64 = NDArray[np.float64]
B8 = NDArray[np.bool_]


def decay_value(age: F64, grace: F64, decline: F64, floor: F64) -> F64:
    """``g(age)``: 1 up to ``grace``, linear to ``floor`` over ``decline``, then ``floor``."""
    over = age - grace
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        slope = np.where(decline > 0, (1.0 - floor) / np.where(decline > 0, decline, 1.0), np.inf)
        lin = 1.0 - slope * np.maximum(over, 0.0)
    out = np.where(over <= 0, 1.0, np.maximum(lin, floor))
    return np.asarray(out, dtype=np.float64)


def decay_integral(s: F64, grace: F64, decline: F64, floor: F64) -> F64:
    """``G(s)``, the integral of ``g`` over ``[0, s]`` (``s`` may be ``inf`` only if floor is 0)."""
    s = np.maximum(s, 0.0)
    head = np.minimum(s, grace)
    w = np.clip(s - grace, 0.0, decline)
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = np.where(decline > 0, w - (1.0 - floor) * w * w / (2.0 * decline), 0.0)
        tail = floor * np.maximum(s - grace - decline, 0.0)
    return np.asarray(head + mid + np.nan_to_num(tail), dtype=np.float64)


def _runs(cut: B8) -> tuple[F64, F64]:
    """For each instant: days since the current cut began (0 outside a cut), and days
    since the most recent end of a cut (``inf`` if none has ended)."""
    n = cut.shape[-1]
    t = np.arange(n, dtype=np.float64)
    prev = np.concatenate([np.zeros((*cut.shape[:-1], 1), bool), cut[..., :-1]], axis=-1)
    begin = cut & ~prev
    end = ~cut & prev
    start = np.maximum.accumulate(np.where(begin, t, -np.inf), axis=-1)
    last_end = np.maximum.accumulate(np.where(end, t, -np.inf), axis=-1)
    x = np.where(cut, t - start, 0.0)
    d = t - last_end
    return x, d


def software_factor(
    cut: B8, cadence: F64, grace: F64, decline: F64, floor: F64, last_update: F64
) -> F64:
    """Expected decay factor per item ``[Q, T]``.

    Updates arrive every ``cadence`` days except while cut; when a cut ends the supplier
    delivers the latest update at once. The age at ``t`` is ``min(x + W, D)``: ``x`` days
    since the cut began (0 outside), ``W`` the age of the last update when the cut began
    (or now, outside a cut), ``D`` days since the last cut ended. With an unknown phase ``W``
    is uniform on ``[0, cadence)`` and the expectation is exact:
    ``(G(min(x + tau, D)) - G(x) + max(0, x + tau - D) g(D)) / tau``.
    A known last update day fixes ``W``.
    """
    x, d = _runs(cut)
    tau, gr, dc, fl = (a[:, None] for a in (cadence, grace, decline, floor))
    hi = np.minimum(x + tau, d)
    finite_d = np.where(np.isfinite(d), d, 0.0)
    spill = np.maximum(x + tau - d, 0.0)
    expected = (
        decay_integral(hi, gr, dc, fl)
        - decay_integral(x, gr, dc, fl)
        + spill * decay_value(finite_d, gr, dc, fl)
    ) / tau
    known = ~np.isnan(last_update)
    if known.any():
        t = np.arange(cut.shape[-1], dtype=np.float64)
        anchor = np.where(cut[known], t - x[known], t)  # cut start, or now
        w = np.mod(anchor - last_update[known][:, None], tau[known])
        age = np.minimum(x[known] + w, d[known])
        expected[known] = decay_value(age, gr[known], dc[known], fl[known])
    return np.asarray(np.clip(expected, 0.0, 1.0), dtype=np.float64)


def munitions_factor(stock0: F64, demand: F64, resupply: F64) -> tuple[F64, F64]:
    """Share of each day's demanded rounds that can be fired, and stock at each instant.

    ``stock(t+1) = max(0, stock(t) + resupply(t) - use(t))`` with use limited by what is on
    hand. ``demand`` and ``resupply`` are ``[M, T]``; returns ``(factor, stock)``, both ``[M, T]``.
    """
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


def service_factor(
    cut: B8, withheld: F64, alt_cut: B8, has_alt: B8, alt_delay: F64, alt_factor: F64
) -> F64:
    """Factor per service ``[V, T]``: 1 while provided; while withheld, the withheld
    factor, or the alternative's once it has switched over (``alt_delay`` days into the
    cut) and is not itself cut."""
    x, _ = _runs(cut)
    switched = has_alt[:, None] & ~alt_cut & (x >= alt_delay[:, None])
    held = np.where(switched, np.maximum(alt_factor, withheld)[:, None], withheld[:, None])
    return np.asarray(np.where(cut, held, 1.0), dtype=np.float64)
