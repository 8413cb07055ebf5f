"""Fallback thresholds calibrated without out-of-scope data (Rasa environment).

Trained on moodbot's own examples (seven intents, no out-of-scope example),
with the real MiniLM vectors: unrelated questions must fall back, moodbot's
own kind of message must not.
"""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa_hybrid.nlu.calibrated_fallback import CalibratedFallbackClassifier
from rasa_hybrid.nlu.calibration import (
    FALLBACK_THRESHOLD,
    calibrated_threshold,
    out_of_fold_probabilities,
    stratified_folds,
)
from rasa_hybrid.nlu.linear_intent_classifier import LinearIntentClassifier
from rasa_hybrid.nlu.minilm_featurizer import Encoder, MiniLMFeaturizer
from rasa_hybrid.nlu.tuned_minilm import TunedMiniLMFeaturizer

from tests.rasa_server.sparse_pipeline import SparsePipeline

MOODBOT_NLU = Path(__file__).parents[2] / "examples" / "moodbot" / "data" / "nlu.yml"
UNRELATED = [
    "what's the capital of France?",
    "how do I bake sourdough bread",
    "can you recommend a good laptop for programming",
    "what is the exchange rate of euros to dollars",
]
RELATED = ["hello friend", "goodbye, take care", "i feel really sad today"]
CALIBRATED = {
    "novelty_strength": 2.0,
    "fallback_share": 0.85,
}


class MoodPipeline(SparsePipeline):
    """Count vectors and MiniLM vectors, then the classifier, on moodbot's data."""

    def __init__(self, tmp_path, tuned=False, **config):
        super().__init__(tmp_path, "clf")
        self.resource = Resource("clf")
        self.config = {**LinearIntentClassifier.get_default_config(), **config}
        data = self.training_data(load_data(str(MOODBOT_NLU)).intent_examples)
        self.minilm = (
            self._tuned(data)
            if tuned
            else MiniLMFeaturizer(MiniLMFeaturizer.get_default_config(), "m")
        )
        self.minilm.process_training_data(data)
        self.classifier = LinearIntentClassifier.create(
            self.config, self.storage, self.resource, self.context
        )
        self.classifier.train(data)

    def _tuned(self, data):
        """MiniLM fine-tuned on moodbot's examples, stored and loaded again."""
        config = TunedMiniLMFeaturizer.get_default_config()
        resource = Resource("tuned")
        TunedMiniLMFeaturizer.create(
            config, self.storage, resource, self.context
        ).train(data)
        return TunedMiniLMFeaturizer.load(config, self.storage, resource, self.context)

    def parse(self, *texts, fallback=None):
        messages = self.messages(*texts)
        self.minilm.process(messages)
        loaded = LinearIntentClassifier.load(
            self.config, self.storage, self.resource, self.context
        )
        loaded.process(messages)
        fallback = fallback or CalibratedFallbackClassifier.create(
            {}, self.storage, self.resource, self.context
        )
        return fallback.process(messages)


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    return MoodPipeline(tmp_path_factory.mktemp("calibrated"), **CALIBRATED)


def intents(messages):
    return [m.get("intent")["name"] for m in messages]


def test_unrelated_questions_fall_back_without_any_out_of_scope_example(calibrated):
    assert intents(calibrated.parse(*UNRELATED)) == [
        DEFAULT_NLU_FALLBACK_INTENT_NAME
    ] * len(UNRELATED)


def test_moodbot_messages_keep_their_intents(calibrated):
    assert intents(calibrated.parse(*RELATED)) == ["greet", "goodbye", "mood_unhappy"]


def test_with_minilm_fine_tuned_on_moodbot_the_same_holds(tmp_path):
    tuned = MoodPipeline(tmp_path, tuned=True, **CALIBRATED)
    assert isinstance(tuned.minilm._tuned, Encoder)  # not the packaged weights
    assert intents(tuned.parse(*UNRELATED)) == [DEFAULT_NLU_FALLBACK_INTENT_NAME] * len(
        UNRELATED
    )
    assert intents(tuned.parse(*RELATED)) == ["greet", "goodbye", "mood_unhappy"]


def test_the_threshold_is_learnt_stored_and_carried_on_each_message(calibrated):
    (message,) = calibrated.parse("hello friend")
    threshold = message.get(FALLBACK_THRESHOLD)
    assert 0.05 < threshold < 0.95
    assert FALLBACK_THRESHOLD not in message.as_dict(only_output_properties=True)
    fallback = CalibratedFallbackClassifier.create(
        {}, calibrated.storage, calibrated.resource, calibrated.context
    )
    assert fallback.threshold(message) == pytest.approx(threshold)


def test_without_the_novelty_term_the_classifier_alone_lets_unrelated_through(
    tmp_path,
):
    # The calibration must be over the final confidence: the regression
    # alone is confident about some unrelated questions.
    plain = MoodPipeline(tmp_path, fallback_share=0.9)
    routed = intents(plain.parse(*UNRELATED))
    assert routed.count(DEFAULT_NLU_FALLBACK_INTENT_NAME) < len(UNRELATED)


def test_a_pinned_threshold_overrides_the_calibrated_one(calibrated):
    pinned = CalibratedFallbackClassifier.create(
        {"threshold": 0.0}, calibrated.storage, calibrated.resource, calibrated.context
    )
    (message,) = calibrated.parse(UNRELATED[0], fallback=pinned)
    assert message.get("intent")["name"] != DEFAULT_NLU_FALLBACK_INTENT_NAME


def test_an_uncalibrated_model_falls_back_below_the_default_threshold(tmp_path):
    plain = MoodPipeline(tmp_path)
    (message,) = plain.parse("hello friend")
    assert message.get(FALLBACK_THRESHOLD) is None
    fallback = CalibratedFallbackClassifier.create(
        {"default_threshold": 0.42}, plain.storage, plain.resource, plain.context
    )
    assert fallback.threshold(message) == 0.42
    assert fallback.threshold(Message.build(text="x")) == 0.42


def test_folds_spread_every_label_and_small_labels_over_different_folds():
    labels = np.array(["a"] * 10 + ["b"] * 2 + ["c"] * 2 + ["d"] * 1)
    folds = stratified_folds(labels, 5)
    assert sorted(np.bincount(folds[labels == "a"])) == [2] * 5
    assert len(set(folds[labels == "b"])) == 2
    assert set(folds[labels != "a"]) != {0, 1}


def test_out_of_fold_probabilities_come_from_models_that_never_saw_the_example():
    seen = []

    class Memoriser:
        def fit(self, X, y):
            seen.append(set(X.ravel().tolist()))
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))

    X = np.arange(12).reshape(-1, 1)
    y = np.array([0, 1, 2] * 4)
    folds = stratified_folds(y, 4)
    probabilities = out_of_fold_probabilities(
        lambda a, b: Memoriser().fit(a, b), X, y, folds, 3
    )
    assert probabilities.shape == (12, 3)
    for number, training in zip(np.unique(folds), seen, strict=True):
        assert not training & set(X[folds == number].ravel().tolist())


def test_the_threshold_keeps_the_stated_share():
    confidences = np.linspace(0.01, 1.0, 100)
    threshold = calibrated_threshold(confidences, 0.9)
    assert 0.9 <= (confidences >= threshold).mean() <= 0.91
    with pytest.raises(ValueError):
        calibrated_threshold(confidences, 0.0)
    with pytest.raises(ValueError):
        calibrated_threshold(np.array([]), 0.9)


def test_exempt_intents_keep_the_confidence_the_novelty_term_takes_from_others(
    tmp_path,
):
    for name in ("plain", "penalised", "exempt"):
        (tmp_path / name).mkdir()
    plain = MoodPipeline(tmp_path / "plain")
    (before,) = plain.parse(UNRELATED[0], fallback=_never(plain))
    top = before.get("intent")["name"]
    penalised = MoodPipeline(tmp_path / "penalised", novelty_strength=2.0)
    (lowered,) = penalised.parse(UNRELATED[0], fallback=_never(penalised))
    exempt = MoodPipeline(
        tmp_path / "exempt", novelty_strength=2.0, exempt_intents=[top]
    )
    (kept,) = exempt.parse(UNRELATED[0], fallback=_never(exempt))
    confidence = before.get("intent")["confidence"]
    assert lowered.get("intent")["confidence"] < confidence / 2
    assert kept.get("intent")["confidence"] == pytest.approx(confidence)


def _never(pipeline):
    return CalibratedFallbackClassifier.create(
        {"threshold": 0.0}, pipeline.storage, pipeline.resource, pipeline.context
    )
