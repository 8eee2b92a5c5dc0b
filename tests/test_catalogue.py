"""The built-in catalogue: loads, is sourced, and its 2025 scenarios move as the record says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tether
from tether._loader import BUILTIN_CATALOGUE, _load_catalogue
from tether._provenance import check_provenance, numbers
from tether._yaml import read_yaml_text

RECORD = Path(__file__).resolve().parents[1].parent / "shared" / "sources" / "systems.md"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CATALOGUE_DOC = Path(__file__).resolve().parents[1] / "docs" / "catalogue.md"
FURTHER = "## Sources beyond the project's record"


def further_sources() -> str:
    """The list of further sources at the end of docs/catalogue.md (each with what it supports)."""
    text = CATALOGUE_DOC.read_text(encoding="utf-8")
    return text[text.index(FURTHER) :]


@pytest.fixture(scope="module")
def catalogue() -> tether.Document:
    return tether.load_text("{}\n", "<catalogue>")


def test_catalogue_has_the_required_systems_and_forces(catalogue: tether.Document) -> None:
    systems = {s.name for s in catalogue.systems}
    assert {
        "himars",
        "f-35a",
        "f-35b",
        "f-16",
        "patriot",
        "samp-t-ng",
        "storm-shadow-strike",
        "rafale",
        "mirage-2000",
        "gripen-e",
        "k9",
        "k239-chunmoo",
        "puls",
        "starlink-terminal",
        "trident-d5-pool",
        "gmd-interceptors",
    } <= systems
    forces = {f.name for f in catalogue.forces}
    assert {
        "ukraine-2025",
        "estonia",
        "poland",
        "taiwan",
        "japan",
        "denmark",
        "canada",
        "united-kingdom",
        "european-nato",
    } <= forces
    munitions = {m.name for s in catalogue.systems for m in s.munitions}
    assert {"gmlrs", "pac-3-mse", "gem-t", "aster-30", "storm-shadow"} <= munitions


def test_every_fact_sourced_and_every_guess_marked() -> None:
    record = RECORD.read_text(encoding="utf-8") + further_sources() if RECORD.exists() else None
    problems = check_provenance(_load_catalogue([BUILTIN_CATALOGUE]).entries, record)
    assert problems == [], "\n".join(map(str, problems))


def test_the_provenance_check_catches_what_it_should(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "suppliers:\n"
        "  - {name: nosource, jurisdiction: US}\n"
        "systems:\n"
        "  - name: s\n"
        "    sources: [https://not-in-the-record.example/x]\n"
        "    cited: {parts.p.unit_cost: https://elsewhere.example/y}\n"
        "    assumed: {parts.p.failure_rate: ok}\n"
        "    parts:\n"
        "      - {name: p, failure_rate: 0.1, unit_cost: 5, quantity: 2,\n"
        "         supplier_repair: {supplier: nosource, turnaround_days: 3}}\n"
    )
    entries = _load_catalogue([BUILTIN_CATALOGUE, bad]).entries
    mine = {
        s: {n: e for n, e in es.items() if e.mark.file == str(bad)} for s, es in entries.items()
    }
    found = {(d.field, d.message) for d in check_provenance(mine, "the record")}
    assert ("suppliers[nosource].sources", "no source: every catalogue fact cites one") in found
    assert ("systems[s].assumed.parts.p.failure_rate", "give a one-line reason") in found
    assert ("systems[s].cited.parts.p.unit_cost", "cited address not in sources") in found
    assert ("systems[s].parts.p.quantity", "number neither cited nor marked assumed") in found
    assert (
        "systems[s].parts.p.supplier_repair.turnaround_days",
        "number neither cited nor marked assumed",
    ) in found
    assert any("not in the public record" in m for _, m in found)


def test_numbers_walks_named_items() -> None:
    node = read_yaml_text("parts:\n  - {name: a, failure_rate: 1, data_rights: true}\n", "x")
    assert [p for p, _ in numbers(node)] == ["parts.a.failure_rate"]


def test_data_rights_flags_per_part_family(catalogue: tether.Document) -> None:
    himars = catalogue.system("himars")
    rights = {p.name: p.data_rights for p in himars.parts}
    assert rights == {"truck-powertrain": True, "launcher-module": False, "fire-control": False}
    assert not any(p.data_rights for p in catalogue.system("f-35a").parts)


def test_us_cutoff_stops_the_german_gem_t_site(catalogue: tether.Document) -> None:
    stopped = tether.stopped_suppliers(catalogue, tether.Cutoff(jurisdiction="US"))
    assert "comlog" in stopped  # Schrobenhausen, DE, under US design authority
    assert catalogue.supplier("comlog").jurisdiction == "DE"
    assert "mbda-france" not in stopped  # Aster: no US edge in the record
    assert stopped["mbda-uk"] == frozenset({"munitions"})  # ITAR parts in Storm Shadow
    # all three F-35 reprogramming labs sit at Eglin, Florida
    assert catalogue.supplier("uk-au-reprogramming-lab").jurisdiction == "US"
    assert "uk-au-reprogramming-lab" in stopped


def test_italy_stops_aster_through_the_avio_booster(catalogue: tether.Document) -> None:
    stopped = tether.stopped_suppliers(catalogue, tether.Cutoff(jurisdiction="IT"))
    assert stopped["mbda-france"] == frozenset({"munitions"})
    assert "mbda-france" not in tether.stopped_suppliers(
        catalogue, tether.Cutoff(jurisdiction="US")
    )


def test_meteor_stops_with_germany_and_gcap_with_each_partner(catalogue: tether.Document) -> None:
    stopped = tether.stopped_suppliers(catalogue, tether.Cutoff(jurisdiction="DE"))
    assert stopped["mbda-meteor"] == frozenset({"munitions"})  # the Bayern-Chemie ramjet
    for partner in ("GB", "IT", "JP"):
        cut = tether.stopped_suppliers(catalogue, tether.Cutoff(jurisdiction=partner))
        assert {"edgewing", "gcap-engine-team"} <= set(cut)
    assert "edgewing" not in tether.stopped_suppliers(catalogue, tether.Cutoff(jurisdiction="US"))


def test_depots_and_makers_follow_the_record(catalogue: tether.Document) -> None:
    def repairer(system: str, part: str) -> str:
        found = next(p for p in catalogue.system(system).parts if p.name == part)
        assert found.supplier_repair is not None
        return found.supplier_repair.supplier

    japan = {f.name: f.system for f in catalogue.force("japan").fleets}
    assert repairer(japan["f-35a"], "airframe-heavy") == "f-35-depot-pacific"
    assert repairer(japan["f-35b"], "f135-engine-module") == "f135-mro-pacific"
    labs = {s.name: s.supplier for s in catalogue.system(japan["f-35b"]).software}
    assert labs["mission-data"] == "us-government"  # Japan is in neither partner lab
    canada = {f.name: f.system for f in catalogue.force("canada").fleets}
    assert repairer(canada["f-35a"], "airframe-heavy") == "lockheed-martin"
    assert repairer("f-16", "engine-module") == "pratt-whitney"
    assert repairer("f-16", "ew-pod") == "northrop-grumman"
    assert repairer("gmd-interceptors", "interceptor-servicing") == "boeing"


def test_k9_engine_stops_with_germany(catalogue: tether.Document) -> None:
    stopped = tether.stopped_suppliers(catalogue, tether.Cutoff(jurisdiction="DE"))
    assert stopped["hanwha-k9-engine"] == frozenset({"spares", "repair"})


def _area(file: str, scenario: str, area: str) -> np.ndarray:
    result = tether.simulate(tether.load(EXAMPLES / file), scenario)
    return result.fraction(area)


def test_intel_pause_lowers_long_range_fires_and_recovers() -> None:
    fires = _area("ukraine-intel-pause-2025.yaml", "us-intel-pause", "long-range-fires")
    assert np.all(fires[:7] < 0.6)  # during the week-long pause
    assert np.all(fires[8:] > 0.99)  # and back once it ends


def test_intel_pause_does_not_cut_starlink() -> None:
    # the US government withheld its services, not every supplier under US jurisdiction
    comms = _area("ukraine-intel-pause-2025.yaml", "us-intel-pause", "communications")
    assert np.all(comms > 0.999)


def test_starlink_with_oneweb_loses_less() -> None:
    doc = tether.load(EXAMPLES / "ukraine-starlink.yaml")
    without = tether.simulate(doc, "starlink-withheld").summary["communications"]
    with_oneweb = tether.simulate(doc, "starlink-withheld-oneweb").summary["communications"]
    assert with_oneweb.days_lost < 0.8 * without.days_lost


def test_us_cutoff_hits_patriot_f35_harder_than_sampt_rafale() -> None:
    text = """
forces:
  - name: us-equipped
    operator: PL
    areas: [{name: air-defence}, {name: air-combat}]
    fleets:
      - {name: sam, system: patriot, area: air-defence, units: 8, hours_per_day: 20,
         spares: {radar-lru: 3, launcher: 3, engagement-control: 1},
         munitions: {pac-3-mse: {stock: 200, resupply: [{per_day: 4}]},
                     gem-t: {stock: 100, resupply: [{per_day: 2}]}}}
      - {name: jets, system: f-35a, area: air-combat, units: 40, hours_per_day: 1,
         spares: {f135-engine-module: 2, airframe-heavy: 1, avionics-lru: 8}}
  - name: european-equipped
    operator: PL
    areas: [{name: air-defence}, {name: air-combat}]
    fleets:
      - {name: sam, system: samp-t-ng, area: air-defence, units: 8, hours_per_day: 20,
         spares: {radar-lru: 3, launcher: 3, engagement-control: 1},
         munitions: {aster-30: {stock: 300, resupply: [{per_day: 6}]}}}
      - {name: jets, system: rafale, area: air-combat, units: 40, hours_per_day: 1,
         spares: {m88-engine-module: 2, rbe2-radar-lru: 2, airframe-lru: 6}}
scenarios:
  - {name: us, force: us-equipped, horizon_days: 365, cutoffs: [{jurisdiction: US}]}
  - {name: eu, force: european-equipped, horizon_days: 365, cutoffs: [{jurisdiction: US}]}
"""
    doc = tether.load_text(text, "compare.yaml")
    lost = {
        s: sum(v.days_lost for v in tether.simulate(doc, s).summary.values()) for s in ("us", "eu")
    }
    assert lost["us"] > 5 * max(lost["eu"], 1.0)


def test_fms_without_data_rights_loses_more() -> None:
    doc = tether.load(EXAMPLES / "japan-fms.yaml")
    fms = tether.simulate(doc, "us-repair-halt-fms").summary
    rights = tether.simulate(doc, "us-repair-halt-data-rights").summary
    assert sum(s.days_lost for s in rights.values()) < sum(s.days_lost for s in fms.values())


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_runs(path: Path) -> None:
    doc = tether.load(path)
    for scenario in doc.own_scenarios():
        result = tether.simulate(doc, scenario)
        assert all(0.0 <= s.minimum <= 1.0 + 1e-9 for s in result.summary.values())


def test_exposure_ranks_and_indexes(catalogue: tether.Document) -> None:
    ranked = tether.exposure(catalogue, "european-nato")
    assert ranked.rows[0].risk_exposure_index == 1.0
    assert [r.days_lost for r in ranked.rows] == sorted(
        (r.days_lost for r in ranked.rows), reverse=True
    )
    assert ranked.rows[0].target == "US"
    kinds = {r.kinds for r in ranked.rows if r.target == "US"}
    assert {"all", "munitions", "repair", "software", "services", "spares"} <= kinds
    all_us = next(r for r in ranked.rows if r.target == "US" and r.kinds == "all")
    single = [r for r in ranked.rows if r.target == "US" and r.kinds != "all"]
    assert all(r.days_lost <= all_us.days_lost + 1e-9 for r in single)
    by_supplier = tether.exposure(catalogue, "european-nato", by="supplier", horizon=180)
    assert {r.target for r in by_supplier.rows} >= {"raytheon", "lockheed-camden", "comlog"}


def test_exposure_with_a_duration_recovers(catalogue: tether.Document) -> None:
    short = tether.exposure(catalogue, "ukraine-2025", duration=30, horizon=120)
    forever = tether.exposure(catalogue, "ukraine-2025", horizon=120)

    def lost(e: tether.Exposure) -> float:
        return next(r.days_lost for r in e.rows if r.target == "US" and r.kinds == "all")

    assert lost(short) < lost(forever)
