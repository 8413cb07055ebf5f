"""An intent classifier whose confidences mean something: logistic regression.

Each message is one vector: its sparse sentence features (word and character
n-gram counts, regex matches), damped with ``log1p`` and scaled to unit length,
beside its dense sentence features (MiniLM), scaled to unit length and
weighted by ``dense_weight``. A multinomial logistic regression over that
vector gives calibrated probabilities, so a single ``FallbackClassifier``
threshold separates known tasks from open-ended turns far better than DIET's
similarity scores (see the README's evaluation section for the figures).

With ``novelty_strength`` above 0 the classifier also applies the novelty
penalty (``rasa_hybrid.nlu.novelty``) itself, and with ``fallback_share`` set
it calibrates the fallback threshold on out-of-fold confidences of its own
examples (``rasa_hybrid.nlu.calibration``), the penalty included, so
``CalibratedFallbackClassifier`` needs no out-of-scope data and no number.

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
from rasa_hybrid.nlu.calibration import (
    FALLBACK_THRESHOLD,
    calibrated_threshold,
    out_of_fold_probabilities,
    stratified_folds,
)
from rasa_hybrid.nlu.novelty import (
    Gaussians,
    fit_gaussians,
    out_of_fold_distances,
    penalty,
    relative_distances,
)

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
        """Regression, novelty penalty (off at strength 0) and calibration (off)."""
        return {
            "C": 20.0,
            "dense_weight": 2.0,
            "max_iter": 1000,
            "ranking_length": 10,
            "novelty_strength": 0.0,
            "novelty_shrinkage": 0.5,
            "novelty_reference_quantile": 0.9,
            "exempt_intents": [],
            "fallback_share": None,
            "calibration_folds": 5,
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
        self._gaussians = _novelty_gaussians(weights)

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
        extra: dict[str, np.ndarray] = {}
        dense = _dense_rows(examples)
        assignment = stratified_folds(y, int(self._config["calibration_folds"]))
        novelty_factors = np.ones(len(y))
        strength = float(self._config["novelty_strength"])
        if strength > 0 and dense is not None:
            extra = self._novelty_stats(dense, y, assignment)
            exempt = [intents.index(i) for i in self._exempt() if i in intents]
            novelty_factors = np.where(
                np.isin(y, exempt),
                1.0,
                penalty(
                    extra["novelty_own"],
                    float(extra["novelty_reference"]),
                    float(extra["novelty_scale"]),
                    strength,
                ),
            )
            del extra["novelty_own"]
        share = self._config["fallback_share"]
        if share is not None:
            extra["fallback_threshold"] = np.array(
                self._calibrate(model, X, y, assignment, novelty_factors, float(share))
            )
        if len(intents) == 2:
            # sklearn keeps one row for two classes: sigmoid(s) = softmax([0, s]).
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([[0.0], intercept])
        self._weights = {
            "coef": coef.astype(np.float32),
            "intercept": intercept.astype(np.float32),
            "intents": np.array(intents),
            **extra,
        }
        self._scorer = _scorer(self._weights)
        self._gaussians = _novelty_gaussians(self._weights)
        save_arrays(self._storage, self._resource, WEIGHTS_FILE, self._weights)
        return self._resource

    def _exempt(self) -> set[str]:
        return set(self._config["exempt_intents"] or [])

    def _novelty_stats(
        self, dense: np.ndarray, y: np.ndarray, assignment: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The Gaussians of the sentence vectors and the out-of-fold reference."""
        shrinkage = float(self._config["novelty_shrinkage"])
        gaussians = fit_gaussians(dense, y, shrinkage)
        own = out_of_fold_distances(dense, y, shrinkage, 0, assignment)
        quantile = float(self._config["novelty_reference_quantile"])
        return {
            "novelty_means": gaussians.means,
            "novelty_precision": gaussians.precision,
            "novelty_background_mean": gaussians.background_mean,
            "novelty_background_precision": gaussians.background_precision,
            "novelty_reference": np.array(np.quantile(own, quantile)),
            "novelty_scale": np.array(own.std()),
            "novelty_own": own,
        }

    def _calibrate(
        self,
        model: Any,
        X: scipy.sparse.csr_matrix,
        y: np.ndarray,
        assignment: np.ndarray,
        factors: np.ndarray,
        share: float,
    ) -> float:
        """The threshold keeping ``share`` of out-of-fold final confidences.

        Each fold's regression starts from the full one's weights (when it
        has every intent), so the extra fits cost a fraction of the first.
        """
        from sklearn.base import clone

        n_classes = len(model.classes_)

        def fit(X_part: Any, y_part: np.ndarray) -> Any:
            part = clone(model)
            if len(np.unique(y_part)) == n_classes:
                part.set_params(warm_start=True)
                part.coef_ = model.coef_.copy()
                part.intercept_ = model.intercept_.copy()
            return part.fit(X_part, y_part)

        probabilities = out_of_fold_probabilities(fit, X, y, assignment, n_classes)
        confidences = probabilities.max(axis=1) * factors
        threshold = calibrated_threshold(confidences, share)
        logger.info(
            "Calibrated fallback threshold %.4f (keeps %.0f%% of %d out-of-fold"
            " in-scope confidences)",
            threshold,
            share * 100,
            len(y),
        )
        return threshold

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
        probabilities = self._penalised(live, probabilities, intents)
        threshold = self._weights.get("fallback_threshold")
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
            if threshold is not None:
                message.set(FALLBACK_THRESHOLD, float(threshold))
        return messages

    def _penalised(
        self, messages: list[Message], probabilities: np.ndarray, intents: np.ndarray
    ) -> np.ndarray:
        """Probabilities times the novelty penalty, where it is configured.

        Messages whose top intent is exempt, or that have no sentence vector,
        keep theirs.
        """
        strength = float(self._config["novelty_strength"])
        if strength <= 0 or self._gaussians is None or self._weights is None:
            return probabilities
        dense = _dense_rows(messages)
        if dense is None or dense.shape[1] != self._gaussians.means.shape[1]:
            return probabilities
        factors = penalty(
            relative_distances(dense, self._gaussians),
            float(self._weights["novelty_reference"]),
            float(self._weights["novelty_scale"]),
            strength,
        )
        exempt = np.isin(intents[probabilities.argmax(axis=1)], list(self._exempt()))
        return probabilities * np.where(exempt, 1.0, factors)[:, None]


def _dense_rows(messages: list[Message]) -> np.ndarray | None:
    """The messages' dense sentence vectors, or None unless every one has one."""
    rows = []
    for message in messages:
        dense = message.get_dense_features(TEXT)[1]
        if dense is None:
            return None
        rows.append(np.asarray(dense.features, dtype=np.float64).ravel())
    return np.vstack(rows) if rows else None


def _novelty_gaussians(weights: dict[str, np.ndarray] | None) -> Gaussians | None:
    """The novelty Gaussians held in saved weights (None without them)."""
    if weights is None or "novelty_means" not in weights:
        return None
    return Gaussians(
        weights["novelty_means"],
        weights["novelty_precision"],
        weights["novelty_background_mean"],
        weights["novelty_background_precision"],
    )
