"""``tether stockpile``: base stock (and EOQ) against a supplier that fails at random.

Kept light at import: the command imports what it uses.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tether._cli.common import guard, out_console, write_json

__all__ = ["EXAMPLES", "register"]

EXAMPLES = (
    "Examples:\n\n"
    "  tether stockpile --disruption 0.05 --recovery 0.25 --holding 1 --shortage 10\n\n"
    "  tether stockpile --disruption 0.01 --recovery 0.1 --holding 2 --shortage 40 "
    "--demand 120 --order-cost 5k --level 1500 --json"
)


def _number(text: str, name: str) -> float:
    from tether._budget import parse_budget

    return parse_budget(text, name=name)


def register(app: typer.Typer) -> None:
    """Add ``stockpile`` to ``app``."""

    @app.command("stockpile", epilog=EXAMPLES)
    def stockpile_cmd(
        disruption: Annotated[
            float,
            typer.Option("--disruption", help="P(the supplier fails) per period, in (0, 1)."),
        ],
        recovery: Annotated[
            float,
            typer.Option("--recovery", help="P(a failed supplier recovers) per period, in (0, 1)."),
        ],
        holding: Annotated[
            str, typer.Option("--holding", help="Cost per unit held per period (>= 0).")
        ],
        shortage: Annotated[
            str, typer.Option("--shortage", help="Cost per unit short per period (>= 0).")
        ],
        demand: Annotated[str, typer.Option("--demand", help="Units used per period (> 0).")] = "1",
        level: Annotated[
            str | None,
            typer.Option("--level", help="Also cost this stock level.", show_default=False),
        ] = None,
        order_cost: Annotated[
            str | None,
            typer.Option(
                "--order-cost", help="Fixed cost per order: adds the EOQ under disruptions."
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """The stockpile (base-stock level) that minimises holding and shortage cost when the
        supplier fails and recovers at random each period (Snyder and Shen, ch. 9), and
        with --order-cost the order quantity under disruptions, exact and approximate."""

        def work() -> None:
            from tether._analysis.stockpile import stockpile
            from tether._errors import ArgumentError

            d = _number(demand, "--demand")
            if d <= 0:
                raise ArgumentError(f"--demand must be more than 0, not {demand!r}")
            r = stockpile(
                disruption,
                recovery,
                _number(holding, "--holding"),
                _number(shortage, "--shortage"),
                demand=d,
                level=None if level is None else _number(level, "--level"),
                order_cost=None if order_cost is None else _number(order_cost, "--order-cost"),
            )
            if as_json:
                write_json(r.to_dict())
                return
            p = out_console.print
            p(
                f"supplier down {r.disruption_share:.1%} of periods, outages of "
                f"{r.mean_outage:.3g} periods on average; demand {r.demand:,.4g} per period",
                highlight=False,
            )
            p(
                f"[bold]optimal stock level[/] {r.optimal_level:,.6g} "
                f"({r.optimal_level / r.demand:,.4g} periods of demand): expected cost "
                f"{r.optimal_cost:,.6g} per period",
                highlight=False,
            )
            if level is not None:
                p(
                    f"level {r.level:,.6g}: expected cost {r.cost:,.6g} per period; "
                    f"P(no shortage in a period) {r.cover_probability:.4f}",
                    highlight=False,
                )
            else:
                p(f"P(no shortage in a period) {r.cover_probability:.4f}", highlight=False)
            if r.eoqd is not None:
                e = r.eoqd
                p(
                    f"[bold]order quantity[/] under disruptions {e.exact_quantity:,.6g} "
                    f"(cost {e.exact_cost:,.6g} per period); approximation "
                    f"{e.approx_quantity:,.6g} (cost {e.approx_cost:,.6g}); "
                    f"EOQ with a reliable supplier {e.eoq:,.6g}",
                    highlight=False,
                )

        guard(work)
