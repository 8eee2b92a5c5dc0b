"""The sensitivity analysis as a chart (plotly trace dicts), an HTML section and a page.

Only formats what :func:`tether.sensitivity` returns: the Morris ``mu*`` of every
parameter, the Sobol S1 and ST (with their confidence half-widths) of those kept by
screening, and the exposure ranking's robustness (P(first), rank interval).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tether._analysis.sensitivity import RankRow, Sensitivity, SensitivityRow

__all__ = [
    "LABELS",
    "by_result",
    "ranking_rows",
    "report_section",
    "sensitivity_chart",
    "sensitivity_page",
    "sensitivity_rows",
    "sensitivity_section",
]

#: How each result is named in tables and charts.
LABELS = {
    "capability_days_lost": "capability-days lost",
    "time_to_survive": "time to survive",
    "top_supplier_days_lost": "days lost, top supplier",
}


def _short(path: str) -> str:
    return path.split("].", 1)[-1] if path.startswith("systems[") else path


def sensitivity_rows(s: Sensitivity, result: str, top: int | None = None) -> list[list[Any]]:
    """Table rows for one result: parameter, value, range, mu*, sigma, S1 +- conf,
    ST +- conf (``None`` where the parameter was screened out)."""
    rows = []
    for r in by_result(s, result)[:top]:
        m = r.morris[result]
        sb = r.sobol.get(result)
        rows.append(
            [
                r.path,
                r.value,
                f"{r.low:.4g}..{r.high:.4g}",
                m["mu_star"],
                m["sigma"],
                None if sb is None else f"{sb['s1']:.3f} ± {sb['s1_conf']:.3f}",
                None if sb is None else f"{sb['st']:.3f} ± {sb['st_conf']:.3f}",
            ]
        )
    return rows


def by_result(s: Sensitivity, result: str) -> list[SensitivityRow]:
    """The parameters in order of their ``mu*`` on ``result``, largest first."""
    return sorted(s.rows, key=lambda r: (-r.morris[result]["mu_star"], r.path))


SENSITIVITY_HEADER = ("parameter", "value", "range", "mu*", "sigma", "S1", "ST")
RANKING_HEADER = ("base rank", "cutoff", "P(first)", "rank interval")


def ranking_rows(ranking: Sequence[RankRow], top: int | None = None) -> list[list[Any]]:
    """Table rows of the ranking's robustness, in base-rank order."""
    return [
        [x.base_rank, f"{x.target}: {x.kinds}", x.p_first, f"{x.rank_low}-{x.rank_high}"]
        for x in list(ranking)[:top]
    ]


def sensitivity_chart(s: Sensitivity, top: int = 12) -> dict[str, Any]:
    """A plotly figure dict: per result, bars of ``mu*`` relative to that result's largest
    (every parameter), and of ST (the parameters kept by screening), for the ``top``
    parameters."""
    rows = list(s.rows[:top])
    names = [_short(r.path) for r in rows][::-1]
    traces: list[dict[str, Any]] = []
    colours = ("#1f77b4", "#d62728", "#2ca02c")
    for i, result in enumerate(LABELS):
        mu = [r.morris[result]["mu_star"] for r in s.rows]
        big = max(mu) or 1.0
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"{LABELS[result]}: mu* / largest",
                "y": names,
                "x": [round(r.morris[result]["mu_star"] / big, 6) for r in rows][::-1],
                "marker": {"color": colours[i]},
                "xaxis": "x",
            }
        )
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"{LABELS[result]}: Sobol ST",
                "y": names,
                "x": [round(r.sobol[result]["st"], 6) if r.sobol else None for r in rows][::-1],
                "error_x": {
                    "type": "data",
                    "array": [
                        round(r.sobol[result]["st_conf"], 6) if r.sobol else None for r in rows
                    ][::-1],
                },
                "marker": {"color": colours[i], "opacity": 0.5},
                "xaxis": "x2",
            }
        )
    layout = {
        "title": {"text": f"{s.force}, {s.scenario}: which assumptions move the results"},
        "barmode": "group",
        "grid": {"rows": 1, "columns": 2},
        "xaxis": {"title": {"text": "Morris mu* (share of the largest)"}, "domain": [0, 0.48]},
        "xaxis2": {"title": {"text": "Sobol total index ST"}, "domain": [0.52, 1]},
        "yaxis": {"automargin": True},
        "height": max(360, 120 + 40 * len(rows)),
        "legend": {"orientation": "h", "y": -0.2},
    }
    return {"data": traces, "layout": layout}


def sensitivity_section(s: Sensitivity, index: int = 0, top: int = 15) -> str:
    """An HTML section (tables per result, the chart, the ranking's robustness) for a
    report; the chart boots like the report's others (``.chart`` with a ``-data`` JSON)."""
    from tether._report.html import _table, script_json

    out = [
        f'<section class="sensitivity" id="sensitivity-{index}">',
        f"<h2>Sensitivity to assumptions: {escape(s.force)}, {escape(s.scenario)}</h2>",
        '<p class="meta">'
        + escape(
            f"{len(s.rows)} parameters, ranges x{s.factors[0]:g}..x{s.factors[1]:g} unless "
            f"a ranges file says otherwise (log scale); Morris screening, "
            f"{s.trajectories} trajectories ({s.morris_runs} runs), then Sobol indices "
            f"for the {len(s.kept)} kept (mu* at least {s.share:g} of the largest, at most "
            f"{s.max_sobol}; {s.sobol_runs} runs). Top supplier: {s.top_supplier}."
        )
        + "</p>",
    ]
    for result, label in LABELS.items():
        out.append(f"<h3>{escape(label)} (base {s.base[result]:,.3f})</h3>")
        out.append(_table(SENSITIVITY_HEADER, sensitivity_rows(s, result, top)))
    chart_id = f"sensitivity-chart-{index}"
    out.append(f'<div class="chart" id="{chart_id}"></div>')
    out.append(
        f'<script type="application/json" id="{chart_id}-data">'
        f"{script_json(sensitivity_chart(s))}</script>"
    )
    if s.ranking:
        out.append(f"<h3>Robustness of the exposure ranking ({s.ranking_samples} samples)</h3>")
        out.append(_table(RANKING_HEADER, ranking_rows(s.ranking, top)))
    out.append("</section>")
    return "".join(out)


def sensitivity_page(s: Sensitivity) -> str:
    """A self-contained HTML page of :func:`sensitivity_section` (plotly inlined)."""
    from tether._report.html import _BOOT, _STYLE, PLOTLY_MARK, inline_plotly

    title = f"tether sensitivity: {s.force}, {s.scenario}"
    text = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style>{PLOTLY_MARK}</head>"
        f"<body><h1>{escape(title)}</h1>{sensitivity_section(s)}"
        f"<script>{_BOOT}</script></body></html>\n"
    )
    return inline_plotly(text)


#: ``tether report --sensitivity``: points of the exposure ranking's robustness.
REPORT_RANKING = 32


def report_section(document: Any, scenario: str, index: int = 0) -> str:
    """:func:`sensitivity_section` of ``scenario``'s force, with ``tether sensitivity``'s
    default settings and the ranking's robustness over :data:`REPORT_RANKING` points."""
    from tether._analysis.sensitivity import sensitivity

    s = sensitivity(document, scenario=scenario, ranking=REPORT_RANKING)
    return sensitivity_section(s, index)
