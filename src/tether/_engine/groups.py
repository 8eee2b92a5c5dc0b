"""Scatter reductions of rows into groups along axis 1 (parts into fleets, per replication)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["group_add", "group_max", "group_mul"]


def _along(ufunc: np.ufunc, out: NDArray[Any], groups: NDArray[np.int64], values: Any) -> None:
    # moveaxis gives views, so the unbuffered ufunc.at writes into ``out``.
    ufunc.at(np.moveaxis(out, 1, 0), groups, np.moveaxis(np.asarray(values), 1, 0))


def group_add(out: NDArray[Any], groups: NDArray[np.int64], values: Any) -> None:
    """``out[:, groups[i]] += values[:, i]``."""
    _along(np.add, out, groups, values)


def group_mul(out: NDArray[Any], groups: NDArray[np.int64], values: Any) -> None:
    """``out[:, groups[i]] *= values[:, i]``."""
    _along(np.multiply, out, groups, values)


def group_max(out: NDArray[Any], groups: NDArray[np.int64], values: Any) -> None:
    """``out[:, groups[i]] = max(out[:, groups[i]], values[:, i])``."""
    _along(np.maximum, out, groups, values)
