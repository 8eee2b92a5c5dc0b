"""``tether report``: one self-contained HTML file for a file's scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tether._cli.common import CatalogueOption, NoBuiltinOption, guard, out_console, warn

__all__ = ["register"]

EXAMPLES = (
    "Examples:\n\n"
    "  tether report examples/single-fleet.yaml -o report.html\n\n"
    "  tether report FILE -s us-pause-90 --engine montecarlo --reps 500 -o report.html"
)


def register(app: typer.Typer) -> None:
    app.command("report", epilog=EXAMPLES)(report)


def report(
    file: Annotated[Path, typer.Argument(help="A tether YAML file with scenarios.")],
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Scenario to report (default: all in the file)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    engine: Annotated[
        str, typer.Option("--engine", "-e", help="analytic or montecarlo (bands).")
    ] = "analytic",
    reps: Annotated[
        int, typer.Option("--reps", "-n", min=2, max=10_000_000, help="Monte Carlo replications.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Monte Carlo seed.")] = 0,
    sensitivity: Annotated[
        bool, typer.Option("--sensitivity", help="Add the sensitivity to assumptions.")
    ] = False,
    catalogue: CatalogueOption = None,
    no_builtin: NoBuiltinOption = False,
) -> None:
    """Write one self-contained HTML report (charts inline, opens offline) for FILE."""

    def work() -> None:
        from tether._cli.run import _pick, _simulate_all
        from tether._errors import ArgumentError
        from tether._loader import load
        from tether._report import write_report

        if engine not in ("analytic", "montecarlo"):
            raise ArgumentError(f"--engine must be analytic or montecarlo, not {engine!r}")
        options: dict[str, object] = {"engine": engine}
        if engine == "montecarlo":
            options.update(reps=reps, seed=seed)
        doc = load(file, catalogue, builtin=not no_builtin)
        results = _simulate_all(doc, _pick(doc, scenario), options)
        for r in results:
            for message in r.warnings:
                warn(f"{r.scenario}: {message}")
        extra = []
        if sensitivity:  # the first scenario's force: tether sensitivity's defaults
            from tether._report.sensitivity import report_section

            extra.append(report_section(doc, results[0].scenario))
        write_report(out, results, doc, source=file.name, extra=extra)
        out_console.print(f"wrote {out}", highlight=False)

    guard(work)
