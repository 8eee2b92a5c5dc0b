"""Builders of small tether documents for tests."""

from __future__ import annotations

from typing import Any

import yaml

import tether
from tether._model import Document


def single_pool(
    *,
    units: int = 20,
    demand_per_day: float = 0.5,
    turnaround: float = 30.0,
    spares: int = 10,
    cutoffs: list[dict[str, Any]] | None = None,
    horizon: int = 60,
    extra_part: dict[str, Any] | None = None,
    fleet: dict[str, Any] | None = None,
    system: dict[str, Any] | None = None,
    scenario: dict[str, Any] | None = None,
) -> Document:
    """One fleet, one part repaired by one supplier (``acme``, located in US)."""
    hours = 1.0
    part = {
        "name": "item",
        "failure_rate": demand_per_day / (units * hours),
        "supplier_repair": {"supplier": "acme", "turnaround_days": turnaround},
    }
    st: dict[str, Any] = {"name": "pool", "parts": [part] + ([extra_part] if extra_part else [])}
    st.update(system or {})
    fl: dict[str, Any] = {
        "name": "pool",
        "system": "pool",
        "area": "a",
        "units": units,
        "hours_per_day": hours,
        "spares": {"item": spares},
    }
    fl.update(fleet or {})
    doc = {
        "suppliers": [
            {"name": "acme", "jurisdiction": "US"},
            {"name": "beta", "jurisdiction": "FR"},
        ],
        "systems": [st],
        "forces": [{"name": "f", "operator": "EE", "areas": [{"name": "a"}], "fleets": [fl]}],
        "scenarios": [
            {"name": "s", "force": "f", "horizon_days": horizon, "cutoffs": cutoffs or []}
            | (scenario or {})
        ],
    }
    return tether.load_text(yaml.safe_dump(doc, sort_keys=False), "pool.yaml")
