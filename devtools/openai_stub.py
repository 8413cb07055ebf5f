"""A local server speaking OpenAI's chat-completions protocol, for tests.

It answers ``POST /v1/chat/completions`` with scripted replies (or an echo of
the last user message), checks requests the way real servers do (400 for a
malformed body), and can be told to be slow or to fail, so the
OpenAI-compatible provider is tested over real HTTP without a model.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OpenAIStub:
    """A threaded HTTP server on a free loopback port; use as a context manager."""

    def __init__(self, replies: list[str] | None = None, api_key: str = "") -> None:
        self.replies: deque[str] = deque(replies or [])
        self.api_key = api_key
        self.delay_s = 0.0
        self.fail_status: int | None = None
        self.raw_body: bytes | None = None
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """What LLM_OPENAI_BASE_URL would be set to."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> OpenAIStub:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body["messages"]
        text = self.replies.popleft() if self.replies else messages[-1]["content"]
        words = text.split()
        limit = int(body.get("max_tokens") or len(words))
        text = " ".join(words[:limit])
        prompt_tokens = sum(len(m["content"].split()) + 4 for m in messages)
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "length" if len(words) > limit else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": min(limit, len(words)),
                "total_tokens": prompt_tokens + min(limit, len(words)),
            },
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: Any) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload)
                data = data.encode() if isinstance(data, str) else data
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found"}})
                    return
                if stub.api_key and (
                    self.headers.get("Authorization") != f"Bearer {stub.api_key}"
                ):
                    self._send(401, {"error": {"message": "invalid api key"}})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length))
                    assert isinstance(body["model"], str)
                    assert body["messages"] and all(
                        m["role"] in ("system", "user", "assistant")
                        and isinstance(m["content"], str)
                        for m in body["messages"]
                    )
                except (ValueError, KeyError, TypeError, AssertionError):
                    self._send(400, {"error": {"message": "malformed request"}})
                    return
                stub.requests.append(body)
                if stub.delay_s:
                    time.sleep(stub.delay_s)
                if stub.fail_status:
                    self._send(stub.fail_status, {"error": {"message": "failure"}})
                elif stub.raw_body is not None:
                    self._send(200, stub.raw_body)
                else:
                    self._send(200, stub._answer(body))

        return Handler
