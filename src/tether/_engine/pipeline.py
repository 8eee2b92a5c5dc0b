"""Time-dependent Poisson pipelines with paused supplier clocks (pure numpy).

Failures of a part arrive as a Poisson process whose rate is constant within each day.
A failure at time ``u`` on a route with turnaround ``tau`` is back at time ``t`` once its
pipeline clock has advanced by ``tau`` days since ``u``; the clock of a supplier route
stops while that supplier withholds the route's kind. With independent service times
the number out at ``t`` is Poisson (Eick, Massey and Whitt 1993) with mean

    m(t) = sum over routes r of share_r * (Lambda(t) - Lambda(u*_r(t)))

where ``Lambda`` is cumulative demand and ``u*_r(t)`` the last failure time not yet back.
Before day 0 the system is in steady state: the clock runs and demand is ``lam_ss``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Clock", "ReturnIndex", "clock", "return_index", "returned"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Clock:
    """A pipeline clock on instants ``0..H``: ``A[t]`` active days before ``t``.

    ``J[k]`` is the last instant whose clock reading is at most ``k``.
    """

    A: I64
    J: I64
    identity: bool


def clock(active: NDArray[np.bool_]) -> Clock:
    """The clock of a pipeline active on the days where ``active`` (length ``H + 1``) is true."""
    n = active.shape[0]
    A = np.zeros(n, dtype=np.int64)
    np.cumsum(active[:-1], out=A[1:])
    identity = bool(active[:-1].all())
    J = np.searchsorted(A, np.arange(int(A[-1]) + 1), side="right").astype(np.int64) - 1
    return Clock(A=A, J=J, identity=identity)


@dataclass(frozen=True, slots=True)
class ReturnIndex:
    """Where ``u*(t)`` falls, for each part and instant: ``u* = idx + frac`` when ``idx >= 0``.

    Where ``idx`` is -1, ``u*`` lies before day 0 and equals ``before`` (a negative time).
    """

    idx: I64
    frac: F64
    before: F64


def return_index(ck: Clock, tau: F64) -> ReturnIndex:
    """``u*(t)`` for parts with turnarounds ``tau`` (shape ``[P]``) on clock ``ck``.

    Returns arrays of shape ``[P, H + 1]``.
    """
    y = ck.A[None, :].astype(np.float64) - tau[:, None]
    pre = y < 0
    k = np.floor(y)
    np.maximum(k, 0, out=k)
    ki = k.astype(np.int64)
    if ck.identity:
        idx = ki
        frac = y - k
    else:
        idx = ck.J[ki]
        frac = y - ck.A[idx]
    idx[pre] = -1
    frac[pre] = 0.0
    before = np.where(pre, y, 0.0)
    return ReturnIndex(idx=idx, frac=frac, before=before)


def returned(cum: F64, lam: F64, lam_ss: F64, ri: ReturnIndex) -> F64:
    """Cumulative demand up to ``u*(t)``: ``Lambda(u*)`` with ``Lambda(0) = 0``.

    ``cum[p, t]`` is demand before instant ``t``; ``lam[p, t]`` demand rate on day ``t``;
    ``lam_ss[p]`` the steady-state rate before day 0.
    """
    safe = np.maximum(ri.idx, 0)
    got = np.take_along_axis(cum, safe, axis=1)
    got += ri.frac * np.take_along_axis(lam, safe, axis=1)
    return np.where(ri.idx >= 0, got, lam_ss[:, None] * ri.before)
