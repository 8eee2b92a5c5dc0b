"""``tether atlas``: SIPRI's arms-transfer register: import, show, matrix, draft-force.

Light at import (``tether --help`` loads it): DuckDB, pyarrow and pandas load inside the
commands.
"""

from __future__ import annotations

import enum
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from tether._cli.common import err_console, guard, out_console, warn, write_json
from tether._errors import TetherError

if TYPE_CHECKING:
    from tether._atlas.parse import Register
    from tether._atlas.query import Matrix, Profile

__all__ = ["register"]

#: Reported and repaired rows printed by an import (all of them are in the store).
SHOW_ROWS = 20

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where the store lives (default: $TETHER_DATA_DIR, else the platform's data "
        "directory, e.g. ~/.local/share/tether).",
        show_default=False,
    ),
]
SinceOption = Annotated[
    int | None,
    typer.Option("--since", help="Count only deliveries from this year on.", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


class Group(enum.StrEnum):
    nato_europe = "nato-europe"
    nato = "nato"
    eu = "eu"
    indo_pacific = "indo-pacific"
    gcc = "gcc"


atlas_app = typer.Typer(
    help="SIPRI's arms-transfer register: who depends on whom (import, show, matrix, "
    "draft-force). Information from the SIPRI Arms Transfers Database.",
    epilog="Examples:\n\n  tether atlas import trade-register.csv\n\n"
    "  tether atlas show Poland --since 2015\n\n"
    "  tether atlas matrix --group nato-europe\n\n"
    "  tether atlas draft-force Poland -o poland.yaml",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``tether atlas`` to ``app``."""
    app.add_typer(atlas_app, name="atlas")


@atlas_app.command(
    "import",
    epilog="Examples:\n\n  tether atlas import trade-register.csv\n\n"
    "  tether atlas import trade-register.csv --data-dir ./atlas-data",
)
def import_cmd(
    file: Annotated[Path, typer.Argument(help="The trade register as exported by SIPRI (CSV).")],
    data_dir: DataDirOption = None,
) -> None:
    """Import SIPRI's trade-register export into the local store (replacing the one there).

    Every row is imported, repaired (and imported) or reported with its line number.
    """

    def work() -> None:
        from tether._atlas.parse import parse_file
        from tether._atlas.store import write_store

        reg = parse_file(file)
        path = write_store(reg, data_dir)
        _print_import(reg, path)

    guard(work)


def _print_import(reg: Register, path: Path) -> None:
    for line, what in reg.repaired[:SHOW_ROWS]:
        out_console.print(f"repaired: {escape(reg.file)}:{line}: {escape(what)}", highlight=False)
    if len(reg.repaired) > SHOW_ROWS:
        out_console.print(f"... and {len(reg.repaired) - SHOW_ROWS} more repaired rows")
    for line, _text, why in reg.reported[:SHOW_ROWS]:
        warn(f"{reg.file}:{line}: row left out: {why}")
    if len(reg.reported) > SHOW_ROWS:
        warn(f"... and {len(reg.reported) - SHOW_ROWS} more rows left out")
    if reg.reported:
        warn("every row left out is in the store's 'reported' table, with its line and text")
    out_console.print(
        f"[green]imported[/] {escape(reg.file)} into {escape(str(path))}\n"
        f"rows read {reg.rows_read}, imported {len(reg.deals)} "
        f"(repaired {len(reg.repaired)}), reported {len(reg.reported)}",
        highlight=False,
    )


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _years(y: list[Any]) -> str:
    if y[0] is None:
        return ""
    return f"{y[0]}" if y[0] == y[1] else f"{y[0]}-{y[1]}"


@atlas_app.command(
    "show",
    epilog="Examples:\n\n  tether atlas show Poland\n\n"
    "  tether atlas show 'south korea' --since 2015 --json",
)
def show_cmd(
    country: Annotated[str, typer.Argument(help="A recipient as SIPRI writes it (any case).")],
    since: SinceOption = None,
    systems: Annotated[
        int, typer.Option("--systems", min=1, help="Systems listed per supplier.")
    ] = 3,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """COUNTRY's suppliers by share of delivered TIV, and its orders not yet delivered.

    Each supplier's share comes with the systems behind it (largest first).
    """

    def work() -> None:
        from tether._atlas.query import profile
        from tether._atlas.store import open_store

        con = open_store(data_dir)
        try:
            prof = profile(con, country, since)
        finally:
            con.close()
        if as_json:
            write_json(prof.to_dict())
        else:
            _print_profile(prof, systems)

    guard(work)


def _print_profile(prof: Profile, n_systems: int) -> None:
    from rich import box
    from rich.table import Table

    period = f"deliveries {prof.since} on" if prof.since is not None else "all years"
    table = Table(
        title=f"{prof.recipient}: suppliers by share of delivered TIV ({period})",
        caption=f"{prof.tiv:,.1f} million TIV delivered. "
        "Information from the SIPRI Arms Transfers Database.",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("supplier")
    table.add_column("share", justify="right")
    table.add_column("TIV", justify="right")
    table.add_column("main systems (units delivered, years)")
    for s in prof.suppliers:
        shown = [
            f"{escape(x['designation'])} x{x['units_delivered']} ({_years(x['years'])})"
            for x in s["systems"][:n_systems]
        ]
        more = len(s["systems"]) - n_systems
        if more > 0:
            shown.append(f"+{more} more")
        name = escape(s["supplier"]) + (" (historical)" if s["historical"] else "")
        table.add_row(name, _pct(s["share"]), f"{s['tiv']:,.1f}", "; ".join(shown))
    out_console.print(table)
    if not prof.pending:
        out_console.print("no orders outstanding")
        return
    pend = Table(title="orders not yet delivered", box=box.SIMPLE_HEAD)
    for col, just in (
        ("ordered", "right"),
        ("supplier", "left"),
        ("designation", "left"),
        ("description", "left"),
        ("units", "right"),
        ("delivered", "right"),
        ("TIV to come", "right"),
    ):
        pend.add_column(col, justify=just)  # type: ignore[arg-type]
    for p in prof.pending:
        pend.add_row(
            str(p["order_year"]),
            escape(p["supplier"]),
            escape(p["designation"]),
            escape(p["description"]),
            "?" if p["ordered"] is None else str(p["ordered"]),
            str(p["delivered"]),
            "?" if p["tiv_outstanding"] is None else f"{p['tiv_outstanding']:,.1f}",
        )
    out_console.print(pend)


@atlas_app.command(
    "matrix",
    epilog="Examples:\n\n  tether atlas matrix --group nato-europe\n\n"
    "  tether atlas matrix --countries Japan,'South Korea',Taiwan --since 2010 --json",
)
def matrix_cmd(
    group: Annotated[
        Group | None, typer.Option("--group", "-g", help="A named group of recipients.")
    ] = None,
    countries: Annotated[
        str | None,
        typer.Option("--countries", help="Recipients, comma-separated (added to --group)."),
    ] = None,
    since: SinceOption = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Supplier columns before 'other'.")] = 6,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Recipient x supplier shares of delivered TIV, for a group or a list of recipients."""

    def work() -> None:
        from tether._atlas.query import matrix, recipients_of
        from tether._atlas.store import open_store

        names = [c.strip() for c in countries.split(",") if c.strip()] if countries else None
        con = open_store(data_dir)
        try:
            m = matrix(con, recipients_of(con, group.value if group else None, names), since, top)
        finally:
            con.close()
        if as_json:
            write_json(m.to_dict())
        else:
            _print_matrix(m, group.value if group else "recipients")

    guard(work)


def _print_matrix(m: Matrix, label: str) -> None:
    from rich import box
    from rich.table import Table

    period = f"deliveries {m.since} on" if m.since is not None else "all years"
    table = Table(
        title=f"{label}: shares of delivered TIV by supplier ({period})",
        caption="Information from the SIPRI Arms Transfers Database.",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("recipient")
    for col in m.shares.columns:
        table.add_column(escape(str(col)), justify="right")
    table.add_column("TIV", justify="right")
    for (name, row), tiv in zip(m.shares.iterrows(), m.tiv.tolist(), strict=True):
        cells = [_pct(float(v)) if tiv > 0 else "-" for v in row]
        table.add_row(escape(str(name)), *cells, f"{tiv:,.0f}")
    out_console.print(table)


@atlas_app.command(
    "draft-force",
    epilog="Examples:\n\n  tether atlas draft-force Poland -o poland.yaml\n\n"
    "  tether validate poland.yaml",
)
def draft_force_cmd(
    country: Annotated[str, typer.Argument(help="A recipient as SIPRI writes it (any case).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
    ] = None,
    since: Annotated[
        int | None,
        typer.Option("--since", help="Only deals with deliveries from this year on."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Draft a force file from COUNTRY's holdings in the register.

    Fleets are matched to catalogue system types; the rest are listed for you to fill in.
    The file validates with `tether validate`.
    """

    def work() -> None:
        from tether._atlas.draft import draft_force
        from tether._atlas.store import open_store
        from tether._loader import load_text

        known = {j.name for j in load_text("{}\n", "<catalogue>").jurisdictions}
        con = open_store(data_dir)
        try:
            text, matched, left = draft_force(con, country, known, since)
        finally:
            con.close()
        if out is None:
            typer.echo(text, nl=False)
        else:
            _write_atomic(out, text)
            err_console.print(
                f"[green]wrote[/] {escape(str(out))}: {matched} fleet(s) matched to catalogue "
                f"systems, {left} holding(s) listed for you to fill in",
                highlight=False,
            )
        if not matched:
            warn("no holding matches a catalogue system type: the file drafts no force")

    guard(work)


def _write_atomic(path: Path, text: str) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise TetherError(f"cannot write {path}: {exc.strerror}") from None
