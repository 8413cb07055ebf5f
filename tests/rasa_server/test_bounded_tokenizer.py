"""Runs in the Rasa environment (Python 3.10): `make pytest` runs it there."""

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa_hybrid.nlu.bounded_tokenizer import BoundedWhitespaceTokenizer


def tokenizer(**config):
    return BoundedWhitespaceTokenizer(
        {**BoundedWhitespaceTokenizer.get_default_config(), **config}
    )


def tokens_of(component, text):
    message = Message(data={TEXT: text})
    component.process([message])
    return [token.text for token in message.get(TOKENS_NAMES[TEXT])]


def test_short_messages_are_tokenized_like_the_whitespace_tokenizer():
    text = "Hi! my washer (model WM-300) won't drain, order A1234?"
    plain = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    assert tokens_of(tokenizer(), text) == tokens_of(plain, text)


def test_long_messages_keep_only_their_first_tokens():
    text = "washer " * 20_000
    tokens = tokens_of(tokenizer(max_tokens=50), text)
    assert tokens == ["washer"] * 50


def test_the_default_bound_is_a_few_hundred_tokens():
    assert len(tokens_of(tokenizer(), "word " * 5000)) == 200


def test_a_bound_below_one_is_refused():
    with pytest.raises(ValueError, match="max_tokens"):
        tokenizer(max_tokens=0)
