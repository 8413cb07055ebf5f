"""One open-ended turn: prompt, provider, clean-up, offers — within a time budget.

``Responder.respond`` never raises: whatever goes wrong becomes a reply of
kind ``unavailable`` with the reason, and the caller utters its fallback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from actions.llm.breaker import CircuitBreaker
from actions.llm.context import Budget, Turn, build_prompt
from actions.llm.offers import OfferCatalog
from actions.llm.postprocess import clean_reply
from actions.llm.prompting import PromptTemplates
from actions.llm.providers import create_provider
from actions.llm.providers.base import LLMProvider, ProviderNotReady, ProviderTimeout
from actions.llm.settings import LLMSettings
from actions.llm.text import is_readable

logger = logging.getLogger(__name__)

ReplyKind = Literal["answer", "unreadable", "unavailable"]


@dataclass(frozen=True)
class TurnRequest:
    """What the plugin needs to know about the turn to answer."""

    conversation_id: str
    text: str
    route: str
    history: Sequence[Turn] = ()
    slots: Mapping[str, Any] = field(default_factory=dict)
    intent_ranking: Sequence[Mapping[str, Any]] = ()
    active_loop: str | None = None


@dataclass(frozen=True)
class TurnReply:
    """The outcome: the model's cleaned text, or why there is none."""

    kind: ReplyKind
    text: str = ""
    offers: tuple[str, ...] = ()
    reason: str = ""
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Responder:
    """Answers open-ended turns with one provider, guarded by a circuit breaker."""

    def __init__(
        self,
        settings: LLMSettings,
        provider: LLMProvider | None = None,
        prompts: PromptTemplates | None = None,
        offers: OfferCatalog | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.provider = provider or create_provider(settings)
        self.prompts = prompts or PromptTemplates.load(settings.prompts_dir)
        self.offers = offers or OfferCatalog.load(settings.offers_file)
        self.breaker = CircuitBreaker(
            self.provider.name,
            failures=settings.breaker_failures,
            cooldown_s=settings.breaker_cooldown_s,
            clock=clock,
        )
        self._clock = clock

    @classmethod
    def from_env(cls) -> Responder:
        """A responder configured by the environment (see settings.py)."""
        return cls(LLMSettings.from_env())

    def warm_up(self) -> None:
        """Starts loading the provider's model in the background."""
        self.provider.warm_up()

    async def respond(self, request: TurnRequest) -> TurnReply:
        """The reply to one open-ended turn; never raises."""
        started = self._clock()
        if not is_readable(request.text):
            return TurnReply(
                kind="unreadable", reason="nothing readable in the message"
            )
        if not self.breaker.allow():
            return self._unavailable(request, started, "circuit breaker open")
        try:
            reply = await asyncio.wait_for(
                self._ask(request, started), timeout=self.settings.timeout_s + 1.0
            )
        except ProviderNotReady as error:
            self.breaker.release()
            return self._unavailable(request, started, str(error))
        except (TimeoutError, ProviderTimeout) as error:
            self.breaker.record_failure("timeout")
            return self._unavailable(request, started, f"timeout: {error}")
        except Exception as error:  # any provider or template failure
            self.breaker.record_failure(type(error).__name__)
            logger.warning("LLM turn failed: %s: %s", type(error).__name__, error)
            return self._unavailable(
                request, started, f"{type(error).__name__}: {error}"
            )
        self.breaker.record_success()
        return reply

    async def _ask(self, request: TurnRequest, started: float) -> TurnReply:
        settings = self.settings
        remaining = settings.timeout_s - (self._clock() - started)
        await self.provider.ready(max(0.0, remaining))
        system = self.prompts.render_system(request.route, request.slots)
        window_room = self.provider.context_window - settings.max_new_tokens
        budget = Budget(
            max_prompt_tokens=min(settings.max_prompt_tokens, window_room),
            max_user_tokens=settings.max_user_tokens,
            message_overhead=self.provider.message_overhead,
        )
        prompt = build_prompt(
            system,
            list(request.history),
            request.text,
            budget,
            self.provider.count_tokens,
        )
        remaining = settings.timeout_s - (self._clock() - started)
        if remaining <= 0:
            raise ProviderTimeout("no time left to ask the model")
        completion = await self.provider.complete(
            prompt.messages, settings.max_new_tokens, remaining
        )
        text = clean_reply(completion.text, settings.max_reply_chars)
        seconds = self._clock() - started
        logger.info(
            "LLM turn %s route=%s provider=%s %.2f s prompt=%d tokens "
            "(history %d kept, %d dropped%s) reply=%d tokens",
            request.conversation_id,
            request.route,
            self.provider.name,
            seconds,
            completion.prompt_tokens,
            prompt.history_kept,
            prompt.history_dropped,
            ", message truncated" if prompt.user_truncated else "",
            completion.completion_tokens,
        )
        if not text:
            return TurnReply(
                kind="unavailable",
                reason="empty output",
                seconds=seconds,
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
            )
        offers = self.offers.choose(
            [request.text, text], request.intent_ranking, request.active_loop
        )
        return TurnReply(
            kind="answer",
            text=text,
            offers=tuple(offers),
            seconds=seconds,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
        )

    def _unavailable(
        self, request: TurnRequest, started: float, reason: str
    ) -> TurnReply:
        logger.warning(
            "LLM turn %s route=%s: no answer (%s)",
            request.conversation_id,
            request.route,
            reason,
        )
        return TurnReply(
            kind="unavailable", reason=reason, seconds=self._clock() - started
        )
