"""Two NLU components that average two intent classifiers' rankings.

DIET (a neural classifier) and scikit-learn's logistic regression make different mistakes on
this assistant's small training set: on the evaluation sets the average of their confidences
answered more questions right, and fewer wrong, than either alone. Rasa keeps only the last
classifier's ranking, so `KeepRanking` (after DIET) saves DIET's full ranking on the message and
`AverageRankings` (after the logistic regression) sets the intent and ranking to the weighted
average, before the FallbackClassifier judges its confidence.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

KEPT = "first_intent_ranking"
"""The message attribute that holds the first classifier's ranking."""
RANKING_LENGTH = 10
"""How many intents the averaged ranking keeps."""


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class KeepRanking(GraphComponent, IntentClassifier):
    """Saves the ranking of the classifier before it, for AverageRankings."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> KeepRanking:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            message.set(KEPT, list(message.get(INTENT_RANKING_KEY) or []))
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class AverageRankings(GraphComponent, IntentClassifier):
    """Sets the intent and ranking to `weight` x the kept ranking + (1 - `weight`) x the ranking
    of the classifier before it."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"weight": 0.5}

    def __init__(self, weight: float) -> None:
        self.weight = weight

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> AverageRankings:
        return cls(float(config.get("weight", 0.5)))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            kept = message.get(KEPT)
            if not kept:
                continue
            ranking = average(kept, message.get(INTENT_RANKING_KEY) or [], self.weight)
            if ranking:
                message.set(INTENT, ranking[0], add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking[:RANKING_LENGTH], add_to_output=True)
        return messages


def average(first: list[dict[str, Any]], second: list[dict[str, Any]],
            weight: float) -> list[dict[str, Any]]:
    """The weighted average of two rankings (an intent missing from one counts 0 there),
    best first; ties by name, so the result is the same every time."""
    a = {r["name"]: float(r.get("confidence") or 0.0) for r in first}
    b = {r["name"]: float(r.get("confidence") or 0.0) for r in second}
    scores = {name: weight * a.get(name, 0.0) + (1 - weight) * b.get(name, 0.0)
              for name in a.keys() | b.keys()}
    return [{"name": name, "confidence": score}
            for name, score in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]
