"""Whether the action server is ready, asked from the Rasa server for the web chat.

The page keeps saying "Connecting…" until ``/chat/ready`` says the action
server has loaded what the first turn needs (its ``/ready`` route), so that a
first question is not answered by the apology of a model still loading.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp

logger = logging.getLogger(__name__)

Probe = Callable[[str], Awaitable[bool]]


def ready_url(action_webhook: str) -> str:
    """The action server's ``/ready`` beside its ``/webhook``."""
    base, _, _ = action_webhook.rstrip("/").rpartition("/")
    return f"{base}/ready"


async def probe(url: str, timeout_s: float = 2.0) -> bool:
    """Whether ``url`` answers ready (200); a server without it (404) counts too."""
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as answer,
        ):
            return answer.status in (200, 404)
    except (aiohttp.ClientError, TimeoutError, OSError):
        return False


class ActionServerReadiness:
    """Asks the action server until it is ready once; then it stays ready."""

    def __init__(self, probe: Probe = probe) -> None:
        self._probe = probe
        self._ready = False

    async def ready(self, action_webhook: str | None) -> bool:
        """Whether the action server at ``action_webhook`` (None: none) is ready."""
        if self._ready or not action_webhook:
            return True
        self._ready = await self._probe(ready_url(action_webhook))
        return self._ready
