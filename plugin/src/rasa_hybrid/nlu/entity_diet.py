"""DIET for entities only, at ease with training data that has none.

Intents come from ``LinearIntentClassifier``; DIET keeps what it is best at,
finding entities. Stock DIET with intent classification off crashes when the
training data holds no entity annotations (it has no loss to minimise), which
is the case for plain intent data sets such as the routing benchmark's: this
subclass then skips training and extracts nothing.

``skip_intents`` names intents whose examples DIET does not train on: the
attack intents (prompt injection, other customers' data) are long, carry no
annotations by design, and their entities are dropped anyway; training on
them tripled DIET's time and taught it nothing it needs.
"""

from __future__ import annotations

import logging
from typing import Any

import tensorflow as tf
from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import (
    ENTITY_RECOGNITION,
    INTENT_CLASSIFICATION,
    LEARNING_RATE,
    RUN_EAGERLY,
)
from rasa.utils.tensorflow.model_data import RasaModelData

SKIP_INTENTS_KEY = "skip_intents"

logger = logging.getLogger(__name__)


def has_entities(training_data: TrainingData) -> bool:
    """Whether any example is annotated with an entity."""
    return any(example.get(ENTITIES) for example in training_data.nlu_examples)


class PredictionDIET(DIET):
    """DIET's TensorFlow model, loaded for prediction without a training step.

    Rasa builds a loaded model's weights by fitting it on one example: that
    traces the whole training graph, the CRF loss included, in every process
    that loads the model, and was most of the time a server, `rasa shell` or
    `rasa test` took to start. One prediction builds every weight prediction
    uses; the trained values are then read into them (the optimizer's state
    and training-only weights stay in the file, unread). Fine-tuning, and DIET
    with intents on (its label embeddings are prepared from the weights), take
    Rasa's own path.
    """

    @classmethod
    def load(
        cls,
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> DIET:
        """The model with its trained weights, ready to predict."""
        config = kwargs.get("config", {})
        if finetune_mode or not predict_data_example or config[INTENT_CLASSIFICATION]:
            return super().load(
                model_file_name,
                model_data_example,
                predict_data_example,
                finetune_mode,
                *args,
                **kwargs,
            )
        model = cls(*args, **kwargs)
        model.compile(
            optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
            run_eagerly=config.get(RUN_EAGERLY),
        )
        model.run_inference(predict_data_example)
        status = model.load_weights(model_file_name)
        if status is not None:
            status.expect_partial()
        return model


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class EntityDIETClassifier(DIETClassifier, GraphComponent):
    """DIET with entity recognition on and intent classification off."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """DIET's options; intents off, entities on."""
        return {
            **DIETClassifier.get_default_config(),
            INTENT_CLASSIFICATION: False,
            ENTITY_RECOGNITION: True,
            SKIP_INTENTS_KEY: [],
        }

    @staticmethod
    def model_class() -> type[DIET]:
        """DIET's model, with a loading path for prediction (PredictionDIET)."""
        return PredictionDIET

    def train(self, training_data: TrainingData) -> Resource:
        """Trains DIET, unless there are no entities to learn."""
        if not has_entities(training_data):
            logger.info("No entity annotations: entity extraction is not trained.")
            return self._resource
        skip = set(self.component_config.get(SKIP_INTENTS_KEY) or [])
        if skip:
            kept = [
                example
                for example in training_data.training_examples
                if example.get(INTENT) not in skip
            ]
            logger.info(
                "Entity DIET trains on %d of %d examples (skipping intents %s)",
                len(kept),
                len(training_data.training_examples),
                ", ".join(sorted(skip)),
            )
            training_data = TrainingData(
                kept,
                entity_synonyms=training_data.entity_synonyms,
                regex_features=training_data.regex_features,
                lookup_tables=training_data.lookup_tables,
                responses=training_data.responses,
            )
        return super().train(training_data)
