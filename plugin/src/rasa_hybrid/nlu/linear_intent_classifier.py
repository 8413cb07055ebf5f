"""An intent classifier whose confidences mean something: logistic regression.

Each message is one vector: its sparse sentence features (word and character
n-gram counts, regex matches), damped with ``log1p`` and scaled to unit length,
beside its dense sentence features (MiniLM), scaled to unit length and
weighted by ``dense_weight``. A multinomial logistic regression over that
vector gives calibrated probabilities, so a single ``FallbackClassifier``
threshold separates known tasks from open-ended turns far better than DIET's
similarity scores (see the README's evaluation section for the figures).

Entities stay with DIET (configured with ``intent_classification: false``).
The weights are stored as plain NumPy arrays: nothing is unpickled on load.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_hybrid.nlu.arrays import load_arrays, save_arrays

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npz"


def damp(counts: np.ndarray) -> np.ndarray:
    """Sparse feature values on a log scale, sign kept: ``log1p(|x|) * sign(x)``."""
    return np.log1p(np.abs(counts)) * np.sign(counts)


def message_vectors(
    sparse: scipy.sparse.spmatrix | None,
    dense: np.ndarray | None,
    dense_weight: float,
) -> scipy.sparse.csr_matrix:
    """One row per message: damped, unit sparse block beside the weighted dense one.

    ``sparse`` and ``dense`` hold one row per message (either may be missing).
    """
    blocks = []
    if sparse is not None:
        damped = scipy.sparse.csr_matrix(sparse, dtype=np.float64)
        damped.data = damp(damped.data)
        blocks.append(_unit_rows(damped))
    if dense is not None:
        rows = np.asarray(dense, dtype=np.float64)
        norms = np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        blocks.append(scipy.sparse.csr_matrix(rows / norms * dense_weight))
    if not blocks:
        raise ValueError("Messages have no sentence features to classify.")
    return scipy.sparse.hstack(blocks, format="csr")


def message_scores(
    sparse: scipy.sparse.spmatrix,
    dense: np.ndarray,
    dense_weight: float,
    coef: np.ndarray,
    intercept: np.ndarray,
) -> np.ndarray:
    """Scores of one message: ``message_vectors(sparse, dense, w) @ coef + b``.

    The same arithmetic on the nonzero entries alone: no sparse matrices are
    stacked, scaled or multiplied (scipy's general operations were most of the
    classifier's time per parse). ``sparse`` and ``dense`` are one row each.
    """
    row = scipy.sparse.csr_matrix(sparse, dtype=np.float64)  # sums duplicates
    damped = damp(row.data)
    norm = max(float(np.sqrt(np.dot(damped, damped))), 1e-12)
    width = row.shape[1]
    scores = (damped / norm) @ coef[row.indices]
    vector = np.asarray(dense, dtype=np.float64).ravel()
    norm = max(float(np.linalg.norm(vector)), 1e-12)
    return scores + (vector / norm * dense_weight) @ coef[width:] + intercept


def _unit_rows(matrix: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return scipy.sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ matrix


def _scorer(
    weights: dict[str, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """(features x intents) weights and intercepts, laid out for ``X @ W``.

    Contiguous and in the features' float64: a sparse row times a transposed
    or float32 matrix would copy the whole matrix (tens of MB) on every parse.
    """
    if weights is None:
        return None
    coef = np.ascontiguousarray(weights["coef"].T, dtype=np.float64)
    return coef, weights["intercept"].astype(np.float64)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Multinomial logistic regression over sparse and MiniLM sentence features."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs featurized messages."""
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        """scikit-learn trains it; NumPy alone predicts."""
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Inverse regularisation ``C``, the dense block's weight, and limits."""
        return {
            "C": 20.0,
            "dense_weight": 2.0,
            "max_iter": 1000,
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        weights: dict[str, np.ndarray] | None = None,
    ) -> None:
        """A classifier; ``weights`` (coef, intercept, intents) once trained."""
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._weights = weights
        self._scorer = _scorer(weights)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """An untrained classifier."""
        return cls(config, model_storage, resource)

    def _vectors(self, messages: list[Message]) -> scipy.sparse.csr_matrix:
        sparse_rows, dense_rows = [], []
        for message in messages:
            sparse = message.get_sparse_features(TEXT)[1]
            dense = message.get_dense_features(TEXT)[1]
            sparse_rows.append(sparse.features if sparse is not None else None)
            dense_rows.append(dense.features if dense is not None else None)
        sparse_block = dense_block = None
        if any(row is not None for row in sparse_rows):
            sparse_block = scipy.sparse.vstack(
                [scipy.sparse.csr_matrix(row) for row in sparse_rows]
            )
        if any(row is not None for row in dense_rows):
            dense_block = np.vstack([np.asarray(row) for row in dense_rows])
        return message_vectors(
            sparse_block, dense_block, float(self._config["dense_weight"])
        )

    def _scores(self, messages: list[Message]) -> np.ndarray:
        """Scores (messages × intents), by ``message_scores`` where it applies.

        That is each message with one sparse and one dense row in the trained
        widths; otherwise all of them through ``message_vectors``.
        """
        if self._scorer is None:
            raise RuntimeError("scores asked of an untrained LinearIntentClassifier")
        coef, intercept = self._scorer
        weight = float(self._config["dense_weight"])
        rows = []
        for message in messages:
            sparse = message.get_sparse_features(TEXT)[1]
            dense = message.get_dense_features(TEXT)[1]
            if (
                sparse is None
                or dense is None
                or sparse.features.shape[0] != 1
                or sparse.features.shape[1] + np.size(dense.features) != coef.shape[0]
            ):
                return np.asarray(self._vectors(messages) @ coef) + intercept
            rows.append(
                message_scores(sparse.features, dense.features, weight, coef, intercept)
            )
        return np.vstack(rows)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the regression on every example with text and an intent."""
        from sklearn.linear_model import LogisticRegression

        examples = [
            m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)
        ]
        intents = sorted({m.get(INTENT) for m in examples})
        if len(intents) < 2:
            logger.warning("Fewer than two intents: the classifier is not trained.")
            return self._resource
        X = self._vectors(examples)
        y = np.array([intents.index(m.get(INTENT)) for m in examples])
        logger.info(
            "Training logistic regression: %d examples, %d intents, %d features",
            X.shape[0],
            len(intents),
            X.shape[1],
        )
        model = LogisticRegression(
            C=float(self._config["C"]), max_iter=int(self._config["max_iter"])
        )
        model.fit(X, y)
        coef, intercept = model.coef_, model.intercept_
        if len(intents) == 2:
            # sklearn keeps one row for two classes: sigmoid(s) = softmax([0, s]).
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([[0.0], intercept])
        self._weights = {
            "coef": coef.astype(np.float32),
            "intercept": intercept.astype(np.float32),
            "intents": np.array(intents),
        }
        self._scorer = _scorer(self._weights)
        save_arrays(self._storage, self._resource, WEIGHTS_FILE, self._weights)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """Loads the weights saved by ``train`` (untrained if there are none)."""
        weights = load_arrays(model_storage, resource, WEIGHTS_FILE)
        if weights is None:
            logger.warning("No trained intent classifier in the model.")
        return cls(config, model_storage, resource, weights)

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the intent and its ranking on each message with text."""
        for message in messages:
            # An empty user message: no intent, zero confidence, so the
            # FallbackClassifier after this one sends it to fallback.
            if TEXT in message.data and not message.get(TEXT):
                message.set(INTENT, {"name": None, "confidence": 0.0}, True)
                message.set("intent_ranking", [], add_to_output=True)
        if self._weights is None or self._scorer is None:
            return messages
        live = [m for m in messages if m.get(TEXT)]
        if not live:
            return messages
        probabilities = softmax(self._scores(live))
        intents = self._weights["intents"]
        keep = int(self._config["ranking_length"])
        for message, row in zip(live, probabilities, strict=True):
            order = np.argsort(-row)
            if keep > 0:
                order = order[:keep]
            ranking = [
                {"name": str(intents[i]), "confidence": float(row[i])} for i in order
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
