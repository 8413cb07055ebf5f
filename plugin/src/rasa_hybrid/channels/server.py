"""The running Rasa server as a channel sees it: its agent, once loaded.

Rasa hands a channel only a message handler; a few channel features need the
agent itself (the domain's responses, the tracker and lock stores). A
``ServerRef`` attached to the channel's blueprint remembers the Sanic app when
the server starts, and reads ``app.ctx.agent`` when asked.
"""

from __future__ import annotations

import gc
from typing import Any

from sanic import Blueprint, Sanic

from rasa_hybrid.patches import action_calls


def freeze_heap() -> None:
    """Takes every object alive now out of the garbage collector's sight.

    A loaded model is ~740,000 Python objects that live as long as the
    process; a full collection walks them all (~350 ms here), and under load
    one came every few seconds, stalling every conversation in flight. After
    ``gc.freeze()`` collections only look at what was made since.
    """
    gc.collect()
    gc.freeze()


class ServerRef:
    """A late-bound reference to the server's agent."""

    def __init__(self) -> None:
        self._app: Sanic | None = None

    def attach(self, blueprint: Blueprint) -> Blueprint:
        """Remembers the app that serves ``blueprint`` when it starts."""

        @blueprint.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self._app = app

        # Rasa loads the model before the server starts.
        @blueprint.listener("after_server_start")
        async def freeze_model(_app: Sanic, _loop: Any) -> None:
            freeze_heap()

        @blueprint.listener("before_server_stop")
        async def close_connections(_app: Sanic, _loop: Any) -> None:
            await action_calls.close_sessions()

        return blueprint

    @property
    def agent(self) -> Any | None:
        """The loaded agent, or None before the server starts or without a model."""
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        return agent if agent is not None and agent.is_ready() else None
