"""The MiniLM featurizer with the real packaged model (Rasa environment)."""

import numpy as np
import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa_hybrid.encoders.location import encoder_folder
from rasa_hybrid.nlu.bounded_tokenizer import BoundedWhitespaceTokenizer
from rasa_hybrid.nlu.minilm_featurizer import MiniLMFeaturizer

TOKENIZER = BoundedWhitespaceTokenizer(
    {**BoundedWhitespaceTokenizer.get_default_config(), "max_tokens": 200}
)


@pytest.fixture(scope="module")
def featurizer():
    return MiniLMFeaturizer(
        {**MiniLMFeaturizer.get_default_config(), "max_word_pieces": 32}, "minilm"
    )


def featurized(featurizer, *texts):
    messages = [Message.build(text=t) for t in texts]
    TOKENIZER.process(messages)
    featurizer.process(messages)
    return messages


def sentence(message):
    return message.get_dense_features(TEXT)[1].features[0]


def test_the_model_is_found_through_its_package():
    assert (encoder_folder() / "model.safetensors").is_file()


def test_one_vector_per_token_and_a_unit_sentence_vector(featurizer):
    (message,) = featurized(featurizer, "where is my order A-1234?")
    sequence, whole = message.get_dense_features(TEXT)
    assert sequence.features.shape == (len(message.get(TOKENS_NAMES[TEXT])), 384)
    assert whole.features.shape == (1, 384)
    assert np.isclose(np.linalg.norm(whole.features), 1.0, atol=1e-4)
    assert np.all(np.abs(sequence.features).sum(axis=1) > 0)


def test_paraphrases_are_closer_than_unrelated_requests(featurizer):
    a, b, c = featurized(
        featurizer,
        "my washing machine is leaking water",
        "there is water coming out of my washer",
        "can i pay with a credit card",
    )
    assert sentence(a) @ sentence(b) > sentence(a) @ sentence(c) + 0.2


def test_long_messages_are_cut_not_crashed_on(featurizer):
    words = ["leak"] * 150
    (message,) = featurized(featurizer, " ".join(words))
    sequence, whole = message.get_dense_features(TEXT)
    assert sequence.features.shape == (150, 384)
    # Words past the 32 word pieces keep zero vectors.
    assert np.abs(sequence.features[-1]).sum() == 0
    assert np.isfinite(whole.features).all()


def test_batched_training_equals_one_by_one(featurizer):
    texts = ["hi", "book a technician for my fridge", "thanks a lot", "where is it"]
    data = TrainingData([Message.build(text=t, intent="x") for t in texts])
    TOKENIZER.process_training_data(data)
    featurizer.process_training_data(data)
    singles = featurized(featurizer, *texts)
    for trained, single in zip(data.training_examples, singles, strict=True):
        assert np.allclose(sentence(trained), sentence(single), atol=1e-4)


def test_messages_without_text_are_left_alone(featurizer):
    message = Message(data={"intent": "greet"})
    featurizer.process([message])
    assert message.features == []


def test_an_empty_user_message_gets_zero_vectors(featurizer):
    for text in ("", "   "):
        (message,) = featurized(featurizer, text)
        sequence, whole = message.get_dense_features(TEXT)
        assert whole.features.shape == (1, 384)
        assert not whole.features.any()
        assert sequence.features.shape[1] == 384
