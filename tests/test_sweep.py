"""Sweeps: the sweep file, designs, the chunked Parquet dataset, resume, main effects."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import tether
from tether._cli.main import app
from tether._errors import ArgumentError, InputError
from tether._sweep import (
    chunks_of,
    load_sweep,
    main_effects,
    read_daily,
    read_dataset,
    run_sweep,
    worst_cases,
)
from tether._sweep import runner as runner_mod

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "single-fleet.yaml"
PATH = "systems[launcher-x].parts[engine].failure_rate"
runner = CliRunner()


def _write(tmp_path: Path, axes: str, head: str = "", name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(
        f"sweep:\n  file: {EXAMPLE}\n  force: demo\n  scenario: us-pause-90\n"
        f"  chunk_size: 5\n{head}axes:\n{axes}",
        encoding="utf-8",
    )
    return p


GRID = (
    "  jurisdiction: [US, DE]\n"
    "  kinds: [all, spares]\n"
    "  start_day: {from: 0, to: 60, step: 30}\n"
    "  duration_days: [30, 90]\n"
    f"  {PATH}: [0.0002, 0.0008]\n"
)


def test_cartesian_points_and_chunks(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, GRID))
    assert len(spec.points) == 2 * 2 * 3 * 2 * 2
    assert spec.points[0] == {
        "jurisdiction": "US",
        "kinds": "all",
        "start_day": 0,
        "duration_days": 30,
        PATH: 0.0002,
    }
    chunks = chunks_of(spec)
    assert sorted(i for c in chunks for i in c) == list(range(48))
    assert all(len(c) <= 5 for c in chunks)
    # scenarios sharing a plan (same failure rate) are kept together
    rates = [{spec.points[i][PATH] for i in c} for c in chunks]
    assert sum(len(r) > 1 for r in rates) <= 1


def test_a_sweep_point_matches_simulate(tmp_path: Path) -> None:
    """The base case as a one-point sweep gives simulate's summary of the scenario."""
    axes = "  jurisdiction: [US]\n  kinds: [all]\n  start_day: [0]\n  duration_days: [90]\n"
    spec = load_sweep(_write(tmp_path, axes + f"  {PATH}: [0.0004]\n"))
    run_sweep(spec, tmp_path / "out")
    frame = read_dataset(tmp_path / "out")
    ref = tether.simulate(tether.load(EXAMPLE), "us-pause-90").summary["long-range-fires"]
    rows = frame[frame["area"] == "long-range-fires"].set_index("metric")["value"]
    assert rows["days_lost"] == pytest.approx(ref.days_lost, rel=1e-12)
    assert rows["capability_days_lost"] == pytest.approx(ref.capability_days_lost, rel=1e-12)
    assert rows["days_lost"] == pytest.approx(83.0692206522478, rel=1e-9)
    assert rows["tts_0.5"] == 1.0


def test_sampled_designs_are_seeded_and_in_range(tmp_path: Path) -> None:
    axes = f"  start_day: {{from: 0, to: 100}}\n  {PATH}: {{from: 0.0001, to: 0.001}}\n"
    for design, n in (("latin-hypercube", 20), ("sobol", 16)):
        head = f"  design: {design}\n  samples: {n}\n  seed: 7\n"
        a = load_sweep(_write(tmp_path, axes, head))
        b = load_sweep(_write(tmp_path, axes, head))
        assert a.points == b.points
        assert len(a.points) == n
        assert all(isinstance(p["start_day"], int) and 0 <= p["start_day"] <= 100 for p in a.points)
        assert all(0.0001 <= p[PATH] <= 0.001 for p in a.points)
    lhs = load_sweep(_write(tmp_path, axes, "  design: latin-hypercube\n  samples: 20\n"))
    # a Latin hypercube puts one sample in each of the 20 strata of every axis
    strata = sorted(int((p[PATH] - 0.0001) / 0.0009 * 20) for p in lhs.points)
    assert strata == list(range(20))


@pytest.mark.parametrize(
    ("axes", "head", "needle"),
    [
        ("  systems[launcher-x].parts[nope].failure_rate: [1]\n", "", "no field at this path"),
        ("  start_day: {from: 10, to: 0, step: 1}\n", "", "an empty range"),
        ("  start_day: []\n", "", "an empty list"),
        ("  jurisdiction: [XX]\n", "", "no jurisdiction named 'XX'"),
        ("  kinds: [spare]\n", "", "is not a kind"),
        ("  wobble: [1]\n", "", "not an axis"),
        ("  start_day: [0]\n", "  design: sobol\n  samples: 10\n", "power of 2"),
    ],
)
def test_bad_sweep_files_are_located(tmp_path: Path, axes: str, head: str, needle: str) -> None:
    p = _write(tmp_path, axes, head)
    with pytest.raises(InputError) as info:
        load_sweep(p)
    d = info.value.diagnostics[0]
    assert needle in d.message
    assert d.line > 0
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(p), "--out", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not out.exists()


def test_unanswered_scheduler_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    p = _write(tmp_path, "  start_day: [0, 30]\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["sweep", str(p), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert result.exit_code == 2
    assert "no Dask scheduler answers" in result.output
    assert not out.exists()


def test_resume_writes_each_chunk_once(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, GRID))
    full = tmp_path / "full"
    run_sweep(spec, full)
    part = tmp_path / "part"
    first = run_sweep(spec, part, stop_after=3)
    assert (first.written, first.chunks) == (3, 10)
    before = {f.name: f.stat().st_mtime_ns for f in part.glob("chunk-*.parquet")}
    (part / ".chunk-00009.parquet.123.tmp").write_bytes(b"half a chunk")
    second = run_sweep(spec, part)
    assert (second.written, second.skipped) == (7, 3)
    for name, mtime in before.items():
        assert (part / name).stat().st_mtime_ns == mtime  # not written again
    assert not list(part.glob(".*.tmp"))
    pd.testing.assert_frame_equal(read_dataset(part), read_dataset(full))
    assert run_sweep(spec, part).written == 0


def test_a_different_sweep_in_the_same_directory_is_refused(tmp_path: Path) -> None:
    run_sweep(load_sweep(_write(tmp_path, "  start_day: [0, 30]\n")), tmp_path / "out")
    other = load_sweep(_write(tmp_path, "  start_day: [0, 60]\n", name="t.yaml"))
    with pytest.raises(ArgumentError, match="different sweep"):
        run_sweep(other, tmp_path / "out")


def test_a_failed_chunk_is_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_sweep(_write(tmp_path, GRID))
    real = runner_mod.evaluate
    failures = {"left": 2}

    def flaky(s: object, ids: list[int]) -> object:
        if 7 in ids and failures["left"]:
            failures["left"] -= 1
            raise OSError("worker lost")
        return real(s, ids)  # type: ignore[arg-type]

    monkeypatch.setattr(runner_mod, "evaluate", flaky)
    run_sweep(spec, tmp_path / "out")
    assert failures["left"] == 0
    assert read_dataset(tmp_path / "out")["scenario"].nunique() == 48


def test_main_effects_and_worst_cases(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, GRID))
    run_sweep(spec, tmp_path / "out")
    frame = read_dataset(tmp_path / "out")
    names = [a.name for a in spec.axes]
    effects = main_effects(frame, names)
    assert [e.axis for e in effects][:2] == ["duration_days", "jurisdiction"]
    by = {e.axis: e for e in effects}
    # each cutoff here ends within the horizon and the fleet recovers the same way
    # whenever it starts: the start day moves nothing
    assert by["start_day"].spread == pytest.approx(0.0, abs=1e-9)
    assert by["duration_days"].levels["90"] > by["duration_days"].levels["30"]
    worst = worst_cases(frame, names, 3)
    assert list(worst["jurisdiction"]) == ["US"] * 3
    assert list(worst["duration_days"]) == [90.0] * 3
    assert np.all(np.diff(worst["days_lost"].to_numpy()) <= 0)


def test_one_and_two_processes_give_the_same_dataset(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, GRID))
    run_sweep(spec, tmp_path / "one", workers=1)
    run_sweep(spec, tmp_path / "two", workers=2)
    pd.testing.assert_frame_equal(read_dataset(tmp_path / "one"), read_dataset(tmp_path / "two"))


def test_cli_sweep_prints_effects_and_json(tmp_path: Path) -> None:
    p = _write(tmp_path, GRID)
    result = runner.invoke(app, ["sweep", str(p), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "48 scenarios (analytic) in 10 chunks" in result.output
    assert f"{PATH}:" in result.output
    result = runner.invoke(app, ["sweep", str(p), "--out", str(tmp_path / "o"), "--json"])
    assert result.exit_code == 0
    import json

    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert (data["written"], data["skipped"]) == (0, 10)
    assert data["main_effects"][0]["axis"] == "duration_days"


@pytest.mark.slow
def test_killing_a_real_sweep_and_rerunning_it(tmp_path: Path) -> None:
    axes = (
        "  jurisdiction: [US, DE]\n  kinds: [all, spares, munitions]\n"
        "  start_day: {from: 0, to: 90, step: 30}\n  duration_days: [30, 90]\n"
        f"  {PATH}: {{from: 0.0001, to: 0.0008, count: 3}}\n"
    )
    p = _write(tmp_path, axes, name="k.yaml")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "tether", "sweep", str(p), "--out", str(out), "--daily"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(out.glob("chunk-*.parquet"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    k = len(list(out.glob("chunk-*.parquet")))
    spec = load_sweep(p, daily=True)
    assert 4 <= k < len(chunks_of(spec))
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    run_sweep(spec, tmp_path / "clean")
    again = read_dataset(out)
    assert not again.duplicated(["scenario", "area", "metric"]).any()
    pd.testing.assert_frame_equal(again, read_dataset(tmp_path / "clean"))
    daily = read_daily(out)  # the daily series too: whole, once
    assert not daily.duplicated(["scenario", "area", "day"]).any()
    pd.testing.assert_frame_equal(daily, read_daily(tmp_path / "clean"))


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_dataset(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    spec = load_sweep(_write(tmp_path, GRID))
    run_sweep(spec, tmp_path / "one")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        run_sweep(spec, tmp_path / "dask", scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(read_dataset(tmp_path / "one"), read_dataset(tmp_path / "dask"))


def test_a_bad_tempo_level_writes_nothing(tmp_path: Path) -> None:
    p = _write(tmp_path, "  tempo: [default, 3]\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["sweep", str(p), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "3 is not a valid tempo" in result.output
    assert not out.exists()


def test_a_moved_start_keeps_the_base_cutoffs_length(tmp_path: Path) -> None:
    spec = load_sweep(_write(tmp_path, "  start_day: [0, 100]\n"))
    from tether._sweep.evaluate import _cutoffs

    assert [(c.start_day, c.end_day) for c in _cutoffs(spec, spec.points[1])] == [(100, 190)]
