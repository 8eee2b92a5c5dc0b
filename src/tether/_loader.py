"""Loading: YAML files and catalogue directories -> a validated :class:`Document`.

A file's top-level sections (``jurisdictions``, ``suppliers``, ``systems``, ``forces``,
``scenarios``) are lists of named entries. The catalogue is the same format spread over
one or more directories; its entries are visible to every file. An entry with
``use: NAME`` starts from the catalogue entry NAME of the same section and overrides
fields (mappings merge key by key, named lists merge item by item on ``name``); an entry
without ``use`` and with a catalogue entry's name replaces it.

Every problem is reported with its file, line, column and field path, all at once.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from tether._errors import Diagnostic, InputError
from tether._model import SECTIONS, Document
from tether._refs import check_references
from tether._source import SourceMap, label
from tether._yaml import LDict, LList, Mark, merge, paused_gc, read_yaml, read_yaml_text

__all__ = ["BUILTIN_CATALOGUE", "load", "load_text"]

BUILTIN_CATALOGUE = Path(__file__).parent / "catalogue"

_ADAPTERS: dict[str, TypeAdapter[Any]] = {s: TypeAdapter(m) for s, m in SECTIONS.items()}


def _sections(root: Any, file: str, problems: list[Diagnostic]) -> dict[str, LList]:
    """Split a parsed file into its section lists, reporting structural problems."""
    out: dict[str, LList] = {}
    if not isinstance(root, LDict):
        problems.append(
            Diagnostic(file, 1, 1, "", "a tether file is a mapping of sections: " + _known())
        )
        return out
    for key, value in root.items():
        if key not in SECTIONS:
            hint = _hint(key, SECTIONS)
            problems.append(
                root.key_marks[key].diagnostic(
                    key, f"unknown section{hint}; sections are {_known()}"
                )
            )
        elif value is None:
            continue
        elif not isinstance(value, LList):
            problems.append(root.where(key).diagnostic(key, "must be a list of entries"))
        else:
            out[key] = value
    return out


def _known() -> str:
    return ", ".join(SECTIONS)


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Registry:
    """Entries by section and name, with ``use:`` resolved."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, LDict]] = {s: {} for s in SECTIONS}
        self.failed: dict[str, set[str]] = {s: set() for s in SECTIONS}

    def add_file(
        self,
        sections: dict[str, LList],
        problems: list[Diagnostic],
        base: _Registry | None,
        replace: bool,
    ) -> None:
        """Add a file's entries; ``use`` is looked up in ``base`` and then in this file."""
        for section, items in sections.items():
            pending: dict[str, LDict] = {}
            seen: dict[str, Mark] = {}
            for i, item in enumerate(items):
                mark = items.where(i)
                if not isinstance(item, LDict):
                    problems.append(
                        mark.diagnostic(f"{section}[{i}]", "each entry must be a mapping")
                    )
                    continue
                name = item.get("name", item.get("use"))
                if not isinstance(name, str):
                    problems.append(item.mark.diagnostic(f"{section}[{i}].name", "missing 'name'"))
                    continue
                if name in seen:
                    first = seen[name]
                    problems.append(
                        item.where("name").diagnostic(
                            f"{section}[{name}].name",
                            f"duplicate name (first defined at line {first.line})",
                        )
                    )
                    continue
                seen[name] = item.where("name")
                if not replace and name in self.entries[section]:
                    other = self.entries[section][name].mark
                    problems.append(
                        item.where("name").diagnostic(
                            f"{section}[{name}].name",
                            f"catalogue entry defined twice (also at {other.file}:{other.line})",
                        )
                    )
                    continue
                pending[name] = item
            resolving: set[str] = set()

            def resolve(
                name: str,
                section: str = section,
                pending: dict[str, LDict] = pending,
                resolving: set[str] = resolving,
            ) -> LDict | None:
                item = pending.pop(name, None)
                if item is None:
                    known: LDict | None = self.entries[section].get(name)
                    return known
                if "use" not in item:
                    self.entries[section][name] = item
                    return item
                used = item["use"]
                where = f"{section}[{name}].use"
                if not isinstance(used, str):
                    problems.append(item.where("use").diagnostic(where, "must be an entry name"))
                    return None
                resolving.add(name)
                parent: LDict | None = None
                if used == name:
                    if base is not None and base is not self and used in base.entries[section]:
                        parent = base.entries[section][used]
                    else:
                        problems.append(
                            item.where("use").diagnostic(
                                where,
                                f"no {section} entry named '{used}' in the catalogue"
                                + _hint(used, list(base.entries[section]) if base else []),
                            )
                        )
                elif used in resolving:
                    problems.append(
                        item.where("use").diagnostic(where, f"'use' cycle through {used}")
                    )
                elif used in pending:
                    parent = resolve(used)
                elif base is not None and used in base.entries[section]:
                    parent = base.entries[section][used]
                elif used in self.entries[section] and used != name:
                    parent = self.entries[section][used]
                else:
                    names = list(base.entries[section]) if base else []
                    problems.append(
                        item.where("use").diagnostic(
                            where,
                            f"no {section} entry named '{used}' in the catalogue"
                            + _hint(used, names),
                        )
                    )
                resolving.discard(name)
                if parent is None:
                    self.failed[section].add(name)
                    return None
                over = LDict(item.mark)
                for key, value in item.items():
                    if key != "use":
                        over.put(key, value, item.key_marks[key], item.value_marks[key])
                if "name" not in over:
                    over.put("name", used, item.key_marks["use"], item.value_marks["use"])
                merged: LDict = merge(parent, over)
                self.entries[section][name] = merged
                return merged

            for name in list(pending):
                if name in pending:
                    resolve(name)


def _catalogue_files(dirs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(sorted(p for p in d.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            raise InputError([Diagnostic(str(d), 0, 0, "", "catalogue directory not found")])
    return files


_CATALOGUE_CACHE: dict[tuple[tuple[str, float], ...], _Registry] = {}


def _load_catalogue(dirs: Sequence[Path]) -> _Registry:
    files = _catalogue_files(dirs)
    key = tuple((str(f), f.stat().st_mtime) for f in files)
    cached = _CATALOGUE_CACHE.get(key)
    if cached is not None:
        return cached
    registry = _Registry()
    problems: list[Diagnostic] = []
    for f in files:
        try:
            sections = _sections(read_yaml(f), str(f), problems)
        except InputError as exc:
            problems.extend(exc.diagnostics)
            continue
        registry.add_file(sections, problems, registry, replace=False)
    if problems:
        raise InputError(problems)
    _CATALOGUE_CACHE[key] = registry
    return registry


def _field_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    field = model.model_fields.get(name)
    if field is None:
        return None
    return _inner_model(field.annotation)


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _inner_model(typing.get_args(annotation)[0])
    if origin in (list, dict, typing.Union, types.UnionType):
        for arg in reversed(typing.get_args(annotation)):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _locate(
    section: str, entry: LDict, loc: tuple[int | str, ...], extra: bool
) -> tuple[Mark, str, type[BaseModel] | None]:
    """Walk a pydantic error location through the located tree."""
    node: Any = entry
    mark = entry.mark
    model: type[BaseModel] | None = SECTIONS[section]
    path = f"{section}[{label(entry, 0)}]"
    for n, comp in enumerate(loc):
        last = n == len(loc) - 1
        if isinstance(node, LDict) and isinstance(comp, str) and comp in node:
            mark = node.key_marks[comp] if (extra and last) else node.value_marks[comp]
            path += f".{comp}"
            node = node[comp]
            if model is not None and not (extra and last):
                model = _field_model(model, comp)
        elif isinstance(node, LList) and isinstance(comp, int) and 0 <= comp < len(node):
            mark = node.where(comp)
            path += f"[{label(node[comp], comp)}]"
            node = node[comp]
        elif isinstance(node, dict) and isinstance(comp, str) and comp not in node:
            if comp.startswith(("function-", "[")) or comp[:1].isupper():
                continue
            path += f".{comp}"
            break
    return mark, path, model


def _message(error: Any, model: type[BaseModel] | None, key: str | None) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = sorted(model.model_fields) if model is not None else []
        hint = _hint(key or "", allowed)
        listing = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"unknown field{hint}{listing}"
    if kind == "missing":
        return "required field is missing"
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    msg = _LONG_NUMBER.sub(_compact, msg)
    if "input" in error and kind not in ("model_type", "dict_type", "list_type"):
        value = error["input"]
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1e7:
            msg += f" (got {float(value):g})"
        elif isinstance(value, str | int | float | bool) and len(repr(value)) < 40:
            msg += f" (got {value!r})"
    return msg


#: A bound of eight or more digits, as pydantic prints it ("less than or equal to 10000000000").
_LONG_NUMBER = re.compile(r"(?<![\w.])\d{8,}(?:\.\d+)?(?![\w.])")


def _compact(match: re.Match[str]) -> str:
    """A long number in an error message, written as a person would (1e+10)."""
    return f"{float(match.group(0)):g}"


def _validate(registry: _Registry, problems: list[Diagnostic]) -> tuple[Document, SourceMap]:
    valid: dict[str, list[Any]] = {}
    raw: dict[str, list[LDict]] = {}
    broken: dict[str, set[str]] = {}
    for section, entries in registry.entries.items():
        valid[section], raw[section], broken[section] = [], [], set()
        for name, entry in entries.items():
            try:
                valid[section].append(_ADAPTERS[section].validate_python(entry))
                raw[section].append(entry)
            except PydanticValidationError as exc:
                broken[section].add(name)
                for error in exc.errors():
                    loc = tuple(error["loc"])
                    extra = error["type"] == "extra_forbidden"
                    mark, path, model = _locate(section, entry, loc, extra)
                    key = str(loc[-1]) if loc else None
                    problems.append(mark.diagnostic(path, _message(error, model, key)))
    document = Document.model_validate(valid)
    source = SourceMap(raw)
    problems.extend(check_references(document, source, broken))
    return document, source


def _build(
    sections: dict[str, LList], catalogue: Sequence[Path] | None, builtin: bool, file: str
) -> Document:
    dirs = ([BUILTIN_CATALOGUE] if builtin else []) + [Path(c) for c in catalogue or []]
    base = _load_catalogue(dirs) if dirs else _Registry()
    registry = _Registry()
    for section, entries in base.entries.items():
        registry.entries[section] = dict(entries)
    problems: list[Diagnostic] = []
    registry.add_file(sections, problems, base, replace=True)
    document, source = _validate(registry, problems)
    if problems:
        problems.sort(key=lambda d: (d.file != file, d.file, d.line, d.column))
        raise InputError(problems)
    document._source = source
    document._file = file
    return document


def load(
    path: str | Path,
    catalogue: Sequence[str | Path] | None = None,
    *,
    builtin: bool = True,
) -> Document:
    """Load and validate a tether file, with the catalogue's entries visible to it.

    ``catalogue`` adds directories (or files) of catalogue entries to the built-in
    one; ``builtin=False`` leaves the built-in catalogue out. Raises :class:`InputError`
    listing every problem with its file, line, column and field.
    """
    path = Path(path)
    problems: list[Diagnostic] = []
    with paused_gc():
        sections = _sections(read_yaml(path), str(path), problems)
        if problems:
            raise InputError(problems)
        return _build(sections, [Path(c) for c in catalogue or []], builtin, str(path))


def load_text(
    text: str,
    name: str = "<string>",
    catalogue: Sequence[str | Path] | None = None,
    *,
    builtin: bool = True,
) -> Document:
    """Like :func:`load`, from a string; ``name`` stands for the file in messages."""
    problems: list[Diagnostic] = []
    with paused_gc():
        sections = _sections(read_yaml_text(text, name), name, problems)
        if problems:
            raise InputError(problems)
        return _build(sections, [Path(c) for c in catalogue or []], builtin, name)
