"""Rasa's calls to an NLU server, never lost to a connection the server closed.

Rasa 3.6's ``RasaNLUHttpInterpreter`` (``nlu: url:`` in endpoints.yml) keeps
one aiohttp session whose idle connections live 15 seconds, while a Sanic NLU
server closes an idle connection after 5. A parse sent on a connection in that
window fails ("Cannot write to closing transport"), and Rasa goes on with the
turn as if the customer had said nothing (an empty intent). The scale-out test
met it under load.

This replaces ``RasaNLUHttpInterpreter._rasa_http_parse`` with one that sends
on a session whose idle connections live ``KEEPALIVE_S`` seconds (shorter than
Sanic's), and sends a parse once more, on a new connection, when the
connection broke before an answer came: parsing changes nothing on the server,
so sending it twice is safe. Every other failure is logged and answered the
way Rasa does (``None``, which Rasa turns into an empty parse).
"""

from __future__ import annotations

import copy
import weakref
from typing import Any

import aiohttp
import structlog
from rasa.core.http_interpreter import RasaNLUHttpInterpreter

from rasa_hybrid.patches.action_calls import KEEPALIVE_S

#: Failures of the connection itself, after which a parse is sent once more.
BROKEN_CONNECTION = (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)

_ORIGINAL = RasaNLUHttpInterpreter._rasa_http_parse
_sessions: weakref.WeakKeyDictionary[Any, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)
# Rasa's own logger name, so log filters and alerts on it keep working.
structlogger = structlog.get_logger("rasa.core.http_interpreter")


async def session_of(interpreter: RasaNLUHttpInterpreter) -> aiohttp.ClientSession:
    """The interpreter's session, replaced by one with short-lived idle links."""
    session = _sessions.get(interpreter)
    if session is None or session.closed or interpreter.session is not session:
        previous = interpreter.session
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S)
        )
        interpreter.session = session
        _sessions[interpreter] = session
        if previous is not None and not previous.closed:
            await previous.close()
    return session


def parse_url(base: str) -> str:
    """The parse endpoint of the NLU server at ``base``."""
    return base.rstrip("/") + "/model/parse"


async def parse_over_http(
    self: RasaNLUHttpInterpreter, text: str, message_id: str | None = None
) -> dict[str, Any] | None:
    """The NLU server's parse of ``text``, or ``None`` when it gave none."""
    endpoint = self.endpoint_config
    if not endpoint or endpoint.url is None:
        structlogger.error(
            "http.parse.text",
            text=copy.deepcopy(text),
            event_info="No rasa NLU server specified!",
        )
        return None
    params = {"token": endpoint.token, "text": text, "message_id": message_id}
    url = parse_url(endpoint.url)
    try:
        for attempt in (1, 2):
            session = await session_of(self)
            try:
                async with session.post(url, json=params) as response:
                    if response.status == 200:
                        return await response.json()
                    structlogger.error(
                        "http.parse.text.failure",
                        text=copy.deepcopy(text),
                        response_text=copy.deepcopy(await response.text()),
                    )
                    return None
            except BROKEN_CONNECTION:
                if attempt == 2:
                    raise
    except Exception:  # Rasa answers every failure with None, so does this
        structlogger.exception("http.parse.text.exception", text=copy.deepcopy(text))
    return None


def install() -> None:
    """Makes Rasa's NLU calls use this (idempotent)."""
    RasaNLUHttpInterpreter._rasa_http_parse = parse_over_http


def uninstall() -> None:
    """Rasa's own NLU calls again (tests)."""
    RasaNLUHttpInterpreter._rasa_http_parse = _ORIGINAL


def installed() -> bool:
    """Whether Rasa's NLU calls go through this."""
    return RasaNLUHttpInterpreter._rasa_http_parse is parse_over_http
