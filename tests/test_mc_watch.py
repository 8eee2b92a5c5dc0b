"""Per-replication time to survive and time to recover (Monte Carlo): the streamed
histograms against summarise() run on every replication's kept curve."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tether
from tests.helpers import single_pool
from tether._engine import montecarlo
from tether._engine.mc_watch import Watch, spread
from tether._metrics import summarise
from tether._plan import compile_scenario

NEVER = 10**9


def _quantiles(values: list[int | None]) -> tuple[int | None, ...]:
    x = np.array([NEVER if v is None else v for v in values])
    out = np.quantile(x, [0.1, 0.5, 0.9], method="inverted_cdf")
    return tuple(None if v >= NEVER else int(v) for v in out)


def _run(cutoffs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    doc = single_pool(cutoffs=cutoffs, horizon=90, spares=6)
    plan = compile_scenario(doc, doc.scenario())
    drawn: list[np.ndarray] = []
    real = montecarlo.sample_cuts

    def recording(*args: Any) -> tuple[np.ndarray, np.ndarray]:
        cut, ends = real(*args)
        if args[1] == 1:
            drawn.append(np.broadcast_to(ends, (args[2], ends.shape[1])))
        return cut, ends

    monkeypatch.setattr(montecarlo, "sample_cuts", recording)
    watch = Watch(
        weights=np.array([[1.0], [0.5]]),
        thresholds=(0.9, 0.7),
        recovery_level=0.99,
        start_day=cutoffs[0]["start_day"],
        cutoffs=np.flatnonzero(plan.co_batch == 1),
    )
    out = montecarlo.run_montecarlo(
        plan, 300, np.random.default_rng(4), keep_samples=[1], watch=watch
    )
    assert out.watched is not None and out.watched.reps == 300
    ends = np.concatenate(drawn).max(axis=1)  # per replication: its last cutoff end
    ends = np.broadcast_to(ends, (300,))  # one mask for all when no length is random
    base = out.mean["capability"][0, 0]
    for row, weight in enumerate((1.0, 0.5)):
        per_rep = [
            summarise(
                weight * out.samples[1][i, 0].astype(np.float64),
                weight * base,
                thresholds=(0.9, 0.7),
                start_day=watch.start_day,
                end_day=int(ends[i]) if ends[i] <= plan.horizon else None,
            )
            for i in range(300)
        ]
        for k, theta in enumerate((0.9, 0.7)):
            got = spread(out.watched.survive[row, k])
            assert got is not None
            want = [s.time_to_survive[theta] for s in per_rep]
            assert (got.p10, got.median, got.p90) == _quantiles(want)
            assert got.never == pytest.approx(np.mean([w is None for w in want]))
        ended = [s for s, e in zip(per_rep, ends, strict=True) if e <= plan.horizon]
        rec = spread(out.watched.recover[row])
        if not ended:
            assert rec is None
            continue
        assert rec is not None
        assert (rec.p10, rec.median, rec.p90) == _quantiles([s.time_to_recover for s in ended])
        # the above-threshold counts, over every replication
        frac = out.samples[1][:, 0].astype(np.float64) / base
        assert np.array_equal(out.watched.above[1, row], (frac >= 0.7 - 1e-12).sum(axis=0))


def test_fixed_cutoff_spreads_match_per_replication_summaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _run([{"supplier": "acme", "start_day": 10, "end_day": 40}], monkeypatch)


def test_random_lengths_recover_from_each_replications_own_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    length = {"distribution": "uniform", "low": 10, "high": 60}
    _run([{"supplier": "acme", "start_day": 5, "duration_days": length}], monkeypatch)


@given(st.lists(st.integers(0, 12), min_size=1, max_size=60))
def test_spread_is_the_inverted_cdf_quantile(values: list[int]) -> None:
    counts = np.bincount(values, minlength=13)  # bin 12: never
    got = spread(counts)
    assert got is not None
    want = _quantiles([None if v == 12 else v for v in values])
    assert (got.p10, got.median, got.p90) == want


def test_simulate_reports_the_spread_in_summary_and_json() -> None:
    doc = single_pool(cutoffs=[{"supplier": "acme", "start_day": 10, "end_day": 40}])
    r = tether.simulate(doc, engine="montecarlo", reps=50, seed=3)
    s = next(iter(r.summary.values()))
    assert s.survive_spread is not None and set(s.survive_spread) == set(s.time_to_survive)
    d = s.to_dict()
    assert set(d["time_to_survive_spread"]) == {f"{t:g}" for t in s.time_to_survive}
    analytic = tether.simulate(doc)
    assert "time_to_survive_spread" not in next(iter(analytic.summary.values())).to_dict()
