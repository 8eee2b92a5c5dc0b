"""The JSON Schema of the file format, for editors that complete and check YAML."""

from __future__ import annotations

from typing import Any

from tether._model import Document

__all__ = ["schema"]


def schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a tether file.

    Entries may also carry ``use: NAME`` to start from a catalogue entry; the schema
    allows it on every entry.
    """
    out = Document.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "tether file"
    for definition in out.get("$defs", {}).values():
        props = definition.get("properties")
        if props is not None and "name" in props and "sources" in props:
            props["use"] = {
                "type": "string",
                "description": "Start from the catalogue entry of this name and override fields.",
            }
    return out
