"""Expected backorders and availability from Poisson pipelines (pure numpy/scipy)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["availability_log", "ebo", "fill_rate"]

F64 = NDArray[np.float64]


def ebo(m: ArrayLike, s: ArrayLike) -> F64:
    """Expected backorders ``E[(X - s)^+]`` for ``X ~ Poisson(m)``, elementwise.

    Closed form ``m P(X >= s) - s P(X >= s + 1)``, with ``P(X >= s+1) = P(X >= s) - P(X = s)``
    so that one incomplete-gamma evaluation serves both terms.

    >>> round(float(ebo(2.34877, 0)), 5)
    2.34877
    >>> round(float(ebo(1.6, 1)), 4)
    0.8019
    """
    m = np.asarray(m, dtype=np.float64)
    s = np.asarray(s)
    m, s = np.broadcast_arrays(m, s)
    out = np.array(m, dtype=np.float64, copy=True)
    pos = s > 0
    if not pos.any():
        return out
    mp = m[pos]
    sp = s[pos].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        q = special.gammainc(sp, mp)  # P(X >= s) for s >= 1
        pmf = np.exp(special.xlogy(sp, mp) - mp - special.gammaln(sp + 1.0))
    val = mp * q - sp * (q - pmf)
    out[pos] = np.maximum(val, 0.0)
    return out


def fill_rate(m: ArrayLike, s: ArrayLike) -> F64:
    """Probability that a demand is met from stock: ``P(X < s) = P(X <= s - 1)``."""
    m = np.asarray(m, dtype=np.float64)
    s = np.asarray(s)
    with np.errstate(invalid="ignore"):
        return np.where(s > 0, special.pdtr(np.maximum(s - 1, 0), m), 0.0)


def availability_log(backorders: F64, units: F64, quantity: F64) -> F64:
    """Per-part terms ``Z log(1 - EBO / (N Z))``, clamped so availability stays in [0, 1].

    Summing the terms of a fleet's parts and exponentiating gives Sherbrooke's
    availability without cannibalisation. ``units`` and ``quantity`` broadcast against
    ``backorders`` along its first axis.
    """
    installed = (units * quantity)[:, None]
    ratio = 1.0 - backorders / installed
    np.clip(ratio, 0.0, 1.0, out=ratio)
    with np.errstate(divide="ignore"):
        out: F64 = quantity[:, None] * np.log(ratio)
    return out
