"""An NLU component that marks obvious attacks before any rule or form sees them.

It runs the LLM plugin's input guard (the same pure function and the same
``data/guards/input.yml``) on each message alone. A message that the guard
blocks gets the category's intent (``prompt_injection`` or
``other_customer_data``) with full confidence and loses its entities, so no
slot is filled and no form starts from it: the rules send it to
``action_llm_fallback``, whose guard refuses it with the recent window in
view. Attacks split over several messages are the action server's job.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from rasa_hybrid.guards.input import InputRules, check_input


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class InputGuardFlag(GraphComponent, IntentClassifier):
    """Sets the attack intent on messages the input guard blocks."""

    def __init__(self, rules: InputRules) -> None:
        """Creates the component with the guard's rules."""
        self._rules = rules

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> InputGuardFlag:
        """Creates the component (see parent class for the signature)."""
        return cls(InputRules.load())

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides intent and entities of messages the guard blocks."""
        for message in messages:
            verdict = check_input([message.get(TEXT) or ""], self._rules)
            if verdict.allowed:
                continue
            category = next(
                c for c in self._rules.categories if c.name == verdict.category
            )
            if not category.intents:
                continue
            flagged = {
                INTENT_NAME_KEY: category.intents[0],
                PREDICTED_CONFIDENCE_KEY: 1.0,
            }
            message.set(INTENT, flagged, add_to_output=True)
            ranking = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get(INTENT_NAME_KEY) != category.intents[0]
            ]
            message.set(
                INTENT_RANKING_KEY, [dict(flagged), *ranking], add_to_output=True
            )
            message.set(ENTITIES, [], add_to_output=True)
        return messages
