"""Summaries mean what they say: the same-day no-cutoff baseline, time to survive from the
first cutoff's start, days lost in day-0 capability, drivers that add up, warnings,
argument errors, JSON that is always valid, and the Monte Carlo memory guard.

Expected values are computed by hand (small curves, a munitions stock drawn down day by
day) or by an independent route (a scenario simulated on its own against an exposure row).
"""

from __future__ import annotations

import dataclasses
import json
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from typer.testing import CliRunner

import tether
from tether import _plan
from tether._api import _bands, _dataset, montecarlo_bytes
from tether._engine.montecarlo import run_montecarlo
from tether._errors import ArgumentError
from tether._metrics import drivers, summarise
from tether._plan import compile_scenario

ROOT = Path(__file__).resolve().parent.parent


def _strict(payload: Any) -> Any:
    def reject(token: str) -> None:
        raise ValueError(token)

    return json.loads(json.dumps(payload, allow_nan=False), parse_constant=reject)


# --- summarise on hand-made curves -----------------------------------------------------


def test_time_to_survive_counts_from_the_first_cutoff() -> None:
    base = np.full(11, 10.0)
    cap = np.array([10, 10, 8, 6, 4, 4, 6, 8, 10, 10, 10.0])
    s = summarise(cap, base, start_day=2, end_day=5)
    assert s.first_cutoff_day == 2
    assert s.survive_day == {0.75: 3, 0.5: 4}
    assert s.time_to_survive == {0.75: 1, 0.5: 2}
    assert s.capability_days_lost == 24.0 and s.days_lost == 2.4
    assert (s.minimum, s.minimum_day, s.cutoff_end_day, s.time_to_recover) == (0.4, 4, 5, 3)
    # without a cutoff the count starts on day 0
    s0 = summarise(cap, base)
    assert s0.first_cutoff_day is None and s0.time_to_survive == {0.75: 3, 0.5: 4}


def test_falling_baseline_by_hand() -> None:
    """The no-cutoff curve halves on day 4; the cutoff's curve falls to 2 on day 3."""
    base = np.array([8, 8, 8, 8, 4, 4, 4.0])
    cap = np.array([8, 8, 8, 2, 2, 2, 2.0])
    s = summarise(cap, base, start_day=1)
    assert (s.baseline, s.baseline_min, s.baseline_min_day, s.baseline_short_day) == (
        8.0,
        4.0,
        4,
        4,
    )
    assert s.capability_days_lost == 6 + 2 * 3  # 6 on day 3, then 2 a day
    assert s.days_lost == 12 / 8  # days of the day-0 capability (old rule: 0.75 + 3 * 0.5)
    assert s.at_day == {}  # no report day within 6 days
    assert s.minimum == 0.25 and s.minimum_day == 3
    assert s.time_to_survive == {0.75: 2, 0.5: 2} and s.survive_day == {0.75: 3, 0.5: 3}


def test_recovery_is_never_negative_and_past_horizon_ends_are_none() -> None:
    base = np.full(6, 1.0)
    cap = np.array([1, 0.5, 0.5, 1, 1, 1.0])
    assert summarise(cap, base, start_day=1, end_day=3).time_to_recover == 0
    s = summarise(cap, base, start_day=1, end_day=400)
    assert s.cutoff_end_day is None and s.time_to_recover is None
    late = summarise(base, base, start_day=400, end_day=500)
    assert late.first_cutoff_day is None and late.time_to_recover is None


def test_summary_json_is_finite() -> None:
    s = summarise(np.array([1.0, np.nan]), np.array([1.0, 1.0]))
    d = s.to_dict()
    assert d["reference"] == "same-day no-cutoff baseline"
    assert d["capability_days_lost"] is None and d["days_lost"] is None
    _strict(d)


# --- a force that runs short without any cutoff ----------------------------------------

SHORT = """
suppliers: [{name: acme, jurisdiction: US}]
systems:
  - name: gun
    parts: []
    munitions: [{name: shell, supplier: acme, use_per_unit_day: 1}]
forces:
  - name: f
    operator: EE
    areas: [{name: fires}]
    fleets:
      - name: guns
        system: gun
        area: fires
        units: 10
        hours_per_day: 1
        munitions: {shell: {stock: 100, resupply: [{per_day: 5}]}}
scenarios:
  - name: s
    force: f
    horizon_days: 40
    cutoffs: [{jurisdiction: US, kinds: [munitions], start_day: 10}]
"""


def test_force_that_runs_short_without_a_cutoff() -> None:
    """10 guns fire 10 rounds a day from 100 with 5 a day resupplied. Without a cutoff the
    stock is 100 - 5t, empty on day 20, then 5 a day fire: capability 10, then 5. With
    resupply stopped on day 10 (stock 50), the stock lasts to day 14: 10, then 0."""
    result = tether.simulate(tether.load_text(SHORT, "short.yaml"))
    base = np.r_[np.full(20, 10.0), np.full(21, 5.0)]
    cap = np.r_[np.full(15, 10.0), np.zeros(26)]
    assert_allclose(result.data["area_baseline"].values[0], base)
    assert_allclose(result.data["area_capability"].values[0], cap)
    s = result.summary["fires"]
    assert (s.baseline, s.baseline_min, s.baseline_min_day, s.baseline_short_day) == (
        10.0,
        5.0,
        20,
        20,
    )
    assert s.first_cutoff_day == 10
    assert s.time_to_survive == {0.75: 5, 0.5: 5} and s.survive_day == {0.75: 15, 0.5: 15}
    assert s.capability_days_lost == pytest.approx(5 * 10 + 21 * 5)
    # days of the day-0 capability; the old rule (sum of 1 - fraction) said 26
    assert s.days_lost == pytest.approx(15.5)
    assert s.at_day == {7: 1.0, 30: 0.0}
    assert result.drivers["fires"] == pytest.approx(
        {"parts": 0.0, "software": 0.0, "munitions": 155.0, "services": 0.0}
    )
    # the summary says so (every view flags it); warnings are for problems of the input
    assert s.baseline_short_day == 20 and result.warnings == ()
    payload = _strict(result.to_dict())
    area = payload["areas"][0]
    assert area["metrics"]["baseline_short_day"] == 20
    assert area["baseline"][19:21] == [10.0, 5.0]


def test_cutoff_after_the_horizon_warns_and_changes_nothing() -> None:
    doc = tether.load(ROOT / "examples" / "single-fleet.yaml")
    late = doc.scenario("us-pause-90").model_copy(
        update={
            "cutoffs": [tether.Cutoff(jurisdiction="US", kinds=["all"], start_day=400, end_day=500)]
        }
    )
    result = tether.simulate(doc, late)
    assert result.warnings == (
        "cutoff 1 (US, all) starts on day 400, after the horizon of 365 days: it changes nothing",
    )
    s = result.summary["long-range-fires"]
    assert s.cutoff_end_day is None and s.time_to_recover is None
    assert s.first_cutoff_day is None and s.capability_days_lost == 0.0
    assert _strict(result.to_dict())["warnings"] == list(result.warnings)


def test_result_json_never_holds_nan() -> None:
    result = tether.simulate(tether.load(ROOT / "examples" / "single-fleet.yaml"))
    data = result.data.copy(deep=True)
    data["area_fraction"][0, 5] = np.nan
    data["area_baseline"][0, 6] = np.inf
    broken = dataclasses.replace(result, data=data)
    area = _strict(broken.to_dict())["areas"][0]
    assert area["fraction"][5] is None and area["baseline"][6] is None


# --- drivers ----------------------------------------------------------------------------


def test_drivers_by_hand() -> None:
    f0 = np.array([0.9, 1.0, 0.8, 1.0])[:, None]
    # software halved, services quartered: log shares 1/3 and 2/3
    f = np.array([0.9, 0.5, 0.8, 0.25])[:, None]
    loss = np.array([0.9 * 0.8 - 0.9 * 0.5 * 0.8 * 0.25])
    assert_allclose(drivers(f0, f, loss)[:, 0], [0, loss[0] / 3, 0, 2 * loss[0] / 3])
    # munitions to 0: the whole loss, whatever else moved
    f = np.array([0.5, 0.5, 0.0, 1.0])[:, None]
    assert_allclose(drivers(f0, f, np.array([0.72]))[:, 0], [0, 0, 0.72, 0])
    # software rose (a catch-up update) while parts fell: a negative share
    f = np.array([0.45, 1.0, 0.8, 1.0])[:, None]
    f0b = np.array([0.9, 0.8, 0.8, 1.0])[:, None]
    split = drivers(f0b, f, np.array([0.9 * 0.8 * 0.8 - 0.45 * 0.8]))[:, 0]
    assert split[1] < 0 < split[0] and split.sum() == pytest.approx(0.9 * 0.64 - 0.36)
    # nothing moved
    assert_allclose(drivers(f0, f0, np.array([0.0]))[:, 0], 0.0)


factor = st.one_of(st.just(0.0), st.floats(0.0, 1.0), st.just(1.0))


@settings(max_examples=200, deadline=None)
@given(st.lists(factor, min_size=4, max_size=4), st.lists(factor, min_size=4, max_size=4))
def test_drivers_always_sum_to_the_loss(base: list[float], case: list[float]) -> None:
    f0, f = np.array(base)[:, None], np.array(case)[:, None]
    loss = np.array([np.prod(f0) - np.prod(f)])
    split = drivers(f0, f, loss)
    assert np.isfinite(split).all()
    assert split.sum() == pytest.approx(loss[0], abs=1e-9)


def _system_doc(kinds: list[str]) -> tether.Document:
    text = f"""
suppliers: [{{name: acme, jurisdiction: US}}]
systems:
  - name: jet
    parts:
      - name: radar
        failure_rate: 0.002
        supplier_repair: {{supplier: acme, turnaround_days: 30}}
    software:
      - name: mission-data
        supplier: acme
        cadence_days: 30
        decay: {{grace_days: 30, decline_days: 60, floor: 0.3}}
    services: [{{name: link, supplier: acme, factor_when_withheld: 0.7}}]
forces:
  - name: f
    operator: EE
    areas: [{{name: air}}]
    fleets:
      - {{name: jets, system: jet, area: air, units: 12, hours_per_day: 2, spares: {{radar: 2}}}}
scenarios:
  - name: s
    force: f
    horizon_days: 200
    cutoffs: [{{jurisdiction: US, kinds: {kinds}, start_day: 5, end_day: 120}}]
"""
    return tether.load_text(text, "jets.yaml")


@pytest.mark.parametrize("engine", ["analytic", "montecarlo"])
def test_pure_software_cutoff_is_all_software(engine: str) -> None:
    result = tether.simulate(_system_doc(["software"]), engine=engine, reps=64, seed=3)
    lost = result.summary["air"].capability_days_lost
    split = result.drivers["air"]
    if engine == "analytic":
        assert split["software"] == pytest.approx(lost) and lost > 10
        assert split["parts"] == split["munitions"] == split["services"] == 0.0
    else:  # the mean factors of parts differ by sampling noise only
        assert split["software"] == pytest.approx(lost, rel=0.05)
    assert sum(split.values()) == pytest.approx(lost)


@pytest.mark.parametrize("engine", ["analytic", "montecarlo"])
def test_drivers_sum_to_capability_days_lost_on_every_example(engine: str) -> None:
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        doc = tether.load(path)
        for sc in doc.own_scenarios()[:1]:
            r = tether.simulate(doc, sc, engine=engine, reps=16, seed=1)
            for name, s in [*r.summary.items()]:
                assert sum(r.drivers[name].values()) == pytest.approx(
                    s.capability_days_lost, rel=1e-9, abs=1e-6
                ), (path.name, name)
            for name, s in r.fleet_summary.items():
                assert sum(r.fleet_drivers[name].values()) == pytest.approx(
                    s.capability_days_lost, rel=1e-9, abs=1e-6
                ), (path.name, name)


def test_drivers_in_tables() -> None:
    r = tether.simulate(_system_doc(["all"]))
    area = r.to_dataframe("area")
    lost = area[["lost_parts", "lost_software", "lost_munitions", "lost_services"]].sum(axis=1)
    assert_allclose(lost, area["baseline"] - area["capability"], atol=1e-9)
    summary = r.summary_frame()
    assert summary.loc[0, "lost_services"] == pytest.approx(r.drivers["air"]["services"])
    assert summary.loc[0, "survive_day_0.75"] is not None


# --- exposure: value weighting against an independent simulation ------------------------


def test_exposure_days_lost_are_value_weighted_capability_days() -> None:
    doc = tether.load_text("scenarios: []\n")
    ranked = tether.exposure(doc, "canada", horizon=120, start_day=10)
    assert ranked.weighting == "value"
    row = next(r for r in ranked.rows if r.target == "US" and r.kinds == "all")
    scenario = tether.Scenario(
        name="us-all",
        force="canada",
        horizon_days=120,
        cutoffs=[tether.Cutoff(jurisdiction="US", kinds=["all"], start_day=10)],
    )
    alone = tether.simulate(doc, scenario)
    lost = sum(s.capability_days_lost for s in alone.summary.values())
    base0 = sum(s.baseline for s in alone.summary.values())
    assert row.capability_days_lost == pytest.approx(lost)
    assert row.days_lost == pytest.approx(lost / base0)
    force_cap = alone.data["area_capability"].sum("area").values
    force_base = alone.data["area_baseline"].sum("area").values
    below = np.flatnonzero(force_cap / force_base < 0.75)
    expected = int(below[0]) - 10 if below.size else None
    assert row.time_to_survive[0.75] == expected  # counted from the cutoff's start
    top = max(r.capability_days_lost for r in ranked.rows)
    assert row.risk_exposure_index == pytest.approx(row.capability_days_lost / top)

    equal = tether.exposure(doc, "canada", horizon=120, start_day=10, weighting="equal")
    erow = next(r for r in equal.rows if r.target == "US" and r.kinds == "all")
    per_area = [s.capability_days_lost / s.baseline for s in alone.summary.values()]
    assert equal.weighting == "equal" and erow.days_lost == pytest.approx(np.mean(per_area))
    assert equal.to_dict()["weighting"] == "equal"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_day": 400}, "after the horizon"),
        ({"start_day": -1}, "at least 0"),
        ({"duration": 0}, "duration"),
        ({"horizon": 0}, "horizon"),
        ({"weighting": "area"}, "weighting"),
        ({"by": "country"}, "by must be"),
        ({"thresholds": (0.5, 0.75)}, "decreasing order"),
        ({"thresholds": (1.5,)}, "strictly between 0 and 1"),
        ({"thresholds": ()}, "strictly between 0 and 1"),
    ],
)
def test_exposure_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    doc = tether.load_text("scenarios: []\n")
    with pytest.raises(ArgumentError, match=match) as info:
        tether.exposure(doc, "canada", **kwargs)
    assert info.value.exit_code == 2


# --- argument errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"engine": "montecarlo", "seed": -1}, "seed must be at least 0, not -1"),
        ({"engine": "montecarlo", "seed": True}, "seed"),
        ({"engine": "montecarlo", "reps": 1}, "reps must be between 2"),
        ({"engine": "montecarlo", "reps": 10**8}, "reps must be between 2"),
        ({"engine": "quantum"}, "unknown engine"),
        ({"quantiles": (0.1, 1.5)}, "quantiles"),
        ({"scenario": "no-such"}, "no-such"),
    ],
)
def test_simulate_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    doc = tether.load(ROOT / "examples" / "single-fleet.yaml")
    with pytest.raises(ArgumentError, match=match) as info:
        tether.simulate(doc, **kwargs)
    assert isinstance(info.value, tether.TetherError) and info.value.exit_code == 2


# --- the Monte Carlo memory guard -------------------------------------------------------


def _force(n_fleets: int, horizon: int = 365) -> tether.Document:
    base = yaml.safe_load((ROOT / "examples" / "single-fleet.yaml").read_text())
    fleet = base["forces"][0]["fleets"][0]
    base["forces"][0]["fleets"] = [dict(fleet, name=f"launchers-{i}") for i in range(n_fleets)]
    base["scenarios"][0]["horizon_days"] = horizon
    return tether.load_text(yaml.safe_dump(base, sort_keys=False), "force.yaml")


@pytest.mark.parametrize(("n_fleets", "reps"), [(1, 1500), (60, 16)])
def test_memory_estimate_covers_the_measured_peak(n_fleets: int, reps: int) -> None:
    doc = _force(n_fleets)
    tracemalloc.start()
    try:
        plan = compile_scenario(doc, doc.scenario())
        out = run_montecarlo(plan, reps, np.random.default_rng(1), keep_samples=[1])
        _bands(plan, _dataset(plan, out.mean), out, (0.1, 0.5, 0.9), (0.75, 0.5))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = montecarlo_bytes(plan, reps)
    assert peak <= estimate <= 4 * peak, (peak, estimate)


def test_monte_carlo_too_large_is_refused_with_what_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = tether.load(ROOT / "examples" / "single-fleet.yaml")
    plan = compile_scenario(doc, doc.scenario())
    limit = montecarlo_bytes(plan, 100)
    monkeypatch.setattr(_plan, "DEFAULT_MAX_BYTES", limit)
    with pytest.raises(tether.CapacityError) as info:
        tether.simulate(doc, engine="montecarlo", reps=5000, seed=1)
    (d,) = info.value.diagnostics
    assert d.file.endswith("single-fleet.yaml") and d.line > 0
    assert d.field.endswith("horizon_days")
    assert "at most 100 fit" in d.message and "TETHER_MAX_BYTES" in d.message
    assert info.value.exit_code == 2
    # what it says fits does run
    assert tether.simulate(doc, engine="montecarlo", reps=100, seed=1).settings["reps"] == 100


@pytest.mark.slow  # about 3 s, most of it loading and compiling 10,000 fleets
def test_ten_thousand_fleets_times_a_hundred_reps_is_refused(tmp_path: Path) -> None:
    from tether._cli.main import app

    path = tmp_path / "big.yaml"
    base = yaml.safe_load((ROOT / "examples" / "single-fleet.yaml").read_text())
    fleet = base["forces"][0]["fleets"][0]
    base["forces"][0]["fleets"] = [dict(fleet, name=f"l{i}") for i in range(10_000)]
    path.write_text(json.dumps(base, indent=1))  # JSON is YAML, and much faster to write
    result = CliRunner().invoke(
        app, ["run", str(path), "--engine", "montecarlo", "--reps", "100", "--seed", "1"]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert "big.yaml:" in text and "horizon_days" in text
    assert "GiB" in text and "TETHER_MAX_BYTES" in text


def test_exposure_flags_areas_that_run_short_without_a_cutoff() -> None:
    """European NATO's interceptors run out at the catalogue's tempo with no cutoff at all:
    the exposure says so, with the day, computed here from a plain simulation."""
    doc = tether.load_text("{}\n", "<catalogue>")
    ranked = tether.exposure(doc, "european-nato")
    scenario = tether.Scenario(name="none", force="european-nato", horizon_days=365)
    alone = tether.simulate(doc, scenario)
    expected = {
        area: s.baseline_short_day
        for area, s in alone.summary.items()
        if s.baseline_short_day is not None
    }
    assert expected and ranked.short_areas == expected
    assert ranked.to_dict()["short_without_cutoff"] == expected
    from typer.testing import CliRunner

    from tether._cli.main import app

    res = CliRunner().invoke(app, ["exposure", "european-nato", "--top", "3"])
    assert res.exit_code == 0
    for area, day in expected.items():
        assert f"{area} runs short even without a cutoff" in res.output
        assert f"of day 0 on day {day}" in " ".join(res.output.split())


def test_memory_estimate_covers_the_burn_in_of_the_available_basis() -> None:
    """Fleets on the 'available' basis are stepped through a burn-in of three mean
    turnarounds before day 0: a long turnaround and a short horizon must still be covered."""
    base = yaml.safe_load((ROOT / "examples" / "single-fleet.yaml").read_text())
    base["forces"][0]["fleets"][0]["tempo_basis"] = "available"
    for part in base["systems"][0]["parts"]:
        if part.get("supplier_repair"):
            part["supplier_repair"]["turnaround_days"] = 400
    base["scenarios"][0]["horizon_days"] = 10
    doc = tether.load_text(yaml.safe_dump(base, sort_keys=False), "force.yaml")
    tracemalloc.start()
    try:
        plan = compile_scenario(doc, doc.scenario())
        out = run_montecarlo(plan, 200, np.random.default_rng(1), keep_samples=[1])
        _bands(plan, _dataset(plan, out.mean), out, (0.1, 0.5, 0.9), (0.75, 0.5))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = montecarlo_bytes(plan, 200)
    assert peak <= estimate <= 4 * peak, (peak, estimate)


def test_malformed_memory_bound_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tether._cli.main import app

    monkeypatch.setenv("TETHER_MAX_BYTES", "4G")
    res = CliRunner().invoke(app, ["run", str(ROOT / "examples" / "single-fleet.yaml")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "TETHER_MAX_BYTES must be a number of bytes such as 8e9, not '4G'" in res.output
    monkeypatch.setenv("TETHER_MAX_BYTES", "8e9")
    assert _plan.max_bytes_allowed() == 8_000_000_000


def test_only_cutoffs_that_act_set_the_start_and_the_end() -> None:
    """A cutoff past the horizon, or of a country that stops nothing this force uses,
    changes nothing: it moves neither the first cutoff's start nor the last one's end."""
    base = yaml.safe_load((ROOT / "examples" / "single-fleet.yaml").read_text())
    (scenario,) = base["scenarios"]
    real = scenario["cutoffs"]
    plain = tether.simulate(tether.load_text(yaml.safe_dump(base), "a.yaml"))
    scenario["cutoffs"] = [
        {"jurisdiction": "FR", "kinds": ["all"], "start_day": 0, "end_day": 10},
        *real,
        {"jurisdiction": "US", "kinds": ["services"], "start_day": 400},
    ]
    noisy = tether.simulate(tether.load_text(yaml.safe_dump(base), "b.yaml"))
    a, b = plain.summary["long-range-fires"], noisy.summary["long-range-fires"]
    assert (b.first_cutoff_day, b.cutoff_end_day) == (a.first_cutoff_day, a.cutoff_end_day)
    assert b.time_to_survive == a.time_to_survive and b.time_to_recover == a.time_to_recover
    assert len(noisy.warnings) == 2
    assert "cutoff 1 (FR, all) stops no supplier" in noisy.warnings[0]
    assert "cutoff 3 (US, services) starts on day 400" in noisy.warnings[1]
