"""The catalogue's issue-13 additions: who can stop them, the enablers, surge tempo, options."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tether
from tests.test_catalogue import further_sources
from tether._loader import BUILTIN_CATALOGUE, _load_catalogue


@pytest.fixture(scope="module")
def catalogue() -> tether.Document:
    return tether.load_text("{}\n", "<catalogue>")


def _stopped(doc: tether.Document, jurisdiction: str) -> dict[str, frozenset[str]]:
    return dict(tether.stopped_suppliers(doc, tether.Cutoff(jurisdiction=jurisdiction)))


def test_the_additions_are_there(catalogue: tether.Document) -> None:
    systems = {s.name for s in catalogue.systems}
    assert {
        "eurofighter-typhoon",
        "fa-50",
        "nasams",
        "iris-t-slm",
        "k2",
        "k2pl",
        "atacms-strike",
        "prsm-strike",
        "tomahawk-strike",
        "type-12-strike",
    } <= systems
    munitions = {m.name for s in catalogue.systems for m in s.munitions}
    assert {"atacms", "prsm", "tomahawk", "type-12-upgraded", "amraam"} <= munitions
    typhoons = {
        force.name
        for force in catalogue.forces
        for fleet in force.fleets
        if fleet.system == "eurofighter-typhoon"
    }
    assert typhoons == {"united-kingdom", "european-nato"}


def test_each_typhoon_partner_can_stop_it(catalogue: tether.Document) -> None:
    for partner in ("DE", "GB", "IT", "ES"):
        cut = _stopped(catalogue, partner)
        assert "eurofighter-gmbh" in cut, partner
        assert "spares" in cut["eurojet"], partner  # each partner makes EJ200 modules
    # the US reaches only the engine modules, through GE's ownership of Avio Aero
    us = _stopped(catalogue, "US")
    assert us["avio-aero"] == frozenset({"spares"})
    assert us["eurojet"] == frozenset({"spares"})
    assert "eurofighter-gmbh" not in us
    assert "avio" not in us  # the Aster booster maker is a different company


def test_enablers_follow_their_providers(catalogue: tether.Document) -> None:
    us = _stopped(catalogue, "US")
    assert {"us-space-force", "us-nsa", "us-tankers"} <= set(us)
    assert not {"galileo-prs", "european-tankers"} & set(us)
    assert "galileo-prs" in _stopped(catalogue, "EU")
    services = {sv.name: sv.supplier for sv in catalogue.system("eurofighter-typhoon").services}
    assert services == {
        "gps-m-code": "us-space-force",
        "link-16-crypto": "us-nsa",
        "air-refuelling": "us-tankers",
    }
    # the F-35 variants inherit the F-35A's services through use: (no tanker service)
    assert {sv.name for sv in catalogue.system("f-35b-pacific").services} == {
        "gps-m-code",
        "link-16-crypto",
    }


def test_galileo_and_european_tankers_soften_a_us_stop_of_services() -> None:
    text = (
        "scenarios:\n  - {name: s, force: european-nato, horizon_days: 240,\n"
        "     cutoffs: [{jurisdiction: US, kinds: [services]}]}\n"
    )
    result = tether.simulate(tether.load_text(text, "<s>"), "s")
    services = result.data["services"]
    typhoon = services.sel(fleet="typhoon").values
    # at once GPS, Link 16 and US tankers are lost; Europe's tankers serve from day 2
    assert typhoon[1] == pytest.approx(0.9 * 0.85 * 0.85)
    # then GPS and Link 16 stay lost, tanking from Europe's own, until Galileo PRS (day 180)
    assert typhoon[5] == pytest.approx(0.9 * 0.85 * 0.95)
    assert typhoon[200] == pytest.approx(0.85 * 0.95)
    # the F-35A and F-16 carry no tanker service and have no Galileo receiver
    assert services.sel(fleet="f-35a").values[200] == pytest.approx(0.9 * 0.85)
    assert services.sel(fleet="f-16").values[200] == pytest.approx(0.9 * 0.85)
    # the Rafale carries only the tanker service
    assert services.sel(fleet="rafale").values[200] == pytest.approx(0.95)


def test_surge_tempo_wears_the_calibrated_fleets_down() -> None:
    text = (
        "scenarios:\n"
        "  - {name: peace, force: poland, horizon_days: 90}\n"
        "  - {name: surge, force: poland, horizon_days: 90,\n"
        "     tempo: [{start_day: 0, level: peacetime}, {start_day: 1, level: surge}]}\n"
    )
    doc = tether.load_text(text, "<t>")
    fleet = next(f for f in doc.force("poland").fleets if f.name == "f-35a")
    assert fleet.hours_per_day == {"default": 1.0, "peacetime": 1.0, "surge": 3.86}
    peace = tether.simulate(doc, "peace").data["availability"]
    surge = tether.simulate(doc, "surge").data["availability"]
    assert float(peace.sel(fleet="f-35a", day=30)) == pytest.approx(0.577, abs=5e-4)
    assert float(surge.sel(fleet="f-35a", day=30)) == pytest.approx(0.361, abs=5e-4)
    assert float(surge.sel(fleet="f-35a", day=90)) == pytest.approx(0.111, abs=5e-4)
    # ground fleets keep their hours: the surge does not touch them
    np.testing.assert_allclose(surge.sel(fleet="k9").values, peace.sel(fleet="k9").values)


def test_a_tempo_level_the_catalogue_lacks_is_a_located_error() -> None:
    text = (
        "scenarios:\n  - {name: s, force: poland, horizon_days: 30,\n"
        "     tempo: [{start_day: 0, level: war}]}\n"
    )
    with pytest.raises(tether.InputError) as info:
        tether.load_text(text, "<t>")
    fields = {d.field for d in info.value.diagnostics if "war" in d.message}
    assert "forces[poland].fleets[f-35a].hours_per_day" in fields


def test_typhoon_calibrated_to_german_readiness() -> None:
    text = "scenarios:\n  - {name: b, force: european-nato, horizon_days: 10}\n"
    result = tether.simulate(tether.load_text(text, "<b>"), "b")
    assert float(result.data["availability"].sel(fleet="typhoon", day=0)) == pytest.approx(
        0.532, abs=5e-4
    )


def test_a_us_munitions_stop_halts_tomahawk_not_type_12() -> None:
    text = (
        "scenarios:\n  - {name: s, force: japan, horizon_days: 30,\n"
        "     cutoffs: [{jurisdiction: US, kinds: [munitions]}]}\n"
    )
    result = tether.simulate(tether.load_text(text, "<s>"), "s")
    munitions = result.data["munitions"]
    assert float(munitions.sel(fleet="tomahawk", day=10)) == 0.0
    assert float(munitions.sel(fleet="type-12", day=10)) > 0.0
    assert 0.0 < result.fraction("stand-off-strike")[10] < 1.0


def test_k2_and_fa50_dependencies(catalogue: tether.Document) -> None:
    assert _stopped(catalogue, "DE")["k2-transmission-de"] == frozenset(
        {"spares", "repair", "software", "munitions", "services"}
    )
    korea = _stopped(catalogue, "KR")
    assert korea["bumar-labedy"] == frozenset({"spares", "repair"})
    engine = next(p for p in catalogue.system("fa-50").parts if p.name == "f404-engine-module")
    assert engine.supplier_repair is not None
    assert engine.supplier_repair.supplier == "ge-aerospace"


def test_holdings_count_only_what_is_held(catalogue: tether.Document) -> None:
    def fleet(force: str, name: str) -> tether.Fleet:
        return next(f for f in catalogue.force(force).fleets if f.name == name)

    himars = fleet("taiwan", "himars")
    assert (himars.units, sum(o.units for o in himars.on_order), himars.contracted) == (11, 18, 29)
    fa50 = fleet("poland", "fa-50")
    assert (fa50.units, sum(o.units for o in fa50.on_order), fa50.contracted) == (12, 36, 48)
    assert fleet("taiwan", "atacms").munitions["atacms"].stock == 64
    # what is notified or produced later is an option, not a holding
    option = catalogue.option("taiwan-himars-2025")
    assert option.deliveries[0].units == 82 and option.stockpiles[0].rounds == 420
    assert catalogue.option("poland-k2pl").deliveries[0].system == "k2pl"


def test_every_further_source_is_used() -> None:
    listed = set(re.findall(r"^\| (https?://\S+) \|", further_sources(), flags=re.M))
    used = {
        address
        for named in _load_catalogue([BUILTIN_CATALOGUE]).entries.values()
        for entry in named.values()
        for address in entry.get("sources") or []
    }
    assert listed, "the list of further sources is empty"
    assert listed <= used, sorted(listed - used)
