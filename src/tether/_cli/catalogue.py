"""``tether catalogue``: what the built-in (and any added) catalogue holds, and its sources."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tether._errors import Diagnostic, InputError, TetherError
from tether._loader import load_text
from tether._model import SECTIONS, Document

__all__ = ["consistency_problems", "entry_text", "list_entries", "show_entry", "unused_suppliers"]


def _document(catalogue: list[Path] | None) -> Document:
    return load_text("{}\n", "<catalogue>", catalogue)


def _entries(doc: Document, section: str | None) -> list[tuple[str, Any]]:
    sections = [section] if section else list(SECTIONS)
    return [(s, e) for s in sections for e in getattr(doc, s)]


def list_entries(console: Console, catalogue: list[Path] | None, section: str | None) -> None:
    if section is not None and section not in SECTIONS:
        raise TetherError(f"no section '{section}'; sections are {', '.join(SECTIONS)}")
    doc = _document(catalogue)
    table = Table(
        title="tether catalogue",
        caption="sources, cited numbers and assumed parameters of each entry",
        box=box.SIMPLE_HEAVY,
        pad_edge=False,
        collapse_padding=True,
        title_justify="left",
        caption_justify="left",
    )
    for col in ("section", "name", "title", "sources", "cited", "assumed"):
        numeric = col in ("sources", "cited", "assumed")
        keep = numeric or col in ("section", "name")
        table.add_column(col, justify="right" if numeric else "left", overflow="fold", no_wrap=keep)
    for sec, e in _entries(doc, section):
        table.add_row(
            sec,
            e.name,
            escape(e.title or ""),
            str(len(e.sources)),
            str(len(e.cited)),
            str(len(e.assumed)),
        )
    console.print(table)


def _plain(value: Any) -> Any:
    """``value`` without empty fields (None, [], {}), recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def entry_text(section: str, entry: Any, width: int = 100) -> str:
    """One entry as YAML, the way it would be written in a file, under a comment naming
    its section."""
    data = entry.model_dump(mode="json", exclude={"sources", "cited", "assumed"})
    body: dict[str, Any] = {"name": data.pop("name")}
    body.update(_plain(data))
    body["sources"] = list(entry.sources)
    if entry.cited:
        body["cited"] = dict(entry.cited)
    if entry.assumed:
        body["assumed"] = dict(entry.assumed)
    text: str = yaml.safe_dump(
        body, sort_keys=False, allow_unicode=True, width=max(40, width), default_flow_style=False
    )
    text = text.replace("\nassumed:\n", "\nassumed:  # no public source\n")
    return f"# {section[:-1] if section.endswith('s') else section}\n{text}"


def _holdings(force: Any) -> str:
    """A force's units held and on order, a line per fleet, as YAML comments."""
    lines = ["# units held, on order (contracted)"]
    for f in force.fleets:
        contracted = f" ({f.contracted})" if f.contracted is not None else ""
        lines.append(f"#   {f.name}: {f.units} held, {f.units_on_order} on order{contracted}")
    return "\n".join(lines)


def show_entry(console: Console, catalogue: list[Path] | None, name: str) -> None:
    doc = _document(catalogue)
    found = [(s, e) for s, e in _entries(doc, None) if e.name == name]
    if not found:
        known = [e.name for _, e in _entries(doc, None)]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise InputError(
            [Diagnostic("<catalogue>", 0, 0, "NAME", f"no catalogue entry named '{name}'{hint}")]
        )
    for i, (section, e) in enumerate(found):
        if i:
            console.print("---", highlight=False)
        text = entry_text(section, e, console.width)
        for line in text.splitlines():
            style = "yellow" if line.startswith("assumed:") else None
            console.print(escape(line), style=style, highlight=False, soft_wrap=True)
        if section == "forces":
            console.print(escape(_holdings(e)), highlight=False, soft_wrap=True)


def _named(value: Any, keys: frozenset[str]) -> set[str]:
    """Every string under a key in ``keys``, anywhere in ``value`` (dicts and lists)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys and isinstance(v, str):
                found.add(v)
            else:
                found |= _named(v, keys)
    elif isinstance(value, list):
        for v in value:
            found |= _named(v, keys)
    return found


def unused_suppliers(doc: Document) -> list[Diagnostic]:
    """Suppliers nothing names: no system, force, option, scenario or industry site, and
    no control edge (``by``) of another supplier."""
    from tether._checks import located

    keys = frozenset({"supplier", "by"})
    used: set[str] = set()
    for section in SECTIONS:
        for e in getattr(doc, section):
            data = e.model_dump(mode="json", exclude={"sources", "cited", "assumed", "notes"})
            used |= _named(data, keys)
    problems = []
    for s in doc.suppliers:
        if s.name not in used:
            where, text = located(doc, "suppliers", s.name, "name")
            problems.append(
                Diagnostic(
                    *where,
                    text,
                    f"supplier '{s.name}' is used by nothing (no route, munition, service, "
                    "site or control edge names it): link it or remove it",
                )
            )
    return problems


def consistency_problems(catalogue: list[Path]) -> list[Diagnostic]:
    """What ``tether catalogue check`` adds to provenance: fixed resupply rates above
    their production line's output, unused suppliers, and fleets counting ordered units
    as held."""
    from tether._analysis.industry_resupply import rate_problems
    from tether._loader import load_text as load
    from tether._plan_orders import holding_problems

    doc = load("{}\n", "<catalogue>", catalogue, builtin=False)
    return rate_problems(doc) + unused_suppliers(doc) + holding_problems(doc)
