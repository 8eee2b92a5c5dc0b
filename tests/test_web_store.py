"""The run store: a server killed (SIGKILL) in the middle of writes leaves a store that
opens and holds every run that had finished."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from tether._web.store import Store

SINGLE = Path("examples/single-fleet.yaml").read_text()


def _call(url: str, body: dict[str, Any] | None = None, client: str = "t") -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url, data=data, headers={"content-type": "application/json", "x-tether-client": client}
    )
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read())


def test_store_writes_are_atomic(tmp_path: Path) -> None:
    store = Store(tmp_path)
    run_id = store.add("simulate", "c", "{}", {"engine": "analytic"}, None, "0")
    assert run_id is not None
    with pytest.raises(TypeError):  # a result that is not JSON: nothing of it is written
        store.finish(run_id, {"x": object()}, {"a.csv": b"1"})
    assert store.file(run_id, "a.csv") is None
    assert store.get(run_id).status == "queued"  # type: ignore[union-attr]
    store.finish(run_id, {"x": 1}, {"a.csv": b"1"})
    store.close()
    again = Store(tmp_path)
    run = again.get(run_id)
    assert run is not None and run.status == "done" and run.result == {"x": 1}
    assert again.file(run_id, "a.csv") == b"1"


def test_active_runs_are_marked_interrupted_on_restart(tmp_path: Path) -> None:
    store = Store(tmp_path)
    run_id = store.add("simulate", "c", "{}", {}, None, "0")
    store.close()
    run = Store(tmp_path).get(run_id)  # type: ignore[arg-type]
    assert run is not None and run.status == "interrupted" and "submit it again" in str(run.error)


@pytest.mark.slow
def test_kill_9_mid_write_keeps_every_finished_run(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tether", "serve", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    finished: set[str] = set()
    try:
        for _ in range(300):
            try:
                _call(url + "/api/info")
                break
            except OSError:
                time.sleep(0.05)
        submitted: list[str] = []
        refused: list[int] = []
        i = 0
        deadline = time.monotonic() + 30
        while len(finished) < 12 and time.monotonic() < deadline:
            # Monte Carlo runs write progress as they go; analytic ones finish fast
            body: dict[str, Any] = {"yaml": SINGLE}
            if i % 3 == 0:
                body.update(engine="montecarlo", reps=300, seed=i)
            try:
                submitted.append(_call(url + "/api/runs", body, client=f"c{i % 8}")["id"])
            except urllib.error.HTTPError as exc:
                refused.append(exc.code)
            i += 1
            for r in _call(url + "/api/runs"):
                if r["status"] == "done":
                    finished.add(r["id"])
        assert len(finished) >= 12
        assert set(refused) <= {429}  # only a busy client is refused
        # more writes in flight, then the kill
        for j in range(4):
            with contextlib.suppress(urllib.error.HTTPError):
                _call(url + "/api/runs", {"yaml": SINGLE}, client=f"k{j}")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    db = sqlite3.connect(tmp_path / "tether-runs.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    store = Store(tmp_path)
    for run_id in finished:
        run = store.get(run_id)
        assert run is not None and run.status == "done" and run.result is not None
        assert run.result["areas"][0]["name"] == "long-range-fires"
        assert store.file(run_id, "areas.parquet")
    statuses = {r.status for r in store.runs(limit=1000)}
    assert statuses <= {"done", "failed", "interrupted"}
    assert "interrupted" in statuses  # the kill came while runs were being written
