"""An NLU component that marks safeguarding messages before any policy or action sees them.

It runs last in the pipeline (after the FallbackClassifier): when a message contains one of the
triggers in knowledge/safeguarding.yml, its intent becomes `safeguarding` with full confidence,
so the rule for that intent answers first whatever else the message seemed to be about. Ways of
saying it that are not triggers are left to the intent the classifier learnt from examples.
The triggers are read when the server starts; restart it after changing them (no retraining).
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.errors import KnowledgeError, Problem
from actions.paths import KNOWLEDGE_DIR
from actions.safeguarding import SAFEGUARDING_FILE, Safeguarding, load_safeguarding

SAFEGUARDING_INTENT = "safeguarding"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafeguardingClassifier(GraphComponent, IntentClassifier):
    """Sets the intent to `safeguarding` when a message contains a safeguarding trigger."""

    def __init__(self, safeguarding: Safeguarding) -> None:
        self.safeguarding = safeguarding

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SafeguardingClassifier:
        problems: list[Problem] = []
        loaded = load_safeguarding(KNOWLEDGE_DIR, problems, str(KNOWLEDGE_DIR / SAFEGUARDING_FILE))
        if loaded is None:
            raise KnowledgeError(problems)
        return cls(loaded)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self.safeguarding.raises_concern(message.get(TEXT) or ""):
                marked = {"name": SAFEGUARDING_INTENT, "confidence": 1.0}
                message.set(INTENT, marked, add_to_output=True)
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                           if r.get("name") != SAFEGUARDING_INTENT]
                message.set(INTENT_RANKING_KEY, [marked, *ranking], add_to_output=True)
        return messages
