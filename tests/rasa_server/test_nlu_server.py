"""The NLU server (server/nlu_server.py) with a scripted agent, and for real."""

import asyncio

import pytest
from rasa_hybrid.server.nlu_server import (
    MAX_TEXT_CHARS,
    create_app,
    parse_request,
    read_token,
)

from tests.conftest import PROJECT_ROOT

TOKEN = "t0ken-for-tests"


class ScriptedAgent:
    def __init__(self):
        self.texts = []

    async def parse_message(self, text):
        self.texts.append(text)
        return {"text": text, "intent": {"name": "greet", "confidence": 0.9}}


def test_only_a_body_with_the_token_and_a_text_is_parsed():
    assert parse_request({"text": "hi", "token": TOKEN}, TOKEN) == (200, "hi")
    assert parse_request({"text": "hi"}, TOKEN)[0] == 401
    assert parse_request({"text": "hi", "token": "wrong"}, TOKEN)[0] == 401
    assert parse_request({"text": "hi", "token": 7}, TOKEN)[0] == 401
    assert parse_request(["hi"], TOKEN)[0] == 400
    assert parse_request({"text": None, "token": TOKEN}, TOKEN)[0] == 400
    huge = "x" * (MAX_TEXT_CHARS + 1)
    assert parse_request({"text": huge, "token": TOKEN}, TOKEN)[0] == 413
    assert parse_request({"text": "", "token": TOKEN}, TOKEN) == (200, "")


def test_the_app_parses_with_the_agent_and_answers_nothing_else():
    agent = ScriptedAgent()
    app = create_app(agent, TOKEN)
    client = app.test_client
    _, ok = client.post("/model/parse", json={"text": "hello", "token": TOKEN})
    assert ok.status == 200 and ok.json["intent"]["name"] == "greet"
    _, refused = client.post("/model/parse", json={"text": "hello"})
    assert refused.status == 401
    _, garbage = client.post("/model/parse", data=b"\xff\x00 not json")
    assert garbage.status in (400, 401)
    for path in ["/conversations/a/tracker", "/model", "/status"]:
        _, other = client.get(path)
        assert other.status in (404, 405), path
    assert agent.texts == ["hello"]


def test_a_token_is_required(tmp_path):
    with pytest.raises(ValueError):
        create_app(ScriptedAgent(), "")
    with pytest.raises(SystemExit):
        read_token(None)
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(SystemExit):
        read_token(str(tmp_path / "empty"))
    (tmp_path / "token").write_text(TOKEN + "\n")
    assert read_token(str(tmp_path / "token")) == TOKEN


def test_the_trained_model_parses_through_the_app():
    from rasa.core.agent import Agent

    model = PROJECT_ROOT / "models" / "acme.tar.gz"
    if not model.is_file():
        pytest.skip("no trained model (make train)")
    agent = Agent.load(str(model))
    direct = asyncio.run(agent.parse_message("where is my order A-1234"))
    _, reply = create_app(agent, TOKEN).test_client.post(
        "/model/parse", json={"text": "where is my order A-1234", "token": TOKEN}
    )
    assert reply.status == 200
    assert reply.json["intent"]["name"] == direct["intent"]["name"] == "track_order"
    assert [e["value"] for e in reply.json["entities"]] == ["A-1234"]


def test_freezing_the_heap_hides_what_is_alive_from_the_collector():
    import gc

    from rasa_hybrid.channels.server import freeze_heap

    kept = [object() for _ in range(1000)]
    try:
        freeze_heap()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()


def test_the_process_stacks_features_the_fast_way(monkeypatch):
    from rasa_hybrid.patches import feature_stacking
    from rasa_hybrid.server.nlu_server import prepare_process

    # Earlier tests initialised TensorFlow in this process, and its thread
    # pools can only be sized before that (`make test` sets one thread each).
    monkeypatch.delenv("TF_INTER_OP_PARALLELISM_THREADS", raising=False)
    monkeypatch.delenv("TF_INTRA_OP_PARALLELISM_THREADS", raising=False)

    feature_stacking.uninstall()
    try:
        prepare_process()
        assert feature_stacking.installed()
    finally:
        feature_stacking.uninstall()
