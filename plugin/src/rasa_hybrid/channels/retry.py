"""Safe retries: a repeated ``message_id`` is answered, not handled again.

A client whose request failed without an answer (a dropped connection, a Rasa
instance that died mid-turn) cannot know whether the turn happened. It sends
the message again with the same id; under the conversation's lock the channel
looks for a user event with that id. Found: the bot messages that followed it
are sent again, nothing runs. Not found: the turn is handled as new.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, Event, UserUttered

from rasa_hybrid.channels.limits import Handler
from rasa_hybrid.channels.server import ServerRef

MAX_MESSAGE_ID_CHARS = 128


def replies_to(events: Iterable[Event], message_id: str) -> list[dict] | None:
    """What the assistant said after the user message ``message_id``.

    None when no user message has that id; a list (maybe empty) otherwise.
    """
    replies: list[dict] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            data = {key: value for key, value in (event.data or {}).items() if value}
            replies.append({"text": event.text, **data} if event.text else data)
    return replies


class RetrySafeHandler:
    """Wraps a channel's handler so that repeated message ids are not re-run."""

    def __init__(self, server: ServerRef) -> None:
        self.server = server

    def wrap(self, on_new_message: Handler) -> Handler:
        """``on_new_message`` for new messages; the earlier replies for repeats."""

        async def retry_safe(message: UserMessage) -> Any:
            agent = self.server.agent
            client_id = (message.metadata or {}).get("message_id")
            if agent is None or not client_id:
                return await on_new_message(message)
            message.message_id = client_id
            # The same lock Agent.handle_message takes: the check and the turn
            # are one step for this conversation, across instances.
            async with agent.lock_store.lock(message.sender_id):
                tracker = await agent.tracker_store.retrieve(message.sender_id)
                earlier = replies_to(tracker.events if tracker else [], client_id)
                if earlier is None:
                    return await agent.processor.handle_message(message)
            for reply in earlier:
                await message.output_channel.send_response(message.sender_id, reply)
            return None

        return retry_safe
