"""What every ``tether`` command shares: the consoles, option types, error handling.

Kept light: importing this (and so ``tether --help``) loads no numpy, pandas or xarray.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tether._errors import InputError, TetherError

if TYPE_CHECKING:
    from tether._model import Document

__all__ = [
    "CatalogueOption",
    "NoBuiltinOption",
    "default_width",
    "err_console",
    "fail",
    "guard",
    "load_document",
    "out_console",
    "print_error",
    "version",
    "warn",
]

#: Width of output that goes to a pipe or a file when COLUMNS does not say otherwise.
PIPE_WIDTH = 100


def default_width(stream_is_tty: bool) -> int | None:
    """``None`` (Rich asks the terminal, or COLUMNS) on a terminal or when COLUMNS is set;
    otherwise :data:`PIPE_WIDTH` (Rich would use 80 for pipes, files and CI logs)."""
    if stream_is_tty or os.environ.get("COLUMNS", "").strip().isdigit():
        return None
    return PIPE_WIDTH


out_console = Console(width=default_width(sys.stdout.isatty()), emoji=False)
err_console = Console(stderr=True, width=default_width(sys.stderr.isatty()), emoji=False)

T = TypeVar("T")

CatalogueOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalogue",
        "-c",
        help="Extra catalogue directory (or file); may be repeated.",
        show_default=False,
    ),
]
NoBuiltinOption = Annotated[
    bool, typer.Option("--no-builtin", help="Leave out the built-in catalogue.")
]


def version() -> str:
    """The installed version (read on demand: importlib.metadata is slow to import)."""
    import tether

    return str(tether.__version__)


def print_error(console: Console, error: TetherError) -> None:
    """Print an error as the user should see it: no traceback."""
    if isinstance(error, InputError):
        n = len(error.diagnostics)
        for d in error.diagnostics:
            console.print(f"[bold red]error[/]: {escape(str(d))}", highlight=False, soft_wrap=True)
        console.print(f"{n} problem{'s' if n != 1 else ''} found", style="red", highlight=False)
    else:
        console.print(f"[bold red]error[/]: {escape(str(error))}", highlight=False, soft_wrap=True)


def load_document(
    file: Path | None, catalogue: Sequence[str | Path] | None, no_builtin: bool
) -> Document:
    """The document of ``file`` with its catalogues, or of the catalogues alone (``None``)."""
    from tether._loader import load, load_text

    if file is not None:
        return load(file, catalogue, builtin=not no_builtin)
    return load_text("{}\n", "<catalogue>", catalogue, builtin=not no_builtin)


def write_json(payload: Any) -> None:
    """One line of strict JSON on stdout: never ``NaN`` or ``Infinity``.

    Results keep every number finite (``docs/json.md``); one that is not is a bug, reported
    as an error rather than written as JSON a reader cannot parse.
    """
    try:
        text = json.dumps(payload, allow_nan=False)
    except ValueError as exc:
        raise TetherError(f"a result holds a non-finite number ({exc}); please report it") from None
    sys.stdout.write(text + "\n")


def warn(message: str) -> None:
    """``warning: MESSAGE`` on stderr; the command goes on."""
    err_console.print(f"[yellow]warning[/]: {escape(message)}", highlight=False, soft_wrap=True)


def fail(error: TetherError) -> NoReturn:
    print_error(err_console, error)
    raise typer.Exit(error.exit_code)


def guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; a :class:`TetherError` becomes a message and its exit code."""
    try:
        return fn()
    except TetherError as exc:
        fail(exc)
