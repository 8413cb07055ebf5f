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
from sanic.exceptions import InvalidUsage
from sanic.request import Request


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
        """The request's ``metadata`` object, if any."""
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage("'metadata' must be a JSON object.")
        return metadata
