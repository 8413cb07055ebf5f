"""Booking a technician through the real servers and the real (SQLite) store."""

import sqlite3

from tests.integration.replies import which_response


def said(customer, text):
    response = customer.post(message=text)
    assert response.status_code == 200, response.text
    return response.json()


def names(messages):
    return [which_response(m.get("text")) for m in messages]


def test_book_a_repair_with_a_correction_and_a_button(customer, servers):
    assert names(said(customer, "my washer is leaking, i need a repair")) == [
        "utter_ask_customer_email"
    ]
    assert names(said(customer, "dana.whitfield@example.com")) == [
        "utter_ask_customer_zip"
    ]
    assert names(said(customer, "10001")) == ["utter_ask_appointment_slot_id"]

    offer = said(customer, "tomorrow morning")
    assert names(offer) == ["utter_appointment_choose"]
    assert offer[0]["buttons"]

    # "Actually make it Thursday": new proposals for Thursday.
    thursday = said(customer, "actually make it thursday")
    assert names(thursday) == ["utter_appointment_choose"]
    button = thursday[0]["buttons"][0]
    assert button["title"].startswith("Thu ")

    confirm = said(customer, button["payload"])
    assert names(confirm) == ["utter_ask_appointment_confirmed"]
    assert button["title"] in confirm[0]["text"]

    [booked] = said(customer, "yes")
    assert which_response(booked["text"]) == "utter_appointment_booked"
    assert button["title"] in booked["text"]

    store = sqlite3.connect(servers.run_dir / "store.db")
    rows = store.execute(
        "select a.appliance, a.service_type, c.email from appointments a"
        " join customers c on c.id = a.customer_id where a.status = 'booked'"
    ).fetchall()
    assert ("washer", "repair", "dana.whitfield@example.com") in rows


def test_refusals_explain_and_offer(customer):
    said(customer, "i need someone to fix my oven")
    said(customer, "priya.n@example.com")
    said(customer, "94110")
    for wish, reason in [
        ("sunday", "utter_appointment_day_closed"),
        ("yesterday", "utter_appointment_time_past"),
        ("tuesday at 7pm", "utter_appointment_out_of_hours"),
        ("asdf", "utter_appointment_time_unclear"),
    ]:
        assert names(said(customer, wish))[0] == reason, wish
    assert names(said(customer, "never mind")) == ["utter_stopped"]


def test_unknown_appliances_and_bad_input_are_asked_again(customer):
    said(customer, "book a technician")
    for bad in ["my microwave", "'; DROP TABLE appointments; --", "🙂", "x" * 10_000]:
        reply = names(said(customer, bad))
        assert reply[-1] == "utter_ask_appliance", (bad[:20], reply)
    assert names(said(customer, "fridge")) == ["utter_ask_service_type"]
