"""Rasa's NLU calls survive a connection the server closed (patches/nlu_calls.py)."""

from __future__ import annotations

import asyncio
import json

import pytest
from rasa.core.channels import UserMessage
from rasa.core.http_interpreter import RasaNLUHttpInterpreter
from rasa.utils.endpoints import EndpointConfig
from rasa_hybrid.patches import nlu_calls

PARSE = {"intent": {"name": "greet", "confidence": 0.99}, "entities": [], "text": "hi"}


class ClosingServer:
    """An HTTP server that answers a connection's first request only.

    It keeps the connection open after the answer (HTTP/1.1 keep-alive) and
    closes it without a word when a second request arrives on it, as a server
    does that closes an idle connection just as the client sends on it.
    """

    def __init__(self) -> None:
        self.connections = 0
        self.answered = 0
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        for request in range(2):
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            if request == 1:
                writer.transport.abort()
                return
            body = json.dumps(PARSE).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            self.answered += 1

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.server.close()


def _two_parses() -> tuple[list[dict], ClosingServer]:
    async def scenario() -> tuple[list[dict], ClosingServer]:
        server = ClosingServer()
        await server.start()
        interpreter = RasaNLUHttpInterpreter(
            EndpointConfig(f"http://127.0.0.1:{server.port}")
        )
        try:
            parses = [
                await interpreter.parse(UserMessage("hi", sender_id="c1"))
                for _ in range(2)
            ]
        finally:
            await interpreter.session.close()
            await server.stop()
        return parses, server

    return asyncio.run(scenario())


@pytest.fixture
def installed():
    nlu_calls.install()
    yield
    nlu_calls.uninstall()


def test_without_the_patch_the_second_turn_loses_its_parse():
    # What the patch is for: Rasa sends on the closed connection and gives up.
    nlu_calls.uninstall()
    parses, _ = _two_parses()
    assert parses[0]["intent"]["name"] == "greet"
    assert parses[1]["intent"]["name"] == ""


def test_a_parse_meeting_a_closed_connection_is_sent_again(installed):
    parses, server = _two_parses()
    assert [parse["intent"]["name"] for parse in parses] == ["greet", "greet"]
    assert server.connections == 2
    assert server.answered == 2


def test_idle_connections_are_dropped_before_sanic_drops_them(installed):
    async def connector_timeout() -> float:
        interpreter = RasaNLUHttpInterpreter(EndpointConfig("http://127.0.0.1:9"))
        session = await nlu_calls.session_of(interpreter)
        try:
            assert interpreter.session is session
            assert await nlu_calls.session_of(interpreter) is session
            return session.connector._keepalive_timeout
        finally:
            await session.close()

    from sanic.config import DEFAULT_CONFIG

    assert asyncio.run(connector_timeout()) < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]


def test_a_server_that_is_down_still_gives_rasas_empty_parse(installed):
    async def parse() -> dict:
        interpreter = RasaNLUHttpInterpreter(EndpointConfig("http://127.0.0.1:9"))
        try:
            return await interpreter.parse(UserMessage("hi", sender_id="c1"))
        finally:
            await interpreter.session.close()

    assert asyncio.run(parse())["intent"] == {"name": "", "confidence": 0.0}
