"""`make serve` / `make stop`: API with a token, ports, process ids, and
conversations that outlive the servers."""

import json
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from devtools.servers import PROJECT_ROOT, Servers, port_in_use, run_make
from tests.integration.conftest import Customer
from tests.integration.replies import RESPONSES, which_response

TOKEN = "s3cret-for-tests"


@pytest.fixture(scope="module")
def with_token():
    """Servers with the HTTP API on; test_stop_ends_... stops them, so it comes last."""
    # The first test knocks without the token, which Rasa logs as an error.
    refused = r"rasa\.server\s+- User is not authenticated\."
    with Servers(env={"RASA_AUTH_TOKEN": TOKEN}, expected_errors=(refused,)) as servers:
        yield servers


def test_with_a_token_the_http_api_is_on_and_protected(with_token):
    status = with_token.base_url + "/status"
    assert requests.get(status, timeout=10).status_code == 401
    wrong = requests.get(status, params={"token": "nope"}, timeout=10)
    assert wrong.status_code == 401
    right = requests.get(status, params={"token": TOKEN}, timeout=10)
    assert right.status_code == 200
    assert right.json()["model_file"].endswith("acme.tar.gz")


def test_every_response_with_buttons_renders_its_payloads_without_errors(with_token):
    with_buttons = [
        name
        for name, variants in RESPONSES.items()
        if any(variant.get("buttons") for variant in variants)
    ]
    assert len(with_buttons) >= 5
    sender = f"it-buttons-{uuid.uuid4().hex[:8]}"
    Customer(with_token.rest_url, sender).say("hi")  # the conversation exists
    for name in with_buttons:
        answer = requests.post(
            f"{with_token.base_url}/conversations/{sender}/execute",
            params={"token": TOKEN},
            json={"name": name},
            timeout=60,
        )
        assert answer.status_code == 200, (name, answer.text)
        buttons = [b for m in answer.json()["messages"] for b in m.get("buttons", [])]
        assert buttons, name
        for button in buttons:
            intent, brace, entities = button["payload"].partition("{")
            assert intent.startswith("/") and "{" not in intent, button
            if brace:  # the JSON the payload carries reaches the channel intact
                assert isinstance(json.loads(brace + entities), dict), button
    # Rasa's interpolation logs (and goes on) when it takes JSON for a slot.
    assert with_token.log_errors() == []


def test_stop_ends_both_servers_and_frees_the_ports(with_token):
    servers = with_token
    try:
        pids = {
            name: int((servers.run_dir / f"{name}.pid").read_text())
            for name in ("rasa", "nlu", "actions")
        }
        ports = (servers.rasa_port, servers.nlu_port, servers.actions_port)
        assert all(port_in_use(port) for port in ports)
        # A second serve on the same ports refuses and leaves the first alone.
        again = run_make("serve", *servers.make_args)
        assert again.returncode != 0
        assert "already running" in again.stdout + again.stderr
    finally:
        result = servers.stop()
    assert result.returncode == 0, result.stderr
    assert not any(port_in_use(port) for port in ports)
    for name, pid in pids.items():
        assert not (servers.run_dir / f"{name}.pid").exists()
        assert not _alive(pid), name


@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    """Servers on a run folder of their own, for the tests that stop a server.

    The restart test stops and starts them; the NLU server test then stops
    their NLU server, so it comes after.
    """
    # Without its NLU server, Rasa logs each parse it could not get.
    no_nlu = r"rasa\.core\.http_interpreter\s+- .*http\.parse\.text\.exception"
    servers = Servers(
        run_dir=tmp_path_factory.mktemp("own-run"), expected_errors=(no_nlu,)
    )
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()


def test_a_conversation_continues_after_stop_and_serve(own_run):
    servers = own_run
    customer = Customer(servers.rest_url, "it-restart")
    assert _said(customer, "track my order") == ["utter_ask_order_number"]
    assert _said(customer, "A-1234") == ["utter_ask_order_verification"]
    assert servers.stop().returncode == 0
    servers.start()
    # The form picks up where it was: the proof for A-1234 is checked.
    assert _said(customer, "10001") == ["utter_order_status_shipped"]
    with sqlite3.connect(servers.run_dir / "conversations.db") as db:
        texts = [
            row[0]
            for row in db.execute(
                "SELECT json_extract(data, '$.text') FROM events "
                "WHERE sender_id = 'it-restart' AND type_name = 'user' ORDER BY id"
            )
        ]
    assert texts == ["track my order", "A-1234", "10001"]


def test_every_server_listens_on_loopback_only(servers):
    for port in (servers.rasa_port, servers.nlu_port, servers.actions_port):
        assert _listening_addresses(port) == {"127.0.0.1"}, port


def test_the_nlu_server_parses_only_for_rasa(servers):
    parse = f"http://127.0.0.1:{servers.nlu_port}/model/parse"
    assert requests.post(parse, json={"text": "hi"}, timeout=10).status_code == 401
    token = (servers.run_dir / "nlu.token").read_text().strip()
    parsed = requests.post(parse, json={"text": "hi", "token": token}, timeout=30)
    assert parsed.json()["intent"]["name"] == "greet"
    assert (
        requests.get(parse.replace("/model/parse", "/status"), timeout=10).status_code
        == 404
    )


def test_without_its_nlu_server_the_assistant_still_answers(own_run):
    servers = own_run
    customer = Customer(servers.rest_url, "it-no-nlu")
    assert _said(customer, "track my order") == ["utter_ask_order_number"]
    stopped = subprocess.run(
        ["scripts/svc.sh", "stop", "nlu"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RUN_DIR": str(servers.run_dir)},
        capture_output=True,
        text=True,
    )
    assert stopped.returncode == 0 and not port_in_use(servers.nlu_port)
    # The open form still takes its answer; other messages get a reply.
    assert _said(customer, "A-1234") == ["utter_ask_order_verification"]
    assert customer.say("what's new?")


def _said(customer, text):
    return [which_response(reply) for reply in customer.say(text)]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net)."""
    found = set()
    for table in ("tcp", "tcp6"):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            if table == "tcp":
                found.add(".".join(str(b) for b in bytes.fromhex(address)[::-1]))
            else:
                found.add("::" if set(address) == {"0"} else address)
    return found


def test_stop_without_servers_is_harmless(tmp_path):
    result = run_make("stop", f"RUN_DIR={tmp_path}")
    assert result.returncode == 0, result.stderr


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
