"""The running Rasa server as a channel sees it: its agent, once loaded.

Rasa hands a channel only a message handler; a few channel features need the
agent itself (the domain's responses, the tracker and lock stores). A
``ServerRef`` attached to the channel's blueprint remembers the Sanic app when
the server starts, and reads ``app.ctx.agent`` when asked.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Sanic


class ServerRef:
    """A late-bound reference to the server's agent."""

    def __init__(self) -> None:
        self._app: Sanic | None = None

    def attach(self, blueprint: Blueprint) -> Blueprint:
        """Remembers the app that serves ``blueprint`` when it starts."""

        @blueprint.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self._app = app

        return blueprint

    @property
    def agent(self) -> Any | None:
        """The loaded agent, or None before the server starts or without a model."""
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        return agent if agent is not None and agent.is_ready() else None
