"""Contrastive fine-tuning of MiniLM and the featurizer that stores it (Rasa env)."""

import json

import numpy as np
import pytest
import tensorflow as tf
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa_hybrid.encoders.bert_onnx import BertShape, mean_pool
from rasa_hybrid.encoders.location import encoder_folder
from rasa_hybrid.nlu.bounded_tokenizer import BoundedWhitespaceTokenizer
from rasa_hybrid.nlu.contrastive import (
    FineTuning,
    TensorFlowBert,
    contrastive_loss,
    fine_tune,
    padded,
    sample_batch,
)
from rasa_hybrid.nlu.minilm_featurizer import MiniLMFeaturizer, encoder
from rasa_hybrid.nlu.tuned_minilm import REPORT, TunedMiniLMFeaturizer
from safetensors.numpy import load_file

TOKENIZER = BoundedWhitespaceTokenizer(BoundedWhitespaceTokenizer.get_default_config())
EXAMPLES = {
    "track": [
        "where is my order",
        "has my parcel shipped",
        "when will my delivery arrive",
        "track my package please",
        "my order has not come yet",
        "is my shipment on its way",
    ],
    "repair": [
        "my washer is broken",
        "the fridge stopped cooling",
        "send a technician to fix my oven",
        "my dryer makes a loud noise",
        "the dishwasher leaks water",
        "i need a repair visit",
    ],
    "pay": [
        "can i pay with a credit card",
        "do you accept paypal",
        "is financing available",
        "can i pay in instalments",
        "which payment methods do you take",
        "do you take apple pay",
    ],
}
#: Phrasings of the same intents that training never sees.
UNSEEN = {
    "track": ["where's my stuff", "delivery status"],
    "repair": ["oven won't heat up", "washing machine won't spin"],
    "pay": ["payment by debit card?", "buy now pay later"],
}
QUICK = {"fine_tune_min_steps": 12, "fine_tune_passes": 1.0}


@pytest.fixture(scope="module")
def stock():
    folder = encoder_folder()
    config = json.loads((folder / "config.json").read_text())
    return load_file(str(folder / "model.safetensors")), BertShape.from_config(config)


def pieces_of(texts):
    return encoder(str(encoder_folder())).tokenizer(list(texts))["input_ids"]


def test_the_tensorflow_forward_pass_is_the_onnx_encoders(stock):
    texts = ["where is my order", "book a repair for my washer please", "hi"]
    ids, mask = padded(pieces_of(texts))
    onnx = encoder(str(encoder_folder())).model
    expected = mean_pool(onnx.hidden_states(ids, mask), mask)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    vectors = TensorFlowBert(*stock).sentence_vectors(ids, mask).numpy()
    assert np.abs(vectors - expected).max() < 1e-5


def test_the_loss_is_lower_when_intents_are_apart():
    labels = tf.constant([0, 0, 1, 1])
    apart = tf.math.l2_normalize(tf.constant([[1.0, 0], [1, 0.1], [0, 1], [0.1, 1]]), 1)
    mixed = tf.math.l2_normalize(tf.constant([[1.0, 0], [0, 1], [1, 0.1], [0.1, 1]]), 1)
    assert float(contrastive_loss(apart, labels, 0.1)) < float(
        contrastive_loss(mixed, labels, 0.1)
    )
    # An anchor without a positive adds nothing, whatever its vector.
    lonely = tf.constant([0, 0, 1, 2])
    assert np.isfinite(float(contrastive_loss(apart, lonely, 0.1)))


def test_batches_take_a_few_examples_of_several_intents():
    tuning = FineTuning(intents_per_batch=2, examples_per_intent=3)
    by_intent = [[0, 1, 2, 3], [4], [5, 6, 7]]
    rng = np.random.default_rng(0)
    for _ in range(20):
        batch = sample_batch(by_intent, rng, tuning)
        owners = {next(i for i, ex in enumerate(by_intent) if b in ex) for b in batch}
        assert len(owners) == 2 and len(set(batch)) == len(batch) <= 6
    assert FineTuning().steps(100) == 60 and FineTuning().steps(6400) == 300


def separation(vectors_by_intent):
    """Mean cosine to the own intent's centre minus to the nearest other's."""
    centres = {
        k: v.mean(axis=0) / np.linalg.norm(v.mean(axis=0))
        for k, v in vectors_by_intent.items()
    }
    gaps = []
    for intent, vectors in vectors_by_intent.items():
        for v in vectors:
            own = v @ centres[intent]
            other = max(v @ c for k, c in centres.items() if k != intent)
            gaps.append(own - other)
    return float(np.mean(gaps))


def test_fine_tuning_pulls_unseen_phrasings_to_their_intents(stock):
    texts = [t for ts in EXAMPLES.values() for t in ts]
    labels = [i for i, ts in enumerate(EXAMPLES.values()) for _ in ts]
    tuning = FineTuning(min_steps=25, passes=1.0)
    weights, losses = fine_tune(*stock, pieces_of(texts), labels, tuning)
    assert np.mean(losses[-5:]) < np.mean(losses[:5])

    def vectors(model_weights):
        model = TensorFlowBert(model_weights, stock[1])
        return {
            intent: model.sentence_vectors(
                *padded(pieces_of(EXAMPLES[intent] + UNSEEN[intent]))
            ).numpy()[-2:]
            for intent in EXAMPLES
        }

    assert separation(vectors(weights)) > separation(vectors(stock[0])) + 0.02
    # The pooler and the integer position ids are left as they were.
    untouched = [k for k in stock[0] if not k.startswith("encoder.")]
    untouched = [
        k
        for k in untouched
        if not k.startswith("embeddings.") or k.endswith("position_ids")
    ]
    assert untouched and all(
        np.array_equal(weights[k], stock[0][k])
        and weights[k].dtype == stock[0][k].dtype
        for k in untouched
    )


def training_data(examples):
    messages = [
        Message.build(text=text, intent=intent)
        for intent, texts in examples.items()
        for text in texts
    ]
    data = TrainingData(messages)
    TOKENIZER.process_training_data(data)
    return data


class Stored:
    """A model storage and the featurizer trained into it."""

    def __init__(self, tmp_path, examples, **options):
        self.storage = LocalModelStorage(tmp_path)
        self.context = ExecutionContext(graph_schema=None, node_name="tuned")
        self.resource = Resource("tuned")
        self.config = {**TunedMiniLMFeaturizer.get_default_config(), **options}
        TunedMiniLMFeaturizer.create(
            self.config, self.storage, self.resource, self.context
        ).train(training_data(examples))

    def load(self):
        return TunedMiniLMFeaturizer.load(
            self.config, self.storage, self.resource, self.context
        )


def sentence_vector(featurizer, text):
    [message] = [Message.build(text=text)]
    TOKENIZER.process([message])
    featurizer.process([message])
    return message.get_dense_features(TEXT)[1].features[0]


def test_the_tuned_encoder_is_stored_with_the_model_and_loaded_from_it(tmp_path):
    stored = Stored(tmp_path, EXAMPLES, **QUICK)
    with stored.storage.read_from(stored.resource) as directory:
        report = json.loads((directory / REPORT).read_text())
    assert report["intents"] == 3 and report["steps"] == 12
    text = "my fridge is warm"
    stock = MiniLMFeaturizer(MiniLMFeaturizer.get_default_config(), "stock")
    first, again = (
        sentence_vector(stored.load(), text),
        sentence_vector(stored.load(), text),
    )
    assert np.array_equal(first, again)
    assert not np.allclose(first, sentence_vector(stock, text), atol=1e-3)
    assert np.isclose(np.linalg.norm(first), 1.0, atol=1e-4)


def test_one_intent_has_nothing_to_contrast_and_keeps_the_packaged_encoder(tmp_path):
    stored = Stored(tmp_path, {"track": EXAMPLES["track"]}, **QUICK)
    stock = MiniLMFeaturizer(MiniLMFeaturizer.get_default_config(), "stock")
    text = "where is my order"
    assert np.array_equal(
        sentence_vector(stored.load(), text), sentence_vector(stock, text)
    )
