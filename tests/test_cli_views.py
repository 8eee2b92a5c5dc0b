"""What the tables look like: they fit 80 columns, use more when there is more, name
their reference, flag a force that runs short on its own, and explain a drop."""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

import tether
from tether._cli.catalogue import entry_text, list_entries
from tether._cli.main import app
from tether._cli.progress import PlainProgress
from tether._cli.render import REFERENCE, exposure_tables, print_result, short_flags
from tether._result import Result

runner = CliRunner()
SINGLE = "examples/single-fleet.yaml"
EUROPE = "examples/europe-us-withholds-year.yaml"


@cache
def _results(path: str, engine: str = "analytic") -> tuple[Result, ...]:
    doc = tether.load(path)
    options = {"reps": 64, "seed": 1} if engine == "montecarlo" else {}
    return tuple(tether.simulate(doc, s, engine=engine, **options) for s in doc.own_scenarios())


@cache
def _exposure() -> tether.Exposure:
    return tether.exposure(tether.load_text("{}\n", "<catalogue>"), "european-nato")


def _render_run(path: str, width: int, engine: str = "analytic", **kw: bool) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    for r in _results(path, engine):
        print_result(console, r, fleets=kw.get("fleets", False), explain=kw.get("explain", False))
    return console.export_text()


def _render_exposure(width: int, top: int = 8) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    for table in exposure_tables(console, _exposure(), top):
        console.print(table)
    return console.export_text()


def _assert_fits(text: str, width: int) -> None:
    # the assumptions line is prose, wrapped by the console like any text
    for line in text.splitlines():
        assert len(line) <= width, line
    assert "…" not in text and "..." not in text


CASES = [
    (SINGLE, "analytic", False),
    (SINGLE, "montecarlo", False),
    (EUROPE, "analytic", False),
    (EUROPE, "analytic", True),
    (EUROPE, "montecarlo", False),
]


@pytest.mark.parametrize(("path", "engine", "fleets"), CASES)
def test_run_tables_fit_80_columns_uncut(path: str, engine: str, fleets: bool) -> None:
    text = _render_run(path, 80, engine, fleets=fleets, explain=True)
    _assert_fits(text, 80)
    for area in _results(path, engine)[0].summary:
        assert area in text  # no area name folded over two lines
    for metric in ("TTS", "lost", "min", "rec", "base"):
        assert metric in text
    assert REFERENCE in " ".join(text.split())


def test_run_at_120_columns_shows_more_than_at_80() -> None:
    narrow, wide = _render_run(EUROPE, 80), _render_run(EUROPE, 120)
    _assert_fits(wide, 120)
    assert max(map(len, wide.splitlines())) > 80

    # at 80 columns: a days table and a metrics table; at 120, one table
    def day_header(text: str) -> str:
        return next(line for line in text.splitlines() if "day 7" in line or "d7 " in line)

    assert "TTS" not in day_header(narrow) and "TTS" in day_header(wide)
    assert len(wide.splitlines()) < len(narrow.splitlines())


def test_run_at_200_columns_is_one_table_per_result() -> None:
    text = _render_run(SINGLE, 200)
    header = next(line for line in text.splitlines() if "day 7" in line)
    assert "TTS 75%" in header and "recovery" in header


def test_exposure_fits_80_columns_with_rank_days_lost_min_and_rei() -> None:
    text = _render_exposure(80)
    _assert_fits(text, 80)
    header = next(line for line in text.splitlines() if "kinds" in line)
    for column in ("#", "TTS75", "lost", "min", "worst area", "REI"):
        assert column in header, column
    rows = [line for line in text.splitlines() if re.match(r"^\s*\d+\s+[A-Z]{2}\s", line)]
    assert len(rows) == 8
    assert all(re.search(r"\d+\.\d\s+\d+%", row) for row in rows)  # days lost, min


def test_exposure_at_120_shows_the_rei_bar_and_full_headers() -> None:
    narrow, wide = _render_exposure(80), _render_exposure(120)
    _assert_fits(wide, 120)
    assert "##########" in wide and "##########" not in narrow
    header = next(line for line in wide.splitlines() if "kinds" in line)
    assert "jurisdiction" in header and "days lost" in header
    assert REFERENCE in " ".join(wide.split())


def test_tables_name_their_reference_and_tts_origin() -> None:
    text = " ".join(_render_run(SINGLE, 100).split())
    assert REFERENCE in text
    assert "TTS: days from the first cutoff's start (day 0)" in text


def test_baseline_that_falls_on_its_own_is_shown_and_flagged() -> None:
    result = _results(EUROPE)[0]
    air = result.summary["air-defence"]
    assert air.baseline_short_day is not None  # interceptors run out at this tempo
    text = _render_run(EUROPE, 120)
    assert f"{air.baseline:.1f} -> {air.baseline_min:.2f}" in text  # e.g. 48.9 -> 2.53
    flag = (
        "air-defence runs short even without a cutoff: its no-cutoff capability falls "
        f"below 75% of day 0 on day {air.baseline_short_day}"
    )
    assert flag in " ".join(text.split())
    assert "air-combat runs short" not in text
    assert short_flags(_results(SINGLE)[0].summary) == []


def test_explain_shares_come_from_result_drivers() -> None:
    result = _results(EUROPE)[0]
    text = _render_run(EUROPE, 100, explain=True)
    assert "What drives the loss in us-withholds-one-year" in text
    lrf = result.drivers["long-range-fires"]
    total = result.summary["long-range-fires"].capability_days_lost
    row = next(
        line
        for line in text.splitlines()
        if line.split()[:2] == ["long-range-fires", f"{total:.1f}"]
    )
    expected = [f"{100 * lrf[k] / total:.0f}%" for k in ("parts", "software", "munitions")]
    assert row.split()[-4:-1] == expected


def test_explain_through_the_command() -> None:
    res = runner.invoke(app, ["run", SINGLE, "--explain"])
    assert res.exit_code == 0, res.output
    assert "What drives the loss" in res.stdout
    for name in ("parts", "software", "munitions", "services"):
        assert name in res.stdout
    plain = runner.invoke(app, ["run", SINGLE])
    assert "What drives the loss" not in plain.stdout


def test_catalogue_show_is_yaml_not_python_reprs() -> None:
    res = runner.invoke(app, ["catalogue", "show", "himars"])
    assert res.exit_code == 0, res.output
    assert "{'" not in res.stdout and "': " not in res.stdout
    assert res.stdout.startswith("# system\n")
    data = yaml.safe_load(res.stdout)
    assert data["name"] == "himars"
    assert data["services"][0]["name"] == "targeting-intelligence"
    assert any("houstonianonline.com" in s for s in data["sources"])
    assert "munitions" in data["assumed"]


def test_entry_text_round_trips_every_catalogue_entry() -> None:
    doc = tether.load_text("{}\n", "<catalogue>")
    for section in ("systems", "suppliers", "forces"):
        for entry in getattr(doc, section):
            data = yaml.safe_load(entry_text(section, entry))
            assert data["name"] == entry.name
            assert data["sources"] == list(entry.sources)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["run"],
        ["validate"],
        ["exposure"],
        ["schema"],
        ["catalogue"],
        ["catalogue", "list"],
        ["catalogue", "show"],
        ["catalogue", "check"],
    ],
)
def test_help_ends_with_examples_on_their_own_lines(args: list[str]) -> None:
    res = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    lines = [line.strip() for line in res.stdout.splitlines() if line.strip()]
    at = lines.index("Examples:")
    examples = lines[at + 1 :]
    assert 1 <= len(examples) <= 2
    assert all(e.startswith("tether ") and "  tether" not in e for e in examples)
    if args and args[0] != "catalogue":
        assert all(e.startswith(f"tether {args[0]}") for e in examples)


def test_plain_progress_is_throttled_lines_without_control_codes() -> None:
    now = [0.0]
    stream = io.StringIO()
    report = PlainProgress(stream, delay=0.5, interval=0.5, clock=lambda: now[0]).task("sim x")
    for step in range(1, 101):  # 100 steps over 2 seconds
        now[0] = step * 0.02
        report(step, 100)
    lines = stream.getvalue().splitlines()
    assert lines == ["sim x: 25%", "sim x: 50%", "sim x: 75%", "sim x: 100%"]
    assert "\x1b" not in stream.getvalue()


def test_quick_work_prints_no_progress() -> None:
    now = [0.0]
    stream = io.StringIO()
    report = PlainProgress(stream, clock=lambda: now[0]).task("sim x")
    for step in range(1, 11):
        now[0] = step * 0.01
        report(step, 10)
    assert stream.getvalue() == ""


def test_catalogue_list_fits_80_columns_uncut() -> None:
    console = Console(width=80, record=True, file=io.StringIO())
    list_entries(console, None, None)
    text = console.export_text()
    _assert_fits(text, 80)
    doc = tether.load_text("{}\n", "<catalogue>")
    for system in doc.systems:
        assert f" {system.name} " in text  # names whole, on one line


@pytest.mark.parametrize("path", sorted(str(p) for p in Path("examples").glob("*.yaml")))
def test_every_example_fits_80_columns(path: str) -> None:
    text = _render_run(path, 80, fleets=True, explain=True)
    _assert_fits(text, 80)


def test_a_diagnostic_at_line_100_prints_its_location_not_an_emoji(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tether._cli.common import err_console, print_error
    from tether._errors import Diagnostic, InputError

    err = InputError([Diagnostic("force.yaml", 100, 21, "fleets[f16].units", "must be at least 1")])
    print_error(err_console, err)
    text = capsys.readouterr().err
    assert "force.yaml:100:21" in text
    assert "\N{HUNDRED POINTS SYMBOL}" not in text
