"""The law of a fleet's share of units up from its part rows' laws (pure numpy).

With the rows independent (as in the engine's product of shares), the share up
``A = prod_i h_i(X_i)`` has the law of a product of independent discrete variables. It is
built on a grid of ``[0, 1]`` (each product's mass split linearly between the two grid
points around it, which keeps the mean) and summarised by the means of ``A`` over equal
quantile bins.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["GRID", "quantile_means"]

F64 = NDArray[np.float64]

#: Grid points on ``[0, 1]``.
GRID = 1024

#: Row probabilities below this are dropped (and the rest renormalised).
SMALL = 1e-13


def _law(rows: list[tuple[F64, F64]]) -> F64:
    """Mass on the grid ``[GRID]`` of the product of the rows' ``(probabilities, values)``."""
    n = GRID - 1
    law = np.zeros(GRID)
    law[n] = 1.0
    for p, v in rows:
        keep = p > SMALL
        p, v = p[keep] / p[keep].sum(), np.clip(v[keep], 0.0, 1.0)
        live = np.flatnonzero(law > SMALL * SMALL)
        pos = (live[:, None] * v[None, :]).ravel()  # grid index of each product
        mass = (law[live][:, None] * p[None, :]).ravel()
        lo = np.floor(pos).astype(np.int64)
        w = pos - lo
        law = np.asarray(
            np.bincount(lo, weights=mass * (1.0 - w), minlength=GRID), dtype=np.float64
        )
        law += np.bincount(np.minimum(lo + 1, n), weights=mass * w, minlength=GRID)
    return law


def quantile_means(rows: list[tuple[F64, F64]], bins: int, scale: float = 1.0) -> F64:
    """Mean of ``scale * prod_i h_i`` over each of ``bins`` equal quantile bins, lowest
    first, for independent rows given as ``(probabilities, values)``."""
    law = _law(rows)
    g = np.linspace(0.0, 1.0, GRID) * scale
    cdf = np.concatenate([[0.0], np.cumsum(law)])
    cdf /= cdf[-1]
    part = np.concatenate([[0.0], np.cumsum(law * g)]) / max(law.sum(), 1e-300)
    p = np.arange(bins + 1) / bins
    # the partial expectation is linear in p inside each grid point's share of the cdf
    pe = np.interp(p, cdf, part)
    out: F64 = np.diff(pe) * bins
    return out
