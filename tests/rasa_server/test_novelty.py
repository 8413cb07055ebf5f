"""NoveltyPenalty: distances, storage and the scaled ranking (Rasa environment)."""

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa_hybrid.nlu.novelty import (
    NoveltyPenalty,
    fit_gaussians,
    out_of_fold_distances,
    penalty,
    relative_distances,
)

DIM = 8
RNG = np.random.default_rng(7)
CENTRES = {"greet": np.eye(DIM)[0] * 4, "track_order": np.eye(DIM)[1] * 4}


def sample(intent, n=40):
    return CENTRES[intent] + RNG.normal(scale=0.5, size=(n, DIM))


def with_vector(message, vector):
    message.add_features(
        Features(np.asarray(vector)[None, :], "sentence", TEXT, "test-encoder")
    )
    return message


def classified(text, vector, ranking):
    message = with_vector(Message.build(text=text), vector)
    message.set("intent", dict(ranking[0]), add_to_output=True)
    message.set("intent_ranking", [dict(r) for r in ranking], add_to_output=True)
    return message


class Trained:
    def __init__(self, tmp_path, **config):
        self.storage = LocalModelStorage(tmp_path)
        self.context = ExecutionContext(graph_schema=None, node_name="novelty")
        self.resource = Resource("novelty")
        self.config = {**NoveltyPenalty.get_default_config(), **config}
        examples = [
            with_vector(Message.build(text=f"{intent} {i}", intent=intent), row)
            for intent in CENTRES
            for i, row in enumerate(sample(intent))
        ]
        NoveltyPenalty.create(
            self.config, self.storage, self.resource, self.context
        ).train(TrainingData(examples))

    def load(self):
        return NoveltyPenalty.load(
            self.config, self.storage, self.resource, self.context
        )


RANKING = [
    {"name": "greet", "confidence": 0.8},
    {"name": "track_order", "confidence": 0.2},
]


def test_far_messages_are_farther_than_near_ones():
    vectors = np.vstack([sample("greet"), sample("track_order")])
    labels = np.array(["greet"] * 40 + ["track_order"] * 40)
    gaussians = fit_gaussians(vectors, labels, shrinkage=0.5)
    near = relative_distances(CENTRES["greet"], gaussians)
    far = relative_distances(np.full(DIM, 6.0), gaussians)
    assert far[0] > near[0]


def test_penalty_is_one_up_to_the_reference_and_falls_after():
    factors = penalty(
        np.array([-5.0, 1.0, 3.0, 5.0]), reference=1.0, scale=2.0, strength=1.0
    )
    assert factors[:2].tolist() == [1.0, 1.0]
    assert factors[2] == pytest.approx(np.exp(-1.0))
    assert factors[3] < factors[2]


def test_a_trained_model_survives_storage_and_scales_far_messages_only(tmp_path):
    component = Trained(tmp_path).load()
    near = classified("hi", CENTRES["greet"], RANKING)
    far = classified("zebra", np.full(DIM, 6.0), RANKING)
    component.process([near, far])
    assert near.get("intent") == {"name": "greet", "confidence": 0.8}
    scaled = far.get("intent")["confidence"]
    assert scaled < 0.1
    ranking = far.get("intent_ranking")
    assert [r["name"] for r in ranking] == ["greet", "track_order"]
    assert ranking[1]["confidence"] == pytest.approx(0.2 * scaled / 0.8)


def test_strength_zero_changes_nothing(tmp_path):
    component = Trained(tmp_path, strength=0.0).load()
    far = classified("zebra", np.full(DIM, 6.0), RANKING)
    component.process([far])
    assert far.get("intent")["confidence"] == pytest.approx(0.8)


def test_messages_without_text_vector_or_intent_are_left_alone(tmp_path):
    component = Trained(tmp_path).load()
    empty = Message.build(text="")
    empty.set("intent", {"name": None, "confidence": 0.0}, add_to_output=True)
    no_vector = Message.build(text="hi")
    no_vector.set("intent", {"name": "greet", "confidence": 0.9}, add_to_output=True)
    component.process([empty, no_vector])
    assert empty.get("intent") == {"name": None, "confidence": 0.0}
    assert no_vector.get("intent") == {"name": "greet", "confidence": 0.9}


def test_an_untrained_component_is_a_no_op(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(graph_schema=None, node_name="novelty")
    component = NoveltyPenalty.load(
        NoveltyPenalty.get_default_config(), storage, Resource("x"), context
    )
    far = classified("zebra", np.full(DIM, 6.0), RANKING)
    component.process([far])
    assert far.get("intent")["confidence"] == 0.8


def test_messages_whose_top_intent_is_exempt_keep_their_confidences(tmp_path):
    component = Trained(tmp_path, exempt_intents=["greet"]).load()
    attack = classified("zebra", np.full(DIM, 6.0), RANKING)
    other = classified("zebra", np.full(DIM, 6.0), RANKING[::-1])
    component.process([attack, other])
    assert attack.get("intent") == {"name": "greet", "confidence": 0.8}
    assert other.get("intent")["confidence"] < 0.2


def test_unseen_examples_lie_farther_than_the_ones_fitted_on():
    vectors = np.vstack([sample("greet", 12), sample("track_order", 12)])
    labels = np.array(["greet"] * 12 + ["track_order"] * 12)
    in_sample = relative_distances(vectors, fit_gaussians(vectors, labels, 0.5))
    unseen = out_of_fold_distances(vectors, labels, 0.5, folds=4)
    assert unseen.shape == in_sample.shape
    assert np.median(unseen) > np.median(in_sample)
