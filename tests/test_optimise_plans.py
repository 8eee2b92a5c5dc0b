"""Plans cut to some fleets and stacked: each fleet's numbers are unchanged."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

import tether
from tether._analysis.fleet_plans import FIELD_AXES, SHARED, select_fleets, stack_fleets
from tether._engine.analytic import run_analytic
from tether._engine.arrays import Plan
from tether._plan import compile_scenario


@pytest.fixture(scope="module")
def plan() -> Plan:
    doc = tether.load("examples/europe-us-withholds-year.yaml")
    return compile_scenario(doc, doc.own_scenarios()[0])


def test_every_array_field_is_classified(plan: Plan) -> None:
    arrays = [f.name for f in fields(plan) if isinstance(getattr(plan, f.name), np.ndarray)]
    assert set(arrays) == set(FIELD_AXES) | SHARED


def test_select_and_stack_keep_each_fleets_numbers(plan: Plan) -> None:
    whole = run_analytic(plan).capability
    order = [3, 0, 2, 0]
    cut = [select_fleets(plan, [i]) for i in order]
    stacked = stack_fleets(cut)
    assert stacked.fleets == tuple(plan.fleets[i] for i in order)
    part = run_analytic(stacked).capability
    np.testing.assert_allclose(part, whole[:, order], rtol=1e-12, atol=1e-12)
    two = select_fleets(plan, [1, 2])
    np.testing.assert_allclose(run_analytic(two).capability, whole[:, [1, 2]], rtol=1e-12)


def test_stack_rejects_different_batches(plan: Plan) -> None:
    a = select_fleets(plan, [0])
    b = select_fleets(plan.__class__(**{**vars(plan), "batch": ("x", "y")}), [0])
    with pytest.raises(ValueError, match="batch"):
        stack_fleets([a, b])


def test_suppliers_merged_onto_one_axis(plan: Plan) -> None:
    """A plan laid on a reordered, larger supplier axis gives the same numbers."""
    from tether._analysis.fleet_plans import with_suppliers

    axis = ("zz-new", *reversed(plan.suppliers))
    moved = with_suppliers(plan, axis)
    assert moved.suppliers == axis
    np.testing.assert_allclose(
        run_analytic(moved).capability, run_analytic(plan).capability, rtol=1e-12
    )
    stacked = stack_fleets([select_fleets(moved, [0]), select_fleets(plan, [1])])
    assert stacked.suppliers == axis
    np.testing.assert_allclose(
        run_analytic(stacked).capability, run_analytic(plan).capability[:, :2], rtol=1e-12
    )
