"""Run a sweep chunk by chunk into a Parquet dataset, resumably.

The output directory holds ``sweep.json`` (what sweep it is: the design's digest, the
chunks) and one ``chunk-NNNNN.parquet`` per chunk. A chunk is written to a temporary name
in the same directory and renamed, so a chunk file is whole or absent: a rerun skips the
chunks present, never writes one twice, and redoes one whose worker failed. With daily
series the directory ``daily/`` holds a ``chunk-NNNNN.parquet`` of the same chunk, written
the same way before the summary chunk: a chunk is done when its summary file is there,
and a rerun writes only the files missing.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from tether._errors import ArgumentError, TetherError
from tether._sweep.evaluate import evaluate, group_key
from tether._sweep.spec import SweepSpec

__all__ = [
    "DAILY",
    "Progress",
    "SweepRun",
    "chunks_of",
    "read_daily",
    "read_dataset",
    "run_sweep",
    "sweep",
]

#: The subdirectory of the daily series.
DAILY = "daily"
Frames = tuple[pd.DataFrame, pd.DataFrame | None]

#: Attempts per chunk before the sweep gives up on it.
ATTEMPTS = 3

Progress = Callable[[int, int, float], None]


@dataclass(frozen=True, slots=True)
class SweepRun:
    """What a run did: chunks in all, written now, found already written."""

    out: Path
    chunks: int
    written: int
    skipped: int
    seconds: float


def chunks_of(spec: SweepSpec) -> list[list[int]]:
    """Scenario ids in chunks of ``spec.chunk_size``, scenarios that share a plan kept
    together (ordered by their plan's key, then by id)."""
    order = sorted(range(len(spec.points)), key=lambda i: (group_key(spec.points[i]), i))
    n = spec.chunk_size
    return [order[k : k + n] for k in range(0, len(order), n)]


def _name(k: int) -> str:
    return f"chunk-{k:05d}.parquet"


def _write(out: Path, k: int, frames: Frames) -> None:
    """The chunk's daily file (when asked for and not there yet), then its summary file,
    each under a temporary name renamed into place."""
    frame, daily = frames
    for where, data in ((out / DAILY, daily), (out, frame)):
        if data is None or (where / _name(k)).exists():
            continue
        tmp = where / f".{_name(k)}.{os.getpid()}.tmp"
        data.to_parquet(tmp, index=False)
        os.replace(tmp, where / _name(k))


def _prepare(spec: SweepSpec, out: Path, n_chunks: int) -> set[int]:
    """Create or check the output directory; the chunks already written."""
    manifest = {
        "digest": spec.digest,
        "scenarios": len(spec.points),
        "chunks": n_chunks,
        "daily": spec.daily,
    }
    meta = out / "sweep.json"
    if out.exists() and not out.is_dir():
        raise ArgumentError(f"--out {out} is a file, not a directory")
    if meta.exists():
        old = json.loads(meta.read_text(encoding="utf-8"))
        if old.get("digest") != spec.digest or old.get("chunks") != n_chunks:
            raise ArgumentError(
                f"{out} holds the results of a different sweep; choose another --out or delete it"
            )
        if bool(old.get("daily")) != spec.daily:
            have = "with" if old.get("daily") else "without"
            raise ArgumentError(
                f"{out} holds this sweep {have} daily series: run it {have} them "
                "(--daily / daily: true), or choose another --out"
            )
    elif out.exists() and any(out.iterdir()):
        raise ArgumentError(f"{out} is not empty and holds no sweep; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    if spec.daily:
        (out / DAILY).mkdir(exist_ok=True)
    for stale in [*out.glob(".chunk-*.tmp"), *(out / DAILY).glob(".chunk-*.tmp")]:
        stale.unlink()
    if not meta.exists():
        tmp = out / ".sweep.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(tmp, meta)
    return {k for k in range(n_chunks) if (out / _name(k)).exists()}


_SPEC: SweepSpec | None = None


def _init(spec: SweepSpec) -> None:
    global _SPEC
    _SPEC = spec
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()


def _watch_parent(parent: int) -> None:
    """End a worker whose sweep was killed (it would otherwise wait for work forever)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _work(ids: list[int]) -> Frames:
    assert _SPEC is not None
    return evaluate(_SPEC, ids)


def _local(
    spec: SweepSpec, todo: list[tuple[int, list[int]]], workers: int
) -> Iterator[tuple[int, Frames]]:
    if workers == 1:
        for k, ids in todo:
            yield k, _retry(spec, ids, k)
        return
    import multiprocessing

    import tether._api
    import tether._engine.analytic
    import tether._plan  # noqa: F401  (imported once here, before the workers fork)

    pending = dict(todo)
    tries = dict.fromkeys(pending, 0)
    while pending:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init, initargs=(spec,)
        ) as pool:
            futures: dict[Future[Frames], int] = {
                pool.submit(_work, ids): k for k, ids in sorted(pending.items())
            }
            from concurrent.futures import as_completed

            try:
                for fut in as_completed(futures):
                    k = futures[fut]
                    try:
                        frame = fut.result()
                    except BrokenProcessPool:
                        raise
                    except TetherError:
                        raise
                    except Exception as exc:  # a failed chunk is redone
                        tries[k] += 1
                        if tries[k] >= ATTEMPTS:
                            raise TetherError(f"chunk {k} failed {ATTEMPTS} times: {exc}") from exc
                        continue
                    del pending[k]
                    yield k, frame
            except BrokenProcessPool:  # a worker died: the chunks it held are redone
                for k in pending:
                    tries[k] += 1
                    if tries[k] >= ATTEMPTS:
                        raise TetherError(f"chunk {k}: its worker died {ATTEMPTS} times") from None


def _retry(spec: SweepSpec, ids: list[int], k: int) -> Frames:
    for attempt in range(ATTEMPTS):
        try:
            return evaluate(spec, ids)
        except TetherError:
            raise
        except Exception as exc:
            if attempt == ATTEMPTS - 1:
                raise TetherError(f"chunk {k} failed {ATTEMPTS} times: {exc}") from exc
    raise AssertionError("unreachable")


def _dask(
    spec: SweepSpec, todo: list[tuple[int, list[int]]], address: str
) -> Iterator[tuple[int, Frames]]:
    try:
        import distributed  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise TetherError(
            "--scheduler needs dask.distributed: pip install 'tether[distributed]'"
        ) from None
    try:
        dist: Any = distributed
        client: Any = dist.Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ArgumentError(f"no Dask scheduler answers at {address!r} ({exc})") from None
    with client:
        spec_f = client.scatter(spec, broadcast=True)
        futures = {
            client.submit(evaluate, spec_f, ids, retries=ATTEMPTS - 1, pure=False): k
            for k, ids in todo
        }
        for fut in dist.as_completed(futures):
            try:
                frame = fut.result()
            except TetherError:
                raise
            except Exception as exc:
                raise TetherError(f"chunk {futures[fut]} failed on the cluster: {exc}") from exc
            yield futures[fut], frame


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
    stop_after: int | None = None,
) -> SweepRun:
    """Run the chunks of ``spec`` not yet in ``out``; ``progress(done, total, seconds)``
    after each chunk. ``stop_after`` stops after that many chunks written (for tests)."""
    if workers < 1:
        raise ArgumentError(f"--workers must be at least 1, not {workers}")
    out = Path(out)
    chunks = chunks_of(spec)
    t0 = time.monotonic()
    if scheduler is not None:  # check the address before writing anything
        _check_scheduler(scheduler)
    if not (out / "sweep.json").exists():
        # a first scenario per tempo level and portfolio compiles and runs (analytic)
        firsts = {
            (str(p.get("tempo")), str(p.get("portfolio"))): i
            for i, p in reversed(list(enumerate(spec.points)))
        }
        evaluate(replace(spec, engine="analytic", daily=False), sorted(firsts.values()))
    done = _prepare(spec, out, len(chunks))
    todo = [(k, ids) for k, ids in enumerate(chunks) if k not in done]
    it = _dask(spec, todo, scheduler) if scheduler else _local(spec, todo, workers)
    written = 0
    for k, frame in it:
        _write(out, k, frame)
        written += 1
        if progress is not None:
            progress(len(done) + written, len(chunks), time.monotonic() - t0)
        if stop_after is not None and written >= stop_after:
            break
    return SweepRun(out, len(chunks), written, len(done), time.monotonic() - t0)


def _check_scheduler(address: str) -> None:
    import socket
    from urllib.parse import urlparse

    u = urlparse(address if "://" in address else f"tcp://{address}")
    try:
        with socket.create_connection((u.hostname or "", u.port or 8786), timeout=5):
            pass
    except (OSError, ValueError) as exc:
        raise ArgumentError(f"no Dask scheduler answers at {address!r} ({exc})") from None


def read_dataset(out: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Every row of a sweep's dataset, sorted by scenario, area and metric."""
    return _read(Path(out), ("scenario", "area", "metric"), columns)


def read_daily(out: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Every row of a sweep's daily series, sorted by scenario, area and day."""
    return _read(Path(out) / DAILY, ("scenario", "area", "day"), columns)


def _read(where: Path, order: Sequence[str], columns: Sequence[str] | None) -> pd.DataFrame:
    files = sorted(where.glob("chunk-*.parquet"))
    if not files:
        raise ArgumentError(f"{where} holds no sweep results")
    frame = pd.concat(
        [pd.read_parquet(f, columns=list(columns) if columns else None) for f in files]
    )
    keys = [c for c in order if c in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def sweep(
    path: str | Path,
    out: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    catalogue: Sequence[str] | None = None,
    builtin: bool = True,
    engine: str | None = None,
    replications: int | None = None,
    daily: bool | None = None,
) -> pd.DataFrame:
    """Run the sweep file at ``path`` into the Parquet dataset ``out`` (resuming a run
    stopped part way) and return its rows: one per scenario, area and summary metric.
    ``engine``, ``replications`` and ``daily`` override the file's; the daily series
    are read with :func:`read_daily`."""
    from tether._sweep.spec import load_sweep

    spec = load_sweep(
        path,
        list(catalogue or []),
        builtin=builtin,
        engine=engine,
        replications=replications,
        daily=daily,
    )
    run_sweep(spec, out, workers=workers, scheduler=scheduler)
    return read_dataset(out)
