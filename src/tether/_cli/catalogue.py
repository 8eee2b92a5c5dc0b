"""``tether catalogue``: what the built-in (and any added) catalogue holds, and its sources."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tether._errors import Diagnostic, InputError, TetherError
from tether._loader import load_text
from tether._model import SECTIONS, Document

__all__ = ["catalogue_app"]

catalogue_app = typer.Typer(help="List and show catalogue entries with their sources.")


def _document(catalogue: list[Path] | None) -> Document:
    return load_text("{}\n", "<catalogue>", catalogue)


def _entries(doc: Document, section: str | None) -> list[tuple[str, Any]]:
    sections = [section] if section else list(SECTIONS)
    return [(s, e) for s in sections for e in getattr(doc, s)]


def list_entries(console: Console, catalogue: list[Path] | None, section: str | None) -> None:
    if section is not None and section not in SECTIONS:
        raise TetherError(f"no section '{section}'; sections are {', '.join(SECTIONS)}")
    doc = _document(catalogue)
    table = Table(title="tether catalogue")
    for col in ("section", "name", "title", "sources", "cited", "assumed"):
        table.add_column(col, justify="right" if col in ("sources", "cited", "assumed") else "left")
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
    for section, e in found:
        console.print(f"[bold]{escape(e.name)}[/] ({section[:-1]})  {escape(e.title or '')}")
        if e.notes:
            console.print(f"  notes: {escape(e.notes.strip())}")
        data = e.model_dump(exclude={"name", "title", "notes", "sources", "cited", "assumed"})
        for key, value in data.items():
            if value in (None, [], {}):
                continue
            if isinstance(value, list) and value and isinstance(value[0], dict):
                console.print(f"  {key}:")
                for item in value:
                    skip = ("name", "sources", "assumed", "cited")
                    rest = {
                        k: v for k, v in item.items() if k not in skip and v not in (None, [], {})
                    }
                    label = f"{item['name']}: " if "name" in item else ""
                    console.print(f"    - {escape(label)}{escape(str(rest))}", soft_wrap=True)
            else:
                console.print(f"  {key}: {escape(str(value))}", soft_wrap=True)
        console.print("  sources:")
        for s in e.sources:
            console.print(f"    - {escape(s)}", soft_wrap=True)
        if e.cited:
            console.print("  cited numbers:")
            for k, v in e.cited.items():
                console.print(f"    - {escape(k)}: {escape(v)}", soft_wrap=True)
        if e.assumed:
            console.print("  [yellow]assumed[/] (no public source):")
            for k, v in e.assumed.items():
                console.print(f"    - {escape(k)}: {escape(v)}", soft_wrap=True)
