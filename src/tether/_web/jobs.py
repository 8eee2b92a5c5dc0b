"""Runs as background jobs: a small thread pool, each job's progress and result written
to the store (one transaction per write)."""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from tether._errors import InputError, TetherError
from tether._web.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from tether._model import Document

__all__ = ["KINDS", "JobRunner", "execute"]

#: What the workbench runs.
KINDS = ("simulate", "exposure", "optimise", "compare")

#: Progress is written at most this often (seconds).
_PROGRESS_EVERY = 0.5


def _tables(frames: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name, frame in frames.items():
        files[f"{name}.csv"] = frame.to_csv(index=False).encode("utf-8")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        files[f"{name}.parquet"] = buffer.getvalue()
    return files


def _simulate(doc: Document, settings: dict[str, Any], progress: Any) -> tuple[Any, Any]:
    from tether._api import simulate
    from tether._report.charts import capability_layout, capability_traces
    from tether._report.html import render_report

    options: dict[str, Any] = {"engine": settings["engine"]}
    if settings["engine"] == "montecarlo":
        options.update(reps=settings["reps"], seed=settings["seed"])
    result = simulate(doc, settings.get("scenario"), progress=progress, **options)
    payload = result.to_dict()
    payload["chart"] = {
        "data": capability_traces(result),
        "layout": capability_layout(f"{result.scenario}: capability per area"),
    }
    payload["assumptions"] = {a: list(v) for a, v in result.assumptions.items()}
    files = _tables(
        {
            "areas": result.to_dataframe("area"),
            "fleets": result.to_dataframe("fleet"),
            "summary": result.summary_frame(),
        }
    )
    files["report.html"] = render_report([result], doc, plotly=False).encode("utf-8")
    return payload, files


def _heatmap(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    targets = list(dict.fromkeys(r["target"] for r in rows))
    kinds = list(dict.fromkeys(r["kinds"] for r in rows))
    z: list[list[float | None]] = [[None] * len(kinds) for _ in targets]
    for r in rows:
        z[targets.index(r["target"])][kinds.index(r["kinds"])] = r["days_lost"]
    return {
        "data": [
            {
                "type": "heatmap",
                "x": kinds,
                "y": targets,
                "z": z,
                "colorscale": "Reds",
                "colorbar": {"title": {"text": "days lost"}},
            }
        ],
        "layout": {
            "title": {"text": title},
            "xaxis": {"title": {"text": "kind withheld"}},
            "yaxis": {"automargin": True},
            "margin": {"t": 50},
        },
    }


def _exposure(doc: Document, settings: dict[str, Any], progress: Any) -> tuple[Any, Any]:
    from tether._analysis.exposure import exposure

    ranked = exposure(
        doc,
        settings["force"],
        by=settings["by"],
        horizon=settings["horizon"],
        start_day=settings["start"],
        duration=settings.get("days"),
    )
    payload = ranked.to_dict()
    payload["chart"] = _heatmap(
        payload["rows"], f"{ranked.force}: days lost by {ranked.by} and kind"
    )
    return payload, _tables({"exposure": ranked.to_frame()})


def _optimise(doc: Document, settings: dict[str, Any], progress: Any) -> tuple[Any, Any]:
    import pandas as pd

    from tether._analysis.optimise import optimise

    best = optimise(doc, settings.get("decision"), budget=settings.get("budget"), progress=progress)
    payload = best.to_json()
    curve = payload["curve"]
    payload["chart"] = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "line": {"shape": "hv"},
                "x": [p["budget"] for p in curve],
                "y": [p["objective"] for p in curve],
                "text": [", ".join(p["options"]) or "(none)" for p in curve],
                "name": "best portfolio",
            }
        ],
        "layout": {
            "title": {"text": f"{best.decision}: capability against budget"},
            "xaxis": {"title": {"text": "budget"}},
            "yaxis": {"title": {"text": payload["units"]}},
        },
    }
    frame = pd.DataFrame(
        [{**p, "options": ", ".join(p["options"]), "scenarios": None} for p in curve]
    ).drop(columns=["scenarios"])
    return payload, _tables({"curve": frame})


def _compare(doc: Document, settings: dict[str, Any], progress: Any) -> tuple[Any, Any]:
    from tether._analysis.compare import compare

    options: dict[str, Any] = {"engine": settings["engine"]}
    if settings["engine"] == "montecarlo":
        options.update(reps=settings["reps"], seed=settings["seed"])
    result = compare(doc, settings["scenarios"], **options)
    payload = result.to_dict()
    traces = []
    labels = [c["label"] for c in payload["columns"]]
    for area, cols in payload["areas"].items():
        for label, col in zip(labels, cols, strict=True):
            if col is not None:
                traces.append(
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "x": list(range(len(col["fraction"]))),
                        "y": col["fraction"],
                        "name": f"{area}: {label}",
                    }
                )
    payload["chart"] = {
        "data": traces,
        "layout": {
            "title": {"text": "comparison: capability per area"},
            "xaxis": {"title": {"text": "day"}},
            "yaxis": {"title": {"text": "fraction of no-cutoff capability"}},
        },
    }
    return payload, _tables({"comparison": result.to_frame()})


_WORK = {"simulate": _simulate, "exposure": _exposure, "optimise": _optimise, "compare": _compare}


def execute(
    kind: str, text: str, settings: dict[str, Any], progress: Any = None
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Run one job from its YAML text and settings (no store: what a job does)."""
    from tether._loader import load_text

    doc = load_text(text, "<request>")
    payload, files = _WORK[kind](doc, settings, progress)
    return payload, files


class JobRunner:
    """A thread pool running queued runs; progress and results go to ``store``."""

    def __init__(self, store: Store, workers: int = 2) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tether-job")
        self._closed = threading.Event()

    def submit(self, run_id: str) -> None:
        self._pool.submit(self._run, run_id)

    def shutdown(self) -> None:
        self._closed.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, run_id: str) -> None:
        run = self.store.get(run_id, with_result=False)
        if run is None or self._closed.is_set():
            return
        self.store.set_progress(run_id, "running", 0.0)
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if total > 0 and now - last[0] >= _PROGRESS_EVERY:
                last[0] = now
                self.store.set_progress(run_id, "running", min(done / total, 0.99))

        try:
            payload, files = execute(run.kind, run.input, run.settings, progress)
        except InputError as exc:
            self.store.fail(run_id, str(exc))
            return
        except TetherError as exc:
            self.store.fail(run_id, str(exc))
            return
        except Exception as exc:  # a bug: the run fails with its message, the server lives
            self.store.fail(run_id, f"internal error: {type(exc).__name__}: {exc}")
            return
        self.store.finish(run_id, payload, files)
