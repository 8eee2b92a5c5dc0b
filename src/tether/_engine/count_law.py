"""One day of a part row's count law on the 'available' basis (pure numpy): binomial
returns plus Poisson failures whose rate depends on the count, computed in bands through
generating functions (see :mod:`tether._engine.feedback`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["BLOCK_CELLS", "SPREAD", "TRIM", "band_width", "bands", "step_laws", "trim_laws"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Tail mass dropped at either end of a row's window after each step.
TRIM = 1e-20

#: Half-width of a band (and margin of a window) in standard deviations, plus as many counts.
SPREAD = 10.0

#: Complex cells (rows x counts x band) per block of a day's step.
BLOCK_CELLS = 1_000_000


def bands(x: F64, q: F64, a: F64, width: int) -> tuple[F64, I64]:
    """Law of ``Binomial(x, 1 - q) + Poisson(a)`` for counts ``x [n, K]``, rates
    ``a [n, K]`` and shares ``q [n]``: ``width`` probabilities from each offset
    ``o [n, K]`` (returns ``(band [n, K, width], o)``)."""
    qq = q[:, None]
    mean = x * (1.0 - qq) + a
    half = (width - 1) // 2
    o = np.maximum(np.floor(mean) - half, 0.0).astype(np.int64)
    ell = np.arange(width)
    w = np.exp(-2j * np.pi * ell / width)
    base = q[:, None] + (1.0 - q[:, None]) * w[None, :]  # [n, B]
    logb = np.log(np.where(base == 0, 1e-300, base))
    phase = 2j * np.pi / width
    out = np.empty((*x.shape, width))
    step = max(1, BLOCK_CELLS // max(1, x.shape[1] * width))
    for lo in range(0, x.shape[0], step):
        s = slice(lo, lo + step)
        expo = x[s, :, None] * logb[s, None, :]
        expo += a[s, :, None] * (w - 1.0)[None, None, :]
        expo += phase * ((o[s, :, None] * ell[None, None, :]) % width)
        got = np.fft.ifft(np.exp(expo), axis=2).real
        np.maximum(got, 0.0, out=got)
        out[s] = got
    return out, o


def band_width(x: F64, q: F64, a: F64, live: NDArray[np.bool_]) -> int:
    """Band width covering every live count's next law (``SPREAD`` sd and counts each side)."""
    var = x * (q * (1.0 - q))[:, None] + a
    v = float(np.where(live, var, 0.0).max()) if live.size else 0.0
    half = int(np.ceil(SPREAD * np.sqrt(v) + SPREAD))
    return 2 * half + 2


def step_laws(pi: F64, lo: I64, q: F64, a: F64) -> tuple[F64, I64]:
    """One day for rows ``pi [n, K]`` held from counts ``lo [n]``, with ``a [n, K]`` the
    Poisson arrivals' mean at each count: ``Binomial(X, 1 - q) + Poisson(a(X))``."""
    n, K = pi.shape
    x = (lo[:, None] + np.arange(K)[None, :]).astype(np.float64)
    live = pi > 0
    width = band_width(x, q, a, live)
    band, o = bands(x, q, a, width)
    big = np.iinfo(np.int64).max
    start = np.where(live, o, big).min(axis=1)
    start = np.where(start == big, 0, start)
    stop = np.where(live, o, 0).max(axis=1) + width
    size = int((stop - start).max())
    o = np.where(live, o, start[:, None])  # counts without mass: anywhere inside
    idx = (o - start[:, None])[:, :, None] + np.arange(width)[None, None, :]
    idx += (np.arange(n) * size)[:, None, None]
    weights = (pi[:, :, None] * band).ravel()
    got = np.bincount(idx.ravel(), weights=weights, minlength=n * size)
    return trim_laws(np.asarray(got, dtype=np.float64).reshape(n, size), start)


def trim_laws(pi: F64, lo: I64) -> tuple[F64, I64]:
    """Normalise, drop tails below :data:`TRIM` at both ends, repack to a common width."""
    pi = pi / np.maximum(pi.sum(axis=1, keepdims=True), 1e-300)
    K = pi.shape[1]
    c = np.cumsum(pi, axis=1)
    first = np.argmax(c > TRIM, axis=1)
    r = np.cumsum(pi[:, ::-1], axis=1)
    last = K - 1 - np.argmax(r > TRIM, axis=1)
    keep = int(np.maximum(last - first + 1, 1).max())
    cols = first[:, None] + np.arange(keep)[None, :]
    inside = cols <= last[:, None]
    out = np.where(inside, np.take_along_axis(pi, np.minimum(cols, K - 1), axis=1), 0.0)
    out /= np.maximum(out.sum(axis=1, keepdims=True), 1e-300)
    return out, lo + first
