"""Rich renderings of results for the terminal. Views read results; they do not compute."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tether._errors import InputError, TetherError
from tether._metrics import Summary
from tether._result import Result

__all__ = ["print_error", "result_table"]


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _days(value: int | None, horizon: int) -> str:
    return f">{horizon}" if value is None else str(value)


def _recovery(s: Summary, horizon: int) -> str:
    if s.cutoff_end_day is None:
        return "-"
    if s.time_to_recover is None:
        return f">{horizon - s.cutoff_end_day}"
    return str(s.time_to_recover)


def result_table(result: Result, *, fleets: bool = False) -> Table:
    """One row per capability area (or per fleet): the headline metrics."""
    title = f"{result.scenario}"
    if result.title:
        title += f": {result.title}"
    table = Table(title=title, caption=f"horizon {result.horizon} days, {result.engine} engine")
    horizon = result.horizon
    summaries = result.fleet_summary if fleets else result.summary
    first = next(iter(summaries.values()))
    table.add_column("fleet" if fleets else "area", style="bold", no_wrap=True)
    table.add_column("baseline", justify="right")
    for d in first.at_day:
        table.add_column(f"day {d}", justify="right", no_wrap=True)
    for theta in first.time_to_survive:
        table.add_column(f"TTS {100 * theta:.0f}%", justify="right", no_wrap=True)
    table.add_column("days lost", justify="right", no_wrap=True)
    table.add_column("min (day)", justify="right", no_wrap=True)
    table.add_column("recovery", justify="right", no_wrap=True)
    for name, s in summaries.items():
        cells = [name, f"{s.baseline:.2f}"]
        for v in s.at_day.values():
            style = "red" if v < 0.5 else "yellow" if v < 0.75 else ""
            cells.append(f"[{style}]{_pct(v)}[/]" if style else _pct(v))
        cells += [_days(v, horizon) for v in s.time_to_survive.values()]
        cells += [
            f"{s.days_lost:.1f}",
            f"{_pct(s.minimum)} ({s.minimum_day})",
            _recovery(s, horizon),
        ]
        table.add_row(*cells)
    return table


def print_error(console: Console, error: TetherError) -> None:
    """Print an error as the user should see it: no traceback."""
    if isinstance(error, InputError):
        n = len(error.diagnostics)
        for d in error.diagnostics:
            console.print(f"[bold red]error[/]: {escape(str(d))}", highlight=False, soft_wrap=True)
        console.print(f"{n} problem{'s' if n != 1 else ''} found", style="red", highlight=False)
    else:
        console.print(f"[bold red]error[/]: {escape(str(error))}", highlight=False, soft_wrap=True)
