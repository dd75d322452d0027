"""An NLU component that marks safeguarding messages before any policy or action sees them.

It runs last in the pipeline (after the FallbackClassifier): when a message contains one of the
triggers in knowledge/safeguarding.yml, its intent becomes `safeguarding` with full confidence,
so the rule for that intent answers first whatever else the message seemed to be about. Ways of
saying it that are not triggers are left to the intent the classifier learnt from examples, when
it is sure enough (`learned_threshold`); a weak guess of `safeguarding` ("what's the weather
like?" at 0.49) becomes `nlu_fallback`, so the person is not told their message is worrying.
The triggers are read when the server starts; restart it after changing them (no retraining).
"""
from __future__ import annotations

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
from actions.safeguarding import SAFEGUARDING_FILE, Safeguarding, load_safeguarding

SAFEGUARDING_INTENT = "safeguarding"
LEARNED_THRESHOLD = 0.6
"""The least confidence in the learned `safeguarding` intent that brings the reply."""


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafeguardingClassifier(GraphComponent, IntentClassifier):
    """Sets the intent to `safeguarding` when a message contains a safeguarding trigger."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"learned_threshold": LEARNED_THRESHOLD}

    def __init__(self, safeguarding: Safeguarding,
                 learned_threshold: float = LEARNED_THRESHOLD) -> None:
        self.safeguarding = safeguarding
        self.learned_threshold = learned_threshold

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SafeguardingClassifier:
        problems: list[Problem] = []
        loaded = load_safeguarding(KNOWLEDGE_DIR, problems, str(KNOWLEDGE_DIR / SAFEGUARDING_FILE))
        if loaded is None:
            raise KnowledgeError(problems)
        return cls(loaded, float(config.get("learned_threshold", LEARNED_THRESHOLD)))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self.safeguarding.raises_concern(message.get(TEXT) or ""):
                marked = {"name": SAFEGUARDING_INTENT, "confidence": 1.0}
                message.set(INTENT, marked, add_to_output=True)
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                           if r.get("name") != SAFEGUARDING_INTENT]
                message.set(INTENT_RANKING_KEY, [marked, *ranking], add_to_output=True)
                continue
            intent = message.get(INTENT) or {}
            if (intent.get("name") == SAFEGUARDING_INTENT
                    and float(intent.get("confidence") or 0.0) < self.learned_threshold):
                unsure = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME,
                          "confidence": float(intent.get("confidence") or 0.0)}
                message.set(INTENT, unsure, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [unsure, *(message.get(INTENT_RANKING_KEY) or [])],
                            add_to_output=True)
        return messages
