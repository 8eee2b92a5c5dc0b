"""Random cutoff lengths in the analytic engine: cut masks per length node, with weights.

Every output of the analytic engine on a day (availability, factors, capability) is an
expectation given the cut masks, so its expectation over random lengths is the average of
its values under each length, weighted by the length's probability. A cutoff's length
``d`` (whole days) matters only through the days ``start .. start + d - 1`` it covers
within the horizon, so lengths that reach past the horizon are one case. When a cutoff
has at most :data:`MAX_NODES` such distinct cases the average is exact; otherwise a few
lengths are run and the others interpolated between them (:func:`length_nodes`), with
weights that change by day.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from tether._engine.arrays import Plan

__all__ = ["MAX_NODES", "Cases", "cases", "length_nodes", "length_pmf"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B8 = NDArray[np.bool_]

#: Most cut masks (length nodes, over all random cutoffs of a batch member) per member.
MAX_NODES = 32


def length_pmf(dist: int, a: float, b: float, cap: int) -> tuple[I64, F64]:
    """Whole-day lengths ``1..cap`` and their probabilities, lengths of ``cap`` or more
    counted as ``cap`` (they all cut to the end of the horizon).

    ``dist`` 1: uniform on whole days ``a..b``; 2: lognormal of median ``a`` and log-sd
    ``b``, rounded to whole days and at least 1 (as the Monte Carlo engine draws them).
    """
    d = np.arange(1, cap + 1, dtype=np.int64)
    if dist == 1:
        lo, hi = int(a), int(b)
        p = ((d >= lo) & (d <= hi)).astype(np.float64) / (hi - lo + 1)
        p[-1] += max(0, hi - max(lo, cap + 1) + 1) / (hi - lo + 1)
    else:
        upper = special.ndtr((np.log(d + 0.5) - math.log(a)) / b)
        lower = np.where(d > 1, special.ndtr((np.log(d - 0.5) - math.log(a)) / b), 0.0)
        p = upper - lower
        p[-1] = 1.0 - lower[-1]  # cap or longer
    return d, p


def length_nodes(d: I64, p: F64, k: int, start: int, T: int) -> tuple[I64, F64]:
    """At most ``k`` lengths and their weights per day ``[k', T]`` standing for the
    distribution ``(d, p)`` of a cutoff that starts on day ``start``.

    Every output on day ``t`` depends on the cut masks of days ``0..t`` only, so all
    lengths that have not ended by ``t`` (``start + d > t``) give the same value there: the
    value of any node as long or longer. Their probability goes to the shortest node at
    least as long. A length that has ended by ``t`` is interpolated linearly between the
    nodes around it, when both have ended; else it takes the node below it. Nodes: every
    length when there are at most ``k``, which makes the average exact; else the shortest
    length of each of ``k - 1`` bins of about equal probability, and the longest length.
    """
    live = p > 0
    d, p = d[live], p[live]
    if len(d) <= k:
        nodes = d
    else:
        bins = k - 1
        mid = (np.cumsum(p) - 0.5 * p) / p.sum()
        which = np.minimum((mid * bins).astype(np.int64), bins - 1)
        first = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
        nodes = np.unique(np.r_[d[first], d[-1]])
    t = np.arange(T)
    ended_by = start + d  # a length has ended by day t when start + d <= t
    weights = np.zeros((len(nodes), T))
    up = np.searchsorted(nodes, d, side="left")  # shortest node at least as long
    lo = np.searchsorted(nodes, d, side="right") - 1  # longest node no longer
    for i in range(len(d)):
        running = t < ended_by[i]
        weights[up[i]] += p[i] * running
        j = lo[i]
        if nodes[j] == d[i] or j + 1 >= len(nodes):
            weights[j] += p[i] * ~running
            continue
        share = (d[i] - nodes[j]) / (nodes[j + 1] - nodes[j])
        both = ~running & (t >= start + nodes[j + 1])
        weights[j] += p[i] * (~running & ~both) + p[i] * (1.0 - share) * both
        weights[j + 1] += p[i] * share * both
    return nodes, weights


@dataclass(frozen=True, eq=False)
class Cases:
    """The cut masks a batch member is averaged over, and how their parts outputs come
    from the few masks whose parts are computed (the nodes).

    ``masks(cases)`` gives the masks ``[l, S, K, T]`` of a slice of the ``count`` cases,
    ``weights [L, T]`` their weights (each day's weights sum to 1): the
    member's expected output on day ``t`` is ``sum_l weights[l, t] * out_l(t)``. The
    factors (software, munitions, services) are computed under every mask; availability
    and backorders only under ``nodes [N, S, K, T]``, and for case ``l`` on day ``t``:
    ``node_up[l]``'s value while ``t < ends[l]``; after, at the same time since the
    cutoff's end, ``(1 - a) v_lo(t - back) + a v_hi(t + ahead)`` with ``a = share[l]`` where
    ``t + ahead`` is within the horizon and ``hi >= 0``, else ``v_lo(t - back)``.
    ``by_length``: the cases are the lengths of one cutoff, shortest first.
    """

    masks: Callable[[slice], B8]
    count: int
    weights: F64
    nodes: B8
    node_up: I64
    ends: I64
    lo: I64
    hi: I64
    back: I64
    ahead: I64
    share: F64
    by_length: bool = False  # the lengths of one cutoff, ``ends`` ascending

    def parts(self, values: F64, cases: slice) -> F64:
        """Per-case values ``[l, F, T]`` from the nodes' values ``[N, F, T]``."""
        T = values.shape[-1]
        t = np.arange(T)
        idx = range(*cases.indices(self.count))
        out = np.empty((len(idx), *values.shape[1:]))
        for i, c in enumerate(idx):
            out[i] = values[self.node_up[c]]
            if self.ends[c] < T:
                e = int(self.ends[c])
                back, ahead = int(self.back[c]), int(self.ahead[c])
                ended = values[self.lo[c], :, e - back : T - back]  # copied below
                if self.hi[c] >= 0:
                    a = np.where(t[e:] + ahead < T, self.share[c], 0.0)
                    later = np.zeros_like(ended)
                    n = max(0, T - ahead - e)
                    later[:, :n] = values[self.hi[c], :, e + ahead : e + ahead + n]
                    ended = (1.0 - a) * ended + a * later
                out[i, :, e:] = ended
        return out


def _direct(masks: B8, weights: F64) -> Cases:
    """Cases whose parts are computed under their own masks."""
    n = len(masks)
    idx = np.arange(n)
    never = np.full(n, weights.shape[1], dtype=np.int64)
    zero = np.zeros(n, dtype=np.int64)

    def of(cases: slice) -> B8:
        return masks[cases]

    return Cases(of, n, weights, masks, idx, never, idx, zero - 1, zero, zero, np.zeros(n))


def cases(plan: Plan, b: int, max_nodes: int = MAX_NODES) -> Cases:
    """The cases of batch member ``b``.

    No random length: the plan's mask. One cutoff of random length: every length it can
    take within the horizon, its parts interpolated from at most ``max_nodes`` node
    lengths (:func:`length_nodes`; exact when there are no more lengths than nodes).
    Several: one mask per combination of their length nodes, at most ``max_nodes`` in
    all, weighted day by day as in :func:`length_nodes`.
    """
    T = plan.horizon + 1
    mine = np.flatnonzero(plan.co_batch == b)
    random = [int(c) for c in mine if plan.co_dist[c] > 0 and plan.co_start[c] < T]
    if not random:
        if (plan.co_dist[mine] > 0).any():  # random cutoffs that start after the horizon
            return _direct(_masks(plan, mine, {}, T)[None], np.ones((1, T)))
        return _direct(plan.cut[b][None], np.ones((1, T)))
    per = max(2, int(max_nodes ** (1.0 / len(random)) + 1e-9))
    options = []
    for c in random:
        start = int(plan.co_start[c])
        d, p = length_pmf(int(plan.co_dist[c]), plan.co_a[c], plan.co_b[c], T - start)
        live = p > 0
        d, p = d[live], p[live]
        nodes, weights = length_nodes(d, p, per, start, T)
        options.append((start, d, p, nodes, weights))
    if len(random) > 1:
        combos = list(itertools.product(*[range(len(o[3])) for o in options]))
        masks = np.stack(
            [
                _masks(
                    plan,
                    mine,
                    {c: int(o[3][j]) for c, o, j in zip(random, options, k, strict=True)},
                    T,
                )
                for k in combos
            ]
        )
        w = np.stack(
            [np.prod([o[4][j] for o, j in zip(options, k, strict=True)], axis=0) for k in combos]
        )
        return _direct(masks, w)
    (c,) = random
    start, d, p, nodes, _ = options[0]
    node_masks = np.stack([_masks(plan, mine, {c: int(n)}, T) for n in nodes])
    lo = np.searchsorted(nodes, d, side="right") - 1
    hi = np.where((nodes[lo] == d) | (lo + 1 >= len(nodes)), -1, lo + 1)
    back = d - nodes[lo]
    ahead = np.where(hi >= 0, nodes[np.minimum(lo + 1, len(nodes) - 1)] - d, 0)
    share = np.where(hi >= 0, back / np.maximum(back + ahead, 1), 0.0)

    base = _masks(plan, mine, {}, T)  # every cutoff but c: the mask of case d adds c's days
    t = np.arange(T)

    def of(cases: slice) -> B8:
        days = (t[None, :] >= start) & (t[None, :] < start + d[cases][:, None])
        out: B8 = base[None] | (plan.co_stop[c][None, :, :, None] & days[:, None, None, :])
        return out

    return Cases(
        masks=of,
        count=len(d),
        weights=np.broadcast_to(p[:, None], (len(d), T)),
        nodes=node_masks,
        node_up=np.searchsorted(nodes, d, side="left"),
        ends=np.minimum(start + d, T),
        lo=lo,
        hi=hi,
        back=back,
        ahead=ahead,
        share=share,
        by_length=True,
    )


def _masks(plan: Plan, mine: I64, lengths: dict[int, int], T: int) -> B8:
    """The cut mask ``[S, K, T]`` of cutoffs ``mine``, random ones at ``lengths``."""
    t = np.arange(T)
    cut = np.zeros(plan.cut.shape[1:], dtype=np.bool_)
    for c in mine:
        start = int(plan.co_start[c])
        if plan.co_dist[c] == 0:
            end = T if plan.co_end[c] < 0 else min(int(plan.co_end[c]), T)
        elif c in lengths:
            end = start + lengths[c]
        else:
            continue  # a random length that starts after the horizon
        days = (t >= start) & (t < end)
        cut |= plan.co_stop[c][:, :, None] & days[None, None, :]
    return cut
