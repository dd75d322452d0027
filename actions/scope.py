"""Spot questions about subjects the guidance does not cover (knowledge/out_of_scope.yml)."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from actions.errors import Problem
from actions.safeguarding import compile_triggers, fold

OUT_OF_SCOPE_FILE = "out_of_scope.yml"
"""The file, in the knowledge folder, that lists the subjects."""


@dataclass(frozen=True, slots=True)
class Subject:
    """One subject the guidance does not cover."""

    name: str
    """How a reply names it: "school transport"."""
    terms: tuple[str, ...]
    """Words and phrases that show a message is about it."""
    pattern: re.Pattern[str]
    """The terms as one case-insensitive, whole-word expression."""


@dataclass(frozen=True, slots=True)
class OutOfScope:
    """The subjects the guidance does not cover."""

    subjects: tuple[Subject, ...]

    def subject_of(self, text: str, covered: Iterable[str] = ()) -> str | None:
        """The name of the first subject the text is about, if any. A term that the `covered`
        texts use too (the questions and aliases of the topic the message was taken for) does
        not count: "help while we're on the waiting list" is a question the topic on getting
        help without a diagnosis answers, though "waiting list" is a health services term."""
        folded = fold(text)
        known: str | None = None  # the covered texts, read only once a term is found
        for subject in self.subjects:
            terms = {m.group(0) for m in subject.pattern.finditer(folded)}
            if terms and known is None:
                known = fold(" | ".join(covered))
            if any(not re.search(rf"(?<!\w){re.escape(t)}(?!\w)", known or "") for t in terms):
                return subject.name
        return None


def load_out_of_scope(root: Path, problems: list[Problem], where: str) -> OutOfScope | None:
    """Read knowledge/out_of_scope.yml; append a Problem and return None if it is not right.
    A knowledge folder without the file has no such subjects."""
    path = root / OUT_OF_SCOPE_FILE
    if not path.exists():
        return OutOfScope(subjects=())
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        problems.append(Problem(where, None, f"cannot be read ({err})",
                                "fix the YAML (see the shipped file)"))
        return None
    raw = data.get("subjects") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        problems.append(Problem(where, "subjects", "is missing or not a list",
                                "write `subjects:` with one `- name: ...` and `terms: [...]` each"))
        return None
    subjects = []
    for n, item in enumerate(raw, start=1):
        name = item.get("name") if isinstance(item, dict) else None
        terms = item.get("terms") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(where, f"subjects[{n}].name", "is missing",
                                    "name the subject as a reply would"))
            continue
        if not isinstance(terms, list) or not terms or not all(
                isinstance(t, str) and t.strip() for t in terms):
            problems.append(Problem(where, f"subjects[{n}].terms", "is not a list of words",
                                    "list the words that show a message is about it"))
            continue
        subjects.append(Subject(name=name.strip(), terms=tuple(terms),
                                pattern=compile_triggers(terms)))
    if len(subjects) != len(raw):
        return None
    return OutOfScope(subjects=tuple(subjects))
