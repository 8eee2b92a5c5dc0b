"""Loading large files: libyaml's C parser with positions kept, against the pure-Python path.

Three workloads, each loaded with ``tether.load`` (parse, merge with the catalogue,
validate, check references):

(a) the built-in catalogue and ``examples/japan-fms.yaml`` (cold: the catalogue cache is
    cleared before every repetition, so all six files are read);
(b) a force of 10,000 fleets of catalogue systems (the fleets of every catalogue force,
    renamed, in turn) and a scenario;
(c) a file of about 5 MB: 400 system types (``use:`` variants of catalogue systems with
    their parts overridden) and a force of as many fleets as fill the rest.

``yaml.safe_dump`` writes the holdings that fleets share as anchors and aliases, as a
generator script would: ordinary aliases, well inside the alias bound.

The baseline, in the same run, does the same work the straightforward way: PyYAML's
pure-Python parser (the fallback when libyaml is absent, and the only path before), with
the garbage collector running through the load. Times are the best of ``--reps`` runs,
wall clock and CPU; the ratios use CPU seconds, steadier than wall clock on a shared
machine (the load runs in one thread). The last lines are ``ratio loader-NAME: VALUE``
(baseline / fast).

Run: python benchmarks/loader.py [--reps N]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import tether
from tether import _loader
from tether import _yaml as tyaml

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "japan-fms.yaml"


def _catalogue_fleets() -> list[dict[str, Any]]:
    """Every fleet of every catalogue force, as plain YAML data."""
    data = yaml.safe_load((_loader.BUILTIN_CATALOGUE / "forces.yaml").read_text())
    return [fleet for force in data["forces"] if "use" not in force for fleet in force["fleets"]]


def _catalogue_systems() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in ("systems-air.yaml", "systems-land.yaml"):
        data = yaml.safe_load((_loader.BUILTIN_CATALOGUE / name).read_text())
        out.extend(data["systems"])
    return out


def force_text(n_fleets: int, n_systems: int = 0) -> str:
    """A tether file: ``n_systems`` system variants and a force of ``n_fleets`` fleets."""
    templates = _catalogue_fleets()
    systems = _catalogue_systems()
    variants: list[dict[str, Any]] = []
    for i in range(n_systems):
        base = systems[i % len(systems)]
        parts = [
            {"name": p["name"], "failure_rate": p["failure_rate"] * (1 + (i % 7) / 10)}
            for p in base.get("parts", [])
        ]
        variant: dict[str, Any] = {"use": base["name"], "name": f"{base['name']}-v{i}"}
        if parts:
            variant["parts"] = parts
        variants.append(variant)
    areas = sorted({f["area"] for f in templates})
    fleets = []
    for i in range(n_fleets):
        fleet = dict(templates[i % len(templates)])
        fleet["name"] = f"fleet-{i}"
        fleets.append(fleet)
    doc: dict[str, Any] = {}
    if variants:
        doc["systems"] = variants
    doc["forces"] = [
        {
            "name": "big",
            "operator": "EE",
            "areas": [{"name": a} for a in areas],
            "fleets": fleets,
        }
    ]
    doc["scenarios"] = [{"name": "sc", "force": "big", "horizon_days": 365}]
    text: str = yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100)
    return text


def five_mb_text(target: int = 5_000_000) -> str:
    """A file of about ``target`` bytes (see the module docstring)."""
    probe = force_text(1000)
    per_fleet = len(probe) / 1000
    n = max(1, int((target - len(force_text(0, 400))) / per_fleet))
    return force_text(n, 400)


def _time(fn: Callable[[], Any], reps: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``reps`` cold loads."""
    wall = cpu = float("inf")
    for _ in range(reps):
        _loader._CATALOGUE_CACHE.clear()
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def _pure_python(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` the straightforward way: PyYAML's pure-Python parser, the collector running."""

    def run() -> Any:
        saved = tyaml.USE_LIBYAML, _loader.paused_gc
        tyaml.USE_LIBYAML = False
        _loader.paused_gc = contextlib.nullcontext  # type: ignore[assignment]
        try:
            return fn()
        finally:
            tyaml.USE_LIBYAML, _loader.paused_gc = saved

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3, help="best of N (default 3)")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpu, python "
        f"{platform.python_version()}, pyyaml {yaml.__version__}, "
        f"libyaml {'yes' if yaml.__with_libyaml__ else 'NO'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "fleets-10000.yaml"
        big.write_text(force_text(10_000))
        five = Path(tmp) / "five-mb.yaml"
        five.write_text(five_mb_text())
        work = {
            "catalogue": (EXAMPLE, 5),
            "10000-fleets": (big, 1),
            "5mb": (five, 1),
        }
        ratios: dict[str, float] = {}
        catalogue = sum(p.stat().st_size for p in _loader.BUILTIN_CATALOGUE.glob("*.yaml"))
        for name, (path, extra) in work.items():
            size = path.stat().st_size + (catalogue if name == "catalogue" else 0)

            def load(path: Path = path) -> Any:
                return tether.load(path)

            reps = args.reps * extra
            fast, fast_cpu = _time(load, reps)
            slow, slow_cpu = _time(_pure_python(load), reps if extra > 1 else 1)
            ratios[name] = slow_cpu / fast_cpu
            print(
                f"{name:13s} {size / 1e6:5.2f} MB: libyaml path {fast:6.3f} s "
                f"(cpu {fast_cpu:6.3f}), pure-Python path {slow:6.3f} s (cpu {slow_cpu:6.3f})"
            )
    for name, ratio in ratios.items():
        print(f"ratio loader-{name}: {ratio:.2f}")


if __name__ == "__main__":
    main()
