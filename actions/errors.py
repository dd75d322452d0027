"""The assistant's exceptions: one base class, each message saying what failed and how to fix it."""
from __future__ import annotations

from pathlib import Path


class SendAssistantError(Exception):
    """Base class of every error this project raises on purpose."""


class KnowledgeError(SendAssistantError):
    """One or more knowledge files are invalid; nothing from the load is used."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [f"{len(problems)} problem(s) in the knowledge files:"]
        lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))


class Problem:
    """One thing wrong with one knowledge file, and what would fix it."""

    __slots__ = ("path", "field", "message", "fix")

    def __init__(self, path: Path | str, field: str | None, message: str, fix: str) -> None:
        self.path = str(path)
        """The file, relative to the knowledge folder where possible."""
        self.field = field
        """The front-matter field at fault, or None for the whole file."""
        self.message = message
        """What is wrong."""
        self.fix = fix
        """What the editor should do about it."""

    def __str__(self) -> str:
        where = f"{self.path}: `{self.field}`" if self.field else self.path
        return f"{where}: {self.message}; {self.fix}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"
