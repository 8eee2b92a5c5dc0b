"""Monte Carlo: the day-stepped thinning solved a window of days at a time (pure numpy).

On the 'available' basis a candidate failure of day ``t`` is kept when its uniform is
below the share of its fleet operating at ``t``, and that share depends on the failures
kept before ``t``. Stepping day by day costs a dozen array operations a day whatever the
size of the force, which dominates small forces over long burn-ins. Here the days of a
window are solved together by fixed-point iteration (waveform relaxation): guess which
candidates are kept (those the fleet's share at the window's start would keep), compute
the items out on every day of the window from that guess (histograms and a running sum),
the shares operating on every day from the items out (one call over the rows with
backorders), and which candidates those shares keep; then, until no decision changes,
move the changed candidates' items, recompute the shares of the rows they touch and the
decisions on those rows. Each window of at most :data:`RELAX_DAYS` days starts from the
previous one's final state.

The result is exactly the day-by-day one, draw for draw: day ``t``'s decisions depend
only on earlier days' decisions, so after ``k`` iterations the first ``k`` days of the
window are settled, and a kept set that reproduces itself is the unique solution of the
day-by-day recursion (tests/test_mc_stepped.py checks equality). At most ``W + 1``
iterations are needed for a window of ``W`` days; in practice a few, since a changed
decision moves a share by about one unit in ``N`` and flips few others.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tether._engine.mc_operating import Operating

__all__ = ["RELAX_CELLS", "RELAX_WIDTH", "relax_days"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Replication x part-row x day cells of one window (about 64 bytes each while solved).
RELAX_CELLS = 400_000

#: Most replication x part-row cells a day for which days are solved by windows: beyond,
#: a day's array operations cost more than their call overhead and stepping day by day
#: is faster (measured crossover on the benchmark force and the examples).
RELAX_WIDTH = 1_000

#: Days of the first window: the first guess (each fleet's share at the window's start,
#: held) is good over a few weeks, and the iteration then settles in a few steps. Each
#: next window is twice as long when the last settled in at most 1 step, half as long
#: (at least 8 days) when it took more than 4.
RELAX_DAYS = 64


def relax_days(
    block: tuple[int, int],
    d: I64,
    cell: I64,
    exit_at: I64,
    keep: F64,
    look: I64,
    current: NDArray[np.int32],
    exits: NDArray[np.int32],
    operating: Operating,
    shares: F64,
    held: F64,
    burn: int,
    stock: NDArray[np.int32],
) -> None:
    """Solve stepped days ``block`` a window at a time, updating the items out
    ``current [R, P]`` (before the block's first day) and the return histogram
    ``exits [instant, R, P]`` in place, as the day-by-day loop does.

    Candidates (sorted by day ``d``): ``cell = rep * P + row``, ``exit_at`` their flat
    index in ``exits``, ``keep`` their uniforms and ``look = rep * K + fleet``.
    ``operating(t, out)`` must not depend on ``t`` and take any number of rows ``[X, P]``,
    and give a share of 1 and no backorders where no row has more items out than its
    ``stock [P]``.
    The shares operating and backorders of the days from day 0 on go to ``shares`` and
    ``held`` ``[T, R, K]`` (stepped day ``i`` is day ``i - burn``)."""
    reps, P = current.shape
    RP = reps * P
    most = max(1, RELAX_CELLS // max(RP, 1))
    width = max(1, min(RELAX_DAYS, most))
    K = shares.shape[2]
    flat_exits = exits.reshape(-1)
    w0 = block[0]
    while w0 < block[1]:
        w1 = min(w0 + width, block[1])
        W = w1 - w0
        a, b = np.searchsorted(d, [w0, w1])
        dw, cw, ew = d[a:b] - w0, cell[a:b], exit_at[a:b]
        rep = cw // P
        # the window's items out are laid out [P, R, W] (days last: running sums along
        # contiguous rows, and [P, X] with X = rep * W + day for the shares, no transposes)
        line = (cw % P) * (reps * W) + rep * W  # each candidate's (row, replication) line
        ret = ew // RP - w0  # relative instant of return (W or more: after the window)
        at = (rep * W + dw) * K + look[a:b] % K
        uniform = keep[a:b]
        # first guess: each fleet's share at the window's first instant, held throughout
        guess, _ = operating(0, current - exits[w0])
        kept = uniform < np.take(guess.reshape(-1), look[a:b])
        arrive = kept & (dw + 1 < W)
        delta = np.bincount(line[arrive] + dw[arrive] + 1, minlength=RP * W)
        back = kept & (ret < W)
        delta -= np.bincount(line[back] + ret[back], minlength=RP * W)
        delta = delta.reshape(P, reps, W)
        delta -= np.ascontiguousarray(exits[w0:w1].transpose(2, 1, 0))  # faster copied
        delta[:, :, 0] += current.T
        out = np.cumsum(delta, axis=2, dtype=np.int32).reshape(P, reps * W)
        share, bo = _shares(out, stock, operating, K)
        now = uniform < np.take(share.reshape(-1), at)
        steps = _settle(now, kept, out, share, bo, operating, dw, line, ret, at, uniform, W)
        # the next window: longer while the guess settles in few steps, shorter otherwise
        width = min(most, 2 * width) if steps <= 1 else max(8, width // 2) if steps > 4 else width
        first = max(burn - w0, 0)  # the window's first day from day 0 on
        if first < W:
            t0 = w0 + first - burn
            # [R, W, K] to [W, R, K]
            shares[t0 : t0 + W - first] = share.reshape(reps, W, K)[:, first:].transpose(1, 0, 2)
            held[t0 : t0 + W - first] = bo.reshape(reps, W, K)[:, first:].transpose(1, 0, 2)
        np.add.at(flat_exits, ew[kept], np.int32(1))
        current += np.bincount(cw[kept], minlength=RP).reshape(reps, P).astype(np.int32)
        current -= exits[w0:w1].sum(axis=0, dtype=np.int32)
        w0 = w1


def _shares(
    out: NDArray[np.int32],
    stock: NDArray[np.int32],
    operating: Operating,
    K: int,
) -> tuple[F64, F64]:
    """``operating(0, out.T)`` for items out ``out [P, X]``, computed only on the rows
    ``X`` where some part has backorders (a share of 1 and none elsewhere): most (day,
    replication) rows have none."""
    over = out > stock[:, None]
    rows = np.flatnonzero(np.logical_or.reduce(over, axis=0))
    if len(rows) == out.shape[1]:
        return operating(0, out.T)
    share, bo = np.ones((out.shape[1], K)), np.zeros((out.shape[1], K))
    if len(rows):
        share[rows], bo[rows] = operating(0, np.take(out, rows, axis=1).T)
    return share, bo


#: A flipped decision's items are moved one (day, replication) row at a time when the
#: rows they cross are fewer than one in this many of the window's cells; beyond, by a
#: difference array and a running sum over the whole window.
SPARSE_SHARE = 8


def _move(
    out: NDArray[np.int32], first: I64, span: I64, line: I64, sign: NDArray[np.int32]
) -> tuple[I64, NDArray[np.bool_]]:
    """Add ``sign`` to the items out ``out [P, X]`` (flat ``[P, R, W]``) of the lines
    ``line`` (``row * R * W + rep * W``) on days ``first .. first + span - 1`` of the
    window; returns the rows ``X`` crossed, and the same as a mask."""
    total = int(span.sum())
    day = np.repeat(first - np.cumsum(span) + span, span) + np.arange(total)
    at = np.repeat(line, span) + day
    np.add.at(out.reshape(-1), at, np.repeat(sign, span))
    touched = np.zeros(out.shape[1], dtype=np.bool_)
    touched[at % out.shape[1]] = True
    return np.flatnonzero(touched), touched


def _settle(
    now: NDArray[np.bool_],
    kept: NDArray[np.bool_],
    out: NDArray[np.int32],
    share: F64,
    bo: F64,
    operating: Operating,
    dw: I64,
    line: I64,
    ret: I64,
    at: I64,
    uniform: F64,
    W: int,
) -> int:
    """Iterate to the fixed point, from the decisions ``now`` that the items out ``out
    [P, X]`` (flat ``[P, R, W]``) of the candidates ``kept`` give (with their shares and
    backorders ``[X, K]``, ``X = rep * W + day``; all updated in place). Each iteration
    moves only the candidates whose decision changed (their items out, from their arrival
    to their return or the window's end: day by day for a few, else by a difference array
    and a running sum), recomputes the shares of the (replication, day) rows that moved,
    then the decisions of the candidates on those rows: the plain iteration (every
    decision recomputed from the last guess), done incrementally. Returns the number of
    iterations."""
    P, X = out.shape
    diff = np.zeros(P * (X + X // W), dtype=np.int32)  # [P, R, W + 1]
    flat_share = share.reshape(-1)
    row_of = line % X + dw  # each candidate's (replication, day) row
    flips = np.flatnonzero(now != kept)
    steps = 0
    while len(flips):  # at most W + 1 times: each settles at least one more day
        steps += 1
        kept[flips] = now[flips]
        sign = np.where(now[flips], 1, -1).astype(np.int32)
        first, end = dw[flips] + 1, np.minimum(ret[flips], W)
        span = np.maximum(end - first, 0)
        if int(span.sum()) * SPARSE_SHARE <= P * X:
            # few flips: move their items day by day where they are out, and recompute
            # the rows they cross (a row whose moves cancel keeps its share: the same)
            rows, touched = _move(out, first, span, line[flips], sign)
        else:
            diff[:] = 0
            lines = line[flips] // W * (W + 1)  # the same line with W + 1 days
            np.add.at(diff, lines + first, sign)
            np.add.at(diff, lines + end, -sign)
            change = np.cumsum(diff.reshape(-1, W + 1), axis=1, dtype=np.int32)[:, :W]
            change = change.reshape(P, X)
            out += change
            touched = np.logical_or.reduce(change != 0, axis=0)
            rows = np.flatnonzero(touched)
        if not len(rows):
            return steps
        share[rows], bo[rows] = operating(0, np.take(out, rows, axis=1).T)
        again = np.flatnonzero(touched[row_of])
        now[again] = uniform[again] < np.take(flat_share, at[again])
        flips = again[now[again] != kept[again]]
    return steps
