"""``tether sweep``: families of scenarios (``tether sensitivity`` is in
:mod:`tether._cli.sensitivity`).

Kept light at import: the commands import what they use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tether._cli.common import (
    CatalogueOption,
    NoBuiltinOption,
    err_console,
    guard,
    out_console,
    write_json,
)

__all__ = ["EXAMPLES", "register"]

EXAMPLES = (
    "Examples:\n\n"
    "  tether sweep my-sweep.yaml --workers 2 --out results/\n\n"
    "  tether sweep my-sweep.yaml --scheduler tcp://scheduler:8786 --out results/\n\n"
    "  tether sweep my-sweep.yaml --engine montecarlo --replications 500 --daily"
)


def _eta(done: int, total: int, seconds: float, start_done: int) -> str:
    new = done - start_done
    if new <= 0:
        return "--"
    left = (total - done) * seconds / new
    return f"{int(left // 60):02d}:{int(left % 60):02d}"


def register(app: typer.Typer) -> None:
    """Add ``sweep`` to ``app``."""

    @app.command("sweep", epilog=EXAMPLES)
    def sweep_cmd(
        file: Annotated[Path, typer.Argument(help="The sweep file (YAML).")],
        workers: Annotated[int, typer.Option("--workers", help="Local processes.")] = 1,
        scheduler: Annotated[
            str | None,
            typer.Option("--scheduler", help="Address of a running Dask scheduler."),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out", help="Directory of the Parquet dataset (default: FILE's name + '.out')."
            ),
        ] = None,
        top: Annotated[int, typer.Option("--top", help="Worst cases to show.")] = 5,
        engine: Annotated[
            str | None,
            typer.Option("--engine", help="analytic or montecarlo (default: the file's)."),
        ] = None,
        replications: Annotated[
            int | None,
            typer.Option("--replications", help="Monte Carlo replications per scenario."),
        ] = None,
        daily: Annotated[
            bool, typer.Option("--daily", help="Also write the daily series (daily/).")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        catalogue: CatalogueOption = None,
        no_builtin: NoBuiltinOption = False,
    ) -> None:
        """Run every scenario of a sweep file, chunk by chunk, into a Parquet dataset
        (resuming an interrupted run); then show which axes move the force's days lost
        most (main effects) and the worst cases."""

        def work() -> None:
            import time

            from tether._sweep import (
                load_sweep,
                main_effects,
                read_dataset,
                run_sweep,
                seed_spread,
                worst_cases,
            )

            spec = load_sweep(
                file,
                [str(c) for c in catalogue or []],
                builtin=not no_builtin,
                engine=engine,
                replications=replications,
                daily=daily or None,
            )
            target = out if out is not None else file.with_suffix(".out")
            state: dict[str, Any] = {"first": None, "last": 0.0}

            def report(done: int, total: int, seconds: float) -> None:
                if state["first"] is None:
                    state["first"] = done - 1
                now = time.monotonic()
                if done < total and now - state["last"] < 0.5:
                    return
                state["last"] = now
                rate = (done - state["first"]) * spec.chunk_size / max(seconds, 1e-9)
                err_console.print(
                    f"sweep: {done}/{total} chunks, {rate:,.1f} scenarios/s, "
                    f"{_eta(done, total, seconds, state['first'])} left",
                    highlight=False,
                )

            run = run_sweep(spec, target, workers=workers, scheduler=scheduler, progress=report)
            frame = read_dataset(target)
            names = [a.name for a in spec.axes]
            effects = main_effects(frame, names)
            worst = worst_cases(frame, names, top)
            noise = seed_spread(frame, names)
            se_rows = frame[(frame["area"] == "(force)") & (frame["metric"] == "days_lost_se")]
            se = float(se_rows["value"].mean()) if len(se_rows) else None
            if as_json:
                write_json(
                    {
                        "out": str(target),
                        "scenarios": len(spec.points),
                        "chunks": run.chunks,
                        "written": run.written,
                        "skipped": run.skipped,
                        "engine": spec.engine,
                        "replications": spec.replications if spec.engine == "montecarlo" else None,
                        "daily": spec.daily,
                        "seed_spread": None if noise is None else noise.to_dict(),
                        "days_lost_se_mean": se,
                        "main_effects": [e.to_dict() for e in effects],
                        "worst": worst.to_dict(orient="records"),
                    }
                )
                return
            from rich.markup import escape

            p = out_console.print
            p(
                f"{len(spec.points)} scenarios ({spec.engine}"
                + (f", {spec.replications} replications" if spec.engine == "montecarlo" else "")
                + f") in {run.chunks} chunks to {target} "
                f"({run.written} written now, {run.skipped} already there, {run.seconds:.1f} s)",
                highlight=False,
            )
            p("[bold]main effects[/] on the force's days lost (spread of level means):")
            for e in effects:
                lv = ", ".join(f"{k}: {v:.3g}" for k, v in e.levels.items())
                p(escape(f"  {e.axis}: {e.spread:.3g}  ({lv})"), highlight=False, soft_wrap=True)
            if se is not None:
                p(
                    f"Monte Carlo standard error of a scenario's days lost: {se:.3g} (mean)",
                    highlight=False,
                )
            if noise is not None:
                p(
                    f"across {noise.seeds} seeds, one point's days lost moves by "
                    f"{noise.mean_sd:.3g} (mean standard deviation; largest range "
                    f"{noise.max_range:.3g})",
                    highlight=False,
                )
            p(f"[bold]worst {len(worst)} cases[/]:")
            for rec in worst.to_dict(orient="records"):
                axes = ", ".join(f"{k}={rec[k]}" for k in names)
                p(
                    escape(f"  #{rec['scenario']}: {rec['days_lost']:.3g} days lost  ({axes})"),
                    highlight=False,
                    soft_wrap=True,
                )

        guard(work)
