"""One open-ended turn: guard, retrieve, prompt, provider, check — within a time budget.

The order of work for every turn (the LLM produces text, never state):

1. unreadable input gets the domain's default reply;
2. the input guard looks at the recent customer messages: prompt injection
   or a request for other customers' data is refused, and nothing is sent;
3. personal data is redacted from the message, the history and the slots;
4. the knowledge base is searched: nothing close enough means the assistant
   abstains (except on routes such as small talk that need no facts);
5. the model answers from the passages (circuit breaker, time budget);
6. the output guard and the groundedness check judge the reply: a reply
   that fails either is replaced by the best passage, quoted;
7. one audit record says what happened, with the prompt exactly as sent.

``Responder.respond`` never raises: whatever goes wrong becomes a reply the
action maps to a domain response.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rasa_hybrid.guards.input import InputRules, InputVerdict, check_input
from rasa_hybrid.guards.output import (
    OutputRules,
    OutputVerdict,
    check_output,
    sentences,
)
from rasa_hybrid.guards.pii import ConversationRedactions, PiiRedactor, PiiRules
from rasa_hybrid.llm.audit import AuditLog
from rasa_hybrid.llm.breaker import CircuitBreaker
from rasa_hybrid.llm.context import Budget, PromptTooLarge, Turn, build_prompt
from rasa_hybrid.llm.extract import Extract
from rasa_hybrid.llm.grounding import (
    Grounding,
    judge,
    sentence_support,
    unsupported_numbers,
)
from rasa_hybrid.llm.knowledge import Hit, KnowledgeBase, usable_passages
from rasa_hybrid.llm.offers import OfferCatalog
from rasa_hybrid.llm.postprocess import clean_reply
from rasa_hybrid.llm.prompting import PromptTemplates
from rasa_hybrid.llm.readiness import WarmUp
from rasa_hybrid.llm.settings import LLMSettings
from rasa_hybrid.providers import create_provider
from rasa_hybrid.providers.base import (
    ChatMessage,
    LLMProvider,
    ProviderNotReady,
    ProviderTimeout,
)
from rasa_hybrid.text import is_readable

logger = logging.getLogger(__name__)

ReplyKind = Literal[
    "answer", "quote", "abstain", "refused", "unreadable", "unavailable"
]
# Passages quoted to the customer are cut to about this many characters.
MAX_QUOTE_CHARS = 500
# The steps of a warm-up, as `/ready` and `make run` name them.
MODEL_STEP = "language model"
ENTITIES_STEP = "entity recogniser"
KNOWLEDGE_STEP = "knowledge index"
PREPARE_STEPS = (ENTITIES_STEP, KNOWLEDGE_STEP)


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
    """The outcome: the model's checked text, a quoted passage, or why there is none.

    ``answer``: ``text`` from the model, ``source`` names its document.
    ``quote``: ``passage`` from the document ``source``, shown as it is.
    ``refused``: the input guard's ``response`` (a domain response name).
    ``abstain``, ``unreadable``, ``unavailable``: no text; ``reason`` says why.
    """

    kind: ReplyKind
    text: str = ""
    offers: tuple[str, ...] = ()
    reason: str = ""
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    source: str = ""
    passage: str = ""
    response: str = ""


@dataclass
class _Turn:
    """What one turn gathered on its way, for the reply and the audit record."""

    request: TurnRequest
    started: float
    verdict: InputVerdict | None = None
    redactions: list[str] = field(default_factory=list)
    user_text: str = ""
    history: list[Turn] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    system: str = ""
    instructions: str = ""
    messages: list[ChatMessage] | None = None
    raw_reply: str = ""
    output: OutputVerdict | None = None
    grounding: Grounding | None = None


def quote_of(hit: Hit, max_chars: int = MAX_QUOTE_CHARS) -> str:
    """The passage as it is quoted: whole sentences up to ``max_chars``."""
    text = " ".join(hit.chunk.text.split())
    if len(text) <= max_chars:
        return text
    kept = ""
    for sentence in sentences(text):
        if len(kept) + len(sentence) + 1 > max_chars:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or text[:max_chars].rsplit(" ", 1)[0] + "…"


class Responder:
    """Answers open-ended turns: guarded, grounded, audited, with one provider."""

    def __init__(
        self,
        settings: LLMSettings,
        provider: LLMProvider | None = None,
        prompts: PromptTemplates | None = None,
        offers: OfferCatalog | None = None,
        clock: Callable[[], float] = time.monotonic,
        knowledge: KnowledgeBase | None = None,
        redactor: PiiRedactor | None = None,
        input_rules: InputRules | None = None,
        output_rules: OutputRules | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.settings = settings
        self.provider = provider or create_provider(settings)
        self.prompts = prompts or PromptTemplates.load(settings.prompts_dir)
        self.offers = offers or OfferCatalog.load(settings.offers_file)
        self.knowledge = knowledge or KnowledgeBase(
            settings.knowledge_dir, settings.knowledge_cache
        )
        self.redactor = redactor or PiiRedactor(PiiRules.load(settings.pii_file))
        self._conversation_redactions = ConversationRedactions(self.redactor)
        self.input_rules = input_rules or InputRules.load(settings.input_guard_file)
        self._output_rules = output_rules or OutputRules.load(
            settings.output_guard_file
        )
        self._output_with_contacts: OutputRules | None = None
        self.audit = audit or AuditLog(settings.audit_log)
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

    @property
    def output_rules(self) -> OutputRules:
        """The output rules, allowing the contacts the knowledge base contains."""
        if self._output_with_contacts is None:
            self._output_with_contacts = self._output_rules.with_contacts_from(
                self.knowledge.texts()
            )
        return self._output_with_contacts

    def warm_up(self, progress: WarmUp | None = None) -> WarmUp:
        """Starts loading the models (LLM, spaCy, encoder, index) in the background.

        Each load is a step of ``progress`` (a new one by default), returned.
        """
        progress = progress or WarmUp()
        loading = self.provider.warm_up()
        if loading is not None:
            progress.follow(MODEL_STEP, loading)
        for step in PREPARE_STEPS:
            progress.begin(step)

        def prepare() -> None:
            progress.finish(ENTITIES_STEP, self.redactor.warm_up)
            progress.finish(KNOWLEDGE_STEP, self._warm_up_knowledge)
            # The models are a few hundred thousand long-lived objects: a
            # full garbage collection walking them all stalled every turn
            # in flight. Frozen, they are never walked again.
            gc.collect()
            gc.freeze()

        threading.Thread(target=prepare, name="llm-prepare", daemon=True).start()
        return progress

    def _warm_up_knowledge(self) -> None:
        self.knowledge.retrieve("warm up", 1)
        _ = self.output_rules

    async def respond(self, request: TurnRequest) -> TurnReply:
        """The reply to one open-ended turn; never raises."""
        turn = _Turn(request=request, started=self._clock())
        if not is_readable(request.text):
            reply = TurnReply(
                kind="unreadable", reason="nothing readable in the message"
            )
            return self._finish(turn, reply)
        try:
            refusal = await asyncio.to_thread(self._prepare, turn)
        except Exception as error:  # the guards or the knowledge base broke
            logger.exception("Could not prepare the LLM turn")
            return self._finish(
                turn, self._unavailable(turn, f"{type(error).__name__}: {error}")
            )
        if refusal is not None:
            return self._finish(turn, refusal)
        if not self.breaker.allow():
            return self._finish(turn, self._fallback(turn, "circuit breaker open"))
        try:
            reply = await asyncio.wait_for(
                self._ask(turn), timeout=self.settings.timeout_s + 1.0
            )
        except ProviderNotReady as error:
            self.breaker.release()
            reply = self._fallback(turn, str(error))
        except (TimeoutError, ProviderTimeout) as error:
            self.breaker.record_failure("timeout")
            reply = self._fallback(turn, f"timeout: {error}")
        except Exception as error:  # any provider or template failure
            self.breaker.record_failure(type(error).__name__)
            logger.warning("LLM turn failed: %s: %s", type(error).__name__, error)
            reply = self._fallback(turn, f"{type(error).__name__}: {error}")
        else:
            self.breaker.record_success()
        return self._finish(turn, reply)

    def _prepare(self, turn: _Turn) -> TurnReply | None:
        """Guard, redact, retrieve (in a worker thread); a reply when it ends here."""
        request, settings = turn.request, self.settings
        window = [t.text for t in request.history if t.role == "user"]
        verdict = check_input([*window, request.text], self.input_rules)
        confidence = next(
            (
                float(entry.get("confidence") or 0)
                for entry in request.intent_ranking
                if entry.get("name") == request.route
            ),
            1.0,
        )
        routed = self.input_rules.category_for_route(request.route, confidence)
        if verdict.allowed and routed is not None:
            verdict = InputVerdict(
                allowed=False,
                category=routed.name,
                response=routed.response,
                reason=f"NLU intent {request.route}",
            )
        turn.verdict = verdict
        if not verdict.allowed:
            return TurnReply(
                kind="refused",
                response=verdict.response,
                reason=f"input guard: {verdict.category} ({verdict.reason})",
            )
        seen = self._conversation_redactions
        user = seen.redact(request.conversation_id, request.text)
        turn.user_text = user.text
        turn.redactions = user.labels
        for past in request.history:
            redacted = seen.redact(request.conversation_id, past.text)
            turn.history.append(Turn(past.role, redacted.text))
            turn.redactions += redacted.labels
        for name in self.prompts.context_slots:
            value = request.slots.get(name)
            if value not in (None, "", []):
                redacted = self.redactor.redact(str(value))
                turn.slots[name] = redacted.text
                turn.redactions += redacted.labels
        if self.knowledge.is_empty():
            # A project without documents: the model answers from itself,
            # still behind both guards; there is nothing to ground it in.
            return None
        turn.hits = self.knowledge.retrieve(request.text, settings.retrieval_top_k)
        best = turn.hits[0].score if turn.hits else -1.0
        turn.passages = usable_passages(turn.hits, settings.retrieval_min_score)
        if not turn.passages and request.route not in self.prompts.ungrounded_routes:
            return TurnReply(
                kind="abstain",
                reason=f"no knowledge passage close enough (best {best:.2f})",
            )
        return None

    async def _ask(self, turn: _Turn) -> TurnReply:
        settings, request = self.settings, turn.request
        # The model's time budget starts now: guards and retrieval are local
        # and bounded (their models load once, at preload or first use).
        asked = self._clock()
        remaining = settings.timeout_s - (self._clock() - asked)
        await self.provider.ready(max(0.0, remaining))
        window_room = self.provider.context_window - settings.max_new_tokens
        budget = Budget(
            max_prompt_tokens=min(settings.max_prompt_tokens, window_room),
            max_user_tokens=settings.max_user_tokens,
            message_overhead=self.provider.message_overhead,
        )
        passages = list(turn.passages)
        # The system text without passages: what a reply must never repeat.
        turn.instructions = self.prompts.render_system(request.route, turn.slots)
        while True:
            shown = [{"source": h.chunk.source, "text": h.chunk.text} for h in passages]
            turn.system = self.prompts.render_system(request.route, turn.slots, shown)
            try:
                prompt = build_prompt(
                    turn.system,
                    turn.history,
                    turn.user_text,
                    budget,
                    self.provider.count_tokens,
                    wrap=functools.partial(self.prompts.render_user, passages=shown),
                )
                break
            except PromptTooLarge:
                if len(passages) <= 1:
                    raise
                passages.pop()  # the least similar passage makes room
        turn.messages = prompt.messages
        remaining = settings.timeout_s - (self._clock() - asked)
        if remaining <= 0:
            raise ProviderTimeout("no time left to ask the model")
        completion = await self.provider.complete(
            prompt.messages, settings.max_new_tokens, remaining
        )
        turn.raw_reply = completion.text
        reply = await self._judge(
            turn, clean_reply(completion.text, settings.max_reply_chars)
        )
        return replace(
            reply,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
        )

    async def _judge(self, turn: _Turn, text: str) -> TurnReply:
        """The model's cleaned ``text`` if both checks pass; else the fallback."""
        if not text:
            return self._fallback(turn, "empty output")
        output, grounding = await asyncio.to_thread(self._check, turn, text)
        turn.output, turn.grounding = output, grounding
        if not output.allowed:
            return self._fallback(
                turn, f"output guard: {output.category} ({output.detail})"
            )
        if grounding is not None and not grounding.supported:
            return self._fallback(turn, "answer not supported by the passages")
        request = turn.request
        offers = self.offers.choose(
            [request.text, text], request.intent_ranking, request.active_loop
        )
        return TurnReply(
            kind="answer",
            text=text,
            offers=tuple(offers),
            source=turn.passages[0].chunk.source if turn.passages else "",
            seconds=self._clock() - turn.started,
        )

    def _check(self, turn: _Turn, text: str) -> tuple[OutputVerdict, Grounding | None]:
        """The output guard's and the groundedness check's verdicts on a reply."""
        rules = self.output_rules
        found = self.redactor.redact(text).labels
        output = check_output(text, rules, found, turn.instructions)
        if not output.allowed or not turn.passages:
            return output, None
        answer = sentences(text)
        support = sentence_support(
            self.knowledge.encoder.encode(answer),
            self.knowledge.passage_sentence_vectors([h.chunk for h in turn.passages]),
        )
        invented = unsupported_numbers(
            text, turn.request.text, *(hit.chunk.text for hit in turn.passages)
        )
        return output, judge(answer, support, invented, rules.min_sentence_support)

    def _fallback(self, turn: _Turn, reason: str) -> TurnReply:
        """The best passage quoted when there is one; otherwise no answer."""
        if not turn.passages:
            return self._unavailable(turn, reason)
        best = turn.passages[0]
        request = turn.request
        logger.info(
            "LLM turn %s route=%s: quoting %s (%s)",
            request.conversation_id,
            request.route,
            best.chunk.doc,
            reason,
        )
        offers = self.offers.choose(
            [request.text, best.chunk.text], request.intent_ranking, request.active_loop
        )
        quoted = self._extract(turn)
        return TurnReply(
            kind="quote",
            passage=quoted.text if quoted else quote_of(best),
            source=(quoted.chunk if quoted else best.chunk).source,
            offers=tuple(offers),
            reason=reason,
            seconds=self._clock() - turn.started,
        )

    def _extract(self, turn: _Turn) -> Extract | None:
        """The sentences of the passages that answer, unless whole passages are set."""
        return self.knowledge.answer_sentences(
            turn.request.text,
            [hit.chunk for hit in turn.passages],
            self.settings.quote_max_sentences,
            MAX_QUOTE_CHARS,
        )

    def _unavailable(self, turn: _Turn, reason: str) -> TurnReply:
        logger.warning(
            "LLM turn %s route=%s: no answer (%s)",
            turn.request.conversation_id,
            turn.request.route,
            reason,
        )
        return TurnReply(
            kind="unavailable",
            reason=reason,
            seconds=self._clock() - turn.started,
        )

    def _finish(self, turn: _Turn, reply: TurnReply) -> TurnReply:
        """Logs the turn and appends its audit record; returns ``reply``."""
        request = turn.request
        seconds = self._clock() - turn.started
        logger.info(
            "LLM turn %s route=%s outcome=%s %.2f s prompt=%d reply=%d tokens%s",
            request.conversation_id,
            request.route,
            reply.kind,
            seconds,
            reply.prompt_tokens,
            reply.completion_tokens,
            f" ({reply.reason})" if reply.reason else "",
        )
        verdict, output, grounding = turn.verdict, turn.output, turn.grounding
        self.audit.append(
            {
                "conversation_id": request.conversation_id,
                "route": request.route,
                "outcome": reply.kind,
                "reason": reply.reason,
                "provider": self.provider.name,
                "provider_called": turn.messages is not None,
                "prompt": turn.messages,
                "redactions": turn.redactions,
                "sources": [
                    {
                        "doc": hit.chunk.doc,
                        "heading": hit.chunk.heading,
                        "score": round(hit.score, 3),
                        "used": hit in turn.passages,
                    }
                    for hit in turn.hits
                ],
                "input_guard": None
                if verdict is None
                else {
                    "allowed": verdict.allowed,
                    "category": verdict.category,
                    "reason": verdict.reason,
                    "scores": verdict.scores,
                },
                "output_guard": None
                if output is None
                else {"allowed": output.allowed, "category": output.category},
                "grounding": None
                if grounding is None
                else {
                    "supported": grounding.supported,
                    "min_support": grounding.min_support,
                    "unsupported_numbers": list(grounding.unsupported_numbers),
                },
                "source": reply.source,
                "latency_ms": round(seconds * 1000, 1),
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
            }
        )
        return reply
