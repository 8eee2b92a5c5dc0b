"""``tether compare``: scenarios, or force variants, side by side per area.

Kept light at import: the command imports what it uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tether._cli.common import (
    CatalogueOption,
    NoBuiltinOption,
    err_console,
    guard,
    out_console,
    write_json,
)
from tether._cli.run import EngineName
from tether._errors import TetherError

if TYPE_CHECKING:
    from rich.console import Console

    from tether._analysis.compare import Comparison

__all__ = ["EXAMPLES", "register"]

EXAMPLES = (
    "Examples:\n\n"
    "  tether compare examples/canada-fighters.yaml f-35-fleet-us-cut gripen-fleet-us-cut\n\n"
    "  tether compare FILE SCENARIO --force canada --force canada-gripen --engine montecarlo\n\n"
    "  tether compare FILE A B --day 30 --day 365 --json"
)


def show(console: Console, c: Comparison) -> None:
    """One table per area: capability on the sampled days, survival, days lost,
    capability-days, the difference from the first column and P(A beats B)."""
    from rich.table import Table

    first = next(iter(c.summary.values()))
    thresholds = next((list(s.time_to_survive) for s in first if s is not None), [])
    for area in c.areas:
        t = Table(
            title=f"{area} (capability in weighted units)",
            title_justify="left",
            box=None,
            header_style="bold",
        )
        t.add_column("column")
        for d in c.days:
            t.add_column(f"d{d}", justify="right")
        for th in thresholds:
            t.add_column(f"TTS{th * 100:g}", justify="right")
        for col in ("lost", "cap-days", "vs A"):
            t.add_column(col, justify="right")
        if c.p_beats is not None:
            t.add_column("P(A>)", justify="right")
        for i, label in enumerate(c.labels):
            s = c.summary[area][i]
            if s is None:
                t.add_row(label, *(["-"] * (len(t.columns) - 1)))
                continue
            cap = c.capability[area][i]
            tts = [">H" if v is None else str(v) for v in s.time_to_survive.values()]
            diff = c.difference[area][i]
            row = [
                label,
                *(f"{cap[d]:,.3g}" for d in c.days),
                *tts,
                f"{s.days_lost:.1f}",
                f"{c.capability_days[area][i] or 0:,.4g}",
                "-" if i == 0 or diff is None else f"{diff:+,.4g}",
            ]
            if c.p_beats is not None:
                p = c.p_beats[area][i]
                row.append("-" if p is None else f"{p:.2f}")
            t.add_row(*row)
        console.print(t)
    console.print(
        f"A = {c.labels[0]}; TTS: days from the first cutoff until below the threshold of the "
        f"column's own no-cutoff baseline (>H: not within the horizon); lost: days lost, in "
        f"days of its day-0 baseline; cap-days: capability summed over days 0 to {c.horizon}; "
        "vs A: cap-days minus A's"
        + ("; P(A>): P(A has more cap-days), per replication" if c.p_beats is not None else ""),
        highlight=False,
    )
    for note in c.notes:
        console.print(f"[yellow]note[/]: {note}", highlight=False)


def write_out(c: Comparison, out: Path) -> list[Path]:
    """``series`` (every column, area and day) and ``summary`` as CSV and Parquet."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TetherError(f"cannot create {out}: {exc.strerror}") from None
    written: list[Path] = []
    for name, frame in (("series", c.to_frame()), ("summary", c.summary_frame())):
        try:
            frame.to_csv(out / f"{name}.csv", index=False)
            frame.to_parquet(out / f"{name}.parquet", index=False)
        except OSError as exc:
            raise TetherError(f"cannot write to {out}: {exc.strerror}") from None
        written += [out / f"{name}.csv", out / f"{name}.parquet"]
    return written


def register(app: typer.Typer) -> None:
    """Add ``compare`` to ``app``."""

    @app.command("compare", epilog=EXAMPLES)
    def compare_cmd(
        file: Annotated[Path, typer.Argument(help="A tether file with the scenarios.")],
        scenarios: Annotated[
            list[str] | None,
            typer.Argument(
                help="Scenarios: A B [C...] (with --force, one or more).", show_default=False
            ),
        ] = None,
        force: Annotated[
            list[str] | None,
            typer.Option(
                "--force", help="Play the scenarios on each of these forces (repeatable)."
            ),
        ] = None,
        engine: Annotated[
            EngineName, typer.Option("--engine", "-e", help="analytic or montecarlo.")
        ] = EngineName.analytic,
        reps: Annotated[
            int,
            typer.Option("--reps", "-n", min=2, max=1_000_000, help="Monte Carlo replications."),
        ] = 1000,
        seed: Annotated[int, typer.Option("--seed", min=0, help="Monte Carlo seed.")] = 0,
        day: Annotated[
            list[int] | None,
            typer.Option(
                "--day", "-d", help="Days shown in the tables (repeatable).", show_default=False
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="Write CSV and Parquet tables to this directory."),
        ] = None,
        catalogue: CatalogueOption = None,
        no_builtin: NoBuiltinOption = False,
    ) -> None:
        """Two or more scenarios, or the same scenarios on force variants, side by side per
        area: capability over time, time to survive, days lost, the difference, and with
        the Monte Carlo engine the probability that A beats each other column."""

        def work() -> None:
            from tether._analysis.compare import compare
            from tether._loader import load

            doc = load(file, catalogue, builtin=not no_builtin)
            with err_console.status("running the columns", spinner="dots"):
                c = compare(
                    doc,
                    list(scenarios or []),
                    forces=force,
                    engine=engine.value,
                    reps=reps,
                    seed=seed,
                    days=day,
                )
            written = write_out(c, out) if out is not None else []
            if as_json:
                write_json(c.to_dict())
                return
            show(out_console, c)
            if written:
                out_console.print(f"wrote {len(written)} files to {out}", highlight=False)

        guard(work)
