"""The web workbench: a FastAPI app over the catalogue, the scenario format and the runs.

Everything is served from the installed package (the page, its script and style, and
plotly's bundled library): the workbench works offline. No request names a path on the
server: YAML comes in the request body and is parsed by tether's safe loader with its
limits; downloads are named by run id and a fixed file name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from tether._errors import Diagnostic, InputError, TetherError
from tether._web.jobs import KINDS, JobRunner
from tether._web.limits import Guard, Limits
from tether._web.store import Store

__all__ = ["create_app"]

STATIC = Path(__file__).parent / "static"
_STATIC_FILES = {
    "app.js": "text/javascript",
    "app.css": "text/css",
    "sensitivity.js": "text/javascript",
}
_DOWNLOADS = {
    "input.yaml": "application/yaml",
    "result.json": "application/json",
    "report.html": "text/html",
    **{f"{stem}.csv": "text/csv" for stem in ("areas", "fleets", "summary")},
    **{f"{stem}.parquet": "application/vnd.apache.parquet" for stem in ("areas", "fleets")},
    "summary.parquet": "application/vnd.apache.parquet",
    "exposure.csv": "text/csv",
    "exposure.parquet": "application/vnd.apache.parquet",
    "curve.csv": "text/csv",
    "curve.parquet": "application/vnd.apache.parquet",
    "comparison.csv": "text/csv",
    "comparison.parquet": "application/vnd.apache.parquet",
}
_CLIENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class YamlBody(BaseModel):
    yaml: str


class FormBody(BaseModel):
    force: str = Field(min_length=1, max_length=200)
    target: Literal["jurisdiction", "supplier"] = "jurisdiction"
    name: str = Field(min_length=1, max_length=200)
    kinds: list[str] = Field(default_factory=lambda: ["all"], min_length=1, max_length=10)
    start: int = Field(0, ge=0)
    length: int | None = Field(None, ge=1)
    horizon: int = Field(365, ge=1)


class RunBody(BaseModel):
    kind: Literal["simulate", "exposure", "optimise", "compare"] = "simulate"
    yaml: str = "{}\n"
    scenario: str | None = None
    scenarios: list[str] = Field(default_factory=list)
    engine: Literal["analytic", "montecarlo"] = "analytic"
    reps: int = 1000
    seed: int = Field(0, ge=0, le=2**63 - 1)
    force: str | None = None
    by: Literal["jurisdiction", "supplier"] = "jurisdiction"
    horizon: int = 365
    start: int = Field(0, ge=0)
    days: int | None = Field(None, ge=1)
    decision: str | None = None
    budget: float | None = Field(None, ge=0)


def _diag_dict(d: Diagnostic) -> dict[str, Any]:
    return {"line": d.line, "column": d.column, "field": d.field, "message": d.message}


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


class _RefusedError(Exception):
    def __init__(self, status: int, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.status = status
        self.diagnostics = diagnostics or []


def _line_of(text: str, pattern: str) -> int:
    for i, line in enumerate(text.splitlines(), 1):
        if re.search(pattern, line):
            return i
    return 0


def _check_document(text: str, limits: Limits) -> Any:
    """Load ``text`` (tether's safe loader) and check the server's bounds on it."""
    from tether._checks import derived_problems
    from tether._loader import load_text

    doc = load_text(text, "<request>")
    own = doc.own_scenarios()
    problems: list[Diagnostic] = []
    if len(own) > limits.max_scenarios:
        problems.append(
            Diagnostic(
                "<request>",
                _line_of(text, r"^scenarios:"),
                1,
                "scenarios",
                f"{len(own)} scenarios; this server takes at most {limits.max_scenarios} "
                "per request",
            )
        )
    for sc in own:
        if sc.horizon_days > limits.max_horizon:
            problems.append(
                Diagnostic(
                    "<request>",
                    _line_of(text, rf"horizon_days:\s*{sc.horizon_days}\b"),
                    1,
                    f"scenarios[{sc.name}].horizon_days",
                    f"horizon {sc.horizon_days:,} days; this server runs at most "
                    f"{limits.max_horizon:,} days",
                )
            )
    if problems:
        raise InputError(problems)
    derived = [p for sc in own for m in sc.members for p in derived_problems(doc, doc.force(m), sc)]
    if derived:
        raise InputError(list(dict.fromkeys(derived)))
    return doc


def _check_run(body: RunBody, doc: Any, limits: Limits) -> dict[str, Any]:
    """The run's settings, after checking names and bounds (``_RefusedError`` otherwise)."""

    def scenario_ok(name: str | None) -> str:
        try:
            sc = doc.scenario(name)
        except KeyError as exc:
            raise _RefusedError(422, str(exc.args[0])) from None
        if sc.horizon_days > limits.max_horizon:
            raise _RefusedError(
                422,
                f"scenario {sc.name}: horizon {sc.horizon_days:,} days; this server runs at "
                f"most {limits.max_horizon:,} days",
            )
        return str(sc.name)

    if body.engine == "montecarlo" and not 2 <= body.reps <= limits.max_reps:
        raise _RefusedError(
            422, f"reps must be from 2 to {limits.max_reps:,} on this server, not {body.reps:,}"
        )
    engine: dict[str, Any] = {"engine": body.engine}
    if body.engine == "montecarlo":
        engine.update(reps=body.reps, seed=body.seed)
    if body.kind == "simulate":
        return {"scenario": scenario_ok(body.scenario), **engine}
    if body.kind == "compare":
        if not 2 <= len(body.scenarios) <= limits.max_scenarios:
            raise _RefusedError(
                422,
                f"a comparison takes from 2 to {limits.max_scenarios} scenarios, "
                f"not {len(body.scenarios)}",
            )
        return {"scenarios": [scenario_ok(s) for s in body.scenarios], **engine}
    if body.kind == "exposure":
        if not body.force:
            raise _RefusedError(422, "an exposure run needs a force")
        try:
            doc.force(body.force)
        except KeyError as exc:
            raise _RefusedError(422, str(exc.args[0])) from None
        if not 1 <= body.horizon <= limits.max_horizon:
            raise _RefusedError(
                422,
                f"horizon must be from 1 to {limits.max_horizon:,} days on this server, "
                f"not {body.horizon:,}",
            )
        if body.start > body.horizon:
            raise _RefusedError(
                422, f"start day {body.start} is after the horizon ({body.horizon})"
            )
        return {
            "force": body.force,
            "by": body.by,
            "horizon": body.horizon,
            "start": body.start,
            "days": body.days,
        }
    try:
        decision = doc.decision(body.decision)
    except KeyError as exc:
        raise _RefusedError(422, str(exc.args[0])) from None
    for name in getattr(decision, "scenarios", None) or []:
        scenario_ok(name if isinstance(name, str) else getattr(name, "scenario", None))
    return {"decision": decision.name, "budget": body.budget}


def create_app(
    data_dir: str | Path,
    *,
    token: str | None = None,
    limits: Limits | None = None,
    workers: int = 2,
    atlas_dir: str | Path | None = None,
) -> Any:
    """The workbench as an ASGI app (runs kept in ``data_dir``); with ``token``, every
    request must carry it. The atlas heat map reads the store in ``atlas_dir`` (the atlas's
    own data directory when None: ``$TETHER_DATA_DIR`` or the platform's)."""
    import tether
    from tether._loader import load_text
    from tether._report.html import inline_plotly
    from tether._web.atlas import AtlasRefusedError, atlas_router
    from tether._web.catalogue import catalogue_entries, catalogue_entry, form_yaml
    from tether._web.sensitivity import sensitivity_router

    limits = limits or Limits()
    store = Store(data_dir)
    runner = JobRunner(store, workers=workers)
    version = str(tether.__version__)
    catalogue = load_text("{}\n", "<catalogue>")

    app = FastAPI(title="tether workbench", version=version, docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.runner = runner
    app.state.limits = limits
    app.router.add_event_handler("shutdown", runner.shutdown)
    app.router.add_event_handler("shutdown", store.close)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return _error(422, str(exc), diagnostics=[_diag_dict(d) for d in exc.diagnostics])

    @app.exception_handler(AtlasRefusedError)
    async def _atlas_refused(request: Request, exc: AtlasRefusedError) -> JSONResponse:
        return _error(exc.status, str(exc))

    @app.exception_handler(TetherError)
    async def _tether_error(request: Request, exc: TetherError) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(_RefusedError)
    async def _refused(request: Request, exc: _RefusedError) -> JSONResponse:
        return _error(exc.status, str(exc))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where}: {e.get('msg', 'invalid')}" if where else e.get("msg", ""))
        return _error(422, "; ".join(parts) or "invalid request")

    def client_of(request: Request) -> str:
        given = request.headers.get("x-tether-client", "")
        if _CLIENT.match(given):
            return given
        return request.client.host if request.client else "unknown"

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        page = (STATIC / "index.html").read_text(encoding="utf-8")
        response = HTMLResponse(page)
        given = request.query_params.get("token")
        if token is not None and given:
            response.set_cookie("tether_token", given, httponly=True, samesite="strict")
        return response

    @app.get("/static/plotly.min.js")
    def plotly_js() -> Response:
        from tether._report.charts import plotly_js as js

        return Response(js(), media_type="text/javascript")

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in _STATIC_FILES:
            raise _RefusedError(404, f"no static file {name!r}")
        return FileResponse(STATIC / name, media_type=_STATIC_FILES[name])

    @app.get("/api/info")
    def info() -> dict[str, Any]:
        return {"version": version, "kinds": list(KINDS), "limits": limits.__dict__}

    @app.get("/api/catalogue")
    def catalogue_list() -> list[dict[str, Any]]:
        return catalogue_entries(catalogue)

    @app.get("/api/catalogue/{name}")
    def catalogue_show(name: str) -> list[dict[str, Any]]:
        found = catalogue_entry(catalogue, name)
        if not found:
            raise _RefusedError(404, f"no catalogue entry named {name!r}")
        return found

    @app.post("/api/validate")
    def validate(body: YamlBody) -> dict[str, Any]:
        try:
            _check_document(body.yaml, limits)
        except InputError as exc:
            return {"ok": False, "diagnostics": [_diag_dict(d) for d in exc.diagnostics]}
        return {"ok": True, "diagnostics": []}

    @app.post("/api/form")
    def form(body: FormBody) -> dict[str, Any]:
        if body.horizon > limits.max_horizon:
            raise _RefusedError(
                422,
                f"horizon must be at most {limits.max_horizon:,} days on this server, "
                f"not {body.horizon:,}",
            )
        text = form_yaml(body.model_dump())
        _check_document(text, limits)
        return {"yaml": text}

    @app.post("/api/runs", status_code=202)
    def submit(body: RunBody, request: Request) -> dict[str, Any]:
        doc = _check_document(body.yaml, limits)
        settings = _check_run(body, doc, limits)
        active = sum(
            1 for r in store.runs(limit=limits.max_jobs + 1) if r.status in ("queued", "running")
        )
        if active >= limits.max_jobs:
            raise _RefusedError(
                503, f"the server has {limits.max_jobs} runs waiting; try again in a moment"
            )
        client = client_of(request)
        seed = settings.get("seed") if isinstance(settings.get("seed"), int) else None
        run_id = store.add(
            body.kind, client, body.yaml, settings, seed, version, limits.max_jobs_per_client
        )
        if run_id is None:
            raise _RefusedError(
                429,
                f"you have {limits.max_jobs_per_client} runs queued or running, the most one "
                "client may have; wait for one to finish",
            )
        runner.submit(run_id)
        return {"id": run_id, "status": "queued"}

    @app.get("/api/runs")
    def runs(request: Request, mine: bool = False) -> list[dict[str, Any]]:
        return [r.brief() for r in store.runs(client_of(request) if mine else None)]

    @app.get("/api/runs/{run_id}")
    def run(run_id: str) -> dict[str, Any]:
        found = store.get(run_id)
        if found is None:
            raise _RefusedError(404, f"no run {run_id!r}")
        return found.to_dict()

    @app.get("/api/runs/{run_id}/files/{name}")
    def download(run_id: str, name: str) -> Response:
        found = store.get(run_id, with_result=name == "result.json")
        if found is None:
            raise _RefusedError(404, f"no run {run_id!r}")
        if name not in _DOWNLOADS:
            raise _RefusedError(404, f"no file {name!r}; files are {', '.join(sorted(_DOWNLOADS))}")
        if name == "input.yaml":
            body: bytes | None = found.input.encode("utf-8")
        elif name == "result.json":
            import json

            body = None if found.result is None else json.dumps(found.to_dict()).encode()
        else:
            body = store.file(run_id, name)
            if body is not None and name == "report.html":
                body = inline_plotly(body.decode("utf-8")).encode("utf-8")
        if body is None:
            raise _RefusedError(404, f"run {run_id} has no {name} (status {found.status})")
        headers = {"content-disposition": f'attachment; filename="tether-{run_id[:8]}-{name}"'}
        return Response(body, media_type=_DOWNLOADS[name], headers=headers)

    app.include_router(atlas_router(None if atlas_dir is None else Path(atlas_dir)))
    app.include_router(sensitivity_router())
    return Guard(app, limits, token)
