"""Units on order: fleets' deliveries compiled to the plan's unit steps, and their checks.

A fleet's ``units`` are the units it holds; ``on_order`` lists deliveries, each on a day
of the scenario or on a calendar date counted from the scenario's ``start_date``
(docs/format.md, "Units held and on order"). :func:`order_steps` turns them into unit
steps ``(fleet, day, units)`` that :func:`tether._plan.compile_plan` lays into
``un_fleet``, ``un_day`` and ``un_add``, so capability rises as they arrive under both
engines; a delivery after the horizon changes nothing. They join the unit steps of
mitigation options (:func:`tether._plan_options.collect`), so an option that replaces a
fleet may withdraw units delivered to it. :func:`order_problems` locates a
date before the scenario's start (``tether validate`` and every compile run it);
:func:`holding_problems` is ``tether catalogue check``'s test that a fleet does not count
ordered units as held (``units`` + on order must equal ``contracted``).

Plain Python (no numpy), so ``tether validate`` runs the checks at no start-up cost.
"""

from __future__ import annotations

from collections.abc import Sequence

from tether._errors import Diagnostic
from tether._model import Document, Force, Scenario
from tether._model.entries import Delivery, Fleet

__all__ = [
    "delivery_day",
    "holding_problems",
    "order_problems",
    "order_steps",
    "units_on_order",
]


def delivery_day(delivery: Delivery, scenario: Scenario) -> int:
    """The scenario day a delivery arrives: its ``day``, or its ``date`` less the
    scenario's ``start_date`` (negative for a date before it)."""
    if delivery.date is None:
        return int(delivery.day or 0)
    return (delivery.date - scenario.start_date).days


def order_steps(
    fleets: Sequence[Fleet], scenario: Scenario, horizon: int
) -> list[tuple[str, int, int]]:
    """Unit steps ``(fleet, day, units added)`` of the fleets' deliveries on order that
    arrive within ``horizon`` (days ``0..horizon``), in fleet then listed order.

    >>> from tether._model import Scenario
    >>> fleet = Fleet.model_validate({"name": "f", "system": "s", "area": "a", "units": 2,
    ...     "hours_per_day": 1, "on_order": [{"units": 3, "day": 10},
    ...     {"units": 4, "date": "2026-03-02"}, {"units": 5, "day": 400}]})
    >>> s = Scenario(name="s", force="x", horizon_days=365)
    >>> order_steps([fleet], s, 365)
    [('f', 10, 3), ('f', 60, 4)]
    """
    steps: list[tuple[str, int, int]] = []
    for fleet in fleets:
        for d in fleet.on_order:
            day = delivery_day(d, scenario)
            if 0 <= day <= horizon:
                steps.append((fleet.name, day, d.units))
    return steps


def units_on_order(doc: Document, scenario: Scenario, names: Sequence[str]) -> list[int]:
    """Units on order of each fleet named in the scenario's force (0 for a name it has
    no fleet of, such as a fleet an option delivers), arriving within the horizon or not."""
    by_name = {f.name: f.units_on_order for f in doc.force(scenario.force).fleets}
    return [by_name.get(n, 0) for n in names]


def _where(doc: Document, force: Force, *path: str | int) -> tuple[tuple[str, int, int], str]:
    from tether._checks import located

    return located(doc, "forces", force.name, *path)


def order_problems(doc: Document, force: Force, scenario: Scenario) -> list[Diagnostic]:
    """Deliveries dated before the scenario's ``start_date``, located at their date."""
    problems: list[Diagnostic] = []
    for fi, fleet in enumerate(force.fleets):
        for j, d in enumerate(fleet.on_order):
            if d.date is None or d.date >= scenario.start_date:
                continue
            where, text = _where(doc, force, "fleets", fi, "on_order", j, "date")
            problems.append(
                Diagnostic(
                    *where,
                    text,
                    f"fleet '{fleet.name}': a delivery dated {d.date.isoformat()} is before "
                    f"scenario '{scenario.name}' starts ({scenario.start_date.isoformat()}, "
                    "its start_date): units already delivered are held (count them in "
                    "'units'), or set the scenario's start_date",
                )
            )
    return problems


def holding_problems(doc: Document) -> list[Diagnostic]:
    """Fleets that record ``contracted`` units and count ordered units as held: ``units``
    plus the units on order must equal ``contracted``. Located at the fleet's ``units``."""
    problems: list[Diagnostic] = []
    for force in doc.forces:
        for fi, fleet in enumerate(force.fleets):
            if fleet.contracted is None or fleet.peak_units == fleet.contracted:
                continue
            where, text = _where(doc, force, "fleets", fi, "units")
            held, ordered, total = fleet.units, fleet.units_on_order, fleet.contracted
            if held > total:
                why = f"holds {held} units, more than the {total} contracted"
            else:
                why = (
                    f"holds {held} units and has {ordered} on order, "
                    f"{held + ordered} in all, but {total} are contracted"
                )
            hint = (
                ": are ordered units counted as held? 'units' counts only units delivered; "
                "list the others under 'on_order'"
                if held + ordered > total
                else ": list the undelivered units under 'on_order'"
            )
            problems.append(Diagnostic(*where, text, f"fleet '{fleet.name}' {why}{hint}"))
    return problems
