"""From a conversation to chat messages that fit the model's token budget.

Pure functions: the token counter is passed in, so the same code budgets for
the local model's own tokenizer, a server's estimate, or the test fake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rasa_hybrid.providers.base import ChatMessage

TRUNCATION_MARK = " […]"
# No tokenizer makes fewer tokens than this many characters per token would
# (a bound for the cheap pre-cut of huge messages before exact counting).
_MAX_CHARS_PER_TOKEN = 16

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: Literal["user", "assistant"]
    text: str


@dataclass(frozen=True)
class Budget:
    """Token limits for one prompt."""

    max_prompt_tokens: int
    max_user_tokens: int
    message_overhead: int = 4


@dataclass(frozen=True)
class Prompt:
    """The messages to send, what was left out, and their token cost."""

    messages: list[ChatMessage]
    tokens: int
    history_kept: int
    history_dropped: int
    user_truncated: bool


class PromptTooLarge(ValueError):
    """The fixed part of the prompt (system text) alone exceeds the budget."""


def conversation_turns(events: Iterable[Mapping[str, Any]], limit: int) -> list[Turn]:
    """The last ``limit`` user and bot messages before the current user message.

    Button payloads ("/affirm") and messages without text are skipped: they
    say nothing a model could use.
    """
    turns: list[Turn] = []
    for event in events:
        text = (event.get("text") or "").strip()
        if not text:
            continue
        if event.get("event") == "user" and not text.startswith("/"):
            turns.append(Turn("user", text))
        elif event.get("event") == "bot":
            turns.append(Turn("assistant", text))
    if turns and turns[-1].role == "user":
        turns.pop()  # the message being answered now
    return turns[-limit:] if limit > 0 else []


def truncate_to_tokens(text: str, max_tokens: int, count: TokenCounter) -> str:
    """``text`` cut at a word boundary so that it (and the mark) fits ``max_tokens``."""
    text = text[: max_tokens * _MAX_CHARS_PER_TOKEN]
    if count(text) <= max_tokens:
        return text
    words = text.split(" ")
    mark = count(TRUNCATION_MARK)
    low, high = 0, len(words)
    while low < high:  # the most words whose text still fits
        middle = (low + high + 1) // 2
        if count(" ".join(words[:middle])) + mark <= max_tokens:
            low = middle
        else:
            high = middle - 1
    if low == 0:  # one giant "word": cut characters instead
        chars = text[: max(1, max_tokens)]
        while len(chars) > 1 and count(chars) + mark > max_tokens:
            chars = chars[: len(chars) // 2]
        return chars + TRUNCATION_MARK
    return " ".join(words[:low]) + TRUNCATION_MARK


def _merge_roles(messages: list[ChatMessage]) -> list[ChatMessage]:
    """Joins consecutive messages of one role (some templates need alternation)."""
    merged: list[ChatMessage] = []
    for message in messages:
        if merged and merged[-1]["role"] == message["role"]:
            merged[-1] = {
                "role": message["role"],
                "content": merged[-1]["content"] + "\n" + message["content"],
            }
        else:
            merged.append(message)
    return merged


def build_prompt(
    system: str,
    history: list[Turn],
    user_text: str,
    budget: Budget,
    count: TokenCounter,
    wrap: Callable[[str], str] | None = None,
) -> Prompt:
    """System text, as much recent history as fits, and the user's message.

    The user's message is truncated to ``max_user_tokens``; history turns are
    dropped oldest first until everything fits ``max_prompt_tokens``.

    Raises:
        PromptTooLarge: the system text and the user's message cannot fit.
    """
    overhead = budget.message_overhead
    user_fits = truncate_to_tokens(user_text, budget.max_user_tokens, count)
    truncated = user_fits != user_text
    if wrap is not None:  # the message inside its template (passages, framing)
        user_fits = wrap(user_fits)
    fixed = count(system) + count(user_fits) + 2 * overhead
    if fixed > budget.max_prompt_tokens:
        raise PromptTooLarge(
            f"system text and message need {fixed} tokens, "
            f"the budget is {budget.max_prompt_tokens}"
        )
    room = budget.max_prompt_tokens - fixed
    kept: list[ChatMessage] = []
    for turn in reversed(history):
        text = truncate_to_tokens(turn.text, budget.max_user_tokens, count)
        cost = count(text) + overhead
        if cost > room:
            break
        kept.append({"role": turn.role, "content": text})
        room -= cost
    kept.reverse()
    messages: list[ChatMessage] = [{"role": "system", "content": system}]
    messages += _merge_roles([*kept, {"role": "user", "content": user_fits}])
    return Prompt(
        messages=messages,
        tokens=budget.max_prompt_tokens - room,
        history_kept=len(kept),
        history_dropped=len(history) - len(kept),
        user_truncated=truncated,
    )
