"""A limit on the size of a customer's message, applied by the channels.

A message longer than ``max_message_chars`` never reaches NLU, the dialogue or
the tracker: the channel answers it at once with the domain's
``utter_message_too_long`` and the conversation goes on where it was (an open
form stays open). The text comes from the loaded model's domain, like every
text a customer sees.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint

from rasa_hybrid.channels.server import ServerRef

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 4000
RESPONSE = "utter_message_too_long"

Handler = Callable[[UserMessage], Awaitable[Any]]


def max_chars_from(credentials: dict[str, Any] | None) -> int:
    """``max_message_chars`` from a channel's credentials (a positive integer)."""
    value = (credentials or {}).get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_message_chars must be a positive integer, not {value!r}")
    return value


def too_long(text: str | None, max_chars: int) -> bool:
    """Whether a message exceeds the limit (a missing text never does)."""
    return text is not None and len(text) > max_chars


def response_of(domain_responses: dict[str, list[dict[str, Any]]]) -> dict | None:
    """The first variant of the too-long response that is not for one channel."""
    for variant in domain_responses.get(RESPONSE, []):
        if not variant.get("channel"):
            return {k: v for k, v in variant.items() if k != "channel"}
    return None


class MessageLimit:
    """Wraps a channel's message handler with the size limit."""

    def __init__(
        self,
        max_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        server: ServerRef | None = None,
    ) -> None:
        self.max_chars = max_chars
        self.server = server or ServerRef()

    def attach(self, blueprint: Blueprint) -> Blueprint:
        """Lets the limit find the running server's agent (and its domain)."""
        return self.server.attach(blueprint)

    def _reply(self) -> dict | None:
        agent = self.server.agent
        return response_of(agent.domain.responses) if agent is not None else None

    def wrap(self, on_new_message: Handler) -> Handler:
        """``on_new_message`` for messages within the limit; the reply otherwise."""

        async def limited(message: UserMessage) -> Any:
            if not too_long(message.text, self.max_chars):
                return await on_new_message(message)
            reply = self._reply()
            logger.info(
                "Message of %d characters from %s is over the limit of %d.",
                len(message.text or ""),
                message.sender_id,
                self.max_chars,
            )
            if reply is None:
                # No model loaded, or a domain without the response: read the
                # start of the message rather than lose the turn.
                message.text = message.text[: self.max_chars]
                return await on_new_message(message)
            await message.output_channel.send_response(message.sender_id, reply)
            return None

        return limited
