"""The JSON Schema accepts every shipped file and rejects what the loader rejects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import tether
from tether import InputError
from tether._yaml import read_yaml, read_yaml_text

SHIPPED = sorted(Path("examples").glob("*.yaml")) + sorted(
    (Path(tether.__file__).parent / "catalogue").glob("*.yaml")
)
VALIDATOR = jsonschema.Draft202012Validator(tether.schema())


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _flat(errors: Any) -> list[str]:
    """Messages of errors and of the alternatives an ``anyOf`` tried."""
    out: list[str] = []
    for e in errors:
        out.append(f"{list(e.absolute_path)}: {e.message}")
        out += _flat(e.context or [])
    return out


def _errors(text: str) -> list[str]:
    return _flat(VALIDATOR.iter_errors(_plain(read_yaml_text(text, "t.yaml"))))


def test_the_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(tether.schema())


def test_every_shipped_file_is_found() -> None:
    names = {p.name for p in SHIPPED}
    assert {"japan-fms.yaml", "forces.yaml", "systems-air.yaml"} <= names and len(SHIPPED) >= 10


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_validate(path: Path) -> None:
    errors = [e.message for e in VALIDATOR.iter_errors(_plain(read_yaml(path)))]
    assert errors == []


GOOD = """\
suppliers:
  - {name: acme, jurisdiction: US, controlled_by: [DE, {by: FR, kinds: [repair]}]}
systems:
  - name: s
    parts:
      - name: p
        failure_rate: 0.001
        supplier_repair: {supplier: acme, turnaround_days: 30}
  - use: s
    name: s2
    parts:
      - name: p
        data_rights: true
        domestic_repair: {share: 1, turnaround_days: 10}
forces:
  - name: f
    operator: EE
    areas: [{name: a}]
    fleets:
      - {name: fl, system: s, area: a, units: 4, hours_per_day: 2}
  - use: f
    name: f2
    fleets:
      - {name: fl, system: s2}
scenarios:
  - {name: sc, force: f2, horizon_days: 30}
"""


def test_a_good_file_with_overrides() -> None:
    assert _errors(GOOD) == []
    tether.load_text(GOOD, "t.yaml")  # and the loader agrees


# (replaced, replacement, words of the schema's error): each is also a loader error
MISTAKES = [
    pytest.param("units: 4,", "units: 4, colour: red,", "'colour' was unexpected", id="unknown"),
    pytest.param(
        "name: s2\n", "name: s2\n    colour: red\n", "'colour' was unexpected", id="unknown-in-use"
    ),
    pytest.param(
        "data_rights: true",
        "data_rights: true\n        colour: red",
        "'colour' was unexpected",
        id="unknown-in-use-part",
    ),
    pytest.param(
        "share: 1, turnaround_days: 10}",
        "share: 1, turnaround_days: 10, colour: red}",
        "'colour' was unexpected",
        id="unknown-in-use-mapping",
    ),
    pytest.param("units: 4", "units: four", "is not of type 'integer'", id="text-for-integer"),
    pytest.param("units: 4", 'units: "4"', "is not of type 'integer'", id="quoted-integer"),
    pytest.param("units: 4", "units: true", "is not of type 'integer'", id="bool-for-integer"),
    pytest.param(
        "failure_rate: 0.001", "failure_rate: high", "is not of type 'number'", id="text-for-number"
    ),
    pytest.param(
        "failure_rate: 0.001", "failure_rate: true", "is not of type 'number'", id="bool-for-number"
    ),
    pytest.param(
        "share: 1,", "share: yes,", "is not of type 'number'", id="text-for-number-in-use"
    ),
    pytest.param(
        "failure_rate: 0.001", "failure_rate: 11", "greater than the maximum", id="above-bound"
    ),
    pytest.param("hours_per_day: 2", "hours_per_day: 25", "is not valid under", id="hours-above"),
    pytest.param(
        "{name: fl, system: s, area: a, units: 4, hours_per_day: 2}",
        "{name: fl, system: s, area: a, hours_per_day: 2}",
        "'units' is a required property",
        id="missing-without-use",
    ),
    pytest.param(
        "horizon_days: 30}",
        "horizon_days: 30, cutoffs: [{kinds: [repair]}]}",
        "not valid under any",
        id="cutoff-without-target",
    ),
    pytest.param(
        "horizon_days: 30}",
        "horizon_days: 30, cutoffs: [{jurisdiction: US, supplier: acme}]}",
        "valid under each of",
        id="cutoff-with-two-targets",
    ),
    pytest.param(
        "      - name: p\n        data_rights",
        "      - name: p\n        use: x\n        data_rights",
        "'use' was unexpected",
        id="use-inside-a-part",
    ),
    pytest.param(
        "    fleets:\n      - {name: fl, system: s2}",
        "    fleets:\n      - {system: s2}",
        "'name' is a required property",
        id="nameless-item-in-use",
    ),
]


@pytest.mark.parametrize(("old", "new", "words"), MISTAKES)
def test_common_mistakes_are_rejected_by_both(old: str, new: str, words: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new)
    errors = _errors(text)
    assert errors, "the schema accepted it"
    assert any(words in e for e in errors), errors
    with pytest.raises(InputError):
        tether.load_text(text, "t.yaml")


def test_required_fields_are_relaxed_only_under_use() -> None:
    defs = tether.schema()["$defs"]
    assert "failure_rate" in defs["Part"]["required"]
    assert defs["PartOverride"]["required"] == ["name"]
    assert defs["SystemTypeOverride"]["required"] == ["use"]
    # lists without names are replaced whole, so their items stay complete
    cutoffs = defs["ScenarioOverride"]["properties"]["cutoffs"]["items"]
    assert cutoffs == {"$ref": "#/$defs/Cutoff"}
