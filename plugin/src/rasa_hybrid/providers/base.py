"""The one small interface every LLM provider implements."""

from __future__ import annotations

import abc
import concurrent.futures
from dataclasses import dataclass
from typing import ClassVar, Literal, TypedDict


class ChatMessage(TypedDict):
    """One message of a chat prompt, as chat-completion APIs take it."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class Completion:
    """What a provider answered, and what it cost in tokens."""

    text: str
    prompt_tokens: int
    completion_tokens: int


class ProviderError(RuntimeError):
    """The provider could not answer (server down, bad response, model error)."""


class ProviderTimeout(ProviderError):
    """The provider did not answer within the time it was given."""


class ProviderNotReady(ProviderError):
    """The provider is still starting (a local model loading); not a failure."""


class LLMProvider(abc.ABC):
    """A chat model: counts tokens and completes a list of messages.

    Implementations never block the event loop: slow work runs in a thread
    or over async I/O, and every call is bounded by the timeout it is given.
    """

    name: ClassVar[str]
    #: Tokens the chat template adds around each message (role markers).
    message_overhead: int = 4

    @property
    @abc.abstractmethod
    def context_window(self) -> int:
        """The most tokens prompt and reply may hold together."""

    @abc.abstractmethod
    def count_tokens(self, text: str) -> int:
        """How many tokens the model's tokenizer makes of ``text``."""

    @abc.abstractmethod
    async def complete(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout: float
    ) -> Completion:
        """Answers the conversation in ``messages``.

        Raises:
            ProviderTimeout: no answer within ``timeout`` seconds.
            ProviderError: any other failure, with a message saying what.
        """

    async def ready(self, timeout: float) -> None:  # noqa: B027 (optional hook)
        """Waits until the provider can count tokens and answer.

        Raises:
            ProviderNotReady: still starting after ``timeout`` seconds.
            ProviderError: it cannot start at all.
        """

    def warm_up(self) -> concurrent.futures.Future[None] | None:
        """Starts any slow preparation in the background, without waiting.

        Returns what finishes when the provider is ready, or None when it has
        nothing to prepare.
        """
        return None

    def prompt_tokens(self, messages: list[ChatMessage]) -> int:
        """Tokens the prompt made of ``messages`` costs, template included."""
        return sum(
            self.count_tokens(message["content"]) + self.message_overhead
            for message in messages
        )
