"""Open-ended turns: the LLM plugin answers, the domain carries every fallback.

The action only produces text: it sets no slot and starts no form, whatever
the model says. Inside a form, the rules run the form again afterwards, so
its pending question is asked again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from rasa_hybrid.actions.recall import with_recalled
from rasa_hybrid.llm.context import conversation_turns
from rasa_hybrid.llm.logs import log_to_stderr_if_unconfigured
from rasa_hybrid.llm.readiness import process_warm_up
from rasa_hybrid.llm.responder import Responder, TurnRequest
from rasa_hybrid.llm.settings import LLMSettings

logger = logging.getLogger(__name__)

UNAVAILABLE_RESPONSE = "utter_llm_unavailable"
UNREADABLE_RESPONSE = "utter_default"
SOURCE_RESPONSE = "utter_knowledge_source"
QUOTE_RESPONSE = "utter_knowledge_quote"
ABSTAIN_RESPONSE = "utter_knowledge_unknown"


def turn_request(
    tracker: Tracker,
    history_turns: int,
    recall: Collection[str] = (),
    domain: Mapping[str, Any] | None = None,
    refusals: Collection[str] = (),
) -> TurnRequest:
    """What the plugin needs from the tracker for the latest user message.

    The slots named in ``recall`` that are empty hold what the customer named
    for them in the conversation (the appliance an open question is about),
    read back by the domain's entity mappings, skipping ``refusals``.
    """
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name") or "nlu_fallback"
    slots = with_recalled(
        tracker.current_slot_values(), tracker.events, recall, domain or {}, refusals
    )
    return TurnRequest(
        conversation_id=tracker.sender_id,
        text=latest.get("text") or "",
        route=intent,
        history=conversation_turns(tracker.events, history_turns),
        slots=slots,
        intent_ranking=latest.get("intent_ranking") or [],
        active_loop=(tracker.active_loop or {}).get("name"),
    )


class ActionLLMFallback(Action):
    """Answers a turn no rule or form handles with the configured LLM."""

    def __init__(self, responder: Responder | None = None) -> None:
        self._responder = responder

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_llm_fallback"

    def __setstate__(self, state: dict[str, Any]) -> None:
        # rasa-sdk builds its actions in a primary process and hands them to
        # the Sanic worker that serves requests by pickling: being unpickled
        # means being in the serving process. With LLM_PRELOAD=1 (make run,
        # make serve) the local model starts loading here, in the background,
        # instead of on the first customer's question.
        self.__dict__.update(state)
        log_to_stderr_if_unconfigured()
        try:
            if LLMSettings.from_env().preload:
                self._get_responder().warm_up(process_warm_up())
        except Exception:
            logger.exception("Could not start preloading the LLM")

    def _get_responder(self) -> Responder:
        if self._responder is None:
            self._responder = Responder.from_env()
        return self._responder

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        """Utters the checked reply or a quoted passage and offers, or a response."""
        try:
            responder = self._get_responder()
            request = turn_request(
                tracker,
                responder.settings.history_turns,
                recall=responder.prompts.context_slots,
                domain=domain,
                refusals=responder.input_rules.responses,
            )
            reply = await responder.respond(request)
        except Exception:  # a configuration error must not end the conversation
            logger.exception("The LLM plugin is misconfigured")
            dispatcher.utter_message(response=UNAVAILABLE_RESPONSE)
            return []
        if reply.kind == "answer":
            dispatcher.utter_message(text=reply.text)
            if reply.source:
                dispatcher.utter_message(response=SOURCE_RESPONSE, source=reply.source)
        elif reply.kind == "quote":
            dispatcher.utter_message(
                response=QUOTE_RESPONSE, source=reply.source, passage=reply.passage
            )
        elif reply.kind == "refused":
            dispatcher.utter_message(response=reply.response or ABSTAIN_RESPONSE)
        elif reply.kind == "abstain":
            dispatcher.utter_message(response=ABSTAIN_RESPONSE)
        elif reply.kind == "unreadable":
            dispatcher.utter_message(response=UNREADABLE_RESPONSE)
        else:
            dispatcher.utter_message(response=UNAVAILABLE_RESPONSE)
        if reply.kind in ("answer", "quote"):
            for offer in reply.offers:
                dispatcher.utter_message(response=offer)
        return []
