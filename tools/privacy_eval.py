"""Measure the privacy filter (actions/privacy.py) on tests/eval/privacy.yaml: how many labelled
personal details it removes, and how many of the other words it removes with them.

    .venv/bin/python -m tools.privacy_eval            # the figures, then every miss
    .venv/bin/python -m tools.privacy_eval --removed  # also each other word removed

A detail is caught when its string is no longer in the redacted message as a whole word. The
other words are the message's words outside its details; one is removed when the redacted
message has fewer of it (labels such as "[name]" are not words).
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from actions.errors import SendAssistantError
from actions.paths import PROJECT_ROOT
from actions.privacy import redact

PRIVACY_SET = PROJECT_ROOT / "tests" / "eval" / "privacy.yaml"
MAX_OTHER_WORDS_REMOVED = 0.05
"""The most of the other words the filter may remove, over the whole set."""


class PrivacySetError(SendAssistantError):
    """The privacy evaluation set could not be read."""


@dataclass(frozen=True, slots=True)
class Message:
    """One message of the privacy set."""

    text: str
    """What the person typed."""
    identifiers: tuple[str, ...]
    """The personal details in it, as typed."""


@dataclass(frozen=True, slots=True)
class Figures:
    """What the filter did to the set."""

    identifiers: int
    """Labelled details in the set."""
    misses: tuple[tuple[str, str], ...]
    """Each detail still there: (detail, redacted message)."""
    other_words: int
    """Words outside the details."""
    removed: tuple[tuple[str, str], ...]
    """Each other word removed: (word, redacted message)."""

    @property
    def caught(self) -> int:
        return self.identifiers - len(self.misses)

    @property
    def share_removed(self) -> float:
        return len(self.removed) / self.other_words if self.other_words else 0.0


def load_messages(path: Path = PRIVACY_SET) -> list[Message]:
    """Read the privacy set."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [Message(text=str(m["q"]), identifiers=tuple(str(i) for i in m["identifiers"]))
                for m in data["messages"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as err:
        raise PrivacySetError(f"{path}: cannot read the privacy set ({err}); each entry needs "
                              "`q` (the message) and `identifiers` (a list, [] for none)") from err


def words(text: str) -> list[str]:
    """A text's words ("Jack's" is "Jack" and "s"), labels left out."""
    return re.findall(r"\w+", re.sub(r"\[[a-zA-Z ]+\]", " ", text))


def _present(detail: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(detail)}(?!\w)", text) is not None


def measure(messages: list[Message],
            redactor: Callable[[str], tuple[str, list[str]]] = redact) -> Figures:
    """Redact every message and count the details left and the other words removed."""
    misses: list[tuple[str, str]] = []
    removed: list[tuple[str, str]] = []
    other_words = 0
    for message in messages:
        redacted, _ = redactor(message.text)
        misses += [(d, redacted) for d in message.identifiers if _present(d, redacted)]
        others = message.text
        for detail in sorted(message.identifiers, key=len, reverse=True):
            others = others.replace(detail, " ")
        expected = Counter(words(others))
        other_words += sum(expected.values())
        lost = expected - Counter(words(redacted))
        removed += [(w, redacted) for w in sorted(lost.elements())]
    return Figures(identifiers=sum(len(m.identifiers) for m in messages), misses=tuple(misses),
                   other_words=other_words, removed=tuple(removed))


def report(figures: Figures, show_removed: bool = False) -> str:
    """The figures as a person reads them, with every miss (and each word removed)."""
    lines = [f"identifiers caught: {figures.caught}/{figures.identifiers}",
             f"other words removed: {len(figures.removed)}/{figures.other_words} "
             f"({figures.share_removed:.1%}; at most {MAX_OTHER_WORDS_REMOVED:.0%})"]
    lines += [f"  missed {detail!r}: {text}" for detail, text in figures.misses]
    if show_removed:
        lines += [f"  removed {word!r}: {text}" for word, text in figures.removed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.privacy_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--removed", action="store_true",
                        help="also list each other word the filter removed")
    parser.add_argument("--set", type=Path, default=PRIVACY_SET, help="the labelled set")
    args = parser.parse_args(argv)
    try:
        print(report(measure(load_messages(args.set)), args.removed))
    except SendAssistantError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
