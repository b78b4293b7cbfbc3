"""Errors a user can cause, reported as a list of readable problems (never a traceback)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, and how to fix it."""

    file: str
    row: int | None
    column: str | None
    message: str
    fix: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message} — {self.fix}"


class InputError(Exception):
    """Raised with every problem found, so a user can fix them all in one go."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input:"
        return "\n".join([head, *(f"- {p}" for p in self.problems)])
