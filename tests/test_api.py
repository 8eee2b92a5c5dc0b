"""The curated public API does not drift."""

from __future__ import annotations

import tether

EXPECTED = {
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
}


def test_all_is_curated() -> None:
    assert set(tether.__all__) == EXPECTED
    assert sorted(tether.__all__) == tether.__all__
    for name in tether.__all__:
        assert hasattr(tether, name), name


def test_public_names_are_not_private_modules() -> None:
    public = {n for n in dir(tether) if not n.startswith("_")}
    assert public - EXPECTED <= set(), public - EXPECTED


def test_one_exception_tree() -> None:
    for exc in (tether.InputError, tether.CapacityError, tether.SolverError):
        assert issubclass(exc, tether.TetherError)
    err = tether.SolverError("spares optimisation failed", status="Infeasible")
    assert err.status == "Infeasible" and "Infeasible" in str(err)


def test_engines_do_not_import_the_model_or_interfaces() -> None:
    import ast
    import sys
    from pathlib import Path

    engine_dir = Path(tether.__file__).parent / "_engine"
    allowed = (  # besides the standard library
        "__future__",
        "numpy",
        "scipy",
        "tether._engine",
        "tether._kinds",  # a leaf of constants shared with the model
    )
    for path in engine_dir.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                stdlib = n.split(".")[0] in sys.stdlib_module_names
                assert stdlib or n.startswith(allowed), f"{path.name} imports {n}"


def test_allocator_tuning_takes_on_linux() -> None:
    import sys

    from tether._allocator import tune_allocator

    if sys.platform.startswith("linux"):
        assert tune_allocator() is True
    else:  # pragma: no cover - other platforms keep their allocator
        assert tune_allocator() is False
