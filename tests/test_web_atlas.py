"""The workbench's atlas route: the recipient x supplier matrix as JSON (4xx, never 500)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("duckdb")

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tether._atlas import atlas_matrix
from tether._atlas.groups import GROUPS
from tether._cli.main import app as cli
from tether._errors import ArgumentError
from tether._web import create_app

ROOT = Path(__file__).resolve().parent.parent
SLICE = ROOT / "examples" / "atlas" / "sipri-trade-register-slice.csv"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("atlas")
    res = CliRunner().invoke(cli, ["atlas", "import", str(SLICE), "--data-dir", str(directory)])
    assert res.exit_code == 0, res.output
    return directory


@pytest.fixture
def client(imported: Path, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(tmp_path / "runs", atlas_dir=imported)) as c:
        yield c


def test_a_group_answers_as_atlas_matrix(client: TestClient, imported: Path) -> None:
    """The shipped slice lacks some of every group's members (Albania, ...): the route
    refuses the group with the atlas's own message, as ``tether atlas matrix`` does."""
    res = client.get("/api/atlas/matrix", params={"group": "nato-europe", "since": 2015})
    with pytest.raises(ArgumentError) as exc:
        atlas_matrix(group="nato-europe", since=2015, data_dir=imported)
    assert res.status_code == 422, res.text
    assert res.json()["error"] == str(exc.value)
    assert "Albania" in str(exc.value)


def test_a_groups_members_in_the_slice(client: TestClient, imported: Path) -> None:
    """nato-europe's members present in the slice, named, give atlas_matrix's matrix."""
    present = ["Bulgaria", "Croatia", "Estonia", "Latvia", "Lithuania", "Poland"]
    assert set(present) <= set(GROUPS["nato-europe"])
    params = {"countries": ",".join(present), "since": 2015}
    res = client.get("/api/atlas/matrix", params=params)
    assert res.status_code == 200, res.text
    got = res.json()
    want = atlas_matrix(countries=present, since=2015, data_dir=imported).to_dict()
    assert {k: got[k] for k in want} == want
    assert got["recipients"] == present
    assert got["suppliers"][-1] == "other"
    assert any(v > 0 for row in got["shares"] for v in row)


def test_matrix_of_countries_and_top(client: TestClient, imported: Path) -> None:
    names = ["Estonia", "Latvia", "Lithuania", "Poland"]
    res = client.get(
        "/api/atlas/matrix", params={"countries": " , ".join(names), "since": 2015, "top": 3}
    )
    assert res.status_code == 200, res.text
    want = atlas_matrix(countries=names, since=2015, top=3, data_dir=imported).to_dict()
    got = res.json()
    assert {k: got[k] for k in want} == want
    assert got["recipients"] == names
    assert len(got["suppliers"]) <= 4
    for row in got["shares"]:
        assert sum(row) == pytest.approx(1.0) or sum(row) == 0


def test_groups_listed(client: TestClient) -> None:
    res = client.get("/api/atlas/groups")
    assert res.status_code == 200
    assert "Poland" in res.json()["nato-europe"]


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"group": "narnia"}, 422, "no group 'narnia'; groups: nato-europe"),
        ({"countries": "Estonia,Atlantis"}, 422, "Atlantis"),
        ({}, 422, "name a group"),
        ({"countries": ","}, 422, "name a group"),
        ({"countries": "Poland", "since": 1200}, 422, "1900..2200"),
        ({"group": "nato-europe", "since": "soon"}, 422, "since"),
        ({"group": "nato-europe", "top": 0}, 422, "top must be from 1 to 30"),
        ({"group": "nato-europe", "top": 31}, 422, "top must be from 1 to 30"),
        ({"countries": ",".join(["Estonia"] * 101)}, 422, "at most 100"),
    ],
)
def test_bad_queries_are_refused_with_a_message(
    client: TestClient, params: dict[str, object], status: int, words: str
) -> None:
    res = client.get("/api/atlas/matrix", params=params)
    assert res.status_code == status, res.text
    assert words in res.json()["error"]


def test_no_store_tells_the_user_to_import(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "runs", atlas_dir=tmp_path / "empty")) as c:
        res = c.get("/api/atlas/matrix", params={"group": "nato-europe"})
        assert res.status_code == 409
        assert "tether atlas import FILE" in res.json()["error"]
        # a bad group is still named first: the query is checked before the store
        assert c.get("/api/atlas/matrix", params={"group": "x"}).status_code == 422


def test_default_atlas_dir_is_the_atlas_own(
    imported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``atlas_dir``, the app reads where ``tether atlas import`` writes by default."""
    monkeypatch.setenv("TETHER_DATA_DIR", str(imported))
    with TestClient(create_app(tmp_path / "runs")) as c:
        res = c.get("/api/atlas/matrix", params={"countries": "Poland"})
        assert res.status_code == 200, res.text
        assert res.json()["recipients"] == ["Poland"]
    monkeypatch.setenv("TETHER_DATA_DIR", str(tmp_path / "none"))
    with TestClient(create_app(tmp_path / "runs")) as c:
        assert c.get("/api/atlas/matrix", params={"countries": "Poland"}).status_code == 409
