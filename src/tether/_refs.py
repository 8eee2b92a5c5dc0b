"""Cross-reference checks: every name used is defined, and control chains have no cycle."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Any

from tether._errors import Diagnostic
from tether._model import Document, Force, Scenario, SystemType
from tether._source import SourceMap

__all__ = ["check_references"]


class _Checker:
    def __init__(self, doc: Document, source: SourceMap, broken: dict[str, set[str]]) -> None:
        self.doc = doc
        self.source = source
        self.broken = broken
        self.problems: list[Diagnostic] = []
        self.jurisdictions = {j.name for j in doc.jurisdictions} | broken["jurisdictions"]
        self.suppliers = {s.name for s in doc.suppliers} | broken["suppliers"]
        self.systems = {s.name: s for s in doc.systems}
        self.forces = {f.name: f for f in doc.forces}
        self.names: dict[tuple[str, str], set[str]] = {}

    def report(self, section: str, name: str, path: tuple[str | int, ...], message: str) -> None:
        mark, text = self.source.where(section, name, *path)
        if mark is None:
            self.problems.append(Diagnostic("<unknown>", 0, 0, text, message))
        else:
            self.problems.append(Diagnostic(mark.file, mark.line, mark.column, text, message))

    def need(
        self,
        value: str,
        known: Collection[str],
        what: str,
        at: tuple[str, str, tuple[str | int, ...]],
    ) -> bool:
        if value in known:
            return True
        close = difflib.get_close_matches(value, sorted(known), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        self.report(*at, f"no {what} named '{value}'{hint}")
        return False

    def unique(self, names: list[str], at: tuple[str, str, tuple[str | int, ...]]) -> None:
        seen: set[str] = set()
        for i, n in enumerate(names):
            if n in seen:
                section, entry, path = at
                self.report(section, entry, (*path, i, "name"), f"duplicate name '{n}'")
            seen.add(n)

    # -- sections -------------------------------------------------------------------
    def suppliers_(self) -> None:
        for s in self.doc.suppliers:
            if s.name in self.jurisdictions:
                self.report(
                    "suppliers", s.name, ("name",), "a supplier cannot share a jurisdiction's name"
                )
            self.need(
                s.jurisdiction,
                self.jurisdictions,
                "jurisdiction",
                ("suppliers", s.name, ("jurisdiction",)),
            )
            for i, c in enumerate(s.controlled_by):
                self.need(
                    c.by,
                    self.jurisdictions | self.suppliers,
                    "jurisdiction or supplier",
                    ("suppliers", s.name, ("controlled_by", i, "by")),
                )
        self.control_cycles()

    def control_cycles(self) -> None:
        edges = {
            s.name: [c.by for c in s.controlled_by if c.by in self.suppliers]
            for s in self.doc.suppliers
        }
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(node: str, stack: list[str]) -> None:
            state[node] = 1
            stack.append(node)
            for nxt in edges.get(node, []):
                if state.get(nxt) == 1:
                    cycle = [*stack[stack.index(nxt) :], nxt]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        i = [c.by for c in self.doc.supplier(node).controlled_by].index(nxt)
                        self.report(
                            "suppliers",
                            node,
                            ("controlled_by", i, "by"),
                            "control cycle: " + " -> ".join(cycle),
                        )
                elif nxt not in state:
                    visit(nxt, stack)
            stack.pop()
            state[node] = 2

        for name in edges:
            if name not in state:
                visit(name, [])

    def systems_(self) -> None:
        for st in self.doc.systems:
            at = "systems", st.name
            for field in ("parts", "software", "munitions", "services"):
                self.unique([x.name for x in getattr(st, field)], (*at, (field,)))
            for i, p in enumerate(st.parts):
                for route, attr in (("supplier_repair", "supplier"), ("new_buy", "supplier")):
                    r = getattr(p, route)
                    if r is not None:
                        path: tuple[str | int, ...] = ("parts", i, route, attr)
                        self.need(getattr(r, attr), self.suppliers, "supplier", (*at, path))
            for field in ("software", "munitions", "services"):
                for i, item in enumerate(getattr(st, field)):
                    if item.supplier is not None:
                        path = (field, i, "supplier")
                        self.need(item.supplier, self.suppliers, "supplier", (*at, path))

    def forces_(self) -> None:
        for force in self.doc.forces:
            at = "forces", force.name
            self.need(force.operator, self.jurisdictions, "jurisdiction", (*at, ("operator",)))
            self.unique([a.name for a in force.areas], (*at, ("areas",)))
            self.unique([f.name for f in force.fleets], (*at, ("fleets",)))
            areas = {a.name for a in force.areas}
            for i, fleet in enumerate(force.fleets):
                fp: tuple[str | int, ...] = ("fleets", i)
                self.need(fleet.area, areas, "area in this force", (*at, (*fp, "area")))
                if fleet.system not in self.systems:
                    if fleet.system not in self.broken["systems"]:
                        self.need(fleet.system, self.systems, "system", (*at, (*fp, "system")))
                    continue
                self.fleet(force, i, self.systems[fleet.system])

    def item_names(self, system: str, field: str, defined: list[Any]) -> set[str]:
        """The names of a system's parts (or munitions, ...), once per system."""
        found = self.names.get((system, field))
        if found is None:
            found = self.names[system, field] = {d.name for d in defined}
        return found

    def fleet(self, force: Force, i: int, st: SystemType) -> None:
        fleet = force.fleets[i]
        at = "forces", force.name
        fp: tuple[str | int, ...] = ("fleets", i)
        holdings: list[tuple[str, dict[str, Any], list[Any]]] = [
            ("spares", fleet.spares, st.parts),
            ("munitions", fleet.munitions, st.munitions),
            ("software", fleet.software, st.software),
            ("services", fleet.services, st.services),
        ]
        for field, held, defined in holdings:
            if not held:
                continue
            names = self.item_names(st.name, field, defined)
            for key in held:
                if key not in names:
                    what = f"{field[:-1] if field != 'software' else 'software item'} of {st.name}"
                    self.need(key, names, what, (*at, (*fp, field, key)))
        munitions = {m.name: m for m in st.munitions}
        for key, holding in fleet.munitions.items():
            for j, r in enumerate(holding.resupply):
                path = (*fp, "munitions", key, "resupply", j)
                supplier = r.supplier or (munitions[key].supplier if key in munitions else None)
                if supplier is None and key in munitions:
                    self.report(
                        *at,
                        (*path, "supplier"),
                        f"munition '{key}' has no default supplier: name one here",
                    )
                elif r.supplier is not None:
                    self.need(r.supplier, self.suppliers, "supplier", (*at, (*path, "supplier")))
        for key, service in fleet.services.items():
            if service.alternative is not None:
                path = (*fp, "services", key, "alternative", "supplier")
                self.need(service.alternative.supplier, self.suppliers, "supplier", (*at, path))

    def scenarios_(self) -> None:
        for sc in self.doc.scenarios:
            at = "scenarios", sc.name
            for i, c in enumerate(sc.cutoffs):
                if c.jurisdiction is not None:
                    path: tuple[str | int, ...] = ("cutoffs", i, "jurisdiction")
                    self.need(c.jurisdiction, self.jurisdictions, "jurisdiction", (*at, path))
                else:
                    path = ("cutoffs", i, "supplier")
                    self.need(str(c.supplier), self.suppliers, "supplier", (*at, path))
            force = self.forces.get(sc.force)
            if force is None:
                if sc.force not in self.broken["forces"]:
                    self.need(sc.force, self.forces, "force", (*at, ("force",)))
                continue
            self.levels(sc, force)

    def levels(self, sc: Scenario, force: Force) -> None:
        levels = sc.levels()
        for i, fleet in enumerate(force.fleets):
            rates: list[tuple[tuple[str | int, ...], Any]] = [
                (("fleets", i, "hours_per_day"), fleet.hours_per_day)
            ]
            st = self.systems.get(fleet.system)
            for m in st.munitions if st else []:
                rates.append((("munitions", m.name, "use_per_unit_day"), m.use_per_unit_day))
            for path, value in rates:
                if not isinstance(value, dict):
                    continue
                missing = [lv for lv in levels if lv not in value]
                if missing:
                    section, name = ("forces", force.name)
                    if path[0] == "munitions":
                        section, name = "systems", fleet.system
                        j = [m.name for m in st.munitions].index(str(path[1])) if st else 0
                        path = ("munitions", j, "use_per_unit_day")
                    self.report(
                        section,
                        name,
                        path,
                        f"no value for tempo level(s) {', '.join(missing)} "
                        f"used by scenario '{sc.name}'",
                    )


def check_references(
    doc: Document, source: SourceMap, broken: dict[str, set[str]]
) -> list[Diagnostic]:
    """Every dangling name and control cycle in ``doc``, each located in its file."""
    checker = _Checker(doc, source, broken)
    checker.suppliers_()
    checker.systems_()
    checker.forces_()
    checker.scenarios_()
    return checker.problems
