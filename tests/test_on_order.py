"""Fleets' units held and on order: compile, both engines, checks, CLI and outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tether
from tests.helpers import single_pool
from tether import _plan as tether_plan
from tether._cli.main import app
from tether._model import Option
from tether._plan import compile_scenario
from tether._plan_orders import holding_problems

runner = CliRunner()

ORDERS = [
    {"units": 5, "day": 20},
    {"units": 3, "date": "2026-02-10", "source": "https://example.org/contract"},
    {"units": 4, "day": 100},  # past the horizon: changes nothing
]


def _doc(on_order: list[dict[str, Any]], **kwargs: Any) -> tether.Document:
    fleet = {"on_order": on_order, **kwargs.pop("fleet", {})}
    return single_pool(units=10, horizon=60, fleet=fleet, **kwargs)


def _baseline(doc: tether.Document, **kwargs: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    result = tether.simulate(doc, "s", **kwargs)
    return np.asarray(result.data["baseline_capability"].sel(fleet="pool").values)


def test_deliveries_compile_to_unit_steps() -> None:
    doc = _doc(ORDERS)
    plan = compile_scenario(doc, doc.scenarios[0])
    assert plan.units.tolist() == [10.0]  # units held
    assert plan.un_fleet.tolist() == [0, 0]
    assert plan.un_day.tolist() == [20, 40]  # 2026-02-10 is day 40 from 2026-01-01
    assert plan.un_add.tolist() == [5.0, 3.0]  # day 100 is past the 60-day horizon


def test_a_date_counts_from_the_scenario_start_date() -> None:
    doc = _doc(ORDERS, scenario={"start_date": "2026-02-01"})
    plan = compile_scenario(doc, doc.scenarios[0])
    assert plan.un_day.tolist() == [20, 9]
    late = _doc([{"units": 3, "date": "2030-01-01"}])
    plan = compile_scenario(late, late.scenarios[0])
    assert plan.un_day.size == 0  # a delivery past the horizon changes nothing


def test_no_orders_leave_the_plan_unchanged() -> None:
    plain = single_pool(units=10, horizon=60)
    doc = _doc([{"units": 4, "day": 61}])
    a, b = (tether.simulate(d, "s") for d in (plain, doc))
    assert np.array_equal(a.data["capability"].values, b.data["capability"].values)


def test_analytic_capability_steps_up_on_the_delivery_day() -> None:
    base = _baseline(_doc(ORDERS))
    plain = _baseline(single_pool(units=10, horizon=60))
    assert np.allclose(base[:20], plain[:20])  # nothing before the first delivery
    assert base[20] - base[19] == pytest.approx(4.8005, abs=1e-3)
    assert base[40] - base[39] == pytest.approx(2.5463, abs=1e-3)
    assert base[20] == pytest.approx(9.876010, abs=1e-5)
    assert base[60] == pytest.approx(3.529202, abs=1e-5)


def test_montecarlo_agrees_with_analytic_within_sampling_error() -> None:
    doc = _doc(ORDERS)
    exact = _baseline(doc)
    mc = tether.simulate(doc, "s", engine="montecarlo", reps=2000, seed=7)
    mean = mc.data["capability"].sel(fleet="pool").values  # the scenario has no cutoff
    se = mc.data["capability_se"].sel(fleet="pool").values
    for day in (19, 20, 21, 39, 40, 41, 60):
        assert abs(mean[day] - exact[day]) <= 4 * se[day] + 1e-9, day
    assert mean[20] - mean[19] > 4.0  # the step is in the Monte Carlo means too


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    day=st.integers(0, 60),
    few=st.integers(1, 20),
    more=st.integers(0, 20),
    load=st.floats(0.05, 0.65),
    spares=st.integers(0, 6),
)
def test_more_units_on_order_never_lower_capability(
    day: int, few: int, more: int, load: float, spares: int
) -> None:
    """While each unit's part is out for repair less than all the time (per-unit demand
    times turnaround, plus the cutoff's length, below 1, as in any real fleet), more units
    on order never lower capability on any day. (Beyond that, under the 'fleet' tempo basis
    a unit keeps failing while down, so a larger fleet can fall to zero sooner.)"""
    kw: dict[str, Any] = {
        "units": 10,
        "horizon": 60,
        "turnaround": 30.0,
        "demand_per_day": load * 10 / 30,
        "spares": spares,
        "cutoffs": [{"supplier": "acme", "start_day": 5, "end_day": 15}],
    }
    caps = []
    for n in (few, few + more):
        doc = single_pool(fleet={"on_order": [{"units": n, "day": day}]}, **kw)
        caps.append(tether.simulate(doc, "s").data["capability"].values[0])
    assert np.all(caps[1] >= caps[0] - 1e-9)


def _write(tmp_path: Path, fleet: dict[str, Any], scenario: dict[str, Any] | None = None) -> Path:
    text = {
        "suppliers": [{"name": "acme", "jurisdiction": "US"}],
        "systems": [
            {
                "name": "pool",
                "parts": [
                    {
                        "name": "item",
                        "failure_rate": 0.002,
                        "supplier_repair": {"supplier": "acme", "turnaround_days": 30},
                    }
                ],
            }
        ],
        "forces": [
            {
                "name": "f",
                "operator": "EE",
                "areas": [{"name": "a"}],
                "fleets": [
                    {"name": "pool", "system": "pool", "area": "a", "units": 10}
                    | {"hours_per_day": 1}
                    | fleet
                ],
            }
        ],
        "scenarios": [{"name": "s", "force": "f", "horizon_days": 60} | (scenario or {})],
    }
    path = tmp_path / "orders.yaml"
    path.write_text(yaml.safe_dump(text, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("order", "scenario", "field", "message"),
    [
        ({"units": -3, "day": 5}, None, "on_order[0].units", "greater than or equal to 1"),
        ({"units": 3, "day": 5, "date": "2027-01-01"}, None, "on_order[0]", "exactly one"),
        ({"units": 3}, None, "on_order[0]", "exactly one of 'day' or 'date'"),
        (
            {"units": 3, "date": "2025-06-30"},
            {"start_date": "2026-01-01"},
            "on_order[0].date",
            "before scenario 's' starts (2026-01-01",
        ),
    ],
)
def test_located_errors_exit_2(
    tmp_path: Path,
    order: dict[str, Any],
    scenario: dict[str, Any] | None,
    field: str,
    message: str,
) -> None:
    path = _write(tmp_path, {"on_order": [order]}, scenario)
    for command in (["validate", str(path)], ["run", str(path)]):
        res = runner.invoke(app, command)
        assert res.exit_code == 2, res.output
        assert f"{path}:" in res.stderr and field in res.stderr and message in res.stderr
        assert "Traceback" not in res.output


def test_run_shows_units_held_and_on_order(tmp_path: Path) -> None:
    path = _write(tmp_path, {"on_order": [{"units": 5, "day": 20}, {"units": 2, "day": 90}]})
    res = runner.invoke(app, ["run", str(path), "--json"])
    assert res.exit_code == 0, res.output
    fleet = json.loads(res.stdout)["results"][0]["fleets"][0]
    assert (fleet["units_held"], fleet["units_on_order"]) == (10, 7)
    assert fleet["baseline"][20] > fleet["baseline"][19]
    res = runner.invoke(app, ["run", str(path), "--fleets"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "units (+ on order)" in res.stdout and "10 + 7" in res.stdout


FORCE = """
forces:
  - name: test-orders
    operator: PL
    sources: [https://example.org/contract]
    cited:
      fleets.launchers.units: https://example.org/contract
      fleets.launchers.contracted: https://example.org/contract
    assumed:
      fleets: "illustrative"
    areas: [{name: fires}]
    fleets:
      - name: launchers
        system: himars
        area: fires
        units: HELD
        contracted: 30
        on_order: [{units: 10, date: "2027-06-01", source: https://example.org/contract}]
        hours_per_day: 4
"""


def test_catalogue_check_fails_on_ordered_units_counted_as_held(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    alone = runner.invoke(app, ["catalogue", "check"])
    extra.write_text(FORCE.replace("HELD", "20"))
    res = runner.invoke(app, ["catalogue", "check", "--catalogue", str(extra)])
    assert "test-orders" not in res.stderr
    if alone.exit_code == 0:  # the built-in catalogue passes: so does it with this force
        assert res.exit_code == 0, res.stderr
    extra.write_text(FORCE.replace("HELD", "30"))
    res = runner.invoke(app, ["catalogue", "check", "--catalogue", str(extra)])
    assert res.exit_code == 2
    assert (
        f"{extra}:16:16: forces[test-orders].fleets[launchers].units: fleet 'launchers' "
        "holds 30 units and has 10 on order, 40 in all, but 30 are contracted"
    ) in " ".join(res.stderr.split())


def test_holding_problems() -> None:
    def doc(units: int, contracted: int | None, on_order: int) -> tether.Document:
        fleet: dict[str, Any] = {"units": units, "contracted": contracted}
        if on_order:
            fleet["on_order"] = [{"units": on_order, "day": 400}]
        return single_pool(fleet=fleet)

    assert holding_problems(doc(20, 30, 10)) == []
    assert holding_problems(doc(20, None, 10)) == []
    assert "more than the 15 contracted" in holding_problems(doc(20, 15, 0))[0].message
    assert "list the undelivered units" in holding_problems(doc(20, 30, 5))[0].message
    assert "counted as held" in holding_problems(doc(20, 25, 10))[0].message


def test_catalogue_show_lists_holdings(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text(FORCE.replace("HELD", "20"))
    res = runner.invoke(app, ["catalogue", "show", "test-orders", "--catalogue", str(extra)])
    assert res.exit_code == 0, res.output
    assert "launchers: 20 held, 10 on order (30)" in res.stdout


def test_an_option_replacing_a_fleet_withdraws_units_delivered_to_it() -> None:
    """Units on order join the options' unit steps: a replacement of 5 units from day 10
    withdraws the 2 held and the 3 delivered on day 5, not only the 2 held."""
    option = Option.model_validate(
        {
            "name": "swap",
            "force": "f",
            "cost": 1,
            "lead_time_days": 10,
            "deliveries": [
                {"fleet": "alt", "system": "pool", "area": "a", "hours_per_day": 1}
                | {"units": 5, "replaces": "pool"}
            ],
        }
    )
    doc = single_pool(units=2, fleet={"on_order": [{"units": 3, "day": 5}]})
    force, scenario = doc.force("f"), doc.scenarios[0]
    plan = tether_plan.compile_plan(doc, force, scenario, [[]], ["baseline"], options=[option])
    held = {
        name: [
            plan.units[i] + plan.un_add[(plan.un_fleet == i) & (plan.un_day <= t)].sum()
            for t in (4, 5, 9, 10)
        ]
        for i, name in enumerate(plan.fleets)
    }
    assert held == {"pool": [2, 5, 5, 0], "alt": [0, 0, 0, 5]}
