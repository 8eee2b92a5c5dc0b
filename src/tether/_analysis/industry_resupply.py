"""Munitions resupply from production lines: a fleet's rate is its buyer's allocation.

A resupply entry may name a ``product`` of an ``industry:`` network (with ``network``,
``buyer`` and ``share``) instead of a ``per_day`` rate. :func:`check_line_resupply` checks
those names (located errors); :func:`line_rates` gives each such resupply's rounds per day,
day by day, under each cutoff set of a batch (:func:`tether._analysis.industry.line_output`,
with the cutoffs that withhold munitions); :func:`rate_problems` (in
:mod:`tether._analysis.industry_rates`) compares fixed rates with the output of the lines
making the munition over their ramp (``tether catalogue check``).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tether._analysis.industry_rates import PRODUCT_NAMES, product_of, rate_problems
from tether._checks import located
from tether._errors import Diagnostic, InputError
from tether._model import Cutoff, Document, Force, Scenario, expand_kinds
from tether._model.entries import Resupply
from tether._model.industry import IndustryNetwork

__all__ = [
    "PRODUCT_NAMES",
    "LineItem",
    "LineRows",
    "check_line_resupply",
    "item_of",
    "line_notes",
    "line_rates",
    "line_rows",
    "line_suppliers",
    "product_of",
    "rate_problems",
    "upstream_suppliers",
]

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LineItem:
    """One resupply from a line: the network, product and buyer, and the fleet's share."""

    network: str
    product: str
    buyer: str
    share: float


def _networks(doc: Document) -> list[IndustryNetwork]:
    return list(getattr(doc, "industry", []))


def _network(doc: Document, name: str | None) -> IndustryNetwork | None:
    nets = _networks(doc)
    if name is None:
        return nets[0] if len(nets) == 1 else None
    return next((n for n in nets if n.name == name), None)


def _hint(value: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def item_of(doc: Document, force: Force, r: Resupply) -> LineItem:
    """The line a checked resupply draws on (defaults filled in)."""
    net = _network(doc, r.network)
    buyer = r.buyer or force.operator
    product = next((p for p in net.products if p.name == r.product), None) if net else None
    if net is None or product is None or buyer not in product.demand:
        raise InputError(
            [
                Diagnostic(
                    *located(doc, "forces", force.name)[0],
                    f"forces[{force.name}]",
                    f"no buyer '{buyer}' of '{r.product}' in network '{r.network or ''}'",
                )
            ]
        )
    return LineItem(net.name, product.name, buyer, r.share)


def check_line_resupply(doc: Document, force: Force) -> list[Diagnostic]:
    """Unknown networks, products or buyers of the force's resupplies from lines, and
    shares of one buyer's allocation summing above 1 (once, at the resupply where the sum
    first passes 1), each located."""
    problems: list[Diagnostic] = []
    total: dict[tuple[str, str, str], float] = {}
    over: set[tuple[str, str, str]] = set()
    for fi, fleet in enumerate(force.fleets):
        for mname, holding in fleet.munitions.items():
            for j, r in enumerate(holding.resupply):
                if r.product is None:
                    continue
                at = ("fleets", fi, "munitions", mname, "resupply", j)

                def say(key: str, message: str, at: tuple[str | int, ...] = at) -> None:
                    where, text = located(doc, "forces", force.name, *at, key)
                    problems.append(Diagnostic(*where, text, message))

                names = [n.name for n in _networks(doc)]
                net = _network(doc, r.network)
                if net is None:
                    if r.network is None:
                        say("product", f"name the network making it (have: {', '.join(names)})")
                    else:
                        say("network", f"no industry network named '{r.network}'")
                    continue
                products = {p.name: p for p in net.products}
                if r.product not in products:
                    say(
                        "product",
                        f"network '{net.name}' makes no product '{r.product}'"
                        + _hint(r.product, list(products)),
                    )
                    continue
                buyer = r.buyer or force.operator
                demand = products[r.product].demand
                if buyer not in demand:
                    have = ", ".join(sorted(demand)) or "none"
                    say(
                        "buyer" if r.buyer is not None else "product",
                        f"'{buyer}' is not a buyer of {r.product} in '{net.name}' (buyers: {have})",
                    )
                    continue
                key = (net.name, r.product, buyer)
                total[key] = total.get(key, 0.0) + r.share
                if total[key] > 1 + 1e-9 and key not in over:  # once, where it first passes 1
                    over.add(key)
                    say("share", f"shares of {buyer}'s {r.product} sum to {total[key]:g}, above 1")
    return problems


def line_suppliers(doc: Document, network: str | None, product: str) -> list[str]:
    """:func:`upstream_suppliers` of the product in the named (or only) network; none
    when either is unknown (reported by :func:`check_line_resupply`)."""
    net = _network(doc, network)
    return [] if net is None else upstream_suppliers(net, product)


def upstream_suppliers(net: IndustryNetwork, product: str) -> list[str]:
    """Suppliers of the sites making ``product`` or anything in its bill of materials."""
    bom = {p.name: list(p.bom) for p in net.products}
    seen: set[str] = set()
    todo = [product]
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(bom.get(p, []))
    return list(dict.fromkeys(s.supplier for s in net.sites if seen & set(s.makes)))


def _withholds_munitions(c: Cutoff) -> bool:
    return "munitions" in expand_kinds(list(c.kinds))


def _fixed(c: Cutoff) -> Cutoff:
    """A random-length cutoff at its expected end (as the plan's mask has it)."""
    if c.duration_days is None:
        return c
    return c.model_copy(update={"duration_days": None, "end_day": c.expected_end()})


def line_rates(
    doc: Document, items: Sequence[LineItem], cutoff_sets: Sequence[Sequence[Cutoff]], days: int
) -> F64:
    """Rounds per day ``[B, len(items), days]``: each item's share of its buyer's
    allocation of the product on days ``0..days-1`` under each cutoff set (those of its
    cutoffs that withhold munitions; random lengths at their expected end)."""
    from tether._analysis.industry import line_output, network_of

    out = np.zeros((len(cutoff_sets), len(items), days))
    for name in dict.fromkeys(i.network for i in items):
        net = network_of(doc, name)
        mine = [k for k, i in enumerate(items) if i.network == name]
        for b, cutoffs in enumerate(cutoff_sets):
            cuts = [_fixed(c) for c in cutoffs if _withholds_munitions(c)]
            lo = line_output(doc, net.name, cuts, range(days))
            out[b, mine] = [lo.of(items[k].product, items[k].buyer) * items[k].share for k in mine]
    return out


def line_notes(doc: Document, scenario: Scenario) -> tuple[str, ...]:
    """A note per production line several forces of a scenario's ``forces:`` draw on: each
    fleet's allocation (its buyer's, times its share) in rounds a day without cutoffs on
    day 0, and its lowest under the scenario's cutoffs with the first day of it. None for
    a scenario of one force."""
    if scenario.forces is None or len(scenario.forces) < 2:
        return ()
    force = doc.force(scenario.force)
    rows: list[tuple[str, LineItem]] = []
    for fleet in force.fleets:
        for name, holding in fleet.munitions.items():
            rows += [
                (f"{fleet.name} {name}", item_of(doc, force, r))
                for r in holding.resupply
                if r.product is not None
            ]
    if not rows:
        return ()
    T = scenario.horizon_days + 1
    rates = line_rates(doc, [it for _, it in rows], [[], scenario.cutoffs], T)
    out = []
    for key in dict.fromkeys((it.network, it.product) for _, it in rows):
        got = []
        for k, (label, it) in enumerate(rows):
            if (it.network, it.product) == key:
                low = int(np.argmin(rates[1, k]))
                got.append(
                    f"{label} ({it.buyer}) {rates[0, k, 0]:.3g} -> {rates[1, k, low]:.3g}"
                    + (f" on day {low}" if rates[1, k, low] < rates[0, k, low] - 1e-12 else "")
                )
        out.append(
            f"{key[1]} from the lines of '{key[0]}', one allocation for every force (rounds a "
            f"day, no cutoff on day 0 -> lowest under the cutoffs): " + "; ".join(got)
        )
    return tuple(out)


#: Most cutoffs of one cutoff set that may touch the lines of its resupplies (rows grow
#: as two to this power).
MAX_LINE_CUTOFFS = 8


@dataclass(frozen=True)
class LineRows:
    """Resupply rows that reproduce each item's line rate under each cutoff set.

    ``gates[g]`` is a gate (a supplier of the plan's own): the batch member it belongs
    to and the positions, in that member's cutoff list, of the cutoffs that close it
    while they last; gate 0 (member ``-1``) never closes. ``rows`` are (item, gate,
    rounds per day, from day, until day); a row's rate may be negative, the open rows of
    a day never sum below zero.
    """

    gates: tuple[tuple[int, tuple[int, ...]], ...]
    rows: tuple[tuple[int, int, float, int, int], ...]


def _touches(doc: Document, c: Cutoff, suppliers: set[str]) -> bool:
    from tether._plan import stopped_suppliers

    return _withholds_munitions(c) and bool(suppliers & set(stopped_suppliers(doc, c)))


def _segments(rate: F64, item: int, gate: int, start: int, until: int) -> list[Any]:
    """Windowed rows of a day-by-day rate: one per stretch of constant, non-zero rate."""
    if until <= start:
        return []
    span = rate[start:until]
    firsts = start + np.flatnonzero(np.r_[True, span[1:] != span[:-1]])
    ends = np.r_[firsts[1:], until]
    return [
        (item, gate, float(rate[a]), int(a), int(b))
        for a, b in zip(firsts, ends, strict=True)
        if abs(rate[a]) > 1e-12
    ]


def line_rows(
    doc: Document,
    items: Sequence[LineItem],
    windows: Sequence[tuple[int, int]],
    cutoff_sets: Sequence[Sequence[Cutoff]],
    days: int,
) -> LineRows:
    """Rows and gates for resupplies from lines (item ``i`` runs over ``windows[i]``).

    For a cutoff set whose cutoffs ``C`` touch the lines, the rate with the cutoffs ``A``
    active is ``f(A)`` (:func:`line_output` with ``A`` in force). Its gate closed by the
    cutoffs ``S`` (not empty) carries ``g(S) = sum over W in S of (-1)^|S - W| f(C - W)``;
    the gate that never closes carries the uncut rate less every set's gates. On a day
    with the cutoffs ``A`` of one set active, the open gates (those closed by no active
    cutoff: the other sets' cutoffs never are) sum to ``f(A)``, whatever the cutoffs'
    lengths, random lengths included.
    """
    from tether._analysis.industry import line_output, network_of

    nets = {n: network_of(doc, n) for n in dict.fromkeys(i.network for i in items)}
    upstream: set[str] = set()
    for it in items:
        upstream.update(upstream_suppliers(nets[it.network], it.product))

    def rates(active: Sequence[Cutoff]) -> F64:
        out = np.zeros((len(items), days))
        always = [
            c.model_copy(update={"start_day": 0, "end_day": None, "duration_days": None})
            for c in active
        ]
        for name, net in nets.items():
            lo = line_output(doc, net.name, always, range(days))
            for k, it in enumerate(items):
                if it.network == name:
                    out[k] = lo.of(it.product, it.buyer) * it.share
        return out

    touching = [[j for j, c in enumerate(cs) if _touches(doc, c, upstream)] for cs in cutoff_sets]
    gates: list[tuple[int, tuple[int, ...]]] = [(-1, ())]
    per_gate: list[F64] = []
    uncut = rates([])
    shared = uncut.copy()
    for b, idx in enumerate(touching):
        if len(idx) > MAX_LINE_CUTOFFS:
            raise ValueError(f"more than {MAX_LINE_CUTOFFS} cutoffs of one set touch the lines")
        n = len(idx)
        cs = cutoff_sets[b]
        # h[W] = f(C - W): the rate with every touching cutoff active except those in W
        full = (1 << n) - 1
        h = {
            w: uncut if w == full else rates([cs[idx[i]] for i in range(n) if not w >> i & 1])
            for w in range(1 << n)
        }
        for mask in range(1, 1 << n):
            g = np.zeros_like(uncut)
            sub = mask
            while True:
                sign = -1.0 if bin(mask ^ sub).count("1") % 2 else 1.0
                g += sign * h[sub]
                if sub == 0:
                    break
                sub = (sub - 1) & mask
            if np.any(np.abs(g) > 1e-12):
                gates.append((b, tuple(idx[i] for i in range(n) if mask >> i & 1)))
                per_gate.append(g)
                shared -= g
    rows: list[Any] = []
    for gate, g in enumerate([shared, *per_gate]):
        for k, (a, z) in enumerate(windows):
            rows += _segments(g[k], k, gate, a, z)
    return LineRows(tuple(gates), tuple(rows))
