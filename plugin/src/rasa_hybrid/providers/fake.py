"""A scripted provider for tests: replies in order, fails loudly when overused."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from rasa_hybrid.providers.base import (
    ChatMessage,
    Completion,
    LLMProvider,
    ProviderError,
    ProviderTimeout,
)

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"\w+|[^\w\s]")


class ScriptExhausted(ProviderError):
    """The fake was called more often than its script allows."""


@dataclass(frozen=True)
class ScriptedReply:
    """One scripted answer: text after a delay, or an error."""

    text: str = ""
    delay_s: float = 0.0
    error: str | None = None

    @classmethod
    def parse(cls, item: str | dict) -> ScriptedReply:
        """Reads a reply from a plain string or a mapping with text/delay_s/error."""
        if isinstance(item, str):
            return cls(text=item)
        if isinstance(item, dict) and set(item) <= {"text", "delay_s", "error"}:
            return cls(
                text=str(item.get("text", "")),
                delay_s=float(item.get("delay_s", 0)),
                error=item.get("error"),
            )
        raise ValueError(f"Not a scripted reply: {item!r}")


class FakeProvider(LLMProvider):
    """Answers with scripted replies, one per call, and records every prompt."""

    name = "fake"
    message_overhead = 3

    def __init__(
        self,
        replies: Iterable[str | dict | ScriptedReply] = (),
        context_window: int = 2048,
    ) -> None:
        self._script = [
            reply if isinstance(reply, ScriptedReply) else ScriptedReply.parse(reply)
            for reply in replies
        ]
        self._context_window = context_window
        self.calls: list[list[ChatMessage]] = []

    @classmethod
    def from_file(cls, path: Path | None) -> FakeProvider:
        """A fake scripted by a YAML file holding a list of replies (or none)."""
        if path is None:
            return cls()
        with open(path, encoding="utf-8") as handle:
            replies = yaml.safe_load(handle) or []
        if not isinstance(replies, list):
            raise ValueError(f"{path}: expected a list of replies")
        return cls(replies)

    @property
    def context_window(self) -> int:
        """As given to the constructor."""
        return self._context_window

    @property
    def remaining(self) -> int:
        """Scripted replies not used yet."""
        return len(self._script) - len(self.calls)

    def count_tokens(self, text: str) -> int:
        """Words and punctuation marks: a stand-in tokenizer."""
        return len(_TOKEN.findall(text))

    async def complete(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout: float
    ) -> Completion:
        """The next scripted reply, cut to ``max_new_tokens`` tokens."""
        index = len(self.calls)
        self.calls.append(list(messages))
        if index >= len(self._script):
            # The script running out is how tests make the model fail.
            logger.warning(
                "Fake LLM called %d times but scripted for %d",
                index + 1,
                len(self._script),
            )
            raise ScriptExhausted(
                f"fake provider called {index + 1} times, "
                f"scripted for {len(self._script)}"
            )
        reply = self._script[index]
        if reply.delay_s:
            try:
                await asyncio.wait_for(asyncio.sleep(reply.delay_s), timeout)
            except TimeoutError:
                raise ProviderTimeout(
                    f"fake reply took longer than {timeout:g} s"
                ) from None
        if reply.error:
            raise ProviderError(reply.error)
        tokens = _TOKEN.findall(reply.text)[:max_new_tokens]
        text = reply.text
        if len(_TOKEN.findall(text)) > max_new_tokens:
            text = _cut_after_tokens(text, max_new_tokens)
        return Completion(
            text=text,
            prompt_tokens=self.prompt_tokens(messages),
            completion_tokens=len(tokens),
        )


def _cut_after_tokens(text: str, count: int) -> str:
    matches = list(_TOKEN.finditer(text))
    return text[: matches[count - 1].end()] if count else ""
