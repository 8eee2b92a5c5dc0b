"""The industrial base: which disrupted site, supplier or jurisdiction breaks production.

:func:`industry` compiles one network of a document's ``industry:`` section to arrays and
ranks disruptions: for each site (or supplier, or jurisdiction: everything it stops
through control edges goes down) the time-to-survive (TTS), the units and value lost over
a time-to-recover (TTR), and the risk-exposure index (each loss over the largest). The
programmes are in :mod:`tether._analysis.industry_lp`; :func:`line_output` gives each
buyer's share of each product's output day by day under a set of cutoffs (the hook for
resupply from lines).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tether._analysis.industry_alloc import allocate, fill_rates, requirements, topological
from tether._analysis.industry_lp import Compiled, Disruption, solve_ttr, solve_tts
from tether._checks_industry import check_network
from tether._errors import ArgumentError, InputError
from tether._model import Cutoff, Document
from tether._model.industry import IndustryNetwork
from tether._plan import stopped_suppliers

__all__ = [
    "Industry",
    "IndustryRow",
    "LineOutput",
    "check_network",
    "compile_network",
    "industry",
    "line_output",
    "network_of",
]

By = Literal["site", "supplier", "jurisdiction"]
F64 = npt.NDArray[np.float64]


def _networks(doc: Document) -> list[IndustryNetwork]:
    return list(getattr(doc, "industry", []))


def network_of(doc: Document, name: str | None = None) -> IndustryNetwork:
    """The network called ``name``; without one, the file's own network, else the only one."""
    nets = _networks(doc)
    if name is not None:
        for n in nets:
            if n.name == name:
                return n
        names = ", ".join(n.name for n in nets) or "none"
        raise ArgumentError(f"no industry network named '{name}' (have: {names})")
    own = [n for n in nets if doc._is_own("industry", n.name)]
    if len(own) == 1 or (not own and len(nets) == 1):
        return (own or nets)[0]
    names = ", ".join(n.name for n in (own or nets)) or "none"
    raise ArgumentError(f"name the industry network to analyse (have: {names})")


def _checked(doc: Document, net: IndustryNetwork) -> None:
    problems = check_network(doc, net)
    if problems:
        raise InputError(problems)


def compile_network(doc: Document, net: IndustryNetwork, day: int = 0) -> Compiled:
    """Arrays of ``net`` (checked first: raises :class:`InputError`) on ``day``."""
    _checked(doc, net)
    products = tuple(p.name for p in net.products)
    index = {n: i for i, n in enumerate(products)}
    n_p, n_s = len(products), len(net.sites)
    ls, lp, lines = [], [], []
    for s, site in enumerate(net.sites):
        for prod, line in site.makes.items():
            ls.append(s)
            lp.append(index[prod])
            lines.append(line)
    per = float(net.period_days)
    rate = np.array([ln.capacity_on(day) / per for ln in lines], dtype=np.float64)
    rows, cols, vals = [], [], []
    for q, item in enumerate(net.products):
        for comp, qty in item.bom.items():
            rows.append(q)
            cols.append(index[comp])
            vals.append(qty)
    bom = sp.csr_matrix((vals, (rows, cols)), shape=(n_p, n_p))
    srow, scol, sval = [], [], []
    for s, site in enumerate(net.sites):
        for prod, units in site.stock.items():
            srow.append(s)
            scol.append(index[prod])
            sval.append(units)
    stock = sp.csr_matrix((sval, (srow, scol)), shape=(n_s, n_p))

    def cumulative(tau: float) -> F64:
        """Capacity of each line over ``[day, day + tau)``, stepping with its ramp."""
        out = np.empty(len(lines))
        for i, ln in enumerate(lines):
            edges = [day] + [r.day for r in ln.ramp if day < r.day < day + tau] + [day + tau]
            out[i] = sum(ln.capacity_on(int(a)) * (b - a) for a, b in pairwise(edges)) / per
        return out

    return Compiled(
        products=products,
        sites=tuple(s.name for s in net.sites),
        line_site=np.array(ls, dtype=np.int64),
        line_product=np.array(lp, dtype=np.int64),
        rate=rate,
        bom=bom,
        demand=np.array([sum(p.demand.values()) / per for p in net.products], dtype=np.float64),
        value=np.array([p.unit_value for p in net.products], dtype=np.float64),
        stock=stock,
        cumulative=cumulative,
    )


def _stopped_sites(doc: Document, net: IndustryNetwork, cutoff: Cutoff) -> frozenset[str]:
    stopped = stopped_suppliers(doc, cutoff)
    return frozenset(s.name for s in net.sites if s.supplier in stopped)


def _targets(doc: Document, net: IndustryNetwork, by: By) -> list[tuple[str, frozenset[str]]]:
    """Each disrupted node and the sites it stops (nodes stopping nothing left out)."""
    if by == "site":
        return [(s.name, frozenset([s.name])) for s in net.sites]
    if by not in ("supplier", "jurisdiction"):
        raise ArgumentError(f"by must be site, supplier or jurisdiction, not '{by}'")
    names = (
        [s.name for s in doc.suppliers] if by == "supplier" else [j.name for j in doc.jurisdictions]
    )
    out = []
    for name in names:
        cut = Cutoff(supplier=name) if by == "supplier" else Cutoff(jurisdiction=name)
        sites = _stopped_sites(doc, net, cut)
        if sites:
            out.append((name, sites))
    return out


@dataclass(frozen=True, slots=True)
class IndustryRow:
    """One disrupted node: the sites it stops, its TTS, and what it costs over the TTR.

    ``time_to_survive`` is in days (``None``: demand is met over the whole horizon);
    ``units_lost`` and ``value_lost`` are over ``ttr_days`` and beyond what the
    undisrupted network already loses; ``risk_exposure_index`` is ``value_lost`` over the
    largest ``value_lost`` of the set.
    """

    target: str
    stops: tuple[str, ...]
    time_to_survive: float | None
    units_lost: float
    value_lost: float
    risk_exposure_index: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "stops": list(self.stops),
            "time_to_survive": self.time_to_survive,
            "units_lost": self.units_lost,
            "value_lost": self.value_lost,
            "risk_exposure_index": self.risk_exposure_index,
        }


@dataclass(frozen=True, slots=True)
class Industry:
    """Ranked disruptions of one network: rows by value lost, then by shortest TTS.

    ``sustained`` names the products whose lines cannot meet their demand even without a
    disruption, with the share they meet: time-to-survive is measured against what the
    undisrupted network sustains (each product's demand times that share), and the
    ``baseline_*`` losses are the undisrupted network's shortfall over the TTR.
    """

    network: str
    by: str
    ttr_days: float
    horizon_days: int
    baseline_tts: float | None
    baseline_units_lost: float
    baseline_value_lost: float
    sustained: dict[str, float] = field(default_factory=dict)
    rows: tuple[IndustryRow, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "by": self.by,
            "ttr_days": self.ttr_days,
            "horizon_days": self.horizon_days,
            "baseline": {
                "time_to_survive": self.baseline_tts,
                "units_lost": self.baseline_units_lost,
                "value_lost": self.baseline_value_lost,
                "sustained": dict(self.sustained),
            },
            "rows": [r.to_dict() for r in self.rows],
        }


def _disruption(net: Compiled, sites: frozenset[str]) -> Disruption:
    idx = np.array([i for i, s in enumerate(net.sites) if s in sites], dtype=np.int64)
    lines = np.flatnonzero(np.isin(net.line_site, idx)).astype(np.int64)
    return Disruption(lines=lines, sites=idx)


def sustained(net: Compiled) -> F64:
    """Each product's fill rate without disruption: the share of its demand per day the
    lines sustain (stock aside), components shared among their users in proportion."""
    n_p = len(net.products)
    bom = [[(int(q), float(v)) for q, v in zip(r.indices, r.data, strict=True)] for r in net.bom]
    order = topological([[q for q, _ in b] for b in bom])
    capacity = np.asarray(
        np.bincount(net.line_product, weights=net.rate, minlength=n_p), dtype=np.float64
    )
    fill: F64 = fill_rates(capacity, requirements(net.demand, bom, order), bom, order)[0]
    return fill


def _clean(x: float, scale: float) -> float:
    """Solver noise below the tolerance as zero."""
    return 0.0 if abs(x) <= 1e-7 * max(1.0, scale) else float(x)


def industry(
    doc: Document,
    network: str | None = None,
    *,
    by: By = "site",
    ttr_days: float = 90.0,
    day: int = 0,
) -> Industry:
    """Rank each site's (supplier's, jurisdiction's) disruption of a production network.

    ``ttr_days`` is the time to recover; ``day`` the day the disruption starts (it picks
    the capacity on the ramp for TTS; TTR sums each line's ramp over the window).
    """
    if not 0 < ttr_days <= 36_500:
        raise ArgumentError(f"ttr_days must be in (0, 36500], not {ttr_days}")
    if day < 0:
        raise ArgumentError(f"day must be at least 0, not {day}")
    net = network_of(doc, network)
    arrays = compile_network(doc, net, day)
    targets = _targets(doc, net, by)
    cuts: list[Disruption | None] = [None, *(_disruption(arrays, s) for _, s in targets)]
    horizon = float(net.horizon_days)
    fill = sustained(arrays)
    tts = solve_tts(arrays, cuts, horizon, demand=arrays.demand * fill)
    value, units = solve_ttr(arrays, cuts, float(ttr_days))
    scale_v = float(np.max(value)) if len(value) else 1.0
    scale_u = float(np.max(units)) if len(units) else 1.0
    lost_v = [_clean(v - value[0], scale_v) for v in value[1:]]
    lost_u = [_clean(u - units[0], scale_u) for u in units[1:]]
    top = max(lost_v, default=0.0)

    def days(t: float) -> float | None:
        return None if t >= horizon - 1e-6 else round(float(t), 6)

    rows = [
        IndustryRow(
            target=name,
            stops=tuple(s.name for s in net.sites if s.name in sites),
            time_to_survive=days(float(tts[i + 1])),
            units_lost=lost_u[i],
            value_lost=lost_v[i],
            risk_exposure_index=lost_v[i] / top if top > 0 else 0.0,
        )
        for i, (name, sites) in enumerate(targets)
    ]
    rows.sort(
        key=lambda r: (
            -r.value_lost,
            horizon if r.time_to_survive is None else r.time_to_survive,
            r.target,
        )
    )
    return Industry(
        network=net.name,
        by=by,
        ttr_days=float(ttr_days),
        horizon_days=net.horizon_days,
        baseline_tts=days(float(tts[0])),
        baseline_units_lost=float(units[0]),
        baseline_value_lost=float(value[0]),
        sustained={
            p: round(float(f), 6)
            for p, f, d in zip(arrays.products, fill, arrays.demand, strict=True)
            if d > 0 and f < 1 - 1e-9
        },
        rows=tuple(rows),
    )


@dataclass(frozen=True)
class LineOutput:
    """Each buyer's share of each product's output, per day (units per day).

    ``allocation[d, p, b]`` is what buyer ``buyers[b]`` gets of ``products[p]`` on
    ``days[d]``; ``output[d, p]`` what the product's lines deliver to buyers that day.
    """

    days: tuple[int, ...]
    products: tuple[str, ...]
    buyers: tuple[str, ...]
    output: F64
    allocation: F64

    def of(self, product: str, buyer: str) -> F64:
        """The daily allocation of ``product`` to ``buyer``."""
        out: F64 = self.allocation[:, self.products.index(product), self.buyers.index(buyer)]
        return out


def line_output(
    doc: Document,
    network: str | None = None,
    cutoffs: Sequence[Cutoff] = (),
    days: Sequence[int] = (0,),
) -> LineOutput:
    """Each product's output per day to each buyer, under ``cutoffs`` (each stopping a
    supplier or jurisdiction, and through control edges everything it controls, from its
    start day to its end day), split by the product's allocation rule."""
    net = network_of(doc, network)
    _checked(doc, net)
    products = tuple(p.name for p in net.products)
    index = {n: i for i, n in enumerate(products)}
    buyers = tuple(sorted({b for p in net.products for b in p.demand}))
    per = float(net.period_days)
    bom_idx = [[index[c] for c in p.bom] for p in net.products]
    bom = [[(index[c], q) for c, q in p.bom.items()] for p in net.products]
    order = topological(bom_idx)
    demand = np.array([sum(p.demand.values()) / per for p in net.products])
    need = requirements(demand, bom, order)
    stops = [
        (c, _stopped_sites(doc, net, c.model_copy(update={"kinds": ["all"]}))) for c in cutoffs
    ]
    day_list = [int(d) for d in days]
    t = np.array(day_list, dtype=np.int64)
    down = {site.name: np.zeros(len(t), dtype=np.bool_) for site in net.sites}
    for c, sites in stops:
        on = (t >= c.start_day) & (t < (c.end_day if c.end_day is not None else np.inf))
        for name in sites & down.keys():
            down[name] |= on
    capacity = np.zeros((len(day_list), len(products)))
    for site in net.sites:
        for prod, line in site.makes.items():
            # Line.capacity_on over every day at once: the last ramp step at or before it
            steps = np.array([line.capacity] + [r.capacity for r in line.ramp]) / per
            now = steps[np.searchsorted([r.day for r in line.ramp], t, side="right")]
            capacity[:, index[prod]] += np.where(down[site.name], 0.0, now)
    fill = fill_rates(capacity, need, bom, order)
    output = fill * demand
    alloc = np.zeros((len(day_list), len(products), len(buyers)))
    for p, item in enumerate(net.products):
        if not item.demand:
            continue
        mine = [buyers.index(b) for b in item.demand]
        want = np.array([item.demand[buyers[b]] / per for b in mine])
        rule = item.allocation
        order_idx = [mine.index(buyers.index(b)) for b in rule.order]
        weights = np.array([rule.shares.get(buyers[b], 0.0) for b in mine])
        alloc[:, p, mine] = allocate(output[:, p], want, rule.rule, order_idx, weights)
    return LineOutput(tuple(day_list), products, buyers, output, alloc)
