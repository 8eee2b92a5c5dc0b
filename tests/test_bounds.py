"""Absurd values: every number is bounded and typed, and what a plan derives stays finite.

Each bad value is one located message (file, line, column, field path) from the loader
and exit 2 from the command, without a traceback; the worst legal combination of values
runs through both engines to finite results.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tether
from tether import InputError
from tether._checks import MAX_ITEMS_OUT
from tether._model import (
    MAX_COST,
    MAX_DAYS,
    MAX_FAILURE_RATE,
    MAX_HORIZON_DAYS,
    MAX_HOURS_PER_DAY,
    MAX_QUANTITY,
    MAX_ROUNDS,
    MAX_SIGMA,
    MAX_SPARES,
    MAX_UNITS,
    MAX_USE_PER_UNIT_DAY,
    MAX_WEIGHT,
    Document,
)
from tether._plan import compile_scenario

runner = CliRunner()

BASE = """\
suppliers:
  - {name: acme, jurisdiction: US}
systems:
  - name: s
    parts:
      - name: p
        failure_rate: 0.001
        supplier_repair: {supplier: acme, turnaround_days: 30}
    munitions:
      - {name: m, supplier: acme, use_per_unit_day: 2}
forces:
  - name: f
    operator: EE
    areas: [{name: a}]
    fleets:
      - name: fl
        system: s
        area: a
        units: 4
        hours_per_day: 2
        munitions: {m: {stock: 100, resupply: [{per_day: 5}]}}
scenarios:
  - {name: sc, force: f, horizon_days: 30}
"""

# (replaced text, replacement, line, column, field path, words of the message)
BAD = [
    pytest.param(
        "failure_rate: 0.001",
        "failure_rate: 1e308",
        7,
        23,
        "systems[s].parts[p].failure_rate",
        "less than or equal to 10",
        id="failure_rate-1e308",
    ),
    pytest.param(
        "hours_per_day: 2",
        "hours_per_day: 1e308",
        20,
        24,
        "forces[f].fleets[fl].hours_per_day",
        "less than or equal to 24",
        id="hours_per_day-1e308",
    ),
    pytest.param(
        "stock: 100",
        "stock: 1e308",
        21,
        32,
        "forces[f].fleets[fl].munitions.m.stock",
        "less than or equal to 1e+13",
        id="stock-1e308",
    ),
    pytest.param(
        "per_day: 5",
        "per_day: 1.0e+308",
        21,
        58,
        "forces[f].fleets[fl].munitions.m.resupply[0].per_day",
        "less than or equal to 1e+13",
        id="per_day-1e308",
    ),
    pytest.param(
        "units: 4",
        "units: true",
        19,
        16,
        "forces[f].fleets[fl].units",
        "true/false is not a number",
        id="units-true",
    ),
    pytest.param(
        "failure_rate: 0.001",
        "failure_rate: false",
        7,
        23,
        "systems[s].parts[p].failure_rate",
        "true/false is not a number",
        id="failure_rate-false",
    ),
    pytest.param(
        "hours_per_day: 2",
        "hours_per_day: {default: true}",
        20,
        34,
        "forces[f].fleets[fl].hours_per_day.default",
        "true/false is not a number",
        id="hours_per_day-level-true",
    ),
    pytest.param(
        "units: 4",
        'units: "4"',
        19,
        16,
        "forces[f].fleets[fl].units",
        "valid integer",
        id="units-text",
    ),
    pytest.param(
        "units: 4",
        "units: -3",
        19,
        16,
        "forces[f].fleets[fl].units",
        "greater than or equal to 1",
        id="units-negative",
    ),
    pytest.param(
        "failure_rate: 0.001",
        "failure_rate: -0.5",
        7,
        23,
        "systems[s].parts[p].failure_rate",
        "greater than or equal to 0",
        id="failure_rate-negative",
    ),
    pytest.param(
        "stock: 100",
        "stock: -1",
        21,
        32,
        "forces[f].fleets[fl].munitions.m.stock",
        "greater than or equal to 0",
        id="stock-negative",
    ),
    pytest.param(
        "turnaround_days: 30",
        "turnaround_days: .nan",
        8,
        60,
        "systems[s].parts[p].supplier_repair.turnaround_days",
        "finite number",
        id="turnaround-nan",
    ),
    pytest.param(
        "use_per_unit_day: 2",
        "use_per_unit_day: .inf",
        10,
        53,
        "systems[s].munitions[m].use_per_unit_day",
        "finite number",
        id="use-inf",
    ),
]


def test_base_file_is_good() -> None:
    doc = tether.load_text(BASE, "bad.yaml")
    assert doc.force("f").fleets[0].munitions["m"].stock == 100


@pytest.mark.parametrize(("old", "new", "line", "column", "field", "words"), BAD)
def test_bad_value_is_one_located_error(
    old: str, new: str, line: int, column: int, field: str, words: str
) -> None:
    assert old in BASE
    with pytest.raises(InputError) as info:
        tether.load_text(BASE.replace(old, new), "bad.yaml")
    (d,) = info.value.diagnostics
    assert (d.file, d.line, d.column, d.field) == ("bad.yaml", line, column, field)
    assert words in d.message


@pytest.mark.parametrize(("old", "new", "line", "column", "field", "words"), BAD[:5])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_value_through_the_command(
    tmp_path: Path, command: str, old: str, new: str, line: int, column: int, field: str, words: str
) -> None:
    from tether._cli.main import app

    path = tmp_path / "bad.yaml"
    path.write_text(BASE.replace(old, new))
    res = runner.invoke(app, [command, str(path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert f"bad.yaml:{line}:{column}: {field}:" in res.output
    assert words in res.output


def test_exponent_forms_are_numbers() -> None:
    """YAML 1.2 numbers without a dot or a signed exponent (text to a YAML 1.1 reader)."""
    text = BASE.replace("failure_rate: 0.001", "failure_rate: 1e-3").replace(
        "stock: 100", "stock: 2.5E2"
    )
    doc = tether.load_text(text.replace("units: 4", "units: 4e0"), "ok.yaml")
    fleet = doc.force("f").fleets[0]
    assert doc.system("s").parts[0].failure_rate == 0.001
    assert (fleet.munitions["m"].stock, fleet.units) == (250.0, 4)
    assert isinstance(fleet.units, int)


def test_whole_numbers_where_fractions_are_expected() -> None:
    doc = tether.load_text(BASE.replace("turnaround_days: 30", "turnaround_days: 30"), "ok.yaml")
    route = doc.system("s").parts[0].supplier_repair
    assert route is not None and route.turnaround_days == 30.0


def test_bounds_are_in_the_schema() -> None:
    defs = tether.schema()["$defs"]
    assert defs["Part"]["properties"]["failure_rate"]["maximum"] == MAX_FAILURE_RATE
    assert defs["Part"]["properties"]["unit_cost"]["maximum"] == MAX_COST
    hours = defs["Fleet"]["properties"]["hours_per_day"]["oneOf"]
    assert [h.get("maximum") for h in hours] == [MAX_HOURS_PER_DAY, None]
    (per_level,) = hours[1]["patternProperties"].values()
    assert per_level["maximum"] == MAX_HOURS_PER_DAY
    assert defs["MunitionHolding"]["properties"]["stock"]["maximum"] == MAX_ROUNDS
    assert defs["Decay"]["properties"]["grace_days"]["maximum"] == MAX_DAYS


def test_bounds_are_documented() -> None:
    text = Path("docs/format.md").read_text()
    for value in ("36500 days", "1e13", "1e7", "1e6", "10,000,000", "1e9"):
        assert value in text, value


# -- derived quantities ---------------------------------------------------------------------


def _overflowing() -> str:
    return (
        BASE.replace("failure_rate: 0.001", "failure_rate: 10\n        quantity: 10000")
        .replace("units: 4", "units: 1000000")
        .replace("hours_per_day: 2", "hours_per_day: 24")
    )


def test_product_beyond_any_fleet_is_a_located_error() -> None:
    doc = tether.load_text(_overflowing(), "big.yaml")
    with pytest.raises(InputError) as info:
        tether.simulate(doc)
    (d,) = info.value.diagnostics
    assert (d.file, d.line, d.column, d.field) == ("big.yaml", 20, 16, "forces[f].fleets[fl].units")
    assert "units x quantity x hours_per_day x failure_rate" in d.message
    assert "2.4e+12 failures a day" in d.message and "part 'p'" in d.message


def test_product_through_the_command(tmp_path: Path) -> None:
    from tether._cli.main import app

    path = tmp_path / "big.yaml"
    path.write_text(_overflowing())
    res = runner.invoke(app, ["run", str(path), "--engine", "montecarlo", "--reps", "2"])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert "big.yaml:20:16: forces[f].fleets[fl].units:" in res.output


def test_validate_checks_the_products_as_a_run_would(tmp_path: Path) -> None:
    from tether._cli.main import app

    path = tmp_path / "big.yaml"
    path.write_text(_overflowing())
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "ok" not in res.output.split()
    assert "big.yaml:20:16: forces[f].fleets[fl].units:" in res.output
    assert "1 problem found" in res.output


def test_many_problems_are_capped() -> None:
    doc = tether.load_text(_overflowing(), "big.yaml")
    force = doc.force("f")
    many = force.model_copy(update={"fleets": [force.fleets[0]] * 30})
    from tether._checks import derived_problems

    problems = derived_problems(doc, many, doc.scenario())
    assert len(problems) == 21 and problems[-1].message == "and 10 more like these"


def test_unvalidated_model_cannot_reach_an_engine() -> None:
    """A model built without validation (``model_construct``) is caught by the plan."""
    doc = tether.load_text(BASE, "ok.yaml")
    fleet = doc.force("f").fleets[0]
    broken = fleet.model_copy(update={"weight": math.inf})
    force = doc.force("f").model_copy(update={"fleets": [broken]})
    doc2 = doc.model_copy(update={"forces": [force]})
    doc2._source, doc2._file = doc._source, doc._file
    with pytest.raises(InputError, match="not finite \\(weight\\)") as info:
        compile_scenario(doc2, doc2.scenario())
    assert info.value.diagnostics[0].field == "scenarios[sc]"
    hours = fleet.model_copy(update={"hours_per_day": 1e308})
    doc3 = doc.model_copy(
        update={"forces": [doc.force("f").model_copy(update={"fleets": [hours]})]}
    )
    with pytest.raises(InputError, match="failures a day"):
        compile_scenario(doc3, doc3.scenario())


# -- the worst legal combination --------------------------------------------------------------


def _worst(
    failure_rate: float,
    horizon: int,
    basis: str = "fleet",
    quantity: int = 1,
    random_length: bool = True,
) -> Document:
    """Every field at its bound (but ``quantity``), demand set by ``failure_rate``."""
    d = MAX_DAYS
    part = {
        "name": "p",
        "quantity": quantity,
        "failure_rate": failure_rate,
        "unit_cost": MAX_COST,
        "condemnation": 0.5,
        "data_rights": True,
        "domestic_repair": {"share": 0.5, "turnaround_days": d, "capacity_per_day": 10**9},
        "supplier_repair": {"supplier": "acme", "turnaround_days": d},
        "new_buy": {"supplier": "acme", "lead_time_days": d},
    }
    system = {
        "name": "s",
        "parts": [part],
        "software": [
            {
                "name": "sw",
                "supplier": "acme",
                "cadence_days": d,
                "decay": {"grace_days": d, "decline_days": d, "floor": 0.0},
            }
        ],
        "munitions": [{"name": "m", "supplier": "acme", "use_per_unit_day": MAX_USE_PER_UNIT_DAY}],
        "services": [{"name": "sv", "supplier": "acme", "factor_when_withheld": 0.0}],
    }
    fleet = {
        "name": "fl",
        "system": "s",
        "area": "a",
        "units": MAX_UNITS,
        "hours_per_day": MAX_HOURS_PER_DAY,
        "weight": MAX_WEIGHT,
        "tempo_basis": basis,
        "spares": {"p": MAX_SPARES},
        "munitions": {"m": {"stock": MAX_ROUNDS, "resupply": [{"per_day": MAX_ROUNDS}]}},
        "software": {"sw": {"last_update_day": -MAX_HORIZON_DAYS}},
        "services": {"sv": {"alternative": {"supplier": "alt", "switch_days": d, "factor": 1.0}}},
    }
    cutoff = {
        "jurisdiction": "US",
        "start_day": 0,
        "duration_days": {
            "distribution": "lognormal",
            "median": MAX_HORIZON_DAYS,
            "sigma": MAX_SIGMA,
        },
    }
    if not random_length:  # the analytic engine weighs every length: quadratic in days
        cutoff = {"jurisdiction": "US", "start_day": 0, "end_day": horizon // 2 + 1}
    text = json.dumps(
        {
            "suppliers": [
                {"name": "acme", "jurisdiction": "US"},
                {"name": "alt", "jurisdiction": "DE"},
            ],
            "systems": [system],
            "forces": [
                {"name": "f", "operator": "EE", "areas": [{"name": "a"}], "fleets": [fleet]}
            ],
            "scenarios": [
                {"name": "sc", "force": "f", "horizon_days": horizon, "cutoffs": [cutoff]}
            ],
        }
    )
    return tether.load_text(text, "worst.yaml")


def _items_out(failure_rate: float, horizon: int, quantity: int) -> float:
    per_day = MAX_UNITS * quantity * MAX_HOURS_PER_DAY * failure_rate
    return per_day * (MAX_DAYS + horizon + 1)


FACTORS = ("availability", "software", "munitions", "services")


def _check_finite(result: tether.Result) -> None:
    data = result.data
    for name in (*FACTORS, "capability", "backorders", "area_capability"):
        values = np.asarray(data[name].values, dtype=np.float64)
        assert np.isfinite(values).all(), name
    for name in FACTORS:
        values = np.asarray(data[name].values, dtype=np.float64)
        assert ((values >= 0) & (values <= 1)).all(), name


def _just_under(horizon: int, quantity: int = 1) -> float:
    return 0.999 * MAX_ITEMS_OUT / _items_out(1.0, horizon, quantity)


def test_worst_legal_combination_analytic() -> None:
    horizon = 400
    rate = _just_under(horizon)
    _check_finite(tether.simulate(_worst(rate, horizon)))
    with pytest.raises(InputError, match="failures a day"):
        tether.simulate(_worst(rate * 1.01, horizon))


def test_worst_legal_combination_largest_quantity() -> None:
    horizon = 30
    rate = _just_under(horizon, MAX_QUANTITY)
    _check_finite(tether.simulate(_worst(rate, horizon, quantity=MAX_QUANTITY)))


def test_worst_legal_combination_montecarlo() -> None:
    """Everything at its bound but demand (the engine draws every failure: the memory
    guard, not this check, bounds how many)."""
    _check_finite(tether.simulate(_worst(1e-10, 400), engine="montecarlo", reps=4, seed=1))


@pytest.mark.slow
@pytest.mark.parametrize("basis", ["fleet", "available"])
def test_worst_legal_combination_longest_horizon(basis: str) -> None:
    """100 years at the demand bound. On the 'available' basis the depot capacity puts
    the fleet in the mean field, swept once over the days (linear in the horizon; the
    passes over the whole trajectory were quadratic): about a minute, so slow."""
    horizon = MAX_HORIZON_DAYS
    doc = _worst(_just_under(horizon), horizon, basis, random_length=False)
    _check_finite(tether.simulate(doc))
    _check_finite(tether.simulate(_worst(1e-14, 60, basis), engine="montecarlo", reps=4, seed=2))


# -- any values within the bounds -------------------------------------------------------------

finite = {"allow_nan": False, "allow_infinity": False}


@st.composite
def bounded_documents(draw: Any) -> tuple[Document, bool]:
    """A one-fleet document with every number drawn within its bounds (log-uniform where
    the range spans decades); also whether demand is small enough to sample."""

    def log_uniform(lo: float, hi: float) -> float:
        return float(10 ** draw(st.floats(math.log10(lo), math.log10(hi), **finite)))

    rate = log_uniform(1e-12, MAX_FAILURE_RATE)
    units = int(log_uniform(1, MAX_UNITS))
    quantity = int(log_uniform(1, MAX_QUANTITY))
    hours = draw(st.floats(0, MAX_HOURS_PER_DAY, **finite))
    days = [log_uniform(1e-3, MAX_DAYS) for _ in range(3)]
    grace = log_uniform(1e-3, MAX_DAYS)
    horizon = draw(st.integers(1, 60))
    share = draw(st.floats(0, 1, **finite))
    part = {
        "name": "p",
        "quantity": quantity,
        "failure_rate": rate,
        "condemnation": share,
        "data_rights": True,
        "domestic_repair": {"share": draw(st.floats(0, 1, **finite)), "turnaround_days": days[0]},
        "supplier_repair": {"supplier": "acme", "turnaround_days": days[1]},
        "new_buy": {"supplier": "acme", "lead_time_days": days[2]},
    }
    system = {
        "name": "s",
        "parts": [part],
        "software": [
            {
                "name": "sw",
                "supplier": "acme",
                "cadence_days": grace * draw(st.floats(1e-3, 1, **finite)),
                "decay": {
                    "grace_days": grace,
                    "decline_days": log_uniform(1e-3, MAX_DAYS),
                    "floor": draw(st.floats(0, 1, **finite)),
                },
            }
        ],
        "munitions": [
            {
                "name": "m",
                "supplier": "acme",
                "use_per_unit_day": log_uniform(1e-3, MAX_USE_PER_UNIT_DAY),
            }
        ],
        "services": [
            {
                "name": "sv",
                "supplier": "acme",
                "factor_when_withheld": draw(st.floats(0, 1, **finite)),
            }
        ],
    }
    fleet = {
        "name": "fl",
        "system": "s",
        "area": "a",
        "units": units,
        "hours_per_day": hours,
        "weight": log_uniform(1e-6, MAX_WEIGHT),
        "tempo_basis": draw(st.sampled_from(["fleet", "available"])),
        "spares": {"p": int(log_uniform(1, MAX_SPARES)) - 1},
        "munitions": {
            "m": {
                "stock": log_uniform(1e-3, MAX_ROUNDS),
                "resupply": [{"per_day": log_uniform(1e-3, MAX_ROUNDS)}],
            }
        },
    }
    start = draw(st.integers(0, horizon))
    cutoff = {
        "jurisdiction": "US",
        "start_day": start,
        "end_day": start + draw(st.integers(1, 200)),
    }
    doc = Document.model_validate(
        {
            "suppliers": [{"name": "acme", "jurisdiction": "US"}],
            "jurisdictions": [{"name": "US"}, {"name": "EE"}],
            "systems": [system],
            "forces": [
                {"name": "f", "operator": "EE", "areas": [{"name": "a"}], "fleets": [fleet]}
            ],
            "scenarios": [
                {"name": "sc", "force": "f", "horizon_days": horizon, "cutoffs": [cutoff]}
            ],
        }
    )
    per_day = units * quantity * hours * rate
    # the Monte Carlo engine draws every failure, loops over Z and, on the 'available'
    # basis, steps through a burn-in of three turnarounds: sample only where all are small
    small = per_day * (max(days) + horizon + 1) < 2_000 and max(days) < 2_000 and quantity < 50
    return doc, small


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bounded_documents())
def test_any_values_within_bounds_give_finite_results(case: tuple[Document, bool]) -> None:
    doc, small = case
    refused: list[str] = []
    try:
        result = tether.simulate(doc)
    except InputError as exc:  # only the derived check may refuse a valid document
        refused = [d.message for d in exc.diagnostics]
    if refused:
        assert all("failures a day" in m for m in refused)
        return
    _check_finite(result)
    if small:
        _check_finite(tether.simulate(doc, engine="montecarlo", reps=3, seed=0))
