"""``tether spares``: the efficient spares curve of a force, and the optimum at a budget.

Kept light at import (no numpy, pandas or highspy): the command imports what it uses.
"""

from __future__ import annotations

import enum
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
from tether._errors import TetherError

if TYPE_CHECKING:
    from rich.console import Console

    from tether._analysis.spares import SparesCurve

__all__ = ["EXAMPLES", "register"]

EXAMPLES = (
    "Examples:\n\n"
    "  tether spares examples/single-fleet.yaml --day 90 --budget 2m\n\n"
    "  tether spares FILE -s SCENARIO --day 180 --day 365 --objective backorders --json\n\n"
    "  tether spares FILE --force NAME --echelons 2 --out results/"
)

#: Rows of the curve shown in the table (evenly spread by point, always the first and last).
TABLE_ROWS = 16


class ObjectiveName(enum.StrEnum):
    availability = "availability"
    backorders = "backorders"


def money(x: float) -> str:
    for div, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:,.4g}{suffix}"
    return f"{x:,.4g}"


def _shown(n: int, rows: int = TABLE_ROWS) -> list[int]:
    if n <= rows:
        return list(range(n))
    return sorted({round(i * (n - 1) / (rows - 1)) for i in range(rows)})


def show(console: Console, c: SparesCurve) -> None:
    """The curve (sampled points), the optimum at the budget if asked, and notes."""
    from rich.table import Table

    at = ", ".join(f"{s} day {d}" for s, d in c.points)
    goal = "availability" if c.objective == "availability" else "expected backorders"
    console.print(
        f"[bold]Spares curve[/] ({goal}, {c.echelons} echelon{'s' if c.echelons > 1 else ''}) "
        f"at {at}: {len(c):,} points",
        highlight=False,
    )
    t = Table(box=None, header_style="bold")
    for col in ("point", "cost", "availability", "backorders", "raises"):
        t.add_column(col, justify="left" if col == "raises" else "right")
    for i in _shown(len(c)):
        raised = "start" if i == 0 else f"{c.parts[c.step_part[i - 1]]} -> {c.step_level[i - 1]}"
        t.add_row(
            f"{i:,}",
            money(float(c.cost[i])),
            f"{c.availability[i]:.4f}",
            f"{c.backorders[i]:.4g}",
            raised,
        )
    console.print(t)
    console.print(
        "cost: of the stock added to the start; availability: value-weighted mean over "
        "fleets of the expected share of units up (parts only); a point's stock list is the "
        "start with every raise up to it (--json, --out)",
        highlight=False,
    )
    if c.optimum is not None:
        o = c.optimum
        console.print(
            f"[bold]Optimum within {money(o.budget)}[/] ({o.method}; "
            + ("exact" if o.method == "dp" else f"gap to the LP bound {o.gap:.3g}")
            + f"): cost {money(o.cost)}, "
            f"availability {o.availability:.4f}, backorders {o.backorders:.4g}",
            highlight=False,
        )
        start = c.stock(0)
        s = Table(box=None, header_style="bold")
        for col in ("part", "stock", "added", "cost", "where"):
            s.add_column(col, justify="right" if col in ("stock", "added", "cost") else "left")
        for part, level in o.stock.items():
            added = level - start[part]
            if added:
                cost = float(c.unit_cost[c.parts.index(part)]) * added
                where = ""
                if part in c.locations:
                    names, split = c.locations[part]
                    where = ", ".join(
                        f"{'depot' if n.startswith('depot:') else n.split('/')[0]} {v}"
                        for n, v in zip(names, split[level], strict=True)
                        if v
                    )
                s.add_row(part, f"{level}", f"+{added}", money(cost), where)
        console.print(s)
        best = c.at_budget(o.budget)
        console.print(
            f"the curve's last point within the budget (point {best:,}): cost "
            f"{money(float(c.cost[best]))}, availability {c.availability[best]:.4f}",
            highlight=False,
        )
    for note in c.notes:
        console.print(f"[yellow]note[/]: {note}", highlight=False)


def write_out(c: SparesCurve, out: Path) -> list[Path]:
    """``curve`` (one row per point), ``stock`` (the stock list of each point shown in the
    table, and of the optimum) as CSV and Parquet in ``out``."""
    import pandas as pd

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TetherError(f"cannot create {out}: {exc.strerror}") from None
    rows = []
    for i in _shown(len(c)):
        for part, level in c.allocation(i).items():
            rows.append({"point": str(i), "part": part, "stock": level})
    if c.optimum is not None:
        for part, level in c.optimum.stock.items():
            rows.append({"point": "optimum", "part": part, "stock": level})
    frames = {"curve": c.to_frame(), "stock": pd.DataFrame(rows)}
    written: list[Path] = []
    for name, frame in frames.items():
        try:
            frame.to_csv(out / f"{name}.csv", index=False)
            frame.to_parquet(out / f"{name}.parquet", index=False)
        except OSError as exc:
            raise TetherError(f"cannot write to {out}: {exc.strerror}") from None
        written += [out / f"{name}.csv", out / f"{name}.parquet"]
    return written


def register(app: typer.Typer) -> None:
    """Add ``spares`` to ``app``."""

    @app.command("spares", epilog=EXAMPLES)
    def spares_cmd(
        file: Annotated[Path, typer.Argument(help="A tether file (its scenarios and forces).")],
        scenario: Annotated[
            list[str] | None,
            typer.Option(
                "--scenario",
                "-s",
                help="Scenario (repeatable; default: the file's first).",
                show_default=False,
            ),
        ] = None,
        force: Annotated[
            str | None,
            typer.Option("--force", help="A force at steady state instead of scenarios."),
        ] = None,
        day: Annotated[
            list[int] | None,
            typer.Option(
                "--day",
                "-d",
                help="Day of each scenario (repeatable; default: its lowest availability).",
                show_default=False,
            ),
        ] = None,
        budget: Annotated[
            str | None,
            typer.Option(
                "--budget",
                "-b",
                help="Stop at this cost and solve it exactly: 150e9, 150bn, 2.5m, 1.2k.",
                show_default=False,
            ),
        ] = None,
        objective: Annotated[
            ObjectiveName, typer.Option("--objective", help="What the curve improves.")
        ] = ObjectiveName.availability,
        echelons: Annotated[
            int, typer.Option("--echelons", min=1, max=2, help="2: depot and bases (METRIC).")
        ] = 1,
        from_zero: Annotated[
            bool, typer.Option("--from-zero", help="Start from no stock, not the fleets' own.")
        ] = False,
        order_ship_days: Annotated[
            float,
            typer.Option("--order-ship-days", min=0, help="Two echelons: depot to base, days."),
        ] = 5.0,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="Write CSV and Parquet tables to this directory."),
        ] = None,
        catalogue: CatalogueOption = None,
        no_builtin: NoBuiltinOption = False,
    ) -> None:
        """The efficient spares curve (cost against availability or backorders) of a force
        at chosen days of its scenarios, and the exact optimum at a budget."""

        def work() -> None:
            from tether._analysis.spares import spares_curve
            from tether._budget import parse_budget
            from tether._errors import ArgumentError
            from tether._loader import load

            amount = None if budget is None else parse_budget(budget, name="--budget")
            if force is not None and scenario:
                raise ArgumentError("give --force (steady state) or --scenario, not both")
            doc = load(file, catalogue, builtin=not no_builtin)
            names = list(scenario or [])
            first = force if force is not None else (names[0] if names else None)
            with err_console.status("building the spares curve", spinner="dots"):
                curve = spares_curve(
                    doc,
                    first,
                    scenarios=names[1:],
                    days=day,
                    objective=objective.value,
                    budget=amount,
                    echelons=echelons,
                    from_current=not from_zero,
                    order_ship_days=order_ship_days,
                )
            written = write_out(curve, out) if out is not None else []
            if as_json:
                write_json(curve.to_dict())
                return
            show(out_console, curve)
            if written:
                out_console.print(f"wrote {len(written)} files to {out}", highlight=False)

        guard(work)
