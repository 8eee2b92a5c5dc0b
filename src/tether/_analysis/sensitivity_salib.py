"""Global sensitivity through SALib: Morris screening, then Sobol indices on what survives.

The analysis only sees a *vectorised evaluator*: a function from a matrix of input
points ``[n, k]`` (in the inputs' own units, inside their bounds) to a matrix of results
``[n, m]``, one column per result. A force's model (:mod:`tether._analysis.sensitivity`)
and the Ishigami test function go through the same code.

Screening rule: an input survives Morris screening when its ``mu*`` is at least
``share`` times the largest ``mu*`` of that result, for any result; of the survivors, at
most ``max_sobol`` are kept (those with the largest ``mu*`` relative to each result's
largest). The others stay at their base point during the Sobol stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tether._errors import ArgumentError, TetherError

__all__ = [
    "Analysis",
    "Evaluator",
    "MissingSALibError",
    "MorrisIndices",
    "SobolIndices",
    "analyse",
    "morris_indices",
    "require_salib",
    "screen",
    "sobol_indices",
]

F64 = NDArray[np.float64]

#: ``f(X [n, k]) -> Y [n, m]``.
Evaluator = Callable[[F64], F64]

#: Morris grid levels.
LEVELS = 4


class MissingSALibError(TetherError):
    """SALib is not installed (the command line exits 2 and names the extra)."""

    exit_code = 2


def require_salib() -> None:
    """Raise :class:`MissingSALibError` when SALib is not installed."""
    try:
        import SALib  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        raise MissingSALibError(
            "sensitivity needs SALib, which is not installed: "
            "pip install 'tether[opt]' (or pip install 'SALib>=1.4')"
        ) from None


@dataclass(frozen=True, slots=True)
class MorrisIndices:
    """Morris elementary-effect statistics of one result, per input (in input order):
    ``mu_star`` (mean absolute effect, in result units per full range of the input),
    its confidence half-width, ``mu`` and ``sigma``."""

    mu_star: F64
    mu_star_conf: F64
    mu: F64
    sigma: F64


@dataclass(frozen=True, slots=True)
class SobolIndices:
    """First-order (``s1``) and total (``st``) Sobol indices of one result, per input,
    with confidence half-widths (bootstrap, 95%). All zero when the result did not vary
    over the sample (``variance`` 0)."""

    s1: F64
    s1_conf: F64
    st: F64
    st_conf: F64
    variance: float


def _problem(names: Sequence[str], bounds: F64) -> dict[str, Any]:
    return {"num_vars": len(names), "names": list(names), "bounds": bounds.tolist()}


def _check(names: Sequence[str], bounds: F64) -> None:
    if len(names) < 1:
        raise ArgumentError("no inputs to analyse")
    if bounds.shape != (len(names), 2) or not (bounds[:, 0] < bounds[:, 1]).all():
        raise ArgumentError("every input needs bounds low < high")


def _evaluate(evaluate: Evaluator, x: F64) -> F64:
    y = np.asarray(evaluate(x), dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape[0] != x.shape[0]:
        raise TetherError(f"the evaluator returned {y.shape[0]} rows for {x.shape[0]} points")
    if not np.isfinite(y).all():
        raise TetherError("the evaluator returned a value that is not finite")
    return y


def morris_indices(
    evaluate: Evaluator,
    names: Sequence[str],
    bounds: F64,
    *,
    trajectories: int,
    seed: int,
) -> tuple[list[MorrisIndices], int]:
    """Morris screening (``SALib.sample.morris``, ``SALib.analyze.morris``, four levels)
    of every result of ``evaluate``; returns one :class:`MorrisIndices` per result and the
    number of points evaluated (``trajectories * (k + 1)``)."""
    require_salib()
    from SALib.analyze import morris as analyze  # type: ignore[import-untyped,unused-ignore]
    from SALib.sample import morris as sample  # type: ignore[import-untyped,unused-ignore]

    bounds = np.asarray(bounds, dtype=np.float64)
    _check(names, bounds)
    if trajectories < 2:
        raise ArgumentError(f"Morris needs at least 2 trajectories, not {trajectories}")
    problem = _problem(names, bounds)
    rng = np.random.default_rng(seed)
    x = sample.sample(problem, trajectories, num_levels=LEVELS, seed=rng)
    y = _evaluate(evaluate, x)
    out = []
    for j in range(y.shape[1]):
        si = analyze.analyze(problem, x, y[:, j], num_levels=LEVELS, num_resamples=200, seed=rng)
        out.append(
            MorrisIndices(
                mu_star=np.asarray(si["mu_star"], dtype=np.float64),
                mu_star_conf=np.asarray(si["mu_star_conf"], dtype=np.float64),
                mu=np.asarray(si["mu"], dtype=np.float64),
                sigma=np.nan_to_num(np.asarray(si["sigma"], dtype=np.float64)),
            )
        )
    return out, len(x)


def screen(indices: Sequence[MorrisIndices], *, share: float, max_sobol: int) -> list[int]:
    """The inputs (positions) kept for the Sobol stage, by the module's screening rule,
    in order of their largest relative ``mu*`` (ties by position)."""
    if not 0 <= share <= 1:
        raise ArgumentError(f"the screening share must be within 0..1, not {share}")
    if max_sobol < 1:
        raise ArgumentError(f"at most must be at least 1 parameter, not {max_sobol}")
    k = len(indices[0].mu_star)
    rel = np.zeros(k)
    for m in indices:
        top = float(m.mu_star.max())
        if top > 0:
            rel = np.maximum(rel, m.mu_star / top)
    keep = [i for i in range(k) if rel[i] > 0 and rel[i] >= share]
    keep.sort(key=lambda i: (-rel[i], i))
    return keep[:max_sobol]


def sobol_indices(
    evaluate: Evaluator,
    names: Sequence[str],
    bounds: F64,
    *,
    samples: int,
    seed: int,
) -> tuple[list[SobolIndices], int]:
    """First-order and total Sobol indices (Saltelli's scheme: ``SALib.sample.sobol``,
    ``SALib.analyze.sobol``, no second order) of every result of ``evaluate``, from
    ``samples`` base points (a power of 2); returns one :class:`SobolIndices` per result
    and the number of points evaluated (``samples * (k + 2)``)."""
    require_salib()
    from SALib.analyze import sobol as analyze  # type: ignore[import-untyped,unused-ignore]
    from SALib.sample import sobol as sample  # type: ignore[import-untyped,unused-ignore]

    bounds = np.asarray(bounds, dtype=np.float64)
    _check(names, bounds)
    if samples < 2 or samples & (samples - 1):
        raise ArgumentError(f"Sobol samples must be a power of 2 (at least 2), not {samples}")
    problem = _problem(names, bounds)
    rng = np.random.default_rng(seed)
    x = sample.sample(problem, samples, calc_second_order=False, seed=rng)
    y = _evaluate(evaluate, x)
    out = []
    k = len(names)
    for j in range(y.shape[1]):
        var = float(np.var(y[:, j]))
        if var <= 1e-24 * max(1.0, float(np.abs(y[:, j]).max()) ** 2):
            z = np.zeros(k)
            out.append(SobolIndices(z, z, z, z, 0.0))
            continue
        si = analyze.analyze(problem, y[:, j], calc_second_order=False, num_resamples=200, seed=rng)
        out.append(
            SobolIndices(
                s1=np.asarray(si["S1"], dtype=np.float64),
                s1_conf=np.asarray(si["S1_conf"], dtype=np.float64),
                st=np.asarray(si["ST"], dtype=np.float64),
                st_conf=np.asarray(si["ST_conf"], dtype=np.float64),
                variance=var,
            )
        )
    return out, len(x)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Morris indices of every input and result, the inputs kept by screening (positions,
    most influential first), their Sobol indices (``sobol[j]`` for result ``j``, in the
    order of ``kept``), and the points evaluated by each stage."""

    morris: list[MorrisIndices]
    kept: list[int]
    sobol: list[SobolIndices]
    morris_runs: int
    sobol_runs: int


def analyse(
    evaluate: Evaluator,
    names: Sequence[str],
    bounds: F64,
    base: F64,
    *,
    trajectories: int = 10,
    samples: int = 128,
    share: float = 0.1,
    max_sobol: int = 8,
    seed: int = 0,
) -> Analysis:
    """Morris screening of every input of ``evaluate``, then Sobol indices of the inputs
    that survive (:func:`screen`), the others held at ``base`` (a point ``[k]``)."""
    bounds = np.asarray(bounds, dtype=np.float64)
    base = np.asarray(base, dtype=np.float64)
    if base.shape != (len(names),):
        raise ArgumentError("the base point needs one value per input")
    seeds = np.random.SeedSequence(seed).spawn(2)
    morris, m_runs = morris_indices(
        evaluate, names, bounds, trajectories=trajectories, seed=int(seeds[0].generate_state(1)[0])
    )
    kept = screen(morris, share=share, max_sobol=max_sobol)
    if not kept:
        return Analysis(morris, [], [], m_runs, 0)

    def on_kept(x: F64) -> F64:
        full = np.tile(base, (len(x), 1))
        full[:, kept] = x
        return evaluate(full)

    sobol, s_runs = sobol_indices(
        on_kept,
        [names[i] for i in kept],
        bounds[kept],
        samples=samples,
        seed=int(seeds[1].generate_state(1)[0]),
    )
    return Analysis(morris, kept, sobol, m_runs, s_runs)
