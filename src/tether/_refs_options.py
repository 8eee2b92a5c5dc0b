"""Reference checks of one mitigation option against its force (see :mod:`tether._refs`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether._model import PATCHABLE, DeliveryChange, Fleet, Force, Option, SystemType

if TYPE_CHECKING:
    from tether._refs import _Checker

__all__ = ["OptionChecker"]

Path = tuple[str | int, ...]


class OptionChecker:
    """Checks every name an option uses, within its force and the options it requires."""

    def __init__(self, checker: _Checker, opt: Option, force: Force, closure: list[Option]):
        self.c = checker
        self.opt = opt
        self.force = force
        self.fleets: dict[str, Fleet] = {f.name: f for f in force.fleets}
        self.areas = {a.name for a in force.areas}
        # fleets this option or one it requires adds, with their system
        self.new: dict[str, str | None] = {}
        for o in closure:
            for d in o.deliveries:
                if d.fleet not in self.fleets:
                    self.new.setdefault(d.fleet, d.system)
        self.rights = {(r.fleet, r.part) for o in closure for r in o.data_rights}
        # a misspelt data-rights fleet is reported once, not again at every depot
        self.unsure = any(f not in self.fleets and f not in self.new for f, _ in self.rights)

    def need(self, value: str, known: Any, what: str, path: Path) -> bool:
        return self.c.need(value, known, what, ("options", self.opt.name, path))

    def report(self, path: Path, message: str) -> None:
        self.c.report("options", self.opt.name, path, message)

    def system_of(self, fleet: str, path: Path) -> SystemType | None:
        """The system of a fleet of the force (or one an option delivers), checked."""
        if fleet in self.fleets:
            name: str | None = self.fleets[fleet].system
        elif fleet in self.new:
            name = self.new[fleet]
        else:
            self.need(fleet, [*self.fleets, *self.new], f"fleet in force '{self.force.name}'", path)
            return None
        return self.c.systems.get(name) if name is not None else None

    def item(self, st: SystemType, field: str, key: str, path: Path) -> Any:
        defined = {x.name: x for x in getattr(st, field)}
        if key in defined:
            return defined[key]
        what = f"{field[:-1] if field != 'software' else 'software item'} of {st.name}"
        self.need(key, defined, what, path)
        return None

    def run(self) -> None:
        o = self.opt
        for i, dr in enumerate(o.data_rights):
            st = self.system_of(dr.fleet, ("data_rights", i, "fleet"))
            if st is not None:
                self.item(st, "parts", dr.part, ("data_rights", i, "part"))
        for i, s in enumerate(o.spares):
            st = self.system_of(s.fleet, ("spares", i, "fleet"))
            if st is not None:
                self.item(st, "parts", s.part, ("spares", i, "part"))
        for i, dp in enumerate(o.depots):
            self.depot(i, dp.fleet, dp.part)
        for i, m in enumerate(o.stockpiles):
            st = self.system_of(m.fleet, ("stockpiles", i, "fleet"))
            if st is not None:
                self.item(st, "munitions", m.munition, ("stockpiles", i, "munition"))
        for i, r in enumerate(o.resupply):
            self.resupply(i, r.fleet, r.munition, r.supplier)
        for i, v in enumerate(o.services):
            st = self.system_of(v.fleet, ("services", i, "fleet"))
            if st is not None and self.item(st, "services", v.service, ("services", i, "service")):
                held = (
                    self.fleets[v.fleet].services.get(v.service) if v.fleet in self.fleets else None
                )
                if held is not None and held.alternative is not None:
                    self.report(
                        ("services", i, "service"),
                        "the fleet already has an alternative provider for this service; "
                        "an option can add one, not change it",
                    )
            self.need(v.supplier, self.c.suppliers, "supplier", ("services", i, "supplier"))
        for i, d in enumerate(o.deliveries):
            self.delivery(i, d)
        if o.patch is not None:
            for i, pf in enumerate(o.patch.fleets):
                self.patch(i, pf)

    def depot(self, i: int, fleet: str, part: str) -> None:
        st = self.system_of(fleet, ("depots", i, "fleet"))
        p = self.item(st, "parts", part, ("depots", i, "part")) if st is not None else None
        if p is None or p.data_rights or (fleet, part) in self.rights or self.unsure:
            return
        self.report(
            ("depots", i, "part"),
            f"a domestic depot for '{part}' needs its technical data: data_rights: true on "
            f"the part, or an option in requires: with data_rights for fleet '{fleet}' "
            f"part '{part}'",
        )

    def resupply(self, i: int, fleet: str, munition: str, supplier: str | None) -> None:
        st = self.system_of(fleet, ("resupply", i, "fleet"))
        m = self.item(st, "munitions", munition, ("resupply", i, "munition")) if st else None
        if supplier is not None:
            self.need(supplier, self.c.suppliers, "supplier", ("resupply", i, "supplier"))
        elif m is not None and m.supplier is None:
            self.report(
                ("resupply", i, "supplier"),
                f"munition '{munition}' has no default supplier: name one here",
            )

    def delivery(self, i: int, d: DeliveryChange) -> None:
        path: Path = ("deliveries", i)
        if d.replaces is not None:
            if d.replaces == d.fleet:
                self.report((*path, "replaces"), "a fleet cannot replace itself")
            else:
                self.need(d.replaces, self.fleets, "fleet in this force", (*path, "replaces"))
        existing = self.fleets.get(d.fleet)
        if existing is not None:
            for key in ("system", "area", "hours_per_day", "weight"):
                value = getattr(d, key)
                if value is not None and value != getattr(existing, key):
                    self.report(
                        (*path, key),
                        f"fleet '{d.fleet}' exists: units are added to it as it is "
                        f"({key} cannot differ; name a new fleet for other units)",
                    )
            st = self.c.systems.get(existing.system)
        else:
            for key in ("system", "area", "hours_per_day"):
                if getattr(d, key) is None:
                    self.report(
                        (*path, "fleet"),
                        f"'{d.fleet}' is not a fleet of force '{self.force.name}': a new "
                        f"fleet needs {key}",
                    )
                    return
            assert d.system is not None
            assert d.area is not None
            self.need(d.area, self.areas, "area in this force", (*path, "area"))
            st = None
            if d.system in self.c.systems:
                st = self.c.systems[d.system]
            elif d.system not in self.c.broken["systems"]:
                self.need(d.system, self.c.systems, "system", (*path, "system"))
        if st is None:
            return
        for field, held in (
            ("spares", d.spares),
            ("munitions", d.munitions),
            ("software", d.software),
            ("services", d.services),
        ):
            kind = "parts" if field == "spares" else field
            for key in held:
                self.item(st, kind, key, (*path, field, key))
        for key, h in d.munitions.items():
            for j, r in enumerate(h.resupply):
                if r.supplier is not None:
                    p = (*path, "munitions", key, "resupply", j, "supplier")
                    self.need(r.supplier, self.c.suppliers, "supplier", p)
        for key, s in d.services.items():
            if s.alternative is not None:
                p = (*path, "services", key, "alternative", "supplier")
                self.need(s.alternative.supplier, self.c.suppliers, "supplier", p)

    def patch(self, i: int, pf: Any) -> None:
        path: Path = ("patch", "fleets", i)
        for key in pf.model_extra or {}:
            if key in Fleet.model_fields:
                why = f"'{key}' cannot change mid-run"
            else:
                why = f"unknown field '{key}'"
            self.report(
                (*path, key), f"{why}; a patch can change: {', '.join(PATCHABLE)} (of a fleet)"
            )
        fleet = self.fleets.get(pf.name)
        if fleet is None:
            self.need(pf.name, self.fleets, f"fleet in force '{self.force.name}'", (*path, "name"))
            return
        st = self.c.systems.get(fleet.system)
        if st is None:
            return
        for key, n in pf.spares.items():
            if self.item(st, "parts", key, (*path, "spares", key)) is None:
                continue
            if n < fleet.spares.get(key, 0):
                self.report(
                    (*path, "spares", key),
                    f"spares can only grow mid-run ({fleet.spares.get(key, 0)} held, {n} given)",
                )
        for key, m in pf.munitions.items():
            if self.item(st, "munitions", key, (*path, "munitions", key)) is None:
                continue
            held = fleet.munitions.get(key)
            stock = held.stock if held else 0.0
            if m.stock is not None and m.stock < stock:
                self.report(
                    (*path, "munitions", key, "stock"),
                    f"a stock can only grow mid-run ({stock:g} held, {m.stock:g} given)",
                )
            for j, r in enumerate(m.resupply or []):
                if r.supplier is not None:
                    p = (*path, "munitions", key, "resupply", j, "supplier")
                    self.need(r.supplier, self.c.suppliers, "supplier", p)
        for key, s in pf.services.items():
            if self.item(st, "services", key, (*path, "services", key)) is None:
                continue
            service = fleet.services.get(key)
            if service is not None and service.alternative is not None:
                self.report(
                    (*path, "services", key),
                    "the fleet already has an alternative provider for this service; "
                    "a patch can add one, not change it",
                )
            if s.alternative is not None:
                p = (*path, "services", key, "alternative", "supplier")
                self.need(s.alternative.supplier, self.c.suppliers, "supplier", p)
