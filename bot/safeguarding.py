"""NLU components that read every message for safeguarding signals before any policy or
action sees it.

SafeguardingReader runs first; SafeguardingClassifier runs last in the pipeline (after the
FallbackClassifier). Together they ask the detector built from
knowledge/safeguarding.yml (actions.safeguarding) what the message shows, and combines that
with the intent the classifier learnt from examples (`safeguarding`):
- a crisis (or a learned `safeguarding` guess of at least `learned_crisis`): the intent becomes
  `safeguarding` with full confidence, so the rule for it answers first, whatever else the
  message seemed to be about; the classifier's ranking stays behind it, so the action can still
  answer a SEND question asked in the same message;
- a concern (an ambiguous signal, a learned guess of at least `learned_concern`, or of at least
  `learned_lean` when the message would otherwise be declined or unsure), or a
  professional's safeguarding procedure question: the intent becomes `safeguarding` too, and
  the action gives the softer signpost or the professional's route before any answer;
- otherwise a learned guess of `safeguarding` too weak to trust becomes `nlu_fallback`.
Every message with any signal, even one cancelled as a figure of speech, carries
`safeguarding` in its parse data (level, signal ids, categories, who is at risk: never text),
so no decline, "Did you mean" or error reply leaves out the one-line signpost.
The signals are read when the server starts; restart it after changing them (no retraining).
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.errors import KnowledgeError, Problem
from actions.paths import KNOWLEDGE_DIR
from actions.safeguarding import (
    CONCERN,
    CRISIS,
    SAFEGUARDING_FILE,
    Assessment,
    Safeguarding,
    load_safeguarding,
)

log = logging.getLogger(__name__)

SAFEGUARDING_INTENT = "safeguarding"
PARSE_KEY = "safeguarding"
"""The parse-data key that carries the assessment (see Assessment.record)."""
LEARNED_CRISIS = 0.95
"""The least confidence in the learned `safeguarding` intent that brings the crisis reply when
the detector found nothing (bot/config.yml says how it was chosen)."""
LEARNED_CONCERN = 0.3
"""The least that brings the softer signpost; below it a learned guess becomes `nlu_fallback`."""
LEARNED_LEAN = 0.2
"""Between a crisis and "I can't help with that", lean to the signpost: a learned guess of at
least this brings the softer signpost when the message would otherwise be declined or met with
"Did you mean" (no other intent reaches UNSURE_BELOW, or out_of_scope leads)."""
UNSURE_BELOW = 0.35
"""The FallbackClassifier's threshold in bot/config.yml."""


@lru_cache(maxsize=1)
def load() -> Safeguarding:
    """The safeguarding file of the knowledge folder, loaded once per Rasa process and shared
    by the NLU component and the replies sent when a part of the assistant is down."""
    problems: list[Problem] = []
    result = load_safeguarding(KNOWLEDGE_DIR, problems, str(KNOWLEDGE_DIR / SAFEGUARDING_FILE))
    if result is None:
        raise KnowledgeError(problems)
    result.assess("")  # compile the signals now, at start-up, not on the first person's message
    return result


def loaded() -> Safeguarding | None:
    """As `load`, or None (logged) when the file cannot be loaded."""
    try:
        return load()
    except KnowledgeError as err:
        log.error("knowledge/safeguarding.yml could not be loaded: %s", err)
        return None


def signpost_line(text: str) -> str | None:
    """The one-line signpost for a message with a safeguarding signal that the assistant could
    not handle (the database is down), or None."""
    safeguarding = loaded()
    if safeguarding is None or not safeguarding.assess(text).present:
        return None
    return safeguarding.signpost_line


ASSESSMENT_KEY = "safeguarding_assessment"
"""Where SafeguardingReader leaves its Assessment for SafeguardingClassifier (not output)."""
ORIGINAL_TEXT_KEY = "safeguarding_text"
"""The message as typed, while the classifier reads only the words beside a crisis."""
MIN_REST_WORDS = 3
"""The fewest words beside a crisis that the classifier reads on their own."""


def _role(message: Message) -> str | None:
    role = (message.get("metadata") or {}).get("role")
    return role if isinstance(role, str) else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafeguardingReader(GraphComponent, IntentClassifier):
    """First in the pipeline: reads each message for safeguarding signals. Beside a crisis the
    intent classifier then reads only the other words ("...can she get an EHCP?"), so a SEND
    question asked in the same message is understood on its own; SafeguardingClassifier, last,
    puts the message back as typed."""

    def __init__(self, safeguarding: Safeguarding) -> None:
        self.safeguarding = safeguarding

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SafeguardingReader:
        return cls(load())

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):  # a button's payload, not words
                continue
            found = self.safeguarding.assess(text, _role(message))
            message.set(ASSESSMENT_KEY, found)
            rest = found.rest(text) if found.level == CRISIS else ""
            if len(rest.split()) >= MIN_REST_WORDS:
                message.set(ORIGINAL_TEXT_KEY, text)
                message.set(TEXT, rest)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafeguardingClassifier(GraphComponent, IntentClassifier):
    """Marks safeguarding messages (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"learned_crisis": LEARNED_CRISIS, "learned_concern": LEARNED_CONCERN,
                "learned_lean": LEARNED_LEAN}

    def __init__(self, safeguarding: Safeguarding, learned_crisis: float = LEARNED_CRISIS,
                 learned_concern: float = LEARNED_CONCERN,
                 learned_lean: float = LEARNED_LEAN) -> None:
        self.safeguarding = safeguarding
        self.learned_crisis = learned_crisis
        self.learned_concern = learned_concern
        self.learned_lean = learned_lean

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SafeguardingClassifier:
        return cls(load(), float(config.get("learned_crisis", LEARNED_CRISIS)),
                   float(config.get("learned_concern", LEARNED_CONCERN)),
                   float(config.get("learned_lean", LEARNED_LEAN)))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process(message)
        return messages

    def _lean_to_signpost(self, message: Message) -> bool:
        """Whether a learned safeguarding guess of at least `learned_lean` meets a message the
        assistant would otherwise decline or be unsure of."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        guess = next((float(r.get("confidence") or 0.0) for r in ranking
                      if r.get("name") == SAFEGUARDING_INTENT), 0.0)
        others = [r for r in ranking if r.get("name") not in (SAFEGUARDING_INTENT, "nlu_fallback")]
        unsure = (not others or others[0].get("name") == "out_of_scope"
                  or float(others[0].get("confidence") or 0.0) < UNSURE_BELOW)
        return guess >= self.learned_lean and unsure

    def _process(self, message: Message) -> None:
        original = message.get(ORIGINAL_TEXT_KEY)
        if original is not None:
            message.set(TEXT, original)
        text = message.get(TEXT) or ""
        if text.startswith("/"):  # a button's payload, not words
            return
        found = message.get(ASSESSMENT_KEY)
        if not isinstance(found, Assessment):  # no SafeguardingReader earlier in the pipeline
            found = self.safeguarding.assess(text, _role(message))
        intent = message.get(INTENT) or {}
        learned = (float(intent.get("confidence") or 0.0)
                   if intent.get("name") == SAFEGUARDING_INTENT else 0.0)
        # The learned intent speaks only where the signals saw nothing at all: a signal the file
        # cancelled (a figure of speech, a past harm that is over) is not overruled by it.
        if not found.present and (learned >= self.learned_concern
                                  or self._lean_to_signpost(message)):
            level = CRISIS if learned >= self.learned_crisis else CONCERN
            found = Assessment(level=level, signals=("learned",), categories=("unspecified",),
                               at_risk=("child",), cancelled=found.cancelled,
                               professional=found.professional)
        if found.present:
            message.set(PARSE_KEY, {**found.record(), "learned": round(learned, 3),
                                    "spans": [list(s) for s in found.spans]},
                        add_to_output=True)
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                   if r.get("name") != SAFEGUARDING_INTENT]
        if found.level is not None:
            marked = {"name": SAFEGUARDING_INTENT, "confidence": 1.0}
            message.set(INTENT, marked, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [marked, *ranking], add_to_output=True)
        elif learned:  # a weak guess of safeguarding: unsure, not a safeguarding reply
            unsure = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": learned}
            message.set(INTENT, unsure, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [unsure, *ranking], add_to_output=True)
