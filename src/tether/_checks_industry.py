"""Cross-reference checks of ``industry:`` networks, in plain Python (no numpy).

:func:`check_network` finds, with file, line and column, what the model's field checks
cannot see alone: a site's unknown supplier, an unknown product or component, a product
nobody makes, a duplicate name, an allocation naming a buyer with no demand, and a cycle
in the bills of materials. The loader runs it on every network with the other reference
checks (:func:`tether._refs.check_references`), so ``tether validate`` reports these
problems, exit 2, at no start-up cost; :mod:`tether._analysis.industry` runs it again on
documents built without the loader.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Sequence

from tether._errors import Diagnostic
from tether._model import Document
from tether._model.industry import IndustryNetwork
from tether._source import SourceMap

__all__ = ["check_network", "check_networks"]

Say = Callable[[tuple[str | int, ...], str], None]


def _hint(value: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_network(
    doc: Document,
    net: IndustryNetwork,
    source: SourceMap | None = None,
    suppliers: Collection[str] | None = None,
) -> list[Diagnostic]:
    """Cross-reference problems of ``net``, each with file, line and column: unknown
    suppliers, products or components, a product nobody makes, a bill-of-materials cycle.

    ``source`` locates them (default: the document's own); ``suppliers`` are the names a
    site may use (default: the document's suppliers).
    """
    problems: list[Diagnostic] = []
    source = doc._source if source is None else source

    def say(path: tuple[str | int, ...], message: str) -> None:
        mark, text = (
            (None, "industry") if source is None else source.where("industry", net.name, *path)
        )
        if mark is None:
            problems.append(Diagnostic(doc.file, 0, 0, text, message))
        else:
            problems.append(mark.diagnostic(text, message))

    products = [p.name for p in net.products]
    known = [s.name for s in doc.suppliers] if suppliers is None else list(suppliers)
    for section, names in (("products", products), ("sites", [s.name for s in net.sites])):
        seen: set[str] = set()
        for i, n in enumerate(names):
            if n in seen:
                say((section, i, "name"), f"duplicate name '{n}'")
            seen.add(n)
    made: set[str] = set()
    for i, site in enumerate(net.sites):
        if site.supplier not in known:
            say(
                ("sites", i, "supplier"),
                f"no supplier named '{site.supplier}'" + _hint(site.supplier, known),
            )
        for key in ("makes", "stock"):
            for prod in getattr(site, key):
                if prod not in products:
                    say(
                        ("sites", i, key, prod),
                        f"no product named '{prod}'" + _hint(prod, products),
                    )
        made.update(site.makes)
    for i, prod in enumerate(net.products):
        for comp in prod.bom:
            if comp not in products:
                say(
                    ("products", i, "bom", comp),
                    f"no product named '{comp}'" + _hint(comp, products),
                )
        if prod.name not in made:
            say(
                ("products", i, "name"),
                f"no site makes '{prod.name}' (give a site 'makes: {{{prod.name}: ...}}')",
            )
        rule = prod.allocation
        for j, buyer in enumerate(rule.order):
            if buyer not in prod.demand:
                say(
                    ("products", i, "allocation", "order", j),
                    f"'{buyer}' has no demand for {prod.name}",
                )
        for buyer in rule.shares:
            if buyer not in prod.demand:
                say(
                    ("products", i, "allocation", "shares", buyer),
                    f"'{buyer}' has no demand for {prod.name}",
                )
    _cycles(net, say)
    return problems


def _cycles(net: IndustryNetwork, say: Say) -> None:
    index = {p.name: i for i, p in enumerate(net.products)}
    edges = [[c for c in p.bom if c in index] for p in net.products]
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges[index[node]]:
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    say(
                        ("products", index[node], "bom", nxt),
                        "bill-of-materials cycle: " + " -> ".join(cycle),
                    )
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for p in net.products:
        if p.name not in state:
            visit(p.name, [])


def check_networks(
    doc: Document, source: SourceMap, broken: dict[str, set[str]]
) -> list[Diagnostic]:
    """:func:`check_network` of every network of ``doc`` (a supplier whose own entry is
    broken, and so reported already, counts as known)."""
    suppliers = {s.name for s in doc.suppliers} | broken.get("suppliers", set())
    return [p for net in doc.industry for p in check_network(doc, net, source, suppliers)]
