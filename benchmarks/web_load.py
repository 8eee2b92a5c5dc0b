"""Load test of the web workbench on loopback, bounded in clients and time.

Starts ``tether serve`` in a subprocess (a fresh data directory), then ``--clients``
threads each submit a run, poll it until it ends, check its result, and start again,
for ``--duration`` seconds. Afterwards every submitted run must have finished with its
result in the store (none lost) and no request may have failed. Prints requests per
second and latency percentiles (submit, poll, all).

    python benchmarks/web_load.py --clients 50 --duration 60
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SINGLE = (ROOT / "examples" / "single-fleet.yaml").read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {"submit": [], "poll": []}
        self.errors: list[str] = []
        self.submitted: list[str] = []
        self.done: set[str] = set()

    def time(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latency[kind].append(seconds)


def client_loop(url: str, n: int, stop: float, tally: Tally, montecarlo_every: int) -> None:
    name = f"load{n}"
    with httpx.Client(base_url=url, headers={"x-tether-client": name}, timeout=60) as http:
        i = 0
        while time.monotonic() < stop:
            body: dict[str, Any] = {"yaml": SINGLE}
            if montecarlo_every and i % montecarlo_every == 0:
                body.update(engine="montecarlo", reps=200, seed=i)
            i += 1
            t = time.perf_counter()
            r = http.post("/api/runs", json=body)
            tally.time("submit", time.perf_counter() - t)
            if r.status_code != 202:
                with tally.lock:
                    tally.errors.append(f"submit {r.status_code}: {r.text[:200]}")
                continue
            run_id = r.json()["id"]
            with tally.lock:
                tally.submitted.append(run_id)
            while True:
                time.sleep(0.1)
                t = time.perf_counter()
                r = http.get(f"/api/runs/{run_id}")
                tally.time("poll", time.perf_counter() - t)
                if r.status_code != 200:
                    with tally.lock:
                        tally.errors.append(f"poll {r.status_code}: {r.text[:200]}")
                    break
                run = r.json()
                if run["status"] in ("queued", "running"):
                    continue
                if run["status"] != "done" or not run["result"]["areas"]:
                    with tally.lock:
                        tally.errors.append(f"run {run_id}: {run['status']} {run['error']}")
                else:
                    with tally.lock:
                        tally.done.add(run_id)
                break


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ms = np.asarray(values) * 1000
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return f"p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms, max {ms.max():.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (at most 600)")
    parser.add_argument("--workers", type=int, default=2, help="the server's run workers")
    parser.add_argument(
        "--montecarlo-every", type=int, default=5, help="every Nth run is Monte Carlo (0: none)"
    )
    args = parser.parse_args()
    clients = max(1, min(args.clients, 200))
    duration = max(1.0, min(args.duration, 600.0))
    data = tempfile.mkdtemp(prefix="tether-web-load-")
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tether",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            data,
            "--workers",
            str(args.workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(url + "/api/info", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        tally = Tally()
        start = time.monotonic()
        threads = [
            threading.Thread(
                target=client_loop, args=(url, n, start + duration, tally, args.montecarlo_every)
            )
            for n in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(duration + 120)
        elapsed = time.monotonic() - start
        # every submitted run is in the store, done, with its result
        lost = []
        with httpx.Client(base_url=url, timeout=60) as http:
            for run_id in tally.submitted:
                r = http.get(f"/api/runs/{run_id}")
                if r.status_code != 200 or r.json()["status"] != "done":
                    lost.append(run_id)
    finally:
        server.terminate()
        server.wait(30)
    requests = len(tally.latency["submit"]) + len(tally.latency["poll"])
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"clients {clients}, duration {duration:.0f} s (elapsed {elapsed:.1f} s), "
        f"server workers {args.workers}, every {args.montecarlo_every}th run Monte Carlo"
    )
    print(
        f"requests {requests} ({requests / elapsed:.1f}/s); runs submitted "
        f"{len(tally.submitted)}, finished {len(tally.done)} ({len(tally.done) / elapsed:.1f}/s)"
    )
    print(f"submit latency: {percentiles(tally.latency['submit'])}")
    print(f"poll latency:   {percentiles(tally.latency['poll'])}")
    print(f"all requests:   {percentiles(tally.latency['submit'] + tally.latency['poll'])}")
    print(f"errors {len(tally.errors)}, lost results {len(lost)}")
    for e in tally.errors[:10]:
        print("  ", e)
    if tally.errors or lost:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
