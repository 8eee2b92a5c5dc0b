"""Progress of long work, on stderr: a live bar on a terminal, plain lines elsewhere.

Off a terminal (a pipe, a file, a CI log) a live bar would write control codes; there
the user sees lines such as ``simulating us-withholds-one-year: 40%``, at most one every
:data:`INTERVAL` seconds, and none for work done within :data:`DELAY` seconds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from rich.console import Console

__all__ = ["DELAY", "INTERVAL", "PlainProgress", "progress"]

#: Seconds of work before the first plain line.
DELAY = 0.5
#: Least seconds between plain lines.
INTERVAL = 0.5

Report = Callable[[int, int], None]


class PlainProgress:
    """Percent lines without control codes, throttled."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        delay: float = DELAY,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._delay = delay
        self._interval = interval
        self._clock = clock

    def task(self, description: str) -> Report:
        """A callback ``report(done, total)`` for one piece of work."""
        start = self._clock()
        last: list[float] = [start + self._delay - self._interval]
        shown: list[int] = [-1]

        def report(done: int, total: int) -> None:
            now = self._clock()
            if total <= 0 or now - last[0] < self._interval:
                return
            pct = min(100, 100 * done // total)
            if pct == shown[0]:
                return
            last[0], shown[0] = now, pct
            stream = self._stream if self._stream is not None else sys.stderr
            stream.write(f"{description}: {pct}%\n")
            stream.flush()

        return report


@contextmanager
def progress(console: Console) -> Iterator[Callable[[str], Report]]:
    """Yield ``start(description) -> report``; each ``start`` begins a new piece of work
    (and ends the previous one on a terminal)."""
    if not console.is_terminal:
        yield PlainProgress().task
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        current: list[Any] = []

        def start(description: str) -> Report:
            for task in current:
                bar.remove_task(task)
            current[:] = [bar.add_task(description, total=None)]
            task = current[0]

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return report

        yield start
