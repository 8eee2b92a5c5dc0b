"""Questions of the store: who supplies a country, and a recipient x supplier matrix.

Shares are of delivered TIV (SIPRI's trend-indicator value, millions): the
``SIPRI TIV of delivered weapons`` column summed per supplier. With ``since``, each deal's
delivered TIV is spread evenly over its delivery years (the register gives the years, not
the value delivered in each) and only the years from ``since`` on count.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tether._atlas.groups import GROUPS, HISTORICAL
from tether._errors import ArgumentError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = ["Matrix", "Profile", "matrix", "profile", "resolve"]


def _norm(name: str) -> str:
    return " ".join(name.strip().rstrip("*").lower().split())


def resolve(con: duckdb.DuckDBPyConnection, name: str, role: str = "recipient") -> str:
    """The name as the register writes it, matched case-insensitively ('*' markers optional);
    an :class:`~tether.ArgumentError` with the nearest names when none matches."""
    rows = con.execute(f"SELECT DISTINCT {role} FROM deals").fetchall()
    names = {_norm(r[0]): r[0] for r in rows}
    key = _norm(name)
    if key in names:
        return str(names[key])
    close = difflib.get_close_matches(key, list(names), n=4, cutoff=0.6)
    close += [n for n in sorted(names) if key and key in n and n not in close]
    hint = f"; did you mean {', '.join(repr(names[c]) for c in close[:5])}?" if close else ""
    others = {_norm(r[0]) for r in con.execute("SELECT DISTINCT supplier FROM deals").fetchall()}
    also = " (it appears only as a supplier)" if role == "recipient" and key in others else ""
    return _raise(f"no {role} {name!r} in the register{also}{hint}")


def _raise(message: str) -> str:
    raise ArgumentError(message)


def check_since(since: int | None) -> None:
    if since is not None and not 1900 <= since <= 2200:
        raise ArgumentError(f"--since must be a year (1900..2200), not {since}")


@dataclass
class Profile:
    """One recipient's suppliers by share of delivered TIV, and its open orders."""

    recipient: str
    since: int | None
    tiv: float
    suppliers: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "since": self.since,
            "tiv_delivered": self.tiv,
            "suppliers": self.suppliers,
            "pending": self.pending,
        }


def _delivered_sql(since: int | None) -> str:
    """Per deal: its delivered TIV (from ``since`` on, when given) as ``tiv``."""
    if since is None:
        return "SELECT d.*, coalesce(d.tiv_delivered, 0) AS tiv FROM deals d"
    return (
        "SELECT d.*, y.tiv FROM deals d JOIN "
        "(SELECT deal, sum(tiv) AS tiv FROM deal_years WHERE year >= $since GROUP BY deal) y "
        "ON y.deal = d.id"
    )


def profile(con: duckdb.DuckDBPyConnection, country: str, since: int | None = None) -> Profile:
    """Suppliers of ``country`` by share of delivered TIV, the systems behind each share
    (largest first), and the orders not yet delivered."""
    check_since(since)
    name = resolve(con, country)
    params: dict[str, Any] = {"r": name}
    if since is not None:
        params["since"] = since
    rows = con.execute(
        f"""
        SELECT supplier, designation, any_value(description), sum(number_delivered),
               min(list_min(delivery_years)), max(list_max(delivery_years)), count(*),
               sum(tiv)
        FROM ({_delivered_sql(since)}) WHERE recipient = $r AND number_delivered > 0
        GROUP BY supplier, designation
        ORDER BY supplier, sum(tiv) DESC, designation
        """,
        params,
    ).fetchall()
    by_supplier: dict[str, list[dict[str, Any]]] = {}
    for sup, des, desc, units, first, last, deals, tiv in rows:
        by_supplier.setdefault(sup, []).append(
            {
                "designation": des,
                "description": desc,
                "units_delivered": int(units),
                "years": [first, last],
                "deals": deals,
                "tiv": round(float(tiv), 6),
            }
        )
    total = sum(s["tiv"] for systems in by_supplier.values() for s in systems)
    suppliers = []
    for sup, systems in by_supplier.items():
        tiv = sum(s["tiv"] for s in systems)
        suppliers.append(
            {
                "supplier": sup,
                "historical": sup in HISTORICAL,
                "share": tiv / total if total > 0 else 0.0,
                "tiv": round(tiv, 6),
                "systems": systems,
            }
        )
    suppliers.sort(key=lambda s: (-s["tiv"], s["supplier"]))
    pending = [
        {
            "supplier": sup,
            "designation": des,
            "description": desc,
            "order_year": year,
            "ordered": ordered,
            "delivered": delivered,
            "outstanding": None if ordered is None else ordered - delivered,
            "tiv_outstanding": None
            if tiv_order is None
            else round(max(tiv_order - (tiv_del or 0.0), 0.0), 6),
            "comments": comments,
        }
        for sup, des, desc, year, ordered, delivered, tiv_order, tiv_del, comments in con.execute(
            """
            SELECT supplier, designation, description, order_year, number_ordered,
                   number_delivered, tiv_order, tiv_delivered, comments
            FROM deals
            WHERE recipient = $r AND (number_ordered > number_delivered
                  OR (number_ordered IS NULL AND number_delivered = 0))
            ORDER BY order_year DESC, supplier, designation, id
            """,
            {"r": name},
        ).fetchall()
    ]
    return Profile(name, since, round(total, 6), suppliers, pending)


@dataclass
class Matrix:
    """Recipient x supplier shares of delivered TIV.

    ``shares`` has one row per recipient (in the order asked) and one column per top
    supplier, then ``other``; each row sums to 1 (or is all 0 where nothing was
    delivered). ``tiv`` is each recipient's delivered TIV (millions).
    """

    shares: pd.DataFrame
    tiv: pd.Series
    since: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "recipients": [str(r) for r in self.shares.index],
            "suppliers": [str(c) for c in self.shares.columns],
            "shares": [[float(v) for v in row] for row in self.shares.to_numpy()],
            "tiv_delivered": [float(v) for v in self.tiv.to_numpy()],
        }


def recipients_of(
    con: duckdb.DuckDBPyConnection, group: str | None, countries: list[str] | None
) -> list[str]:
    """The recipients a matrix covers: a named group's members and any listed names."""
    names: list[str] = []
    if group is not None:
        if group not in GROUPS:
            raise ArgumentError(f"no group {group!r}; groups: {', '.join(GROUPS)}")
        names += list(GROUPS[group])
    names += countries or []
    if not names:
        raise ArgumentError("name a group (--group) or countries (--countries A,B,...)")
    out = [resolve(con, n) for n in names]
    return list(dict.fromkeys(out))


def matrix(
    con: duckdb.DuckDBPyConnection,
    recipients: list[str],
    since: int | None = None,
    top: int = 6,
) -> Matrix:
    """Shares of delivered TIV for each recipient (names as the register writes them)
    from its ``top`` suppliers (those with the largest mean share across the recipients)
    and ``other``."""
    check_since(since)
    if top < 1:
        raise ArgumentError(f"top must be at least 1, not {top}")
    params: dict[str, Any] = {"rs": recipients}
    if since is not None:
        params["since"] = since
    long = con.execute(
        f"""
        SELECT recipient, supplier, sum(tiv) AS tiv
        FROM ({_delivered_sql(since)}) WHERE list_contains($rs, recipient)
        GROUP BY recipient, supplier
        """,
        params,
    ).df()
    wide = long.pivot_table(
        index="recipient", columns="supplier", values="tiv", aggfunc="sum", fill_value=0.0
    ).reindex(index=recipients, fill_value=0.0)
    totals = wide.sum(axis=1)
    shares = wide.div(totals.where(totals > 0, 1.0), axis=0)
    mean = shares.sum(axis=0)
    order = sorted(shares.columns, key=lambda c: (-float(mean[c]), str(c)))
    keep = [c for c in order[:top] if float(mean[c]) > 0]
    out = shares[keep].copy()
    out["other"] = shares.drop(columns=keep).sum(axis=1)
    out.index.name = "recipient"
    out.columns.name = "supplier"
    return Matrix(out, totals.rename("tiv"), since)
