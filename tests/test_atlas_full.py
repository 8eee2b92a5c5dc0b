"""``tether atlas`` on the full 2026 register (SIPRI's export of 18 May 2026).

The file is not shipped (SIPRI's terms): these tests look for it beside the repository, in
``../shared/data/sipri``, and skip when it is absent. Independent figures come from pandas
on the raw file. Slow (a full import): run with ``-m slow``.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from tether._atlas.groups import GROUPS
from tether._atlas.store import STORE_NAME
from tether._cli.main import app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def register_file() -> Path:
    path = ROOT.parent / "shared" / "data" / "sipri" / "trade-register-2026-05.csv"
    if not path.is_file():
        pytest.skip(f"the full SIPRI register is not at {path}")
    return path


@pytest.fixture(scope="module")
def raw(register_file: Path) -> pd.DataFrame:
    """The raw file, read by pandas alone."""
    return pd.read_csv(register_file, skiprows=11, encoding="latin-1", keep_default_na=False)


@pytest.fixture(scope="module")
def imported(register_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("atlas-full")
    res = runner.invoke(app, ["atlas", "import", str(register_file), "--data-dir", str(directory)])
    assert res.exit_code == 0, res.output
    return directory, res.output


def test_every_row_is_accounted_for(
    register_file: Path, imported: tuple[Path, str], raw: pd.DataFrame
) -> None:
    directory, output = imported
    assert len(raw) == 29_916
    assert "rows read 29916, imported 29916 (repaired 0), reported 0" in output
    lines = register_file.read_text(encoding="latin-1").splitlines()
    data_lines = {i + 1 for i, ln in enumerate(lines) if i > 11 and ln.strip()}
    con = duckdb.connect(str(directory / STORE_NAME), read_only=True)
    got = {
        r[0]
        for r in con.execute(
            "SELECT line FROM deals UNION ALL SELECT line FROM reported"
        ).fetchall()
    }
    assert got == data_lines
    n = con.execute("SELECT count(*), sum(tiv_delivered) FROM deals").fetchone()
    assert n is not None and n[0] == 29_916
    assert n[1] == pytest.approx(raw["SIPRI TIV of delivered weapons"].astype(float).sum())


def pandas_shares(raw: pd.DataFrame, recipient: str, since: int | None) -> pd.Series:
    rows = raw[(raw["Recipient"] == recipient) & (raw["Year(s) of delivery"] != "")].copy()
    tiv = rows["SIPRI TIV of delivered weapons"].astype(float)
    if since is not None:
        years = rows["Year(s) of delivery"].str.split("; ")
        tiv = tiv * years.map(lambda ys: sum(int(y) >= since for y in ys) / len(ys))
    by = tiv.groupby(rows["Supplier"]).sum()
    return by / by.sum()


RECIPIENTS = [
    "Poland",
    "Japan",
    "Taiwan",
    "Saudi Arabia",
    "Australia",
    "India",
    "Greece",
    "Ukraine",
]


@pytest.mark.parametrize("since", [None, 2015])
def test_us_share_matches_pandas(
    imported: tuple[Path, str], raw: pd.DataFrame, since: int | None
) -> None:
    directory, _ = imported
    for recipient in RECIPIENTS:
        args = ["atlas", "show", recipient, "--json", "--data-dir", str(directory)]
        res = runner.invoke(app, args + (["--since", str(since)] if since else []))
        assert res.exit_code == 0, res.output
        got = {s["supplier"]: s["share"] for s in json.loads(res.stdout)["suppliers"]}
        want = pandas_shares(raw, recipient, since)
        assert round(got.get("United States", 0.0), 3) == round(
            float(want.get("United States", 0.0)), 3
        ), recipient
        assert 0.01 < got["United States"] < 1.0, recipient  # the check is not vacuous


def test_groups_name_real_recipients_and_the_matrix_matches_pandas(
    imported: tuple[Path, str], raw: pd.DataFrame
) -> None:
    directory, _ = imported
    recipients = set(raw["Recipient"])
    for group, members in GROUPS.items():
        assert set(members) <= recipients, group
    res = runner.invoke(
        app, ["atlas", "matrix", "--group", "nato-europe", "--json", "--data-dir", str(directory)]
    )
    assert res.exit_code == 0, res.output
    m = json.loads(res.stdout)
    assert len(m["recipients"]) == 30
    us = m["suppliers"].index("United States")
    for name, row in zip(m["recipients"], m["shares"], strict=True):
        assert sum(row) == pytest.approx(1.0)
        assert round(row[us], 3) == round(
            float(pandas_shares(raw, name, None).get("United States", 0.0)), 3
        )


@pytest.mark.parametrize(
    "country", ["Poland", "Japan", "Taiwan", "Greece", "Ukraine", "Netherlands", "Saudi Arabia"]
)
def test_draft_force_validates(imported: tuple[Path, str], tmp_path: Path, country: str) -> None:
    directory, _ = imported
    out = tmp_path / "draft.yaml"
    res = runner.invoke(
        app, ["atlas", "draft-force", country, "-o", str(out), "--data-dir", str(directory)]
    )
    assert res.exit_code == 0, res.output
    check = runner.invoke(app, ["validate", str(out)])
    assert check.exit_code == 0, check.output + out.read_text()
