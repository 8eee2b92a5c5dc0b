"""Evaluating only what changes gives the straightforward path's numbers (to 1e-12)."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from benchmarks.analytic import synthetic_force
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import tether
import tether._engine.analytic as analytic
import tether._engine.lengths as lengths
import tether._engine.poisson as poisson
import tether._engine.reuse as reuse
from tether._engine.arrays import Plan
from tether._engine.pipeline import clock
from tether._engine.reuse import _route_tables as route_tables
from tether._engine.reuse import changing_days
from tether._engine.varying import plain_rows
from tether._plan import compile_scenario

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.yaml"))


def both(plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = analytic.run_analytic(plan)
    monkeypatch.setattr(analytic, "REUSE", False)
    monkeypatch.setattr(poisson, "FAST", False)
    slow = analytic.run_analytic(plan)
    monkeypatch.setattr(analytic, "REUSE", True)
    monkeypatch.setattr(poisson, "FAST", True)
    for key in ("availability", "backorders", "capability"):
        a, b = getattr(fast, key), getattr(slow, key)
        assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=key)


def test_reuse_on_the_benchmark_force(monkeypatch: pytest.MonkeyPatch) -> None:
    _, plan = synthetic_force(400, 150)
    both(plan, monkeypatch)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_reuse_on_examples(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = tether.load(path)
    sc = next(s for s in doc.scenarios if all(c.duration_days is None for c in s.cutoffs))
    both(compile_scenario(doc, sc), monkeypatch)


def test_changing_days_of_a_stopped_route() -> None:
    """A route stopped on days 10..19: instants 0..10 are steady, and with a 30-day
    turnaround so is every instant from 50 on (clock reading 10 + 30 = 40 at day 50); a
    5-day one from 25 on; a row whose demand changes by day is evaluated on every day."""
    active = np.ones(101, dtype=np.bool_)
    active[10:20] = False
    clocks = [clock(np.ones(101, dtype=np.bool_)), clock(active)]
    cid = np.array([[0, 0, 1], [0, 1, 0], [0, 0, 1]])
    share = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    tau = np.array([[0.0, 0.0, 30.0], [0.0, 5.0, 0.0], [0.0, 0.0, 30.0]])
    flat = np.array([True, True, False])
    lo, hi = changing_days(clocks, cid, share, tau, flat, 101)
    assert list(lo) == [11, 11, 0]
    assert list(hi) == [50, 25, 101]


def test_reuse_on_a_force_that_changes_for_a_few_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows the changes leave alone take the constant path; the others the general one."""
    _, plan = synthetic_force(200, 120)
    changed = dataclasses.replace(
        plan,
        st_row=np.array([3, 17]),
        st_day=np.array([30, 0]),
        st_add=np.array([2, 1]),
        un_fleet=np.array([5]),
        un_day=np.array([60]),
        un_add=np.array([4.0]),
        divert=np.isin(np.arange(len(plan.part_labels)), [40, 41, 42]),
        route_capacity=np.where(
            (np.arange(len(plan.part_labels)) == 50)[:, None] & (plan.share > 0), 2.0, np.inf
        ),
    )
    assert plain_rows(changed).sum() < len(plan.part_labels)
    assert plain_rows(changed).sum() > len(plan.part_labels) // 2
    assert not plain_rows(changed)[[3, 17, 40, 50]].any()
    both(changed, monkeypatch)


def test_small_pieces_and_lags_without_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 600 cells: pieces of a few rows, some holding several ``(Z, spares)``
    groups, and no lag table (the lags computed per cell): the straightforward numbers."""
    _, plan = synthetic_force(400, 150)
    monkeypatch.setattr(analytic, "CHUNK_CELLS", 600)
    built = []

    def spy(*args: object) -> object:
        out = route_tables(*args)  # type: ignore[arg-type]
        built.append(out)
        return out

    monkeypatch.setattr(reuse, "_route_tables", spy)
    both(plan, monkeypatch)
    assert built and all(t is None for tables in built for t in tables)


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.integers(1, 50), min_size=1, max_size=60),
    groups=st.integers(1, 6),
    size=st.integers(1, 120),
    seed=st.integers(0, 1000),
)
def test_pieces_cover_rows_in_order(widths: list[int], groups: int, size: int, seed: int) -> None:
    """Pieces are consecutive, cover every row once, and hold at most ``size`` cells
    unless they are one row."""
    width = np.array(widths, dtype=np.int64)
    key = np.sort(np.random.default_rng(seed).integers(0, groups, len(width)))
    pieces = reuse._pieces(key, width, size)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(width)
    for (a, b), (c, _) in itertools.pairwise(pieces):
        assert a < b == c
    for a, b in pieces:
        assert b - a == 1 or width[a:b].sum() <= size


def _parts_case_by_case(cs: lengths.Cases, values: np.ndarray, cases: slice) -> np.ndarray:
    """The straightforward interpolation of :meth:`Cases.parts`, one case at a time."""
    T = values.shape[-1]
    t = np.arange(T)
    out = []
    for c in range(*cases.indices(cs.count)):
        row = values[cs.node_up[c]].copy()
        if cs.ends[c] < T:
            e, back, ahead = int(cs.ends[c]), int(cs.back[c]), int(cs.ahead[c])
            ended = values[cs.lo[c], :, e - back : T - back].copy()
            if cs.hi[c] >= 0:
                a = np.where(t[e:] + ahead < T, cs.share[c], 0.0)
                later = np.zeros_like(ended)
                n = max(0, T - ahead - e)
                later[:, :n] = values[cs.hi[c], :, e + ahead : e + ahead + n]
                ended = (1.0 - a) * ended + a * later
            row[:, e:] = ended
        out.append(row)
    return np.stack(out)


@pytest.mark.parametrize("nodes", [4, 32, 1000])
def test_length_cases_at_once_equal_case_by_case(nodes: int) -> None:
    """The cases' masks and interpolated parts, a slice at a time, equal the case-by-case
    construction bit for bit (one random cutoff of 451 lengths; nodes 4, 32 and all)."""
    doc = tether.load(EXAMPLES[0].parent / "europe-us-withholds-year.yaml")
    sc = next(s for s in doc.scenarios if any(c.duration_days for c in s.cutoffs))
    plan = compile_scenario(doc, sc)
    b = len(plan.batch) - 1
    cs = lengths.cases(plan, b, nodes)
    T = plan.horizon + 1
    values = np.random.default_rng(3).random((len(cs.nodes), 4, T))
    c = next(int(i) for i in np.flatnonzero(plan.co_batch == b) if plan.co_dist[i] > 0)
    d = lengths.length_pmf(int(plan.co_dist[c]), plan.co_a[c], plan.co_b[c], T - plan.co_start[c])
    live = d[0][d[1] > 0]
    mine = np.flatnonzero(plan.co_batch == b)
    for sl in (slice(0, 7), slice(100, 180), slice(cs.count - 5, cs.count)):
        assert np.array_equal(cs.parts(values, sl), _parts_case_by_case(cs, values, sl))
        masks = np.stack([lengths._masks(plan, mine, {c: int(x)}, T) for x in live[sl]])
        assert np.array_equal(cs.masks(sl), masks)


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("europe-us-withholds-year", None),
        ("europe-safe-options", None),
        ("europe-us-withholds-year", 700),  # a second, fixed cutoff after the random one ends
    ],
)
def test_length_factors_equal_case_by_case(
    name: str, extra: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Software and services over the lengths of a cutoff from its longest and shortest
    cases equal them computed case by case, bit for bit (and where a later cutoff of the
    same supplier breaks the condition, the case-by-case path is taken); the nodes' parts
    taken from the longest node before each node's end equal every node run in full."""
    doc = tether.load(EXAMPLES[0].parent / f"{name}.yaml")
    sc = next(s for s in doc.scenarios if any(c.duration_days for c in s.cutoffs))
    if extra is not None:
        first = sc.cutoffs[0]
        later = first.model_copy(update={"start_day": extra, "end_day": extra + 30})
        later = later.model_copy(update={"duration_days": None})
        sc = sc.model_copy(update={"cutoffs": [*sc.cutoffs, later]})
    plan = compile_scenario(doc, sc)
    b = len(plan.batch) - 1
    used = analytic._length_factors(plan, lengths.cases(plan, b))
    assert (used is None) == (extra is not None)
    fast = analytic.run_analytic(plan)
    monkeypatch.setattr(analytic, "LENGTH_FACTORS", False)
    slow = analytic.run_analytic(plan)
    for key in ("software", "services"):
        assert np.array_equal(getattr(fast, key), getattr(slow, key)), key
    for key in ("availability", "backorders", "capability", "munitions"):
        assert_allclose(getattr(fast, key), getattr(slow, key), rtol=1e-12, atol=1e-12)
