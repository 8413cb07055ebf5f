"""Lower the intent confidence of messages unlike anything trained on.

A classifier's softmax is confident about messages far from every intent as
long as one intent is less unlikely than the others. This component measures
how far a message's sentence vector (MiniLM) lies from the training data, with
the relative Mahalanobis distance (Ren et al., 2021): the distance to the
nearest intent's mean, under the covariance shared by all intents, minus the
distance to the training data as a whole. Both covariances are shrunk towards
a multiple of the identity, so a few hundred examples give a stable inverse.

Distances are put on the scale of unseen in-scope messages: ``z = (d - q) /
s``, with ``q`` the ``reference_quantile`` of the training examples'
out-of-fold distances (each measured by Gaussians fitted without its fold)
and ``s`` their standard deviation. In-sample distances would be far smaller
than a new message's, above all on small data, and would penalise ordinary
requests. Every confidence in the ranking is multiplied
by ``exp(-strength * max(z, 0))``: messages as close as most training examples
keep their confidences; farther ones lose them, so the ``FallbackClassifier``
after this component sends them to the open-ended route. The settings in
config.yml were chosen on CLINC150's validation split (README, "Evaluation").

Messages whose top intent is in ``exempt_intents`` keep their confidences: the
attack intents are detectors, an attack is unlike ordinary requests by nature,
and the input guard refuses on the classifier's own confidence.

Nothing is unpickled on load: the statistics are plain NumPy arrays.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
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

STATS_FILE = "novelty.npz"


@dataclass(frozen=True)
class Gaussians:
    """Per-intent means with a shared precision, and the whole data's Gaussian."""

    means: np.ndarray
    precision: np.ndarray
    background_mean: np.ndarray
    background_precision: np.ndarray


def _shrunk_precision(centred: np.ndarray, shrinkage: float) -> np.ndarray:
    covariance = centred.T @ centred / max(len(centred), 1)
    target = np.trace(covariance) / covariance.shape[0]
    # A tiny ridge keeps the inverse finite when every vector is the same.
    shrunk = (1 - shrinkage) * covariance + (shrinkage * target + 1e-9) * np.eye(
        covariance.shape[0]
    )
    return np.linalg.inv(shrunk)


def fit_gaussians(
    vectors: np.ndarray, labels: np.ndarray, shrinkage: float
) -> Gaussians:
    """Per-label means, their pooled covariance and the whole data's, shrunk."""
    vectors = np.asarray(vectors, dtype=np.float64)
    names, index = np.unique(labels, return_inverse=True)
    means = np.stack([vectors[index == k].mean(axis=0) for k in range(len(names))])
    background_mean = vectors.mean(axis=0)
    return Gaussians(
        means=means,
        precision=_shrunk_precision(vectors - means[index], shrinkage),
        background_mean=background_mean,
        background_precision=_shrunk_precision(vectors - background_mean, shrinkage),
    )


def relative_distances(vectors: np.ndarray, gaussians: Gaussians) -> np.ndarray:
    """Squared distance to the nearest mean minus that to the whole data."""
    x = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    projected = x @ gaussians.precision
    to_means = (
        (projected * x).sum(axis=1)[:, None]
        - 2 * projected @ gaussians.means.T
        + ((gaussians.means @ gaussians.precision) * gaussians.means).sum(axis=1)
    )
    centred = x - gaussians.background_mean
    to_all = ((centred @ gaussians.background_precision) * centred).sum(axis=1)
    return to_means.min(axis=1) - to_all


def out_of_fold_distances(
    vectors: np.ndarray,
    labels: np.ndarray,
    shrinkage: float,
    folds: int,
    assignment: np.ndarray | None = None,
) -> np.ndarray:
    """Each example's relative distance under Gaussians fitted without its fold.

    ``assignment`` gives each example's fold (``folds`` random ones if None).
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    labels = np.asarray(labels)
    if assignment is None:
        folds = max(2, min(int(folds), len(vectors)))
        assignment = np.random.default_rng(0).permutation(len(vectors)) % folds
    fold = np.asarray(assignment)
    distances = np.empty(len(vectors))
    for number in np.unique(fold):
        held_out = fold == number
        gaussians = fit_gaussians(vectors[~held_out], labels[~held_out], shrinkage)
        distances[held_out] = relative_distances(vectors[held_out], gaussians)
    return distances


def penalty(
    distances: np.ndarray, reference: float, scale: float, strength: float
) -> np.ndarray:
    """The factor for each message's confidences: 1 up to ``reference``, then less."""
    z = (np.asarray(distances, dtype=np.float64) - reference) / max(scale, 1e-12)
    return np.exp(-strength * np.maximum(z, 0.0))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class NoveltyPenalty(GraphComponent, IntentClassifier):
    """Scales intent confidences down for messages far from the training data."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Trains on featurized messages; in config.yml it follows a classifier."""
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Shrinkage, reference quantile and folds, strength, intents left alone."""
        return {
            "shrinkage": 0.5,
            "reference_quantile": 0.9,
            "strength": 2.0,
            "reference_folds": 5,
            "exempt_intents": [],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        stats: dict[str, np.ndarray] | None = None,
    ) -> None:
        """A component; ``stats`` (the Gaussians and the scale) once trained."""
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._stats = stats
        self._gaussians = _gaussians(stats)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NoveltyPenalty:
        """An untrained component."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the Gaussians on the sentence vectors of the intent examples."""
        rows, labels = [], []
        for message in training_data.intent_examples:
            vector = _sentence_vector(message)
            if vector is not None and message.get(INTENT):
                rows.append(vector)
                labels.append(message.get(INTENT))
        if len(set(labels)) < 2:
            logger.warning("Fewer than two intents with sentence vectors: untrained.")
            return self._resource
        vectors, names = np.vstack(rows), np.array(labels)
        shrinkage = float(self._config["shrinkage"])
        gaussians = fit_gaussians(vectors, names, shrinkage)
        own = out_of_fold_distances(
            vectors, names, shrinkage, int(self._config["reference_folds"])
        )
        self._stats = {
            "means": gaussians.means,
            "precision": gaussians.precision,
            "background_mean": gaussians.background_mean,
            "background_precision": gaussians.background_precision,
            "reference": np.array(
                np.quantile(own, float(self._config["reference_quantile"]))
            ),
            "scale": np.array(own.std()),
        }
        self._gaussians = gaussians
        save_arrays(self._storage, self._resource, STATS_FILE, self._stats)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> NoveltyPenalty:
        """Loads what ``train`` saved (untrained, so a no-op, if nothing)."""
        stats = load_arrays(model_storage, resource, STATS_FILE)
        if stats is None:
            logger.warning("No trained novelty statistics in the model.")
        return cls(config, model_storage, resource, stats)

    def process(self, messages: list[Message]) -> list[Message]:
        """Scales the intent and ranking confidences of each message with text."""
        if self._stats is None or self._gaussians is None:
            return messages
        exempt = set(self._config["exempt_intents"] or [])
        live = [
            (m, v)
            for m in messages
            if m.get(TEXT) and m.get(INTENT) and m.get(INTENT).get("name") not in exempt
            for v in [_sentence_vector(m)]
            if v is not None
        ]
        if not live:
            return messages
        distances = relative_distances(np.vstack([v for _, v in live]), self._gaussians)
        factors = penalty(
            distances,
            float(self._stats["reference"]),
            float(self._stats["scale"]),
            float(self._config["strength"]),
        )
        for (message, _), factor in zip(live, factors, strict=True):
            intent = message.get(INTENT)
            if intent.get("confidence") is not None:
                intent = {**intent, "confidence": float(intent["confidence"] * factor)}
                message.set(INTENT, intent, add_to_output=True)
            ranking = [
                {**r, "confidence": float(r["confidence"] * factor)}
                for r in message.get("intent_ranking") or []
            ]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages


def _gaussians(stats: dict[str, np.ndarray] | None) -> Gaussians | None:
    """The Gaussians held in saved statistics (built once, not per message)."""
    if stats is None:
        return None
    return Gaussians(
        stats["means"],
        stats["precision"],
        stats["background_mean"],
        stats["background_precision"],
    )


def _sentence_vector(message: Message) -> np.ndarray | None:
    dense = message.get_dense_features(TEXT)[1]
    return None if dense is None else np.asarray(dense.features).ravel()
