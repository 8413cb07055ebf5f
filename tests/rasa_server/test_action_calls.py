"""Rasa's endpoint calls on shared, open sessions (patches/action_calls.py)."""

import asyncio
import json
import math

import pytest
from aiohttp import web
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig
from rasa_hybrid.patches import action_calls


@pytest.fixture
def installed():
    action_calls.install()
    yield
    action_calls.uninstall()


def _tracker_state() -> dict:
    domain = Domain.from_dict(
        {"slots": {"note": {"type": "any", "mappings": [{"type": "custom"}]}}}
    )
    tracker = DialogueStateTracker.from_events(
        "c/1 é",
        [
            ActionExecuted("action_listen"),
            UserUttered(
                'Wäscht nicht \ud800 </script> "quoted" \\ 😀',
                {"name": "product_question", "confidence": 0.123456789012345},
            ),
            SlotSet("note", {"ratio": 1e-300, "big": 2**70, "list": (1, 2)}),
        ],
        domain.slots,
    )
    return tracker.current_state(EventVerbosity.ALL)


def test_dumps_writes_what_json_writes():
    state = _tracker_state()
    assert json.loads(action_calls.dumps(state)) == json.loads(json.dumps(state))
    assert action_calls.dumps(state).isascii()


def test_dumps_falls_back_to_json_for_what_ujson_refuses():
    nan = json.loads(action_calls.dumps({"x": float("nan")}))["x"]
    assert math.isnan(nan)
    with pytest.raises(TypeError):
        action_calls.dumps({"x": object()})


class Recorder:
    """A loopback HTTP server that notes each request's connection and body."""

    def __init__(self):
        self.peers: list = []
        self.bodies: list = []
        self.headers: list = []
        self.runner = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.peers.append(request.transport.get_extra_info("peername"))
        self.bodies.append(await request.json())
        self.headers.append(dict(request.headers))
        return web.json_response({"events": [], "responses": []})

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        await self.runner.cleanup()


def test_calls_reuse_one_connection_and_send_the_same_body(installed):
    state = _tracker_state()

    async def scenario():
        server = Recorder()
        await server.start()
        endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/webhook")
        try:
            for _ in range(3):
                reply = await endpoint.request(json=state, method="post")
                assert reply == {"events": [], "responses": []}
        finally:
            await action_calls.close_sessions()
            await server.stop()
        return server

    server = asyncio.run(scenario())
    assert len(server.peers) == 3 and len(set(server.peers)) == 1
    assert all(body == json.loads(json.dumps(state)) for body in server.bodies)


def test_endpoints_with_other_settings_get_their_own_session(installed):
    async def scenario():
        server = Recorder()
        await server.start()
        url = f"http://127.0.0.1:{server.port}/webhook"
        plain = EndpointConfig(url)
        secret = EndpointConfig(
            url,
            headers={"X-Team": "care"},
            basic_auth={"username": "rasa", "password": "s3cret"},
        )
        try:
            for endpoint in (plain, secret, plain):
                await endpoint.request(json={"n": 1}, method="post")
            sessions = [plain.session().session, secret.session().session]
        finally:
            await action_calls.close_sessions()
            await server.stop()
        return server, sessions

    server, sessions = asyncio.run(scenario())
    assert sessions[0] is not sessions[1]
    assert all(session.closed for session in sessions)
    assert (
        "X-Team" not in server.headers[0] and "Authorization" not in server.headers[0]
    )
    assert server.headers[1]["X-Team"] == "care"
    assert server.headers[1]["Authorization"].startswith("Basic ")
    assert server.peers[0] == server.peers[2] != server.peers[1]


def test_a_restarted_server_is_reached_on_a_new_connection(installed):
    async def scenario():
        first = Recorder()
        await first.start()
        port = first.port
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        await endpoint.request(json={"turn": 1}, method="post")
        await first.stop()
        await asyncio.sleep(0.05)
        second = Recorder()
        await second.start(port)
        try:
            reply = await endpoint.request(json={"turn": 2}, method="post")
        finally:
            await action_calls.close_sessions()
            await second.stop()
        return reply, second

    reply, second = asyncio.run(scenario())
    assert reply == {"events": [], "responses": []}
    assert second.bodies == [{"turn": 2}]


def test_each_event_loop_has_its_own_session(installed):
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")

    async def session_of_this_loop():
        session = endpoint.session().session
        assert endpoint.session().session is session
        await action_calls.close_sessions()
        return session

    first = asyncio.run(session_of_this_loop())
    second = asyncio.run(session_of_this_loop())
    assert first is not second and first.closed and second.closed


def test_uninstall_restores_rasa_s_sessions():
    action_calls.install()
    assert EndpointConfig.session is action_calls.shared_session
    action_calls.uninstall()
    assert EndpointConfig.session is action_calls._ORIGINAL
