"""``tether``: run scenarios, validate files, print the schema."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tether import __version__
from tether._allocator import tune_allocator
from tether._analysis.exposure import exposure
from tether._api import simulate
from tether._cli.catalogue import list_entries, show_entry
from tether._cli.render import exposure_table, print_error, result_table
from tether._errors import Diagnostic, InputError, TetherError
from tether._loader import BUILTIN_CATALOGUE, load, load_text
from tether._model import Document, Scenario
from tether._provenance import catalogue_entries, check_provenance
from tether._result import Result
from tether._schema import schema

__all__ = ["app", "main"]

app = typer.Typer(
    name="tether",
    help="What still works, day by day, when a supplier withholds support.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Off a terminal (pipes, files, CI logs) Rich would wrap at 80 columns; tables read
# better wider.
out_console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

T = TypeVar("T")


class EngineName(enum.StrEnum):
    analytic = "analytic"
    montecarlo = "montecarlo"


class ByName(enum.StrEnum):
    jurisdiction = "jurisdiction"
    supplier = "supplier"


CatalogueOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalogue",
        "-c",
        help="Extra catalogue directory (or file); may be repeated.",
        show_default=False,
    ),
]
NoBuiltinOption = Annotated[
    bool, typer.Option("--no-builtin", help="Leave out the built-in catalogue.")
]


def _fail(error: TetherError) -> NoReturn:
    print_error(err_console, error)
    raise typer.Exit(error.exit_code)


def _guard(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except TetherError as exc:
        _fail(exc)


def _version(value: bool) -> None:
    if value:
        out_console.print(f"tether {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """tether: supply-dependency and sustainment readiness for forces of fleets."""


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
    doc: Document, scenarios: list[Scenario], quiet: bool, options: dict[str, Any]
) -> list[Result]:
    results: list[Result] = []
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=quiet,
    ) as progress:
        for sc in scenarios:
            task = progress.add_task(f"simulating {sc.name}", total=None)

            def report(done: int, total: int, task: Any = task) -> None:
                progress.update(task, completed=done, total=total)

            results.append(simulate(doc, sc, progress=report, **options))
            progress.remove_task(task)
    return results


@app.command()
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
    engine: Annotated[
        EngineName,
        typer.Option("--engine", "-e", help="analytic (exact means) or montecarlo (bands)."),
    ] = EngineName.analytic,
    reps: Annotated[
        int,
        typer.Option("--reps", "-n", min=2, max=10_000_000, help="Monte Carlo replications."),
    ] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", help="Monte Carlo seed: the same seed, the same result.")
    ] = 0,
    cannibalise: Annotated[
        bool,
        typer.Option(
            "--cannibalise/--no-cannibalise",
            help="Monte Carlo: consolidate missing parts onto as few units as possible.",
        ),
    ] = False,
    catalogue: CatalogueOption = None,
    no_builtin: NoBuiltinOption = False,
) -> None:
    """Simulate the scenarios of FILE and report capability per area, day by day."""
    options: dict[str, Any] = {"engine": engine.value}
    if engine is EngineName.montecarlo:
        options.update(reps=reps, seed=seed, cannibalise=cannibalise)

    def work() -> None:
        doc = load(file, catalogue, builtin=not no_builtin)
        results = _simulate_all(doc, _pick(doc, scenario), quiet=as_json, options=options)
        written: list[Path] = []
        if out is not None:
            for r in results:
                written += r.write(out)
        if as_json:
            payload: dict[str, Any] = {
                "tether_version": __version__,
                "file": str(file),
                "results": [r.to_dict() for r in results],
            }
            sys.stdout.write(json.dumps(payload, indent=None) + "\n")
            return
        for r in results:
            out_console.print(result_table(r))
            if fleets:
                out_console.print(result_table(r, fleets=True))
            for note in r.notes:
                out_console.print(f"[yellow]note:[/] {note}", highlight=False)
            assumed = sorted({a for v in r.assumptions.values() for a in v})
            if assumed:
                out_console.print(
                    f"[yellow]These results rest on {len(assumed)} assumed parameter(s):[/] "
                    + ", ".join(assumed),
                    highlight=False,
                )
        if written:
            out_console.print(f"wrote {len(written)} files to {out}", highlight=False)

    _guard(work)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Files to check.")],
    catalogue: CatalogueOption = None,
    no_builtin: NoBuiltinOption = False,
) -> None:
    """Check files against the format and the catalogue; report every problem."""
    failed = 0
    for f in files:
        try:
            doc = load(f, catalogue, builtin=not no_builtin)
        except TetherError as exc:
            print_error(err_console, exc)
            failed += 1
            continue
        own = {s: doc.own_entries(s) for s in ("scenarios", "forces", "systems", "suppliers")}
        counts = ", ".join(f"{len(v)} {k}" for k, v in own.items() if v)
        out_console.print(f"[green]ok[/] {f}: {counts or 'nothing but catalogue entries'}")
    if failed:
        raise typer.Exit(2)


@app.command("exposure")
def exposure_cmd(
    force: Annotated[str, typer.Argument(help="A force name (catalogue or --file).")],
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="A file defining the force.")
    ] = None,
    by: Annotated[
        ByName, typer.Option("--by", help="One cutoff per jurisdiction or per supplier.")
    ] = ByName.jurisdiction,
    horizon: Annotated[int, typer.Option("--horizon", min=1, max=36_500, help="Days.")] = 365,
    start: Annotated[int, typer.Option("--start", min=0, help="Day each cutoff starts.")] = 0,
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="How long each cutoff lasts (default: for good)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    catalogue: CatalogueOption = None,
    no_builtin: NoBuiltinOption = False,
) -> None:
    """Rank what FORCE is most exposed to: a cutoff per jurisdiction (or supplier) and kind."""

    def work() -> None:
        doc = (
            load(file, catalogue, builtin=not no_builtin)
            if file is not None
            else load_text("{}\n", "<catalogue>", catalogue, builtin=not no_builtin)
        )
        with err_console.status(f"sweeping cutoffs over {force}", spinner="dots"):
            ranked = exposure(
                doc, force, by=by.value, horizon=horizon, start_day=start, duration=days
            )
        if as_json:
            sys.stdout.write(json.dumps(ranked.to_dict()) + "\n")
            return
        out_console.print(exposure_table(ranked, top))
        if ranked.assumptions:
            out_console.print(
                f"[yellow]These results rest on {len(ranked.assumptions)} assumed "
                "parameter(s)[/] (see tether catalogue show NAME): "
                + ", ".join(ranked.assumptions),
                highlight=False,
            )

    _guard(work)


catalogue_cmd = typer.Typer(help="List and show catalogue entries, with sources and assumptions.")
app.add_typer(catalogue_cmd, name="catalogue")


@catalogue_cmd.command("list")
def catalogue_list(
    section: Annotated[
        str | None, typer.Option("--section", "-s", help="Only this section.")
    ] = None,
    catalogue: CatalogueOption = None,
) -> None:
    """List catalogue entries with counts of sources, cited numbers and assumptions."""
    _guard(lambda: list_entries(out_console, catalogue, section))


@catalogue_cmd.command("show")
def catalogue_show(
    name: Annotated[str, typer.Argument(help="An entry name, e.g. himars.")],
    catalogue: CatalogueOption = None,
) -> None:
    """Show one entry: its fields, sources, cited numbers and what is assumed."""
    _guard(lambda: show_entry(out_console, catalogue, name))


@catalogue_cmd.command("check")
def catalogue_check(
    catalogue: CatalogueOption = None,
    record: Annotated[
        Path | None,
        typer.Option("--record", help="Public record every source must appear in (a text file)."),
    ] = None,
) -> None:
    """Check provenance: every entry sourced, every number cited or marked assumed."""

    def work() -> None:
        dirs = [BUILTIN_CATALOGUE, *(catalogue or [])]
        text = None
        if record is not None:
            try:
                text = record.read_text(encoding="utf-8")
            except OSError as exc:
                raise TetherError(f"cannot read {record}: {exc.strerror}") from None
        problems = check_provenance(catalogue_entries(dirs), text)
        if problems:
            raise InputError(problems)
        out_console.print("[green]ok[/] every entry sourced, every number cited or assumed")

    _guard(work)


@app.command("schema")
def schema_cmd(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead.")
    ] = None,
) -> None:
    """Print the JSON Schema of the file format (for editor completion and checks)."""
    text = json.dumps(schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        _guard(lambda: _write(out, text))


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise TetherError(f"cannot write {path}: {exc.strerror}") from None


def main() -> None:
    """Entry point of the ``tether`` script."""
    tune_allocator()
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise SystemExit(130) from None
