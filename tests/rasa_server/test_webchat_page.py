"""The socket.io channel's web chat page (channels/socketio.py), without a server."""

import asyncio

from rasa.core.channels.channel import register
from rasa_hybrid.channels.socketio import (
    PAGE_FILES,
    LimitedSocketIOInput,
    serve_page_file,
)
from sanic import Sanic


def serve(name, web_dir):
    return asyncio.run(serve_page_file(name, web_dir))


def test_the_page_and_its_assets_are_served_with_their_types(tmp_path):
    for name, (relative, _) in PAGE_FILES.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(f"/* {name} */")
    page = serve("", tmp_path)
    assert page.status == 200
    assert page.content_type.startswith("text/html")
    assert "Content-Security-Policy" in page.headers
    assert serve("chat.js", tmp_path).content_type.startswith("text/javascript")
    assert serve("socket.io.min.js", tmp_path).status == 200


def test_unknown_names_are_not_found_and_missing_files_say_what_to_do(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html>")
    for name in ["nope.js", "../credentials.yml", "node_modules", "index.html"]:
        assert serve(name, tmp_path).status == 404, name
    missing = serve("socket.io.min.js", tmp_path)
    assert missing.status == 503
    assert b"make setup" in missing.body and b"npm ci" in missing.body


def test_the_page_is_mounted_beside_the_channel():
    app = Sanic("webchat_test")
    channel = LimitedSocketIOInput.from_credentials({"session_persistence": True})

    register([channel], app, "/webhooks/")
    paths = {route.path for route in app.router.routes}
    assert {"chat", "chat/", "chat/<name:str>", "webhooks/socketio"} <= paths
    assert "socket.io" in paths


def test_session_request_joins_the_session_room():
    channel = LimitedSocketIOInput.from_credentials({"session_persistence": True})
    channel.blueprint(lambda _message: None)
    joined, emitted = [], []

    async def enter_room(sid, room, namespace=None):
        joined.append((sid, room))

    async def emit(event, data, room=None, namespace=None):
        emitted.append((event, data, room))

    channel.sio.enter_room = enter_room
    channel.sio.emit = emit
    handler = channel.sio.handlers["/"]["session_request"]
    asyncio.run(handler("sid1", {"session_id": "abc"}))
    assert joined == [("sid1", "abc")]
    assert emitted == [("session_confirm", "abc", "sid1")]
    asyncio.run(handler("sid2", None))
    assert joined[1][0] == "sid2" and len(joined[1][1]) == 32
