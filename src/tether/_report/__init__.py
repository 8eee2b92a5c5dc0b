"""The self-contained HTML report and the charts shared by the report, the web
workbench and :meth:`tether.Result.plot`.

plotly is in the ``web`` extra; it is imported when a chart is made, never at
``import tether``.
"""

from __future__ import annotations

from tether._report.charts import capability_figure, capability_traces
from tether._report.html import render_report, write_report

__all__ = ["capability_figure", "capability_traces", "render_report", "write_report"]
