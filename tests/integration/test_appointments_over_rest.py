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
        # An answer that names no time. (Gibberish such as "asdf" falls below
        # NLU's threshold and goes to the LLM plugin like any unclear turn.)
        ("the blue one", "utter_appointment_time_unclear"),
    ]:
        assert names(said(customer, wish))[0] == reason, wish
    assert names(said(customer, "never mind")) == ["utter_stopped"]


def test_unknown_appliances_and_bad_input_are_asked_again(customer):
    said(customer, "book a technician")
    for bad in ["my microwave", "'; DROP TABLE appointments; --", "🙂", "x" * 3_000]:
        reply = names(said(customer, bad))
        assert reply[-1] == "utter_ask_appliance", (bad[:20], reply)
    # Over the channel's limit: its own reply, and the question still stands.
    assert names(said(customer, "x" * 10_000)) == ["utter_message_too_long"]
    assert names(said(customer, "fridge")) == ["utter_ask_service_type"]


def test_list_reschedule_and_cancel_only_ones_own_visits(customer, servers):
    from tests.integration.conftest import Customer

    # Identify through the list request, then book a visit.
    assert names(said(customer, "my appointments")) == [
        "utter_ask_identity_form_customer_email"
    ]
    said(customer, "marco.alvarez@example.com")
    assert names(said(customer, "60614")) == ["utter_no_appointments"]
    said(customer, "i need a repair for my fridge")
    said(customer, "next tuesday at 1pm")
    assert names(said(customer, "yes")) == ["utter_appointment_booked"]

    listed = said(customer, "show my appointments")
    assert names(listed) == ["utter_appointments_list"]
    assert "refrigerator repair" in listed[0]["text"]

    # Move it.
    [choose] = said(customer, "reschedule my appointment")
    assert which_response(choose["text"]) == "utter_choose_appointment_to_reschedule"
    [visit_button] = choose["buttons"]
    assert names(said(customer, visit_button["payload"])) == [
        "utter_ask_appointment_slot_id"
    ]
    offer = said(customer, "wednesday afternoon")
    assert names(offer) == ["utter_appointment_choose"]
    said(customer, offer[0]["buttons"][0]["payload"])
    assert names(said(customer, "yes")) == ["utter_appointment_rescheduled"]

    # Another customer cannot cancel it, even with the button's payload.
    [choose] = said(customer, "cancel my appointment")
    [cancel_button] = choose["buttons"]
    intruder = Customer(servers.rest_url, "it-intruder")
    said(intruder, cancel_button["payload"])
    said(intruder, "dana.whitfield@example.com")
    [reply] = said(intruder, "10001")
    # Dana sees her own visits (if any) to choose from, never Marco's.
    assert which_response(reply["text"]) in {
        "utter_no_appointments",
        "utter_choose_appointment_to_cancel",
    }
    assert cancel_button["payload"] not in str(reply.get("buttons"))

    # Its owner can.
    assert names(said(customer, cancel_button["payload"])) == [
        "utter_appointment_cancelled"
    ]
    assert names(said(customer, "my appointments")) == ["utter_no_appointments"]
    store = sqlite3.connect(servers.run_dir / "store.db")
    assert store.execute(
        "select status, count(*) from appointments a join customers c"
        " on c.id = a.customer_id where c.email = 'marco.alvarez@example.com'"
        " group by status order by status"
    ).fetchall() == [("cancelled", 2)]
