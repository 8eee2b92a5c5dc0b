"""``tether catalogue check``: fixed resupply rates against the lines' ramp (capacity by
date), over every day of their use, options included."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import tether
from tether._analysis.industry_rates import lowest_output, rate_problems
from tether._cli.main import app

TEXT = """
jurisdictions: [{name: A}, {name: X}]
suppliers:
  - {name: a-co, jurisdiction: A}
systems:
  - name: sam
    munitions: [{name: missile, supplier: a-co, use_per_unit_day: 1}]
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
        munitions: {missile: {stock: 10, resupply: [{per_day: RATE}]}}
      - name: other
        system: sam
        area: ad
        units: 1
        hours_per_day: 1
        munitions: {missile: {stock: 10, resupply: [{per_day: 1}]}}
industry:
  - name: toy
    period_days: 1
    products:
      - {name: missile, kind: munition, demand: {X: 4}}
    sites:
      - name: prime
        supplier: a-co
        makes: {missile: {capacity: 4, ramp: [{day: 10, capacity: 2}, {day: 30, capacity: 8}]}}
SCENARIOS
"""


def _doc(rate: str = "2", scenarios: str = "", options: str = "") -> tether.Document:
    text = TEXT.replace("RATE", rate).replace("SCENARIOS", scenarios) + options
    return tether.load_text(text, "t.yaml", builtin=False)


def _scenario(horizon: int) -> str:
    return f"scenarios: [{{name: s, force: fx, horizon_days: {horizon}}}]"


def test_lowest_output_follows_the_ramp() -> None:
    net = _doc().industry[0]
    assert lowest_output(net, "missile", 0, None) == (2.0, 10)
    assert lowest_output(net, "missile", 0, 10) == (4.0, 0)
    assert lowest_output(net, "missile", 12, None) == (2.0, 12)
    assert lowest_output(net, "missile", 30, None) == (8.0, 30)


def test_a_rate_above_a_later_day_of_the_ramp_fails() -> None:
    # 2 + 1 = 3 a day: within the 4 of day 0, above the 2 of days 10-29
    (p,) = rate_problems(_doc())
    assert "fx gets 3 missile a day at fixed rates, above the 2 a day" in p.message
    assert "make on day 10 (their ramp)" in p.message
    assert p.field == "forces[fx].fleets[bat].munitions.missile.resupply[0].per_day"
    assert (p.file, p.line, p.column) == ("t.yaml", 18, 63)


def test_only_the_days_a_scenario_plays_count() -> None:
    assert rate_problems(_doc(scenarios=_scenario(9))) == []  # days 0..9, all at 4
    assert len(rate_problems(_doc(scenarios=_scenario(10)))) == 1  # day 10 at 2
    coalition = "scenarios: [{name: s, forces: [fx], horizon_days: 9}]"
    assert rate_problems(_doc(scenarios=coalition)) == []


@pytest.mark.parametrize(
    ("lead", "change", "fails"),
    [
        (5, "resupply: [{fleet: bat, munition: missile, per_day: 1}]", "from day 5"),
        (30, "resupply: [{fleet: bat, munition: missile, per_day: 4}]", None),
        (30, "resupply: [{fleet: bat, munition: missile, per_day: 7}]", "from day 30"),
        (
            30,
            "patch: {fleets: [{name: bat, munitions: {missile: {resupply: [{per_day: 7}]}}}]}",
            None,
        ),
        (
            30,
            "patch: {fleets: [{name: bat, munitions: {missile: {resupply: [{per_day: 8}]}}}]}",
            "9 missile a day",
        ),
    ],
)
def test_an_options_rate_counts_from_its_lead_time(
    lead: int, change: str, fails: str | None
) -> None:
    opt = f"options:\n  - {{name: more, force: fx, cost: 1, lead_time_days: {lead}, {change}}}\n"
    problems = rate_problems(_doc(rate="0.5", scenarios=_scenario(60), options=opt))
    if fails is None:
        assert problems == []
    else:
        (p,) = problems
        assert p.field.startswith("options[more].") and p.line > 0
        assert "with option 'more' fx gets" in p.message and fails in p.message


def test_cli_catalogue_check_fails_on_the_ramp(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text(TEXT.replace("RATE", "2").replace("SCENARIOS", ""))
    res = CliRunner().invoke(app, ["catalogue", "check", "--catalogue", str(extra)])
    assert res.exit_code == 2
    assert "make on day 10 (their ramp)" in res.stderr.replace("\n", " ")
