"""Contrastive fine-tuning of the sentence encoder on a bot's own examples.

SetFit-style: batches of a few examples from each of several intents, and a
supervised contrastive loss (Khosla et al., 2020) that pulls a message's
vector towards the other examples of its intent and away from the rest. On
small bots the stock vectors of unseen intents lie close together; after
fine-tuning the intents the bot knows are tighter, so what it does not know
stands further off.

The forward pass is MiniLM's in TensorFlow (the Rasa environment has it, and
no torch), from the same weights and names as ``rasa_hybrid.encoders.bert_onnx``
builds its graph from, so the tuned weights go back into that encoder as they
are. The functions here take arrays and return arrays: reading and writing
the model's files is the featurizer's job.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rasa_hybrid.encoders.bert_onnx import BertShape

logger = logging.getLogger(__name__)

#: Sequence lengths are padded up to a multiple of this: few traced shapes.
LENGTH_BUCKET = 16
PAD_ID = 0


@dataclass(frozen=True)
class FineTuning:
    """How long and how hard to fine-tune."""

    temperature: float = 0.1
    learning_rate: float = 2e-5
    #: Batches: at least ``min_steps``, and enough for ``passes`` over the data.
    min_steps: int = 60
    passes: float = 3.0
    intents_per_batch: int = 16
    examples_per_intent: int = 4
    seed: int = 42

    @property
    def batch_size(self) -> int:
        """Messages per batch."""
        return self.intents_per_batch * self.examples_per_intent

    def steps(self, n_examples: int) -> int:
        """The number of batches for ``n_examples`` training examples."""
        return max(
            self.min_steps, math.ceil(self.passes * n_examples / self.batch_size)
        )


def sample_batch(
    by_intent: Sequence[Sequence[int]], rng: np.random.Generator, tuning: FineTuning
) -> list[int]:
    """Example indices: up to ``intents_per_batch`` intents, a few examples each.

    An intent with fewer examples than ``examples_per_intent`` repeats some;
    with one example it adds a negative only.
    """
    chosen = rng.choice(
        len(by_intent), min(tuning.intents_per_batch, len(by_intent)), replace=False
    )
    batch: list[int] = []
    for intent in chosen:
        examples = by_intent[intent]
        replace = len(examples) < tuning.examples_per_intent
        picks = rng.choice(len(examples), tuning.examples_per_intent, replace=replace)
        batch.extend(examples[i] for i in np.unique(picks))
    return batch


def padded(ids: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Word-piece ids and mask, padded to a multiple of ``LENGTH_BUCKET``."""
    longest = max(len(row) for row in ids)
    length = LENGTH_BUCKET * math.ceil(longest / LENGTH_BUCKET)
    array = np.full((len(ids), length), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(ids), length), dtype=np.int64)
    for row, pieces in enumerate(ids):
        array[row, : len(pieces)] = pieces
        mask[row, : len(pieces)] = 1
    return array, mask


class TensorFlowBert:
    """MiniLM's forward pass in TensorFlow, with its weights as variables."""

    def __init__(self, weights: Mapping[str, np.ndarray], shape: BertShape) -> None:
        """Copies ``weights`` (Hugging Face ``BertModel`` names) into variables."""
        import tensorflow as tf

        self._tf = tf
        self.shape = shape
        self.variables = {
            name: tf.Variable(value.astype(np.float32), name=name.replace(".", "/"))
            for name, value in weights.items()
            if name.startswith(("embeddings.", "encoder."))
            and np.issubdtype(value.dtype, np.floating)
        }
        self._frozen = {
            name: np.asarray(value)
            for name, value in weights.items()
            if name not in self.variables
        }

    def _layer_norm(self, x: Any, prefix: str) -> Any:
        tf, w = self._tf, self.variables
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        normal = (x - mean) / tf.sqrt(variance + self.shape.layer_norm_eps)
        return normal * w[f"{prefix}.weight"] + w[f"{prefix}.bias"]

    def _linear(self, x: Any, prefix: str) -> Any:
        w = self.variables
        weight = w[f"{prefix}.weight"]
        return self._tf.matmul(x, weight, transpose_b=True) + w[f"{prefix}.bias"]

    def hidden_states(self, ids: Any, mask: Any) -> Any:
        """The last layer's states (batch × length × hidden), as ``BertModel``."""
        tf, w, shape = self._tf, self.variables, self.shape
        batch, length = tf.shape(ids)[0], tf.shape(ids)[1]
        heads, size = shape.heads, shape.hidden // shape.heads
        x = tf.gather(w["embeddings.word_embeddings.weight"], ids)
        x += w["embeddings.token_type_embeddings.weight"][0]
        x += tf.gather(w["embeddings.position_embeddings.weight"], tf.range(length))
        x = self._layer_norm(x, "embeddings.LayerNorm")
        bias = (1.0 - tf.cast(mask, tf.float32))[:, None, None, :] * -1e9

        def split(t: Any) -> Any:
            return tf.transpose(
                tf.reshape(t, [batch, length, heads, size]), [0, 2, 1, 3]
            )

        for layer in range(shape.layers):
            prefix = f"encoder.layer.{layer}"
            query, key, value = (
                split(self._linear(x, f"{prefix}.attention.self.{part}"))
                for part in ("query", "key", "value")
            )
            scores = tf.matmul(query, key, transpose_b=True) / math.sqrt(size) + bias
            attended = tf.matmul(tf.nn.softmax(scores, axis=-1), value)
            attended = tf.reshape(
                tf.transpose(attended, [0, 2, 1, 3]), [batch, length, shape.hidden]
            )
            attended = self._linear(attended, f"{prefix}.attention.output.dense")
            x = self._layer_norm(x + attended, f"{prefix}.attention.output.LayerNorm")
            inner = tf.nn.gelu(
                self._linear(x, f"{prefix}.intermediate.dense"), approximate=False
            )
            out = self._linear(inner, f"{prefix}.output.dense")
            x = self._layer_norm(x + out, f"{prefix}.output.LayerNorm")
        return x

    def sentence_vectors(self, ids: Any, mask: Any) -> Any:
        """Unit mean-pooled sentence vectors (batch × hidden)."""
        tf = self._tf
        weights = tf.cast(mask, tf.float32)[..., None]
        summed = tf.reduce_sum(self.hidden_states(ids, mask) * weights, axis=1)
        mean = summed / tf.maximum(tf.reduce_sum(weights, axis=1), 1e-9)
        return tf.math.l2_normalize(mean, axis=-1)

    def weights(self) -> dict[str, np.ndarray]:
        """Every weight, the tuned ones and the ones left alone, as arrays."""
        tuned = {name: v.numpy() for name, v in self.variables.items()}
        return {**self._frozen, **tuned}


def contrastive_loss(vectors: Any, labels: Any, temperature: float) -> Any:
    """Supervised contrastive loss of unit ``vectors`` with intent ``labels``."""
    import tensorflow as tf

    n = tf.shape(vectors)[0]
    eye = tf.eye(n)
    logits = tf.matmul(vectors, vectors, transpose_b=True) / temperature - eye * 1e9
    log_prob = logits - tf.reduce_logsumexp(logits, axis=1, keepdims=True)
    positives = tf.cast(tf.equal(labels[:, None], labels[None, :]), tf.float32) - eye
    count = tf.reduce_sum(positives, axis=1)
    per_anchor = -tf.reduce_sum(positives * log_prob, axis=1) / tf.maximum(count, 1.0)
    has_positive = tf.cast(count > 0, tf.float32)
    return tf.reduce_sum(per_anchor * has_positive) / tf.maximum(
        tf.reduce_sum(has_positive), 1.0
    )


def fine_tune(
    weights: Mapping[str, np.ndarray],
    shape: BertShape,
    pieces: Sequence[Sequence[int]],
    labels: Sequence[int],
    tuning: FineTuning = FineTuning(),
) -> tuple[dict[str, np.ndarray], list[float]]:
    """The weights after contrastive fine-tuning, and the loss of every step.

    ``pieces`` are each example's word-piece ids ([CLS] … [SEP]), ``labels``
    its intent as a number.
    """
    import tensorflow as tf

    tf.random.set_seed(tuning.seed)
    rng = np.random.default_rng(tuning.seed)
    by_intent = [
        [i for i, label in enumerate(labels) if label == intent]
        for intent in sorted(set(labels))
    ]
    model = TensorFlowBert(weights, shape)
    variables = list(model.variables.values())
    optimizer = tf.keras.optimizers.AdamW(learning_rate=tuning.learning_rate)

    @tf.function(reduce_retracing=True)
    def step(ids: Any, mask: Any, batch_labels: Any) -> Any:
        with tf.GradientTape() as tape:
            vectors = model.sentence_vectors(ids, mask)
            loss = contrastive_loss(vectors, batch_labels, tuning.temperature)
        gradients = tape.gradient(loss, variables)
        # Autograph's zip takes no ``strict``; both lists are the variables'.
        optimizer.apply_gradients(zip(gradients, variables))  # noqa: B905
        return loss

    steps = tuning.steps(len(labels))
    losses = []
    for number in range(steps):
        batch = sample_batch(by_intent, rng, tuning)
        ids, mask = padded([pieces[i] for i in batch])
        batch_labels = np.array([labels[i] for i in batch], dtype=np.int64)
        losses.append(float(step(ids, mask, batch_labels)))
        if number % 50 == 49:
            logger.info(
                "Fine-tuning: step %d of %d, loss %.3f", number + 1, steps, losses[-1]
            )
    return model.weights(), losses
