"""The decision's thresholds, read from one file (actions/settings.yml) by both servers.

Each group is a frozen dataclass, so a test can make a variant with `dataclasses.replace`. A
missing, unknown or out-of-range value stops the server at start with a message that says
which one and how to fix it.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import yaml

from actions.errors import SettingsError
from actions.paths import PROJECT_ROOT

SETTINGS_FILE = PROJECT_ROOT / "actions" / "settings.yml"


@dataclass(frozen=True, slots=True)
class NluSettings:
    """When the NLU's ranking counts as unsure of every topic."""

    unsure_below: float
    """No intent this sure: `nlu_fallback`."""
    tied_within: float
    """Two topics this close are unsure between them."""


@dataclass(frozen=True, slots=True)
class SafeguardingSettings:
    """The safeguarding branch's thresholds (bot/safeguarding.py)."""

    learned_crisis: float
    """The learned intent this sure, with no signal: the crisis reply."""
    learned_concern: float
    """The learned intent this sure, with no signal: the softer signpost."""
    learned_lean: float
    """The learned intent this sure, where the assistant is otherwise unsure: the softer
    signpost."""
    check_veto: float
    """The crisis check below this overrules a signal: not a crisis."""
    check_alone: float
    """The crisis check this sure alone: the softer signpost."""
    check_lean: float
    """The crisis check this sure, where the assistant is otherwise unsure: the softer
    signpost."""
    check_case: float
    """The crisis check this sure makes a professional's procedure question a case."""
    check_alone_words: int
    """The fewest words the crisis check alone speaks on."""


@dataclass(frozen=True, slots=True)
class AnswerSettings:
    """The topic branch's thresholds (actions/decision.py)."""

    min_relevance: float
    """Less of the guidance's words than this: not about the guidance."""
    sure_without_words: float
    """This sure, the NLU's topic needs none of the guidance's words."""
    sure_alone: float
    """This sure, the NLU's topic is answered without the word search agreeing."""
    sure_alone_national: float
    """As `sure_alone`, for a topic only the law answers."""
    sure_with_top_words: float
    """Unsure of every topic, this sure of one the word search puts first: answered."""
    word_agreement: int
    """How many of the word search's best matches may agree with the NLU."""
    family_among: int
    """How many of the NLU's best guesses a topic family is read from."""
    family_floor: float
    """The least a local topic needs to count as a national topic's partner."""
    family_law_alone: float
    """A topic the NLU is this sure of alone is answered, not its layered partner."""
    decisive_words: float
    """A terse question naming a council: the least word score answered alone."""
    decisive_ratio: float
    """...and how many times the next topic's score it must be."""
    section_words: float
    """A question's words this specific to one section of the answer: that section alone."""
    section_ratio: float
    """...and how many times the next section's score it must be..."""
    section_other_words: float
    """...and the next section's score must be below this (else two parts are asked)."""


@dataclass(frozen=True, slots=True)
class ChoiceSettings:
    """How "Did you mean" choices are ranked and how many are offered."""

    max_choices: int
    """How many topics to offer."""
    nlu_weight: float
    """The NLU's share of a choice's score; the rest is the word match."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every threshold of the decision, by branch."""

    nlu: NluSettings
    safeguarding: SafeguardingSettings
    answer: AnswerSettings
    choices: ChoiceSettings


_T = TypeVar("_T")


def _group(kind: type[_T], name: str, raw: Any, where: str) -> _T:
    """One group of the file as its dataclass, every field present, known and in range."""
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: `{name}` must be a mapping of settings to values")
    expected = {f.name: f for f in fields(kind)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(expected))
    missing = sorted(set(expected) - set(raw))
    if unknown or missing:
        raise SettingsError(f"{where}: `{name}` has unknown settings {unknown} and lacks "
                            f"{missing}; the settings are {sorted(expected)}")
    values: dict[str, Any] = {}
    for key, field in expected.items():
        value = raw[key]
        integral = field.type in ("int", int)
        if isinstance(value, bool) or not isinstance(value, int if integral else (int, float)):
            raise SettingsError(f"{where}: `{name}.{key}` must be "
                                f"{'a whole number' if integral else 'a number'}, not {value!r}")
        if integral and value < 1:
            raise SettingsError(f"{where}: `{name}.{key}` must be at least 1, not {value}")
        if not integral and not key.endswith(("_words", "_ratio")) and not 0 <= value <= 1:
            raise SettingsError(f"{where}: `{name}.{key}` is a confidence and must be between "
                                f"0 and 1, not {value}")
        if not integral and value < 0:
            raise SettingsError(f"{where}: `{name}.{key}` must not be negative, not {value}")
        values[key] = value if integral else float(value)
    return kind(**values)


def read_settings(path: Path = SETTINGS_FILE) -> Settings:
    """The settings in `path`, checked (SettingsError says what is wrong and where)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise SettingsError(f"{path}: cannot be read ({err}); restore it from git") from err
    if not isinstance(raw, dict):
        raise SettingsError(f"{path}: must be a mapping of groups (nlu, safeguarding, answer, "
                            "choices)")
    groups = get_type_hints(Settings)  # each group's name and its dataclass
    unknown = sorted(set(raw) - set(groups))
    if unknown:
        raise SettingsError(f"{path}: unknown groups {unknown}; the groups are {sorted(groups)}")
    return Settings(**{name: _group(kind, name, raw.get(name), str(path))
                       for name, kind in groups.items()})


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The project's settings, read once per process."""
    return read_settings()
