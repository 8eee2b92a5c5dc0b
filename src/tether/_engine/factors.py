"""Software/data, munitions and service factors per day (pure numpy).

All functions take boolean ``cut`` masks over days ``0..H`` (true while the supplier
withholds that kind during day ``t``) and return factors at instants ``0..H``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "decay_integral",
    "decay_value",
    "munitions_factor",
    "munitions_stock",
    "service_factor",
    "software_factor",
]

F64 = NDArray[np.float64]
B8 = NDArray[np.bool_]

#: Items of unknown phase above which the software decay is looked up in a table of its
#: distinct parameter sets (below, finding them costs more than it saves).
TABLE_ROWS = 8


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


def _since_start(cut: B8) -> F64:
    """For each instant, days since the current cut began (0 outside a cut)."""
    n = cut.shape[-1]
    t = np.arange(n, dtype=np.float64)
    prev = np.concatenate([np.zeros((*cut.shape[:-1], 1), bool), cut[..., :-1]], axis=-1)
    start = np.maximum.accumulate(np.where(cut & ~prev, t, -np.inf), axis=-1)
    return np.asarray(np.where(cut, t - start, 0.0), dtype=np.float64)


def software_factor(
    cut: B8, cadence: F64, grace: F64, decline: F64, floor: F64, last_update: F64
) -> F64:
    """Expected decay factor per item ``[Q, T]``.

    Updates are issued every ``cadence`` days. One issued on a day the supplier withholds
    software is held back and delivered when that cut ends (the catch-up delivers what the
    cut withheld, nothing newer); the age of an item is days since the issue date of the
    newest update it has. During a cut that began ``x`` days ago the item has the last
    update issued before the cut began, ``W`` days older than the cut: the age is
    ``x + W``; outside a cut it is ``W``, as in normal service (every update issued before
    a cut ended has been delivered). With an unknown phase ``W`` is uniform on
    ``[0, cadence)`` and the expectation is exact: ``(G(x + tau) - G(x)) / tau``. A known
    last update day fixes ``W``. More cut days never lower the age, so a cutoff never
    raises this factor.
    """
    x = _since_start(cut)
    tau, gr, dc, fl = (a[:, None] for a in (cadence, grace, decline, floor))
    known = ~np.isnan(last_update)
    if (~known).sum() <= TABLE_ROWS:
        expected = (decay_integral(x + tau, gr, dc, fl) - decay_integral(x, gr, dc, fl)) / tau
    else:
        # x is a whole number of days below T: the expectation looked up in a table per
        # distinct (cadence, grace, decline, floor), the same values as cell by cell
        expected = np.empty(x.shape)
        n = cut.shape[-1]
        rows = np.flatnonzero(~known) if known.any() else slice(None)
        params = np.stack([cadence, grace, decline, floor], axis=1)[rows]
        kinds, inv = np.unique(params, axis=0, return_inverse=True)
        xs = np.arange(n, dtype=np.float64)[None, :]
        kt, kg, kd, kf = (kinds[:, i : i + 1] for i in range(4))
        table = (decay_integral(xs + kt, kg, kd, kf) - decay_integral(xs, kg, kd, kf)) / kt
        at = inv.reshape(-1, 1) * n + x[rows].astype(np.int64)
        expected[rows] = np.take(table, at)
    if known.any():
        t = np.arange(cut.shape[-1], dtype=np.float64)
        anchor = t - x[known]  # the cut's start, or now
        w = np.mod(anchor - last_update[known][:, None], tau[known])
        expected[known] = decay_value(x[known] + w, gr[known], dc[known], fl[known])
    return np.asarray(np.clip(expected, 0.0, 1.0), dtype=np.float64)


def munitions_stock(stock0: F64, demand: F64, resupply: F64) -> tuple[F64, F64]:
    """Stock at each instant and at the end of each day, in closed form.

    ``stock(t + 1) = max(0, stock(t) + resupply(t) - demand(t))`` is Lindley's recursion:
    with ``S(t)`` the running sum of ``resupply - demand`` over days ``0..t - 1``,
    ``stock(t) = S(t) + max(stock(0), max_{1 <= u <= t} -S(u))``. A day that runs dry
    gives exactly 0; elsewhere the result agrees with the day-by-day loop to rounding of
    the running sums (about ``T * 1e-16`` of the flows' total). Arrays are ``[..., T]``,
    ``stock0`` is ``[...]``; returns ``(stock at the start of each day, at its end)``.
    """
    flow = resupply - demand
    total = np.cumsum(flow, axis=-1)  # S(t + 1)
    lowest = np.maximum.accumulate(-total, axis=-1)  # max_{1 <= u <= t + 1} -S(u)
    s0 = np.asarray(stock0, dtype=np.float64)[..., None]
    after = np.maximum(total + np.maximum(s0, lowest), 0.0)
    before = np.concatenate([s0, after[..., :-1]], axis=-1)
    return before, after


def munitions_factor(stock0: F64, demand: F64, resupply: F64) -> tuple[F64, F64]:
    """Share of each day's demanded rounds that can be fired, and stock at each instant.

    ``stock(t+1) = max(0, stock(t) + resupply(t) - use(t))`` with use limited by what is on
    hand (:func:`munitions_stock`, no loop over days). ``demand`` and ``resupply`` are
    ``[..., T]`` (e.g. ``[M, T]``); returns ``(factor, stock)`` of the same shape.
    """
    stock, _ = munitions_stock(stock0, demand, resupply)
    used = np.minimum(stock + resupply, demand)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(demand > 0, used / np.where(demand > 0, demand, 1.0), 1.0)
    return np.asarray(factor, dtype=np.float64), stock


def service_factor(
    cut: B8,
    withheld: F64,
    alt_cut: B8,
    has_alt: B8,
    alt_delay: F64,
    alt_factor: F64,
    alt_from: NDArray[np.int64] | None = None,
) -> F64:
    """Factor per service ``[V, T]``: 1 while provided; while withheld, the withheld
    factor, or the alternative's once it is in service and not itself cut.

    The switch-over to a contracted alternative starts on the first day the service is
    withheld on or after the day the contract exists (``alt_from``, default 0) and takes
    ``alt_delay`` days; from then on the contract stays in force for the rest of the
    horizon, so the alternative serves at once whenever the service is withheld again,
    and a switch-over under way carries on through a resumption. Lengthening a withholding
    therefore never moves the alternative's start (and never raises capability); only a
    withholding that begins earlier starts the switch-over earlier.
    """
    n = cut.shape[-1]
    t = np.arange(n)
    eligible = cut
    if alt_from is not None and alt_from.size and (alt_from > 0).any():
        eligible = cut & (t[None, :] >= alt_from[:, None])
    first = np.where(eligible.any(axis=-1), eligible.argmax(axis=-1), n).astype(np.float64)
    in_service = t[None, :] >= (first + alt_delay)[:, None]
    switched = has_alt[:, None] & ~alt_cut & in_service
    held = np.where(switched, np.maximum(alt_factor, withheld)[:, None], withheld[:, None])
    return np.asarray(np.where(cut, held, 1.0), dtype=np.float64)
