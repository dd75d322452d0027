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


class SettingsError(SendAssistantError):
    """The decision's settings file (actions/settings.yml) is missing, unreadable, or has a
    wrong value."""


class Problem:
    """One thing wrong with one knowledge file, and what would fix it."""

    __slots__ = ("path", "field", "message", "fix", "line")

    def __init__(self, path: Path | str, field: str | None, message: str, fix: str,
                 line: int | None = None) -> None:
        self.path = str(path)
        """The file, relative to the knowledge folder where possible."""
        self.field = field
        """The front-matter field at fault, or None for the whole file."""
        self.message = message
        """What is wrong."""
        self.fix = fix
        """What the editor should do about it."""
        self.line = line
        """The line of the file where the field starts, where known (see `locate`)."""

    def __str__(self) -> str:
        path = f"{self.path}:{self.line}" if self.line else self.path
        where = f"{path}: `{self.field}`" if self.field else path
        return f"{where}: {self.message}; {self.fix}"

    def locate(self, root: Path) -> None:
        """Set `line` to where the field's key starts in the file (under `root`), if found."""
        if self.line or not self.field:
            return
        key = self.field.split(".")[0].split("[")[0]
        try:
            lines = (root / self.path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return
        self.line = next((n for n, text in enumerate(lines, start=1)
                          if text.lstrip(" -").startswith(f"{key}:")), None)

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"
