"""Fixed resupply rates against the lines' ramp (``tether catalogue check``).

A fleet's fixed-rate resupply (``per_day``) of a munition an ``industry:`` network makes
must stay within what the network's lines make, every day it is used: a force's fixed
rates of one product, summed over its fleets, from day 0; an option's contracted rate
(``resupply``) or patched resupply list on top of them from the option's lead time (its
mean, for a random one). The days of use end with the longest horizon of the scenarios
playing the force (none: every day of the ramp). A line's output on a day is the
capacity on its ramp that day, summed over the sites making the product, before any
allocation among buyers. Plain Python: no numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

from tether._checks import located
from tether._errors import Diagnostic
from tether._model import Document, Force, Option
from tether._model.industry import IndustryNetwork

__all__ = ["PRODUCT_NAMES", "lowest_output", "product_of", "rate_problems"]

#: Munition names of the catalogue whose production-line product has another name.
PRODUCT_NAMES: dict[str, str] = {"shell-155": "shell-155mm"}

Path = tuple[str | int, ...]


def product_of(net: IndustryNetwork, munition: str) -> str | None:
    """The network's product for a munition name (by name, or :data:`PRODUCT_NAMES`)."""
    names = {p.name for p in net.products}
    name = PRODUCT_NAMES.get(munition, munition)
    return name if name in names else None


def lowest_output(
    net: IndustryNetwork, product: str, start: int, end: int | None
) -> tuple[float, int]:
    """The least a day the lines of ``net`` make of ``product`` on days ``start..end-1``
    (``end`` None: every later day), by their ramps, and the first day it happens."""
    days = {start}
    for site in net.sites:
        line = site.makes.get(product)
        if line is not None:
            days.update(s.day for s in line.ramp if start < s.day and (end is None or s.day < end))
    per = float(net.period_days)

    def output(day: int) -> float:
        return sum(
            site.makes[product].capacity_on(day) / per
            for site in net.sites
            if product in site.makes
        )

    return min((output(d), d) for d in sorted(days))


@dataclass(frozen=True)
class _Rate:
    fleet: str
    munition: str
    per_day: float
    at: Path


def _horizon_end(doc: Document, force: Force) -> int | None:
    """One past the last day any scenario playing ``force`` runs; None when none does."""
    ends = [s.horizon_days + 1 for s in doc.scenarios if force.name in s.members]
    return max(ends) if ends else None


def _fixed_rates(net: IndustryNetwork, force: Force) -> dict[str, list[_Rate]]:
    rates: dict[str, list[_Rate]] = {}
    for fi, fleet in enumerate(force.fleets):
        for mname, holding in fleet.munitions.items():
            product = product_of(net, mname)
            for j, r in enumerate(holding.resupply):
                if product is not None and r.per_day is not None:
                    at = ("fleets", fi, "munitions", mname, "resupply", j, "per_day")
                    rates.setdefault(product, []).append(_Rate(fleet.name, mname, r.per_day, at))
    return rates


def _option_rates(
    net: IndustryNetwork, force: Force, opt: Option, base: dict[str, list[_Rate]]
) -> list[tuple[str, float, Path]]:
    """(product, the force's fixed rate of it with the option, where) for each change the
    option makes to a fixed rate of a product of ``net``."""
    fleets = {f.name for f in force.fleets}
    out: list[tuple[str, float, Path]] = []
    for i, r in enumerate(opt.resupply):
        product = product_of(net, r.munition)
        if product is not None and r.fleet in fleets:
            total = sum(x.per_day for x in base.get(product, [])) + r.per_day
            out.append((product, total, ("resupply", i, "per_day")))
    if opt.patch is not None:
        for k, pf in enumerate(opt.patch.fleets):
            for mname, pm in pf.munitions.items():
                product = product_of(net, mname)
                if product is None or pm.resupply is None or pf.name not in fleets:
                    continue
                kept = [
                    x.per_day
                    for x in base.get(product, [])
                    if (x.fleet, x.munition) != (pf.name, mname)
                ]
                new = sum(r.per_day or 0.0 for r in pm.resupply)
                at = ("patch", "fleets", k, "munitions", mname, "resupply")
                out.append((product, sum(kept) + new, at))
    return out


def _tie(product: str, net: IndustryNetwork) -> str:
    return f"tie it to the line (product: {product}, network: {net.name}) or lower it"


def rate_problems(doc: Document) -> list[Diagnostic]:
    """Fixed-rate resupplies above the output of the lines making the munition on any day
    of their use (see the module's text), each located at the first rate concerned."""
    problems: list[Diagnostic] = []
    for net in list(getattr(doc, "industry", [])):
        for force in doc.forces:
            end = _horizon_end(doc, force)
            base = _fixed_rates(net, force)
            for product, got in base.items():
                rate = sum(g.per_day for g in got)
                cap, day = lowest_output(net, product, 0, end)
                if rate > cap + 1e-9:
                    where, text = located(doc, "forces", force.name, *got[0].at)
                    problems.append(
                        Diagnostic(
                            *where,
                            text,
                            f"{force.name} gets {rate:g} {product} a day at fixed rates, above "
                            f"the {cap:.3g} a day the lines of '{net.name}' make on day "
                            f"{day}{' (their ramp)' if day else ''}: {_tie(product, net)}",
                        )
                    )
            for opt in doc.options:
                if opt.force != force.name:
                    continue
                start = round(opt.lead_mean())
                if end is not None and start >= end:
                    continue
                for product, rate, at in _option_rates(net, force, opt, base):
                    cap, day = lowest_output(net, product, start, end)
                    if rate > cap + 1e-9:
                        where, text = located(doc, "options", opt.name, *at)
                        problems.append(
                            Diagnostic(
                                *where,
                                text,
                                f"with option '{opt.name}' {force.name} gets {rate:g} "
                                f"{product} a day at fixed rates from day {start}, above the "
                                f"{cap:.3g} a day the lines of '{net.name}' make on day {day}: "
                                + _tie(product, net),
                            )
                        )
    return problems
