"""Two Rasa instances sharing a PostgreSQL tracker store and a Redis lock store.

Many conversations run at once; each conversation's turns alternate between
the instances. One instance is killed (SIGKILL) in the middle. The client does
what a channel client should: a turn that got no answer is sent again, with
the same ``message_id``, to the instance that is left. Afterwards every
conversation's tracker in PostgreSQL must hold every turn exactly once, in
order, with the replies the client saw.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from devtools.postgres import PostgresServer, postgres_bin_dir
from devtools.redis import RedisServer, redis_server_binary
from devtools.servers import Servers
from tests.integration.replies import which_response

CONVERSATIONS = 24
SCRIPT = [
    ("hi", "utter_greet"),
    ("what can you do?", "utter_help"),
    ("track my order", "utter_ask_order_number"),
    ("A-1234", "utter_ask_order_verification"),
    ("10001", "utter_order_status_shipped"),
    ("thanks", "utter_you_are_welcome"),
    ("are you a bot", "utter_iamabot"),
    ("hello", "utter_greet"),
    ("thank you", "utter_you_are_welcome"),
    ("bye", "utter_goodbye"),
]
KILL_AFTER_SHARE = 0.4
# A killed instance's lock tickets block its conversations until they expire.
LOCK_LIFETIME_S = 10


def _require(found: bool, what: str, flag: str) -> None:
    if not found:
        if os.environ.get(flag):
            pytest.fail(f"{flag} is set but {what} is not installed")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def cluster():
    """PostgreSQL, Redis, one action server and two Rasa instances."""
    _require(postgres_bin_dir() is not None, "PostgreSQL", "REQUIRE_POSTGRES")
    _require(redis_server_binary() is not None, "Redis", "REQUIRE_REDIS")
    postgres = PostgresServer().start()
    redis = RedisServer().start()
    env = {
        "TRACKER_STORE_URL": postgres.create_database("conversations"),
        "LOCK_STORE_URL": redis.url,
        "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME_S),
    }
    # Turns of the killed instance's conversations wait on its locks until
    # they expire; the REST channel logs the ones it gave up on.
    timeouts = (r"rasa\.core\.channels\.rest\s+- .*rest\.message\.received\.timeout",)
    first = Servers(env=dict(env), expected_errors=timeouts)
    second = Servers(
        env=dict(env), actions_port=first.actions_port, expected_errors=timeouts
    )
    try:
        first.start()
        second.start_rasa_only()
        yield postgres, first, second
    finally:
        try:
            second.stop()
        finally:
            try:
                first.stop()
            finally:
                redis.stop()
                postgres.stop()


class Client:
    """One customer; retries a turn on the other instance with the same id."""

    def __init__(self, urls: list[str], sender: str) -> None:
        self.urls = urls
        self.sender = sender
        self.sent: list[tuple[str, str]] = []  # (message_id, text)
        self.replies: list[list[str]] = []
        self.retries = 0

    def say(self, text: str, turn: int) -> list[str]:
        body = {"sender": self.sender, "message": text, "message_id": uuid.uuid4().hex}
        for attempt in range(6):
            url = self.urls[(turn + attempt) % len(self.urls)]
            try:
                response = requests.post(url, json=body, timeout=90)
                # Rasa answers a turn cut short (CancelledError) with 200 and
                # no messages: no answer either, so it is retried too.
                if response.status_code == 200 and response.json():
                    texts = [reply.get("text", "") for reply in response.json()]
                    self.sent.append((body["message_id"], text))
                    self.replies.append(texts)
                    return texts
            except requests.RequestException:
                pass
            self.retries += 1
            time.sleep(0.2 * (attempt + 1))
        raise AssertionError(f"{self.sender}: no instance answered {text!r}")


def _events(postgres: PostgresServer, sender: str) -> list[tuple[str, dict, float]]:
    import psycopg

    with psycopg.connect(
        f"host=127.0.0.1 port={postgres.port} user=postgres dbname=conversations"
    ) as connection:
        rows = connection.execute(
            "SELECT type_name, data, timestamp FROM events "
            "WHERE sender_id = %s ORDER BY id",
            (sender,),
        ).fetchall()
    return [(kind, json.loads(data), stamp) for kind, data, stamp in rows]


def test_turns_alternate_between_instances_and_survive_one_dying(cluster):
    postgres, first, second = cluster
    urls = [first.rest_url, second.rest_url]
    run = uuid.uuid4().hex[:6]
    clients = [Client(urls, f"so-{run}-{n}") for n in range(CONVERSATIONS)]
    total = CONVERSATIONS * len(SCRIPT)
    done = 0
    lock = threading.Lock()
    killed = threading.Event()

    def converse(n: int) -> None:
        nonlocal done
        client = clients[n]
        for turn, (text, expected) in enumerate(SCRIPT):
            said = [which_response(reply) for reply in client.say(text, n + turn)]
            assert said == [expected], (client.sender, text, said)
            with lock:
                done += 1
                if done >= KILL_AFTER_SHARE * total and not killed.is_set():
                    killed.set()
                    os.killpg(second.pid("rasa"), signal.SIGKILL)

    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        for future in [pool.submit(converse, n) for n in range(CONVERSATIONS)]:
            future.result()

    assert killed.is_set()
    assert sum(client.retries for client in clients) > 0, "no turn met the kill"
    for client in clients:
        events = _events(postgres, client.sender)
        stamps = [stamp for _, _, stamp in events]
        assert stamps == sorted(stamps), client.sender
        # Each user event, and the bot texts up to the next one.
        turns: list[tuple[str, str, list[str]]] = []
        for kind, data, _ in events:
            if kind == "user":
                turns.append((data.get("message_id"), data.get("text"), []))
            elif kind == "bot" and turns:
                turns[-1][2].append(data.get("text"))
        assert [(i, t) for i, t, _ in turns] == client.sent, client.sender
        assert [bot for _, _, bot in turns] == client.replies, client.sender
