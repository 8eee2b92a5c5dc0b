"""``tether industry FILE``: rank the disruptions of a production network (TTS, TTR, REI).

Kept light at import (the command line starts fast): the analysis, numpy and pydantic
load inside the command.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from tether._cli.common import (
    CatalogueOption,
    NoBuiltinOption,
    err_console,
    guard,
    out_console,
    write_json,
)
from tether._errors import TetherError

if TYPE_CHECKING:
    from rich.table import Table

    from tether._analysis.industry import Industry

__all__ = ["register"]

EXAMPLES = (
    "Examples:\n\n  tether industry my-network.yaml --ttr 90\n\n"
    "  tether industry my-network.yaml --by jurisdiction --json"
)


class By(enum.StrEnum):
    site = "site"
    supplier = "supplier"
    jurisdiction = "jurisdiction"


def _days(value: float | None, horizon: int) -> str:
    return f">{horizon}" if value is None else f"{value:.1f}"


def table(ranked: Industry, top: int) -> Table:
    """The ranked disruptions, worst first."""
    from rich.table import Table

    base = ranked.baseline_tts
    caption = (
        f"TTS: days demand is met in full after the disruption (horizon {ranked.horizon_days}; "
        f"undisrupted: {_days(base, ranked.horizon_days)}). Lost: units and value short over "
        f"a time-to-recover of {ranked.ttr_days:g} days, beyond the undisrupted network's "
        f"loss ({ranked.baseline_value_lost:,.0f}). REI = value lost / largest value lost."
    )
    if ranked.sustained:
        short = ", ".join(f"{p} {100 * f:.0f}%" for p, f in ranked.sustained.items())
        caption += (
            f" Short even undisrupted (share of demand the lines sustain, which TTS is "
            f"measured against): {short}."
        )
    t = Table(
        title=f"Industry {ranked.network}: one disruption per {ranked.by}",
        caption=caption,
        caption_justify="left",
    )
    for name, justify in (
        ("#", "right"),
        (ranked.by, "left"),
        ("TTS days", "right"),
        ("units lost", "right"),
        ("value lost", "right"),
        ("REI", "right"),
        ("stops", "left"),
    ):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for i, r in enumerate(ranked.rows[:top], 1):
        stops = ", ".join(r.stops[:4]) + (f" +{len(r.stops) - 4}" if len(r.stops) > 4 else "")
        t.add_row(
            str(i),
            f"[bold]{r.target}[/]",
            _days(r.time_to_survive, ranked.horizon_days),
            f"{r.units_lost:,.0f}",
            f"{r.value_lost:,.0f}",
            f"{r.risk_exposure_index:.2f}",
            stops,
        )
    return t


def write_out(ranked: Industry, out: Path) -> list[Path]:
    """``industry.csv`` (one row per disruption) and ``industry.json`` in ``out``."""
    import csv
    import json

    try:
        out.mkdir(parents=True, exist_ok=True)
        path_csv = out / "industry.csv"
        with path_csv.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["target", "time_to_survive", "units_lost", "value_lost", "rei", "stops"])
            for r in ranked.rows:
                tts = "" if r.time_to_survive is None else r.time_to_survive
                w.writerow(
                    [
                        r.target,
                        tts,
                        r.units_lost,
                        r.value_lost,
                        r.risk_exposure_index,
                        ";".join(r.stops),
                    ]
                )
        path_json = out / "industry.json"
        path_json.write_text(json.dumps(ranked.to_dict(), allow_nan=False) + "\n", "utf-8")
    except OSError as exc:
        raise TetherError(f"cannot write to {out}: {exc.strerror}") from None
    return [path_csv, path_json]


def register(app: typer.Typer) -> None:
    """Add ``tether industry`` to ``app``."""

    @app.command("industry", epilog=EXAMPLES)
    def industry_cmd(
        file: Annotated[
            Path, typer.Argument(help="A file (its industry network or the catalogue's).")
        ],
        network: Annotated[
            str | None, typer.Option("--network", "-n", help="The network to analyse.")
        ] = None,
        ttr: Annotated[
            float, typer.Option("--ttr", min=0.001, max=36_500, help="Time to recover, days.")
        ] = 90.0,
        by: Annotated[
            By, typer.Option("--by", help="One disruption per site, supplier or jurisdiction.")
        ] = By.site,
        day: Annotated[
            int, typer.Option("--day", min=0, max=36_500, help="Day the disruption starts.")
        ] = 0,
        top: Annotated[int, typer.Option("--top", min=1, help="Rows to show.")] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="Write industry.csv and industry.json here."),
        ] = None,
        catalogue: CatalogueOption = None,
        no_builtin: NoBuiltinOption = False,
    ) -> None:
        """Rank what breaks a production network: TTS, units and value lost over the
        time-to-recover, and the risk-exposure index, per disrupted site, supplier or
        jurisdiction (everything it controls goes down with it)."""

        def work() -> None:
            from tether._analysis.industry import industry
            from tether._loader import load

            doc = load(file, catalogue, builtin=not no_builtin)
            by_name: Literal["site", "supplier", "jurisdiction"] = by.value
            with err_console.status("solving the TTS and TTR programmes", spinner="dots"):
                ranked = industry(doc, network, by=by_name, ttr_days=ttr, day=day)
            if out is not None:
                written = write_out(ranked, out)
                err_console.print(f"wrote {len(written)} files to {out}", highlight=False)
            if as_json:
                write_json(ranked.to_dict())
                return
            out_console.print(table(ranked, top))

        guard(work)
