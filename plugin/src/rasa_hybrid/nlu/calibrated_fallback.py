"""Rasa's FallbackClassifier with the threshold the intent classifier calibrated.

``threshold: calibrated`` (the default) takes, for each message, the threshold
``LinearIntentClassifier`` calibrated at training time from out-of-fold
confidences of the in-scope examples (its ``fallback_share``); a model trained
without calibration falls back below ``default_threshold``. A number pins the
threshold, as with Rasa's own component.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from rasa_hybrid.nlu.calibration import FALLBACK_THRESHOLD

CALIBRATED = "calibrated"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class CalibratedFallbackClassifier(FallbackClassifier):
    """Sends messages below the calibrated (or a pinned) threshold to fallback."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``calibrated`` or a number; the threshold of an uncalibrated model."""
        return {
            **FallbackClassifier.get_default_config(),
            "threshold": CALIBRATED,
            "default_threshold": 0.3,
            "ambiguity_threshold": 0.0,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CalibratedFallbackClassifier:
        """A component with the defaults under ``config``."""
        return cls({**cls.get_default_config(), **config})

    def threshold(self, message: Message) -> float:
        """The threshold this message is held to."""
        configured = self.component_config["threshold"]
        if configured != CALIBRATED:
            return float(configured)
        calibrated = message.get(FALLBACK_THRESHOLD)
        if calibrated is None:
            return float(self.component_config["default_threshold"])
        return float(calibrated)

    def process(self, messages: list[Message]) -> list[Message]:
        """Rasa's fallback decision, each message against its threshold."""
        for message in messages:
            config = {**self.component_config, "threshold": self.threshold(message)}
            FallbackClassifier(config).process([message])
        return messages
