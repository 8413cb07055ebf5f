"""A real `make serve`: conversations and bad input over the REST channel."""

import requests

from tests.integration.conftest import Customer
from tests.integration.replies import which_response

CHINESE = "我最近购买了一台新洗衣机，但发现它有一些问题。你能帮我解决吗？"


def replies(customer, text):
    return [which_response(reply) for reply in customer.say(text)]


def test_a_short_conversation(customer):
    turns = [
        ("hi", "utter_greet"),
        ("what can u do?", "utter_help"),
        ("are you a bot", "utter_iamabot"),
        ("can i talk to a real person", None),  # one of the handoff responses
        ("thx", "utter_you_are_welcome"),
        ("bye", "utter_goodbye"),
    ]
    for text, expected in turns:
        [reply] = customer.say(text)
        said = which_response(reply)
        if expected is None:
            assert said.startswith("utter_handoff"), (text, reply)
            assert "{" not in reply, "placeholders must be filled"
        else:
            assert said == expected, (text, reply)


def test_conversations_are_kept_apart(servers):
    alice = Customer(servers.rest_url, "it-alice")
    bob = Customer(servers.rest_url, "it-bob")
    assert which_response(alice.say("hello")[0]) == "utter_greet"
    assert which_response(bob.say("agent please")[0]).startswith("utter_handoff")
    assert which_response(alice.say("thanks")[0]) == "utter_you_are_welcome"


def test_unreadable_input_gets_the_fallback_and_the_conversation_goes_on(customer):
    for text in ["", "   ", "😀😀😀", CHINESE, "\u0000\u0007"]:
        [reply] = customer.say(text)
        assert which_response(reply) == "utter_default", repr(text)
    assert which_response(customer.say("hi")[0]) == "utter_greet"


def test_a_message_over_the_limit_gets_a_clear_reply_and_changes_nothing(customer):
    assert replies(customer, "track my order") == ["utter_ask_order_number"]
    huge = ("my new washing machine makes a loud noise " * 2500)[:100_000]
    for text in [huge, "A" * 4001]:
        assert replies(customer, text) == ["utter_message_too_long"]
    # The form is still waiting for the order number.
    assert replies(customer, "A-1234") == ["utter_ask_order_verification"]


def test_a_message_at_the_limit_is_read(customer):
    text = ("my new washing machine makes a loud noise " * 100)[:4000]
    said = replies(customer, text)
    assert said and all(said) and "utter_message_too_long" not in said


def test_malformed_requests_get_a_400_that_says_why(servers, customer):
    url = servers.rest_url
    cases = [
        (b"{not json", "parsing body as json"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"hi"', "must be a JSON object"),
        (b'{"message": "hi"}', "'sender' is missing"),
        (b'{"sender": "x"}', "'message' is missing"),
        (b'{"sender": "x", "message": 5}', "'message' must be a string"),
        (b'{"sender": ["x"], "message": "hi"}', "'sender' must be a string"),
        (b'{"sender": "x", "message": "hi", "metadata": 3}', "'metadata' must be"),
        (bytes(range(256)) * 8, "parsing body as json"),
    ]
    for body, reason in cases:
        response = requests.post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=30
        )
        assert response.status_code == 400, (body[:40], response.status_code)
        assert reason in response.text, (body[:40], response.text[:200])
    # nothing was lost: the conversation still answers
    assert which_response(customer.say("hi")[0]) == "utter_greet"


def test_a_null_message_is_treated_as_empty(customer):
    response = customer.post(message=None)
    assert response.status_code == 200
    assert which_response(response.json()[0]["text"]) == "utter_default"


def test_the_http_api_is_off_without_a_token(servers):
    for path in ["/status", "/conversations/it-alice/tracker", "/model/parse"]:
        response = requests.get(servers.base_url + path, timeout=10)
        assert response.status_code == 404, path
    assert requests.get(servers.base_url + "/", timeout=10).status_code == 200


def test_socketio_channel_is_served(servers):
    # The Engine.IO handshake a web chat widget starts with.
    response = requests.get(
        servers.base_url + "/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        timeout=10,
    )
    assert response.status_code == 200
    assert '"sid"' in response.text
