"""Spot messages that suggest a child is at risk of harm or a person in crisis.

The triggers are content (knowledge/safeguarding.yml), matched as whole words in any case,
with curly apostrophes folded, so "He's talking about Self-Harm" matches "self-harm".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from actions.errors import Problem

SAFEGUARDING_FILE = "safeguarding.yml"
"""The file, in the knowledge folder, that holds the reply and the triggers."""


@dataclass(frozen=True, slots=True)
class Safeguarding:
    """The fixed reply and the phrases that bring it."""

    reply: str
    """What the assistant says, before anything else."""
    triggers: tuple[str, ...]
    """Words and phrases that always bring the reply."""
    pattern: re.Pattern[str]
    """The triggers as one case-insensitive, whole-word expression."""

    def raises_concern(self, text: str) -> bool:
        """Whether the text contains a trigger."""
        return bool(self.triggers) and self.pattern.search(fold(text)) is not None


def load_safeguarding(root: Path, problems: list[Problem], where: str) -> Safeguarding | None:
    """Read knowledge/safeguarding.yml; append a Problem and return None if it is not right."""
    path = root / SAFEGUARDING_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        problems.append(Problem(where, None, f"cannot be read ({err})",
                                "add it with `reply:` and `triggers:` (see the shipped one)"))
        return None
    reply = data.get("reply") if isinstance(data, dict) else None
    triggers = data.get("triggers") if isinstance(data, dict) else None
    if not isinstance(reply, str) or not reply.strip():
        problems.append(Problem(where, "reply", "is missing", "write the fixed reply"))
        return None
    if not isinstance(triggers, list) or not all(isinstance(t, str) and t.strip()
                                                 for t in triggers):
        problems.append(Problem(where, "triggers", "is not a list of phrases",
                                "write one `- phrase` per line"))
        return None
    return Safeguarding(reply=reply.strip(), triggers=tuple(triggers),
                        pattern=compile_triggers(triggers))


def compile_triggers(triggers: list[str]) -> re.Pattern[str]:
    """One expression matching any trigger as whole words, any case, any spacing."""
    alternatives = [r"\s+".join(re.escape(word) for word in fold(t).split())
                    for t in sorted(triggers, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def fold(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").lower()
