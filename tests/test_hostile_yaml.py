"""Hostile YAML: alias bombs, deep nesting, huge files; and the two parsers agree.

Every hostile input gives one located message and exit code 2, quickly and within a
bounded memory. libyaml's C parser and PyYAML's pure-Python parser feed the same
builder: values, positions and messages must be identical.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tether
from tether import InputError, _yaml
from tether._cli.main import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "examples").glob("*.yaml")) + sorted(
    (ROOT / "src" / "tether" / "catalogue").glob("*.yaml")
)
PEAK_BYTES = 200 * 2**20

PATHS = [pytest.param(True, id="libyaml"), pytest.param(False, id="pure-python")]
if not yaml.__with_libyaml__:  # pragma: no cover - PyYAML built without libyaml
    PATHS = PATHS[1:]


@pytest.fixture(params=PATHS)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run the test once with each YAML parser."""
    monkeypatch.setattr(_yaml, "USE_LIBYAML", request.param)
    return request.param


def billion_laughs(levels: int = 9) -> str:
    """The classic bomb: each level is a list of nine aliases to the level below."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join(f"*{prev}" for _ in range(9)) + "]")
    return "\n".join(lines) + "\n"


def deep_notes(levels: int = 5000) -> str:
    """A legal ``notes:`` field holding a flow list nested ``levels`` deep."""
    return "systems:\n  - name: s\n    notes: " + "[" * levels + "]" * levels + "\n"


def deep_block(levels: int = 1000) -> str:
    """A block-style mapping nested ``levels`` deep under a section."""
    lines = ["jurisdictions:"]
    for i in range(levels):
        lines.append("  " * (i + 1) + f"k{i}:")
    lines.append("  " * (levels + 1) + "x: 1")
    return "\n".join(lines) + "\n"


def one_problem(text: str) -> tether.Diagnostic:
    with pytest.raises(InputError) as info:
        tether.load_text(text, "hostile.yaml")
    (d,) = info.value.diagnostics
    return d


def located(value: Any) -> Any:
    """A value with every position spelled out, for exact comparison."""
    if isinstance(value, _yaml.LDict):
        items = [
            (k, value.key_marks[k], value.value_marks[k], located(v)) for k, v in value.items()
        ]
        return ("map", value.mark, items)
    if isinstance(value, _yaml.LList):
        return (
            "list",
            value.mark,
            [(m, located(v)) for v, m in zip(value, value.item_marks, strict=True)],
        )
    return (type(value).__name__, value)


def read_both(text: str) -> tuple[Any, Any]:
    out = []
    for libyaml in (True, False):
        saved = _yaml.USE_LIBYAML
        _yaml.USE_LIBYAML = libyaml and yaml.__with_libyaml__
        try:
            out.append(located(_yaml.read_yaml_text(text, "x.yaml")))
        except InputError as exc:
            out.append([str(d) for d in exc.diagnostics])
        finally:
            _yaml.USE_LIBYAML = saved
    return out[0], out[1]


# -- alias bombs -------------------------------------------------------------------------


def test_alias_bomb_is_refused_at_the_alias(parser: bool) -> None:
    tracemalloc.start()
    try:
        d = one_problem(billion_laughs())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (d.file, d.line, d.column) == ("hostile.yaml", 6, 8)  # the alias that tips it
    assert "aliases would repeat more than 100,000 values" in d.message and "*e" in d.message
    assert peak < PEAK_BYTES


def test_alias_bomb_in_a_mapping_of_mappings(parser: bool) -> None:
    text = "a: &a {x: 1, y: 2, z: 3, w: 4}\n"
    for i in range(1, 12):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        text += f"{cur}: &{cur} {{p: *{prev}, q: *{prev}, r: *{prev}, s: *{prev}}}\n"
    d = one_problem(text)
    assert d.line > 1 and "aliases would repeat" in d.message


SMALL_ALIASES = """\
forces:
  - name: f
    operator: EE
    areas: [{name: fires}]
    fleets:
      - &first {name: h0, system: himars, area: fires, units: 4, hours_per_day: 2,
                spares: &sp {truck-powertrain: 3, launcher-module: 2}}
      - {name: h1, system: himars, area: fires, units: 4, hours_per_day: 2, spares: *sp}
      - {<<: *first, name: h2, units: 6}
"""


def test_a_few_small_aliases_still_work(parser: bool) -> None:
    fleets = tether.load_text(SMALL_ALIASES, "aliases.yaml").force("f").fleets
    assert [(f.name, f.units) for f in fleets] == [("h0", 4), ("h1", 4), ("h2", 6)]
    spares = {"truck-powertrain": 3, "launcher-module": 2}
    assert fleets[0].spares == fleets[1].spares == fleets[2].spares == spares
    assert fleets[2].hours_per_day == 2


def test_alias_bound_counts_what_the_alias_names(parser: bool) -> None:
    """An alias to a list of 999 items repeats 1,000 values: 100 uses pass, 101 do not."""
    head = "a: &a [" + ", ".join(["1"] * 999) + "]\n"
    uses = _yaml.MAX_ALIAS_VALUES // 1000
    ok = head + "b: [" + ", ".join(["*a"] * uses) + "]\n"
    assert len(_yaml.read_yaml_text(ok, "b.yaml")["b"]) == uses
    bad = head + "b: [" + ", ".join(["*a"] * (uses + 1)) + "]\n"
    with pytest.raises(InputError) as info:
        _yaml.read_yaml_text(bad, "b.yaml")
    (d,) = info.value.diagnostics
    assert (d.line, d.column) == (2, 5 + 4 * uses) and "100,000" in d.message


def test_recursive_alias_is_refused(parser: bool) -> None:
    with pytest.raises(InputError) as info:
        _yaml.read_yaml_text("- &a [1, *a]\n", "r.yaml")
    (d,) = info.value.diagnostics
    assert (d.line, d.column) == (1, 10) and "inside the value it names" in d.message


# -- nesting ----------------------------------------------------------------------------


def test_deep_flow_list_in_notes(parser: bool) -> None:
    tracemalloc.start()
    try:
        d = one_problem(deep_notes())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # root mapping, systems list, the entry: the notes' 98th '[' is the 101st level
    assert (d.line, d.column) == (3, 12 + 97)
    assert "nested more than 100 levels" in d.message
    assert peak < PEAK_BYTES


def test_deep_block_mapping(parser: bool) -> None:
    d = one_problem(deep_block())
    assert (d.line, d.column) == (101, 201) and "nested more than 100 levels" in d.message


def test_depth_bound_is_exact() -> None:
    ok = "[" * _yaml.MAX_DEPTH + "]" * _yaml.MAX_DEPTH
    _yaml.read_yaml_text(ok, "d.yaml")
    with pytest.raises(InputError, match="nested more than"):
        _yaml.read_yaml_text("[" + ok + "]", "d.yaml")


# -- size -------------------------------------------------------------------------------


def test_file_larger_than_the_bound(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# padding\n" * (_yaml.MAX_YAML_BYTES // 10 + 1))
    with pytest.raises(InputError) as info:
        tether.load(big)
    (d,) = info.value.diagnostics
    assert d.file == str(big) and "20 MiB" in d.message and "TETHER_MAX_YAML_BYTES" in d.message


def test_size_bound_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_MAX_YAML_BYTES", "100")
    d = one_problem("# " + "x" * 200 + "\n")
    assert d.message.startswith("file is 203 bytes: more than the 100 bytes")
    tether.load_text("# short\n", builtin=False)
    monkeypatch.setenv("TETHER_MAX_YAML_BYTES", "lots")
    d = one_problem("{}\n")
    assert d.file == "TETHER_MAX_YAML_BYTES" and "'lots'" in d.message


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_file_is_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_MAX_YAML_BYTES", str(2**20))
    with pytest.raises(InputError, match="larger: more than the 1 MiB"):
        tether.load("/dev/zero")


def test_too_many_values_for_the_size(parser: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_MAX_YAML_BYTES", "8000")  # 1,000 values
    d = one_problem("x: [" + "1," * 1200 + "1]\n")
    assert (d.line, d.column) == (1, 5 + 2 * 997) and "more than 1,000 values" in d.message


# -- through the command line ---------------------------------------------------------

HOSTILE = {
    "bomb": (billion_laughs(), "bomb.yaml:6:8:"),
    "deep-notes": (deep_notes(), "deep-notes.yaml:3:109:"),
    "deep-block": (deep_block(), "deep-block.yaml:101:201:"),
}


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_exit_2_without_traceback(tmp_path: Path, name: str, command: str) -> None:
    text, where = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    res = runner.invoke(app, [command, str(path)])
    assert res.exit_code == 2, res.output
    assert where in res.stderr
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_cli_file_over_the_size_bound(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * 2000 + "\n")
    res = runner.invoke(app, ["validate", str(path)], env={"TETHER_MAX_YAML_BYTES": "1000"})
    assert res.exit_code == 2
    assert f"{path}: file is 2,003 bytes: more than the 1,000 bytes" in res.stderr
    assert "Traceback" not in res.output


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    for name, (text, where) in HOSTILE.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        proc = subprocess.run(
            [sys.executable, "-m", "tether", "validate", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        assert proc.returncode == 2, proc.stderr
        assert where in proc.stderr and "Traceback" not in proc.stderr


# -- the two parsers agree --------------------------------------------------------------


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_read_the_same_with_both_parsers(path: Path) -> None:
    fast, slow = read_both(path.read_text())
    assert fast == slow
    assert fast[0] == "map"


BAD = [
    "suppliers:\n  - {name: a, jurisdiction: US\n",
    "a: b: c\n",
    "a:\n\t- 1\n",
    "a: '\x00'\n",
    "a: @x\n",
    "a: 1\n---\nb: 2\n",
    "a: *nope\n",
    "a: &x 1\nb: &x 2\n",
    "a: !!int x\n",
    "a: !!timestamp never\n",
    "a: !!python/object:os.system x\n",
    "{[a]: 1, a: 2, a: 3}\n",
    "a: <<\n",
    "b: &b [1]\nc: {<<: *b}\n",
]


@pytest.mark.parametrize("text", BAD)
def test_bad_yaml_gives_the_same_message_with_both_parsers(text: str) -> None:
    fast, slow = read_both(text)
    assert fast == slow
    assert isinstance(fast, list) and fast and all(m.startswith("x.yaml:") for m in fast)


def test_large_file_syntax_error_is_located_by_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_yaml, "_REPARSE_BELOW", 0)  # as for a file over 1 MiB
    with pytest.raises(InputError) as info:
        _yaml.read_yaml_text("a: 1\nb: [1, 2\n", "big.yaml")
    (d,) = info.value.diagnostics
    assert d.line == 3 and "YAML syntax error" in d.message


def test_yaml_12_booleans_and_merge_keys(parser: bool) -> None:
    value = _yaml.read_yaml_text(
        "a: NO\nb: yes\nc: true\nbase: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 3\n", "m.yaml"
    )
    assert (value["a"], value["b"], value["c"]) == ("NO", "yes", True)
    assert value["d"] == {"x": 3, "y": 2}
    assert value["d"].where("x") == _yaml.Mark("m.yaml", 7, 6)  # the override's own place
    assert value["d"].where("y") == _yaml.Mark("m.yaml", 4, 20)  # where it was merged from


texts = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: math.isfinite(f))
    | st.text(texts, max_size=12)
)
trees = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(texts, max_size=6), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=60, deadline=None)
@given(
    tree=st.dictionaries(st.text(texts, min_size=1, max_size=6), trees, max_size=4),
    flow=st.booleans(),
)
def test_any_dumped_tree_reads_back_the_same_with_both_parsers(tree: Any, flow: bool) -> None:
    text = yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True)
    fast, slow = read_both(text)
    assert fast == slow
    saved = _yaml.USE_LIBYAML
    try:
        assert _yaml.read_yaml_text(text, "t.yaml") == tree
    finally:
        _yaml.USE_LIBYAML = saved
