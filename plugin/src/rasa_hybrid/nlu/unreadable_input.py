"""An NLU component that sends messages with nothing to understand to fallback.

DIET always picks one of the intents it knows, often confidently: an empty
message, a row of emoji or a sentence in Chinese would otherwise be read as a
greeting or a thank-you. This component runs after the intent classifiers and
marks such messages as ``nlu_fallback`` with full confidence, so the
conversation answers them with the fallback response instead.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

# The same test decides, in the action server, which turns the LLM can read.
from rasa_hybrid.text import is_readable

MIN_LATIN_SHARE_KEY = "min_latin_share"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class UnreadableInputClassifier(GraphComponent, IntentClassifier):
    """Predicts ``nlu_fallback`` for messages the pipeline cannot read."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The share of Latin letters below which a message is unreadable."""
        return {MIN_LATIN_SHARE_KEY: 0.5}

    def __init__(self, config: dict[str, Any]) -> None:
        """Creates the component from its configuration."""
        self._min_latin_share = float(config[MIN_LATIN_SHARE_KEY])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnreadableInputClassifier:
        """Creates the component (see parent class for the signature)."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides the intent of unreadable messages with ``nlu_fallback``."""
        for message in messages:
            if is_readable(message.get(TEXT) or "", self._min_latin_share):
                continue
            fallback = {
                INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                PREDICTED_CONFIDENCE_KEY: 1.0,
            }
            message.set(INTENT, fallback, add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(
                INTENT_RANKING_KEY, [dict(fallback), *ranking], add_to_output=True
            )
        return messages
