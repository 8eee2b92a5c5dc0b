"""The workbench's sensitivity route: the analysis as JSON, the tables and chart the
Sensitivity tab draws; bad requests answered 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

import tether
from tether._analysis.sensitivity import sensitivity
from tether._web import create_app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "single-fleet.yaml"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(tmp_path / "runs")) as c:
        yield c


def test_the_route_answers_what_the_analysis_returns(client: TestClient) -> None:
    body = {"yaml": EXAMPLE.read_text(), "trajectories": 2, "samples": 4, "ranking": 3}
    r = client.post("/api/sensitivity", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    want = sensitivity(tether.load(EXAMPLE), trajectories=2, samples=4, ranking=3).to_dict()
    assert {k: data[k] for k in want} == want
    assert len(data["tables"]["rows"]["capability_days_lost"]) == 8
    assert data["tables"]["ranking"][0][1] == "US: all"
    assert len(data["chart"]["data"]) == 6
    assert client.get("/static/sensitivity.js").status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"trajectories": 500}, 422),
        ({"samples": 6}, 400),
        ({"force": "nope"}, 422),
        ({"yaml": "forces: [{name: x}]\n"}, 422),
    ],
)
def test_bad_requests(client: TestClient, body: dict[str, object], status: int) -> None:
    r = client.post("/api/sensitivity", json={"yaml": EXAMPLE.read_text(), **body})
    assert r.status_code == status, r.text
    assert r.json()["error"]
