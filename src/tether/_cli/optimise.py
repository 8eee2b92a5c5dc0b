"""``tether optimise`` (also ``optimize``): the best portfolio of options under a budget.

Kept light at import (no numpy, pandas or highspy): the command imports what it uses.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from tether._cli.common import (
    CatalogueOption,
    NoBuiltinOption,
    err_console,
    guard,
    out_console,
    write_json,
)
from tether._errors import ArgumentError, TetherError

if TYPE_CHECKING:
    from rich.console import Console

    from tether._analysis.optimise import Optimisation

__all__ = ["EXAMPLES", "parse_minimum", "register"]

EXAMPLES = (
    "Examples:\n\n"
    "  tether optimise FILE --budget 150bn\n\n"
    "  tether optimise FILE --budget 2.5m --objective worst --min air-defence=0.6 --json\n\n"
    "  tether optimise FILE --decision NAME --curve 0,50bn,100bn,150bn --out results/\n\n"
    "  tether optimise FILE --budget 150bn --curve breakpoints"
)


class ObjectiveName(enum.StrEnum):
    expected = "expected"
    worst = "worst"


def parse_minimum(items: list[str]) -> dict[str, float]:
    """``AREA=FRACTION`` items (``air-defence=0.6`` or ``air-defence=60%``) as a dict."""
    out: dict[str, float] = {}
    for item in items:
        area, sep, value = item.partition("=")
        text = value.strip()
        try:
            frac = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            frac = float("nan")
        if not sep or not area.strip() or not 0 < frac <= 1:
            raise ArgumentError(
                f"--min takes AREA=FRACTION with a fraction in (0, 1] such as "
                f"air-defence=0.6, not {item!r}"
            )
        out[area.strip()] = frac
    return out


def _money(x: float) -> str:
    for div, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:,.4g}{suffix}"
    return f"{x:,.4g}"


def _gap(x: float) -> str:
    if x != x or x == float("inf"):
        return "unproved"
    return "0%" if x < 1e-9 else f"{100 * x:.2g}%"


def show(console: Console, r: Optimisation) -> None:
    """The chosen portfolio, its objective and gap, and the budget curve."""
    from rich.table import Table

    what = f"area {r.area}" if r.area else f"force {r.force}"
    floors = ", ".join(f"{a} >= {v:.0%}" for a, v in r.minimum.items())
    console.print(
        f"[bold]{r.decision}[/]: best portfolio within {_money(r.budget)} "
        f"({r.objective} capability-days of {what}"
        + (f"; minimum {floors}" if floors else "")
        + ")",
        highlight=False,
    )
    t = Table(box=None, header_style="bold")
    t.add_column("option")
    t.add_column("cost", justify="right")
    for name in r.best.options:
        t.add_row(name, _money(r.costs[name]))
    t.add_row("[bold]total[/]", f"[bold]{_money(r.best.cost)}[/]")
    console.print(t)
    gain = r.best.objective - r.no_option
    console.print(
        f"objective {r.best.objective:,.2f} days (no option: {r.no_option:,.2f}; "
        f"gain {gain:+,.2f}); bound {r.best.bound:,.2f}; gap {_gap(r.best.gap)} "
        f"({'proved optimal' if r.best.gap <= 1e-9 else 'not proved optimal'}, "
        f"{'exact search' if r.exact else 'local search in some fleets'})",
        highlight=False,
    )
    c = Table(title="budget curve", box=None, header_style="bold", title_justify="left")
    for col in ("budget", "cost", "objective", "gap", "options"):
        c.add_column(col, justify="left" if col == "options" else "right")
    for p in r.curve:
        c.add_row(
            _money(p.budget),
            _money(p.cost),
            f"{p.objective:,.2f}",
            _gap(p.gap),
            ", ".join(p.options) or "-",
        )
    console.print(c)
    console.print(
        "objective: capability-days in days of the day-0 no-cutoff capability, "
        + ("weighted over " if r.objective == "expected" else "worst of ")
        + ", ".join(f"{s} ({w:.2g})" for s, w in r.weights.items()),
        highlight=False,
    )
    for note in r.notes:
        console.print(f"[yellow]note[/]: {note}", highlight=False)


def write_out(r: Optimisation, out: Path) -> list[Path]:
    """``curve.csv``/``.parquet`` (one row per budget) and ``portfolio.csv``/``.parquet``
    (one row per chosen option) in ``out``."""
    import pandas as pd

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TetherError(f"cannot create {out}: {exc.strerror}") from None
    curve = pd.DataFrame(
        [
            {
                "budget": p.budget,
                "cost": p.cost,
                "objective": p.objective,
                "bound": p.bound,
                "gap": p.gap,
                "options": ";".join(p.options),
                **{f"scenario:{k}": v for k, v in p.scenarios.items()},
            }
            for p in r.curve
        ]
    )
    portfolio = pd.DataFrame(
        {"option": list(r.best.options), "cost": [r.costs[o] for o in r.best.options]}
    )
    written: list[Path] = []
    for name, frame in (("curve", curve), ("portfolio", portfolio)):
        try:
            frame.to_csv(out / f"{name}.csv", index=False)
            frame.to_parquet(out / f"{name}.parquet", index=False)
        except OSError as exc:
            raise TetherError(f"cannot write to {out}: {exc.strerror}") from None
        written += [out / f"{name}.csv", out / f"{name}.parquet"]
    return written


def register(app: typer.Typer) -> None:
    """Add ``optimise`` and its alias ``optimize`` to ``app``."""

    def optimise_cmd(
        file: Annotated[Path, typer.Argument(help="A tether file with a decisions: section.")],
        budget: Annotated[
            str | None,
            typer.Option(
                "--budget",
                "-b",
                help="Budget: 150e9, 150bn, 2.5m, 1.2k (default: the decision's).",
                show_default=False,
            ),
        ] = None,
        objective: Annotated[
            ObjectiveName | None,
            typer.Option(
                "--objective",
                help="expected (weighted over scenarios) or worst \\[default: the decision's].",
                show_default=False,
            ),
        ] = None,
        minimum: Annotated[
            list[str] | None,
            typer.Option(
                "--min",
                help="AREA=FRACTION: the area never below this fraction of its no-cutoff "
                "baseline (repeatable).",
                show_default=False,
            ),
        ] = None,
        decision: Annotated[
            str | None,
            typer.Option("--decision", "-d", help="The decision (default: the file's first)."),
        ] = None,
        area: Annotated[
            str | None,
            typer.Option("--area", help="Judge one area (default: the whole force)."),
        ] = None,
        curve: Annotated[
            str | None,
            typer.Option(
                "--curve",
                help="Budgets of the curve, comma-separated, or 'breakpoints' (every budget "
                "at which the best portfolio changes) \\[default: 9 from 0 to the budget, or to "
                "the cost of every option if less].",
                show_default=False,
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="Write CSV and Parquet of the curve and portfolio."),
        ] = None,
        catalogue: CatalogueOption = None,
        no_builtin: NoBuiltinOption = False,
    ) -> None:
        """Choose options under a budget to maximise capability-days over a decision's
        weighted scenarios (or the worst), with the budget curve and the proved gap."""

        def work() -> None:
            from tether._analysis.optimise import optimise
            from tether._budget import parse_budget
            from tether._cli.progress import progress
            from tether._loader import load

            top = parse_budget(budget) if budget is not None else None
            floors = parse_minimum(minimum) if minimum else None
            points: list[float] | Literal["breakpoints"] | None = None
            if curve is not None and curve.strip() == "breakpoints":
                points = "breakpoints"
            elif curve is not None:
                points = [parse_budget(x, name="--curve budget") for x in curve.split(",")]
            doc = load(file, catalogue, builtin=not no_builtin)
            with progress(err_console) as start:
                report = start("searching portfolios")
                result = optimise(
                    doc,
                    decision,
                    budget=top,
                    objective=objective.value if objective is not None else None,
                    area=area,
                    minimum=floors,
                    budgets=points,
                    progress=report,
                )
            if out is not None:
                written = write_out(result, out)
                err_console.print(f"wrote {len(written)} files to {out}", highlight=False)
            if as_json:
                write_json(result.to_json())
                return
            show(out_console, result)

        guard(work)

    app.command("optimise", epilog=EXAMPLES)(optimise_cmd)
    app.command("optimize", epilog=EXAMPLES, hidden=True)(optimise_cmd)
