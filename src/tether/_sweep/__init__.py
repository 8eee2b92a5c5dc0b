"""Sweeps: families of scenarios from a sweep file, run in chunks into a Parquet dataset."""

from tether._sweep.effects import MainEffect, SeedSpread, main_effects, seed_spread, worst_cases
from tether._sweep.evaluate import FORCE_AREA, evaluate_chunk
from tether._sweep.runner import SweepRun, chunks_of, read_daily, read_dataset, run_sweep, sweep
from tether._sweep.spec import Axis, SweepSpec, load_sweep

__all__ = [
    "FORCE_AREA",
    "Axis",
    "MainEffect",
    "SeedSpread",
    "SweepRun",
    "SweepSpec",
    "chunks_of",
    "evaluate_chunk",
    "load_sweep",
    "main_effects",
    "read_daily",
    "read_dataset",
    "run_sweep",
    "seed_spread",
    "sweep",
    "worst_cases",
]
