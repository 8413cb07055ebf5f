"""Order tracking through the real servers and the real (SQLite) store."""

import sqlite3

from tests.integration.replies import which_response


def replies(customer, text):
    return [which_response(reply) for reply in customer.say(text)]


def test_tracking_an_order_from_the_first_message(customer):
    assert replies(customer, "where is my order A1234?") == [
        "utter_ask_order_verification"
    ]
    assert replies(customer, "wrong@example.com") == [
        "utter_order_verification_failed",
        "utter_ask_order_verification",
    ]
    [status] = customer.say("10001")
    assert which_response(status) == "utter_order_status_shipped"
    assert "A-1234" in status and "UPS" in status and "1Z999AA10123456784" in status


def test_an_error_code_in_an_open_question_is_not_taken_for_the_order(customer):
    """NLU may tag "c5" as an order number; the form must not blame the customer."""
    customer.say("what does c5 mean on the dishwasher?")
    assert replies(customer, "ok, and where is my order?") == ["utter_ask_order_number"]
    assert replies(customer, "c5") == [
        "utter_order_number_invalid",
        "utter_ask_order_number",
    ]


def test_a_verified_customer_asks_about_another_of_their_orders(customer):
    customer.say("track order A-1234")
    customer.say("dana.whitfield@example.com")
    # D-4567 is Dana's too: no second verification.
    assert replies(customer, "where is my order D-4567") == [
        "utter_order_status_processing"
    ]
    # B-2345 is Marco's: Dana's proof does not open it.
    assert replies(customer, "and order B2345?") == ["utter_ask_order_verification"]


def test_three_failures_lock_and_offer_a_person(customer):
    customer.say("track my order")
    customer.say("C-3456")
    for zip_code in ("11111", "22222"):
        assert replies(customer, zip_code)[0] == "utter_order_verification_failed"
    response = customer.post(message="33333").json()
    assert [which_response(r["text"]) for r in response] == [
        "utter_order_verification_locked"
    ]
    assert response[0]["buttons"][0]["payload"] == "/request_human"
    assert replies(customer, "/request_human")[0].startswith("utter_handoff")


def test_bad_input_in_slots_is_re_asked_and_harms_nothing(customer, servers):
    assert replies(customer, "track my order") == ["utter_ask_order_number"]
    for bad in ["'; DROP TABLE orders; --", "A" * 3_000, "🙂🙂🙂", "A-12"]:
        said = replies(customer, bad)
        assert said[-1] == "utter_ask_order_number", (bad[:20], said)
    # Over the channel's limit: a reply of its own, and the form still waits.
    assert replies(customer, "A" * 10_000) == ["utter_message_too_long"]
    assert replies(customer, "a-1234") == ["utter_ask_order_verification"]
    # SQL in an answer is an attack to the input guard: refused, asked again.
    assert replies(customer, "' OR '1'='1") == [
        "utter_guard_refusal",
        "utter_ask_order_verification",
    ]
    # Quotes that are no attack reach the check, which finds no such proof.
    assert replies(customer, "nobody@example.com' --") == [
        "utter_order_verification_failed",
        "utter_ask_order_verification",
    ]
    assert replies(customer, "never mind") == ["utter_stopped"]
    store = sqlite3.connect(servers.run_dir / "store.db")
    assert store.execute("select count(*) from orders").fetchone() == (5,)
