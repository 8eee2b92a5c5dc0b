"""The time-to-survive and time-to-recover linear programmes of a production network.

A network compiles to arrays (:class:`Compiled`): ``L`` lines (a site making a product at
a capacity per day), ``P`` products with a bill of materials ``B`` (``B[q, p]`` units of
``p`` in one unit of ``q``), demand per day ``d`` and value ``v`` per unit, and stock
``stock[s, p]`` at each site. Products are pooled across sites: a component made or held
anywhere can go into any site's product. A disruption stops a set of lines (their
capacity goes to zero) and a set of sites (their stock is lost).

Time-to-recover (TTR) LP, for a recovery time ``tau`` (Simchi-Levi et al., Interfaces
45(5), 2015, in its multi-tier form): production ``x_l`` on each line and unmet demand
``u_p`` of each product over ``tau`` days::

    minimise   sum_p v_p u_p
    subject to sum_{l makes p} x_l - sum_q B[q, p] sum_{l makes q} x_l + u_p >= d_p tau - I_p
               0 <= x_l <= cap_l(tau)  (0 if the line is stopped),  0 <= u_p <= d_p tau

Time-to-survive (TTS) LP: the longest ``t`` (up to the horizon) for which demand is met
in full::

    maximise   t
    subject to sum_{l makes p} x_l - sum_q B[q, p] sum_{l makes q} x_l - d_p t >= -I_p
               x_l - c_l t <= 0,  x_l >= 0 (0 if the line is stopped),  0 <= t <= H

Each programme is built once as a sparse matrix and handed to HiGHS; each disruption
then only changes column and row bounds, is solved from the previous basis, and the
bounds are put back (:class:`BatchedLP`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tether._errors import ArgumentError, SolverError

__all__ = ["BatchedLP", "Compiled", "Disruption", "new_highs", "solve_ttr", "solve_tts"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Compiled:
    """A production network as arrays (see the module docstring)."""

    products: tuple[str, ...]
    sites: tuple[str, ...]
    line_site: I64  # (L,)
    line_product: I64  # (L,)
    rate: F64  # (L,) capacity per day on the analysis day
    bom: sp.csr_matrix  # (P, P): bom[q, p] units of p per unit of q
    demand: F64  # (P,) units per day
    value: F64  # (P,) value per unit
    stock: sp.csr_matrix  # (S, P) units held at each site
    cumulative: Any = None  # callable tau -> (L,) capacity over [day, day + tau]

    @property
    def stock_total(self) -> F64:
        return np.asarray(self.stock.sum(axis=0), dtype=np.float64).ravel()

    def capacity_over(self, tau: float) -> F64:
        """Each line's capacity summed over ``tau`` days (with its ramp, if known)."""
        if self.cumulative is not None:
            out: F64 = self.cumulative(tau)
            return out
        return self.rate * tau

    def balance(self) -> sp.csc_matrix:
        """Coefficients of the line columns in the product rows: made minus consumed."""
        n_l = len(self.line_product)
        made = sp.csr_matrix(
            (np.ones(n_l), (self.line_product, np.arange(n_l))),
            shape=(len(self.products), n_l),
        )
        out: sp.csc_matrix = sp.csc_matrix(made - self.bom.T.tocsr() @ made)
        return out


@dataclass(frozen=True)
class Disruption:
    """What one disrupted node stops: lines (capacity to zero) and sites (stock lost)."""

    lines: I64
    sites: I64


def _highs() -> Any:
    try:
        import highspy
    except ImportError:  # pragma: no cover - the opt extra is a dev dependency
        raise ArgumentError(
            "the industry analysis needs highspy (pip install 'tether[opt]')"
        ) from None
    return highspy


_BANNER_DONE: list[bool] = []


def new_highs() -> Any:
    """A silent HiGHS instance. The first one in a process prints a banner from C on
    standard output (it would break ``--json``): that one is made with file descriptor 1
    pointed at the null device."""
    highspy = _highs()
    if _BANNER_DONE:
        h = highspy.Highs()
    else:
        _BANNER_DONE.append(True)
        h = _quietly(highspy.Highs)
    h.setOptionValue("output_flag", False)
    return h


def _quietly(make: Any) -> Any:
    import contextlib
    import ctypes
    import os
    import sys

    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # pragma: no cover - no descriptor 1 to guard
        return make()
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        out = make()
        with contextlib.suppress(OSError, AttributeError, TypeError):
            ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    return out


class BatchedLP:
    """One HiGHS model, re-solved per disruption by changing bounds only.

    ``kind`` is ``"ttr"`` (minimise value lost over ``tau`` days) or ``"tts"`` (maximise
    the days demand is met, up to ``horizon``).
    """

    def __init__(
        self,
        net: Compiled,
        kind: str,
        tau: float = 0.0,
        horizon: float = 0.0,
        demand: F64 | None = None,
    ) -> None:
        highspy = _highs()
        self.highspy = highspy
        self.net = net
        self.kind = kind
        n_p, n_l = len(net.products), len(net.line_product)
        balance = net.balance()
        inf = highspy.kHighsInf
        stock = net.stock_total
        lp = highspy.HighsLp()
        if kind == "ttr":
            self.wanted = np.flatnonzero(net.demand > 0)
            n_u = len(self.wanted)
            short = sp.csc_matrix((np.ones(n_u), (self.wanted, np.arange(n_u))), shape=(n_p, n_u))
            a = sp.hstack([balance, short], format="csc")
            self.col_upper = np.concatenate([net.capacity_over(tau), net.demand[self.wanted] * tau])
            cost = np.concatenate([np.zeros(n_l), net.value[self.wanted]])
            self.need = net.demand * tau
            row_upper = np.full(n_p, inf)
            lp.sense_ = highspy.ObjSense.kMinimize
        elif kind == "tts":
            cap = sp.hstack(
                [sp.identity(n_l, format="csc"), sp.csc_matrix(-net.rate.reshape(-1, 1))]
            )
            rate = net.demand if demand is None else demand
            top = sp.hstack([balance, sp.csc_matrix(-rate.reshape(-1, 1))])
            a = sp.vstack([top, cap], format="csc")
            self.col_upper = np.concatenate([np.full(n_l, inf), [float(horizon)]])
            cost = np.concatenate([np.zeros(n_l), [1.0]])
            self.need = np.zeros(n_p)
            row_upper = np.concatenate([np.full(n_p, inf), np.zeros(n_l)])
            lp.sense_ = highspy.ObjSense.kMaximize
        else:
            raise ArgumentError(f"unknown programme '{kind}' (ttr or tts)")
        self.n_rows = a.shape[0]
        self.row_lower = np.concatenate([self.need - stock, np.full(self.n_rows - n_p, -inf)])
        lp.num_col_ = a.shape[1]
        lp.num_row_ = self.n_rows
        lp.col_cost_ = cost
        lp.col_lower_ = np.zeros(a.shape[1])
        lp.col_upper_ = self.col_upper
        lp.row_lower_ = self.row_lower
        lp.row_upper_ = row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(np.float64)
        h = new_highs()
        h.passModel(lp)
        self.h = h
        self.row_upper = row_upper
        self.n_lines = n_l
        self.n_products = n_p
        stock_csr = sp.csr_matrix(net.stock)
        self.stock_ptr = stock_csr.indptr.astype(np.int64)
        self.stock_idx = stock_csr.indices.astype(np.int64)
        self.stock_val = stock_csr.data.astype(np.float64)

    def _restore(self, lines: npt.NDArray[np.int32], rows: npt.NDArray[np.int32]) -> None:
        h = self.h
        if len(lines):
            h.changeColsBounds(len(lines), lines, np.zeros(len(lines)), self.col_upper[lines])
        if len(rows):
            h.changeRowsBounds(len(rows), rows, self.row_lower[rows], self.row_upper[rows])

    def _lost(self, sites: I64) -> F64:
        """Stock held at ``sites``, per product."""
        ptr, idx, val = self.stock_ptr, self.stock_idx, self.stock_val
        parts = [np.arange(ptr[s], ptr[s + 1]) for s in sites]
        at = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        out: F64 = np.bincount(idx[at], weights=val[at], minlength=self.n_products).astype(
            np.float64
        )
        return out

    def solve(self, cut: Disruption | None = None, values: bool = True) -> tuple[float, F64]:
        """Objective and (if ``values``) column values with ``cut`` applied; the bounds are
        restored after."""
        h = self.h
        lines = np.zeros(0, dtype=np.int32) if cut is None else cut.lines.astype(np.int32)
        rows = np.zeros(0, dtype=np.int32)
        if cut is not None and len(cut.sites):
            lost = self._lost(cut.sites)
            rows = np.flatnonzero(lost > 0).astype(np.int32)
            if len(rows):
                lower = self.row_lower[rows] + lost[rows]
                h.changeRowsBounds(len(rows), rows, lower, self.row_upper[rows])
        if len(lines):
            zero = np.zeros(len(lines))
            h.changeColsBounds(len(lines), lines, zero, zero)
        h.run()
        status = h.getModelStatus()
        kinds = self.highspy.HighsModelStatus
        if status == kinds.kModelEmpty:  # nothing made, nothing wanted: nothing lost
            self._restore(lines, rows)
            return 0.0, np.zeros(h.getNumCol())
        ok = status == kinds.kOptimal
        objective = float(h.getObjectiveValue()) if ok else 0.0
        cols = (
            np.asarray(h.getSolution().col_value, dtype=np.float64)
            if ok and values
            else np.zeros(0)
        )
        self._restore(lines, rows)
        if not ok:
            raise SolverError(
                f"the {self.kind.upper()} programme found no optimum", h.modelStatusToString(status)
            )
        return objective, cols


def solve_ttr(net: Compiled, cuts: Sequence[Disruption | None], tau: float) -> tuple[F64, F64]:
    """Value and units lost over ``tau`` days for each cut (``None``: no disruption)."""
    lp = BatchedLP(net, "ttr", tau=tau)
    value = np.empty(len(cuts))
    units = np.empty(len(cuts))
    for i, cut in enumerate(cuts):
        value[i], cols = lp.solve(cut)
        units[i] = float(cols[lp.n_lines :].sum())
    return value, units


def solve_tts(
    net: Compiled, cuts: Sequence[Disruption | None], horizon: float, demand: F64 | None = None
) -> F64:
    """Time-to-survive in days (at most ``horizon``) for each cut, meeting ``demand`` per
    day (default: the network's)."""
    lp = BatchedLP(net, "tts", horizon=horizon, demand=demand)
    return np.array([lp.solve(cut)[0] for cut in cuts], dtype=np.float64)
