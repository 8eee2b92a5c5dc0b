"""One self-contained HTML file: the question asked, the tables, the charts (plotly's
JavaScript inlined from the installed package), the results that rest on assumed
values, and the sources. Opens from disk with the network off."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tether._errors import TetherError
from tether._report.charts import capability_layout, capability_traces, plotly_js

if TYPE_CHECKING:
    from tether._model import Document
    from tether._result import Result

__all__ = ["entry_sources", "inline_plotly", "render_report", "script_json", "write_report"]

#: Stands for plotly's JavaScript in a report rendered with ``plotly=False``.
PLOTLY_MARK = "<script>/*tether:plotly.js*/</script>"

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left}th{background:#f4f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.assumed{background:#fff4ce}.warn{color:#8a5a00}.chart{height:440px}
.meta{color:#666;font-size:.9em}
"""

_SUMMARY_COLUMNS = (
    ("area", "area"),
    ("minimum", "lowest fraction"),
    ("minimum_day", "on day"),
    ("days_lost", "days lost"),
    ("capability_days_lost", "capability-days lost"),
    ("time_to_recover", "days to recover"),
)


def script_json(value: Any) -> str:
    """JSON safe to place inside a ``<script>`` element."""
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "<td>-</td>"
    if isinstance(value, float):
        return f'<td class="n">{value:,.3f}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="n">{value:,}</td>'
    return f"<td>{escape(str(value))}</td>"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _link(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return f'<a href="{escape(url)}" rel="noreferrer">{escape(url)}</a>'
    return escape(url)


def _suppliers_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "supplier" and isinstance(v, str):
                yield v
            else:
                yield from _suppliers_in(v)
    elif isinstance(node, list):
        for v in node:
            yield from _suppliers_in(v)


def entry_sources(
    doc: Document, force_name: str
) -> list[tuple[str, str, list[str], dict[str, str]]]:
    """(section, name, sources, assumed) for the force, its systems and their suppliers."""
    out: list[tuple[str, str, list[str], dict[str, str]]] = []
    force = doc.force(force_name)
    out.append(("force", force.name, list(force.sources), dict(force.assumed)))
    suppliers: dict[str, None] = {}
    for system_name in dict.fromkeys(f.system for f in force.fleets):
        system = doc.system(system_name)
        out.append(("system", system.name, list(system.sources), dict(system.assumed)))
        for s in _suppliers_in(system.model_dump(mode="json")):
            suppliers[s] = None
    for s in suppliers:
        try:
            sup = doc.supplier(s)
        except KeyError:
            continue
        out.append(("supplier", sup.name, list(sup.sources), dict(sup.assumed)))
    return out


def _question(doc: Document | None, result: Result) -> str:
    parts = [f"<p><b>Scenario</b>: {escape(result.scenario)}"]
    if result.title:
        parts.append(f" ({escape(result.title)})")
    parts.append(f"; <b>engine</b>: {escape(result.engine)}")
    if result.settings:
        settings = ", ".join(f"{k} {v}" for k, v in result.settings.items())
        parts.append(f" ({escape(settings)})")
    parts.append(f"; <b>horizon</b>: {result.horizon} days</p>")
    if doc is None:
        return "".join(parts)
    try:
        scenario = doc.scenario(result.scenario)
    except KeyError:
        return "".join(parts)
    force = doc.force(scenario.force)
    parts.append(
        f"<p><b>Force</b>: {escape(force.name)}"
        + (f" ({escape(force.title)})" if force.title else "")
        + f", operator {escape(force.operator)}, {len(force.fleets)} fleet(s)</p>"
    )
    rows = [
        (
            f"jurisdiction {c.jurisdiction}" if c.jurisdiction else f"supplier {c.supplier}",
            ", ".join(str(k) for k in c.kinds),
            c.start_day,
            c.expected_end() if c.expected_end() is not None else "never",
        )
        for c in scenario.cutoffs
    ]
    parts.append("<p><b>Cutoffs</b>:</p>")
    parts.append(_table(("withheld by", "kinds", "from day", "resumes on day"), rows))
    return "".join(parts)


def _section(doc: Document | None, result: Result, index: int) -> str:
    from pandas import isna  # None, NaN and the summary's missing whole numbers (pd.NA)

    out = [f"<h2>{escape(result.scenario)}</h2>", _question(doc, result)]
    frame = result.summary_frame()
    cols = [c for c, _ in _SUMMARY_COLUMNS if c in frame.columns]
    tts = [c for c in frame.columns if str(c).startswith("tts_")]
    lost = [c for c in frame.columns if str(c).startswith("lost_")]
    header = [dict(_SUMMARY_COLUMNS)[c] for c in cols]
    header += [f"days above {c[4:]}" for c in tts] + [f"lost to {c[5:]}" for c in lost]
    rows = []
    for _, rec in frame.iterrows():
        row = []
        for c in [*cols, *tts, *lost]:
            v = rec[c]
            row.append(None if isna(v) else (v.item() if hasattr(v, "item") else v))
        rows.append(row)
    out.append("<h3>Summary per area</h3>")
    out.append(
        '<p class="meta">Fractions are of the same-day no-cutoff capability; days lost '
        "and capability-days lost over the horizon.</p>"
    )
    out.append(_table(header, rows))
    chart_id = f"chart-{index}"
    out.append(f'<h3>Capability per area over time</h3><div class="chart" id="{chart_id}"></div>')
    figure = {
        "data": capability_traces(result),
        "layout": capability_layout(f"{result.scenario}: capability per area"),
    }
    out.append(
        f'<script type="application/json" id="{chart_id}-data">{script_json(figure)}</script>'
    )
    assumed = {a: v for a, v in result.assumptions.items() if v}
    out.append("<h3>Results that rest on assumed values</h3>")
    if assumed:
        out.append(
            '<p class="meta">These areas depend on parameters with no public source '
            "(marked assumed in the catalogue or the file):</p><ul>"
        )
        for area, names in assumed.items():
            out.append(
                f'<li class="assumed"><b>{escape(area)}</b>: {escape(", ".join(names))}</li>'
            )
        out.append("</ul>")
    else:
        out.append("<p>None: every parameter behind these results is cited.</p>")
    for w in result.warnings:
        out.append(f'<p class="warn">Warning: {escape(w)}</p>')
    if result.notes:
        out.append("<h3>Notes</h3><ul>")
        out += [f"<li>{escape(n)}</li>" for n in result.notes]
        out.append("</ul>")
    return "".join(out)


def _sources(doc: Document, results: Sequence[Result]) -> str:
    forces: dict[str, None] = {}
    for r in results:
        try:
            forces[doc.scenario(r.scenario).force] = None
        except KeyError:
            continue
    seen: set[tuple[str, str]] = set()
    out = ["<h2>Sources</h2>"]
    for force in forces:
        for section, name, sources, assumed in entry_sources(doc, force):
            if (section, name) in seen:
                continue
            seen.add((section, name))
            out.append(f"<h3>{escape(section)} {escape(name)}</h3>")
            if sources:
                out.append("<ul>" + "".join(f"<li>{_link(s)}</li>" for s in sources) + "</ul>")
            else:
                out.append("<p>No public source given.</p>")
            if assumed:
                out.append('<p class="assumed">Assumed (no public source):</p><ul>')
                out += [
                    f'<li class="assumed">{escape(k)}: {escape(v)}</li>' for k, v in assumed.items()
                ]
                out.append("</ul>")
    return "".join(out)


_BOOT = """
document.querySelectorAll('.chart').forEach(function (el) {
  var spec = JSON.parse(document.getElementById(el.id + '-data').textContent);
  Plotly.newPlot(el, spec.data, spec.layout, {displaylogo: false, responsive: true});
});
"""


def render_report(
    results: Sequence[Result],
    doc: Document | None = None,
    *,
    source: str | None = None,
    plotly: bool = True,
    extra: Sequence[str] = (),
) -> str:
    """The report as one HTML string (plotly's JavaScript inlined; no network needed).

    ``plotly=False`` leaves :data:`PLOTLY_MARK` in its place (a stored report is small);
    :func:`inline_plotly` puts the library back. ``extra`` sections (HTML, e.g.
    :func:`tether._report.sensitivity.sensitivity_section`) follow the results."""
    import tether

    if not results:
        raise TetherError("a report needs at least one result")
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = "tether report: " + ", ".join(r.scenario for r in results)
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">tether {escape(str(tether.__version__))}, {stamp}'
        + (f", from {escape(source)}" if source else "")
        + "</p>",
    ]
    body += [_section(doc, r, i) for i, r in enumerate(results)]
    body += list(extra)
    if doc is not None:
        body.append(_sources(doc, results))
    text = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style>"
        f"{PLOTLY_MARK}</head><body>{''.join(body)}"
        f"<script>{_BOOT}</script></body></html>\n"
    )
    return inline_plotly(text) if plotly else text


def inline_plotly(text: str) -> str:
    """``text`` with :data:`PLOTLY_MARK` replaced by plotly's JavaScript."""
    js = plotly_js().replace("</script", "<\\/script")
    return text.replace(PLOTLY_MARK, f"<script>{js}</script>", 1)


def write_report(
    path: str | Path,
    results: Sequence[Result],
    doc: Document | None = None,
    *,
    source: str | None = None,
    extra: Sequence[str] = (),
) -> Path:
    """Write :func:`render_report` to ``path``."""
    out = Path(path)
    text = render_report(results, doc, source=source, extra=extra)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise TetherError(f"cannot write {out}: {exc.strerror}") from None
    return out
