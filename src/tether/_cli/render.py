"""Rich renderings of results for the terminal. Views read results; they do not compute."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tether._analysis.exposure import Exposure
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
    caption = f"horizon {result.horizon} days, {result.engine} engine"
    bands = result.has_bands and not fleets
    if result.has_bands:
        caption += (
            f", {result.settings.get('reps')} replications, seed {result.settings.get('seed')}"
        )
        if bands:
            caption += "; day columns: mean (P10-P90)"
    table = Table(title=title, caption=caption)
    horizon = result.horizon
    summaries = result.fleet_summary if fleets else result.summary
    first = next(iter(summaries.values()))
    table.add_column("fleet" if fleets else "area", style="bold", no_wrap=True)
    table.add_column("baseline", justify="right", no_wrap=True)
    for d in first.at_day:
        table.add_column(f"day {d}", justify="right", no_wrap=True)
    for theta in first.time_to_survive:
        table.add_column(f"TTS {100 * theta:.0f}%", justify="right", no_wrap=True)
    table.add_column("days lost", justify="right", no_wrap=True)
    table.add_column("min (day)", justify="right", no_wrap=True)
    table.add_column("recovery", justify="right", no_wrap=True)
    for name, s in summaries.items():
        cells = [name, f"{s.baseline:.2f}"]
        for d, v in s.at_day.items():
            style = "red" if v < 0.5 else "yellow" if v < 0.75 else ""
            text = _pct(v)
            if bands:
                lo, hi = result.band(name, 0.1)[d], result.band(name, 0.9)[d]
                text += f" ({_pct(lo)[:-1]}-{_pct(hi)})"
            cells.append(f"[{style}]{text}[/]" if style else text)
        cells += [_days(v, horizon) for v in s.time_to_survive.values()]
        cells += [
            f"{s.days_lost:.1f}",
            f"{_pct(s.minimum)} ({s.minimum_day})",
            _recovery(s, horizon),
        ]
        table.add_row(*cells)
    return table


def exposure_table(ranked: Exposure, top: int) -> Table:
    """The ranked exposure of a force: worst first."""
    span = "for good" if ranked.duration is None else f"for {ranked.duration} days"
    table = Table(
        title=f"Exposure of {ranked.force}: one cutoff per {ranked.by} and kind, "
        f"from day {ranked.start_day} {span}",
        caption=f"horizon {ranked.horizon} days; force = mean of its areas' fraction of "
        "baseline; REI = days lost / largest days lost",
    )
    table.add_column("#", justify="right")
    table.add_column(ranked.by, style="bold", no_wrap=True)
    table.add_column("kinds", no_wrap=True)
    first = ranked.rows[0]
    for theta in first.time_to_survive:
        table.add_column(f"TTS {100 * theta:.0f}%", justify="right", no_wrap=True)
    table.add_column("days lost", justify="right")
    table.add_column("min", justify="right")
    table.add_column("worst area (days lost)", no_wrap=True)
    table.add_column("REI", justify="right")
    for i, r in enumerate(ranked.rows[:top], 1):
        bar = "#" * round(10 * r.risk_exposure_index)
        table.add_row(
            str(i),
            r.target,
            r.kinds,
            *[_days(v, ranked.horizon) for v in r.time_to_survive.values()],
            f"{r.days_lost:.1f}",
            _pct(r.minimum),
            f"{r.worst_area} ({r.worst_area_days_lost:.0f})",
            f"{r.risk_exposure_index:.2f} {bar}",
        )
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
