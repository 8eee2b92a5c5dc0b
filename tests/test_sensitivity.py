"""Sensitivity: SALib's Morris and Sobol through a vectorised evaluator (the Ishigami
check), the force's patched and stacked plans, ranges from a file, the CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tether
from tether._analysis.sensitivity import (
    RESULTS,
    Sensitivity,
    assumed_parameters,
    ranking_robustness,
    sensitivity,
)
from tether._analysis.sensitivity_plan import Param, PatchedPlan, capability, stack, stackable
from tether._analysis.sensitivity_salib import (
    MissingSALibError,
    MorrisIndices,
    analyse,
    morris_indices,
    require_salib,
    screen,
    sobol_indices,
)
from tether._cli.main import app
from tether._errors import ArgumentError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "single-fleet.yaml"
runner = CliRunner()

#: Ishigami (a=7, b=0.1) over [-pi, pi]^3: the analytic first-order and total indices.
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(x: np.ndarray) -> np.ndarray:
    """Vectorised Ishigami function of the first three columns; a fourth is a dummy."""
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


BOUNDS = np.array([[-np.pi, np.pi]] * 4)
NAMES = ["x1", "x2", "x3", "dummy"]


def test_ishigami_sobol_indices_match_the_analytic_values() -> None:
    """Through the same analysis as a force (Morris, then Sobol on what survives): with
    every input kept, S1 and ST are the analytic values within sampling error."""
    a = analyse(ishigami, NAMES, BOUNDS, np.zeros(4), samples=2048, share=0.0, seed=3)
    assert a.kept[:3] == sorted(a.kept[:3]) or set(a.kept) >= {0, 1, 2}
    s = a.sobol[0]
    order = [a.kept.index(i) for i in range(3)]
    s1, st = s.s1[order], s.st[order]
    assert s1 == pytest.approx(ISHIGAMI_S1, abs=0.04)
    assert st == pytest.approx(ISHIGAMI_ST, abs=0.04)
    # within the bootstrap's own confidence half-widths (x2 for slack)
    assert (np.abs(s1 - ISHIGAMI_S1) <= 2 * s.s1_conf[order] + 1e-3).all()
    assert (np.abs(st - ISHIGAMI_ST) <= 2 * s.st_conf[order] + 1e-3).all()


def test_a_dummy_input_gets_indices_near_zero() -> None:
    """The dummy fourth input: Morris mu* exactly 0; kept anyway (share 0 keeps only
    inputs with mu* > 0), so Sobol is run directly on all four: S1 and ST near 0."""
    s, runs = sobol_indices(ishigami, NAMES, BOUNDS, samples=1024, seed=5)
    assert runs == 1024 * (4 + 2)
    assert abs(s[0].s1[3]) < 0.02
    assert abs(s[0].st[3]) < 0.005
    m, m_runs = morris_indices(ishigami, NAMES, BOUNDS, trajectories=20, seed=5)
    assert m_runs == 20 * 5
    assert m[0].mu_star[3] == 0.0
    assert min(m[0].mu_star[:3]) > 1.0
    # the screening rule leaves it out
    assert 3 not in screen(m, share=0.1, max_sobol=8)


def test_morris_of_a_linear_function_is_its_coefficients() -> None:
    """f = 3 x0 + 0 x1 - 2 x2 on [0, 1]^3: every elementary effect is the coefficient."""
    coef = np.array([3.0, 0.0, -2.0])
    b = np.array([[0.0, 1.0]] * 3)
    m, runs = morris_indices(lambda x: x @ coef, ["a", "b", "c"], b, trajectories=6, seed=1)
    assert runs == 6 * 4
    assert m[0].mu == pytest.approx(coef)
    assert m[0].mu_star == pytest.approx(np.abs(coef))
    assert m[0].sigma == pytest.approx(np.zeros(3), abs=1e-12)


def test_screening_rule() -> None:
    z = np.zeros(4)
    one = MorrisIndices(np.array([10.0, 0.5, 2.0, 0.0]), z, z, z)
    two = MorrisIndices(np.array([0.0, 1.0, 0.0, 0.05]), z, z, z)
    # relative: max(1, 0), max(.05, 1), max(.2, 0), max(0, .05)
    assert screen([one, two], share=0.1, max_sobol=8) == [0, 1, 2]
    assert screen([one, two], share=0.1, max_sobol=2) == [0, 1]
    assert screen([one, two], share=0.0, max_sobol=8) == [0, 1, 2, 3]
    with pytest.raises(ArgumentError):
        screen([one], share=1.5, max_sobol=2)


def test_bad_arguments() -> None:
    with pytest.raises(ArgumentError):
        sobol_indices(ishigami, NAMES, BOUNDS, samples=100, seed=0)
    with pytest.raises(ArgumentError):
        morris_indices(ishigami, NAMES, BOUNDS, trajectories=1, seed=0)
    with pytest.raises(ArgumentError):
        morris_indices(ishigami, NAMES, BOUNDS[:, ::-1], trajectories=4, seed=0)


def test_missing_salib_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "SALib", None)
    with pytest.raises(MissingSALibError, match=r"tether\[opt\]"):
        require_salib()
    result = runner.invoke(app, ["sensitivity", str(EXAMPLE)])
    assert result.exit_code == 2
    assert "tether[opt]" in result.output
    assert "Traceback" not in result.output


def test_assumed_parameters_follow_the_marks() -> None:
    params = assumed_parameters(tether.load(EXAMPLE), "demo")
    assert params["systems[launcher-x].parts[engine].failure_rate"] == 0.0004
    assert params["systems[launcher-x].parts[hydraulics].new_buy.lead_time_days"] == 90.0
    assert len(params) == 8
    assert not any("condemnation" in p or "software" in p for p in params)


def _params(doc: tether.Document) -> list[Param]:
    return [Param(p, v, False, 2.0) for p, v in assumed_parameters(doc, "demo").items()]


def test_patched_stacked_plans_equal_compiled_ones() -> None:
    """A point's plan patched from the footprints, and many points stacked into one run,
    give exactly what compiling each point's document gives."""
    from tether._engine.analytic import run_analytic

    doc = tether.load(EXAMPLE)
    scen = doc.scenarios[0]
    params = _params(doc)
    pp = PatchedPlan(doc, "demo", scen, [[], scen.cutoffs], ["b", "s"], params)
    assert pp.proportional
    assert stackable(pp.base)
    x = np.exp(np.random.default_rng(2).uniform(np.log(0.5), np.log(2.0), (5, len(params))))
    stacked = capability(pp, x, chunk=5)
    for i in range(5):
        want = run_analytic(pp._compiled(x[i])).capability
        np.testing.assert_allclose(stacked[i], want, rtol=1e-12, atol=1e-12)
    assert len(stack([pp.base, pp.base]).fleets) == 2 * len(pp.base.fleets)


def test_sensitivity_fixed_seed() -> None:
    doc = tether.load(EXAMPLE)
    r = sensitivity(doc, "demo", trajectories=2, samples=8, seed=0)
    assert r.morris_runs == 2 * 9
    assert r.sobol_runs == 8 * (len(r.kept) + 2)
    # the base values: the scenario's and the exposure ranking's own figures
    assert r.base["capability_days_lost"] == pytest.approx(1617.1394247052415, rel=1e-9)
    top = tether.exposure(doc, "demo", horizon=365).rows[0]
    assert r.top_supplier == f"{top.target}: {top.kinds}" == "US: all"
    assert r.base["top_supplier_days_lost"] == pytest.approx(top.days_lost, rel=1e-12)
    assert len(r.rows) == 8
    assert 1 <= len(r.kept) <= 8
    assert all(set(row.morris) == set(RESULTS) for row in r.rows)
    again = sensitivity(doc, "demo", trajectories=2, samples=8, seed=0)
    assert again.to_dict() == r.to_dict()
    lead = r.rows[0]
    assert lead.path == "systems[launcher-x].parts[hydraulics].failure_rate"
    assert lead.low == pytest.approx(0.0001) and lead.high == pytest.approx(0.0004)
    with pytest.raises(ArgumentError):
        sensitivity(doc, "demo", factors=(2.0, 0.5))


def test_ranking_robustness() -> None:
    doc = tether.load(EXAMPLE)
    rows = ranking_robustness(doc, "demo", samples=4, seed=1, horizon=365)
    assert [r.base_rank for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r.p_first for r in rows) == pytest.approx(1.0)
    assert all(1 <= r.rank_low <= r.rank_high <= len(rows) for r in rows)
    assert (rows[0].target, rows[0].kinds, rows[0].p_first) == ("US", "all", 1.0)
    # a range this narrow leaves the ranking where the exposure table has it
    narrow = ranking_robustness(doc, "demo", samples=2, factors=(0.9999, 1.0001))
    ranked = tether.exposure(doc, "demo", horizon=365).rows
    assert [(r.target, r.kinds) for r in narrow] == [(r.target, r.kinds) for r in ranked]
    assert all(r.rank_low == r.rank_high == r.base_rank for r in narrow[:3])


def _ranges(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "ranges.yaml"
    f.write_text(text)
    return f


def test_ranges_file_overrides_and_adds(tmp_path: Path) -> None:
    from tether._analysis.sensitivity_ranges import load_ranges

    doc = tether.load(EXAMPLE)
    f = _ranges(
        tmp_path,
        "sensitivity:\n"
        "  factors: [0.8, 1.25]\n"
        "  ranges:\n"
        "    systems[launcher-x].parts[engine].failure_rate: {low: 0.0003, high: 0.0006}\n"
        "    forces[demo].fleets[launchers].hours_per_day: {factors: [0.5, 1.5]}\n",
    )
    spans, factors = load_ranges(f, doc)
    assert factors == (0.8, 1.25)
    assert spans == {
        "systems[launcher-x].parts[engine].failure_rate": (0.0003, 0.0006),
        "forces[demo].fleets[launchers].hours_per_day": (3.0, 9.0),
    }
    r = sensitivity(doc, "demo", ranges=spans, factors=factors, trajectories=2, samples=4)
    by = {row.path: row for row in r.rows}
    assert len(by) == 9  # the 8 assumed and hours per day
    assert (by["systems[launcher-x].parts[engine].failure_rate"].low) == pytest.approx(0.0003)
    assert by["forces[demo].fleets[launchers].hours_per_day"].high == pytest.approx(9.0)
    assert by["systems[launcher-x].parts[fire-control].failure_rate"].low == pytest.approx(0.00016)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "ranges:\n  systems[launcher-x].parts[nope].failure_rate: {low: 1, high: 2}\n",
            2,
            "no field at this path",
        ),
        (
            "ranges:\n  systems[launcher-x].parts[engine].failure_rate:\n"
            "    {low: 0.0005, high: 0.0002}\n",
            3,
            "empty range",
        ),
        (
            "ranges:\n  systems[launcher-x].parts[engine].condemnation: {low: 0.01, high: 1.5}\n",
            2,
            "above what the field accepts",
        ),
        (
            "ranges:\n  systems[launcher-x].parts[engine].failure_rate: {lo: 1, high: 2}\n",
            2,
            "unknown key 'lo'",
        ),
    ],
)
def test_ranges_errors_through_the_cli(tmp_path: Path, text: str, line: int, message: str) -> None:
    f = _ranges(tmp_path, text)
    result = runner.invoke(app, ["sensitivity", str(EXAMPLE), "--ranges", str(f)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"ranges.yaml:{line}:" in result.output
    assert message in result.output


def test_cli_sensitivity_json_and_chart(tmp_path: Path) -> None:
    chart = tmp_path / "s.html"
    args = ["sensitivity", str(EXAMPLE), "--trajectories", "2", "--samples", "4", "--json"]
    result = runner.invoke(app, [*args, "--ranking", "2", "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["force"] == "demo"
    assert data["results"] == list(RESULTS)
    assert len(data["rows"]) == 8
    assert len(data["ranking"]) == 12
    page = chart.read_text()
    assert "Robustness of the exposure ranking" in page
    assert 'id="sensitivity-chart-0-data"' in page
    table = runner.invoke(
        app, ["sensitivity", str(EXAMPLE), "--trajectories", "2", "--samples", "4"]
    )
    assert table.exit_code == 0, table.output
    assert "S1" in table.output and "ST" in table.output
    bad = runner.invoke(app, ["sensitivity", "nope", "--file", str(EXAMPLE)])
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output


def _small() -> Sensitivity:
    doc = tether.load(EXAMPLE)
    return sensitivity(doc, "demo", trajectories=2, samples=4, ranking=3, seed=1)


def test_report_section_formats_the_analysis() -> None:
    from tether._report.html import render_report
    from tether._report.sensitivity import sensitivity_chart, sensitivity_section

    s = _small()
    html = render_report(
        [tether.simulate(tether.load(EXAMPLE))], plotly=False, extra=[sensitivity_section(s)]
    )
    assert html.index("Summary per area") < html.index("Sensitivity to assumptions: demo")
    assert html.count("<th>ST</th>") == 3
    assert "Robustness of the exposure ranking (3 samples)" in html
    assert f"<td>{s.ranking[0].target}: {s.ranking[0].kinds}</td>" in html
    chart = sensitivity_chart(s)
    assert len(chart["data"]) == 6
    kept = [r for r in s.rows[:12] if r.screened_in]
    st = chart["data"][1]["x"][::-1]  # capability-days lost, ST, in row order
    assert [x for x in st if x is not None] == [
        round(r.sobol["capability_days_lost"]["st"], 6) for r in kept
    ]


@pytest.mark.slow
def test_cli_report_with_sensitivity(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(EXAMPLE), "--sensitivity", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "Sensitivity to assumptions: demo, us-pause-90" in page
    assert "Robustness of the exposure ranking (32 samples)" in page


def test_a_field_that_is_no_plain_scaling_compiles_each_point() -> None:
    """A spares count (an integer array of the plan) cannot be patched: every point of
    the analysis compiles its own plan, with the same results as compiling by hand."""
    from tether._engine.analytic import run_analytic

    doc = tether.load(EXAMPLE)
    scen = doc.scenarios[0]
    params = [*_params(doc), Param("forces[demo].fleets[launchers].spares[engine]", 3, True, 2)]
    pp = PatchedPlan(doc, "demo", scen, [[], scen.cutoffs], ["b", "s"], params)
    assert not pp.proportional
    x = np.ones((2, len(params)))
    x[1, -1] = 2.0  # six engines
    got = capability(pp, x, chunk=2)
    same = {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(got[0], run_analytic(pp.base).capability, **same)
    np.testing.assert_allclose(got[1], run_analytic(pp._compiled(x[1])).capability, **same)
    assert not np.array_equal(got[0], got[1])


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(0.5, 2.0), min_size=8, max_size=8), st.integers(1, 4))
def test_patched_plans_equal_compiled_ones_anywhere(factors: list[float], chunk: int) -> None:
    """Property: at any point of the ranges, stacked with copies of the base or not."""
    from tether._engine.analytic import run_analytic

    pp = _single_patched()
    x = np.vstack([np.ones(8), np.asarray(factors)])
    got = capability(pp, x, chunk)
    same = {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(got[1], run_analytic(pp._compiled(x[1])).capability, **same)
    np.testing.assert_allclose(got[0], run_analytic(pp.base).capability, **same)


_PATCHED: list[PatchedPlan] = []


def _single_patched() -> PatchedPlan:
    if not _PATCHED:
        doc = tether.load(EXAMPLE)
        scen = doc.scenarios[0]
        _PATCHED.append(
            PatchedPlan(doc, "demo", scen, [[], scen.cutoffs], ["b", "s"], _params(doc))
        )
    return _PATCHED[0]


def test_a_force_no_scenario_plays_takes_its_top_supplier() -> None:
    """``tether sensitivity canada``: the scenario is the exposure ranking's top row
    withholding from day 0 for a year; its base figures are that row's."""
    doc = tether.load_text("scenarios: []")
    r = sensitivity(doc, "canada", trajectories=2, samples=4)
    top = tether.exposure(doc, "canada", horizon=365).rows[0]
    assert r.scenario == f"{top.target}-withholds-{top.kinds}"
    assert r.base["capability_days_lost"] == pytest.approx(top.capability_days_lost, rel=1e-9)
    assert r.base["top_supplier_days_lost"] == pytest.approx(top.days_lost, rel=1e-9)
    assert r.base["time_to_survive"] == top.time_to_survive[0.75]
