"""The industrial base: hand-solvable TTS/TTR networks, located errors, the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tether
from tether import InputError
from tether._analysis.industry import compile_network, industry, network_of
from tether._cli.main import app

runner = CliRunner()

HEAD = """\
jurisdictions: [{name: A}, {name: B}]
suppliers:
  - {name: a-co, jurisdiction: A}
  - {name: b-co, jurisdiction: B}
  - {name: b-licensee, jurisdiction: B, controlled_by: [{by: A, basis: design authority}]}
"""


def doc(body: str) -> tether.Document:
    return tether.load_text(HEAD + body, "net.yaml", builtin=False)


# -- single tier: one product, two sites ------------------------------------------------
SINGLE = """\
industry:
  - name: single
    period_days: 1
    horizon_days: 100
    products:
      - {name: shell, kind: munition, unit_value: 2, demand: {X: 8}}
    sites:
      - {name: sa, supplier: a-co, makes: {shell: {capacity: 6}}, stock: {shell: 20}}
      - {name: sb, supplier: b-co, makes: {shell: {capacity: 4}}, stock: {shell: 10}}
"""


def rows(result: tether.Industry) -> dict[str, tether.IndustryRow]:
    return {r.target: r for r in result.rows}


def test_single_tier_by_hand() -> None:
    r = industry(doc(SINGLE), ttr_days=10)
    got = rows(r)
    # A down: B makes 4 a day against 8 wanted; B's 10 in stock cover the gap of 4 for 2.5
    # days; over 10 days 80 wanted, 40 made, 10 from stock: 30 short, worth 60.
    assert got["sa"].time_to_survive == pytest.approx(2.5)
    assert got["sa"].units_lost == pytest.approx(30.0)
    assert got["sa"].value_lost == pytest.approx(60.0)
    # B down: A makes 6, a gap of 2 a day, A's 20 cover it for 10 days; nothing short in 10.
    assert got["sb"].time_to_survive == pytest.approx(10.0)
    assert got["sb"].units_lost == pytest.approx(0.0)
    assert [x.target for x in r.rows] == ["sa", "sb"]
    assert got["sa"].risk_exposure_index == 1.0 and got["sb"].risk_exposure_index == 0.0
    assert r.baseline_tts is None and r.baseline_value_lost == pytest.approx(0.0)


# -- multi-tier: a component made at one site, the munition at another -------------------
MULTI = """\
industry:
  - name: multi
    period_days: 1
    horizon_days: 100
    products:
      - {name: motor, kind: component}
      - {name: missile, kind: munition, bom: {motor: 2}, demand: {X: 4}}
    sites:
      - {name: motors, supplier: a-co, makes: {motor: {capacity: 10}}}
      - {name: prime, supplier: b-licensee, makes: {missile: {capacity: 5}},
         stock: {motor: 12, missile: 6}}
"""


def test_multi_tier_by_hand() -> None:
    got = rows(industry(doc(MULTI), ttr_days=10))
    # Motors down: 12 motors make 6 missiles, plus 6 in stock: 12 missiles, 3 days of 4;
    # over 10 days 40 wanted, 12 available: 28 short.
    assert got["motors"].time_to_survive == pytest.approx(3.0)
    assert got["motors"].units_lost == pytest.approx(28.0)
    # The prime down: its stock goes with it: nothing from day 0.
    assert got["prime"].time_to_survive == pytest.approx(0.0)
    assert got["prime"].units_lost == pytest.approx(40.0)


def test_a_jurisdiction_stops_what_it_controls() -> None:
    by_j = rows(industry(doc(MULTI), by="jurisdiction", ttr_days=10))
    # A hosts the motor plant and holds design authority over the prime in B.
    assert by_j["A"].stops == ("motors", "prime")
    assert by_j["A"].units_lost == pytest.approx(40.0)
    assert by_j["B"].stops == ("prime",)
    by_s = rows(industry(doc(MULTI), by="supplier", ttr_days=10))
    assert set(by_s) == {"a-co", "b-licensee"}  # b-co runs no site: left out
    assert by_s["a-co"].stops == ("motors",)  # the control edge is A's, not a-co's


# -- a component shared by two products, and stock -------------------------------------
SHARED = """\
industry:
  - name: shared
    period_days: 1
    horizon_days: 100
    products:
      - {name: seeker, kind: component}
      - {name: m1, kind: munition, unit_value: 10, bom: {seeker: 1}, demand: {X: 3}}
      - {name: m2, kind: munition, unit_value: 1, bom: {seeker: 1}, demand: {X: 3}}
    sites:
      - {name: seek1, supplier: a-co, makes: {seeker: {capacity: 6}}}
      - {name: seek2, supplier: b-co, makes: {seeker: {capacity: 3}}}
      - {name: p1, supplier: b-co, makes: {m1: {capacity: 10}}}
      - {name: p2, supplier: b-co, makes: {m2: {capacity: 10}}, stock: {m2: STOCK}}
"""


def test_shared_component_goes_to_the_dearer_product() -> None:
    got = rows(industry(doc(SHARED.replace("STOCK", "0")), ttr_days=10))
    # Seekers fall to 3 a day for 6 wanted: no time to survive; over 10 days the 30
    # seekers go to m1 (worth 10), m2 is 30 short, worth 30.
    assert got["seek1"].time_to_survive == pytest.approx(0.0)
    assert got["seek1"].units_lost == pytest.approx(30.0)
    assert got["seek1"].value_lost == pytest.approx(30.0)


def test_stock_downstream_buys_time() -> None:
    got = rows(industry(doc(SHARED.replace("STOCK", "30")), ttr_days=10))
    # 30 m2 in stock cover m2 for 10 days while the 3 seekers a day go to m1.
    assert got["seek1"].time_to_survive == pytest.approx(10.0)
    assert got["seek1"].units_lost == pytest.approx(0.0)
    # The stock is lost with its own site.
    assert got["p2"].time_to_survive == pytest.approx(0.0)
    assert got["p2"].units_lost == pytest.approx(30.0)


def test_ramp_counts_in_the_ttr_window_and_tts_uses_the_start_day() -> None:
    text = SINGLE.replace(
        "{shell: {capacity: 4}}", "{shell: {capacity: 4, ramp: [{day: 5, capacity: 8}]}}"
    )
    got = rows(industry(doc(text), ttr_days=10))
    # A down: B makes 4 a day for 5 days then 8: 60 made, 10 in stock, 80 wanted: 10 short.
    assert got["sa"].units_lost == pytest.approx(10.0)
    assert got["sa"].time_to_survive == pytest.approx(2.5)
    later = rows(industry(doc(text), ttr_days=10, day=5))
    assert later["sa"].units_lost == pytest.approx(0.0)
    assert later["sa"].time_to_survive is None


def test_sustained_demand_when_lines_fall_short() -> None:
    text = SINGLE.replace("demand: {X: 8}", "demand: {X: 20}")
    r = industry(doc(text), ttr_days=10)
    assert r.sustained == {"shell": 0.5}
    # Undisrupted 10 a day of 20: 100 short over 10 days, less 30 in stock.
    assert r.baseline_units_lost == pytest.approx(70.0)
    assert r.baseline_tts is None  # against the 10 a day the lines sustain
    got = rows(r)
    # A down: 4 a day against the sustained 10, B's 10 in stock: 10/6 days.
    assert got["sa"].time_to_survive == pytest.approx(10 / 6)


def test_compile_is_per_day_and_pools_stock() -> None:
    d = tether.load_text(
        HEAD + SINGLE.replace("period_days: 1", "period_days: 2"), "n.yaml", builtin=False
    )
    arrays = compile_network(d, network_of(d))
    assert list(arrays.rate) == [3.0, 2.0]
    assert list(arrays.demand) == [4.0]
    assert list(arrays.stock_total) == [30.0]


# -- located errors --------------------------------------------------------------------
BAD = {
    "cycle": (
        SINGLE.replace(
            "      - {name: shell, kind: munition, unit_value: 2, demand: {X: 8}}",
            "      - {name: shell, kind: munition, unit_value: 2, demand: {X: 8}, bom: {fuze: 1}}\n"
            "      - {name: fuze, kind: component, bom: {shell: 1}}",
        ).replace(
            "makes: {shell: {capacity: 6}}", "makes: {shell: {capacity: 6}, fuze: {capacity: 9}}"
        ),
        "net.yaml:12:52: industry[single].products[fuze].bom.shell: "
        "bill-of-materials cycle: shell -> fuze -> shell",
    ),
    "nobody makes": (
        SINGLE.replace("    sites:", "      - {name: fuze, kind: component}\n    sites:"),
        "net.yaml:12:16: industry[single].products[fuze].name: no site makes 'fuze' "
        "(give a site 'makes: {fuze: ...}')",
    ),
    "negative capacity": (
        SINGLE.replace("capacity: 6", "capacity: -6"),
        "net.yaml:13:62: industry[single].sites[sa].makes.shell.capacity: "
        "Input should be greater than or equal to 0 (got -6)",
    ),
    "unknown supplier": (
        SINGLE.replace("supplier: b-co", "supplier: b-c0"),
        "net.yaml:14:30: industry[single].sites[sb].supplier: "
        "no supplier named 'b-c0' (did you mean 'b-co'?)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_network_one_located_message_exit_2(case: str, tmp_path: Path) -> None:
    text, message = BAD[case]
    path = tmp_path / "net.yaml"
    path.write_text(HEAD + text)
    with pytest.raises(InputError) as err:
        industry(tether.load(path, builtin=False))
    assert [str(d).replace(str(path), "net.yaml") for d in err.value.diagnostics] == [message]
    res = runner.invoke(app, ["industry", str(path), "--no-builtin"])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert message in res.output.replace(str(path), "net.yaml").replace("\n", "")


@pytest.mark.parametrize("case", sorted(BAD))
def test_validate_reports_a_bad_network_located_exit_2(case: str, tmp_path: Path) -> None:
    text, message = BAD[case]
    path = tmp_path / "net.yaml"
    path.write_text(HEAD + text)
    res = runner.invoke(app, ["validate", str(path), "--no-builtin"])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert message in res.output.replace(str(path), "net.yaml").replace("\n", "")
    assert "1 problem found" in res.output


def test_network_checks_load_no_numpy() -> None:
    code = (
        "import sys, tether._loader, tether._refs, tether._checks_industry; "
        "print(sorted(m for m in ('numpy', 'scipy', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- the command -------------------------------------------------------------------------
def test_command_table_json_and_out(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(HEAD + MULTI)
    res = runner.invoke(app, ["industry", str(path), "--no-builtin", "--ttr", "10"])
    assert res.exit_code == 0, res.output
    assert "prime" in res.stdout and "motors" in res.stdout
    res = runner.invoke(
        app,
        [
            "industry",
            str(path),
            "--no-builtin",
            "--by",
            "jurisdiction",
            "--json",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [r["target"] for r in data["rows"]] == ["A", "B"]
    assert data["rows"][0]["risk_exposure_index"] == 1.0
    assert (tmp_path / "o" / "industry.csv").read_text().startswith("target,time_to_survive")
    assert json.loads((tmp_path / "o" / "industry.json").read_text()) == data


def test_command_needs_a_network_name_when_ambiguous(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(HEAD + MULTI + SINGLE.replace("industry:\n", ""))
    res = runner.invoke(app, ["industry", str(path), "--no-builtin"])
    assert res.exit_code == 2 and "name the industry network" in res.output
    res = runner.invoke(app, ["industry", str(path), "--no-builtin", "-n", "single"])
    assert res.exit_code == 0 and "sa" in res.stdout


# -- the catalogue's network from the public record ------------------------------------
@pytest.fixture(scope="module")
def europe() -> tether.Document:
    return tether.load_text("{}\n", "<catalogue>")


def test_catalogue_network_reflects_the_record(europe: tether.Document) -> None:
    net = network_of(europe, "europe-munitions")
    sites = {s.name: s for s in net.sites}
    assert sites["lockheed-camden-pac3"].makes["pac-3-mse"].capacity_on(0) == 620
    assert sites["lockheed-camden-pac3"].makes["pac-3-mse"].capacity_on(1461) == 2000
    assert sites["unterluess"].makes["shell-155mm"].capacity_on(730) == 350_000
    by_j = rows(industry(europe, "europe-munitions", by="jurisdiction", ttr_days=90))
    # US design authority reaches the GEM-T line in Germany
    assert "comlog-schrobenhausen" in by_j["US"].stops
    # Germany stops the Korean licence-built K9 engine line as well as its own plants
    assert {"hanwha-k9-engine-line", "unterluess", "mtu-friedrichshafen"} <= set(by_j["DE"].stops)
    # Italy stops the booster line, and (through the catalogue's control edge: MBDA France's
    # munitions depend on Avio's booster) the Aster line itself
    assert set(by_j["IT"].stops) == {"avio-colleferro", "mbda-bourges"}
    assert by_j["IT"].time_to_survive is not None and by_j["IT"].units_lost > 0
    ranked = [r.target for r in industry(europe, by="jurisdiction").rows]
    assert ranked[0] == "US"


def test_catalogue_pac3_goes_to_the_us_first_when_the_seeker_line_stops(
    europe: tether.Document,
) -> None:
    from tether._analysis.industry import line_output

    cut = tether.Cutoff(supplier="boeing-seeker", start_day=10)
    out = line_output(europe, "europe-munitions", [cut], days=[0, 10])
    # day 0: the lines make 620 + 30 a year (seekers 900 for 760 + 200 wanted: enough);
    # the US takes its 500 first, the 150 left go pro rata to DE 100, PL 100, JP 60
    assert out.of("pac-3-mse", "US")[0] == pytest.approx(500 / 365)
    assert out.of("pac-3-mse", "DE")[0] == pytest.approx(150 * 100 / 260 / 365)
    assert out.of("pac-3-mse", "US")[1] == 0.0 and out.of("pac-3-mse", "DE")[1] == 0.0


def test_an_empty_network_loses_nothing() -> None:
    r = industry(tether.load_text("industry: [{name: e}]\n", "e.yaml", builtin=False))
    assert r.rows == () and r.baseline_tts is None and r.baseline_value_lost == 0.0
