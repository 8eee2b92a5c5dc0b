"""``tether run``: simulate a file's scenarios and report capability per area."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tether._cli.common import (
    CatalogueOption,
    NoBuiltinOption,
    err_console,
    guard,
    out_console,
    version,
    warn,
    write_json,
)
from tether._errors import Diagnostic, InputError

if TYPE_CHECKING:
    from tether._model import Document, Scenario
    from tether._result import Result

__all__ = ["EXAMPLES", "EngineName", "run"]

EXAMPLES = (
    "Examples:\n\n"
    "  tether run examples/single-fleet.yaml --explain\n\n"
    "  tether run FILE --engine montecarlo --reps 2000 --seed 1 --json"
)

REPS_DEFAULT = 1000


class EngineName(enum.StrEnum):
    analytic = "analytic"
    montecarlo = "montecarlo"


def _pick(doc: Document, names: list[str] | None) -> list[Scenario]:
    if names:
        picked = []
        for n in names:
            try:
                picked.append(doc.scenario(n))
            except KeyError as exc:
                raise InputError(
                    [Diagnostic(doc.file, 0, 0, "--scenario", str(exc.args[0]))]
                ) from None
        return picked
    own = doc.own_scenarios()
    if not own:
        raise InputError([Diagnostic(doc.file, 0, 0, "scenarios", "the file defines no scenarios")])
    return own


def _simulate_all(
    doc: Document, scenarios: list[Scenario], options: dict[str, Any]
) -> list[Result]:
    from tether._api import simulate
    from tether._cli.progress import progress

    results: list[Result] = []
    with progress(err_console) as start:
        for sc in scenarios:
            report = start(f"simulating {sc.name}")
            results.append(simulate(doc, sc, progress=report, **options))
    return results


def _engine_options(
    engine: EngineName, reps: int | None, seed: int | None, cannibalise: bool | None
) -> dict[str, Any]:
    """Options for :func:`tether.simulate`; Monte Carlo options given to the analytic
    engine are named in a warning and ignored."""
    if engine is EngineName.montecarlo:
        return {
            "engine": engine.value,
            "reps": REPS_DEFAULT if reps is None else reps,
            "seed": 0 if seed is None else seed,
            "cannibalise": bool(cannibalise),
        }
    given = [
        flag
        for flag, value in (("--reps", reps), ("--seed", seed), ("--cannibalise", cannibalise))
        if value is not None
    ]
    for flag in given:
        warn(f"{flag} applies to the Monte Carlo engine (--engine montecarlo); ignored")
    return {"engine": engine.value}


def run(
    file: Annotated[Path, typer.Argument(help="A tether YAML file with scenarios.")],
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Scenario to run (default: all in the file)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write CSV and Parquet results to this directory."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (see docs/json.md).")
    ] = False,
    fleets: Annotated[bool, typer.Option("--fleets", help="Also show a table per fleet.")] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Also show, per area, how much of the loss comes from parts, software, "
            "munitions and services.",
        ),
    ] = False,
    engine: Annotated[
        EngineName,
        typer.Option("--engine", "-e", help="analytic (exact means) or montecarlo (bands)."),
    ] = EngineName.analytic,
    reps: Annotated[
        int | None,
        typer.Option(
            "--reps",
            "-n",
            min=2,
            max=10_000_000,
            help=f"Monte Carlo replications \\[default: {REPS_DEFAULT}].",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            help="Monte Carlo seed (0 or more): the same seed, the same result \\[default: 0].",
            show_default=False,
        ),
    ] = None,
    cannibalise: Annotated[
        bool | None,
        typer.Option(
            "--cannibalise/--no-cannibalise",
            help="Monte Carlo: consolidate missing parts onto as few units as possible "
            "\\[default: no-cannibalise].",
            show_default=False,
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write a self-contained HTML report to this file."),
    ] = None,
    catalogue: CatalogueOption = None,
    no_builtin: NoBuiltinOption = False,
) -> None:
    """Simulate the scenarios of FILE and report capability per area, day by day."""
    options = _engine_options(engine, reps, seed, cannibalise)

    def work() -> None:
        from tether._cli.render import print_result
        from tether._loader import load

        doc = load(file, catalogue, builtin=not no_builtin)
        results = _simulate_all(doc, _pick(doc, scenario), options)
        for r in results:
            for message in r.warnings:
                warn(f"{r.scenario}: {message}")
        written: list[Path] = []
        if out is not None:
            for r in results:
                written += r.write(out)
        if report is not None:
            from tether._report import write_report

            write_report(report, results, doc, source=file.name)
            err_console.print(f"wrote {report}", highlight=False)
        if as_json:
            payload: dict[str, Any] = {
                "tether_version": version(),
                "file": str(file),
                "results": [r.to_dict() for r in results],
            }
            write_json(payload)
            return
        for r in results:
            print_result(out_console, r, fleets=fleets, explain=explain)
        if written:
            out_console.print(f"wrote {len(written)} files to {out}", highlight=False)

    guard(work)
