"""Start-up stays light: ``import tether`` and the command's module load no numpy,
pandas, xarray, scipy or pydantic until a name or a command needs them (timings are in
benchmarks/startup.py, not here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "xarray", "scipy", "pydantic", "yaml", "importlib.metadata")


def _loaded(code: str) -> set[str]:
    probe = f"{code}; import sys; print('\\n' + ' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(proc.stdout.splitlines()[-1].split()) if proc.stdout.strip() else set()


@pytest.mark.parametrize("code", ["import tether", "import tether._cli.main"])
def test_import_loads_nothing_heavy(code: str) -> None:
    assert _loaded(code) == set()


def test_help_loads_nothing_heavy() -> None:
    code = (
        "import sys; sys.argv = ['tether', '--help']\n"
        "from tether._cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert _loaded(f"exec({code!r})") == set()


def test_public_names_load_on_first_use() -> None:
    assert "xarray" in _loaded("import tether; tether.Result")
    assert "numpy" not in _loaded("import tether; tether.TetherError; tether.Diagnostic")
    assert "importlib.metadata" in _loaded("import tether; tether.__version__")


def test_a_run_loads_no_scipy_stats() -> None:
    """scipy.stats costs about a second to import; the engines and the run path use
    scipy.special (sensitivity and sweep designs import scipy.stats.qmc when asked)."""
    code = (
        "import sys; sys.modules.pop('scipy.stats', None)\n"
        "import tether._api, tether._engine.analytic, tether._engine.montecarlo\n"
        "assert 'scipy.stats' not in sys.modules, 'scipy.stats imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_names_are_the_real_objects() -> None:
    import tether
    from tether._engine.poisson import ebo
    from tether._loader import load

    assert tether.load is load and tether.ebo is ebo
    assert set(tether.__all__) <= set(dir(tether))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = tether.nope  # type: ignore[attr-defined]
