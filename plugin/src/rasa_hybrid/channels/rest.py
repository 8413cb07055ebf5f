"""The REST channel, strict about what it accepts.

Rasa's own ``RestInput`` answers a JSON body that is not an object (``[1, 2]``)
with a 500, silently drops a ``message`` that is not a string, and files
requests without a ``sender`` under one shared conversation. This
channel keeps the same URL (``POST /webhooks/rest/webhook``) and the same
replies, and answers malformed requests with a 400 that says what is wrong.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from rasa_hybrid.channels.limits import (
    DEFAULT_MAX_MESSAGE_CHARS,
    Handler,
    MessageLimit,
    max_chars_from,
)
from rasa_hybrid.channels.retry import MAX_MESSAGE_ID_CHARS, RetrySafeHandler
from rasa_hybrid.channels.server import ServerRef


def _body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what is wrong."""
    body = request.json
    if not isinstance(body, dict):
        raise InvalidUsage(
            'The body must be a JSON object: {"sender": "<id>", "message": "<text>"}.'
        )
    return body


def _optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidUsage(f"'{key}' must be a string.")
    return value


class StrictRestInput(RestInput):
    """``RestInput`` with request validation; same name, same URL."""

    def __init__(self, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS) -> None:
        self.server = ServerRef()
        self.limit = MessageLimit(max_message_chars, self.server)
        self.retry = RetrySafeHandler(self.server)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> StrictRestInput:
        """Reads ``max_message_chars`` from credentials.yml."""
        return cls(max_chars_from(credentials))

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        """Rasa's REST routes, with the size limit and safe retries in front."""
        handler = self.limit.wrap(self.retry.wrap(on_new_message))
        return self.server.attach(super().blueprint(handler))

    @classmethod
    def name(cls) -> str:
        """Mounted at /webhooks/rest/, like Rasa's own REST channel."""
        return "rest"

    async def _extract_sender(self, req: Request) -> str | None:
        # Rasa would file every request without a sender under one shared
        # conversation, "default": one customer would continue another's.
        sender = _optional_string(_body(req), "sender")
        if not sender:
            raise InvalidUsage("'sender' is missing: it names the conversation.")
        return sender

    def _extract_message(self, req: Request) -> str | None:
        body = _body(req)
        if "message" not in body:
            raise InvalidUsage("'message' is missing.")
        message = _optional_string(body, "message")
        return message if message is not None else ""

    def _extract_input_channel(self, req: Request) -> str:
        return _optional_string(_body(req), "input_channel") or self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """The request's ``metadata`` object, with its ``message_id`` if any."""
        body = _body(request)
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage("'metadata' must be a JSON object.")
        message_id = _optional_string(body, "message_id")
        if message_id is None:
            return metadata
        if not 0 < len(message_id) <= MAX_MESSAGE_ID_CHARS:
            raise InvalidUsage(
                f"'message_id' must have 1 to {MAX_MESSAGE_ID_CHARS} characters."
            )
        return {**(metadata or {}), "message_id": message_id}
