"""Rasa's whitespace tokenizer, with a bound on the number of tokens.

DIET's transformer attends from every token to every other: its memory and
time grow with the square of the message length. A pasted 100 KB message is
about 19,000 tokens, an attention tensor of several GB and tens of seconds of
CPU, enough to bring the server down. Customers state what they want in the
first sentences; the pipeline reads only the first ``max_tokens`` tokens.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

MAX_TOKENS_KEY = "max_tokens"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class BoundedWhitespaceTokenizer(WhitespaceTokenizer):
    """Tokenizes like ``WhitespaceTokenizer`` and keeps the first tokens."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``WhitespaceTokenizer``'s options, plus ``max_tokens``."""
        return {**WhitespaceTokenizer.get_default_config(), MAX_TOKENS_KEY: 200}

    def __init__(self, config: dict[str, Any]) -> None:
        """Creates the tokenizer; ``max_tokens`` must be at least 1."""
        super().__init__(config)
        self._max_tokens = int(config[MAX_TOKENS_KEY])
        if self._max_tokens < 1:
            raise ValueError(f"{MAX_TOKENS_KEY} must be at least 1.")

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """The message's first ``max_tokens`` tokens."""
        return super().tokenize(message, attribute)[: self._max_tokens]
