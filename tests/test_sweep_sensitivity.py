"""Sensitivity: Morris screening of a force's assumed parameters."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import tether
from tether._analysis.sensitivity import assumed_parameters, morris, sensitivity
from tether._cli.main import app
from tether._errors import ArgumentError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "single-fleet.yaml"
runner = CliRunner()


def test_morris_recovers_a_known_linear_case() -> None:
    """f = 3 x0 + 0 x1 - 2 x2: every elementary effect is the coefficient exactly, and an
    input the result does not depend on gets mu* = 0."""
    coef = np.array([3.0, 0.0, -2.0])
    effects, runs = morris(lambda x: float(coef @ x), 3, 6, np.random.default_rng(1))
    assert runs == 6 * 4
    for c, e in zip(coef, effects, strict=True):
        assert len(e) == 6
        assert np.allclose(e, c)


def test_morris_separates_interaction_from_linear() -> None:
    """f = x0 * x1 + x2: x2 has sigma 0, x0 and x1 a spread of effects."""
    effects, _ = morris(lambda x: float(x[0] * x[1] + x[2]), 3, 20, np.random.default_rng(3))
    assert np.std(effects[2]) == pytest.approx(0.0, abs=1e-12)
    assert np.std(effects[0]) > 0.1
    assert np.std(effects[1]) > 0.1


def test_assumed_parameters_follow_the_marks() -> None:
    params = assumed_parameters(tether.load(EXAMPLE), "demo")
    # the example marks its system's parts as assumed: their rates, turnarounds and lead
    # times (not the shares or condemnation fractions, nor the unmarked software)
    assert params["systems[launcher-x].parts[engine].failure_rate"] == 0.0004
    assert params["systems[launcher-x].parts[hydraulics].new_buy.lead_time_days"] == 90.0
    assert len(params) == 8
    assert not any("condemnation" in p or "software" in p for p in params)


@pytest.mark.slow
def test_sensitivity_ranks_fixed_seed() -> None:
    r = sensitivity(tether.load(EXAMPLE), "demo", trajectories=1, seed=0)
    assert r.runs == 1 * 9 + 1
    assert r.base == pytest.approx(1617.1394247052415, rel=1e-9)
    assert len(r.rows) == 8
    assert [x.mu_star for x in r.rows] == sorted((x.mu_star for x in r.rows), reverse=True)
    again = sensitivity(tether.load(EXAMPLE), "demo", trajectories=1, seed=0)
    assert [x.path for x in again.rows] == [x.path for x in r.rows]
    with pytest.raises(ArgumentError):
        sensitivity(tether.load(EXAMPLE), "demo", factors=(2.0, 0.5))


def test_cli_sensitivity_json() -> None:
    result = runner.invoke(app, ["sensitivity", str(EXAMPLE), "--trajectories", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["force"] == "demo"
    assert data["method"] == "morris"
    assert len(data["rows"]) == 8
    bad = runner.invoke(app, ["sensitivity", "nope", "--file", str(EXAMPLE)])
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output


def test_ranking_robustness() -> None:
    from tether._analysis.sensitivity import ranking_robustness

    doc = tether.load(EXAMPLE)
    rows = ranking_robustness(doc, "demo", samples=4, seed=1, horizon=365)
    assert [r.base_rank for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r.p_first for r in rows) == pytest.approx(1.0)
    assert all(1 <= r.rank_low <= r.rank_high <= len(rows) for r in rows)
    assert (rows[0].target, rows[0].kinds, rows[0].p_first) == ("US", "all", 1.0)
    # a range this narrow leaves the ranking where it is
    narrow = ranking_robustness(doc, "demo", samples=2, factors=(0.9999, 1.0001))
    assert all(r.rank_low == r.rank_high == r.base_rank for r in narrow[:3])
