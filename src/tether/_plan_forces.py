"""Several forces in one run: the checks a plan of a scenario's ``forces:`` runs, and the
suppliers that options' production-line resupplies bring in.

A scenario with ``forces: [a, b]`` plays their combined force ``a+b``
(:func:`tether._model.scenario.combined_force`: fleets ``a/fleet``, areas ``a/area``, each
fleet's line resupplies drawing on its own force's operator as buyer), so every engine,
view and output sees one force. :func:`plan_problems` runs the checks of
:func:`tether._plan.compile_plan` on each member force, so a problem is located in the
member's own entry, then the checks that only the coalition can fail (two forces drawing
on one buyer's allocation, their shares summing above 1), located at the scenario's
``forces``. The line allocation itself needs nothing more: each product's rule is applied
once to the network's demand entries, whose buyers are the forces' operators, so forces
competing for a line take their allocations of one computation
(:func:`tether._analysis.industry.line_output`).
"""

from __future__ import annotations

from tether._analysis.industry_resupply import check_line_resupply, line_suppliers
from tether._checks import derived_problems, located
from tether._errors import Diagnostic
from tether._model import Document, Force, Scenario
from tether._model.scenario import COALITION_JOIN
from tether._plan_options import Changes

__all__ = ["members_of", "option_suppliers", "plan_problems"]


def members_of(doc: Document, force: Force) -> list[Force]:
    """The member forces of a combined force (a force is its own only member)."""
    if COALITION_JOIN not in force.name:
        return [force]
    return [doc.force(n) for n in force.name.split(COALITION_JOIN)]


def plan_problems(doc: Document, force: Force, scenario: Scenario) -> list[Diagnostic]:
    """Derived-quantity and line-resupply problems of ``force`` under ``scenario``, each
    located: in the member force's entry, or at the scenario's ``forces`` for a problem
    only the combination has."""
    members = members_of(doc, force)
    if len(members) == 1:
        return derived_problems(doc, force, scenario) + check_line_resupply(doc, force)
    problems: list[Diagnostic] = []
    for m in members:
        problems += derived_problems(doc, m, scenario) + check_line_resupply(doc, m)
    if problems:
        return problems
    where, text = located(doc, "scenarios", scenario.name, "forces")
    names = ", ".join(scenario.members)
    return [
        Diagnostic(*where, text, f"forces {names}: {p.message}")
        for p in check_line_resupply(doc, force)
    ]


def option_suppliers(doc: Document, changes: Changes) -> set[str]:
    """Suppliers the options' changes name: resupply contracts and alternative providers
    (:meth:`Changes.suppliers`), and every supplier upstream of a production line that a
    patched resupply draws on, so a cutoff of one of those reaches the plan."""
    used = changes.suppliers()
    for _, _, r, _ in changes.line_resupply:
        if r.product is not None:
            used.update(line_suppliers(doc, r.network, r.product))
    return used
