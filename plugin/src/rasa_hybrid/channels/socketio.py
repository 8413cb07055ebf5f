"""Rasa's socket.io channel with the message size limit, and the web chat page.

Same name (``socketio``), same events and options as Rasa's own; in addition
``max_message_chars`` in credentials.yml. The same server also serves the web
chat (``web/``) at ``/chat/``, on the origin of ``/socket.io`` itself, so the
page needs no CORS and no other server.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_hybrid.channels.limits import (
    DEFAULT_MAX_MESSAGE_CHARS,
    Handler,
    MessageLimit,
    max_chars_from,
)
from rasa_hybrid.channels.readiness import ActionServerReadiness
from rasa_hybrid.project import project_dir, resolve

logger = logging.getLogger(__name__)

#: The page's folder inside the project (credentials.yml: ``web_dir``).
WEB_DIR = Path("web")
PAGE_PREFIX = "/chat"
_BUNDLE = "node_modules/socket.io-client/dist/socket.io.min.js"
# URL name under /chat/ -> (file under web/, content type). Nothing else is served.
PAGE_FILES: dict[str, tuple[str, str]] = {
    "": ("index.html", "text/html; charset=utf-8"),
    "chat.js": ("chat.js", "text/javascript; charset=utf-8"),
    "chat.css": ("chat.css", "text/css; charset=utf-8"),
    "socket.io.min.js": (_BUNDLE, "text/javascript; charset=utf-8"),
    "socket.io.min.js.map": (_BUNDLE + ".map", "application/json"),
}
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
}


async def serve_page_file(name: str, web_dir: Path | None = None) -> HTTPResponse:
    """One file of the page: 404 for unknown names, 503 when not installed."""
    if name not in PAGE_FILES:
        return response.text("Not found.", status=404)
    relative, content_type = PAGE_FILES[name]
    path = resolve(web_dir or WEB_DIR, project_dir()) / relative
    if not path.is_file():
        logger.warning("Web chat file %s is missing.", path)
        fix = (
            "Run `make setup` (npm ci in web/)."
            if "node_modules" in relative
            else "It is missing from this checkout."
        )
        return response.text(
            f"The web chat is not available on this server: web/{relative} "
            f"is missing. {fix}",
            status=503,
        )
    return await response.file(path, mime_type=content_type, headers=PAGE_HEADERS)


def action_webhook(app: Sanic) -> str | None:
    """The action server's webhook the Rasa server behind ``app`` calls, if any."""
    agent = getattr(app.ctx, "agent", None)
    endpoint = getattr(agent, "action_endpoint", None)
    return getattr(endpoint, "url", None)


def page_blueprint(
    web_dir: Path | None = None, readiness: ActionServerReadiness | None = None
) -> Blueprint:
    """The web chat's routes: ``/chat/`` (the page), its assets, ``/chat/ready``.

    ``web_dir`` is the project's ``web/`` folder by default.
    """
    web_dir = resolve(web_dir or WEB_DIR, project_dir())
    page = Blueprint("webchat_page", url_prefix=PAGE_PREFIX, strict_slashes=True)
    readiness = readiness or ActionServerReadiness()

    @page.route("/ready", methods=["GET"])
    async def ready(request: Request) -> HTTPResponse:
        # The page waits on this before it lets a customer's first message go.
        is_ready = await readiness.ready(action_webhook(request.app))
        return response.json({"ready": is_ready}, headers={"Cache-Control": "no-store"})

    @page.route("", methods=["GET", "HEAD"])
    async def to_page(_: Request) -> HTTPResponse:
        # The page's assets are relative to /chat/: send /chat there.
        return response.redirect(PAGE_PREFIX + "/")

    @page.route("/", methods=["GET", "HEAD"])
    async def index(_: Request) -> HTTPResponse:
        return await serve_page_file("", web_dir)

    @page.route("/<name:str>", methods=["GET", "HEAD"])
    async def asset(_: Request, name: str) -> HTTPResponse:
        return await serve_page_file(name, web_dir)

    return page


class ChannelAndPage(Blueprint):
    """The channel's blueprint, registered where Rasa says, plus the page's.

    Rasa mounts a channel under ``/webhooks/<name>/``; the page gets the
    shorter ``/chat/`` of its own by registering its blueprint alongside.
    """

    def __init__(self, channel: Blueprint, page: Blueprint) -> None:
        super().__init__("socketio_with_webchat")
        # Sanic allows no other attributes on a blueprint.
        self.ctx.channel = channel
        self.ctx.page = page

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        """Registers both blueprints on ``app``; ``options`` apply to the channel."""
        app.blueprint(self.ctx.channel, **options)
        app.blueprint(self.ctx.page)


class LimitedSocketIOInput(SocketIOInput):
    """``SocketIOInput`` that answers over-long messages without reading them."""

    def __init__(
        self,
        *args: Any,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limit = MessageLimit(max_message_chars)

    @classmethod
    def from_credentials(
        cls, credentials: dict[str, Any] | None
    ) -> LimitedSocketIOInput:
        """Rasa's socket.io options plus ``max_message_chars``."""
        channel = super().from_credentials(credentials)
        channel.limit = MessageLimit(max_chars_from(credentials))
        web_dir = (credentials or {}).get("web_dir")
        channel.web_dir = Path(web_dir) if web_dir else None
        return channel

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        """Rasa's socket.io server, with the size limit in front, and the page."""
        channel = self.limit.attach(super().blueprint(self.limit.wrap(on_new_message)))
        self._fix_session_request()
        return ChannelAndPage(channel, page_blueprint(getattr(self, "web_dir", None)))

    def _fix_session_request(self) -> None:
        """Replaces Rasa's ``session_request`` handler with one that works.

        Rasa 3.6 calls ``sio.enter_room`` without awaiting it, which since
        python-socketio 5.10 is a coroutine: the socket never joins the
        session's room, and with ``session_persistence`` (replies are sent to
        the room) the customer never sees an answer.
        """
        sio = self.sio
        if sio is None:
            return

        async def session_request(sid: str, data: dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not session_id:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid)

        sio.on("session_request", namespace=self.namespace)(session_request)
