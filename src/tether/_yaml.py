"""YAML reading that keeps the file, line and column of every value.

Values come back as plain ``dict``/``list`` subclasses (:class:`LDict`, :class:`LList`)
carrying the position of each child, so that errors found later (by pydantic, by the
reference checks, by the plan compiler) can point at the exact place in the file.

The tree is built from the parser's event stream, without recursion, by one builder
whether the events come from libyaml's C parser (fast; used when PyYAML was built with
it) or from PyYAML's pure-Python parser (the fallback): both give the same values and
positions. The builder bounds what a hostile file can cost:

- its size: :data:`MAX_YAML_BYTES` (20 MiB; the environment variable
  ``TETHER_MAX_YAML_BYTES`` changes it),
- the values it writes: one per :data:`BYTES_PER_VALUE` bytes of the size bound,
- its nesting: :data:`MAX_DEPTH` levels of mappings and lists,
- alias expansion: the values reached by following aliases, each alias counting the
  whole value it names every time it is used, may not exceed the larger of
  :data:`MAX_ALIAS_VALUES` and :data:`ALIAS_FACTOR` times the values written out.

Each bound gives one located :class:`~tether.InputError`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, cast

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from tether._errors import Diagnostic, InputError

__all__ = [
    "ALIAS_FACTOR",
    "BYTES_PER_VALUE",
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_YAML_BYTES",
    "LDict",
    "LList",
    "Mark",
    "merge",
    "paused_gc",
    "read_yaml",
    "read_yaml_text",
]

#: Largest file read, in bytes (20 MiB); ``TETHER_MAX_YAML_BYTES`` overrides it.
MAX_YAML_BYTES = 20 * 2**20
#: Values (scalars, mappings, lists) a file may write: one per this many bytes of the
#: size bound (2.6 million by default; ordinary tether content averages ten bytes a value).
BYTES_PER_VALUE = 8
#: Deepest nesting of mappings and lists (no tether file needs more than about 8).
MAX_DEPTH = 100
#: Values that following aliases may repeat: this many, or :data:`ALIAS_FACTOR` times the
#: values written out in the file so far, whichever is more.
MAX_ALIAS_VALUES = 100_000
ALIAS_FACTOR = 4

#: Parse with libyaml's C parser when PyYAML has it (tests and benchmarks switch it off).
USE_LIBYAML: bool = bool(getattr(yaml, "__with_libyaml__", False))

#: Below this size a libyaml syntax error is parsed again in pure Python, so that the
#: message is the same whichever parser ran (PyYAML's messages are the more precise).
_REPARSE_BELOW = 2**20


class Mark(NamedTuple):
    """A place in a file; ``line`` and ``column`` are 1-based."""

    file: str
    line: int
    column: int

    def diagnostic(self, field: str, message: str) -> Diagnostic:
        """A problem found at this place."""
        return Diagnostic(self.file, self.line, self.column, field, message)


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


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.2 booleans: only true/false, so ``NO`` (Norway) stays a string."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_RESOLVER = _Resolver()

try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    USE_LIBYAML = False

# The states of a mapping frame between a key and its value.
_WANT_KEY: Any = object()
_BAD_KEY: Any = object()
_MERGE_KEY: Any = object()


class _Frame:
    """A mapping or list being built."""

    __slots__ = ("anchor", "count", "is_map", "key", "key_mark", "mark", "merges", "out")

    def __init__(self, out: LDict | LList, mark: Mark, anchor: str | None) -> None:
        self.out: Any = out
        self.mark = mark
        self.anchor = anchor
        self.is_map = isinstance(out, LDict)
        self.count = 1  # values in this subtree, aliases followed in full
        self.key: Any = _WANT_KEY
        self.key_mark = mark
        self.merges: list[tuple[str, Any, Mark, Mark]] = []

    def finish(self) -> LDict | LList:
        """The built value; keys merged in with ``<<`` come first, the mapping's own win.

        As in PyYAML: of the mappings merged in, the first to hold a key gives it.
        """
        own: LDict | LList = self.out
        if not self.merges:
            return own
        assert isinstance(own, LDict)
        out = LDict(self.mark)
        for key, value, key_mark, value_mark in self.merges:
            if key not in out:  # the first mapping merged in has the key
                out.put(key, value, key_mark, value_mark)
        for key, value in own.items():
            out.put(key, value, own.key_marks[key], own.value_marks[key])
        return out


def _kind(value: Any) -> str:
    return (
        "mapping"
        if isinstance(value, dict)
        else "sequence"
        if isinstance(value, list)
        else "scalar"
    )


class _Builder:
    """Builds located values from a stream of parser events, within the bounds."""

    def __init__(self, file: str, max_values: int) -> None:
        self.file = file
        self.max_values = max_values
        self.constructor = SafeConstructor()
        self.plain: dict[str, tuple[str, Any]] = {}  # plain scalar text -> tag, value
        self.problems: list[Diagnostic] = []
        self.anchors: dict[str, tuple[Any, Mark, int]] = {}
        self.open: dict[str, Mark] = {}  # anchors of mappings and lists not yet complete
        self.written = 0  # values written in the file
        self.repeated = 0  # values repeated by following aliases

    def fail(self, mark: Mark, message: str) -> InputError:
        return InputError([Diagnostic(self.file, mark.line, mark.column, "", message)])

    def construct(self, tag: str, event: ScalarEvent, mark: Mark) -> Any:
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
        try:
            return self.constructor.construct_object(node, deep=True)
        except ConstructorError as exc:
            m = exc.problem_mark
            at = Mark(self.file, m.line + 1, m.column + 1) if m is not None else mark
            raise self.fail(at, f"YAML error: {exc.problem}") from None
        except Exception:  # PyYAML lets ValueError and others out of `!!int x`
            raise self.fail(mark, f"YAML error: cannot read {event.value!r} as {tag}") from None

    def scalar(self, event: ScalarEvent, mark: Mark) -> tuple[str, Any]:
        """The tag and value of a scalar (merge and value keys are left unconstructed)."""
        tag = event.tag
        if tag is not None and tag != "!":
            return tag, (
                event.value if tag in (_MERGE, _VALUE) else self.construct(tag, event, mark)
            )
        if not event.implicit[0]:
            return _STR, event.value
        hit = self.plain.get(event.value)
        if hit is None:
            tag = _RESOLVER.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
            plain = tag == _STR or tag in (_MERGE, _VALUE)
            hit = (tag, event.value if plain else self.construct(tag, event, mark))
            self.plain[event.value] = hit
        return hit

    def run(self, next_event: Callable[[], Event]) -> Any:
        """The document's value: an empty :class:`LDict` for an empty stream."""
        file = self.file
        new_mark = tuple.__new__  # Mark(...) without the keyword-handling wrapper
        plain = self.plain
        next_event()  # stream start
        event = next_event()
        if isinstance(event, StreamEndEvent):
            return LDict(Mark(file, 1, 1))
        stack: list[_Frame] = []
        while True:
            event = next_event()
            kind = type(event)
            tag: str | None = None
            if kind is ScalarEvent:
                assert isinstance(event, ScalarEvent)
                m = event.start_mark
                assert m is not None
                mark = new_mark(Mark, (file, m.line + 1, m.column + 1))
                self.written += 1
                if self.written > self.max_values:
                    raise self.too_many(mark)
                count = 1
                if event.tag is None and event.implicit[0] and event.value in plain:
                    tag, value = plain[event.value]
                else:
                    tag, value = self.scalar(event, mark)
                if event.anchor is not None:
                    self.anchor(event.anchor, mark)
                    self.anchors[event.anchor] = (value, mark, 1)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                assert isinstance(event, MappingStartEvent | SequenceStartEvent)
                m = event.start_mark
                assert m is not None
                mark = new_mark(Mark, (file, m.line + 1, m.column + 1))
                self.written += 1
                if self.written > self.max_values:
                    raise self.too_many(mark)
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(
                        mark,
                        f"nested more than {MAX_DEPTH} levels deep (mappings and lists); "
                        "a tether file needs fewer than 10",
                    )
                if event.anchor is not None:
                    self.anchor(event.anchor, mark)
                    self.open[event.anchor] = mark
                out = LDict(mark) if kind is MappingStartEvent else LList(mark)
                stack.append(_Frame(out, mark, event.anchor))
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                value, mark, count = frame.finish(), frame.mark, frame.count
                if frame.anchor is not None:
                    del self.open[frame.anchor]
                    self.anchors[frame.anchor] = (value, mark, count)
            else:
                assert isinstance(event, AliasEvent)
                m = event.start_mark
                assert m is not None
                value, mark, count = self.alias(event, Mark(file, m.line + 1, m.column + 1))
            if not stack:
                root = value
                break
            top = stack[-1]
            top.count += count
            if not top.is_map:
                top.out.append(value)
                top.out.item_marks.append(mark)
            elif top.key is _WANT_KEY:
                top.key_mark = mark
                if tag is None and isinstance(value, LDict | LList):
                    self.problems.append(
                        Diagnostic(
                            file, mark.line, mark.column, "", "mapping keys must be plain names"
                        )
                    )
                    top.key = _BAD_KEY
                elif tag == _MERGE:
                    top.key = _MERGE_KEY
                else:
                    top.key = value if isinstance(value, str) else str(value)
            else:
                key = top.key
                top.key = _WANT_KEY
                if tag is not None and tag in (_MERGE, _VALUE):
                    assert isinstance(event, ScalarEvent)
                    self.construct(tag, event, mark)  # not a value: PyYAML's error
                if key is _MERGE_KEY:
                    self.merge_into(top, value, mark)
                elif key is _BAD_KEY:
                    pass
                elif key in top.out:
                    km = top.key_mark
                    self.problems.append(Diagnostic(file, km.line, km.column, key, "duplicate key"))
                else:
                    out = top.out
                    out[key] = value
                    out.key_marks[key] = top.key_mark
                    out.value_marks[key] = mark
        next_event()  # document end
        event = next_event()
        if not isinstance(event, StreamEndEvent):
            end = event.start_mark
            assert end is not None
            raise self.fail(
                Mark(file, end.line + 1, end.column + 1),
                "YAML syntax error: expected a single document in the stream, "
                "but found another document",
            )
        if self.problems:
            raise InputError(self.problems)
        return root

    def too_many(self, mark: Mark) -> InputError:
        return self.fail(
            mark,
            f"more than {self.max_values:,} values in one file (one per {BYTES_PER_VALUE} "
            "bytes of the size bound; the environment variable TETHER_MAX_YAML_BYTES "
            "raises both)",
        )

    def anchor(self, name: str, mark: Mark) -> None:
        first = self.open.get(name) or (self.anchors[name][1] if name in self.anchors else None)
        if first is not None:
            raise self.fail(
                mark,
                f"YAML syntax error: found duplicate anchor {name!r} (first at line {first.line})",
            )

    def alias(self, event: AliasEvent, mark: Mark) -> tuple[Any, Mark, int]:
        """What an alias names, its position and size; the alias bomb stops here."""
        name = str(event.anchor)
        found = self.anchors.get(name)
        if found is None:
            if name in self.open:
                raise self.fail(
                    mark, f"YAML error: alias *{name} is used inside the value it names"
                )
            raise self.fail(mark, f"YAML syntax error: found undefined alias {name!r}")
        self.repeated += found[2]
        limit = max(MAX_ALIAS_VALUES, ALIAS_FACTOR * self.written)
        if self.repeated > limit:
            raise self.fail(
                mark,
                f"aliases would repeat more than {limit:,} values by here (alias *{name}): "
                "each use of an alias repeats all it names; write the values out, "
                "or use fewer aliases",
            )
        return found

    def merge_into(self, frame: _Frame, value: Any, mark: Mark) -> None:
        """A ``<<`` merge key: the keys of a mapping, or of a list of mappings."""
        if isinstance(value, LDict):
            sources = [value]
        elif isinstance(value, LList):
            for item, at in zip(value, value.item_marks, strict=True):
                if not isinstance(item, LDict):
                    raise self.fail(
                        at, f"YAML error: expected a mapping for merging, but found {_kind(item)}"
                    )
            sources = list(value)
        else:
            raise self.fail(
                mark,
                "YAML error: expected a mapping or list of mappings for merging, "
                f"but found {_kind(value)}",
            )
        for source in sources:
            for key, item in source.items():
                frame.merges.append((key, item, source.key_marks[key], source.value_marks[key]))


def _events(text: str, libyaml: bool) -> Callable[[], Event]:
    if libyaml:
        return cast("Callable[[], Event]", _CParser(text).get_event)
    return cast("Callable[[], Event]", yaml.BaseLoader(text).get_event)


def _syntax_error(exc: yaml.YAMLError, file: str) -> InputError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        what = exc.problem or exc.context or "invalid YAML"
        return InputError([Diagnostic(file, line, col, "", f"YAML syntax error: {what}")])
    return InputError([Diagnostic(file, 0, 0, "", f"YAML error: {exc}")])


def max_yaml_bytes() -> int:
    """The file size bound in force: ``TETHER_MAX_YAML_BYTES``, else :data:`MAX_YAML_BYTES`."""
    text = os.environ.get("TETHER_MAX_YAML_BYTES", "").strip()
    if not text:
        return MAX_YAML_BYTES
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(
            [
                Diagnostic(
                    "TETHER_MAX_YAML_BYTES",
                    0,
                    0,
                    "",
                    f"must be a positive whole number of bytes, not {text!r}",
                )
            ]
        )
    return value


def _size(n: int) -> str:
    if n < 2**20:
        return f"{n:,} bytes"
    return f"{n // 2**20} MiB" if n % 2**20 == 0 else f"{n / 2**20:.1f} MiB"


def _too_big(file: str, size: int | None, limit: int) -> InputError:
    what = _size(size) if size is not None else "larger"
    return InputError(
        [
            Diagnostic(
                file,
                0,
                0,
                "",
                f"file is {what}: more than the {_size(limit)} a tether file may hold "
                "(the environment variable TETHER_MAX_YAML_BYTES raises the bound)",
            )
        ]
    )


def _parse(text: str, file: str, limit: int) -> Any:
    values = limit // BYTES_PER_VALUE
    if USE_LIBYAML:
        try:
            return _Builder(file, values).run(_events(text, True))
        except yaml.YAMLError as exc:
            if len(text) > _REPARSE_BELOW:
                raise _syntax_error(exc, file) from None
        # Small enough to ask PyYAML's own parser: its messages (or its verdict) stand.
    try:
        return _Builder(file, values).run(_events(text, False))
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, file) from None


def read_yaml_text(text: str, file: str) -> Any:
    """Parse one YAML document from ``text``; ``file`` names it in messages."""
    limit = max_yaml_bytes()
    if len(text) > limit:
        raise _too_big(file, len(text.encode("utf-8", "surrogatepass")), limit)
    if len(text) * 4 > limit:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise _too_big(file, size, limit)
    return _parse(text, file, limit)


def read_yaml(path: Path) -> Any:
    """Read and parse a YAML file, keeping positions."""
    limit = max_yaml_bytes()
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            size = path.stat().st_size if path.is_file() else None
            raise _too_big(str(path), size, limit)
        text = data.decode("utf-8")
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
    if "\r" in text:  # as text mode reads it: universal newlines
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _parse(text, str(path), limit)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file is read and validated.

    Loading allocates hundreds of thousands of small objects that form no cycles; the
    collector's passes over them cost about a third of the time of a large load.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
