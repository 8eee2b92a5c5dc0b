"""Cross-reference checks: every name used is defined; control chains and option
prerequisites have no cycle."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Any

from tether._checks_industry import check_networks
from tether._errors import Diagnostic
from tether._model import Document, Force, Option, Scenario, SystemType
from tether._refs_options import OptionChecker
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
            self.problems.append(mark.diagnostic(text, message))

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
            for i, name in enumerate(sc.members):
                force = self.forces.get(name)
                if force is None:
                    if name not in self.broken["forces"]:
                        where = ("force",) if sc.forces is None else ("forces", i)
                        self.need(name, self.forces, "force", (*at, where))
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

    # -- options and decisions ------------------------------------------------------
    def options_(self) -> None:
        options = {o.name: o for o in self.doc.options}
        known = set(options) | self.broken["options"]
        for opt in self.doc.options:
            at = "options", opt.name
            for field in ("requires", "excludes"):
                for i, other in enumerate(getattr(opt, field)):
                    self.need(other, known, "option", (*at, (field, i)))
            force = self.forces.get(opt.force)
            if force is None:
                if opt.force not in self.broken["forces"]:
                    self.need(opt.force, self.forces, "force", (*at, ("force",)))
                continue
            closure = self._closure(opt, options)
            checker = OptionChecker(self, opt, force, closure)
            # a misspelt prerequisite is reported once, not again at what it would grant
            checker.unsure |= any(r not in options for o in closure for r in o.requires)
            checker.run()
        self.requires_cycles(options)

    def _closure(self, opt: Option, options: dict[str, Option]) -> list[Option]:
        """The option and every option it requires, transitively."""
        seen: dict[str, Option] = {opt.name: opt}
        todo = [opt]
        while todo:
            for name in todo.pop().requires:
                if name in options and name not in seen:
                    seen[name] = options[name]
                    todo.append(options[name])
        return list(seen.values())

    def requires_cycles(self, options: dict[str, Option]) -> None:
        state: dict[str, int] = {}

        def visit(node: str, stack: list[str]) -> None:
            state[node] = 1
            stack.append(node)
            for i, nxt in enumerate(options[node].requires):
                if nxt not in options:
                    continue
                if state.get(nxt) == 1:
                    cycle = " -> ".join([*stack[stack.index(nxt) :], nxt])
                    self.report("options", node, ("requires", i), f"requires cycle: {cycle}")
                elif nxt not in state:
                    visit(nxt, stack)
            stack.pop()
            state[node] = 2

        for name in options:
            if name not in state:
                visit(name, [])

    def diverts(self) -> None:
        """``divert_when_cut`` needs a domestic route: the part's own, or an option's depot."""
        depots = {
            (force.name, d.fleet, d.part)
            for o in self.doc.options
            if (force := self.forces.get(o.force)) is not None
            for d in o.depots
        }
        by_system: dict[str, list[tuple[str, str]]] = {}
        for force in self.doc.forces:
            for fleet in force.fleets:
                by_system.setdefault(fleet.system, []).append((force.name, fleet.name))
        for st in self.doc.systems:
            for i, p in enumerate(st.parts):
                if not p.divert_when_cut or (p.data_rights and p.domestic_repair is not None):
                    continue
                if any((f, fl, p.name) in depots for f, fl in by_system.get(st.name, [])):
                    continue
                self.report(
                    "systems",
                    st.name,
                    ("parts", i, "divert_when_cut"),
                    "divert_when_cut needs a domestic route for the part: domestic_repair "
                    "with data_rights: true, or an option with a depot for it",
                )

    def decisions_(self) -> None:
        options = {o.name: o for o in self.doc.options}
        scenarios = {s.name: s for s in self.doc.scenarios}
        for d in self.doc.decisions:
            at = "decisions", d.name
            force = self.forces.get(d.force)
            if force is None and d.force not in self.broken["forces"]:
                self.need(d.force, self.forces, "force", (*at, ("force",)))
            for key in d.scenarios:
                sc = scenarios.get(key)
                if sc is None:
                    if key not in self.broken["scenarios"]:
                        self.need(key, scenarios, "scenario", (*at, ("scenarios", key)))
                elif sc.force != d.force:
                    self.report(
                        *at,
                        ("scenarios", key),
                        f"scenario '{key}' plays force '{sc.force}', not '{d.force}'",
                    )
            for i, name in enumerate(d.options):
                opt = options.get(name)
                if opt is None:
                    if name not in self.broken["options"]:
                        self.need(name, options, "option", (*at, ("options", i)))
                elif opt.force != d.force:
                    self.report(*at, ("options", i), f"option '{name}' is for force '{opt.force}'")
            if force is None:
                continue
            areas = {a.name for a in force.areas}
            if d.area is not None:
                self.need(d.area, areas, "area in this force", (*at, ("area",)))
            for key in d.minimum:
                self.need(key, areas, "area in this force", (*at, ("minimum", key)))


def check_references(
    doc: Document, source: SourceMap, broken: dict[str, set[str]]
) -> list[Diagnostic]:
    """Every dangling name and control cycle in ``doc``, each located in its file."""
    checker = _Checker(doc, source, broken)
    checker.suppliers_()
    checker.systems_()
    checker.forces_()
    checker.scenarios_()
    checker.options_()
    checker.diverts()
    checker.decisions_()
    return checker.problems + check_networks(doc, source, broken)
