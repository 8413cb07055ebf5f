import datetime as dt

import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import func, select

from actions.appointments.ask_appointment_slot import ActionAskAppointmentSlotId
from actions.appointments.book_appointment import ActionBookAppointment
from actions.store import repository
from actions.store.models import Appointment, ServiceSlot
from tests.unit.test_handoff import assert_fills_a_domain_response


def first_free(store, appliance="washer"):
    with store.session() as session:
        start = dt.datetime(2026, 12, 1)
        return repository.free_slots(
            session, appliance, start, start + dt.timedelta(7)
        )[0]


def booking(make_tracker, customer, slot_id, confirmed=True):
    return make_tracker(
        "yes",
        intent="affirm",
        slots={
            "verified_customer_id": customer,
            "appliance": "washer",
            "service_type": "repair",
            "appointment_slot_id": str(slot_id),
            "appointment_confirmed": confirmed,
        },
    )


@pytest.fixture
def action(sqlite_store, clock):
    return ActionBookAppointment(store=lambda: sqlite_store, clock=clock)


def test_a_confirmed_visit_is_booked_for_the_verified_customer(
    action, sqlite_store, make_tracker, dispatcher, domain, dana_id
):
    slot = first_free(sqlite_store)
    events = action.run(dispatcher, booking(make_tracker, dana_id, slot.id), domain)

    [message] = dispatcher.messages
    assert message["response"] == "utter_appointment_booked"
    assert message["technician"] and message["visit"] == "Tue Dec 1, 8 am-10 am"
    assert_fills_a_domain_response(message, domain)
    assert SlotSet("appointment_slot_id", None) in events
    assert SlotSet("verified_customer_id", None) not in events
    with sqlite_store.session() as session:
        [visit] = repository.appointments_of(
            session, int(dana_id), dt.datetime(2026, 11, 30)
        )
        assert visit.slot_id == slot.id


def test_a_slot_taken_meanwhile_gets_other_times_as_buttons(
    action, sqlite_store, make_tracker, dispatcher, domain, dana_id
):
    slot = first_free(sqlite_store)
    with sqlite_store.session() as session:  # someone else was faster
        repository.book(
            session, 2, slot.id, "washer", "repair", dt.datetime(2026, 11, 30)
        )
    events = action.run(dispatcher, booking(make_tracker, dana_id, slot.id), domain)

    [message] = dispatcher.messages
    assert message["response"] == "utter_appointment_slot_just_taken"
    assert message["buttons"] and all(
        b["payload"].startswith("/book_appointment{") for b in message["buttons"]
    )
    assert f'"slot_id":"{slot.id}"' not in str(message["buttons"])
    assert SlotSet("appliance", None) not in events  # kept for the next try
    with sqlite_store.session() as session:
        booked = select(func.count()).select_from(Appointment)
        assert session.scalar(booked.where(Appointment.slot_id == slot.id)) == 1


def test_nothing_is_booked_without_a_verified_customer(
    action, sqlite_store, make_tracker, dispatcher, domain
):
    slot = first_free(sqlite_store)
    action.run(dispatcher, booking(make_tracker, None, slot.id), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_identity_locked"]
    with sqlite_store.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_a_dead_database_is_reported(
    dead_store, clock, make_tracker, dispatcher, domain
):
    action = ActionBookAppointment(store=lambda: dead_store, clock=clock)
    action.run(dispatcher, booking(make_tracker, "1", 1), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_store_unavailable"]


def test_the_question_explains_and_offers_buttons(
    sqlite_store, make_tracker, dispatcher, domain
):
    with sqlite_store.session() as session:
        ids = [str(i) for i in session.scalars(select(ServiceSlot.id).limit(2))]
    tracker = make_tracker(
        slots={"appointment_problem": "closed", "appointment_proposals": ids}
    )
    ActionAskAppointmentSlotId(store=lambda: sqlite_store).run(
        dispatcher, tracker, domain
    )
    reason, offer = dispatcher.messages
    assert reason["response"] == "utter_appointment_day_closed"
    assert offer["response"] == "utter_appointment_offer"
    assert [b["payload"] for b in offer["buttons"]] == [
        f'/book_appointment{{"slot_id":"{i}"}}' for i in ids
    ]


def test_the_first_question_is_the_open_one(
    sqlite_store, make_tracker, dispatcher, domain
):
    ActionAskAppointmentSlotId(store=lambda: sqlite_store).run(
        dispatcher, make_tracker(), domain
    )
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_ask_appointment_slot_id"
    ]


def test_a_rescheduled_visit_moves_and_the_old_slot_frees(
    action, sqlite_store, make_tracker, dispatcher, domain, dana_id
):
    with sqlite_store.session() as session:
        start = dt.datetime(2026, 12, 1)
        old, new = repository.free_slots(
            session, "washer", start, start + dt.timedelta(7)
        )[:2]
        visit = repository.book(
            session, int(dana_id), old.id, "washer", "repair", dt.datetime(2026, 11, 30)
        )
    tracker = booking(make_tracker, dana_id, new.id)
    tracker.slots["rescheduling_appointment_id"] = str(visit.id)
    events = action.run(dispatcher, tracker, domain)

    assert [m["response"] for m in dispatcher.messages] == [
        "utter_appointment_rescheduled"
    ]
    assert SlotSet("rescheduling_appointment_id", None) in events
    with sqlite_store.session() as session:
        [moved] = repository.appointments_of(
            session, int(dana_id), dt.datetime(2026, 11, 30)
        )
        assert moved.slot_id == new.id
        assert repository.free_slot(
            session, old.id, "washer", dt.datetime(2026, 11, 30)
        )
