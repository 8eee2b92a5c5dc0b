"""The atlas store: one DuckDB file in the data directory, holding one register.

Where: ``--data-dir DIR`` on the command line, else the ``TETHER_DATA_DIR`` environment
variable, else the platform's data directory (``$XDG_DATA_HOME/tether`` or
``~/.local/share/tether`` on Linux, ``~/Library/Application Support/tether`` on macOS,
``%LOCALAPPDATA%\\tether`` on Windows). The store is ``atlas.duckdb`` there.

An import parses the whole export first (a bad file raises before anything is written),
then writes a new store to a temporary file beside the old one and renames it over the old
one: a store is always either the previous one or the new one, never half of each.
Importing the same file again gives the same store (the tables hold nothing that depends
on when or where the import ran).

Tables: ``deals`` (one row per deal, ``id`` in file order, ``line`` the physical line the
row starts on), ``deal_years`` (each deal's delivered TIV spread evenly over its delivery
years, for ``--since``), ``reported`` (rows left out, with line and reason), ``repaired``
(rows mended, with line and what was done) and ``meta`` (key, value: the file's name and
SHA-256, the counts).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tether._errors import ArgumentError, TetherError

if TYPE_CHECKING:
    import duckdb

    from tether._atlas.parse import Register

__all__ = ["STORE_NAME", "data_dir", "open_store", "store_path", "write_store"]

STORE_NAME = "atlas.duckdb"
#: Bumped when the tables change; a store of another version asks for a re-import.
SCHEMA_VERSION = "1"


def data_dir(override: Path | None = None) -> Path:
    """The data directory: ``override``, ``$TETHER_DATA_DIR``, or the platform's."""
    if override is not None:
        return override
    env = os.environ.get("TETHER_DATA_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "tether"


def store_path(directory: Path | None = None) -> Path:
    return data_dir(directory) / STORE_NAME


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise TetherError(
            "the atlas needs DuckDB: pip install 'tether[atlas]' (or pip install duckdb)"
        ) from None
    return duckdb


def open_store(directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the store; a clear error if there is none yet."""
    path = store_path(directory)
    if not path.is_file():
        raise ArgumentError(
            f"no atlas store in {path.parent}: import SIPRI's trade register first "
            "(tether atlas import FILE; download it from "
            "https://www.sipri.org/databases/armstransfers)"
        )
    db = _duckdb()
    try:
        con = db.connect(str(path), read_only=True)
        version = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except db.Error as exc:
        raise TetherError(f"cannot read the atlas store {path}: {exc}") from None
    if version is None or version[0] != SCHEMA_VERSION:
        con.close()
        raise TetherError(f"the atlas store {path} is from another version: import again")
    connection: duckdb.DuckDBPyConnection = con
    return connection


_DEALS = """
CREATE TABLE deals (
    id INTEGER PRIMARY KEY, line INTEGER NOT NULL,
    recipient VARCHAR NOT NULL, supplier VARCHAR NOT NULL,
    order_year INTEGER NOT NULL, order_year_uncertain BOOLEAN NOT NULL,
    number_ordered INTEGER, number_ordered_uncertain BOOLEAN NOT NULL,
    designation VARCHAR NOT NULL, description VARCHAR NOT NULL,
    number_delivered INTEGER NOT NULL, number_delivered_uncertain BOOLEAN NOT NULL,
    delivery_years INTEGER[] NOT NULL, status VARCHAR NOT NULL, comments VARCHAR NOT NULL,
    tiv_unit DOUBLE, tiv_order DOUBLE, tiv_delivered DOUBLE
)"""

_FIELDS = (
    "line",
    "recipient",
    "supplier",
    "order_year",
    "order_year_uncertain",
    "number_ordered",
    "number_ordered_uncertain",
    "designation",
    "description",
    "number_delivered",
    "number_delivered_uncertain",
    "delivery_years",
    "status",
    "comments",
    "tiv_unit",
    "tiv_order",
    "tiv_delivered",
)


def _tables(reg: Register) -> dict[str, Any]:
    import pyarrow as pa

    i32, f64, txt, flag = pa.int32(), pa.float64(), pa.string(), pa.bool_()
    types = (i32, txt, txt, i32, flag, i32, flag, txt, txt, i32, flag, pa.list_(i32))
    types2 = (*types, txt, txt, f64, f64, f64)
    schema = pa.schema([("id", i32), *zip(_FIELDS, types2, strict=True)])

    columns = list(zip(*reg.deals, strict=True)) if reg.deals else [() for _ in _FIELDS]
    cols: dict[str, Any] = dict(zip(_FIELDS, columns, strict=True))
    deals = pa.table({"id": range(len(reg.deals)), **cols}, schema=schema)
    ids: list[int] = []
    years: list[int] = []
    tivs: list[float] = []
    for i, d in enumerate(reg.deals):
        if d.delivery_years:
            share = (d.tiv_delivered or 0.0) / len(d.delivery_years)
            for y in d.delivery_years:
                ids.append(i)
                years.append(y)
                tivs.append(share)
    deal_years = pa.table({"deal": ids, "year": years, "tiv": tivs})
    reported = pa.table(
        {
            "line": [r[0] for r in reg.reported],
            "text": [r[1] for r in reg.reported],
            "reason": [r[2] for r in reg.reported],
        },
        schema=pa.schema([("line", pa.int64()), ("text", pa.string()), ("reason", pa.string())]),
    )
    repaired = pa.table(
        {"line": [r[0] for r in reg.repaired], "what": [r[1] for r in reg.repaired]},
        schema=pa.schema([("line", pa.int64()), ("what", pa.string())]),
    )
    meta = pa.table(
        {
            "key": ["schema", "file", "sha256", "generated", "rows_read", "repaired", "reported"],
            "value": [
                SCHEMA_VERSION,
                Path(reg.file).name,
                reg.sha256,
                reg.generated,
                str(reg.rows_read),
                str(len(reg.repaired)),
                str(len(reg.reported)),
            ],
        }
    )
    return {
        "deals": deals,
        "deal_years": deal_years,
        "reported": reported,
        "repaired": repaired,
        "meta": meta,
    }


def write_store(reg: Register, directory: Path | None = None) -> Path:
    """Replace the store with ``reg``, atomically (a temporary file, then a rename)."""
    duckdb = _duckdb()
    path = store_path(directory)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TetherError(
            f"cannot create the data directory {path.parent}: {exc.strerror}"
        ) from None
    tables = _tables(reg)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".atlas-", suffix=".duckdb.tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise TetherError(
            f"cannot write in the data directory {path.parent}: {exc.strerror}"
        ) from None
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB creates the file itself
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(_DEALS)
            for name, table in tables.items():
                con.register("_src", table)
                if name == "deals":
                    con.execute("INSERT INTO deals SELECT * FROM _src")
                else:
                    con.execute(f"CREATE TABLE {name} AS SELECT * FROM _src")
                con.unregister("_src")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    except (OSError, duckdb.Error) as exc:
        raise TetherError(f"cannot write the atlas store {path}: {exc}") from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return path
