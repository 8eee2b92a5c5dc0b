"""``tether atlas`` on the shipped slice of SIPRI's trade register (examples/atlas/).

Independent figures come from the raw file, read here with the csv module: not through the
atlas's parser or store.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tether._atlas.draft import FLEETS, MUNITIONS
from tether._atlas.parse import NCOL, parse_bytes
from tether._atlas.store import STORE_NAME, data_dir
from tether._cli.main import app
from tether._errors import InputError

ROOT = Path(__file__).resolve().parent.parent
SLICE = ROOT / "examples" / "atlas" / "sipri-trade-register-slice.csv"
runner = CliRunner()


def raw_rows(path: Path = SLICE) -> list[list[str]]:
    lines = path.read_text(encoding="latin-1").splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("Recipient,Supplier,"))
    return [r for r in csv.reader(lines[head + 1 :]) if r]


def atlas(*args: str) -> Any:
    return runner.invoke(app, ["atlas", *args])


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the imported slice (read only: tests that change a store
    use :func:`store`)."""
    directory = tmp_path_factory.mktemp("atlas")
    res = atlas("import", str(SLICE), "--data-dir", str(directory))
    assert res.exit_code == 0, res.output
    return directory


@pytest.fixture
def store(imported: Path, tmp_path: Path) -> Path:
    """A data directory of this test's own, holding the imported slice."""
    shutil.copyfile(imported / STORE_NAME, tmp_path / STORE_NAME)
    return tmp_path


def dump(directory: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(directory / STORE_NAME), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    finally:
        con.close()


# -- import ----------------------------------------------------------------------------


def test_slice_is_under_three_percent_and_credited() -> None:
    assert len(raw_rows()) / 29_916 < 0.03
    head = SLICE.read_text(encoding="latin-1")[:3000]
    assert "Information from the SIPRI Arms Transfers Database" in head
    readme = (SLICE.parent / "README.md").read_text(encoding="utf-8")
    assert "non-commercial" in readme and "not** covered by tether's" in readme


def test_import_counts_every_row(tmp_path: Path) -> None:
    res = atlas("import", str(SLICE), "--data-dir", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "rows read 590, imported 590 (repaired 0), reported 0" in res.output
    tables = dump(tmp_path)
    assert len(tables["deals"]) == len(raw_rows()) == 590
    assert tables["reported"] == [] and tables["repaired"] == []


def test_import_keeps_markers_historical_states_and_zero_tiv(imported: Path) -> None:
    con = duckdb.connect(str(imported / STORE_NAME), read_only=True)
    names = {
        r[0]
        for r in con.execute(
            "SELECT recipient FROM deals UNION SELECT supplier FROM deals"
        ).fetchall()
    }
    assert {"Hezbollah (Lebanon)*", "NATO**", "Soviet Union", "East Germany (GDR)"} <= names
    zero = con.execute(
        "SELECT count(*) FROM deals WHERE tiv_delivered = 0 AND number_delivered = 0"
    ).fetchone()
    assert zero is not None and zero[0] == sum(r[15] == "0" and r[8] == "0" for r in raw_rows())
    years = con.execute(
        "SELECT delivery_years FROM deals WHERE recipient = 'Poland' AND designation = 'F-35A Lightning-2'"
    ).fetchall()
    assert years and all(isinstance(y[0], list) for y in years)


def test_reimport_gives_the_same_store(store: Path) -> None:
    before = dump(store)
    res = atlas("import", str(SLICE), "--data-dir", str(store))
    assert res.exit_code == 0, res.output
    assert dump(store) == before


def test_data_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_DATA_DIR", str(tmp_path / "env"))
    assert data_dir() == tmp_path / "env"
    assert data_dir(tmp_path / "flag") == tmp_path / "flag"
    res = atlas("import", str(SLICE))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "env" / STORE_NAME).is_file()


def test_no_store_is_a_clear_error(tmp_path: Path) -> None:
    res = atlas("show", "Poland", "--data-dir", str(tmp_path))
    assert res.exit_code == 2
    assert "tether atlas import FILE" in res.output and "Traceback" not in res.output


# -- a release with rows broken across lines -------------------------------------------


def broken_release(every: int = 3) -> tuple[bytes, int]:
    """The slice as a release that breaks rows inside comments (and descriptions): every
    ``every``-th row with a comment gets a line break (some two, some CRLF)."""
    text = SLICE.read_text(encoding="latin-1")
    lines = text.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("Recipient,Supplier,"))
    out, broken, k = lines[: head + 1], 0, 0
    for line in lines[head + 1 :]:
        f = line.split(",")
        if "; " in f[12]:
            k += 1
            if k % every == 0:
                f[12] = f[12].replace("; ", ";\n", 2 if k % 2 else 1)
                if k % 5 == 0 and " " in f[7]:
                    f[7] = f[7].replace(" ", "\r\n", 1)
                broken += 1
        out.append(",".join(f))
    return ("\n".join(out) + "\n").encode("latin-1"), broken


def test_a_release_with_broken_rows_imports_every_row_intact(tmp_path: Path) -> None:
    data, broken = broken_release()
    assert broken > 50
    path = tmp_path / "broken.csv"
    path.write_bytes(data)
    res = atlas("import", str(path), "--data-dir", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert f"rows read 590, imported 590 (repaired {broken}), reported 0" in res.output
    con = duckdb.connect(str(tmp_path / STORE_NAME), read_only=True)
    got = con.execute(
        "SELECT recipient, supplier, order_year, designation, replace(description, chr(10), ' '),"
        " number_delivered, replace(comments, chr(10), ' '), tiv_delivered FROM deals ORDER BY id"
    ).fetchall()
    want = [
        (r[0], r[1], int(r[2]), r[6], r[7].strip(), int(r[8]), r[12].strip(), float(r[15]))
        for r in raw_rows()
    ]
    assert got == want
    # The repaired rows are named by the line they start on, in the broken file.
    lines = data.decode("latin-1").split("\n")
    for (line,) in con.execute("SELECT line FROM repaired").fetchall():
        assert lines[line - 1].count(",") < NCOL - 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(st.integers(0, 589), min_size=1, max_size=25),
    cuts=st.lists(st.floats(0.0, 1.0), min_size=25, max_size=25),
)
def test_breaks_anywhere_in_free_text_are_repaired(picks: list[int], cuts: list[float]) -> None:
    rows = raw_rows()
    header = "Recipient,Supplier,Year of order, ,Number ordered, ,Weapon designation,Weapon description,Number delivered, ,Year(s) of delivery,status,Comments,SIPRI TIV per unit,SIPRI TIV for total order,SIPRI TIV of delivered weapons"
    body = []
    for j, i in enumerate(picks):
        f = list(rows[i])
        col = (12, 7, 6)[j % 3]
        cut = int(cuts[j] * len(f[col]))
        f[col] = f[col][:cut] + "\n" + f[col][cut:]
        body.append(",".join(f))
    reg = parse_bytes(("preamble\n" + header + "\n" + "\n".join(body) + "\n").encode("latin-1"))
    assert len(reg.deals) == len(picks) and not reg.reported
    for j, (deal, i) in enumerate(zip(reg.deals, picks, strict=True)):
        r = rows[i]
        assert (deal.recipient, deal.supplier, deal.number_delivered) == (r[0], r[1], int(r[8]))
        # one preamble line and the header, then two physical lines a row
        assert deal.tiv_delivered == float(r[15]) and deal.line == 3 + 2 * j
        texts = {6: deal.designation, 7: deal.description, 12: deal.comments}
        for col, value in texts.items():
            assert value.replace("\n", "") == r[col].strip()
            assert value.count("\n") <= (col == (12, 7, 6)[j % 3])


def test_malformed_rows_are_reported_with_their_line(tmp_path: Path) -> None:
    lines = SLICE.read_text(encoding="latin-1").splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("Recipient,Supplier,"))
    bad_year = lines[head + 3].split(",")
    bad_year[2] = "19x9"
    lines[head + 3] = ",".join(bad_year)
    lines.insert(head + 10, "a stray line")
    path = tmp_path / "bad-rows.csv"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    res = atlas("import", str(path), "--data-dir", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "rows read 591, imported 589 (repaired 0), reported 2" in res.output
    assert f"bad-rows.csv:{head + 4}: row left out: year of order is '19x9'" in res.output
    assert f"bad-rows.csv:{head + 11}: row left out: 1 fields, not 16" in res.output
    assert [r[0] for r in dump(tmp_path)["reported"]] == [head + 4, head + 11]


# -- bad input: exit 2, store unchanged --------------------------------------------------


def _bad_inputs(tmp: Path) -> dict[str, tuple[bytes, str]]:
    data = SLICE.read_bytes()
    return {
        "not-sipri.csv": (b"name,value\na,1\nb,2\n", "not a SIPRI trade-register export"),
        "force.yaml": ((ROOT / "examples" / "single-fleet.yaml").read_bytes(), "no header line"),
        "truncated.csv": (data[: len(data) // 2 + 37], "truncated"),
        "utf16.csv": (data.decode("latin-1").encode("utf-16"), "UTF-16"),
        "utf16-nobom.csv": (data.decode("latin-1").encode("utf-16-le"), "UTF-16"),
        "binary.csv": (bytes(range(256)) * 64, "binary"),
        "empty.csv": (b"", "empty file"),
        "header-only.csv": (data[: data.index(b"\n", data.index(b"\nRecipient,") + 1)], "no rows"),
        "other-columns.csv": (
            data.replace(b"Year of order, ,Number ordered", b"Year of order,Number ordered", 1),
            "the header has 15 columns",
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "not-sipri.csv",
        "force.yaml",
        "truncated.csv",
        "utf16.csv",
        "utf16-nobom.csv",
        "binary.csv",
        "empty.csv",
        "header-only.csv",
        "other-columns.csv",
    ],
)
def test_bad_input_exits_2_and_leaves_the_store(store: Path, name: str) -> None:
    before = dump(store)
    data, message = _bad_inputs(store)[name]
    path = store / name
    path.write_bytes(data)
    res = atlas("import", str(path), "--data-dir", str(store))
    assert res.exit_code == 2, res.output
    assert message in res.output and name in res.output
    assert "Traceback" not in res.output and res.output.count("error:") == 1
    assert dump(store) == before
    assert sorted(
        p.name for p in store.iterdir() if p.suffix != ".csv" and p.suffix != ".yaml"
    ) == [STORE_NAME]


def test_truncated_file_names_the_line() -> None:
    data = SLICE.read_bytes()
    cut = data[: data.rindex(b"\n", 0, len(data) - 1) + 30]
    with pytest.raises(InputError) as info:
        parse_bytes(cut, "t.csv")
    (d,) = info.value.diagnostics
    assert d.file == "t.csv" and d.line == data.count(b"\n") and "truncated" in d.message


# -- show ------------------------------------------------------------------------------


def independent_shares(
    rows: list[list[str]], recipient: str, since: int | None = None
) -> dict[str, float]:
    tiv: dict[str, float] = defaultdict(float)
    for r in rows:
        if r[0] != recipient or not r[10]:
            continue
        years = [int(y) for y in r[10].split("; ")]
        value = float(r[15] or 0)
        if since is not None:
            value *= sum(y >= since for y in years) / len(years)
        tiv[r[1]] += value
    total = sum(tiv.values())
    return {k: v / total for k, v in tiv.items() if v}


@pytest.mark.parametrize("since", [None, 2015])
def test_show_shares_match_an_independent_sum(imported: Path, since: int | None) -> None:
    args = ["show", "poland", "--json", "--data-dir", str(imported)]
    res = atlas(*args, *(["--since", str(since)] if since else []))
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["recipient"] == "Poland"
    got = {s["supplier"]: s["share"] for s in payload["suppliers"] if s["share"] > 0}
    want = independent_shares(raw_rows(), "Poland", since)
    assert set(got) == set(want)
    for k in want:
        assert got[k] == pytest.approx(want[k], abs=5e-4)
    assert sum(got.values()) == pytest.approx(1.0)
    assert payload["suppliers"][0]["systems"]
    assert (
        any(p["designation"] == "K-2 Black Panther" for p in payload["pending"])
        or payload["pending"]
    )


def test_show_table_and_markers(imported: Path) -> None:
    res = atlas("show", "Hezbollah (Lebanon)", "--data-dir", str(imported))
    assert res.exit_code == 0, res.output
    assert "Hezbollah (Lebanon)*" in res.output and "Information from the SIPRI" in res.output
    res = atlas("show", "poland", "--data-dir", str(imported))
    assert "United States" in res.output and "orders not yet delivered" in res.output


def test_show_suggests_near_names(imported: Path) -> None:
    res = atlas("show", "Polnad", "--data-dir", str(imported))
    assert res.exit_code == 2
    assert "did you mean 'Poland'" in res.output
    res = atlas("show", "Soviet Union", "--data-dir", str(imported))
    assert res.exit_code == 2 and "appears only as a supplier" in res.output


# -- matrix ----------------------------------------------------------------------------


def test_matrix_rows_are_shares(imported: Path) -> None:
    res = atlas(
        "matrix",
        "--countries",
        "Estonia,latvia,Lithuania,Poland",
        "--top",
        "3",
        "--json",
        "--data-dir",
        str(imported),
    )
    assert res.exit_code == 0, res.output
    m = json.loads(res.stdout)
    assert m["recipients"] == ["Estonia", "Latvia", "Lithuania", "Poland"]
    assert len(m["suppliers"]) == 4 and m["suppliers"][-1] == "other"
    for row in m["shares"]:
        assert sum(row) == pytest.approx(1.0)
    rows = raw_rows()
    for i, name in enumerate(m["recipients"]):
        want = independent_shares(rows, name)
        for j, sup in enumerate(m["suppliers"][:-1]):
            assert m["shares"][i][j] == pytest.approx(want.get(sup, 0.0), abs=5e-4)


def test_matrix_function_returns_a_dataframe(imported: Path) -> None:
    from tether._atlas.query import matrix
    from tether._atlas.store import open_store

    con = open_store(imported)
    try:
        m = matrix(con, ["Estonia", "Latvia"], since=2010, top=2)
    finally:
        con.close()
    assert list(m.shares.index) == ["Estonia", "Latvia"]
    assert m.shares.columns[-1] == "other"
    assert m.shares.sum(axis=1).round(9).tolist() == [1.0, 1.0]


def test_matrix_table_and_errors(imported: Path) -> None:
    res = atlas("matrix", "--group", "nato-europe", "--data-dir", str(imported))
    assert res.exit_code == 2 and "no recipient 'Albania'" in res.output
    res = atlas("matrix", "--countries", "Estonia,Latvia", "--data-dir", str(imported))
    assert res.exit_code == 0 and "Estonia" in res.output and "other" in res.output
    res = atlas("matrix", "--data-dir", str(imported))
    assert res.exit_code == 2 and "--group" in res.output


# -- draft-force -----------------------------------------------------------------------


def test_mapping_targets_are_catalogue_entries() -> None:
    import tether

    doc = tether.load_text("{}\n", "<catalogue>")
    systems = {s.name: {m.name for m in s.munitions} for s in doc.systems}
    for match in FLEETS.values():
        assert match.system in systems
    for system, munition in MUNITIONS.values():
        assert munition in systems[system]


@pytest.mark.parametrize("country", ["Poland", "estonia", "Lithuania", "NATO"])
def test_draft_force_validates(imported: Path, tmp_path: Path, country: str) -> None:
    out = tmp_path / f"{country}.yaml"
    res = atlas("draft-force", country, "-o", str(out), "--data-dir", str(imported))
    assert res.exit_code == 0, res.output
    check = runner.invoke(app, ["validate", str(out)])
    assert check.exit_code == 0, check.output + out.read_text()
    assert "Information from the SIPRI Arms Transfers Database" in out.read_text()


def test_draft_force_poland_fleets(imported: Path) -> None:
    import yaml

    res = atlas("draft-force", "Poland", "--data-dir", str(imported))
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(res.stdout)
    (force,) = doc["forces"]
    fleets = {f["name"]: f for f in force["fleets"]}
    rows = raw_rows()

    def delivered(designation: str) -> int:
        return sum(int(r[8]) for r in rows if r[0] == "Poland" and r[6] == designation)

    assert fleets["f-35a-lightning-2"]["system"] == "f-35a"
    assert fleets["f-35a-lightning-2"]["units"] == delivered("F-35A Lightning-2")
    assert fleets["k-9-thunder-155mm"]["units"] == delivered("K-9 Thunder 155mm")
    assert fleets["himars"]["munitions"]["gmlrs"]["stock"] == delivered("GMLRS")
    assert "# Holdings with no catalogue system type" in res.stdout
    assert "Leopard-2A5" in res.stdout  # unmatched, listed for the user


def test_draft_force_nets_out_what_the_register_shows_passed_on(imported: Path) -> None:
    rows = raw_rows()
    passed: dict[str, int] = defaultdict(int)
    got: dict[str, int] = defaultdict(int)
    for r in rows:
        if r[1] == "Poland" and r[11].startswith("Second hand") and int(r[8]):
            passed[r[6]] += int(r[8])
        if r[0] == "Poland":
            got[r[6]] += int(r[8])
    both = sorted(d for d in passed if got[d])
    assert both, "the slice should hold a designation Poland both received and passed on"
    res = atlas("draft-force", "Poland", "--data-dir", str(imported))
    for d in both:
        net = max(got[d] - passed[d], 0)
        assert any(
            line.startswith(f"#   {d} |") and line.split(" | ")[3:5] == [str(got[d]), str(net)]
            for line in res.stdout.splitlines()
        ), d


def test_draft_force_without_matches_drafts_no_force(imported: Path, tmp_path: Path) -> None:
    res = atlas("draft-force", "African Union**", "--data-dir", str(imported))
    assert res.exit_code == 0
    assert "forces:" not in res.stdout and "no holding matches" in res.output


HEADER = "Recipient,Supplier,Year of order, ,Number ordered, ,Weapon designation,Weapon description,Number delivered, ,Year(s) of delivery,status,Comments,SIPRI TIV per unit,SIPRI TIV for total order,SIPRI TIV of delivered weapons"


def test_quoted_fields_bom_crlf_and_trailing_commas() -> None:
    body = (
        "\ufeffnote\r\n" + HEADER + "\r\n"
        'Chile,"United States",2018,?,6,,F-16C,"fighter, ground-attack",6,,2019;2020,Second hand,"ex-US; line one\r\nline two, with a comma",10,60,60\r\n'
        "Peru,France,2001,,2,,Mirage-2000-5,fighter,2,?,2002,New,,20,40,40,,\r\n"
    )
    reg = parse_bytes(body.encode("utf-8"), "q.csv")
    assert len(reg.deals) == 2 and not reg.reported
    chile, peru = reg.deals
    assert chile.description == "fighter, ground-attack" and chile.delivery_years == (2019, 2020)
    assert chile.comments == "ex-US; line one\nline two, with a comma" and chile.line == 3
    assert peru.tiv_delivered == 40.0 and peru.number_delivered_uncertain
    assert reg.repaired == [
        (3, "joined 2 lines broken inside a field"),
        (5, "dropped 2 empty trailing field(s)"),
    ]


def test_a_non_ascii_digit_is_reported_not_read() -> None:
    body = (
        HEADER
        + "\nChile,Peru,2018,,\u00b2,,X,y,1,,2019,New,,1,1,1\nChile,Peru,2018,,2,,X,y,1,,2019,New,,1,1,1\n"
    )
    reg = parse_bytes(body.encode("latin-1"), "d.csv")
    assert [r[0] for r in reg.reported] == [2] and "not a whole number" in reg.reported[0][2]
    assert len(reg.deals) == 1


def test_atlas_matrix_for_the_web(imported: Path) -> None:
    from tether._atlas import atlas_matrix
    from tether._errors import ArgumentError

    m = atlas_matrix(countries=["Latvia", "lithuania"], top=2, data_dir=imported)
    assert list(m.shares.index) == ["Latvia", "Lithuania"] and m.shares.shape == (2, 3)
    with pytest.raises(ArgumentError, match="no group 'nordic'"):
        atlas_matrix(group="nordic", data_dir=imported)


def test_a_failed_write_leaves_the_old_store_and_no_litter(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tether._atlas import store as store_module

    before = dump(store)
    monkeypatch.setattr(store_module, "_DEALS", "CREATE TABLE deals (broken")
    res = atlas("import", str(SLICE), "--data-dir", str(store))
    assert res.exit_code == 1 and "cannot write the atlas store" in res.output
    assert dump(store) == before
    assert [p.name for p in store.iterdir()] == [STORE_NAME]


def test_platform_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    monkeypatch.delenv("TETHER_DATA_DIR", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "tether"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert data_dir() == Path.home() / ".local" / "share" / "tether"
