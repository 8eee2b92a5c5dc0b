"""The atlas on SIPRI's full trade register: the import, and a 30-country matrix.

(a) import: ``tether atlas import`` 's work in process (parse the export, every row checked,
    broken rows joined, then the DuckDB store written to a temporary file and renamed),
    against pandas doing the same job the straightforward way in the same run:
    ``pandas.read_csv`` on the export (skipping the preamble), the delivery years split
    into lists, the table written to a Parquet store (no row checks, no repair).
(b) matrix: the 30 recipients of ``nato-europe`` x their top 6 suppliers and ``other``,
    from the store (``tether._atlas.query.matrix``), against pandas computing the same
    shares from the DataFrame it already holds in memory (filter, group, pivot, divide).

Times are the best of ``--reps`` runs, wall clock and CPU. The last lines are
``ratio atlas-NAME: VALUE``: pandas' CPU seconds over tether's (above 1: tether is faster).

The register is SIPRI's and is not shipped: pass it with ``--file`` (by default the copy
beside the repository, ``../shared/data/sipri/trade-register-2026-05.csv``).

Run: python benchmarks/atlas.py [--file PATH] [--reps N]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from tether._atlas.groups import GROUPS
from tether._atlas.parse import parse_file
from tether._atlas.query import matrix
from tether._atlas.store import open_store, write_store

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "data" / "sipri" / "trade-register-2026-05.csv"


def _time(fn: Callable[[], Any], reps: int) -> tuple[float, float, Any]:
    wall = cpu = float("inf")
    out = None
    for _ in range(reps):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


def pandas_import(path: Path, out: Path) -> pd.DataFrame:
    with path.open(encoding="latin-1") as f:
        skip = next(i for i, line in enumerate(f) if line.startswith("Recipient,Supplier,"))
    df = pd.read_csv(path, skiprows=skip, encoding="latin-1", keep_default_na=False)
    df["Year(s) of delivery"] = df["Year(s) of delivery"].map(
        lambda s: [int(y) for y in s.split("; ")] if s else []
    )
    for col in (
        "SIPRI TIV per unit",
        "SIPRI TIV for total order",
        "SIPRI TIV of delivered weapons",
    ):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df.to_parquet(out / "register.parquet")
    return df


def pandas_matrix(df: pd.DataFrame, recipients: list[str], top: int = 6) -> pd.DataFrame:
    rows = df[df["Recipient"].isin(recipients)]
    wide = rows.pivot_table(
        index="Recipient",
        columns="Supplier",
        values="SIPRI TIV of delivered weapons",
        aggfunc="sum",
        fill_value=0.0,
    ).reindex(recipients, fill_value=0.0)
    shares = wide.div(wide.sum(axis=1), axis=0)
    keep = shares.sum().sort_values(ascending=False).index[:top]
    out = shares[keep].copy()
    out["other"] = shares.drop(columns=keep).sum(axis=1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    if not args.file.is_file():
        raise SystemExit(f"no register at {args.file}: pass --file (SIPRI's trade-register CSV)")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"register: {args.file} ({args.file.stat().st_size / 1e6:.1f} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        ours_dir, theirs_dir = Path(tmp) / "tether", Path(tmp) / "pandas"
        theirs_dir.mkdir()

        def ours_import() -> int:
            reg = parse_file(args.file)
            write_store(reg, ours_dir)
            return reg.rows_read

        w1, c1, rows = _time(ours_import, args.reps)
        w2, c2, df = _time(lambda: pandas_import(args.file, theirs_dir), args.reps)
        print(f"import, tether: {rows} rows, best wall {w1:.3f} s, CPU {c1:.3f} s")
        print(f"import, pandas: {len(df)} rows, best wall {w2:.3f} s, CPU {c2:.3f} s")

        recipients = list(GROUPS["nato-europe"])
        con = open_store(ours_dir)
        try:
            w3, c3, m = _time(lambda: matrix(con, recipients), args.reps * 4)
        finally:
            con.close()
        w4, c4, pm = _time(lambda: pandas_matrix(df, recipients), args.reps * 4)
        diff = (m.shares["United States"] - pm["United States"]).abs().max()
        shape = f"{len(recipients)} x {m.shares.shape[1]}"
        print(f"matrix {shape}, tether: best wall {w3 * 1e3:.1f} ms, CPU {c3 * 1e3:.1f} ms")
        print(f"matrix {shape}, pandas: best wall {w4 * 1e3:.1f} ms, CPU {c4 * 1e3:.1f} ms")
        print(f"largest difference in the US share column: {diff:.2e}")
    print(f"ratio atlas-import: {c2 / c1:.2f}")
    print(f"ratio atlas-matrix: {c4 / c3:.2f}")


if __name__ == "__main__":
    main()
