"""LinearIntentClassifier: training, storage and prediction (Rasa environment)."""

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa_hybrid.nlu.linear_intent_classifier import (
    LinearIntentClassifier,
    message_scores,
    message_vectors,
    softmax,
)

from tests.rasa_server.sparse_pipeline import SparsePipeline

EXAMPLES = {
    "greet": ["hi", "hello", "hey there", "good morning", "hello hello"],
    "track_order": [
        "where is my order",
        "track my order",
        "has my order shipped",
        "order status please",
        "where's my package",
    ],
    "book": [
        "book a technician",
        "i need a repair visit",
        "schedule a repair",
        "send a technician",
        "book a visit",
    ],
}


class Pipeline(SparsePipeline):
    def __init__(self, tmp_path, examples, **config):
        super().__init__(tmp_path, "clf")
        self.resource = Resource("clf")
        self.config = {**LinearIntentClassifier.get_default_config(), **config}
        data = self.training_data(
            [
                Message.build(text=text, intent=intent)
                for intent, texts in examples.items()
                for text in texts
            ]
        )
        classifier = LinearIntentClassifier.create(
            self.config, self.storage, self.resource, self.context
        )
        classifier.train(data)

    def parse(self, *texts):
        classifier = LinearIntentClassifier.load(
            self.config, self.storage, self.resource, self.context
        )
        return classifier.process(self.messages(*texts))


def test_trained_weights_survive_storage_and_predict(tmp_path):
    pipeline = Pipeline(tmp_path, EXAMPLES)
    greet, order = pipeline.parse("hello there", "where is my package")
    assert greet.get("intent")["name"] == "greet"
    assert order.get("intent")["name"] == "track_order"
    ranking = order.get("intent_ranking")
    assert ranking[0]["name"] == "track_order"
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-5)


def test_confidence_drops_for_words_it_has_never_seen(tmp_path):
    pipeline = Pipeline(tmp_path, EXAMPLES)
    known, unknown = pipeline.parse("track my order", "zebra quantum violin")
    assert known.get("intent")["confidence"] > 0.6
    assert unknown.get("intent")["confidence"] < known.get("intent")["confidence"]


def test_two_intents_give_two_proper_probabilities(tmp_path):
    two = {k: EXAMPLES[k] for k in ("greet", "book")}
    (message,) = Pipeline(tmp_path, two).parse("book a technician please")
    ranking = message.get("intent_ranking")
    assert message.get("intent")["name"] == "book"
    assert len(ranking) == 2
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-5)


def test_ranking_length_limits_the_ranking(tmp_path):
    (message,) = Pipeline(tmp_path, EXAMPLES, ranking_length=2).parse("hi")
    assert len(message.get("intent_ranking")) == 2


def test_an_untrained_model_leaves_messages_alone(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(graph_schema=None, node_name="clf")
    classifier = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), storage, Resource("x"), context
    )
    message = Message.build(text="hi")
    classifier.process([message])
    assert message.get("intent") is None


def test_message_vectors_give_each_block_unit_length():
    sparse = scipy.sparse.csr_matrix(np.array([[3.0, 0.0, 4.0], [0.0, 0.0, 0.0]]))
    dense = np.array([[2.0, 0.0], [0.0, 5.0]])
    vectors = message_vectors(sparse, dense, dense_weight=2.0).toarray()
    assert np.linalg.norm(vectors[0, :3]) == pytest.approx(1.0)
    assert np.linalg.norm(vectors[0, 3:]) == pytest.approx(2.0)
    assert np.all(vectors[1, :3] == 0)  # an empty row stays empty, no NaN
    with pytest.raises(ValueError):
        message_vectors(None, None, 1.0)


def test_softmax_rows_sum_to_one_even_for_huge_scores():
    rows = softmax(np.array([[1000.0, 0.0], [1.0, 1.0]]))
    assert np.allclose(rows.sum(axis=1), 1.0)
    assert rows[0, 0] == pytest.approx(1.0)
    assert np.isfinite(rows).all()


def test_an_empty_message_gets_no_intent_and_zero_confidence(tmp_path):
    (message,) = Pipeline(tmp_path, EXAMPLES).parse("")
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []


def test_messages_without_text_keep_their_intent(tmp_path):
    pipeline = Pipeline(tmp_path, EXAMPLES)
    classifier = LinearIntentClassifier.load(
        pipeline.config, pipeline.storage, pipeline.resource, pipeline.context
    )
    message = Message(data={"intent": "greet"})
    classifier.process([message])
    assert message.get("intent") == "greet"


def _sparse_row(rng, width, entries):
    """A 1 x width COO row with repeated coordinates (they add up)."""
    cols = rng.integers(0, width, entries)
    if entries:
        cols[: entries // 3 + 1] = cols[0]  # duplicates
    data = rng.normal(0, 3, entries)
    return scipy.sparse.coo_matrix((data, (np.zeros(entries, int), cols)), (1, width))


def test_message_scores_equal_the_stacked_vectors_times_the_weights():
    rng = np.random.default_rng(7)
    width, dense_width, intents = 500, 16, 6
    coef = rng.normal(size=(width + dense_width, intents))
    intercept = rng.normal(size=intents)
    for entries in (0, 1, 9, 40):
        sparse = _sparse_row(rng, width, entries)
        dense = rng.normal(size=(1, dense_width)).astype(np.float32)
        expected = message_vectors(sparse, dense, 2.0) @ coef + intercept
        got = message_scores(sparse, dense, 2.0, coef, intercept)
        np.testing.assert_allclose(got, np.asarray(expected).ravel(), rtol=1e-12)


def test_the_classifier_scores_each_message_as_the_stacked_vectors_do():
    from rasa.shared.nlu.training_data.features import Features

    rng = np.random.default_rng(3)
    width, dense_width = 40, 8
    intents = np.array(["a", "b", "c"])
    weights = {
        "coef": rng.normal(size=(3, width + dense_width)).astype(np.float32),
        "intercept": rng.normal(size=3).astype(np.float32),
        "intents": intents,
    }
    classifier = LinearIntentClassifier(
        LinearIntentClassifier.get_default_config(), None, Resource("x"), weights
    )
    messages = []
    for n in range(4):
        message = Message.build(text=f"text {n}")
        sparse = _sparse_row(rng, width, 6)
        dense = rng.normal(size=(1, dense_width))
        message.add_features(Features(sparse, "sentence", TEXT, "cv"))
        message.add_features(Features(dense, "sentence", TEXT, "minilm"))
        messages.append(message)
    coef, intercept = classifier._scorer
    expected = np.asarray(classifier._vectors(messages) @ coef) + intercept

    def stacked(_messages):
        raise AssertionError("messages with both blocks are scored one by one")

    classifier._vectors = stacked
    np.testing.assert_allclose(classifier._scores(messages), expected, rtol=1e-12)
    classifier.process(messages)
    best = intents[np.argmax(expected, axis=1)]
    assert [m.get("intent")["name"] for m in messages] == list(best)
