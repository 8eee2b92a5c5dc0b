"""Reductions of rows into groups along axis 1 (parts into fleets, per replication).

Rows are usually sorted by group (a plan's parts are compiled fleet by fleet), so each
group is one contiguous block reduced at once; unsorted groups are sorted first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["group_add", "group_max", "group_mul"]


def _reduce(ufunc: np.ufunc, out: NDArray[Any], groups: NDArray[np.int64], values: Any) -> None:
    if not len(groups):
        return
    values = np.asarray(values)
    if np.any(groups[1:] < groups[:-1]):
        order = np.argsort(groups, kind="stable")
        groups, values = groups[order], values[:, order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ends = np.r_[starts[1:], len(groups)]
    # one contiguous reduce per group: much faster than reduceat along a middle axis
    for s, e in zip(starts, ends, strict=True):
        g = groups[s]
        out[:, g] = ufunc(out[:, g], ufunc.reduce(values[:, s:e], axis=1))


def group_add(out: NDArray[Any], groups: NDArray[np.int64], values: Any) -> None:
    """``out[:, groups[i]] += values[:, i]``."""
    _reduce(np.add, out, groups, values)


def group_mul(out: NDArray[Any], groups: NDArray[np.int64], values: Any) -> None:
    """``out[:, groups[i]] *= values[:, i]``."""
    _reduce(np.multiply, out, groups, values)


def group_max(out: NDArray[Any], groups: NDArray[np.int64], values: Any) -> None:
    """``out[:, groups[i]] = max(out[:, groups[i]], values[:, i])``."""
    _reduce(np.maximum, out, groups, values)
