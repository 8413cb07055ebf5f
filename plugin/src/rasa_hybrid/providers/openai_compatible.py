"""Any server speaking OpenAI's chat-completions protocol.

vLLM, llama.cpp's server, Ollama or a hosted API.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping
from typing import Any

import httpx

from rasa_hybrid.providers.base import (
    ChatMessage,
    Completion,
    LLMProvider,
    ProviderError,
    ProviderTimeout,
)

# Without the server's tokenizer, budget as if a token were this many
# characters: fewer than English averages (~4), so prompts err on the short side.
_CHARS_PER_TOKEN = 3.0


def completion_request(
    model: str, messages: list[ChatMessage], max_new_tokens: int
) -> dict[str, Any]:
    """The JSON body of a chat-completions request (greedy, one choice)."""
    return {
        "model": model,
        "messages": messages,
        "max_tokens": max_new_tokens,
        "temperature": 0,
        "n": 1,
        "stream": False,
    }


def parse_completion(body: Mapping[str, Any]) -> tuple[str, int | None, int | None]:
    """The reply text and token counts of a chat-completions response.

    Raises:
        ProviderError: the body is not a chat-completions response.
    """
    try:
        choice = body["choices"][0]
        text = choice["message"]["content"] or ""
    except (KeyError, IndexError, TypeError):
        raise ProviderError(
            f"not a chat-completions response: {str(body)[:200]}"
        ) from None
    if not isinstance(text, str):
        raise ProviderError("the reply's content is not text")
    usage = body.get("usage") or {}
    return text, usage.get("prompt_tokens"), usage.get("completion_tokens")


class OpenAICompatibleProvider(LLMProvider):
    """Calls ``POST {base_url}/chat/completions``."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        context_window: int = 4096,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._context_window = context_window
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @property
    def context_window(self) -> int:
        """As configured (LLM_OPENAI_CONTEXT_WINDOW): servers do not report it."""
        return self._context_window

    def count_tokens(self, text: str) -> int:
        """A cautious estimate from the length: the server's tokenizer is remote."""
        return math.ceil(len(text) / _CHARS_PER_TOKEN)

    def _session(self) -> httpx.AsyncClient:
        # One pooled client per provider and event loop (its connections
        # belong to the loop that opened them).
        loop = asyncio.get_running_loop()
        if (
            self._client is None
            or self._client.is_closed
            or self._client_loop is not loop
        ):
            self._client = httpx.AsyncClient(transport=self._transport)
            self._client_loop = loop
        return self._client

    async def complete(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout: float
    ) -> Completion:
        """Sends the request; any HTTP, protocol or time problem is a ProviderError."""
        body = completion_request(self._model, messages, max_new_tokens)
        try:
            response = await self._session().post(
                self._url, json=body, headers=self._headers, timeout=timeout
            )
        except httpx.TimeoutException:
            raise ProviderTimeout(
                f"no answer from {self._url} in {timeout:g} s"
            ) from None
        except httpx.HTTPError as error:
            raise ProviderError(
                f"{self._url}: {type(error).__name__}: {error}"
            ) from None
        if response.status_code != 200:
            raise ProviderError(
                f"{self._url} answered HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
        try:
            payload = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ProviderError(f"{self._url} did not answer JSON") from None
        text, prompt_tokens, completion_tokens = parse_completion(payload)
        return Completion(
            text=text,
            prompt_tokens=prompt_tokens
            if isinstance(prompt_tokens, int)
            else self.prompt_tokens(messages),
            completion_tokens=completion_tokens
            if isinstance(completion_tokens, int)
            else self.count_tokens(text),
        )
