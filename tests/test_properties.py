"""Property tests: bounds, monotonicity in cutoffs and spares, steady state."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from tether import Document
from tether._engine.analytic import EngineOutput, run_analytic, steady_state
from tether._model import Cutoff
from tether._plan import compile_plan

SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("TETHER_HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
HORIZON = 60
EPS = 1e-9


@st.composite
def parts(draw: st.DrawFn, i: int) -> dict[str, Any]:
    condemn = draw(st.sampled_from([0.0, 0.1, 1.0]))
    domestic = draw(st.sampled_from([0.0, 0.5]))
    part: dict[str, Any] = {
        "name": f"p{i}",
        "quantity": draw(st.integers(1, 3)),
        "failure_rate": draw(st.floats(0.0, 0.01)),
        "condemnation": condemn,
        "data_rights": True,
    }
    if condemn > 0:
        part["new_buy"] = {
            "supplier": draw(st.sampled_from(["acme", "beta"])),
            "lead_time_days": draw(st.floats(1.0, 200.0)),
        }
    if condemn < 1:
        part["supplier_repair"] = {
            "supplier": draw(st.sampled_from(["acme", "beta"])),
            "turnaround_days": draw(st.floats(0.5, 90.0)),
        }
        if domestic:
            part["domestic_repair"] = {
                "share": domestic,
                "turnaround_days": draw(st.floats(0.5, 30.0)),
            }
    return part


@st.composite
def documents(draw: st.DrawFn, basis: str = "fleet") -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    system: dict[str, Any] = {"name": "sys", "parts": [draw(parts(i)) for i in range(n)]}
    fleet: dict[str, Any] = {
        "name": "fl",
        "system": "sys",
        "area": "a",
        "units": draw(st.integers(1, 30)),
        "hours_per_day": draw(st.floats(0.5, 10.0)),
        "tempo_basis": basis,
        "spares": {f"p{i}": draw(st.integers(0, 12)) for i in range(n)},
    }
    if draw(st.booleans()):
        system["software"] = [
            {
                "name": "sw",
                "supplier": "acme",
                "cadence_days": (cadence := draw(st.floats(1.0, 60.0))),
                "decay": {
                    "grace_days": cadence + draw(st.floats(0.0, 60.0)),
                    "decline_days": draw(st.floats(0.0, 60.0)),
                    "floor": draw(st.floats(0.0, 1.0)),
                },
            }
        ]
    if draw(st.booleans()):
        system["munitions"] = [{"name": "m", "supplier": "acme", "use_per_unit_day": 2.0}]
        fleet["munitions"] = {
            "m": {
                "stock": draw(st.floats(0.0, 2000.0)),
                "resupply": [{"per_day": draw(st.floats(0.0, 60.0))}],
            }
        }
    if draw(st.booleans()):
        system["services"] = [{"name": "sv", "supplier": "acme", "factor_when_withheld": 0.4}]
        fleet["services"] = {
            "sv": {"alternative": {"supplier": "beta", "switch_days": 5, "factor": 0.8}}
        }
    return {
        "jurisdictions": [{"name": "US"}, {"name": "FR"}, {"name": "EE"}],
        "suppliers": [
            {"name": "acme", "jurisdiction": "US"},
            {"name": "beta", "jurisdiction": "FR"},
        ],
        "systems": [system],
        "forces": [{"name": "f", "operator": "EE", "areas": [{"name": "a"}], "fleets": [fleet]}],
        "scenarios": [{"name": "s", "force": "f", "horizon_days": HORIZON}],
    }


KINDS = st.lists(
    st.sampled_from(["spares", "repair", "software", "munitions", "services"]),
    min_size=1,
    unique=True,
)


@st.composite
def cutoffs(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(0, 30))
    end = draw(st.one_of(st.none(), st.integers(start + 1, start + 60)))
    target = draw(
        st.sampled_from([("jurisdiction", "US"), ("supplier", "acme"), ("jurisdiction", "FR")])
    )
    return {target[0]: target[1], "kinds": draw(KINDS), "start_day": start, "end_day": end}


def run(raw: dict[str, Any], cutoff_sets: list[list[dict[str, Any]]]) -> EngineOutput:
    doc = Document.model_validate(raw)
    sets = [[Cutoff.model_validate(c) for c in cs] for cs in cutoff_sets]
    plan = compile_plan(
        doc, doc.forces[0], doc.scenarios[0], sets, [str(i) for i in range(len(sets))]
    )
    return run_analytic(plan)


@SETTINGS
@given(documents(), cutoffs())
def test_factors_and_availability_stay_in_unit_interval(
    raw: dict[str, Any], cut: dict[str, Any]
) -> None:
    out = run(raw, [[], [cut]])
    for name in ("availability", "software", "munitions", "services"):
        values = getattr(out, name)
        assert np.all((values >= 0) & (values <= 1)), name
    units = raw["forces"][0]["fleets"][0]["units"]
    assert np.all(out.capability <= units + EPS)
    assert np.all(out.capability[1] <= out.capability[0] + EPS)  # a cutoff never helps


@SETTINGS
@given(documents(), cutoffs(), st.integers(1, 60))
def test_a_longer_cutoff_never_raises_capability(
    raw: dict[str, Any], cut: dict[str, Any], extra: int
) -> None:
    longer = copy.deepcopy(cut)
    indefinite = copy.deepcopy(cut)
    indefinite["end_day"] = None
    if cut["end_day"] is not None:
        longer["end_day"] = cut["end_day"] + extra
    earlier = copy.deepcopy(cut)
    earlier["start_day"] = max(0, cut["start_day"] - extra)
    out = run(raw, [[cut], [longer], [indefinite], [earlier]])
    c = out.capability[:, 0]
    assert np.all(c[1] <= c[0] + EPS)
    assert np.all(c[2] <= c[1] + EPS)
    # Starting earlier never helps either, except that it starts the switch-over to a
    # contracted alternative service sooner (documented in docs/model.md).
    if not _starts_a_switch_over(raw, cut):
        assert np.all(c[3] <= c[0] + EPS)


def _starts_a_switch_over(raw: dict[str, Any], cut: dict[str, Any]) -> bool:
    """Whether ``cut`` withholds a service that has a contracted alternative."""
    fleet = raw["forces"][0]["fleets"][0]
    stops_acme = cut.get("supplier") == "acme" or cut.get("jurisdiction") == "US"
    return "services" in fleet and "services" in cut["kinds"] and stops_acme


@SETTINGS
@given(documents(), cutoffs(), cutoffs())
def test_another_cutoff_never_raises_capability(
    raw: dict[str, Any], first: dict[str, Any], extra: dict[str, Any]
) -> None:
    """Adding a cutoff (overlapping, adjoining or apart, of any kinds) never raises
    capability on any day: an extra software cutoff brings no update earlier, and two
    services withholdings that merge keep the alternative's single switch-over. The one
    exception: a withholding of a service with a contracted alternative that begins
    before every other starts the switch-over sooner."""
    out = run(raw, [[first], [first, extra]])
    c = out.capability[:, 0]
    earlier = extra["start_day"] < (
        first["start_day"] if _starts_a_switch_over(raw, first) else 10**9
    )
    if not (_starts_a_switch_over(raw, extra) and earlier):
        assert np.all(c[1] <= c[0] + EPS)


def test_the_documented_exceptions_are_real() -> None:
    """The two cases docs/model.md names, so that the rule stays as stated."""
    raw = {
        "jurisdictions": [{"name": "US"}, {"name": "FR"}, {"name": "EE"}],
        "suppliers": [
            {"name": "acme", "jurisdiction": "US"},
            {"name": "beta", "jurisdiction": "FR"},
        ],
        "systems": [
            {
                "name": "sys",
                "parts": [
                    {
                        "name": "p0",
                        "failure_rate": 0.004,
                        "condemnation": 0.0,
                        "supplier_repair": {"supplier": "acme", "turnaround_days": 60.0},
                    }
                ],
                "munitions": [{"name": "m", "supplier": "acme", "use_per_unit_day": 2.0}],
                "services": [{"name": "sv", "supplier": "acme", "factor_when_withheld": 0.4}],
            }
        ],
        "forces": [
            {
                "name": "f",
                "operator": "EE",
                "areas": [{"name": "a"}],
                "fleets": [
                    {
                        "name": "fl",
                        "system": "sys",
                        "area": "a",
                        "units": 10,
                        "hours_per_day": 5.0,
                        "tempo_basis": "available",
                        "spares": {"p0": 12},
                        "munitions": {"m": {"stock": 500.0, "resupply": []}},
                        "services": {
                            "sv": {
                                "alternative": {"supplier": "beta", "switch_days": 5, "factor": 0.8}
                            }
                        },
                    }
                ],
            }
        ],
        "scenarios": [{"name": "s", "force": "f", "horizon_days": HORIZON}],
    }
    late = {"supplier": "acme", "kinds": ["services"], "start_day": 20, "end_day": 40}
    early = {"supplier": "acme", "kinds": ["services"], "start_day": 2, "end_day": 4}
    repair = {"supplier": "acme", "kinds": ["repair"], "start_day": 0}
    out = run(raw, [[late], [late, early], [], [repair]])
    c = out.capability[:, 0]
    # an earlier withholding starts the switch-over sooner: days 20-24 gain
    assert np.all(c[1, 20:25] > c[0, 20:25])
    # on the available basis, a repair cutoff grounds units that then fire no rounds:
    # the stock lasts longer, and late on the cut force has more capability
    assert np.any(c[3] > c[2] + 0.1)


@SETTINGS
@given(documents(), cutoffs(), KINDS)
def test_a_wider_cutoff_never_raises_capability(
    raw: dict[str, Any], cut: dict[str, Any], more: list[str]
) -> None:
    wider = copy.deepcopy(cut)
    wider["kinds"] = sorted(set(cut["kinds"]) | set(more))
    other = {k: v for k, v in cut.items() if k not in ("jurisdiction", "supplier")}
    both = [cut, {**other, "supplier": "beta"}]
    out = run(raw, [[cut], [wider], both])
    c = out.capability[:, 0]
    assert np.all(c[1] <= c[0] + EPS)
    assert np.all(c[2] <= c[0] + EPS)


@SETTINGS
@given(documents(), cutoffs(), st.lists(st.integers(0, 5), min_size=3, max_size=3))
def test_more_spares_never_lower_capability(
    raw: dict[str, Any], cut: dict[str, Any], add: list[int]
) -> None:
    richer = copy.deepcopy(raw)
    spares = richer["forces"][0]["fleets"][0]["spares"]
    for i, name in enumerate(sorted(spares)):
        spares[name] += add[i]
    base = run(raw, [[], [cut]])
    more = run(richer, [[], [cut]])
    assert np.all(more.capability >= base.capability - EPS)
    assert np.all(more.availability >= base.availability - EPS)


@SETTINGS
@given(documents())
def test_no_cutoff_is_the_steady_state_every_day(raw: dict[str, Any]) -> None:
    doc = Document.model_validate(raw)
    plan = compile_plan(doc, doc.forces[0], doc.scenarios[0], [[]], ["baseline"])
    out = run_analytic(plan)
    _, a_ss = steady_state(plan)
    assert_allclose(
        out.availability[0], np.repeat(a_ss[:, None], HORIZON + 1, axis=1), rtol=1e-9, atol=1e-12
    )


@SETTINGS
@given(documents(basis="available"))
def test_available_basis_steady_state_and_bounds(raw: dict[str, Any]) -> None:
    doc = Document.model_validate(raw)
    plan = compile_plan(doc, doc.forces[0], doc.scenarios[0], [[]], ["baseline"])
    out = run_analytic(plan)
    # the carried law starts in its own stationary state: no cutoff, the same every day
    a = out.availability[0]
    assert_allclose(a, np.repeat(a[:, :1], HORIZON + 1, axis=1), rtol=1e-9, atol=1e-12)
    assert np.all((out.availability >= 0) & (out.availability <= 1))
    # grounded units do not fail: never below the fleet basis' steady state
    fleet = dataclasses.replace(plan, available_basis=np.zeros_like(plan.available_basis))
    _, a_fleet = steady_state(fleet)
    assert np.all(a >= a_fleet[:, None] - 1e-9)


MC_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@MC_SETTINGS
@given(documents(), cutoffs(), st.integers(0, 2**32 - 1))
def test_montecarlo_bounds_and_cannibalisation(
    raw: dict[str, Any], cut: dict[str, Any], seed: int
) -> None:
    from tether._engine.montecarlo import run_montecarlo

    doc = Document.model_validate(raw)
    sets = [[], [Cutoff.model_validate(cut)]]
    plan = compile_plan(doc, doc.forces[0], doc.scenarios[0], sets, ["b", "c"])
    off = run_montecarlo(plan, 20, np.random.default_rng(seed), keep_samples=[1])
    on = run_montecarlo(plan, 20, np.random.default_rng(seed), cannibalise=True, keep_samples=[1])
    for out in (off, on):
        for name in ("availability", "software", "munitions", "services"):
            assert np.all((out.mean[name] >= 0) & (out.mean[name] <= 1 + 1e-12)), name
    # the same draws: cannibalising never leaves fewer units up, replication by replication
    assert np.all(on.samples[1] >= off.samples[1] - 1e-5)
