"""Where each validated entry came from: file, line and column of any field."""

from __future__ import annotations

from typing import Any

from tether._yaml import LDict, LList, Mark

__all__ = ["SourceMap", "label"]


def label(item: Any, index: int | str) -> str:
    """How an item in a list is named in a field path: its ``name``, else its index."""
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return str(item["name"])
    return str(index)


class SourceMap:
    """Positions of the raw (merged) entries behind a :class:`~tether.Document`."""

    def __init__(self, raw: dict[str, list[LDict]]) -> None:
        self._raw = raw
        self._index = {s: {label(e, i): e for i, e in enumerate(es)} for s, es in raw.items()}

    def where(self, section: str, name: str, *path: str | int) -> tuple[Mark | None, str]:
        """The position of ``path`` inside entry ``name`` of ``section``, and its field path.

        The position falls back to the nearest enclosing value that exists.
        """
        entry = self._index.get(section, {}).get(name)
        text = f"{section}[{name}]"
        if entry is None:
            return None, text
        node: Any = entry
        mark: Mark = entry.mark
        for comp in path:
            if isinstance(node, LDict) and isinstance(comp, str):
                text += f".{comp}"
                if comp not in node:
                    break
                mark = node.where(comp)
                node = node[comp]
            elif isinstance(node, LList) and isinstance(comp, int):
                if not 0 <= comp < len(node):
                    break
                text += f"[{label(node[comp], comp)}]"
                mark = node.where(comp)
                node = node[comp]
            else:
                text += f".{comp}"
                break
        return mark, text
