"""A logistic regression intent classifier whose confidence does not grow with message length.

Rasa's LogisticRegressionClassifier sums each message's word and character n-gram counts, so a
long message has large features and the classifier grows sure of whatever it leans to: a
200-word question about dyslexia came out as `safeguarding` with confidence 1.0. This one
scales each message's features to unit length first (optionally damping repeated n-grams with
log(1 + count), as TF-IDF's sublinear scaling does), so confidence reflects which words are
there rather than how many. Rasa's classifier also ignores a configured `C` (the inverse of
regularisation strength, always 1.0 there); this one uses it.

It is also saved differently: Rasa's saves the fitted model with skops, whose import alone took
4 of the Rasa server's 10 seconds to start (it lists every public scikit-learn type). This one
saves only the fitted numbers (weights, intercepts and intent names) as NumPy arrays and loads
them with `allow_pickle=False`, so loading a model runs no code from the file.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import (
    AMBIGUITY_THRESHOLD_KEY,
    THRESHOLD_KEY,
    FallbackClassifier,
)
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize

from actions.settings import settings

logger = logging.getLogger(__name__)

FITTED_FILE = "fitted.npz"
"""The saved model: `coef`, `intercept` and `classes` arrays."""


def scaled(features: csr_matrix, sublinear: bool) -> csr_matrix:
    """Each row scaled to unit (L2) length, counts first damped to log(1 + count) if
    `sublinear`."""
    features = csr_matrix(features, dtype=np.float64, copy=True)
    if sublinear:
        features.data = np.log1p(np.abs(features.data)) * np.sign(features.data)
    return normalize(features, norm="l2", copy=False)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ScaledLogisticRegression(LogisticRegressionClassifier):
    """Rasa's logistic regression on length-normalised features (config: `sublinear_tf`, `C`)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "sublinear_tf": True,
                "C": 1.0}

    def __init__(self, config: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.clf.C = float(self.config["C"])

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        return scaled(super()._create_X(messages), bool(self.config.get("sublinear_tf", True)))

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / FITTED_FILE, coef=self.clf.coef_, intercept=self.clf.intercept_,
                     classes=np.asarray(self.clf.classes_, dtype=str))

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ScaledLogisticRegression:
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory, \
                    np.load(directory / FITTED_FILE, allow_pickle=False) as fitted:
                # Column-major, so that coef_.T, which every prediction multiplies by, is
                # row-major: scipy copies a non-contiguous right-hand matrix on every product
                # (2.4 ms a message for 45 intents x 14,000 n-grams).
                component.clf.coef_ = np.asfortranarray(fitted["coef"])
                component.clf.intercept_ = fitted["intercept"]
                component.clf.classes_ = fitted["classes"]
        except (ValueError, OSError, KeyError) as err:
            # As Rasa's classifier does: a model trained without intent examples has none.
            logger.debug(f"{cls.__name__} has no fitted model in '{resource.name}' ({err})")
            return component
        component.clf.n_features_in_ = component.clf.coef_.shape[1]
        return component


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class UnsureClassifier(FallbackClassifier):
    """Rasa's FallbackClassifier with its two thresholds from the decision's settings
    (actions/settings.yml `nlu`), so that when the NLU counts as unsure is set beside the rest
    of the decision: the intent becomes `nlu_fallback` when no intent reaches `unsure_below`,
    or the best two are within `tied_within`. Read when the server starts, so a change needs a
    restart, not a retrain; a threshold written in bot/config.yml is overridden."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> UnsureClassifier:
        nlu = settings().nlu
        return cls({**config, THRESHOLD_KEY: nlu.unsure_below,
                    AMBIGUITY_THRESHOLD_KEY: nlu.tied_within})
