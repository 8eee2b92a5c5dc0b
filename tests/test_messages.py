"""Error messages read as a person would write them: no 14-digit bounds."""

from __future__ import annotations

import pytest

import tether


def _messages(text: str) -> list[str]:
    with pytest.raises(tether.InputError) as info:
        tether.load_text(text, "bad.yaml")
    return [d.message for d in info.value.diagnostics]


def test_large_bounds_and_inputs_are_compact() -> None:
    text = "systems:\n  - name: x\n    parts:\n      - {name: p, failure_rate: 1e20, unit_cost: 1e30}\n"
    messages = _messages(text)
    assert any("less than or equal to 1e+13 (got 1e+30)" in m for m in messages), messages
    assert any("(got 1e+20)" in m for m in messages), messages
    assert not any(c.isdigit() and len(w) > 8 for m in messages for w in m.split() for c in w[:1])


def test_small_numbers_are_kept_as_written() -> None:
    text = "systems:\n  - name: x\n    parts:\n      - {name: p, failure_rate: -2}\n"
    (message,) = [m for m in _messages(text) if "failure_rate" in m or "greater" in m]
    assert "(got -2)" in message
