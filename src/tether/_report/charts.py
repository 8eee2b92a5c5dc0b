"""Charts as plain plotly trace dicts (JSON-ready), and as plotly figures.

The trace dicts are what the report and the web page hand to ``Plotly.newPlot`` in the
browser; :func:`capability_figure` wraps the same traces in a ``plotly`` Figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether._errors import TetherError

if TYPE_CHECKING:
    from tether._result import Result

__all__ = ["capability_figure", "capability_layout", "capability_traces", "plotly_js"]

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _values(values: Any) -> list[float | None]:
    out: list[float | None] = []
    for v in values:
        f = float(v)
        out.append(round(f, 6) if f == f and abs(f) != float("inf") else None)
    return out


def capability_traces(result: Result, label: str | None = None) -> list[dict[str, Any]]:
    """Capability per area over time (fraction of the same-day no-cutoff baseline), one
    line per area; with Monte Carlo bands (the widest and the inner quantile pair) when
    the result has them. ``label`` prefixes each trace name (two runs side by side)."""
    days = list(range(result.horizon + 1))
    traces: list[dict[str, Any]] = []
    prefix = f"{label}: " if label else ""
    quantiles = [float(q) for q in result.data["quantile"].values] if result.has_bands else []
    pairs = [(quantiles[i], quantiles[-1 - i]) for i in range(len(quantiles) // 2)]
    for i, area in enumerate(result.areas):
        colour = _COLOURS[i % len(_COLOURS)]
        for k, (lo, hi) in enumerate(pairs):
            alpha = 0.12 + 0.1 * k
            name = f"{prefix}{area} p{round(100 * lo)}-p{round(100 * hi)}"
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": days,
                    "y": _values(result.band(area, lo)),
                    "line": {"width": 0, "color": colour},
                    "name": name,
                    "legendgroup": f"{prefix}{area}",
                    "showlegend": False,
                    "hoverinfo": "skip",
                }
            )
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": days,
                    "y": _values(result.band(area, hi)),
                    "line": {"width": 0, "color": colour},
                    "fill": "tonexty",
                    "fillcolor": _rgba(colour, alpha),
                    "name": name,
                    "legendgroup": f"{prefix}{area}",
                    "showlegend": True,
                }
            )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": days,
                "y": _values(result.fraction(area)),
                "line": {"width": 2, "color": colour, "dash": "dot" if label == "B" else "solid"},
                "name": f"{prefix}{area}" + (" (mean)" if result.has_bands else ""),
                "legendgroup": f"{prefix}{area}",
            }
        )
    return traces


def capability_layout(title: str) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": "day"}},
        "yaxis": {"title": {"text": "fraction of no-cutoff capability"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.2},
        "margin": {"t": 50, "l": 60, "r": 20, "b": 40},
        "template": "plotly_white",
    }


def _title(result: Result) -> str:
    return f"{result.scenario}: capability per area ({result.engine})"


def capability_figure(result: Result) -> Any:
    """A plotly Figure of capability per area over time (bands from Monte Carlo)."""
    try:
        import plotly.graph_objects as go  # type: ignore[import-untyped]
    except ImportError:
        raise TetherError("charts need plotly: pip install 'tether[web]'") from None
    return go.Figure(data=capability_traces(result), layout=capability_layout(_title(result)))


def plotly_js() -> str:
    """plotly's bundled JavaScript, from the installed package (no CDN)."""
    try:
        from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]
    except ImportError:
        raise TetherError("the HTML report needs plotly: pip install 'tether[web]'") from None
    return str(get_plotlyjs())
