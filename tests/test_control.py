"""Jurisdiction cutoffs follow control edges (design authority, ITAR, golden shares)."""

from __future__ import annotations

import numpy as np

import tether
from tether import Cutoff, stopped_suppliers
from tether._model import KINDS
from tether._plan import KIND_INDEX, compile_scenario

DOC = """
jurisdictions: [{name: US}, {name: DE}, {name: FR}, {name: KR}, {name: DK}]
suppliers:
  - {name: raytheon, jurisdiction: US}
  - name: mbda-schrobenhausen
    title: GEM-T production in Germany under US design authority
    jurisdiction: DE
    controlled_by: [{by: US, basis: design authority and ITAR}]
  - name: sub-tier
    jurisdiction: FR
    controlled_by: [{by: mbda-schrobenhausen, kinds: [spares]}]
  - name: licensee
    jurisdiction: KR
    controlled_by: [{by: DE, kinds: [spares, repair], basis: engine licence}]
  - {name: diehl, jurisdiction: DE}
"""


def test_us_cutoff_stops_german_site_under_us_design_authority() -> None:
    doc = tether.load_text(DOC, builtin=False)
    stopped = stopped_suppliers(doc, Cutoff(jurisdiction="US"))
    assert set(stopped) == {"raytheon", "mbda-schrobenhausen", "sub-tier"}
    assert stopped["mbda-schrobenhausen"] == frozenset(KINDS)
    assert stopped["sub-tier"] == frozenset({"spares"})  # the edge covers spares only


def test_kinds_of_cutoff_and_edge_intersect() -> None:
    doc = tether.load_text(DOC, builtin=False)
    stopped = stopped_suppliers(doc, Cutoff(jurisdiction="DE", kinds=["repair", "software"]))
    assert stopped == {
        "mbda-schrobenhausen": frozenset({"repair", "software"}),
        "diehl": frozenset({"repair", "software"}),
        "licensee": frozenset({"repair"}),
    }


def test_supplier_cutoff_reaches_what_it_controls() -> None:
    doc = tether.load_text(DOC, builtin=False)
    stopped = stopped_suppliers(doc, Cutoff(supplier="mbda-schrobenhausen", kinds=["all"]))
    assert set(stopped) == {"mbda-schrobenhausen", "sub-tier"}


def test_plan_masks_cover_the_cutoff_days() -> None:
    text = (
        DOC
        + """
systems:
  - name: sam
    parts:
      - name: seeker
        failure_rate: 0.001
        supplier_repair: {supplier: mbda-schrobenhausen, turnaround_days: 60}
forces:
  - name: f
    operator: DK
    areas: [{name: ad}]
    fleets: [{name: sam, system: sam, area: ad, units: 4, hours_per_day: 10}]
scenarios:
  - name: s
    force: f
    horizon_days: 20
    cutoffs: [{jurisdiction: US, kinds: [repair], start_day: 5, end_day: 9}]
"""
    )
    doc = tether.load_text(text, builtin=False)
    plan = compile_scenario(doc, doc.scenario())
    s = plan.suppliers.index("mbda-schrobenhausen")
    mask = plan.cut[1, s, KIND_INDEX["repair"]]
    assert np.flatnonzero(mask).tolist() == [5, 6, 7, 8]
    assert not plan.cut[0].any()  # the baseline
    assert not plan.cut[1, s, KIND_INDEX["spares"]].any()
