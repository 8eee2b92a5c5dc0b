"""The workbench's sensitivity route: which assumptions move a force's results, and how
the exposure ranking holds over their ranges (``POST /api/sensitivity``).

It runs :func:`tether.sensitivity` on the request's YAML (checked like a run's) with the
bounds below, and answers its JSON plus the chart (plotly dicts) and the table rows the
Sensitivity tab draws; it formats nothing the analysis did not return.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tether._errors import ArgumentError

__all__ = [
    "MAX_RANKING",
    "MAX_SAMPLES",
    "MAX_TRAJECTORIES",
    "SensitivityBody",
    "sensitivity_router",
]

#: Bounds of one request (the analysis runs while the request waits).
MAX_TRAJECTORIES = 20
MAX_SAMPLES = 256
MAX_RANKING = 64


class SensitivityBody(BaseModel):
    """A sensitivity request: the YAML, and the force or scenario (the file's first
    scenario when neither is given)."""

    yaml: str = Field("{}\n", max_length=1_000_000)
    force: str | None = None
    scenario: str | None = None
    trajectories: int = Field(4, ge=2, le=MAX_TRAJECTORIES)
    samples: int = Field(32, ge=2, le=MAX_SAMPLES)
    ranking: int = Field(16, ge=0, le=MAX_RANKING)
    seed: int = Field(0, ge=0)


def sensitivity_router() -> APIRouter:
    """``POST /api/sensitivity``."""
    router = APIRouter()

    @router.post("/api/sensitivity")
    def run(body: SensitivityBody, request: Request) -> dict[str, Any]:
        from tether._analysis.sensitivity import sensitivity
        from tether._report.sensitivity import (
            LABELS,
            RANKING_HEADER,
            SENSITIVITY_HEADER,
            ranking_rows,
            sensitivity_chart,
            sensitivity_rows,
        )
        from tether._web.app import _check_document

        if body.samples & (body.samples - 1):
            raise ArgumentError(f"samples must be a power of 2, not {body.samples}")
        doc = _check_document(body.yaml, request.app.state.limits)
        s = sensitivity(
            doc,
            body.force or None,
            scenario=body.scenario or None,
            trajectories=body.trajectories,
            samples=body.samples,
            ranking=body.ranking,
            seed=body.seed,
        )
        out = s.to_dict()
        out["chart"] = sensitivity_chart(s)
        out["tables"] = {
            "labels": LABELS,
            "header": list(SENSITIVITY_HEADER),
            "rows": {r: sensitivity_rows(s, r) for r in LABELS},
            "ranking_header": list(RANKING_HEADER),
            "ranking": ranking_rows(s.ranking),
        }
        return out

    return router
