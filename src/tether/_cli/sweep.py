"""``tether sweep`` and ``tether sensitivity``: families of scenarios, and which
assumptions move the answer.

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
    "  tether sweep my-sweep.yaml --engine montecarlo --replications 500 --daily\n\n"
    "  tether sensitivity demo --file examples/single-fleet.yaml --json"
)


def _eta(done: int, total: int, seconds: float, start_done: int) -> str:
    new = done - start_done
    if new <= 0:
        return "--"
    left = (total - done) * seconds / new
    return f"{int(left // 60):02d}:{int(left % 60):02d}"


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``sensitivity`` to ``app``."""

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

    @app.command("sensitivity", epilog=EXAMPLES)
    def sensitivity_cmd(
        force: Annotated[str, typer.Argument(help="A force name, or a file whose force to use.")],
        file: Annotated[
            Path | None, typer.Option("--file", help="A tether file holding the force.")
        ] = None,
        scenario: Annotated[
            str | None, typer.Option("--scenario", help="The scenario (default: the file's first).")
        ] = None,
        low: Annotated[float, typer.Option("--low", help="Low factor of each range.")] = 0.5,
        high: Annotated[float, typer.Option("--high", help="High factor of each range.")] = 2.0,
        trajectories: Annotated[
            int, typer.Option("--trajectories", help="Morris trajectories.")
        ] = 10,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the design.")] = 0,
        ranking: Annotated[
            int,
            typer.Option(
                "--ranking",
                help="Also sample N points of the ranges and report how the exposure "
                "ranking holds (P(first), rank interval); 0: not.",
            ),
        ] = 0,
        top: Annotated[int, typer.Option("--top", help="Rows to show.")] = 15,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        catalogue: CatalogueOption = None,
        no_builtin: NoBuiltinOption = False,
    ) -> None:
        """Rank the force's assumed parameters (its 'assumed:' marks) by how much they
        move its capability-days lost: Morris elementary effects over x LOW..x HIGH."""

        def work() -> None:
            from tether._analysis.sensitivity import ranking_robustness, sensitivity
            from tether._loader import load, load_text

            cat = [str(c) for c in catalogue or []]
            src = file
            name: str | None = force
            if src is None and Path(force).is_file():
                src, name = Path(force), None
            doc = (
                load(src, cat, builtin=not no_builtin)
                if src is not None
                else load_text("scenarios: []", "<catalogue>", cat, builtin=not no_builtin)
            )
            r = sensitivity(
                doc,
                name,
                scenario=scenario,
                factors=(low, high),
                trajectories=trajectories,
                seed=seed,
            )
            ranks = (
                ranking_robustness(
                    doc,
                    r.force,
                    samples=ranking,
                    factors=(low, high),
                    seed=seed,
                    horizon=doc.scenario(r.scenario).horizon_days,
                )
                if ranking > 0
                else ()
            )
            if as_json:
                payload = r.to_dict()
                if ranking > 0:
                    payload["ranking"] = [x.to_dict() for x in ranks]
                write_json(payload)
                return
            from rich.markup import escape

            p = out_console.print
            p(
                f"force {r.force}, scenario {r.scenario}: {len(r.rows)} assumed parameters, "
                f"x{low:g}..x{high:g}, {r.runs} runs; base {r.base:.4g} capability-days lost",
                highlight=False,
            )
            p("  mu*      sigma    parameter")
            for row in r.rows[:top]:
                p(
                    escape(f"  {row.mu_star:<8.3g} {row.sigma:<8.3g} {row.path}"),
                    highlight=False,
                    soft_wrap=True,
                )
            if ranks:
                p(f"exposure ranking over {ranking} samples of the ranges:")
                p("  base  P(first)  ranks    cutoff")
                for x in ranks[:top]:
                    p(
                        f"  {x.base_rank:<5} {x.p_first:<9.2f} {x.rank_low}-{x.rank_high:<6} "
                        f"{x.target}: {x.kinds}",
                        highlight=False,
                    )

        guard(work)
