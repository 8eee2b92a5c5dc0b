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


def rich_case(stock: float) -> dict[str, Any]:
    """Keyword arguments for :func:`single_pool` adding software, a service with a
    contracted alternative, and a munition with ``stock`` rounds and resupply, all from
    ``acme`` (so one cutoff of ``acme`` touches every factor)."""
    return {
        "system": {
            "software": [
                {
                    "name": "md",
                    "supplier": "acme",
                    "cadence_days": 14,
                    "decay": {"grace_days": 20, "decline_days": 15, "floor": 0.3},
                }
            ],
            "services": [{"name": "isr", "supplier": "acme", "factor_when_withheld": 0.5}],
            "munitions": [{"name": "r", "supplier": "acme", "use_per_unit_day": 1}],
        },
        "fleet": {
            "services": {
                "isr": {"alternative": {"supplier": "beta", "switch_days": 9, "factor": 0.8}}
            },
            "munitions": {"r": {"stock": stock, "resupply": [{"per_day": 15}]}},
        },
    }
