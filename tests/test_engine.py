"""Engine behaviour on whole scenarios: tempo, the 'available' basis, factors, summaries."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

import tether
from tests.helpers import single_pool
from tether._engine.analytic import part_pipelines, run_analytic, steady_state
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


def test_available_basis_is_stationary_then_cut() -> None:
    """The carried law starts in its own steady state: the baseline is the same every day,
    the scenario equals it until its cut starts (the same method in every batch member),
    and grounded units do not fail, so it never falls below the fleet basis."""
    cut = [{"supplier": "acme", "start_day": 5, "end_day": 40}]
    doc = single_pool(fleet={"tempo_basis": "available"}, cutoffs=cut, horizon=80)
    plan = compile_scenario(doc, doc.scenario())
    out = run_analytic(plan)
    base, a = out.availability[0, 0], out.availability[1, 0]
    assert np.ptp(base) < 1e-12
    assert np.array_equal(a[:6], base[:6])
    assert a[20] < base[0] - 0.05  # the cut bites
    fleet_doc = single_pool(cutoffs=cut, horizon=80)
    fleet_out = run_analytic(compile_scenario(fleet_doc, fleet_doc.scenario()))
    assert np.all(a >= fleet_out.availability[1, 0] - 1e-12)
    assert base[0] > fleet_out.availability[0, 0, 0]
    # mean-field fixed point (the Monte Carlo engine's starting guess) and the carried
    # steady state are close, not equal
    _, a_ss = steady_state(plan)
    assert 0 < abs(a_ss[0] - base[0]) < 0.02


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
