"""Checks of what a scenario derives from several fields at once, before any plan is built.

Each field is bounded on its own (``docs/format.md``); their products can still exceed what
any real fleet reaches. Plain Python (no numpy), so ``tether validate`` runs them at no
start-up cost; :mod:`tether._plan` runs them again before compiling.
"""

from __future__ import annotations

import math

from tether._errors import Diagnostic
from tether._model import Document, Fleet, Force, Part, Scenario
from tether._plan_orders import order_problems

__all__ = ["MAX_ITEMS_OUT", "derived_problems", "levels_by_day", "located"]

#: Most items of one part of one fleet that may be out of service over a run: those in
#: the pipeline on day 0 plus every failure of the horizon. Far beyond any real fleet;
#: keeps the Monte Carlo engine's 32-bit counts exact.
MAX_ITEMS_OUT = 1e9

#: Most derived-quantity problems listed at once.
_MAX_LISTED = 20


def levels_by_day(scenario: Scenario, horizon: int) -> list[str]:
    if not scenario.tempo:
        return ["default"] * (horizon + 1)
    out: list[str] = []
    phases = scenario.tempo
    for i, phase in enumerate(phases):
        end = phases[i + 1].start_day if i + 1 < len(phases) else horizon + 1
        out.extend([phase.level] * max(0, min(end, horizon + 1) - phase.start_day))
    return out[: horizon + 1]


def located(
    doc: Document, section: str, name: str, *path: str | int
) -> tuple[tuple[str, int, int], str]:
    """File, line and column of a field, and its field path (unknown position: 0, 0)."""
    text = ".".join([f"{section}[{name}]", *(str(p) for p in path)])
    if doc._source is None:
        return (doc.file, 0, 0), text
    mark, text = doc._source.where(section, name, *path)
    if mark is None:
        return (doc.file, 0, 0), text
    return (mark.file, mark.line, mark.column), text


def _level_days(scenario: Scenario) -> dict[str, int]:
    """Days ``0..horizon`` spent at each tempo level."""
    days: dict[str, int] = {}
    for level in levels_by_day(scenario, scenario.horizon_days):
        days[level] = days.get(level, 0) + 1
    return days


def _fleet_hours(fleet: Fleet, scenario: Scenario, days: dict[str, int]) -> tuple[float, float]:
    """A fleet's operating hours per unit on day 0, and summed over the horizon."""
    value = fleet.hours_per_day
    if not isinstance(value, dict):
        return float(value), float(value) * sum(days.values())
    first = scenario.levels()[0]
    return float(value[first]), sum(float(value[lv]) * n for lv, n in days.items())


def derived_problems(doc: Document, force: Force, scenario: Scenario) -> list[Diagnostic]:
    """Problems with the quantities a plan derives from several fields at once.

    Each field is bounded on its own (docs/format.md); their product can still exceed
    what any real fleet reaches. For every part of every fleet the failures a day are
    ``units * quantity * hours_per_day * failure_rate``; the items out of service over the
    run (the day-0 pipeline, failures times mean turnaround, plus every failure of the
    horizon) must stay within :data:`MAX_ITEMS_OUT`, and munitions use
    (``units * use_per_unit_day``) must be finite. Each problem is located at the fleet.
    """
    days = _level_days(scenario)
    systems = {s.name: s for s in doc.systems}
    problems: list[Diagnostic] = []
    for fi, fleet in enumerate(force.fleets):
        st = systems[fleet.system]
        h0, h_sum = _fleet_hours(fleet, scenario, days)
        for part in st.parts:
            per_hour = fleet.peak_units * part.quantity * part.failure_rate
            turnaround = sum(
                share * time
                for share, time in zip(part.route_shares(), _route_times(part), strict=True)
            )
            items = per_hour * (h0 * turnaround + h_sum)
            if math.isfinite(items) and items <= MAX_ITEMS_OUT:
                continue
            where, text = located(doc, "forces", force.name, "fleets", fi, "units")
            problems.append(
                Diagnostic(
                    *where,
                    text,
                    f"part '{part.name}' of system '{st.name}': units x quantity x "
                    f"hours_per_day x failure_rate = {fleet.peak_units} x {part.quantity} x "
                    f"{h0:g} x {part.failure_rate:g} = {per_hour * h0:.3g} failures a day, "
                    f"about {items:.3g} items out of service over the run; more than "
                    f"{MAX_ITEMS_OUT:.0e}, beyond any real fleet (failure_rate is per "
                    "operating hour, per installed item)",
                )
            )
        for m in st.munitions:
            use = m.use_per_unit_day
            peak = max(use.values(), default=0.0) if isinstance(use, dict) else use
            if math.isfinite(fleet.peak_units * float(peak)):
                continue
            where, text = located(doc, "forces", force.name, "fleets", fi, "units")
            problems.append(
                Diagnostic(
                    *where,
                    text,
                    f"munition '{m.name}': units x use_per_unit_day is not a finite number",
                )
            )
    problems += order_problems(doc, force, scenario)
    if len(problems) > _MAX_LISTED:
        more = len(problems) - _MAX_LISTED
        last = Diagnostic(doc.file, 0, 0, f"forces[{force.name}]", f"and {more} more like these")
        problems = [*problems[:_MAX_LISTED], last]
    return problems


def _route_times(part: Part) -> tuple[float, float, float]:
    """Days of (new buy, domestic repair, supplier repair), 0 where absent."""
    return (
        part.new_buy.lead_time_days if part.new_buy else 0.0,
        part.domestic_repair.turnaround_days if part.domestic_repair else 0.0,
        part.supplier_repair.turnaround_days if part.supplier_repair else 0.0,
    )
