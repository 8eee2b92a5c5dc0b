"""YAML reading that keeps the file, line and column of every value.

Values come back as plain ``dict``/``list`` subclasses (:class:`LDict`, :class:`LList`)
carrying the position of each child, so that errors found later (by pydantic, by the
reference checks, by the plan compiler) can point at the exact place in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tether._errors import Diagnostic, InputError

__all__ = ["LDict", "LList", "Mark", "merge", "read_yaml", "read_yaml_text"]


@dataclass(frozen=True, slots=True)
class Mark:
    """A place in a file; ``line`` and ``column`` are 1-based."""

    file: str
    line: int
    column: int


class LDict(dict[str, Any]):
    """A mapping that knows where it and each of its keys and values stand in a file."""

    mark: Mark
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks = {}
        self.value_marks = {}

    def put(self, key: str, value: Any, key_mark: Mark, value_mark: Mark) -> None:
        self[key] = value
        self.key_marks[key] = key_mark
        self.value_marks[key] = value_mark

    def where(self, key: str) -> Mark:
        """Position of the value at ``key``, or of the mapping when the key is absent."""
        return self.value_marks.get(key, self.mark)


class LList(list[Any]):
    """A sequence that knows where it and each of its items stand in a file."""

    mark: Mark
    item_marks: list[Mark]

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks = []

    def add(self, value: Any, mark: Mark) -> None:
        self.append(value)
        self.item_marks.append(mark)

    def where(self, index: int) -> Mark:
        if 0 <= index < len(self.item_marks):
            return self.item_marks[index]
        return self.mark


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so ``NO`` (Norway) stays a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _mark(node: Node, file: str) -> Mark:
    m = node.start_mark
    return Mark(file, m.line + 1, m.column + 1)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.constructor = SafeConstructor()
        self.problems: list[Diagnostic] = []

    def build(self, node: Node) -> Any:
        if isinstance(node, MappingNode):
            return self._mapping(node)
        if isinstance(node, SequenceNode):
            out = LList(_mark(node, self.file))
            for item in node.value:
                out.add(self.build(item), _mark(item, self.file))
            return out
        assert isinstance(node, ScalarNode)
        return self.constructor.construct_object(node, deep=True)

    def _mapping(self, node: MappingNode) -> LDict:
        self.constructor.flatten_mapping(node)
        out = LDict(_mark(node, self.file))
        for key_node, value_node in node.value:
            km = _mark(key_node, self.file)
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    Diagnostic(
                        self.file, km.line, km.column, "", "mapping keys must be plain names"
                    )
                )
                continue
            key = self.constructor.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                self.problems.append(
                    Diagnostic(self.file, km.line, km.column, key, "duplicate key")
                )
                continue
            out.put(key, self.build(value_node), km, _mark(value_node, self.file))
        return out


def read_yaml_text(text: str, file: str) -> Any:
    """Parse one YAML document from ``text``; ``file`` names it in messages."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        what = exc.problem or exc.context or "invalid YAML"
        raise InputError([Diagnostic(file, line, col, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Diagnostic(file, 0, 0, "", f"YAML error: {exc}")]) from None
    if node is None:
        return LDict(Mark(file, 1, 1))
    builder = _Builder(file)
    try:
        value = builder.build(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise InputError([Diagnostic(file, line, col, "", f"YAML error: {exc.problem}")]) from None
    if builder.problems:
        raise InputError(builder.problems)
    return value


def read_yaml(path: Path) -> Any:
    """Read and parse a YAML file, keeping positions."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Diagnostic(str(path), 0, 0, "", "no such file")]) from None
    except IsADirectoryError:
        raise InputError([Diagnostic(str(path), 0, 0, "", "is a directory, not a file")]) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            [Diagnostic(str(path), 0, 0, "", f"not UTF-8 text ({exc.reason})")]
        ) from None
    except OSError as exc:
        raise InputError([Diagnostic(str(path), 0, 0, "", exc.strerror or str(exc))]) from None
    return read_yaml_text(text, str(path))


def _named(items: Iterable[Any]) -> bool:
    return all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items)


def merge(base: Any, over: Any) -> Any:
    """Deep-merge ``over`` onto ``base`` keeping the positions of whichever side wins.

    Mappings merge key by key; lists whose items all carry a ``name`` merge item by
    item on that name (new names are appended); anything else is replaced by ``over``.
    """
    if isinstance(base, LDict) and isinstance(over, LDict):
        out = LDict(over.mark)
        for key, value in base.items():
            out.put(key, value, base.key_marks[key], base.value_marks[key])
        for key, value in over.items():
            merged = merge(base[key], value) if key in base else value
            out.put(key, merged, over.key_marks[key], over.value_marks[key])
        return out
    if isinstance(base, LList) and isinstance(over, LList) and _named(base) and _named(over):
        merged_list = LList(over.mark)
        index = {item["name"]: i for i, item in enumerate(base)}
        taken: set[int] = set()
        pending: dict[int, tuple[Any, Mark]] = {}
        extra: list[tuple[Any, Mark]] = []
        for item, mark in zip(over, over.item_marks, strict=True):
            i = index.get(item["name"])
            if i is None:
                extra.append((item, mark))
            else:
                pending[i] = (merge(base[i], item), mark)
                taken.add(i)
        for i, (item, mark) in enumerate(zip(base, base.item_marks, strict=True)):
            merged_list.add(*(pending[i] if i in taken else (item, mark)))
        for item, mark in extra:
            merged_list.add(item, mark)
        return merged_list
    return over
