"""The run store: one SQLite file in the data directory (stdlib sqlite3, WAL).

Every write is one transaction, so a server killed mid-write leaves the store as it was
before that write or after it: a finished run is one committed row with its results.
Runs found queued or running when the store opens belonged to a stopped server: they
are marked ``interrupted``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ACTIVE", "Run", "Store"]

#: States of a run that has not ended.
ACTIVE = ("queued", "running")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    client TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    finished REAL,
    input TEXT NOT NULL,
    settings TEXT NOT NULL,
    seed INTEGER,
    version TEXT NOT NULL,
    error TEXT,
    result TEXT
);
CREATE INDEX IF NOT EXISTS runs_client ON runs (client, status);
CREATE TABLE IF NOT EXISTS files (
    run TEXT NOT NULL REFERENCES runs (id),
    name TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (run, name)
);
"""


@dataclass(frozen=True)
class Run:
    """One stored run (``result`` is the parsed JSON payload, when finished)."""

    id: str
    kind: str
    client: str
    status: str
    progress: float
    created: float
    finished: float | None
    input: str
    settings: dict[str, Any]
    seed: int | None
    version: str
    error: str | None
    result: dict[str, Any] | None

    def brief(self) -> dict[str, Any]:
        """What a listing shows (no input, no result)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "created": self.created,
            "finished": self.finished,
            "settings": self.settings,
            "seed": self.seed,
            "version": self.version,
            "error": self.error,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.brief(), "input": self.input, "result": self.result}


_COLUMNS = (
    "id, kind, client, status, progress, created, finished, input, settings, seed, version, "
    "error, result"
)


def _run(row: tuple[Any, ...], with_result: bool = True) -> Run:
    return Run(
        id=row[0],
        kind=row[1],
        client=row[2],
        status=row[3],
        progress=float(row[4]),
        created=float(row[5]),
        finished=None if row[6] is None else float(row[6]),
        input=row[7],
        settings=json.loads(row[8]),
        seed=row[9],
        version=row[10],
        error=row[11],
        result=json.loads(row[12]) if with_result and row[12] is not None else None,
    )


class Store:
    """Runs and their files in ``directory/tether-runs.sqlite3``."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / "tether-runs.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        with self._write() as db:
            for statement in _SCHEMA.strip().split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "UPDATE runs SET status='interrupted', error=? WHERE status IN (?, ?)",
                ("the server stopped before this run finished; submit it again", *ACTIVE),
            )

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction (BEGIN IMMEDIATE ... COMMIT), serialised in this process."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(
        self,
        kind: str,
        client: str,
        text: str,
        settings: dict[str, Any],
        seed: int | None,
        version: str,
        max_active: int | None = None,
    ) -> str | None:
        """Queue a run; ``None`` if ``client`` already has ``max_active`` active runs."""
        run_id = uuid.uuid4().hex
        with self._write() as db:
            if max_active is not None:
                (n,) = db.execute(
                    "SELECT count(*) FROM runs WHERE client=? AND status IN (?, ?)",
                    (client, *ACTIVE),
                ).fetchone()
                if n >= max_active:
                    return None
            db.execute(
                "INSERT INTO runs (id, kind, client, status, created, input, settings, seed, "
                "version) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
                (run_id, kind, client, time.time(), text, json.dumps(settings), seed, version),
            )
        return run_id

    def set_progress(self, run_id: str, status: str, progress: float) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET status=?, progress=? WHERE id=?", (status, progress, run_id)
            )

    def finish(
        self, run_id: str, result: dict[str, Any], files: dict[str, bytes] | None = None
    ) -> None:
        """The run's result and files, in one transaction."""
        payload = json.dumps(result, allow_nan=False)
        with self._write() as db:
            for name, body in (files or {}).items():
                db.execute(
                    "INSERT OR REPLACE INTO files (run, name, body) VALUES (?, ?, ?)",
                    (run_id, name, body),
                )
            db.execute(
                "UPDATE runs SET status='done', progress=1, finished=?, result=? WHERE id=?",
                (time.time(), payload, run_id),
            )

    def fail(self, run_id: str, message: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET status='failed', finished=?, error=? WHERE id=?",
                (time.time(), message, run_id),
            )

    def get(self, run_id: str, with_result: bool = True) -> Run | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM runs WHERE id=?", (run_id,)).fetchone()
        return None if row is None else _run(row, with_result)

    def file(self, run_id: str, name: str) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM files WHERE run=? AND name=?", (run_id, name)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def runs(self, client: str | None = None, limit: int = 100) -> list[Run]:
        query = f"SELECT {_COLUMNS} FROM runs"
        args: tuple[Any, ...] = ()
        if client is not None:
            query += " WHERE client=?"
            args = (client,)
        query += " ORDER BY created DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(query, (*args, limit)).fetchall()
        return [_run(r, with_result=False) for r in rows]

    def queued(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM runs WHERE status='queued' ORDER BY created"
            ).fetchall()
        return [r[0] for r in rows]
