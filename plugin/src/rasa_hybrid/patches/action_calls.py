"""Rasa's calls to its endpoints on open connections, with a faster JSON writer.

Rasa 3.6 opens a new HTTP client session, and so a new TCP connection, for
every request to an endpoint (``EndpointConfig.session``), and writes the
request with the standard ``json`` module. A form turn calls the action
server two to four times, each time with the whole tracker: connecting and
encoding were ~12 % of the Rasa server's CPU time under load (py-spy,
`make bench-load`).

This makes ``EndpointConfig.session`` hand out one session per endpoint
settings and event loop, kept open (``async with`` no longer closes it), whose
connections are reused for at most ``KEEPALIVE_S`` seconds of idleness:
shorter than the time a Sanic server (the action server) keeps an idle
connection, so the client never sends on a connection the server is closing.
The session writes JSON with ``ujson`` (a dependency of Rasa; ASCII output
like ``json``'s), and falls back to ``json`` for whatever ``ujson`` refuses, so
every body Rasa sent before is still sent, with the same meaning.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

import aiohttp
import ujson
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

KEEPALIVE_S = 4.0
_ORIGINAL = EndpointConfig.session
_sessions: weakref.WeakKeyDictionary[Any, dict[tuple, aiohttp.ClientSession]] = (
    weakref.WeakKeyDictionary()
)


def dumps(value: Any) -> str:
    """JSON text for ``value``: ``ujson``'s, or ``json``'s where it refuses."""
    try:
        return ujson.dumps(value, escape_forward_slashes=False)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value)


class Borrowed:
    """A shared session as ``async with`` gives it, without closing it after."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_exc: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        # Callers that use the session without ``async with``.
        return getattr(self.session, name)


def _key(endpoint: EndpointConfig) -> tuple:
    auth = endpoint.basic_auth or {}
    return (
        tuple(sorted((endpoint.headers or {}).items())),
        auth.get("username"),
        auth.get("password"),
    )


def shared_session(endpoint: EndpointConfig) -> Borrowed:
    """The open session for ``endpoint``'s settings on the running event loop."""
    loop = asyncio.get_running_loop()
    per_loop = _sessions.setdefault(loop, {})
    key = _key(endpoint)
    session = per_loop.get(key)
    if session is None or session.closed:
        auth = aiohttp.BasicAuth(key[1], key[2]) if endpoint.basic_auth else None
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
            json_serialize=dumps,
        )
        per_loop[key] = session
    return Borrowed(session)


async def close_sessions() -> None:
    """Closes the running loop's shared sessions (the server is stopping)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    for session in _sessions.pop(loop, {}).values():
        await session.close()


def install() -> None:
    """Makes Rasa's endpoints use the shared sessions (idempotent)."""
    EndpointConfig.session = shared_session


def uninstall() -> None:
    """Rasa's own sessions again (tests)."""
    EndpointConfig.session = _ORIGINAL


def installed() -> bool:
    """Whether Rasa's endpoints use the shared sessions."""
    return EndpointConfig.session is shared_session
