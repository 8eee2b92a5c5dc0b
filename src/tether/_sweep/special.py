"""The sweep's special axes: ``seeds`` (independent Monte Carlo streams) and ``portfolio``
(sets of the document's mitigation options), and each scenario's random stream.

``seeds: [1, 2, 3]`` or ``seeds: {count: N}`` (seeds ``0..N-1``) runs every point of the
design under each seed: the seeds are crossed with the design, never sampled.
``portfolio: [[], [spares], [spares, rockets]]`` lists option names of the document's
``options:`` (``[]``: none); each portfolio is checked against the options'
``requires:`` and ``excludes:``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from tether._errors import Diagnostic
from tether._model import Document
from tether._yaml import LDict, LList, Mark

__all__ = [
    "ENGINES",
    "NONE",
    "check_portfolio",
    "parse_portfolios",
    "parse_seeds",
    "portfolio_label",
    "scenario_rng",
    "stable_int",
]

ENGINES = ("analytic", "montecarlo")
#: How an empty portfolio reads in the dataset and the summary.
NONE = "(none)"


def parse_seeds(raw: Any, mark: Mark, problems: list[Diagnostic]) -> tuple[int, ...]:
    """The seeds of a ``seeds:`` axis: a list of whole numbers at least 0, or ``{count: N}``."""
    where = "axes.seeds"
    if isinstance(raw, LDict):
        unknown = sorted(set(raw) - {"count"})
        n = raw.get("count")
        if unknown or not isinstance(n, int) or isinstance(n, bool) or n < 1:
            problems.append(
                raw.mark.diagnostic(where, "seeds: a list of seeds, or {count: N}, N >= 1")
            )
            return ()
        return tuple(range(n))
    if not isinstance(raw, LList) or not raw:
        problems.append(mark.diagnostic(where, "seeds: a non-empty list of seeds, or {count: N}"))
        return ()
    out: list[int] = []
    for k, v in enumerate(raw):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            problems.append(
                raw.where(k).diagnostic(where, f"{v!r} is not a seed (a whole number >= 0)")
            )
        elif v in out:
            problems.append(raw.where(k).diagnostic(where, f"seed {v} is listed twice"))
        else:
            out.append(v)
    return tuple(out)


def check_portfolio(
    doc: Document, force: str, names: list[str], mark: Mark, where: str
) -> list[Diagnostic]:
    """Problems of one portfolio: unknown options, another force's, requires, excludes."""
    known = {o.name: o for o in doc.options}
    problems: list[Diagnostic] = []
    for k, name in enumerate(names):
        if not isinstance(name, str):
            problems.append(mark.diagnostic(where, f"{name!r} is not an option name"))
            continue
        if name in names[:k]:
            problems.append(mark.diagnostic(where, f"option '{name}' is listed twice"))
            continue
        opt = known.get(name)
        if opt is None:
            have = ", ".join(sorted(o for o, x in known.items() if x.force == force)) or "none"
            problems.append(mark.diagnostic(where, f"no option named '{name}' (have: {have})"))
        elif opt.force != force:
            problems.append(
                mark.diagnostic(where, f"option '{name}' is for force '{opt.force}', not '{force}'")
            )
    if problems:
        return problems
    chosen = set(names)
    for name in names:
        opt = known[name]
        missing = [r for r in opt.requires if r not in chosen]
        if missing:
            problems.append(
                mark.diagnostic(where, f"option '{name}' requires {', '.join(missing)}: add it")
            )
        clash = [e for e in opt.excludes if e in chosen]
        if clash:
            problems.append(
                mark.diagnostic(where, f"option '{name}' excludes {', '.join(clash)}: not both")
            )
    return problems


def parse_portfolios(
    raw: Any, mark: Mark, doc: Document, force: str, problems: list[Diagnostic]
) -> tuple[tuple[str, ...], ...]:
    """The portfolios of a ``portfolio:`` axis, each checked (see :func:`check_portfolio`)."""
    where = "axes.portfolio"
    if not isinstance(raw, LList) or not raw:
        problems.append(mark.diagnostic(where, "portfolio: a non-empty list of lists of options"))
        return ()
    out: list[tuple[str, ...]] = []
    for k, item in enumerate(raw):
        at = raw.where(k)
        if not isinstance(item, list):
            problems.append(
                at.diagnostic(where, f"{item!r} is not a list of option names ([] none)")
            )
            continue
        found = check_portfolio(doc, force, list(item), at, where)
        problems.extend(found)
        if not found:
            out.append(tuple(item))
    return tuple(out)


def portfolio_label(names: Any) -> str:
    """A portfolio as it reads in the dataset: names joined by ``+``, or ``(none)``."""
    return "+".join(names) if names else NONE


def stable_int(text: str) -> int:
    """A 63-bit integer from ``text``, the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def scenario_rng(seed: int, seed_value: int, key: tuple[int, ...]) -> np.random.Generator:
    """The random stream of one run of a sweep: the sweep's ``seed`` and the point's seed
    (``seeds`` axis; 0 without one) as entropy, ``key`` as the spawn key. Scenario ``i``
    uses ``(0, i, node)``, the no-cutoff, no-option reference of its points
    ``(1, stable_int(reference key))``: what a scenario draws depends on neither the
    chunks nor the workers."""
    ss = np.random.SeedSequence(entropy=[int(seed), int(seed_value)], spawn_key=key)
    return np.random.default_rng(ss)
