"""Loading: catalogue use/override, and every class of bad input located exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

import tether
from tether import InputError
from tether._plan import compile_scenario

GOOD = """\
suppliers:
  - {name: acme, jurisdiction: US}
systems:
  - name: s
    parts:
      - name: p
        failure_rate: 0.001
        supplier_repair: {supplier: acme, turnaround_days: 30}
forces:
  - name: f
    operator: EE
    areas: [{name: a}]
    fleets:
      - {name: fl, system: s, area: a, units: 4, hours_per_day: 2}
scenarios:
  - {name: sc, force: f, horizon_days: 30}
"""


def problems(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(InputError) as info:
        tether.load_text(text, "bad.yaml", **kwargs)  # type: ignore[arg-type]
    return [str(d) for d in info.value.diagnostics]


def test_good_file_loads() -> None:
    doc = tether.load_text(GOOD, "good.yaml")
    assert doc.scenario().name == "sc"
    assert [f.name for f in doc.force("f").fleets] == ["fl"]
    assert "US" in {j.name for j in doc.jurisdictions}  # from the built-in catalogue


def test_yaml_syntax_error_is_located() -> None:
    (msg,) = problems("suppliers:\n  - {name: a, jurisdiction: US\n")
    assert msg.startswith("bad.yaml:3:1:") and "YAML syntax error" in msg


def test_unknown_field_is_located_with_suggestion() -> None:
    text = GOOD.replace("units: 4", "unit: 4, units: 4")
    (msg,) = problems(text)
    assert msg.startswith("bad.yaml:14:40: forces[f].fleets[fl].unit: unknown field")
    assert "did you mean 'units'" in msg


def test_wrong_type_is_located() -> None:
    (msg,) = problems(GOOD.replace("units: 4", "units: four"))
    assert msg.startswith("bad.yaml:14:") and "forces[f].fleets[fl].units" in msg
    assert "valid integer" in msg


def test_out_of_range_value_is_located() -> None:
    (msg,) = problems(GOOD.replace("failure_rate: 0.001", "failure_rate: -0.5"))
    assert msg.startswith("bad.yaml:7:23: systems[s].parts[p].failure_rate:")
    assert "greater than or equal to 0" in msg


def test_missing_field_points_at_the_entry() -> None:
    (msg,) = problems(GOOD.replace(", horizon_days: 30", ""))
    assert msg.startswith("bad.yaml:16:5: scenarios[sc].horizon_days: required field is missing")


def test_dangling_names_are_located() -> None:
    text = GOOD.replace("supplier: acme,", "supplier: acne,").replace("system: s,", "system: t,")
    msgs = problems(text)
    assert msgs[0].startswith("bad.yaml:8:37: systems[s].parts[p].supplier_repair.supplier:")
    assert "no supplier named 'acne' (did you mean 'acme'?)" in msgs[0]
    assert msgs[1].startswith("bad.yaml:14:28: forces[f].fleets[fl].system: no system named 't'")


def test_control_cycle_is_reported() -> None:
    text = GOOD.replace(
        "  - {name: acme, jurisdiction: US}",
        "  - {name: acme, jurisdiction: US, controlled_by: [b]}\n"
        "  - {name: b, jurisdiction: DE, controlled_by: [acme]}",
    )
    msgs = problems(text)
    assert len(msgs) == 1 and "control cycle: acme -> b -> acme" in msgs[0]
    assert msgs[0].startswith("bad.yaml:3:49: suppliers[b].controlled_by[0].by:")


def test_all_errors_of_a_file_at_once() -> None:
    text = (
        GOOD.replace("units: 4", "units: 0")
        .replace("turnaround_days: 30", "turnaround_days: 0")
        .replace("horizon_days: 30", "horizon_days: 30, colour: red")
    )
    assert len(problems(text)) == 3


def test_cross_field_rules() -> None:
    text = GOOD.replace(
        "supplier_repair: {supplier: acme, turnaround_days: 30}",
        "domestic_repair: {share: 1, turnaround_days: 10}",
    )
    (msg,) = problems(text)
    assert "data_rights" in msg and "systems[s].parts[p]" in msg


def test_tempo_levels_must_be_covered() -> None:
    text = GOOD.replace("hours_per_day: 2", "hours_per_day: {peace: 1}").replace(
        "horizon_days: 30}",
        "horizon_days: 30, tempo: [{start_day: 0, level: peace}, {start_day: 5, level: war}]}",
    )
    (msg,) = problems(text)
    assert "forces[f].fleets[fl].hours_per_day" in msg and "war" in msg


def test_horizon_too_large_for_memory() -> None:
    doc = tether.load_text(GOOD.replace("horizon_days: 30", "horizon_days: 36500"), "big.yaml")
    with pytest.raises(tether.CapacityError) as info:
        compile_scenario(doc, doc.scenario(), max_bytes=1_000_000)
    (d,) = info.value.diagnostics
    assert (d.file, d.line, d.field) == ("big.yaml", 16, "scenarios[sc].horizon_days")
    assert "GiB" in d.message


def test_horizon_beyond_a_century_is_rejected() -> None:
    (msg,) = problems(GOOD.replace("horizon_days: 30", "horizon_days: 100000"))
    assert "scenarios[sc].horizon_days" in msg


def test_not_a_mapping_and_unknown_section() -> None:
    assert "mapping of sections" in problems("- a\n- b\n")[0]
    (msg,) = problems("supplier: []\n")
    assert msg.startswith("bad.yaml:1:1: supplier: unknown section (did you mean 'suppliers'?)")


def test_duplicate_names_and_keys() -> None:
    (msg,) = problems(
        GOOD.replace(
            "  - {name: acme, jurisdiction: US}",
            "  - {name: acme, jurisdiction: US}\n  - {name: acme, jurisdiction: FR}",
        )
    )
    assert "duplicate name" in msg and msg.startswith("bad.yaml:3:")
    (msg,) = problems("suppliers:\n  - name: a\n    name: b\n    jurisdiction: US\n")
    assert msg.startswith("bad.yaml:3:5:") and "duplicate key" in msg


def test_norway_is_a_jurisdiction_not_false() -> None:
    doc = tether.load_text("suppliers:\n  - {name: kongsberg, jurisdiction: NO}\n")
    assert doc.supplier("kongsberg").jurisdiction == "NO"


def test_missing_file() -> None:
    with pytest.raises(InputError, match="no such file"):
        tether.load("does/not/exist.yaml")


def test_catalogue_use_and_override(tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    cat.mkdir()
    (cat / "systems.yaml").write_text(
        "suppliers:\n  - {name: acme, jurisdiction: US}\n"
        "systems:\n"
        "  - name: base\n"
        "    sources: [https://example.org/a]\n"
        "    parts:\n"
        "      - {name: p, failure_rate: 0.001, supplier_repair: {supplier: acme, turnaround_days: 30}}\n"
        "      - {name: q, failure_rate: 0.002, supplier_repair: {supplier: acme, turnaround_days: 10}}\n"
    )
    user = (
        "systems:\n"
        "  - use: base\n"
        "    name: variant\n"
        "    parts:\n"
        "      - {name: q, failure_rate: 0.005}\n"
        "      - {name: r, failure_rate: 0.0, supplier_repair: {supplier: acme, turnaround_days: 5}}\n"
        "  - use: base\n"
    )
    doc = tether.load_text(user, "user.yaml", catalogue=[cat])
    variant = doc.system("variant")
    assert [p.name for p in variant.parts] == ["p", "q", "r"]
    q = variant.parts[1]
    assert q.failure_rate == 0.005 and q.supplier_repair is not None
    assert q.supplier_repair.turnaround_days == 10  # kept from the catalogue
    assert variant.sources == ["https://example.org/a"]
    assert doc.system("base").parts[1].failure_rate == 0.002

    bad = user.replace("failure_rate: 0.005", "failure_rate: -1")
    with pytest.raises(InputError) as info:
        tether.load_text(bad, "user.yaml", catalogue=[cat])
    (d,) = info.value.diagnostics
    assert (d.file, d.line) == ("user.yaml", 5)  # the override's own line

    with pytest.raises(InputError, match="no systems entry named 'bsae'"):
        tether.load_text("systems:\n  - use: bsae\n", "u.yaml", catalogue=[cat])


def test_example_files_validate() -> None:
    for path in sorted(Path("examples").glob("*.yaml")):
        tether.load(path)
