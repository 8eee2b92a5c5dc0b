"""tether: what still works, day by day, when a supplier withholds support.

>>> import tether
>>> doc = tether.load("examples/single-fleet.yaml")
>>> result = tether.simulate(doc)
>>> result.summary["long-range-fires"].time_to_survive
{0.75: 0, 0.5: 1}

Public names are imported on first use (PEP 562), so ``import tether`` and the
``tether`` command start fast: numpy, pandas, xarray and scipy load only when a name
that needs them is touched.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from tether._analysis.compare import Comparison, compare
    from tether._analysis.exposure import Exposure, ExposureRow, exposure
    from tether._analysis.industry import Industry, IndustryRow, industry
    from tether._analysis.optimise import Optimisation, PortfolioPoint, optimise
    from tether._analysis.spares import SparesCurve, SparesOptimum, spares_curve
    from tether._analysis.stockpile import Stockpile, stockpile
    from tether._api import simulate
    from tether._engine.metric import MetricResult, metric
    from tether._engine.poisson import ebo
    from tether._errors import (
        ArgumentError,
        CapacityError,
        Diagnostic,
        InputError,
        SolverError,
        TetherError,
    )
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

    __version__: str

# Each public name and the module that defines it.
_WHERE: dict[str, str] = {
    "Area": "tether._model",
    "ArgumentError": "tether._errors",
    "CapacityError": "tether._errors",
    "Comparison": "tether._analysis.compare",
    "Cutoff": "tether._model",
    "Diagnostic": "tether._errors",
    "Document": "tether._model",
    "Exposure": "tether._analysis.exposure",
    "ExposureRow": "tether._analysis.exposure",
    "Fleet": "tether._model",
    "Force": "tether._model",
    "Industry": "tether._analysis.industry",
    "IndustryRow": "tether._analysis.industry",
    "InputError": "tether._errors",
    "Jurisdiction": "tether._model",
    "MetricResult": "tether._engine.metric",
    "Optimisation": "tether._analysis.optimise",
    "Part": "tether._model",
    "PortfolioPoint": "tether._analysis.optimise",
    "Result": "tether._result",
    "Scenario": "tether._model",
    "SolverError": "tether._errors",
    "SparesCurve": "tether._analysis.spares",
    "SparesOptimum": "tether._analysis.spares",
    "Stockpile": "tether._analysis.stockpile",
    "Summary": "tether._metrics",
    "Supplier": "tether._model",
    "SystemType": "tether._model",
    "TetherError": "tether._errors",
    "compare": "tether._analysis.compare",
    "ebo": "tether._engine.poisson",
    "exposure": "tether._analysis.exposure",
    "industry": "tether._analysis.industry",
    "load": "tether._loader",
    "load_text": "tether._loader",
    "metric": "tether._engine.metric",
    "optimise": "tether._analysis.optimise",
    "schema": "tether._schema",
    "sensitivity": "tether._analysis.sensitivity",
    "simulate": "tether._api",
    "spares_curve": "tether._analysis.spares",
    "stockpile": "tether._analysis.stockpile",
    "stopped_suppliers": "tether._plan",
    "summarise": "tether._metrics",
    "sweep": "tether._sweep",
}

__all__ = [
    "Area",
    "ArgumentError",
    "CapacityError",
    "Comparison",
    "Cutoff",
    "Diagnostic",
    "Document",
    "Exposure",
    "ExposureRow",
    "Fleet",
    "Force",
    "Industry",
    "IndustryRow",
    "InputError",
    "Jurisdiction",
    "MetricResult",
    "Optimisation",
    "Part",
    "PortfolioPoint",
    "Result",
    "Scenario",
    "SolverError",
    "SparesCurve",
    "SparesOptimum",
    "Stockpile",
    "Summary",
    "Supplier",
    "SystemType",
    "TetherError",
    "__version__",
    "compare",
    "ebo",
    "exposure",
    "industry",
    "load",
    "load_text",
    "metric",
    "optimise",
    "schema",
    "sensitivity",
    "simulate",
    "spares_curve",
    "stockpile",
    "stopped_suppliers",
    "summarise",
    "sweep",
]


def _version() -> str:
    import importlib.metadata as metadata

    try:
        return metadata.version("tether")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def __getattr__(name: str) -> _typing.Any:
    """Import a public name from its module on first use, then keep it here."""
    if name == "__version__":
        value: _typing.Any = _version()
    elif name in _WHERE:
        value = getattr(_importlib.import_module(_WHERE[name]), name)
    else:
        raise AttributeError(f"module 'tether' has no attribute '{name}'")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({n for n in globals() if n.startswith("_")} | set(__all__))
