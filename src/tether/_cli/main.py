"""``tether``: run scenarios, validate files, print the schema.

Start-up matters (every command, ``--help`` included): this module and what it imports
at the top load no numpy, pandas, xarray, scipy or pydantic; each command imports what
it uses.
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from tether._cli.atlas import register as register_atlas
from tether._cli.common import (
    CatalogueOption,
    NoBuiltinOption,
    err_console,
    guard,
    load_document,
    out_console,
    print_error,
    version,
    write_json,
)
from tether._cli.compare import register as register_compare
from tether._cli.industry import register as register_industry
from tether._cli.optimise import register as register_optimise
from tether._cli.report import register as register_report
from tether._cli.run import EXAMPLES as RUN_EXAMPLES
from tether._cli.run import run
from tether._cli.sensitivity import register as register_sensitivity
from tether._cli.serve import register as register_serve
from tether._cli.spares import register as register_spares
from tether._cli.stockpile import register as register_stockpile
from tether._cli.sweep import register as register_sweep
from tether._errors import InputError, TetherError

__all__ = ["app", "main"]

app = typer.Typer(
    name="tether",
    help="What still works, day by day, when a supplier withholds support.",
    epilog="Examples:\n\n  tether run examples/single-fleet.yaml\n\n"
    "  tether exposure european-nato --top 8",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.command(epilog=RUN_EXAMPLES)(run)
register_industry(app)
register_optimise(app)
register_spares(app)
register_stockpile(app)
register_compare(app)
register_report(app)
register_sweep(app)
register_sensitivity(app)
register_serve(app)


class ByName(enum.StrEnum):
    jurisdiction = "jurisdiction"
    supplier = "supplier"


def _version(value: bool) -> None:
    if value:
        out_console.print(f"tether {version()}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """tether: supply-dependency and sustainment readiness for forces of fleets."""


@app.command(
    epilog="Examples:\n\n  tether validate examples/*.yaml\n\n"
    "  tether validate my-force.yaml --catalogue my-catalogue/"
)
def validate(
    files: Annotated[list[Path], typer.Argument(help="Files to check.")],
    catalogue: CatalogueOption = None,
    no_builtin: NoBuiltinOption = False,
) -> None:
    """Check files against the format and the catalogue; report every problem.

    Besides each field, the quantities a scenario derives from several fields at once
    (failures a day, items out of service, munitions use) are checked, as a run would.
    """
    from tether._checks import derived_problems
    from tether._loader import load

    failed = 0
    for f in files:
        try:
            doc = load(f, catalogue, builtin=not no_builtin)
            problems = [
                p
                for sc in doc.own_scenarios()
                for m in sc.members
                for p in derived_problems(doc, doc.force(m), sc)
            ]
            if problems:
                raise InputError(list(dict.fromkeys(problems)))
        except TetherError as exc:
            print_error(err_console, exc)
            failed += 1
            continue
        own = {s: doc.own_entries(s) for s in ("scenarios", "forces", "systems", "suppliers")}
        counts = ", ".join(f"{len(v)} {k}" for k, v in own.items() if v)
        out_console.print(f"[green]ok[/] {f}: {counts or 'nothing but catalogue entries'}")
    if failed:
        raise typer.Exit(2)


@app.command(
    "exposure",
    epilog="Examples:\n\n  tether exposure european-nato --top 8\n\n"
    "  tether exposure canada --by supplier --days 90 --json",
)
def exposure_cmd(
    force: Annotated[str, typer.Argument(help="A force name (catalogue or --file).")],
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="A file defining the force.")
    ] = None,
    by: Annotated[
        ByName, typer.Option("--by", help="One cutoff per jurisdiction or per supplier.")
    ] = ByName.jurisdiction,
    horizon: Annotated[int, typer.Option("--horizon", min=1, max=36_500, help="Days.")] = 365,
    start: Annotated[
        int, typer.Option("--start", min=0, help="Day each cutoff starts (within the horizon).")
    ] = 0,
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
        from tether._analysis.exposure import exposure
        from tether._cli.render import exposure_tables, short_flag

        doc = load_document(file, catalogue, no_builtin)
        with err_console.status(f"sweeping cutoffs over {force}", spinner="dots"):
            ranked = exposure(
                doc, force, by=by.value, horizon=horizon, start_day=start, duration=days
            )
        if as_json:
            write_json(ranked.to_dict())
            return
        for table in exposure_tables(out_console, ranked, top):
            out_console.print(table)
        theta = next(iter(ranked.rows[0].time_to_survive))
        for area, day in ranked.short_areas.items():
            out_console.print(short_flag(area, theta, day), highlight=False)
        if ranked.assumptions:
            out_console.print(
                f"[yellow]These results rest on {len(ranked.assumptions)} assumed "
                "parameter(s)[/] (see tether catalogue show NAME): "
                + ", ".join(ranked.assumptions),
                highlight=False,
            )

    guard(work)


catalogue_cmd = typer.Typer(
    help="List and show catalogue entries, with sources and assumptions.",
    epilog="Examples:\n\n  tether catalogue list --section systems\n\n"
    "  tether catalogue show himars",
)
app.add_typer(catalogue_cmd, name="catalogue")
register_atlas(app)


@catalogue_cmd.command(
    "list",
    epilog="Examples:\n\n  tether catalogue list\n\n  tether catalogue list --section forces",
)
def catalogue_list(
    section: Annotated[
        str | None, typer.Option("--section", "-s", help="Only this section.")
    ] = None,
    catalogue: CatalogueOption = None,
) -> None:
    """List catalogue entries with counts of sources, cited numbers and assumptions."""
    from tether._cli.catalogue import list_entries

    guard(lambda: list_entries(out_console, catalogue, section))


@catalogue_cmd.command(
    "show",
    epilog="Examples:\n\n  tether catalogue show himars\n\n  tether catalogue show european-nato",
)
def catalogue_show(
    name: Annotated[str, typer.Argument(help="An entry name, e.g. himars.")],
    catalogue: CatalogueOption = None,
) -> None:
    """Show one entry: its fields, sources, cited numbers and what is assumed."""
    from tether._cli.catalogue import show_entry

    guard(lambda: show_entry(out_console, catalogue, name))


@catalogue_cmd.command(
    "check",
    epilog="Examples:\n\n  tether catalogue check\n\n"
    "  tether catalogue check --catalogue my-catalogue/ --record sources.md",
)
def catalogue_check(
    catalogue: CatalogueOption = None,
    record: Annotated[
        Path | None,
        typer.Option("--record", help="Public record every source must appear in (a text file)."),
    ] = None,
) -> None:
    """Check provenance: every entry sourced, every number cited or marked assumed."""

    def work() -> None:
        from tether._cli.catalogue import consistency_problems
        from tether._loader import BUILTIN_CATALOGUE
        from tether._provenance import catalogue_entries, check_provenance

        dirs = [BUILTIN_CATALOGUE, *(catalogue or [])]
        text = None
        if record is not None:
            try:
                text = record.read_text(encoding="utf-8")
            except OSError as exc:
                raise TetherError(f"cannot read {record}: {exc.strerror}") from None
        problems = check_provenance(catalogue_entries(dirs), text)
        problems += consistency_problems(dirs)
        if problems:
            raise InputError(problems)
        out_console.print("[green]ok[/] every entry sourced, every number cited or assumed")

    guard(work)


@app.command(
    "schema",
    epilog="Examples:\n\n  tether schema > tether.schema.json\n\n"
    "  tether schema --out tether.schema.json",
)
def schema_cmd(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead.")
    ] = None,
) -> None:
    """Print the JSON Schema of the file format (for editor completion and checks)."""
    from tether._schema import schema

    text = json.dumps(schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        guard(lambda: _write(out, text))


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise TetherError(f"cannot write {path}: {exc.strerror}") from None


def main() -> None:
    """Entry point of the ``tether`` script."""
    from tether._allocator import tune_allocator

    tune_allocator()
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise SystemExit(130) from None
