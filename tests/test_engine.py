"""Engine behaviour on whole scenarios: tempo, the 'available' basis, factors, summaries."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

import tether
from tests.helpers import single_pool
from tether._engine.analytic import part_pipelines, run_analytic, steady_state
from tether._engine.pipeline import clock, return_index, returned
from tether._engine.poisson import ebo
from tether._plan import compile_scenario


def test_tempo_profile_changes_demand_on_its_days() -> None:
    doc = single_pool(
        fleet={"hours_per_day": {"peace": 1.0, "war": 3.0}},
        scenario={"tempo": [{"start_day": 0, "level": "peace"}, {"start_day": 10, "level": "war"}]},
        horizon=90,
    )
    plan = compile_scenario(doc, doc.scenario())
    assert_allclose(plan.hours[0, :10], 1.0)
    assert_allclose(plan.hours[0, 10:], 3.0)
    m = part_pipelines(plan, 0)[0]
    # demand triples from day 10; a 30-day pipeline fills linearly to 3x by day 40
    assert_allclose(m[:11], 15.0)
    assert_allclose(m[10:41], 15 + 1.0 * np.arange(31))
    assert_allclose(m[40:], 45.0)


def test_available_basis_is_self_consistent() -> None:
    """Re-derive the stepped availability from its own demand with the fixed machinery."""
    doc = single_pool(
        fleet={"tempo_basis": "available"},
        cutoffs=[{"supplier": "acme", "start_day": 5, "end_day": 40}],
        horizon=80,
    )
    plan = compile_scenario(doc, doc.scenario())
    out = run_analytic(plan)
    a = out.availability[1, 0]
    zr = plan.units[0] * plan.quantity[0] * plan.failure_rate[0]
    _, a_ss = steady_state(plan)
    lam = zr * a * plan.hours[0]
    cum = np.concatenate([[0.0], np.cumsum(lam[:-1])])
    active = ~plan.cut[1, plan.route_supplier[0, 2], 1]
    ri = return_index(clock(active), np.array([30.0]))
    m = cum - returned(cum[None], lam[None], np.array([zr * a_ss[0]]), ri)[0]
    expected = 1 - (ebo(m, 10) - ebo(m, 30)) / 20  # empty positions E[min(B, N)] / N
    assert_allclose(a, expected, rtol=1e-10, atol=1e-14)
    # fewer units flying means fewer failures: never worse than the fleet basis
    fleet_doc = single_pool(
        cutoffs=[{"supplier": "acme", "start_day": 5, "end_day": 40}], horizon=80
    )
    fleet_out = run_analytic(compile_scenario(fleet_doc, fleet_doc.scenario()))
    assert np.all(a >= fleet_out.availability[1, 0] - 1e-12)
    assert a_ss[0] > fleet_out.availability[0, 0, 0]


def test_example_munitions_and_services() -> None:
    doc = tether.load("examples/single-fleet.yaml")
    result = tether.simulate(doc)
    fleet = result.data.sel(fleet="launchers")
    mun = fleet["munitions"].values
    # 1200 rounds at 20 a day with resupply cut: the stock lasts 60 days
    assert_allclose(mun[:60], 1.0)
    assert_allclose(mun[60:90], 0.0)
    assert_allclose(mun[90:], 1.0)  # resupply of 20 a day meets demand of 20 a day
    svc = fleet["services"].values
    assert_allclose(svc[:90], 0.5)
    assert_allclose(svc[90:], 1.0)


def test_example_summary_fixed_values() -> None:
    """Pinned figures of the example (analytic, deterministic) to catch regressions."""
    result = tether.simulate(tether.load("examples/single-fleet.yaml"))
    s = result.summary["long-range-fires"]
    assert s.time_to_survive == {0.75: 0, 0.5: 1}
    assert s.minimum_day == 60 and s.minimum == 0.0
    assert s.cutoff_end_day == 90
    # exact availability of the Z = 2 part (Sherbrooke's (1 - E/NZ)^Z gave 0.775605, 83.287231)
    assert_allclose(s.at_day[90], 0.777768, atol=1e-6)
    assert_allclose(s.days_lost, 83.069221, atol=1e-5)
    assert s.time_to_recover == 90


def test_result_exports(tmp_path: object) -> None:
    import pandas as pd

    result = tether.simulate(tether.load("examples/single-fleet.yaml"))
    areas = result.to_dataframe("area")
    lost = ["lost_parts", "lost_software", "lost_munitions", "lost_services"]
    assert list(areas.columns) == [
        *["scenario", "area", "day", "capability", "baseline", "fraction"],
        *lost,
    ]
    assert len(areas) == 366
    fleets = result.to_dataframe("fleet")
    assert {"availability", "software", "munitions", "services", "backorders"} <= set(fleets)
    files = result.write(tmp_path)  # type: ignore[arg-type]
    assert len(files) == 6
    parquet = pd.read_parquet([f for f in files if f.name == "us-pause-90.areas.parquet"][0])
    csv = pd.read_csv([f for f in files if f.name == "us-pause-90.areas.csv"][0])
    assert_allclose(parquet["fraction"], csv["fraction"])
