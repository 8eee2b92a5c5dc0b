"""Several forces in one run (a scenario's ``forces:``) competing for shared production
lines (issue 12 item 2), and the industrial-base loose ends: validate runs the network
checks, catalogue check reads the ramp, option patches' lines bring their suppliers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tether
from tether._analysis.industry import line_output
from tether._cli.main import app
from tether._kinds import KIND_INDEX
from tether._plan import Plan, compile_plan, compile_scenario

runner = CliRunner()

TEXT = """
jurisdictions: [{name: A}, {name: B}, {name: X}, {name: Y}, {name: Z}]
suppliers:
  - {name: a-co, jurisdiction: A}
  - {name: b-co, jurisdiction: B}
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
        munitions: {missile: {stock: 10, resupply: [{product: missile}]}}
  - name: fy
    operator: Y
    areas: [{name: ad}, {name: reserve}]
    fleets:
      - name: bat
        system: sam
        area: ad
        units: 2
        hours_per_day: 1
        munitions: {missile: {stock: 4, resupply: [{product: missile, share: 0.5}]}}
      - name: spare-bat
        system: sam
        area: reserve
        units: 1
        hours_per_day: 1
        munitions: {missile: {stock: 2, resupply: [{product: missile, share: 0.5}]}}
industry:
  - name: toy
    period_days: 1
    products:
      - {name: motor, kind: component}
      - name: missile
        kind: munition
        bom: {motor: 1}
        demand: {X: DX, Y: DY, Z: DZ}
        allocation: ALLOC
    sites:
      - {name: motors, supplier: a-co, makes: {motor: {capacity: MOTORS}}}
      - {name: prime, supplier: b-co, makes: {missile: {capacity: PRIME}}}
scenarios:
  - name: both
    forces: [fx, fy]
    horizon_days: 20
    cutoffs: [{jurisdiction: A, start_day: 5, end_day: 10}]
"""

VALUES = {
    "DX": "2",
    "DY": "2",
    "DZ": "1",
    "ALLOC": "{rule: priority, order: [Y]}",
    "MOTORS": "3",
    "PRIME": "4",
}


def _text(**values: str) -> str:
    text = TEXT
    for key, value in {**VALUES, **values}.items():
        text = text.replace(key, value)
    return text


def _doc(**values: str) -> tether.Document:
    return tether.load_text(_text(**values), builtin=False)


def _rates(plan: Plan) -> np.ndarray:
    """Resupply ``[member, munition row, day]`` as the engines see it: each row while open."""
    T = plan.horizon + 1
    t = np.arange(T)
    open_ = ~plan.cut[:, plan.rs_supplier, KIND_INDEX["munitions"]]
    open_ &= (t >= plan.rs_from[:, None]) & (t < plan.rs_until[:, None])
    out = np.zeros((len(plan.batch), len(plan.mu_fleet), T))
    for r, m in enumerate(plan.rs_munition):
        out[:, m] += plan.rs_rate[r] * open_[:, r]
    return out


# -- the format ----------------------------------------------------------------------
def test_forces_play_one_combined_force() -> None:
    doc = _doc()
    sc = doc.scenario("both")
    assert sc.force == "fx+fy" and sc.members == ["fx", "fy"]
    force = doc.force(sc.force)
    assert [f.name for f in force.fleets] == ["fx/bat", "fy/bat", "fy/spare-bat"]
    assert [a.name for a in force.areas] == ["fx/ad", "fy/ad", "fy/reserve"]
    assert [f.area for f in force.fleets] == ["fx/ad", "fy/ad", "fy/reserve"]
    buyers = [f.munitions["missile"].resupply[0].buyer for f in force.fleets]
    assert buyers == ["X", "Y", "Y"]  # each fleet keeps its own operator as line buyer
    one = tether.Scenario(name="s", forces=["fx"], horizon_days=3)
    assert one.force == "fx" and doc.force(one.force) is doc.force("fx")


BAD = {
    "unknown": (
        "forces: [fx, fq]",
        "t.yaml:51:18: scenarios[both].forces[1]: no force named 'fq'",
    ),
    "repeated": (
        "forces: [fx, fx]",
        "t.yaml:51:13: scenarios[both].forces: force 'fx' appears twice in 'forces'",
    ),
    "both": (
        "forces: [fx, fy]\n    force: fx",
        "t.yaml:50:5: scenarios[both]: give 'force' (one force) or 'forces' (a list of "
        "several), not both",
    ),
    "neither": ("title: no force", "t.yaml:50:5: scenarios[both].force: required field is missing"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_forces_list_located_exit_2(case: str, tmp_path: Path) -> None:
    line, message = BAD[case]
    path = tmp_path / "t.yaml"
    path.write_text(_text().replace("forces: [fx, fy]", line))
    res = runner.invoke(app, ["validate", str(path), "--no-builtin"])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert message in res.output.replace(str(path), "t.yaml").replace("\n", "")
    res = runner.invoke(app, ["run", str(path), "--no-builtin"])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_a_member_force_problem_is_located_in_the_member(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        _text().replace(
            "{product: missile, share: 0.5}]}}\n      - name: spare",
            "{product: missile, buyer: Q, share: 0.5}]}}\n      - name: spare",
        )
    )
    res = runner.invoke(app, ["run", str(path), "--no-builtin"])
    assert res.exit_code == 2, res.output
    out = res.output.replace(str(path), "t.yaml").replace("\n", "")
    assert "t.yaml:29:78: forces[fy].fleets[bat].munitions.missile.resupply[0].buyer" in out
    assert "'Q' is not a buyer of missile" in out


def test_two_forces_of_one_buyer_cannot_take_more_than_its_allocation(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    # fx's operator becomes Y: fx takes all of Y's allocation, fy's fleets take it again
    path.write_text(_text().replace("operator: X", "operator: Y"))
    res = runner.invoke(app, ["run", str(path), "--no-builtin"])
    assert res.exit_code == 2, res.output
    out = res.output.replace(str(path), "t.yaml").replace("\n", "")
    assert out.count("sum to") == 1
    assert (
        "t.yaml:51:13: scenarios[both].forces: forces fx, fy: shares of Y's missile sum to 1.5"
        in out
    )


# -- one computation -------------------------------------------------------------------
def test_each_force_gets_its_buyers_allocation_of_one_line() -> None:
    doc = _doc()
    sc = doc.scenario("both")
    plan = compile_scenario(doc, sc)
    assert plan.fleets == ("fx/bat", "fy/bat", "fy/spare-bat")
    assert plan.areas == ("fx/ad", "fy/ad", "fy/reserve")
    got = _rates(plan)
    # motors 3 a day, prime 4: 3 missiles; Y first (2, half to each fleet), the one left
    # to X and Z pro rata to their demand (2 : 1)
    np.testing.assert_allclose(got[0, :, 0], [2 / 3, 1.0, 1.0])
    # A (the motors) cut on days 5-9: nothing for anyone
    assert got[1, :, 5:10].max() == 0.0
    assert got[1, :, 10:].tolist() == got[0, :, 10:].tolist()


def test_the_coalition_run_agrees_with_each_force_alone() -> None:
    doc = _doc()
    both = tether.simulate(doc, "both")
    assert both.areas == ["fx/ad", "fy/ad", "fy/reserve"]
    for name, areas in (("fx", ["ad"]), ("fy", ["ad", "reserve"])):
        sc = doc.scenario("both").model_copy(update={"force": name, "forces": None})
        alone = tether.simulate(doc, sc)
        for a in areas:
            np.testing.assert_allclose(
                both.data["area_capability"].sel(area=f"{name}/{a}").values,
                alone.data["area_capability"].sel(area=a).values,
                atol=1e-12,
            )
    assert any("missile from the lines of 'toy'" in n for n in both.notes)
    note = next(n for n in both.notes if "missile" in n)
    assert "fx/bat missile (X) 0.667 -> 0 on day 5" in note
    assert "fy/spare-bat missile (Y) 1 -> 0 on day 5" in note


def test_both_engines_run_a_coalition() -> None:
    doc = _doc()
    res = tether.simulate(doc, "both", engine="montecarlo", reps=20, seed=3)
    assert res.areas == ["fx/ad", "fy/ad", "fy/reserve"]
    assert set(res.fleets) == {"fx/bat", "fy/bat", "fy/spare-bat"}


rules = st.sampled_from(
    [
        "{rule: pro_rata}",
        "{rule: priority, order: [Y]}",
        "{rule: priority, order: [Z, X]}",
        "{rule: shares, shares: {X: 1, Y: 3, Z: 1}}",
    ]
)
amounts = st.integers(0, 6).map(str)


@settings(max_examples=30, deadline=None)
@given(
    dx=amounts,
    dy=amounts,
    dz=amounts,
    motors=amounts,
    prime=amounts,
    rule=rules,
    cut=st.sampled_from(["A", "B"]),
    start=st.integers(0, 15),
    length=st.integers(1, 8),
)
def test_allocation_is_conserved_across_forces_and_an_upstream_cut_lowers_every_buyer(
    dx: str,
    dy: str,
    dz: str,
    motors: str,
    prime: str,
    rule: str,
    cut: str,
    start: int,
    length: int,
) -> None:
    doc = _doc(DX=dx, DY=dy, DZ=dz, MOTORS=motors, PRIME=prime, ALLOC=rule)
    cutoffs = [tether.Cutoff(jurisdiction=cut, start_day=start, end_day=start + length)]
    sc = doc.scenario("both")
    plan = compile_plan(doc, doc.force(sc.force), sc, [[], cutoffs], ["b", "s"])
    got = _rates(plan)
    for b, cs in enumerate([[], cutoffs]):
        out = line_output(doc, "toy", cs, range(21))
        p = out.products.index("missile")
        x, y = got[b, 0], got[b, 1] + got[b, 2]
        np.testing.assert_allclose(x, out.of("missile", "X"), atol=1e-9)
        np.testing.assert_allclose(y, out.of("missile", "Y"), atol=1e-9)
        # every buyer together takes the whole output, never more
        np.testing.assert_allclose(out.allocation[:, p].sum(axis=1), out.output[:, p], atol=1e-9)
        assert (x + y <= out.output[:, p] + 1e-9).all()
        assert (x <= float(dx) + 1e-9).all() and (y <= float(dy) + 1e-9).all()
    # a cutoff upstream (the motors, A) or at the prime (B) lowers every force's rate
    assert (got[1] <= got[0] + 1e-9).all()
    days = slice(start, min(start + length, 21))
    assert got[1][:, days].max(initial=0.0) == 0.0


def test_shipped_example_shows_both_forces_lose_their_share() -> None:
    doc = tether.load("examples/coalition-pac3.yaml")
    res = tether.simulate(doc, "seeker-stop")
    assert {"poland/air-defence", "germany/air-defence"} <= set(res.areas)
    note = next(n for n in res.notes if n.startswith("pac-3-mse"))
    assert "poland/patriot pac-3-mse (PL) 0.158 -> 0 on day 30" in note
    assert "germany/patriot pac-3-mse (DE) 0.158 -> 0 on day 30" in note
    for area in ("poland/air-defence", "germany/air-defence"):
        assert res.summary[area].days_lost > 0.5


# -- an option's patched line brings its upstream suppliers ---------------------------
PATCHED = """
jurisdictions: [{name: A}, {name: B}, {name: X}]
suppliers:
  - {name: a-co, jurisdiction: A}
  - {name: b-co, jurisdiction: B}
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
        munitions: {missile: {stock: 10, resupply: [{per_day: 0.5}]}}
options:
  - name: tie-to-line
    force: fx
    cost: 1
    lead_time_days: 3
    patch:
      fleets: [{name: bat, munitions: {missile: {resupply: [{product: missile}]}}}]
industry:
  - name: toy
    period_days: 1
    products:
      - {name: motor, kind: component}
      - {name: missile, kind: munition, bom: {motor: 1}, demand: {X: 2}}
    sites:
      - {name: motors, supplier: a-co, makes: {motor: {capacity: 3}}}
      - {name: prime, supplier: b-co, makes: {missile: {capacity: 4}}}
scenarios:
  - {name: s, force: fx, horizon_days: 12, cutoffs: [{jurisdiction: A, start_day: 6, end_day: 9}]}
"""


def test_a_patched_line_resupply_adds_its_upstream_suppliers() -> None:
    doc = tether.load_text(PATCHED, builtin=False)
    sc, opt = doc.scenario("s"), doc.option("tie-to-line")
    plain = compile_plan(doc, doc.force("fx"), sc, [[], sc.cutoffs], ["b", "s"])
    assert "a-co" not in plain.suppliers  # the file's own resupply is a fixed rate from b-co
    assert not plain.co_stop.any()  # so cutting A stops nothing
    plan = compile_plan(doc, doc.force("fx"), sc, [[], sc.cutoffs], ["b", "s"], options=[opt])
    assert {"a-co", "b-co"} <= set(plan.suppliers)
    assert plan.co_stop[0, plan.suppliers.index("a-co")].any()
    got = _rates(plan)[:, 0]
    # 0.5 a day until the option's day 3, then the line's 2 a day; none while A is cut
    assert got[0].tolist() == [0.5] * 3 + [2.0] * 10
    assert got[1].tolist() == [0.5] * 3 + [2.0] * 3 + [0.0] * 3 + [2.0] * 4
    res = tether.simulate(doc.model_copy(update={"options": []}), "s")
    assert any("stops no supplier" in w for w in res.warnings)


def test_exposure_and_compare_of_a_coalition() -> None:
    doc = _doc()
    exp = tether.exposure(doc, "fx+fy", by="jurisdiction", horizon=20)
    rows = {(r.target, r.kinds): r for r in exp.rows}
    # A stops the motors and with them every missile of both forces
    assert ("A", "all") in rows and rows["A", "all"].days_lost > 0
    with pytest.raises(KeyError, match="appears twice"):
        doc.force("fx+fx")
    res = runner.invoke(app, ["exposure", "fx+fx", "--no-builtin", "-f", "/dev/null"])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_cli_run_json_and_out_of_a_coalition(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(_text())
    res = runner.invoke(app, ["run", str(path), "--no-builtin", "--json"])
    assert res.exit_code == 0, res.output
    assert '"fy/reserve"' in res.stdout and '"fx/ad"' in res.stdout
    res = runner.invoke(app, ["run", str(path), "--no-builtin", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "fy/spare-bat" in (tmp_path / "o" / "both.fleets.csv").read_text()


def test_html_report_of_a_coalition() -> None:
    from tether._report import render_report

    doc = _doc()
    text = render_report([tether.simulate(doc, "both")], doc, source="t.yaml")
    assert "<b>Force</b>: fx+fy" in text and "operator X+Y, 3 fleet(s)" in text
    assert "fy/reserve" in text and "fx/ad" in text


def test_validate_locates_a_members_derived_problem(tmp_path: Path) -> None:
    text = _text().replace(
        "munitions: [{name: missile, supplier: b-co, use_per_unit_day: 1.5}]",
        "munitions: [{name: missile, supplier: b-co, use_per_unit_day: 1.5}]\n"
        "    parts: [{name: seal, failure_rate: 10, unit_cost: 1, condemnation: 1, "
        "new_buy: {supplier: b-co, lead_time_days: 10}}]",
    )
    text = text.replace("units: 1\n", "units: 1000000\n        hours_per_day: 24\n", 1)
    text = text.replace(
        "hours_per_day: 1\n        munitions: {missile: {stock: 2", "munitions: {missile: {stock: 2"
    )
    path = tmp_path / "t.yaml"
    path.write_text(text)
    res = runner.invoke(app, ["validate", str(path), "--no-builtin"])
    assert res.exit_code == 2, res.output
    out = res.output.replace(str(path), "t.yaml").replace("\n", "")
    assert "forces[fy].fleets[spare-bat].units: part 'seal'" in out
    assert "t.yaml:0:0" not in out
    res = runner.invoke(app, ["run", str(path), "--no-builtin"])
    assert res.exit_code == 2 and "forces[fy].fleets[spare-bat].units" in res.output
