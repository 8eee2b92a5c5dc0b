"""The kinds of support a supplier can withhold: shared by the model, the plan and engines.

A leaf module (imports nothing from tether), so engines can use it without importing the
model.
"""

from __future__ import annotations

__all__ = ["KINDS", "KIND_INDEX"]

#: The kinds of support a supplier can withhold, in the order of a plan's kind axis.
KINDS: tuple[str, ...] = ("spares", "repair", "software", "munitions", "services")
#: Position of each kind on a plan's kind axis.
KIND_INDEX: dict[str, int] = {k: i for i, k in enumerate(KINDS)}
