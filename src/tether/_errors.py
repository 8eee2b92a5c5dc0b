"""The exception tree: every error tether raises derives from :class:`TetherError`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ArgumentError",
    "CapacityError",
    "Diagnostic",
    "InputError",
    "SolverError",
    "TetherError",
]


class TetherError(Exception):
    """Base of every error raised by tether."""

    #: Exit code the command line uses for this error.
    exit_code: int = 1


class ArgumentError(TetherError):
    """A bad argument to a command or an API call (a negative seed, a start day past the
    horizon, an unknown engine, ...). The message names the argument.

    >>> print(ArgumentError("seed must be at least 0, not -1"))
    seed must be at least 0, not -1
    """

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in an input file: where it is and what is wrong.

    ``line`` and ``column`` are 1-based; 0 means "unknown" (for example a file that
    could not be read at all).
    """

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class InputError(TetherError):
    """Bad user input: every problem found, each with file, line, column and field.

    >>> d = Diagnostic("force.yaml", 3, 7, "fleets[f16].units", "must be at least 1")
    >>> print(InputError([d]))
    force.yaml:3:7: fleets[f16].units: must be at least 1
    """

    exit_code = 2

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class CapacityError(InputError):
    """The input is valid but asks for more than this machine can hold (memory, size)."""


class SolverError(TetherError):
    """A numerical solver failed; carries the solver's own status."""

    def __init__(self, message: str, status: str) -> None:
        self.status = status
        super().__init__(f"{message} (solver status: {status})")
