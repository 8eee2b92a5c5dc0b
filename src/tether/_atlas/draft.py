"""A starting force file from the register: ``tether atlas draft-force COUNTRY``.

Each SIPRI designation delivered to the country is a fleet. Where the designation is in
:data:`FLEETS` the fleet gets that catalogue system type; the rest are listed as comments
at the end of the file for the user to fill in. Munitions the register records (for
example ``MIM-104 PAC-3 MSE``) become the stock of the fleet that fires them, where
:data:`MUNITIONS` names it.

Units are the numbers delivered, net of the ones the register shows the country passing
on: its own second-hand transfers of the same designation to others (the register's
"known retirements"). Losses, scrapping and retirements it does not record are not in it,
and neither are operating hours: ``hours_per_day`` is a placeholder per system type, and
the file marks it assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tether._atlas.groups import iso_code
from tether._atlas.query import check_since, resolve

if TYPE_CHECKING:
    import duckdb

__all__ = ["FLEETS", "MUNITIONS", "draft_force"]

SIPRI_URL = "https://www.sipri.org/databases/armstransfers"
CREDIT = "Information from the SIPRI Arms Transfers Database"


@dataclass(frozen=True, slots=True)
class Match:
    system: str  # catalogue system type
    area: str
    hours_per_day: float  # a placeholder: the register has no operating hours
    note: str = ""


_AIR = ("air-combat", 1.0)
_SAM = ("air-defence", 20.0)
_LRF = ("long-range-fires", 4.0)
_ART = ("artillery", 4.0)

#: SIPRI designation (exact, case-insensitive) -> catalogue system type.
FLEETS: dict[str, Match] = {
    "F-35A Lightning-2": Match("f-35a", *_AIR),
    "F-35B Lightning-2": Match("f-35b", *_AIR),
    "F-16A": Match("f-16", *_AIR, "the catalogue's F-16 (with an AN/ALQ-131 pod) for every model"),
    "F-16ADF": Match("f-16", *_AIR, "the catalogue's F-16 for every model"),
    "F-16C": Match("f-16", *_AIR, "the catalogue's F-16 for every model"),
    "F-16C Block-50": Match("f-16", *_AIR, "the catalogue's F-16 for every model"),
    "F-16E": Match("f-16", *_AIR, "the catalogue's F-16 for every model"),
    "F-16I": Match("f-16", *_AIR, "the catalogue's F-16 for every model"),
    "F-16V Viper": Match("f-16", *_AIR, "the catalogue's F-16 for every model"),
    "Rafale": Match("rafale", *_AIR),
    "Rafale F-4": Match("rafale", *_AIR),
    "Mirage-2000-5": Match("mirage-2000", *_AIR),
    "Mirage-2000-5 Mk-2": Match("mirage-2000", *_AIR),
    "Gripen-E": Match("gripen-e", *_AIR),
    "Patriot": Match("patriot", *_SAM, "one unit per system (battery) SIPRI counts"),
    "Patriot Configuration-3": Match("patriot", *_SAM, "one unit per system SIPRI counts"),
    "Patriot Configuration-3 LTAMDS": Match("patriot", *_SAM, "one unit per system"),
    "SAMP/T": Match("samp-t-ng", *_SAM, "the catalogue's only SAMP/T is the NG"),
    "HIMARS": Match("himars", *_LRF),
    "PULS": Match("puls", *_LRF),
    "K-239 Chunmoo": Match("k239-chunmoo", *_LRF),
    "K-9 Thunder 155mm": Match("k9", *_ART),
}

#: SIPRI designation -> (catalogue system type, its munition): delivered rounds become the
#: stock of the country's fleet of that system type.
MUNITIONS: dict[str, tuple[str, str]] = {
    "MIM-104 PAC-3 MSE": ("patriot", "pac-3-mse"),
    "MIM-104 PAC-3": ("patriot", "pac-3-mse"),
    "MIM-104 PAC-2": ("patriot", "gem-t"),
    "ASTER-30": ("samp-t-ng", "aster-30"),
    "GMLRS": ("himars", "gmlrs"),
}

_FLEETS = {k.lower(): v for k, v in FLEETS.items()}
_MUNITIONS = {k.lower(): v for k, v in MUNITIONS.items()}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _span(h: dict[str, Any]) -> str:
    """Delivery years as ``2018`` or ``2018-2021``."""
    return f"{h['first']}" if h["first"] == h["last"] else f"{h['first']}-{h['last']}"


def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _holdings(con: duckdb.DuckDBPyConnection, name: str, since: int | None) -> list[dict[str, Any]]:
    recent = "" if since is None else f"AND list_max(delivery_years) >= {int(since)}"
    rows = con.execute(
        f"""
        WITH got AS (
            SELECT designation, any_value(description) AS description,
                   string_agg(DISTINCT supplier, ', ' ORDER BY supplier) AS suppliers,
                   sum(number_delivered) AS delivered,
                   min(list_min(delivery_years)) AS first, max(list_max(delivery_years)) AS last
            FROM deals WHERE recipient = $r AND number_delivered > 0 {recent}
            GROUP BY designation),
        gone AS (
            SELECT designation, sum(number_delivered) AS passed_on,
                   string_agg(DISTINCT recipient, ', ' ORDER BY recipient) AS to_whom
            FROM deals WHERE supplier = $r AND number_delivered > 0
                 AND status LIKE 'Second hand%' {recent} GROUP BY designation)
        SELECT got.*, coalesce(gone.passed_on, 0), coalesce(gone.to_whom, '')
        FROM got LEFT JOIN gone USING (designation)
        ORDER BY got.designation
        """,
        {"r": name},
    ).fetchall()
    keys = ("designation", "description", "suppliers", "delivered", "first", "last")
    out = []
    for row in rows:
        h = dict(zip(keys, row[:6], strict=True))
        h["passed_on"], h["to_whom"] = int(row[6]), row[7]
        h["delivered"] = int(h["delivered"])
        h["net"] = max(h["delivered"] - h["passed_on"], 0)
        out.append(h)
    return out


def draft_force(
    con: duckdb.DuckDBPyConnection,
    country: str,
    known_jurisdictions: set[str],
    since: int | None = None,
) -> tuple[str, int, int]:
    """The text of a force file for ``country``; with the counts of matched fleets and of
    holdings left for the user. ``known_jurisdictions`` are the names the catalogue
    defines (the operator is defined in the file when it is not among them). With
    ``since``, only deals with a delivery in or after that year count (and only those
    passed on from such deals)."""
    check_since(since)
    name = resolve(con, country)
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    holdings = _holdings(con, name, since)
    code = iso_code(name)
    force = f"{_slug(name)}-sipri"
    fleets: list[tuple[dict[str, Any], Match]] = []
    munitions: list[tuple[dict[str, Any], tuple[str, str]]] = []
    unmatched: list[dict[str, Any]] = []
    gone: list[dict[str, Any]] = []  # matched, but every unit passed on
    for h in holdings:
        key = h["designation"].lower()
        if key in _FLEETS and h["net"] > 0:
            fleets.append((h, _FLEETS[key]))
        elif key in _FLEETS:
            gone.append(h)
        elif key in _MUNITIONS:
            munitions.append((h, _MUNITIONS[key]))
        else:
            unmatched.append(h)
    # Munitions go to the largest fleet of the system that fires them.
    stock: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for h, (system, munition) in munitions:
        owners = [i for i, (fh, m) in enumerate(fleets) if m.system == system]
        if owners and h["net"] > 0:
            best = max(owners, key=lambda i: (fleets[i][0]["net"], -i))
            stock.setdefault(best, []).append((munition, h))
        else:
            unmatched.append(h)
    unmatched.sort(key=lambda h: h["designation"].lower())

    out: list[str] = [
        f"# Draft force for {name}, from SIPRI's trade register (tether atlas draft-force).",
        f"# {CREDIT}: {meta.get('file', '')} (data generated {meta.get('generated', '?')}).",
        "# Units: numbers delivered, net of those the register shows passed on second-hand"
        + (f" (deals with deliveries from {since} on)." if since is not None else "."),
        "# Losses, retirements it does not record, operating hours, spares and stocks on hand",
        "# are not in the register: check every number before you rely on a run.",
    ]
    if code not in known_jurisdictions:
        out += ["jurisdictions:", f"  - name: {_q(code)}", f"    title: {_q(name)}"]
    if fleets:
        out += _force_lines(name, code, force, fleets, stock)
    else:
        out.append("# No holding matches a catalogue system type: no force is drafted.")
    if gone:
        out += ["", "# Matched, but the register shows every unit passed on (no fleet):"]
        out += [
            f"#   {h['designation']}: {h['delivered']} delivered, {h['passed_on']} passed on "
            f"({h['to_whom']})"
            for h in gone
        ]
    if unmatched:
        out += _unmatched_lines(unmatched)
    return "\n".join(out) + "\n", len(fleets), len(unmatched)


def _force_lines(
    name: str,
    code: str,
    force: str,
    fleets: list[tuple[dict[str, Any], Match]],
    stock: dict[int, list[tuple[str, dict[str, Any]]]],
) -> list[str]:
    names: list[str] = []
    for h, _ in fleets:
        base, k = _slug(h["designation"]), 2
        fname = base
        while fname in names:
            fname, k = f"{base}-{k}", k + 1
        names.append(fname)
    assumed = {
        "fleets": "the register gives deliveries only: hours_per_day is a placeholder per "
        "system type; spares and software holdings are not in it",
    }
    for i in stock:
        assumed[f"fleets.{names[i]}.munitions"] = (
            "stock = rounds delivered per the register, net of those passed on; rounds fired "
            "or expended are not in it: an upper bound"
        )
    lines = [
        "forces:",
        f"  - name: {_q(force)}",
        f"    title: {_q(f'{name}, drafted from the SIPRI Arms Transfers Database')}",
        f"    operator: {_q(code)}",
        f"    notes: {_q(CREDIT)}",
        f"    sources: [{_q(SIPRI_URL)}]",
        "    cited:",
        *[f"      fleets.{n}.units: {_q(SIPRI_URL)}" for n in names],
        "    assumed:",
        *[f"      {k}: {_q(v)}" for k, v in assumed.items()],
        "    areas:",
        *[f"      - {{name: {a}}}" for a in dict.fromkeys(m.area for _, m in fleets)],
        "    fleets:",
    ]
    for i, ((h, m), fname) in enumerate(zip(fleets, names, strict=True)):
        years = _span(h)
        gone = f", {h['passed_on']} passed on ({h['to_whom']})" if h["passed_on"] else ""
        lines += [
            f"      # {h['designation']} ({h['description']}) from {h['suppliers']}: "
            f"{h['delivered']} delivered {years}{gone}",
        ]
        if m.note:
            lines.append(f"      # matched to {m.system}: {m.note}")
        lines += [
            f"      - name: {_q(fname)}",
            f"        system: {m.system}",
            f"        area: {m.area}",
            f"        units: {h['net']}",
            f"        hours_per_day: {m.hours_per_day:g}  # placeholder: not in the register",
        ]
        if i in stock:
            lines.append("        munitions:")
            merged: dict[str, list[dict[str, Any]]] = {}
            for munition, mh in stock[i]:
                merged.setdefault(munition, []).append(mh)
            for munition, hs in merged.items():
                notes = "; ".join(
                    f"{mh['designation']}: {mh['delivered']} delivered {_span(mh)}"
                    + (f", {mh['passed_on']} passed on" if mh["passed_on"] else "")
                    for mh in hs
                )
                total = sum(mh["net"] for mh in hs)
                lines.append(f"          {munition}: {{stock: {total}}}  # {notes}")
    return lines


def _unmatched_lines(unmatched: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "# Holdings with no catalogue system type (define systems for those you need, in",
        "# this file or a --catalogue directory, and add fleets for them):",
        "#   designation | description | supplier(s) | delivered | net of passed on | years",
    ]
    for h in unmatched:
        years = _span(h)
        lines.append(
            f"#   {h['designation']} | {h['description']} | {h['suppliers']} | "
            f"{h['delivered']} | {h['net']} | {years}"
        )
    return lines
