"""Provenance checks on catalogue entries: every fact sourced, every guess marked.

Rules, per entry:

- it lists at least one source;
- every number in it is covered by a ``cited`` path (with the source's address, which
  must be among the entry's sources) or an ``assumed`` path (with a reason); a path
  covers everything below it (``parts`` covers ``parts.engine.failure_rate``);
- where a public record is given, every source address appears in it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tether._errors import Diagnostic
from tether._yaml import LDict, LList, Mark

__all__ = ["check_provenance", "numbers"]

#: Keys whose contents are provenance or prose, not facts to source.
_META = {"sources", "assumed", "cited", "notes", "title", "use"}


def numbers(node: Any, path: str = "") -> Iterator[tuple[str, Mark | None]]:
    """Every numeric leaf below ``node``, as (dotted path, position); list items by name."""
    if isinstance(node, LDict):
        for key, value in node.items():
            if key in _META:
                continue
            sub = f"{path}.{key}" if path else key
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                yield sub, node.where(key)
            else:
                yield from numbers(value, sub)
    elif isinstance(node, LList):
        for i, item in enumerate(node):
            label = item.get("name", i) if isinstance(item, dict) else i
            sub = f"{path}.{label}" if path else str(label)
            if isinstance(item, int | float) and not isinstance(item, bool):
                yield sub, node.where(i)
            else:
                yield from numbers(item, sub)


def _at(node: Any, key: str) -> Mark | None:
    return node.where(key) if isinstance(node, LDict) else None


def _covered(path: str, keys: Sequence[str]) -> bool:
    return any(path == k or path.startswith(k + ".") for k in keys)


def check_provenance(
    entries: dict[str, dict[str, LDict]],
    record: str | None = None,
    always_allowed: Sequence[str] = ("https://www.iso.org/iso-3166-country-codes.html",),
) -> list[Diagnostic]:
    """Problems with the provenance of ``entries`` (section -> name -> raw entry).

    ``record`` is the text of the public record (the project's record of public sources); when
    given, every source must appear in it, except ``always_allowed`` ones.
    """
    problems: list[Diagnostic] = []

    def say(mark: Mark | None, field: str, message: str) -> None:
        problems.append((mark or Mark("<catalogue>", 0, 0)).diagnostic(field, message))

    for section, named in entries.items():
        for name, entry in named.items():
            where = f"{section}[{name}]"
            sources = entry.get("sources") or []
            if not sources:
                say(entry.mark, f"{where}.sources", "no source: every catalogue fact cites one")
            cited = entry.get("cited") or LDict(entry.mark)
            assumed = entry.get("assumed") or LDict(entry.mark)
            for key, reason in assumed.items():
                if not isinstance(reason, str) or len(reason.strip()) < 10:
                    say(_at(assumed, key), f"{where}.assumed.{key}", "give a one-line reason")
            for key, address in cited.items():
                if address not in sources:
                    say(_at(cited, key), f"{where}.cited.{key}", "cited address not in sources")
            for path, mark in numbers(entry):
                if not _covered(path, [*cited, *assumed]):
                    say(mark, f"{where}.{path}", "number neither cited nor marked assumed")
            if record is not None:
                for i, address in enumerate(sources):
                    if address not in record and address not in always_allowed:
                        say(
                            sources.where(i) if isinstance(sources, LList) else entry.mark,
                            f"{where}.sources[{i}]",
                            "address not in the public record given with --record",
                        )
    return problems


def catalogue_entries(dirs: Sequence[Path]) -> dict[str, dict[str, LDict]]:
    """The merged raw entries of catalogue directories, for :func:`check_provenance`."""
    from tether._loader import _load_catalogue

    return _load_catalogue(dirs).entries
