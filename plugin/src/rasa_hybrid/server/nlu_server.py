"""The NLU half of the Rasa server, in a process of its own (`make serve`).

Rasa runs a turn on one event loop: understanding the message (tokens,
MiniLM, DIET, the intent classifier) took more than half of it, and while it
ran no other conversation moved. Rasa can hand parsing to an NLU server
instead (``nlu: url:`` in endpoints.yml, Rasa's ``RasaNLUHttpInterpreter``),
which puts it on the machine's other core. Rasa's own server could serve that
role only with its whole HTTP API switched on; this one answers exactly one
request, ``POST /model/parse`` with ``{"text", "token"}``, from the same
trained model, and nothing else:

    NLU_TOKEN_FILE=.run/nlu.token \
        python -m rasa_hybrid.server.nlu_server --model M --port 5006

The token is a secret shared with the dialogue server through its endpoints
copy (``make serve`` draws a new one for every run); a request without it
gets 401. The server listens on loopback unless told otherwise.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
from pathlib import Path
from typing import Any, Protocol

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_hybrid import patches
from rasa_hybrid.channels.server import freeze_heap

logger = logging.getLogger(__name__)

TOKEN_FILE_ENV = "NLU_TOKEN_FILE"
# The channels cut messages at 4,000 characters; anything much longer did not
# come from them.
MAX_TEXT_CHARS = 100_000


class Parser(Protocol):
    """What the server needs of a Rasa agent."""

    async def parse_message(self, message_data: str) -> dict[str, Any]:
        """Intent, entities and ranking of a message's text."""


def parse_request(body: Any, token: str) -> tuple[int, str]:
    """(HTTP status, text) for a request body: 200 when it may be parsed."""
    if not isinstance(body, dict):
        return 400, "The body must be a JSON object."
    given = body.get("token")
    if not isinstance(given, str) or not hmac.compare_digest(given, token):
        return 401, "Missing or wrong token."
    text = body.get("text")
    if not isinstance(text, str):
        return 400, "'text' must be a string."
    if len(text) > MAX_TEXT_CHARS:
        return 413, f"'text' is longer than {MAX_TEXT_CHARS} characters."
    return 200, text


def create_app(agent: Parser, token: str) -> Sanic:
    """The NLU server for ``agent``: ``GET /`` (health) and ``POST /model/parse``."""
    if not token:
        raise ValueError("The NLU server needs a token.")
    app = Sanic("rasa_hybrid_nlu_server")

    @app.get("/")
    async def health(_request: Request) -> HTTPResponse:
        return response.text("NLU server: POST /model/parse")

    @app.post("/model/parse")
    async def parse(request: Request) -> HTTPResponse:
        try:
            body = request.json
        except Exception:  # Sanic raises its own error for a body that is not JSON
            body = None
        status, text = parse_request(body, token)
        if status != 200:
            return response.json({"error": text}, status=status)
        return response.json(await agent.parse_message(text))

    return app


def read_token(path: str | None) -> str:
    """The shared secret from the file ``path`` (stripped)."""
    if not path:
        raise SystemExit(f"Set {TOKEN_FILE_ENV} to a file holding the token.")
    token = Path(path).read_text(encoding="utf-8").strip()
    if not token:
        raise SystemExit(f"The token file {path} is empty.")
    return token


def prepare_process() -> None:
    """Before the model loads: TensorFlow's threads, and the patches of Rasa."""
    from rasa.utils.tensorflow.environment import setup_tf_environment

    setup_tf_environment()  # TF_*_PARALLELISM_THREADS, as `rasa run` does
    patches.install()


def main(argv: list[str] | None = None) -> None:
    """Loads the model and serves it until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a trained model (.tar.gz)")
    parser.add_argument("--port", type=int, default=5006)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    token = read_token(os.environ.get(TOKEN_FILE_ENV))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    from rasa.core.agent import Agent

    prepare_process()
    agent = Agent.load(args.model)
    freeze_heap()
    logger.info("NLU server: model %s loaded", args.model)
    create_app(agent, token).run(host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
