"""Replay the decision: try thresholds on the evaluation sets in seconds, not a served run.

Every question is parsed once by the trained model, as the REST channel would hand it to the
NLU (personal details replaced, a long message cut), and the parse is kept. Then
`actions.decision.understand` is run on each parse with the settings (actions/settings.yml,
or variants given as `group.name=value`), and its first reply is scored exactly as
`tools.evaluate` scores a served one. A replay with the shipped settings gives the figures a
served evaluation gives (a test holds it to that on the dev set).

Choose a setting on the tune parts only: the held-out parts are reported beside them, never
to choose by.
"""
from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from actions import respond
from actions.decision import (
    ANSWER,
    ASK_COUNCIL,
    CHOICES,
    DECLINE,
    SAFEGUARD,
    Decision,
    Turn,
    ranking_of,
    understand,
)
from actions.errors import SettingsError
from actions.knowledge import KnowledgeBase
from actions.safeguarding import PROCEDURE
from actions.settings import Settings
from tools.evaluate import OUT_OF_SCOPE, Question, Result

Parse = dict[str, Any]


def channel_text(text: str) -> str:
    """The text as the REST channel passes it on (bot.channels.redacting)."""
    from bot.channels import cleaned

    return cleaned(text)[0]


def parse_all(questions: list[Question], model: Path) -> list[Parse]:
    """Each question's parse (intent, ranking, safeguarding record) by the model, loaded here."""

    async def parses() -> list[Parse]:
        return [await agent.parse_message(channel_text(q.text)) for q in questions]

    with warnings.catch_warnings():  # Rasa's notices on importing its parts and loading a
        warnings.simplefilter("ignore")  # model ("slot auto-fill has been removed"), which say
        from rasa.core.agent import Agent  # nothing about this one

        agent = Agent.load(str(model))
        return asyncio.run(parses())


def turn_of(parse: Parse, council: str) -> Turn:
    """The turn the decision reads from a parse, in a new conversation on `council`'s site."""
    intent = parse.get("intent") or {}
    found = parse.get("safeguarding")
    return Turn(text=str(parse.get("text") or ""), intent=intent.get("name"),
                confidence=float(intent.get("confidence") or 1),
                ranking=ranking_of(parse.get("intent_ranking") or []),
                safeguarding=found if isinstance(found, dict) else None, council=council)


def first_reply(kb: KnowledgeBase, decision: Decision, turn: Turn) -> tuple[str | None,
                                                                          tuple[str, ...]]:
    """The `custom.topic` (and the choices offered) of the first reply the decision sends."""
    if decision.outcome == SAFEGUARD:
        return ("safeguarding_procedure" if decision.level == PROCEDURE else "safeguarding"), ()
    if decision.outcome == DECLINE:
        return OUT_OF_SCOPE, ()
    if decision.outcome == CHOICES:
        return ("suggestions", decision.choices) if decision.choices else ("menu", ())
    if decision.outcome == ASK_COUNCIL:
        return None, ()
    if decision.outcome == ANSWER and decision.topic is not None:
        response = respond.topic_response(kb, decision.topic, turn.council, text=turn.typed,
                                          section=decision.section)
        custom = (response.replies[0].custom if response.replies else None) or {}
        return str(custom.get("topic") or decision.topic), ()
    return None, ()


def replay(kb: KnowledgeBase, questions: Iterable[Question], parses: Iterable[Parse],
           settings: Settings) -> list[Result]:
    """What the assistant would answer each question, decided under `settings`."""
    results = []
    for question, parse in zip(questions, parses, strict=True):
        turn = turn_of(parse, question.council)
        topic, suggested = first_reply(kb, understand(turn, kb, settings), turn)
        results.append(Result(question, topic, suggested))
    return results


def with_changes(settings: Settings, changes: Iterable[str]) -> Settings:
    """The settings with each `group.name=value` change made (SettingsError if one is not a
    setting or not a number)."""
    for change in changes:
        key, _, value = change.partition("=")
        group, _, name = key.strip().partition(".")
        current = getattr(settings, group, None)
        if current is None or not hasattr(current, name) or not value.strip():
            raise SettingsError(f"{change!r}: give a setting as group.name=value, for example "
                                "answer.sure_alone=0.6 (the groups and names are those of "
                                "actions/settings.yml)")
        old = getattr(current, name)
        try:
            new: int | float = int(value) if isinstance(old, int) else float(value)
        except ValueError as err:
            raise SettingsError(f"{change!r}: {value.strip()!r} is not a number") from err
        settings = replace(settings, **{group: replace(current, **{name: new})})
    return settings
