"""tether: what still works, day by day, when a supplier withholds support.

>>> import tether
>>> doc = tether.load("examples/single-fleet.yaml")
>>> result = tether.simulate(doc)
>>> result.summary["long-range-fires"].time_to_survive
{0.75: 0, 0.5: 1}
"""

import importlib.metadata as _metadata

from tether._analysis.exposure import Exposure, ExposureRow, exposure
from tether._api import simulate
from tether._engine.metric import MetricResult, metric
from tether._engine.poisson import ebo
from tether._errors import CapacityError, Diagnostic, InputError, SolverError, TetherError
from tether._loader import load, load_text
from tether._metrics import Summary, summarise
from tether._model import (
    Area,
    Cutoff,
    Document,
    Fleet,
    Force,
    Jurisdiction,
    Part,
    Scenario,
    Supplier,
    SystemType,
)
from tether._plan import stopped_suppliers
from tether._result import Result
from tether._schema import schema

try:
    __version__ = _metadata.version("tether")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Area",
    "CapacityError",
    "Cutoff",
    "Diagnostic",
    "Document",
    "Exposure",
    "ExposureRow",
    "Fleet",
    "Force",
    "InputError",
    "Jurisdiction",
    "MetricResult",
    "Part",
    "Result",
    "Scenario",
    "SolverError",
    "Summary",
    "Supplier",
    "SystemType",
    "TetherError",
    "__version__",
    "ebo",
    "exposure",
    "load",
    "load_text",
    "metric",
    "schema",
    "simulate",
    "stopped_suppliers",
    "summarise",
]
