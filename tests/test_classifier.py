"""bot/classifier.py: features scaled so that confidence does not grow with message length."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from scipy.sparse import csr_matrix

from bot.classifier import FITTED_FILE, ScaledLogisticRegression, scaled


def test_each_row_is_scaled_to_unit_length() -> None:
    features = csr_matrix(np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 2.0], [1.0, 1.0, 1.0]]))
    for sublinear in (False, True):
        lengths = np.sqrt(np.asarray(scaled(features, sublinear).multiply(
            scaled(features, sublinear)).sum(axis=1))).ravel()
        assert lengths == pytest.approx([1.0, 1.0, 1.0])


def test_repeating_a_message_does_not_change_its_features() -> None:
    once = csr_matrix(np.array([[1.0, 2.0, 0.0, 1.0]]))
    assert scaled(once * 10, sublinear=False).toarray() == pytest.approx(
        scaled(once, sublinear=False).toarray())


def test_sublinear_scaling_damps_repeated_ngrams() -> None:
    counts = csr_matrix(np.array([[9.0, 1.0]]))
    plain, damped = scaled(counts, False).toarray()[0], scaled(counts, True).toarray()[0]
    assert damped[0] / damped[1] < plain[0] / plain[1]


def test_an_empty_message_stays_empty() -> None:
    assert scaled(csr_matrix((1, 5)), True).nnz == 0


def test_the_configured_regularisation_is_used() -> None:
    component = ScaledLogisticRegression({"C": 300}, "classifier", None, None)  # type: ignore[arg-type]
    assert component.clf.C == 300.0
    assert ScaledLogisticRegression({}, "classifier", None, None).clf.C == 1.0  # type: ignore[arg-type]


def fitted_component(storage_dir: Path) -> tuple[ScaledLogisticRegression, LocalModelStorage]:
    storage = LocalModelStorage(storage_dir)
    component = ScaledLogisticRegression({"C": 10}, "classifier", storage, Resource("clf"))
    rng = np.random.default_rng(7)
    features = csr_matrix(rng.poisson(1.0, size=(30, 12)).astype(float))
    component.clf.fit(scaled(features, True), ["a", "b", "c"] * 10)
    component.persist()
    return component, storage


def test_a_saved_model_loads_and_predicts_the_same(tmp_path: Path) -> None:
    component, storage = fitted_component(tmp_path)
    loaded = ScaledLogisticRegression.load({"C": 10}, storage, Resource("clf"),
                                           ExecutionContext(GraphSchema({}), "m"))
    probe = scaled(csr_matrix(np.arange(24, dtype=float).reshape(2, 12)), True)
    assert list(loaded.clf.classes_) == ["a", "b", "c"]
    assert loaded.clf.predict_proba(probe) == pytest.approx(component.clf.predict_proba(probe))


def test_the_saved_model_holds_numbers_not_code(tmp_path: Path) -> None:
    fitted_component(tmp_path)
    saved = next(tmp_path.rglob(FITTED_FILE))
    with np.load(saved, allow_pickle=False) as fitted:
        assert sorted(fitted.files) == ["classes", "coef", "intercept"]
