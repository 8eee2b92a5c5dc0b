"""The JSON Schema of the file format, for editors that complete and check YAML.

The schema follows the loader. An entry with ``use: NAME`` gives only the fields it
overrides: mappings merge key by key and lists of named items merge item by item, so in
such an entry (and in the mappings and named list items inside it) no field is required
but an item's ``name``. Lists without names (cutoffs, tempo phases, resupply, control
edges) replace the catalogue's whole, so their items stay complete. Everywhere, unknown
fields, wrong types and numbers out of bounds are errors, as in the loader.
"""

from __future__ import annotations

import copy
from typing import Any

from tether._model import SECTIONS, Document

__all__ = ["schema"]

_REF = "#/$defs/"
#: Suffix of the definitions used inside entries with ``use:``.
_OVERRIDE = "Override"


def schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a tether file.

    >>> s = schema()
    >>> s["properties"]["systems"]["items"]["if"]
    {'required': ['use']}
    >>> s["$defs"]["Part"]["properties"]["failure_rate"]["maximum"]
    10.0
    """
    out = Document.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "tether file"
    defs: dict[str, Any] = out["$defs"]
    _control_shorthand(defs)
    defs["Cutoff"]["oneOf"] = [{"required": ["jurisdiction"]}, {"required": ["supplier"]}]
    relaxed = _Relaxer(defs)
    for section, model in SECTIONS.items():
        full = model.__name__
        over = relaxed.definition(full)
        entry = defs[over]
        entry["properties"]["use"] = {
            "type": "string",
            "description": "Start from the catalogue entry of this name and override fields.",
        }
        entry["required"] = ["use"]
        entry["description"] = (
            f"A {full} entry with 'use:': the fields it overrides, merged onto the named "
            "catalogue entry (name defaults to the one used)."
        )
        out["properties"][section]["items"] = {
            "if": {"required": ["use"]},
            "then": {"$ref": _REF + over},
            "else": {"$ref": _REF + full},
        }
    return out


def _control_shorthand(defs: dict[str, Any]) -> None:
    """``controlled_by`` items may be a bare name, short for ``{by: NAME}``."""
    prop = defs["Supplier"]["properties"]["controlled_by"]
    name = {k: v for k, v in defs["Supplier"]["properties"]["jurisdiction"].items() if k != "title"}
    name["description"] = "A jurisdiction or supplier: short for {by: NAME}."
    prop["items"] = {"anyOf": [name, prop["items"]]}


class _Relaxer:
    """Makes ``<Model>Override`` definitions: the model with no required field but
    ``name``, and the same relaxation in every mapping and named list item below it."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs

    def definition(self, name: str) -> str:
        target = name + _OVERRIDE
        if target in self.defs:
            return target
        body = copy.deepcopy(self.defs[name])
        self.defs[target] = body  # registered first: recursive references terminate
        required = [f for f in body.pop("required", []) if f == "name"]
        if required:
            body["required"] = required
        body["title"] = f"{body.get('title', name)} (override)"
        body["properties"] = {k: self._node(v) for k, v in body.get("properties", {}).items()}
        return target

    def _node(self, node: Any) -> Any:
        """A property's schema inside an override: what merges is relaxed, the rest kept."""
        if not isinstance(node, dict):
            return node
        out = dict(node)
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            out["$ref"] = _REF + self.definition(ref[len(_REF) :])
        for key in ("anyOf", "oneOf"):
            if key in out:
                out[key] = [self._node(n) for n in out[key]]
        out.pop("discriminator", None)  # an editor hint naming the full models
        if out.get("type") == "array" and self._named(out.get("items")):
            out["items"] = self._node(out["items"])
        if isinstance(out.get("additionalProperties"), dict):  # mappings merge key by key
            out["additionalProperties"] = self._node(out["additionalProperties"])
        if isinstance(out.get("patternProperties"), dict):
            out["patternProperties"] = {
                p: self._node(v) for p, v in out["patternProperties"].items()
            }
        return out

    def _named(self, items: Any) -> bool:
        """Whether list items are named entries (such lists merge item by item)."""
        if not isinstance(items, dict) or not isinstance(items.get("$ref"), str):
            return False
        target = self.defs.get(items["$ref"][len(_REF) :], {})
        return "name" in target.get("properties", {})
