"""Allocation of a shared line among buyers, and each buyer's output under cutoffs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tether
from tether._analysis.industry import line_output
from tether._analysis.industry_alloc import allocate

RULES = st.sampled_from(["pro_rata", "priority", "shares"])
DEMANDS = st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=1, max_size=6)


def _args(rule: str, n: int, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    order = [int(i) for i in rng.permutation(n)[: rng.integers(1, n + 1)]]
    weights = rng.uniform(0, 1, n) * (rng.random(n) < 0.8)
    return {"rule": rule, "order": order, "weights": weights}


@settings(max_examples=100, deadline=None)
@given(DEMANDS, st.floats(0.0, 5e4, allow_nan=False), RULES, st.integers(0, 2**16))
def test_allocation_conserves(demand: list[float], output: float, rule: str, seed: int) -> None:
    d = np.array(demand)
    got = allocate(output, d, **_args(rule, len(d), seed))  # type: ignore[arg-type]
    tol = 1e-9 * max(1.0, output, d.sum())
    assert np.all(got >= -tol)
    assert np.all(got <= d + tol)  # no buyer gets more than it asks
    assert got.sum() <= output + tol  # nor more than the line makes, all together
    assert got.sum() == pytest.approx(min(output, d.sum()), abs=tol * 10)  # all handed out


@settings(max_examples=100, deadline=None)
@given(
    DEMANDS,
    st.floats(0.0, 5e4, allow_nan=False),
    st.floats(0.0, 5e4, allow_nan=False),
    RULES,
    st.integers(0, 2**16),
)
def test_more_output_never_lowers_a_share(
    demand: list[float], a: float, b: float, rule: str, seed: int
) -> None:
    d = np.array(demand)
    args = _args(rule, len(d), seed)
    low, high = sorted((a, b))
    lo = allocate(low, d, **args)  # type: ignore[arg-type]
    hi = allocate(high, d, **args)  # type: ignore[arg-type]
    assert np.all(hi >= lo - 1e-9 * max(1.0, high))


def test_rules_by_hand_and_per_day() -> None:
    d = np.array([100.0, 50.0, 50.0])
    np.testing.assert_allclose(allocate(100.0, d), [50, 25, 25])
    np.testing.assert_allclose(allocate(120.0, d, "priority", order=[2, 0]), [70, 0, 50])
    # shares 1:1:2 of 160 (40, 40, 80): the third is capped at its 50, the 110 left split
    # 1:1 (55, 55): the second is capped at its 50, the first takes the 60 left
    np.testing.assert_allclose(
        allocate(160.0, d, "shares", weights=np.array([1.0, 1.0, 2.0])), [60, 50, 50]
    )
    per_day = allocate(np.array([0.0, 100.0, 400.0]), d)
    np.testing.assert_allclose(per_day, [[0, 0, 0], [50, 25, 25], [100, 50, 50]])


# -- line output under cutoffs: a network of two tiers and three jurisdictions ------------
NET = """\
jurisdictions: [{name: A}, {name: B}, {name: C}]
suppliers:
  - {name: a1, jurisdiction: A}
  - {name: b1, jurisdiction: B}
  - {name: b2, jurisdiction: B, controlled_by: [{by: A, basis: design authority}]}
  - {name: c1, jurisdiction: C}
industry:
  - name: net
    period_days: 1
    products:
      - {name: steel, kind: material}
      - {name: seeker, kind: component, bom: {steel: 1}}
      - {name: m1, kind: munition, bom: {seeker: 1, steel: 2},
         demand: {X: 6, Y: 3, Z: 1}, allocation: {rule: RULE1}}
      - {name: m2, kind: munition, bom: {seeker: 2},
         demand: {X: 2, Y: 2}, allocation: {rule: RULE2}}
    sites:
      - {name: mill-a, supplier: a1, makes: {steel: {capacity: CAP_STEEL_A}}}
      - {name: mill-c, supplier: c1, makes: {steel: {capacity: CAP_STEEL_C}}}
      - {name: seekers-b, supplier: b1, makes: {seeker: {capacity: CAP_SEEK_B}}}
      - {name: seekers-c, supplier: c1, makes: {seeker: {capacity: CAP_SEEK_C}}}
      - {name: prime, supplier: b2, makes: {m1: {capacity: CAP_M1, ramp: [{day: 3, capacity: RAMP_M1}]}, m2: {capacity: CAP_M2}}}
"""
ALLOC = {
    "pro_rata": "pro_rata",
    "priority": "priority, order: [Y, X]",
    "shares": "shares, shares: {X: 1, Y: 2}",
}


def _doc(caps: list[int], rules: tuple[str, str]) -> tether.Document:
    text = NET.replace("RULE1", ALLOC[rules[0]]).replace("RULE2", ALLOC[rules[1]])
    names = [
        "CAP_STEEL_A",
        "CAP_STEEL_C",
        "CAP_SEEK_B",
        "CAP_SEEK_C",
        "CAP_M1",
        "RAMP_M1",
        "CAP_M2",
    ]
    for name, cap in zip(names, caps, strict=True):
        text = text.replace(name, str(cap))
    return tether.load_text(text, "net.yaml", builtin=False)


TARGETS = [("jurisdiction", "A"), ("jurisdiction", "B"), ("jurisdiction", "C")] + [
    ("supplier", s) for s in ("a1", "b1", "b2", "c1")
]


def _cut(target: tuple[str, str], start: int, end: int | None) -> tether.Cutoff:
    return tether.Cutoff(**{target[0]: target[1]}, start_day=start, end_day=end)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=7, max_size=7),
    st.tuples(RULES, RULES),
    st.lists(st.sampled_from(range(len(TARGETS))), max_size=3),
    st.sampled_from(range(len(TARGETS))),
    st.integers(0, 5),
)
def test_a_cutoff_upstream_never_raises_any_buyers_allocation(
    caps: list[int], rules: tuple[str, str], base: list[int], extra: int, start: int
) -> None:
    doc = _doc(caps, rules)
    days = range(7)
    cuts = [_cut(TARGETS[i], 0, None) for i in base]
    before = line_output(doc, cutoffs=cuts, days=days)
    after = line_output(doc, cutoffs=[*cuts, _cut(TARGETS[extra], start, None)], days=days)
    assert np.all(after.allocation <= before.allocation + 1e-9)
    # conservation, day by day: buyers share exactly what the lines deliver
    np.testing.assert_allclose(after.allocation.sum(axis=2), after.output, atol=1e-9)
    demand = np.array([[6, 3, 1], [2, 2, 0]], dtype=float)
    assert np.all(after.allocation[:, 2:, :] <= demand + 1e-9)


def test_line_output_by_hand() -> None:
    # steel 20+10, seekers 4+4, prime m1 10 (20 from day 3), m2 10: seekers limit.
    doc = _doc([20, 10, 4, 4, 10, 20, 10], ("pro_rata", "priority"))
    full = line_output(doc, days=[0])
    # need: m1 10, m2 4; seekers 10 + 8 = 18 for 8 made: fill 4/9 for both munitions.
    assert full.buyers == ("X", "Y", "Z")
    np.testing.assert_allclose(full.output[0, 2:], [10 * 4 / 9, 4 * 4 / 9])
    np.testing.assert_allclose(full.of("m1", "Y"), [3 * 4 / 9])
    # m2 makes 16/9 a day: Y, served first, wants 2 and takes it all
    np.testing.assert_allclose(full.of("m2", "Y"), [16 / 9])
    np.testing.assert_allclose(full.of("m2", "X"), [0.0])
    # C stops from day 2: half the seekers and a third of the steel; A stops the prime
    # through its design authority from day 4 to 6.
    cut = line_output(
        doc,
        cutoffs=[
            tether.Cutoff(jurisdiction="C", start_day=2),
            tether.Cutoff(jurisdiction="A", start_day=4, end_day=6),
        ],
        days=range(7),
    )
    m1_x = cut.of("m1", "X")
    np.testing.assert_allclose(m1_x[:2], 6 * 4 / 9)
    np.testing.assert_allclose(m1_x[2:4], 6 * 4 / 18)
    np.testing.assert_allclose(m1_x[4:6], 0.0)
    np.testing.assert_allclose(m1_x[6], 6 * 4 / 18)
