"""Start-up of the ``tether`` command: lazy imports against the eager imports of before.

Each command runs in a fresh interpreter (a subprocess, best of N wall times):
``tether --help``, ``tether validate examples/japan-fms.yaml`` and ``tether catalogue
list``. The baseline, in the same run, does the same work the way it was done before
start-up was made lazy: the same command after importing what ``import tether`` used to
load eagerly (xarray, pandas, scipy.special, importlib.metadata and the model). The
interpreter floor (``python -c pass``) is printed for reference. ``--help`` and
``validate`` must take under 0.4 s. The last lines are ``ratio startup-NAME: VALUE``
(baseline time / lazy time: how many times faster).

Run: python -m benchmarks.startup [N]
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 0.4
COMMANDS: dict[str, list[str]] = {
    "help": ["--help"],
    "validate": ["validate", "examples/japan-fms.yaml"],
    "catalogue-list": ["catalogue", "list"],
}
BUDGETED = ("help", "validate")
LAZY = "import sys; sys.argv[0] = 'tether'; from tether._cli.main import main; main()"
EAGER = (
    "import importlib.metadata, xarray, pandas, scipy.special, tether._model, "
    "tether._loader; " + LAZY
)


def best_of(argv: list[str], n: int) -> float:
    """Least wall time of ``n`` runs of ``argv`` (its output discarded)."""
    env = dict(os.environ, COLUMNS="100")
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr.decode()}")
        best = min(best, elapsed)
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"best of {n} runs, wall time of a fresh interpreter each")
    floor = best_of([sys.executable, "-c", "pass"], n)
    print(f"interpreter floor (python -c pass): {floor:.3f} s")
    ratios: dict[str, float] = {}
    for name, args in COMMANDS.items():
        lazy = best_of([sys.executable, "-c", LAZY, *args], n)
        eager = best_of([sys.executable, "-c", EAGER, *args], n)
        verdict = ""
        if name in BUDGETED:
            verdict = " (ok)" if lazy < BUDGET_S else f" (OVER the {BUDGET_S} s budget)"
        print(f"tether {' '.join(args):40s} lazy {lazy:.3f} s, eager {eager:.3f} s{verdict}")
        ratios[name] = eager / lazy
    for name, value in ratios.items():
        print(f"ratio startup-{name}: {value:.2f}")


if __name__ == "__main__":
    main()
