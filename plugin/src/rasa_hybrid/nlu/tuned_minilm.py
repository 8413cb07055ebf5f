"""MiniLM features from an encoder fine-tuned on the bot's own examples.

``MiniLMFeaturizer`` with a training step: MiniLM is fine-tuned with a
supervised contrastive loss on the training examples' intents
(``rasa_hybrid.nlu.contrastive``), and the tuned weights are stored in the
model beside the tokenizer's files. At parse time they run in ONNX Runtime as
the packaged weights do, at the same cost. Training data with fewer than two
intents has nothing to contrast: the packaged weights are used.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_hybrid.nlu.contrastive import FineTuning, fine_tune
from rasa_hybrid.nlu.minilm_featurizer import Encoder, MiniLMFeaturizer, message_words

logger = logging.getLogger(__name__)

WEIGHTS = "model.safetensors"
#: The packaged files the tuned folder needs besides its weights.
COPIED = (
    "config.json",
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
REPORT = "fine_tuning.json"
#: Configuration keys and the ``FineTuning`` fields they set.
SETTINGS = {
    "fine_tune_temperature": "temperature",
    "fine_tune_learning_rate": "learning_rate",
    "fine_tune_min_steps": "min_steps",
    "fine_tune_passes": "passes",
    "fine_tune_intents_per_batch": "intents_per_batch",
    "fine_tune_examples_per_intent": "examples_per_intent",
    "random_seed": "seed",
}
MAX_TUNING_PIECES_KEY = "fine_tune_max_word_pieces"


def tuning_from(config: dict[str, Any]) -> FineTuning:
    """The fine-tuning settings a configuration states."""
    defaults = FineTuning()
    return FineTuning(
        **{
            field: type(getattr(defaults, field))(config[key])
            for key, field in SETTINGS.items()
        }
    )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class TunedMiniLMFeaturizer(MiniLMFeaturizer):
    """Sentence and token features from MiniLM fine-tuned on the training data."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The featurizer's limits and the fine-tuning settings."""
        defaults = FineTuning()
        return {
            **MiniLMFeaturizer.get_default_config(),
            **{key: getattr(defaults, field) for key, field in SETTINGS.items()},
            MAX_TUNING_PIECES_KEY: 64,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TunedMiniLMFeaturizer:
        """Creates an untrained featurizer (see parent class for the signature)."""
        full = {**cls.get_default_config(), **config}
        return cls(full, execution_context.node_name, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TunedMiniLMFeaturizer:
        """Loads the tuned encoder stored with the model, if training made one."""
        tuned = None
        try:
            with model_storage.read_from(resource) as directory:
                if (directory / WEIGHTS).is_file():
                    tuned = Encoder(directory)
        except ValueError:
            logger.debug("No tuned encoder stored: the packaged one is used.")
        full = {**cls.get_default_config(), **config}
        return cls(full, execution_context.node_name, model_storage, resource, tuned)

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
        tuned: Encoder | None = None,
    ) -> None:
        """Reads the settings; ``tuned`` is the encoder a training stored."""
        super().__init__(config, name)
        self._model_storage = model_storage
        self._resource = resource
        self._tuned = tuned
        self._tuning = tuning_from(config)
        self._max_tuning_pieces = int(config[MAX_TUNING_PIECES_KEY])

    def _encoder(self) -> Encoder:
        return self._tuned or super()._encoder()

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tunes MiniLM on the examples' intents and stores the weights."""
        assert self._model_storage is not None and self._resource is not None
        examples = [m for m in training_data.intent_examples if message_words(m)]
        intents = sorted({m.get(INTENT) for m in examples})
        if len(intents) < 2:
            logger.info("Fewer than two intents: MiniLM is not fine-tuned.")
            return self._resource
        from safetensors.numpy import load_file, save_file

        stock = Path(self._folder)
        packaged = super()._encoder()
        pieces = packaged.tokenizer(
            [message_words(m) for m in examples],
            is_split_into_words=True,
            truncation=True,
            max_length=self._max_tuning_pieces,
        )["input_ids"]
        number = {intent: i for i, intent in enumerate(intents)}
        weights, losses = fine_tune(
            load_file(str(stock / WEIGHTS)),
            packaged.model.shape,
            pieces,
            [number[m.get(INTENT)] for m in examples],
            self._tuning,
        )
        with self._model_storage.write_to(self._resource) as directory:
            for name in COPIED:
                if (stock / name).is_file():
                    shutil.copy2(stock / name, directory / name)
            save_file(weights, str(directory / WEIGHTS))
            report = {
                "examples": len(examples),
                "intents": len(intents),
                "steps": len(losses),
                "first_loss": losses[0],
                "last_loss": losses[-1],
            }
            (directory / REPORT).write_text(json.dumps(report), encoding="utf-8")
        logger.info("MiniLM fine-tuned: %s", report)
        return self._resource
