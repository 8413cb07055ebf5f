"""The action server's ``/ready`` route: what the first open-ended turn still waits for.

``/health`` answers as soon as the server listens; ``/ready`` answers 200 only
once this process's warm-up has settled (every step ready or failed), 503
before, with the steps in both cases. rasa-sdk adds it through its plugin hook
(``rasa_sdk_plugins``).
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_hybrid.llm.readiness import WarmUp, process_warm_up

hookimpl = pluggy.HookimplMarker("rasa_sdk")
READY_PATH = "/ready"


def add_ready_route(
    app: Sanic, warm_up: Callable[[], WarmUp] = process_warm_up
) -> None:
    """Adds ``GET /ready`` to ``app``, reporting ``warm_up()``."""

    async def ready(_: Request) -> HTTPResponse:
        report = warm_up().report()
        return response.json(report, status=200 if report["ready"] else 503)

    app.add_route(ready, READY_PATH, methods=["GET"], name="ready")


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    """rasa-sdk's hook: called for the app of every worker process."""
    add_ready_route(app)
