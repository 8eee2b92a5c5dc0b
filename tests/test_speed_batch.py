"""Factors computed for many batch members at once equal each member run alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from numpy.testing import assert_allclose

import tether
import tether._engine.analytic as analytic
from tether import Cutoff
from tether._plan import compile_plan

EXAMPLES = Path(__file__).parent.parent / "examples"
KEYS = ("availability", "backorders", "software", "munitions", "services", "capability")


@pytest.mark.parametrize("name", ["europe-us-withholds-year", "taiwan-us-munitions-halt"])
@pytest.mark.parametrize("chunk", [analytic.FLUSH_CELLS, 40_000])
def test_batched_members_equal_members_alone(
    name: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tether.load(EXAMPLES / f"{name}.yaml")
    sc = doc.scenarios[0]
    force = doc.force(sc.force)
    sets = [
        [],
        list(sc.cutoffs),
        [Cutoff(jurisdiction="US", kinds=["munitions"], start_day=20)],
        [Cutoff(jurisdiction="US", kinds=["software"], start_day=0, end_day=60)],
        [Cutoff(jurisdiction="US", kinds=["all"], start_day=5)],
    ]
    labels = [f"m{i}" for i in range(len(sets))]
    monkeypatch.setattr(analytic, "FLUSH_CELLS", chunk)  # small: blocks flush mid-batch
    together = analytic.run_analytic(compile_plan(doc, force, sc, sets, labels))
    for b, cut in enumerate(sets):
        alone = analytic.run_analytic(compile_plan(doc, force, sc, [cut], ["x"]))
        for key in KEYS:
            assert_allclose(
                getattr(together, key)[b], getattr(alone, key)[0], rtol=1e-12, atol=1e-12
            )
        assert_allclose(together.munitions_stock[b], alone.munitions_stock[0], rtol=1e-12)
