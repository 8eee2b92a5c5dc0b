"""Who gets a shared line's output: the allocation rules, and each buyer's share day by day.

:func:`allocate` splits a product's output among its buyers by the product's rule
(``pro_rata``, ``priority`` or ``shares``); every rule is a water-filling, so no buyer
gets more than it asks, all the output is handed out while demand exceeds it, and no
buyer's share falls when the output rises.

:func:`fill_rates` is the network's steady output under a set of stopped lines: each
product's gross requirement ``T`` (its own demand plus what the products using it need,
through the bills of materials) is met at the fill rate
``f_p = min(1, capacity_p / T_p, min over its components f_q)``, the components being
shared among their users in proportion to need. Fill rates only fall when a line stops,
anywhere upstream. Stock is not drawn here (the time-to-survive programme uses it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["allocate", "fill_rates", "requirements", "topological"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def _water_fill(supply: F64, demand: F64, weight: F64, alloc: F64) -> F64:
    """Share ``supply`` (per row) by ``weight`` with each column capped at ``demand``;
    adds to ``alloc`` in place and returns what is left per row."""
    remaining = supply.copy()
    active = np.broadcast_to((weight > 0) & (demand > 0), alloc.shape).copy()
    for _ in range(demand.shape[0] + 1):
        w = np.where(active, weight, 0.0)
        total = w.sum(axis=1)
        if not np.any((total > 0) & (remaining > 0)):
            break
        share = w / np.where(total > 0, total, 1.0)[:, None]
        give = remaining[:, None] * share
        room = np.maximum(demand - alloc, 0.0)
        capped = active & (give >= room)
        rows = capped.any(axis=1)
        # rows with no cap take their whole share and are done
        done = ~rows
        alloc[done] += give[done]
        remaining[done] = 0.0
        active[done] = False
        # rows with caps fill the capped buyers and go round again with the rest
        fill = np.where(capped, room, 0.0)
        alloc += fill
        remaining = np.maximum(remaining - fill.sum(axis=1), 0.0)
        active &= ~capped
    return remaining


def allocate(
    output: F64 | float,
    demand: F64,
    rule: str = "pro_rata",
    order: Sequence[int] = (),
    weights: F64 | None = None,
) -> F64:
    """Split ``output`` (one number, or one per day) among buyers with ``demand``.

    Returns an array (days, buyers) (or (buyers,) for one number). ``order`` lists buyer
    indices served first under ``priority``; ``weights`` are the fixed shares under
    ``shares``. Buyers the rule does not name share what is left pro rata to demand.

    >>> allocate(90.0, np.array([100.0, 50.0]))
    array([60., 30.])
    >>> allocate(90.0, np.array([100.0, 50.0]), "priority", order=[1])
    array([40., 50.])
    >>> allocate(90.0, np.array([100.0, 50.0]), "shares", weights=np.array([1.0, 3.0]))
    array([40., 50.])
    """
    scalar = np.ndim(output) == 0
    supply = np.atleast_1d(np.asarray(output, dtype=np.float64)).copy()
    demand = np.asarray(demand, dtype=np.float64)
    alloc = np.zeros((supply.shape[0], demand.shape[0]))
    named = np.zeros(demand.shape[0], dtype=bool)
    if rule == "priority":
        for b in order:
            take = np.minimum(supply, demand[b])
            alloc[:, b] += take
            supply -= take
            named[b] = True
    elif rule == "shares" and weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        supply = _water_fill(supply, demand, w, alloc)
        named = w > 0
    rest = np.where(named, 0.0, demand)
    _water_fill(supply, demand, rest, alloc)
    return alloc[0] if scalar else alloc


def topological(bom: Sequence[Sequence[int]]) -> list[int]:
    """Products with every component before the products using it (the BOM is acyclic:
    the checks rejected cycles). ``bom[p]`` lists the components of ``p``."""
    order: list[int] = []
    state = [0] * len(bom)
    for root in range(len(bom)):
        if state[root]:
            continue
        stack = [(root, 0)]
        state[root] = 1
        while stack:
            node, i = stack.pop()
            if i < len(bom[node]):
                stack.append((node, i + 1))
                nxt = bom[node][i]
                if not state[nxt]:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                order.append(node)
    return order


def requirements(demand: F64, bom: Sequence[Sequence[tuple[int, float]]], order: list[int]) -> F64:
    """Gross requirement per day of each product: its demand plus its users' needs."""
    need = np.asarray(demand, dtype=np.float64).copy()
    for q in reversed(order):  # users before their components
        for p, qty in bom[q]:
            need[p] += qty * need[q]
    return need


def fill_rates(
    capacity: F64, need: F64, bom: Sequence[Sequence[tuple[int, float]]], order: list[int]
) -> F64:
    """Fill rate per product (columns) for each row of ``capacity`` (days, products),
    in units per day: ``min(1, capacity / need, fill of each component)``."""
    capacity = np.atleast_2d(capacity)
    fill = np.zeros_like(capacity)
    for p in order:  # components first
        if need[p] > 0:
            f = np.minimum(1.0, capacity[:, p] / need[p])
        else:
            f = np.where(capacity[:, p] > 0, 1.0, 0.0)
        for q, _ in bom[p]:
            f = np.minimum(f, fill[:, q])
        fill[:, p] = f
    return fill
