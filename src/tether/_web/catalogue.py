"""The catalogue as the workbench shows it, and the common-case form as YAML."""

from __future__ import annotations

from typing import Any

import yaml

from tether._model import SECTIONS

__all__ = ["catalogue_entries", "catalogue_entry", "form_yaml"]


def catalogue_entries(doc: Any) -> list[dict[str, Any]]:
    """Every entry: section, name, title, and counts of sources, cited and assumed values."""
    return [
        {
            "section": section,
            "name": e.name,
            "title": e.title,
            "sources": len(e.sources),
            "cited": len(e.cited),
            "assumed": len(e.assumed),
        }
        for section in SECTIONS
        for e in getattr(doc, section)
    ]


def catalogue_entry(doc: Any, name: str) -> list[dict[str, Any]]:
    """The entries named ``name`` (one per section): fields as YAML, sources, cited
    numbers and assumed values with their reasons."""
    from tether._cli.catalogue import entry_text

    return [
        {
            "section": section,
            "name": e.name,
            "title": e.title,
            "text": entry_text(section, e),
            "sources": list(e.sources),
            "cited": dict(e.cited),
            "assumed": dict(e.assumed),
        }
        for section in SECTIONS
        for e in getattr(doc, section)
        if e.name == name
    ]


def form_yaml(form: dict[str, Any]) -> str:
    """A scenario file for the common case: one force, one jurisdiction or supplier
    withholding some kinds from a start day, for a length (or for good)."""
    cutoff: dict[str, Any] = {
        form["target"]: form["name"],
        "kinds": list(form["kinds"]),
        "start_day": int(form["start"]),
    }
    if form.get("length"):
        cutoff["end_day"] = int(form["start"]) + int(form["length"])
    name = f"{form['name']}-withholds".lower().replace(" ", "-")
    scenario = {
        "name": name,
        "title": f"{form['name']} withholds {', '.join(form['kinds'])} from {form['force']}",
        "force": form["force"],
        "horizon_days": int(form["horizon"]),
        "cutoffs": [cutoff],
    }
    text: str = yaml.safe_dump({"scenarios": [scenario]}, sort_keys=False, width=100)
    return text
