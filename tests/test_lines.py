"""Munitions resupply from production lines (issue 12 item 2, issue 13 item 1's check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tether
from tether._analysis.industry import line_output
from tether._analysis.industry_resupply import (
    LineItem,
    check_line_resupply,
    line_rates,
    rate_problems,
)
from tether._cli.catalogue import entry_text, unused_suppliers
from tether._kinds import KIND_INDEX
from tether._plan import compile_plan, compile_scenario

TEXT = """
jurisdictions: [{name: A}, {name: B}, {name: C}, {name: X}, {name: Y}]
suppliers:
  - {name: a-co, jurisdiction: A}
  - {name: b-co, jurisdiction: B}
  - {name: c-co, jurisdiction: C}
systems:
  - name: sam
    munitions: [{name: missile, supplier: b-co, use_per_unit_day: 1.5}]
forces:
  - name: fx
    operator: X
    areas: [{name: ad}]
    fleets:
      - name: bat
        system: sam
        area: ad
        units: 2
        hours_per_day: 1
        munitions: {missile: {stock: 10, resupply: [{product: missile, network: toy}]}}
  - name: fy
    operator: Y
    areas: [{name: ad}]
    fleets:
      - name: bat
        system: sam
        area: ad
        units: 2
        hours_per_day: 1
        munitions: {missile: {stock: 10, resupply: [{product: missile}]}}
industry:
  - name: toy
    period_days: 1
    products:
      - {name: motor, kind: component}
      - name: missile
        kind: munition
        bom: {motor: 1}
        demand: {X: 2, Y: 2}
        allocation: {rule: priority, order: [Y]}
    sites:
      - {name: motors, supplier: a-co, makes: {motor: {capacity: 3}}}
      - name: prime
        supplier: b-co
        makes: {missile: {capacity: 3, ramp: [{day: 12, capacity: 4}]}}
      - {name: second, supplier: c-co, makes: {missile: {capacity: 1}}}
scenarios:
  - name: cut-a
    force: fx
    horizon_days: 20
    cutoffs: [{jurisdiction: A, start_day: 5, end_day: 10}]
"""


@pytest.fixture(scope="module")
def doc() -> tether.Document:
    return tether.load_text(TEXT, builtin=False)


def _effective(plan: tether._plan.Plan) -> np.ndarray:
    """Resupply per member and day as the engines see it: each row while open."""
    T = plan.horizon + 1
    t = np.arange(T)
    open_ = ~plan.cut[:, plan.rs_supplier, KIND_INDEX["munitions"]]
    open_ &= (t >= plan.rs_from[:, None]) & (t < plan.rs_until[:, None])
    return np.einsum("r,brt->bt", plan.rs_rate, open_)


def test_scenario_rate_is_the_line_allocation(doc: tether.Document) -> None:
    plan = compile_scenario(doc, doc.scenarios[0])
    got = _effective(plan)
    # motors 3 a day; missiles 3 (4 from day 12) + 1; Y first: X gets the rest of the 3
    # the motors allow (1 a day), and nothing while A (the motors) is cut on days 5-9
    want = np.ones(21)
    assert got[0].tolist() == want.tolist()
    want[5:10] = 0.0
    assert got[1].tolist() == want.tolist()
    out = line_output(doc, "toy", doc.scenarios[0].cutoffs, range(21))
    assert got[1].tolist() == out.of("missile", "X").tolist()


def test_a_cut_supplier_lowers_resupply_and_never_raises_capability(
    doc: tether.Document,
) -> None:
    res = tether.simulate(doc, "cut-a", engine="analytic")
    cap = res.data["capability"].values[0]
    base = res.data["baseline_capability"].values[0]
    assert (cap <= base + 1e-12).all()
    assert cap[5:10].max() < base[5:10].min()  # no missiles while the motors are cut
    assert res.data["munitions"].values[0, 5:10].max() == 0.0
    assert res.data["baseline_munitions"].values[0, 5:10].min() > 0.0


cutoffs = st.lists(
    st.builds(
        lambda j, s, n: tether.Cutoff(jurisdiction=j, start_day=s, end_day=s + n),
        st.sampled_from(["A", "B", "C", "X"]),
        st.integers(0, 18),
        st.integers(1, 10),
    ),
    max_size=3,
)


@settings(max_examples=25, deadline=None)
@given(sets=st.lists(cutoffs, min_size=1, max_size=4))
def test_rows_reproduce_the_line_in_every_member(sets: list[list[tether.Cutoff]]) -> None:
    doc = tether.load_text(TEXT, builtin=False)
    force, scenario = doc.force("fx"), doc.scenarios[0]
    members = [[], *sets]
    plan = compile_plan(doc, force, scenario, members, [str(i) for i in range(len(members))])
    got = _effective(plan)
    want = line_rates(doc, [LineItem("toy", "missile", "X", 1.0)], members, 21)[:, 0]
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert (got <= got[0] + 1e-12).all()  # a cutoff only lowers the rate


@settings(max_examples=25, deadline=None)
@given(cuts=cutoffs)
def test_buyers_share_the_output_conserved(cuts: list[tether.Cutoff]) -> None:
    doc = tether.load_text(TEXT, builtin=False)
    scenario = doc.scenarios[0]
    got = {}
    for name in ("fx", "fy"):
        plan = compile_plan(doc, doc.force(name), scenario, [cuts], ["s"])
        got[name] = _effective(plan)[0]
    out = line_output(doc, "toy", cuts, range(21))
    total = got["fx"] + got["fy"]
    np.testing.assert_allclose(total, out.output[:, out.products.index("missile")], atol=1e-12)
    assert (total <= 4 + 1e-12).all()  # never more than the buyers ask


def test_random_length_cutoff_is_followed_in_monte_carlo(doc: tether.Document) -> None:
    text = TEXT.replace(
        "cutoffs: [{jurisdiction: A, start_day: 5, end_day: 10}]",
        "cutoffs: [{jurisdiction: A, start_day: 5, duration_days: "
        "{distribution: uniform, low: 2, high: 8}}]",
    )
    d = tether.load_text(text, builtin=False)
    res = tether.simulate(d, d.scenarios[0].name, engine="montecarlo", reps=64, seed=1)
    mun = res.data["munitions"].values[0]
    assert mun.min() < 1.0 and np.isfinite(mun).all()


random_cutoffs = st.lists(
    st.builds(
        lambda j, s, lo, n: tether.Cutoff.model_validate(
            {
                "jurisdiction": j,
                "start_day": s,
                "duration_days": {"distribution": "uniform", "low": lo, "high": lo + n},
            }
        ),
        st.sampled_from(["A", "B", "C"]),
        st.integers(0, 18),
        st.integers(1, 6),
        st.integers(0, 6),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=20, deadline=None)
@given(sets=st.lists(random_cutoffs, min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_sampled_lengths_give_the_line_rate_of_each_replication(
    sets: list[list[tether.Cutoff]], seed: int
) -> None:
    """Monte Carlo draws each cutoff's length; the gates follow every draw, in every
    member of a batch, so each replication's resupply is the line's rate at its ends."""
    from tether._engine.mc_clock import sample_cuts

    doc = tether.load_text(TEXT, builtin=False)
    members = [[], *sets]
    plan = compile_plan(doc, doc.force("fx"), doc.scenarios[0], members, ["m"] * len(members))
    rng = np.random.default_rng(seed)
    t = np.arange(plan.horizon + 1)
    window = (t >= plan.rs_from[:, None]) & (t < plan.rs_until[:, None])
    for b, cutoffs in enumerate(members):
        cut, ends = sample_cuts(plan, b, 4, rng)
        open_ = ~cut[:, plan.rs_supplier, KIND_INDEX["munitions"]] & window[None]
        got = np.einsum("r,krt->kt", plan.rs_rate, open_)
        for k in range(len(got)):
            fixed = [
                c.model_copy(update={"duration_days": None, "end_day": int(e)})
                for c, e in zip(cutoffs, ends[k], strict=True)
            ]
            want = line_output(doc, "toy", fixed, t).of("missile", "X")
            np.testing.assert_allclose(got[k], want, atol=1e-9)


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        ("{product: missle, network: toy}", "product", "did you mean 'missile'"),
        ("{product: missile, network: nope}", "network", "no industry network named 'nope'"),
        ("{product: missile, buyer: Z}", "buyer", "'Z' is not a buyer of missile"),
        ("{product: missile, share: 0.7}, {product: missile, share: 0.5}", "share", "above 1"),
        (  # said once, where the sum first passes 1
            "{product: missile, share: 0.7}, {product: missile, share: 0.5}, "
            "{product: missile, share: 0.2}",
            "resupply[1].share",
            "sum to 1.2, above 1",
        ),
    ],
)
def test_located_errors(entry: str, field: str, message: str) -> None:
    text = TEXT.replace("resupply: [{product: missile}]", f"resupply: [{entry}]")
    doc = tether.load_text(text, builtin=False)
    problems = check_line_resupply(doc, doc.force("fy"))
    assert len(problems) == 1
    (p,) = problems
    assert p.field.endswith(field) and message in p.message and p.line > 0
    with pytest.raises(tether.InputError):
        compile_plan(doc, doc.force("fy"), doc.scenarios[0], [[]], ["b"])


def test_rate_or_product_not_both() -> None:
    text = TEXT.replace(
        "resupply: [{product: missile}]", "resupply: [{product: missile, per_day: 1}]"
    )
    with pytest.raises(tether.InputError, match="either per_day"):
        tether.load_text(text, builtin=False)


def test_check_fails_on_a_fixed_rate_above_the_line(doc: tether.Document) -> None:
    text = TEXT.replace("resupply: [{product: missile}]", "resupply: [{per_day: 3}, {per_day: 2}]")
    problems = rate_problems(tether.load_text(text, builtin=False))
    assert len(problems) == 1
    assert "fy gets 5 missile a day" in problems[0].message
    assert problems[0].field.endswith("resupply.0.per_day") or "resupply[0]" in problems[0].field
    ok = TEXT.replace("resupply: [{product: missile}]", "resupply: [{per_day: 4}]")
    assert rate_problems(tether.load_text(ok, builtin=False)) == []


def test_check_reports_unused_suppliers() -> None:
    text = TEXT.replace(
        "  - {name: c-co, jurisdiction: C}",
        "  - {name: c-co, jurisdiction: C}\n  - {name: idle, jurisdiction: C}",
    )
    names = [
        p.message.split("'")[1] for p in unused_suppliers(tether.load_text(text, builtin=False))
    ]
    assert names == ["idle"]


def test_shipped_catalogue_resupplies_within_their_lines() -> None:
    doc = tether.load_text("{}\n")
    assert rate_problems(doc) == []
    nato = doc.force("european-nato")
    assert check_line_resupply(doc, nato) == []
    tied = [
        (f.name, m, r.buyer)
        for f in nato.fleets
        for m, h in f.munitions.items()
        for r in h.resupply
        if r.product is not None
    ]
    assert ("patriot", "pac-3-mse", "PL") in tied


def test_industry_heading_is_singular(doc: tether.Document) -> None:
    assert entry_text("industry", doc.industry[0]).startswith("# industry\n")
    assert entry_text("suppliers", doc.suppliers[0]).startswith("# supplier\n")


def test_cli_catalogue_check_fails_on_rate_above_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tether._cli.main import app

    extra = tmp_path / "mine.yaml"
    extra.write_text(TEXT.replace("resupply: [{product: missile}]", "resupply: [{per_day: 9}]"))
    res = CliRunner().invoke(app, ["catalogue", "check", "--catalogue", str(extra)])
    assert res.exit_code == 2
    assert "fy gets 9 missile a day at fixed rates, above the 4 a day" in res.stderr
