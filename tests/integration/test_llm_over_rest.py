"""Open-ended turns through the real servers: scripted, dead and real LLMs."""

import re

import pytest

from devtools.servers import Servers, free_port
from tests.conftest import PROJECT_ROOT, load_yaml
from tests.integration.conftest import Customer
from tests.integration.replies import which_response

SCRIPT = load_yaml("tests/data/llm_replies.yml")


def said(customer, text):
    return [(reply, which_response(reply)) for reply in customer.say(text)]


@pytest.fixture(scope="module")
def scripted():
    env = {"LLM_FAKE_REPLIES": str(PROJECT_ROOT / "tests/data/llm_replies.yml")}
    with Servers(env=env) as running:
        yield running


def test_llm_turns_in_and_out_of_forms(scripted):
    """One conversation uses the whole script, in order."""
    customer = Customer(scripted.rest_url, "it-llm-script")
    # An appliance problem: the model's answer, then the repair-visit offer.
    answer, offer = said(customer, "why does my washing machine rattle so loudly?")
    assert answer == (SCRIPT[0], "")
    assert offer[1] == "utter_offer_repair_visit"
    # In the booking form: answered, then the pending question again.
    assert [name for _, name in said(customer, "book a technician")] == [
        "utter_ask_service_type"
    ]
    turn = said(customer, "how long does a repair visit take")
    assert turn[0] == (SCRIPT[1], "")
    assert [name for _, name in turn[1:]] == ["utter_ask_service_type"]
    # Still in the form: the slot it already had is kept.
    assert [name for _, name in said(customer, "never mind")] == ["utter_stopped"]
    # In the order form: answered, then asked for the order number again.
    said(customer, "where is my order")
    turn = said(customer, "do you deliver on weekends")
    assert turn[0] == (SCRIPT[2], "")
    assert turn[-1][1] == "utter_ask_order_number"
    said(customer, "never mind")
    # Small talk; then the script is used up: the apology, and it goes on.
    assert said(customer, "how are you doing today")[0] == (SCRIPT[3], "")
    assert said(customer, "you're funny")[0][1] == "utter_llm_unavailable"
    assert said(customer, "hi")[0][1] == "utter_greet"
    assert "scripted for 4" in scripted.log("actions")


def test_a_dead_llm_server_gets_the_apology_and_the_conversation_goes_on():
    env = {
        "LLM_PROVIDER": "openai",
        "LLM_OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "LLM_BREAKER_FAILURES": "2",
    }
    with Servers(env=env) as running:
        customer = Customer(running.rest_url, "it-llm-dead")
        for _ in range(3):
            assert said(customer, "what does the warranty cover")[0][1] == (
                "utter_llm_unavailable"
            )
        assert said(customer, "where is my order")[0][1] == "utter_ask_order_number"
        log = running.log("actions")
    assert "ConnectError" in log
    assert "not calling it for" in log
    assert "circuit breaker open" in log


def test_the_real_local_model_answers_an_open_question():
    # Behaviour, not speed: a loaded CI machine must not turn this into a timeout.
    env = {"LLM_PROVIDER": "local", "LLM_PRELOAD": "1", "LLM_TIMEOUT_S": "45"}
    with Servers(env=env) as running:
        running.wait_for_log("Local model ready", timeout=240)
        customer = Customer(running.rest_url, "it-llm-local")
        turn = said(customer, "my washing machine makes a loud noise when it spins")
        reply, name = turn[0]
        # The model's own words: not empty, not any canned response.
        assert name == "", (reply, running.log("actions")[-4000:])
        assert len(reply) > 10 and re.search(r"[a-z]", reply)
        assert not re.search(r"<\|im_(start|end)\|>|^\s*(assistant|user)\s*:", reply)
        assert [n for _, n in turn[1:]] == ["utter_offer_repair_visit"]
        assert said(customer, "thanks")[0][1] == "utter_you_are_welcome"
