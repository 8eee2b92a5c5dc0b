"""Start-up of the ``tether`` command: lazy imports against the eager imports of before.

Each command runs in a fresh interpreter (a subprocess, best of N wall times):
``tether --help``, ``tether validate examples/japan-fms.yaml`` and ``tether catalogue
list``. The baseline, in the same run, does the same work the way it was done before
start-up was made lazy: the same command after importing what ``import tether`` used to
load eagerly (xarray, pandas, scipy.special, importlib.metadata and the model). The
interpreter floor (``python -c pass``) is printed for reference. ``--help`` and
``validate`` must take under 0.4 s. The last lines are ``ratio startup-NAME: VALUE``
(baseline wall time / lazy wall time: how many times faster). CPU times (user + system
of the child) are printed beside the wall times: on a busy machine they say more.

Run: python -m benchmarks.startup [N]
"""

from __future__ import annotations

import os
import platform
import resource
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


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(argv: list[str], n: int) -> tuple[float, float]:
    """Least wall time and least CPU time (user + system) of ``n`` runs of ``argv``, its
    output discarded. CPU time says less about waiting for a busy machine's cores."""
    env = dict(os.environ, COLUMNS="100")
    wall = cpu = float("inf")
    for _ in range(n):
        c0, t0 = _child_cpu(), time.perf_counter()
        proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
        elapsed, used = time.perf_counter() - t0, _child_cpu() - c0
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr.decode()}")
        wall, cpu = min(wall, elapsed), min(cpu, used)
    return wall, cpu


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    cpu = platform.processor() or platform.machine()
    load = os.getloadavg()[0]
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"load average {load:.2f}; best of {n} runs of a fresh interpreter each")
    floor, floor_cpu = best_of([sys.executable, "-c", "pass"], n)
    print(f"interpreter floor (python -c pass): wall {floor:.3f} s, cpu {floor_cpu:.3f} s")
    ratios: dict[str, float] = {}
    for name, args in COMMANDS.items():
        lazy, lazy_cpu = best_of([sys.executable, "-c", LAZY, *args], n)
        eager, eager_cpu = best_of([sys.executable, "-c", EAGER, *args], n)
        verdict = ""
        if name in BUDGETED:
            verdict = " ok" if lazy < BUDGET_S else f" OVER the {BUDGET_S} s budget"
        print(
            f"tether {' '.join(args):38s} lazy wall {lazy:.3f} s (cpu {lazy_cpu:.3f}), "
            f"eager wall {eager:.3f} s (cpu {eager_cpu:.3f}){verdict}"
        )
        ratios[name] = eager / lazy
    for name, value in ratios.items():
        print(f"ratio startup-{name}: {value:.2f}")


if __name__ == "__main__":
    main()
