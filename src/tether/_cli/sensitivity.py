"""``tether sensitivity``: which assumptions move the answer (Morris, then Sobol).

Kept light at import: the command imports what it uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tether._cli.common import (
    CatalogueOption,
    NoBuiltinOption,
    guard,
    load_document,
    out_console,
    write_json,
)

__all__ = ["EXAMPLES", "register"]

EXAMPLES = (
    "Examples:\n\n"
    "  tether sensitivity examples/single-fleet.yaml\n\n"
    "  tether sensitivity european-nato --file examples/europe-us-withholds-year.yaml "
    "--ranges my-ranges.yaml --ranking 32 --chart sensitivity.html\n\n"
    "  tether sensitivity demo --file examples/single-fleet.yaml --json"
)


def register(app: typer.Typer) -> None:
    """Add ``sensitivity`` to ``app``."""
    app.command("sensitivity", epilog=EXAMPLES)(sensitivity_cmd)


def sensitivity_cmd(
    force: Annotated[str, typer.Argument(help="A force name, or a file whose force to use.")],
    file: Annotated[
        Path | None, typer.Option("--file", help="A tether file holding the force.")
    ] = None,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="The scenario (default: the file's first).")
    ] = None,
    ranges: Annotated[
        Path | None,
        typer.Option("--ranges", help="A YAML file of ranges by field path (docs/sweeps.md)."),
    ] = None,
    low: Annotated[float | None, typer.Option("--low", help="Low factor of each range.")] = None,
    high: Annotated[float | None, typer.Option("--high", help="High factor of each range.")] = None,
    trajectories: Annotated[
        int, typer.Option("--trajectories", help="Morris trajectories (at least 2).")
    ] = 10,
    samples: Annotated[
        int, typer.Option("--samples", help="Sobol base samples (a power of 2).")
    ] = 128,
    share: Annotated[
        float,
        typer.Option("--share", help="Screening: keep mu* at least this share of the largest."),
    ] = 0.1,
    max_sobol: Annotated[
        int, typer.Option("--max-sobol", help="Screening: at most this many parameters.")
    ] = 8,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the designs.")] = 0,
    ranking: Annotated[
        int,
        typer.Option(
            "--ranking",
            help="Also sample N points of the ranges and report how the exposure "
            "ranking holds (P(first), rank interval); 0: not.",
        ),
    ] = 0,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Write the tables and chart as one HTML page here."),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Rows to show.")] = 15,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    catalogue: CatalogueOption = None,
    no_builtin: NoBuiltinOption = False,
) -> None:
    """Rank the force's assumed parameters (its 'assumed:' marks, or a ranges file) by
    how much they move capability-days lost, time to survive and the top supplier's days
    lost: Morris screening over every parameter, then Sobol indices (S1, ST) on the
    parameters that survive (SALib)."""

    def work() -> None:
        from tether._analysis.sensitivity import load_ranges, sensitivity
        from tether._analysis.sensitivity_salib import require_salib
        from tether._errors import TetherError

        require_salib()
        src = file
        name: str | None = force
        if src is None and Path(force).is_file():
            src, name = Path(force), None
        doc = load_document(src, catalogue, no_builtin)
        spans, file_factors = load_ranges(ranges, doc) if ranges is not None else ({}, None)
        lo, hi = file_factors or (0.5, 2.0)
        factors = (lo if low is None else low, hi if high is None else high)
        r = sensitivity(
            doc,
            name,
            scenario=scenario,
            factors=factors,
            ranges=spans,
            trajectories=trajectories,
            samples=samples,
            share=share,
            max_sobol=max_sobol,
            ranking=ranking,
            seed=seed,
        )
        if chart is not None:
            from tether._report.sensitivity import sensitivity_page

            try:
                chart.write_text(sensitivity_page(r), encoding="utf-8")
            except OSError as exc:
                raise TetherError(f"cannot write {chart}: {exc.strerror}") from None
        if as_json:
            write_json(r.to_dict())
            return
        _print(r, top, chart)

    guard(work)


def _print(r: object, top: int, chart: Path | None) -> None:
    from rich.markup import escape

    from tether._analysis.sensitivity import Sensitivity
    from tether._report.sensitivity import LABELS, by_result

    assert isinstance(r, Sensitivity)
    p = out_console.print
    p(
        f"force {r.force}, scenario {r.scenario}: {len(r.rows)} parameters, "
        f"x{r.factors[0]:g}..x{r.factors[1]:g} unless ranged; Morris {r.morris_runs} runs, "
        f"Sobol on {len(r.kept)} kept ({r.sobol_runs} runs); top supplier {r.top_supplier}",
        highlight=False,
    )
    for result, label in LABELS.items():
        p(f"[bold]{label}[/] (base {r.base[result]:.4g})")
        p("  mu*        sigma      S1              ST              parameter", highlight=False)
        big = max(x.morris[result]["mu_star"] for x in r.rows) or 1.0
        for row in by_result(r, result)[:top]:
            m = row.morris[result]
            sb = row.sobol.get(result)
            s1 = f"{sb['s1']:.2f}±{sb['s1_conf']:.2f}" if sb else "-"
            st = f"{sb['st']:.2f}±{sb['st_conf']:.2f}" if sb else "-"
            bar = "#" * round(10 * m["mu_star"] / big)
            p(
                escape(
                    f"  {m['mu_star']:<10.3g} {m['sigma']:<10.3g} {s1:<15} {st:<15} "
                    f"{row.path} {bar}"
                ),
                highlight=False,
                soft_wrap=True,
            )
    if r.ranking:
        p(f"[bold]exposure ranking[/] over {r.ranking_samples} samples of the ranges:")
        p("  base  P(first)  ranks    cutoff", highlight=False)
        for x in r.ranking[:top]:
            p(
                escape(
                    f"  {x.base_rank:<5} {x.p_first:<9.2f} {x.rank_low}-{x.rank_high:<6} "
                    f"{x.target}: {x.kinds}"
                ),
                highlight=False,
            )
    if chart is not None:
        p(f"wrote {chart}", highlight=False)
