"""How time and peak memory grow with the force, the horizon and the replications.

One table (Markdown): the analytic engine on part rows 1,000 / 10,000 / 100,000 x days
365 / 3,650, and the Monte Carlo engine on 100 / 1,000 / 10,000 replications (1,000 part
rows, 365 days). The force is the analytic benchmark's synthetic one (20 fleets, 12
suppliers in 4 countries, everything under US jurisdiction withheld from day 10 to day
190). Each case runs in its own subprocess: ``time`` is ``tether.simulate`` (baseline and
scenario, the result dataset built; building the document is reported apart), and
``peak RSS`` is the child's maximum resident set size as the kernel reports it
(``os.wait4``), so it counts everything: interpreter, imports, the document and the run.
A case the memory check refuses, or one that passes ``--timeout``, is reported as such.

Run: python -m benchmarks.scaling [--timeout 900] [--only analytic|montecarlo]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

ANALYTIC = [(p, d) for p in (1_000, 10_000, 100_000) for d in (365, 3_650)]
MONTECARLO = [(1_000, 365, r) for r in (100, 1_000, 10_000)]


def child(engine: str, parts: int, days: int, reps: int) -> None:
    """Run one case and print ``build SECONDS run SECONDS`` (or the refusal)."""
    import tether
    from benchmarks.analytic import synthetic_force
    from tether._allocator import tune_allocator

    tune_allocator()  # as the tether command does
    try:
        t0 = time.perf_counter()
        doc, _ = synthetic_force(parts, days)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        if engine == "analytic":
            tether.simulate(doc, "us-180")
        else:
            tether.simulate(doc, "us-180", engine="montecarlo", reps=reps, seed=1)
    except tether.TetherError as e:
        print(f"refused: {str(e).splitlines()[0][:120]}")
        return
    print(f"build {build:.2f} run {time.perf_counter() - t0:.2f}")


def measure(engine: str, parts: int, days: int, reps: int, timeout: float) -> tuple[str, str]:
    """(time, peak RSS) of one case in a subprocess."""
    cmd = [sys.executable, "-m", "benchmarks.scaling", "--child", engine, str(parts), str(days)]
    proc = subprocess.Popen([*cmd, str(reps)], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            return f"> {timeout:.0f} s (stopped)", f"{usage.ru_maxrss / 1024:.0f} MiB so far"
        time.sleep(0.05)
    out = proc.stdout.read().strip() if proc.stdout else ""
    rss = f"{usage.ru_maxrss / 1024:.0f} MiB"  # ru_maxrss is in KiB on Linux
    if status != 0 or not out.startswith("build"):
        return out or f"failed (status {status})", rss
    _, build, _, run = out.split()
    return f"{float(run):.2f} s (document {float(build):.1f} s)", rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--only", choices=["analytic", "montecarlo"])
    ap.add_argument("--child", nargs=4, metavar=("ENGINE", "PARTS", "DAYS", "REPS"))
    args = ap.parse_args()
    if args.child:
        engine, parts, days, reps = args.child
        child(engine, int(parts), int(days), int(reps))
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print()
    print("| engine | part rows | days | replications | time (simulate) | peak RSS |")
    print("|---|---:|---:|---:|---|---:|")
    cases = []
    if args.only != "montecarlo":
        cases += [("analytic", p, d, 0) for p, d in ANALYTIC]
    if args.only != "analytic":
        cases += [("montecarlo", p, d, r) for p, d, r in MONTECARLO]
    for engine, parts, days, reps in cases:
        took, rss = measure(engine, parts, days, reps, args.timeout)
        shown = f"{reps:,}" if reps else "-"
        print(f"| {engine} | {parts:,} | {days:,} | {shown} | {took} | {rss} |", flush=True)


if __name__ == "__main__":
    main()
