"""The whole file: :class:`Document`, one list per section, and :data:`SECTIONS`."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr

from tether._model.entries import Force, Jurisdiction, Supplier, SystemType
from tether._model.fields import _Entry, _Strict
from tether._model.industry import IndustryNetwork
from tether._model.options import Decision, Option
from tether._model.scenario import COALITION_JOIN, Scenario, combined_force


class Document(_Strict):
    """A whole file (or a catalogue merged with a file): every section is a list."""

    jurisdictions: list[Jurisdiction] = Field(default_factory=list)
    suppliers: list[Supplier] = Field(default_factory=list)
    systems: list[SystemType] = Field(default_factory=list)
    forces: list[Force] = Field(default_factory=list)
    scenarios: list[Scenario] = Field(default_factory=list)
    options: list[Option] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    industry: list[IndustryNetwork] = Field(default_factory=list)

    _source: Any = PrivateAttr(default=None)
    _file: str = PrivateAttr(default="<memory>")

    @property
    def file(self) -> str:
        """The file this document was loaded from."""
        return self._file

    def _get(self, section: str, name: str) -> Any:
        entry: Any
        for entry in getattr(self, section):
            if entry.name == name:
                return entry
        names = ", ".join(e.name for e in getattr(self, section)) or "none"
        raise KeyError(f"no {section[:-1]} named '{name}' (have: {names})")

    def scenario(self, name: str | None = None) -> Scenario:
        """The scenario called ``name``; without a name, the file's only or first scenario."""
        if name is None:
            if not self.scenarios:
                raise KeyError("the document has no scenarios")
            return self.scenarios[-1] if len(self.scenarios) == 1 else self._first_own()
        found: Scenario = self._get("scenarios", name)
        return found

    def _first_own(self) -> Scenario:
        own = [s for s in self.scenarios if self._is_own("scenarios", s.name)]
        return own[0] if own else self.scenarios[0]

    def _is_own(self, section: str, name: str) -> bool:
        if self._source is None:
            return True
        mark, _ = self._source.where(section, name)
        return mark is not None and mark.file == self._file

    def own_scenarios(self) -> list[Scenario]:
        """The scenarios defined in the loaded file itself (not the catalogue's)."""
        return [s for s in self.scenarios if self._is_own("scenarios", s.name)]

    def own_entries(self, section: str) -> list[Any]:
        """The entries of ``section`` defined (or overridden) in the loaded file itself."""
        return [e for e in getattr(self, section) if self._is_own(section, e.name)]

    def force(self, name: str) -> Force:
        """The force called ``name``; ``a+b`` is a scenario's ``forces: [a, b]`` combined."""
        if COALITION_JOIN in name:
            names = name.split(COALITION_JOIN)
            twice = [n for i, n in enumerate(names) if n in names[:i]]
            if twice:
                raise KeyError(f"force '{twice[0]}' appears twice in '{name}'")
            return combined_force([self.force(n) for n in names])
        found: Force = self._get("forces", name)
        return found

    def system(self, name: str) -> SystemType:
        found: SystemType = self._get("systems", name)
        return found

    def supplier(self, name: str) -> Supplier:
        found: Supplier = self._get("suppliers", name)
        return found

    def option(self, name: str) -> Option:
        found: Option = self._get("options", name)
        return found

    def decision(self, name: str | None = None) -> Decision:
        """The decision called ``name``; without a name, the file's first own decision."""
        if name is None:
            own = self.own_entries("decisions") or self.decisions
            if not own:
                raise KeyError("the document has no decisions")
            first: Decision = own[0]
            return first
        found: Decision = self._get("decisions", name)
        return found


#: Section name -> entry model, in the order references flow.
SECTIONS: dict[str, type[_Entry]] = {
    "jurisdictions": Jurisdiction,
    "suppliers": Supplier,
    "systems": SystemType,
    "forces": Force,
    "scenarios": Scenario,
    "options": Option,
    "decisions": Decision,
    "industry": IndustryNetwork,
}
