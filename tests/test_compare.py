"""Side-by-side comparison: scenarios, force variants, P(A beats B), bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tether
from tether._analysis.compare import FORCE, p_greater

CANADA = "examples/canada-fighters.yaml"


def test_force_variants_side_by_side() -> None:
    doc = tether.load(CANADA)
    c = tether.compare(doc, ["f-35-fleet-us-cut"], forces=["canada", "canada-gripen"])
    assert c.labels == ("canada", "canada-gripen")
    assert c.forces == ("canada", "canada-gripen")
    assert c.areas == ("air-combat", FORCE)
    assert [round(s.days_lost) for s in c.summary["air-combat"]] == [469, 41]  # type: ignore[union-attr]
    assert c.summary["air-combat"][0].time_to_survive == {0.75: 4, 0.5: 40}  # type: ignore[union-attr]
    assert c.capability["air-combat"].shape == (2, 541)
    cd = c.capability_days["air-combat"]
    assert c.difference["air-combat"] == [0.0, pytest.approx(cd[1] - cd[0])]  # type: ignore[operator]
    assert c.p_beats is None
    assert c.days == (0, 30, 90, 180, 365, 540)
    json.dumps(c.to_dict(), allow_nan=False)
    frame = c.to_frame()
    assert set(frame["column"]) == {"canada", "canada-gripen"} and len(frame) == 4 * 541


def test_two_scenarios_match_the_force_variants() -> None:
    """The file's Gripen scenario is the same cutoff on canada-gripen: same figures."""
    doc = tether.load(CANADA)
    by_force = tether.compare(doc, ["f-35-fleet-us-cut"], forces=["canada", "canada-gripen"])
    by_name = tether.compare(doc, ["f-35-fleet-us-cut", "gripen-fleet-us-cut"], days=[0, 100])
    assert by_name.labels == ("f-35-fleet-us-cut", "gripen-fleet-us-cut")
    assert by_name.days == (0, 100)
    np.testing.assert_allclose(by_name.capability[FORCE], by_force.capability[FORCE])


def test_montecarlo_probability_that_a_beats_b() -> None:
    doc = tether.load(CANADA)
    c = tether.compare(
        doc, ["f-35-fleet-us-cut", "gripen-fleet-us-cut"], engine="montecarlo", reps=40, seed=3
    )
    assert c.p_beats is not None
    assert c.p_beats["air-combat"][0] is None
    assert c.p_beats["air-combat"][1] == 0.0  # the F-35 fleet never keeps more
    same = tether.compare(
        doc, ["f-35-fleet-us-cut", "f-35-fleet-us-cut"], engine="montecarlo", reps=40, seed=3
    )
    assert same.p_beats is not None and same.p_beats[FORCE][1] == 0.5  # identical draws tie
    json.dumps(same.to_dict(), allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(
    a=st.lists(st.integers(0, 6), min_size=1, max_size=12),
    b=st.lists(st.integers(0, 6), min_size=1, max_size=12),
)
def test_p_greater_is_the_pair_count(a: list[int], b: list[int]) -> None:
    x, y = np.array(a, dtype=float), np.array(b, dtype=float)
    want = np.mean([[1.0 if u > v else 0.5 if u == v else 0.0 for v in y] for u in x])
    assert p_greater(x, y) == pytest.approx(want)
    assert p_greater(x, y) + p_greater(y, x) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        (["nope", "f-35-fleet-us-cut"], {}, tether.InputError),
        (["f-35-fleet-us-cut"], {"forces": ["canada", "atlantis"]}, tether.InputError),
        (["f-35-fleet-us-cut"], {}, tether.ArgumentError),
        (["f-35-fleet-us-cut"], {"forces": ["canada"]}, tether.ArgumentError),
        (["f-35-fleet-us-cut", "gripen-fleet-us-cut"], {"engine": "abacus"}, tether.ArgumentError),
        (["f-35-fleet-us-cut", "gripen-fleet-us-cut"], {"days": [600]}, tether.ArgumentError),
    ],
)
def test_bad_input(args: list[str], kwargs: dict[str, object], error: type[Exception]) -> None:
    doc = tether.load(CANADA)
    with pytest.raises(error):
        tether.compare(doc, args, **kwargs)  # type: ignore[arg-type]
