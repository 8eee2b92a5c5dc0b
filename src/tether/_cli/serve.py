"""``tether serve``: the web workbench (the ``web`` extra: FastAPI and uvicorn)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tether._cli.common import err_console, guard

__all__ = ["register"]

EXAMPLES = (
    "Examples:\n\n"
    "  tether serve\n\n"
    "  tether serve --port 8080 --data-dir runs/\n\n"
    "  TETHER_TOKEN=s3cret tether serve --host 0.0.0.0"
)


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tether"


def register(app: typer.Typer) -> None:
    app.command("serve", epilog=EXAMPLES)(serve)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where runs are kept \\[default: ~/.local/share/tether]."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="TETHER_TOKEN",
            help="A token every request must carry (required off loopback).",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Runs at once.")] = 2,
) -> None:
    """Serve the web workbench: browse the catalogue, edit and run scenarios, download."""

    def work() -> None:
        from tether._errors import ArgumentError

        try:
            import uvicorn

            from tether._web import create_app
            from tether._web.limits import is_loopback
        except ImportError as exc:
            raise ArgumentError(
                f"tether serve needs the web extra ({exc.name} is missing): "
                "pip install 'tether[web]'"
            ) from None
        if not is_loopback(host) and not token:
            raise ArgumentError(
                f"binding to {host} (not loopback) requires a token: --token or TETHER_TOKEN"
            )
        directory = data_dir or _default_data_dir()
        # the atlas's own data directory, unless --data-dir holds an imported atlas store
        # (as `tether atlas import FILE --data-dir DIR` writes it)
        atlas_dir = data_dir if data_dir and (Path(data_dir) / "atlas.duckdb").is_file() else None
        app = create_app(directory, token=token or None, workers=workers, atlas_dir=atlas_dir)
        err_console.print(
            f"tether workbench on http://{host}:{port}/ (runs kept in {directory})",
            highlight=False,
        )
        uvicorn.run(app, host=host, port=port, log_level="warning")

    guard(work)
