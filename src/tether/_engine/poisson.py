"""Expected backorders and availability from Poisson pipelines (pure numpy/scipy)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["availability_log", "ebo", "empty_positions"]

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
    sp = np.maximum(s, 1).astype(np.float64)  # s = 0 is handled below
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        q = special.gammainc(sp, m)  # P(X >= s) for s >= 1
        pmf = np.exp(special.xlogy(sp, m) - m - special.gammaln(sp + 1.0))
    val = m * q - sp * (q - pmf)
    val = np.maximum(val, 0.0)
    out: F64 = np.where(s > 0, val, m)
    return out


def empty_positions(
    m: F64, s: NDArray[np.int64], positions: F64, backorders: F64 | None = None
) -> F64:
    """Expected empty positions ``E[min((X - s)^+, n)]`` for ``X ~ Poisson(m)``, ``n`` installed.

    Equals ``EBO(s) - EBO(s + n)``: backorders beyond the installed positions ground no
    more units. The second term is evaluated only where it is not negligible, that is
    where ``s + n`` is within 12 standard deviations (plus 12) of ``m``.

    ``m`` is ``[P, T]``; ``s`` and ``positions`` are ``[P]``; ``backorders``, if given, is
    ``EBO(m, s)`` already computed.
    """
    top = (np.reshape(s, (-1, 1)) + np.reshape(positions, (-1, 1))).astype(np.float64)
    out = ebo(m, np.reshape(s, (-1, 1))) if backorders is None else backorders.copy()
    near = top < m + 12.0 * np.sqrt(m) + 12.0
    if near.any():
        rows, cols = np.nonzero(near)
        out[rows, cols] -= ebo(m[rows, cols], top[rows, 0].astype(np.int64))
        np.maximum(out, 0.0, out=out)
    return out


def availability_log(backorders: F64, units: F64, quantity: F64) -> F64:
    """Per-part terms ``Z log(1 - E / (N Z))``, clamped so availability stays in [0, 1].

    ``backorders`` should be the expected empty positions (:func:`empty_positions`), so
    that more backorders than installed positions ground the fleet and no more. Summing
    the terms of a fleet's parts and exponentiating gives Sherbrooke's availability
    without cannibalisation (exact for ``Z = 1``). ``units`` and ``quantity`` broadcast
    against ``backorders`` along its first axis.
    """
    installed = (units * quantity)[:, None]
    ratio = 1.0 - backorders / installed
    np.clip(ratio, 0.0, 1.0, out=ratio)
    with np.errstate(divide="ignore"):
        out: F64 = quantity[:, None] * np.log(ratio)
    return out
