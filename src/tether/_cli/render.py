"""Rich renderings of results for the terminal. Views read results; they do not compute.

Tables fit the console they print to: each is built at its widest (full headers, every
column in one table) and, when that does not fit, with short headers (named in the
caption), then split in two (days | metrics). No cell is ever cut to an ellipsis: the
last resort is wrapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from tether._analysis.exposure import Exposure
    from tether._metrics import Summary
    from tether._result import Result

__all__ = [
    "REFERENCE",
    "explain_table",
    "exposure_tables",
    "print_result",
    "result_tables",
    "short_flags",
]

REFERENCE = "% of the same-day no-cutoff baseline"


@dataclass
class Col:
    """One column: a full and a short header, its cells and how to align them."""

    header: str
    short: str
    justify: str = "right"
    cells: list[Text] = field(default_factory=list)
    bold: bool = False
    #: Narrower cells for the short layout (e.g. a band under its mean); default ``cells``.
    compact: list[Text] = field(default_factory=list)


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _num(value: float) -> str:
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _days(value: int | None, horizon: int) -> str:
    return f">{horizon}" if value is None else str(value)


def _recovery(s: Summary, horizon: int) -> str:
    if s.cutoff_end_day is None:
        return "-"
    if s.time_to_recover is None:
        return f">{horizon - s.cutoff_end_day}"
    return str(s.time_to_recover)


def _spread(s: Summary, theta: float | None, horizon: int) -> str:
    """`` (P10-P90)`` over Monte Carlo replications of a TTS (``theta``) or the recovery."""
    if s.survive_spread is None:
        return ""
    sp = s.recover_spread if theta is None else s.survive_spread.get(theta)
    if sp is None:
        return ""
    origin = s.cutoff_end_day if theta is None else s.first_cutoff_day
    limit = horizon - (origin or 0)
    return f" ({_days(sp.p10, limit)}-{_days(sp.p90, limit)})"


def _falls(s: Summary) -> bool:
    """Whether the no-cutoff curve falls on its own (worth showing beside day 0)."""
    return s.baseline_min < 0.99 * s.baseline


def _table(
    title: str | None,
    caption: str | None,
    cols: Sequence[Col],
    short: bool,
    compact: bool = False,
) -> Table:
    table = Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAVY,
        pad_edge=False,
        collapse_padding=True,
        title_justify="left",
        caption_justify="left",
    )
    for c in cols:
        table.add_column(
            c.short if short else c.header,
            justify="left" if c.justify == "left" else "right",
            style="bold" if c.bold else None,
            overflow="fold",
        )
    columns = [c.compact if compact and c.compact else c.cells for c in cols]
    for row in zip(*columns, strict=True):
        table.add_row(*row)
    return table


def _fits(console: Console, table: Table) -> bool:
    unbounded = console.options.update(max_width=1_000_000)
    return Measurement.get(console, unbounded, table).maximum <= console.width


def _legend(cols: Sequence[Col]) -> str:
    pairs = [f"{c.short} = {c.header}" for c in cols if c.short != c.header]
    return (" Short headers: " + ", ".join(pairs) + ".") if pairs else ""


def _fit(
    console: Console,
    title: str,
    caption: str,
    name: Col,
    days: Sequence[Col],
    metrics: Sequence[Col],
    days_caption: str,
) -> list[Table]:
    """The widest layout that fits the console: one table, full then short headers; then
    a days table and a metrics table, each with full then short headers."""
    cols = [name, *days, *metrics]
    variants = ((False, False), (False, True), (True, True))
    for short, compact in variants:
        table = _table(title, caption + (_legend(cols) if short else ""), cols, short, compact)
        if _fits(console, table):
            return [table]
    out = []
    for part, part_title, part_caption in (
        ([name, *days], title, days_caption),
        ([name, *metrics], None, caption),
    ):
        if not part[1:]:
            continue
        for short, compact in variants:
            cap = part_caption + (_legend(part) if short else "")
            table = _table(part_title, cap, part, short, compact)
            if _fits(console, table):
                break
        out.append(table)
    return out


def _units(result: Result) -> list[Text]:
    """Per fleet: units held, and ``+ N on order`` when it has units on order."""
    held = result.data["units"].values
    ordered = result.data.get("units_on_order", 0 * result.data["units"]).values
    return [
        Text(f"{h:.0f}" + (f" + {o:.0f}" if o else "")) for h, o in zip(held, ordered, strict=True)
    ]


def result_tables(console: Console, result: Result, *, fleets: bool = False) -> list[Table]:
    """The headline metrics, one row per capability area (or fleet), fitted to
    ``console``'s width."""
    horizon = result.horizon
    summaries = result.fleet_summary if fleets else result.summary
    first = next(iter(summaries.values()))
    bands = result.has_bands and not fleets

    title = result.scenario + (f": {result.title}" if result.title else "")
    if fleets:
        title += " (per fleet)"
    engine = f"horizon {horizon} days, {result.engine} engine"
    if result.has_bands:
        engine += (
            f", {result.settings.get('reps')} replications, seed {result.settings.get('seed')}"
        )
    day_ref = REFERENCE + ("; mean (P10-P90), or the band under the mean" if bands else "")
    start = (
        "day 0: no cutoff starts within the horizon"
        if first.first_cutoff_day is None
        else f"day {first.first_cutoff_day}"
    )
    caption = (
        f"{engine}. Days, min: {day_ref}. baseline: no-cutoff capability on day 0"
        f" (-> its lowest). TTS: days from the first cutoff's start ({start})."
        " days lost: capability-days lost / day-0 baseline. recovery: days after the last"
        " cutoff ends (-: none ends within the horizon)."
    )

    name = Col("fleet" if fleets else "area", "fleet" if fleets else "area", "left", bold=True)
    base = Col("baseline", "base")
    day_cols = {d: Col(f"day {d}", f"d{d}") for d in first.at_day}
    tts_cols = {t: Col(f"TTS {100 * t:.0f}%", f"TTS{100 * t:.0f}") for t in first.time_to_survive}
    lost = Col("days lost", "lost")
    low = Col("min (day)", "min")
    rec = Col("recovery", "rec")
    for area, s in summaries.items():
        name.cells.append(Text(area))
        text = _num(s.baseline)
        if _falls(s):
            text += f" -> {_num(s.baseline_min)}"
        base.cells.append(Text(text, style="yellow" if s.baseline_short_day is not None else ""))
        for d, v in s.at_day.items():
            style = "red" if v < 0.5 else "yellow" if v < 0.75 else ""
            if bands:
                lo, hi = result.band(area, 0.1)[d], result.band(area, 0.9)[d]
                band = f"{_pct(lo)[:-1]}-{_pct(hi)[:-1]}"
                day_cols[d].cells.append(Text(f"{_pct(v)} ({band})", style=style))
                day_cols[d].compact.append(Text(f"{_pct(v)}\n{band}", style=style))
            else:
                day_cols[d].cells.append(Text(_pct(v), style=style))
        for t, days in s.time_to_survive.items():
            tts_cols[t].cells.append(Text(_days(days, horizon) + _spread(s, t, horizon)))
        lost.cells.append(Text(f"{s.days_lost:.1f}"))
        low.cells.append(Text(f"{_pct(s.minimum)} ({s.minimum_day})"))
        rec.cells.append(Text(_recovery(s, horizon) + _spread(s, None, horizon)))
    metrics = [base, *tts_cols.values(), lost, low, rec]
    if fleets:  # units held, and on order (docs/format.md)
        metrics.insert(0, Col("units (+ on order)", "units", cells=_units(result)))
    days_caption = f"{engine}. {day_ref}."
    return _fit(console, title, caption, name, list(day_cols.values()), metrics, days_caption)


def short_flag(name: str, theta: float, day: int) -> str:
    """The line that flags ``name`` running short even without a cutoff: its no-cutoff
    capability falls below ``theta`` of its day-0 value on ``day``."""
    return (
        f"{name} runs short even without a cutoff: its no-cutoff capability falls below "
        f"{100 * theta:.0f}% of day 0 on day {day}"
    )


def short_flags(summaries: dict[str, Summary]) -> list[str]:
    """A line per area (or fleet) whose no-cutoff capability itself falls below the first
    threshold: it runs short even without a cutoff."""
    return [
        short_flag(name, next(iter(s.time_to_survive), 0.75), s.baseline_short_day)
        for name, s in summaries.items()
        if s.baseline_short_day is not None
    ]


def explain_table(console: Console, result: Result) -> list[Table]:
    """Per area: capability-days lost and the share driven by each factor."""
    from tether._result import DRIVER_NAMES

    name = Col("area", "area", "left", bold=True)
    total = Col("capability-days lost", "cap-days")
    shares = {k: Col(k, k[:4]) for k in DRIVER_NAMES}
    for area, s in result.summary.items():
        name.cells.append(Text(area))
        lost = s.capability_days_lost
        total.cells.append(Text(f"{lost:.1f}"))
        drivers = result.drivers.get(area, {})
        for k, col in shares.items():
            share = drivers.get(k, 0.0) / lost if lost > 0 else 0.0
            col.cells.append(Text(_pct(share) if lost > 0 else "-"))
    title = f"What drives the loss in {result.scenario}"
    caption = (
        "capability-days lost (unit-days below the same-day no-cutoff baseline) and the"
        " share of them from each factor: spare parts and repair, software, munitions,"
        " services"
    )
    return _fit(console, title, caption, name, [], [total, *shares.values()], caption)


def print_result(console: Console, result: Result, *, fleets: bool, explain: bool) -> None:
    """The tables of one result, its flags, notes and assumptions."""
    for table in result_tables(console, result):
        console.print(table)
    for line in short_flags(result.summary):
        console.print(f"[yellow]{line}[/]", highlight=False)
    if fleets:
        for table in result_tables(console, result, fleets=True):
            console.print(table)
        for line in short_flags(result.fleet_summary):
            console.print(f"[yellow]{line}[/]", highlight=False)
    if explain:
        for table in explain_table(console, result):
            console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    assumed = sorted({a for v in result.assumptions.values() for a in v})
    if assumed:
        console.print(
            f"[yellow]These results rest on {len(assumed)} assumed parameter(s):[/] "
            + ", ".join(assumed),
            highlight=False,
        )


def exposure_tables(console: Console, ranked: Exposure, top: int) -> list[Table]:
    """The ranked exposure of a force, worst first, fitted to ``console``'s width."""
    span = "for good" if ranked.duration is None else f"for {ranked.duration} days"
    title = (
        f"Exposure of {ranked.force}: one cutoff per {ranked.by} and kind, "
        f"from day {ranked.start_day} {span}"
    )
    force_rule = (
        "its areas weighted by value (unit-equivalents)"
        if ranked.weighting == "value"
        else "the mean of its areas' fractions"
    )
    caption = (
        f"horizon {ranked.horizon} days; min: {REFERENCE}, force = {force_rule}. TTS: days"
        f" from each cutoff's start (day {ranked.start_day}) until below the threshold."
        " days lost: the force's capability-days lost in days of its day-0 no-cutoff"
        " capability. REI = days lost / largest days lost."
    )
    rank = Col("#", "#")
    target = Col(ranked.by, ranked.by[:3] + ".", "left", bold=True)
    kinds = Col("kinds", "kinds", "left")
    first = ranked.rows[0]
    tts_cols = {t: Col(f"TTS {100 * t:.0f}%", f"TTS{100 * t:.0f}") for t in first.time_to_survive}
    lost = Col("days lost", "lost")
    low = Col("min", "min")
    worst = Col("worst area (days lost)", "worst area (days lost)", "left")
    rei = Col("REI", "REI")
    bars = Col("", "", "left")
    for i, r in enumerate(ranked.rows[:top], 1):
        rank.cells.append(Text(str(i)))
        target.cells.append(Text(r.target))
        kinds.cells.append(Text(r.kinds))
        for t, v in r.time_to_survive.items():
            tts_cols[t].cells.append(Text(_days(v, ranked.horizon)))
        lost.cells.append(Text(f"{r.days_lost:.1f}"))
        low.cells.append(Text(_pct(r.minimum)))
        worst.cells.append(Text(f"{r.worst_area} ({r.worst_area_days_lost:.0f})"))
        rei.cells.append(Text(f"{r.risk_exposure_index:.2f}"))
        bars.cells.append(Text("#" * round(10 * r.risk_exposure_index), style="magenta"))
    cols = [rank, target, kinds, *tts_cols.values(), lost, low, worst, rei]
    for short, with_bar in ((False, True), (True, True), (False, False), (True, False)):
        shown = [*cols, bars] if with_bar else cols
        cap = caption + (_legend(shown) if short else "")
        table = _table(title, cap, shown, short)
        if _fits(console, table):
            return [table]
    return [table]
