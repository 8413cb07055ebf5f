import datetime as dt

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from sqlalchemy import select

from actions.appointments.manage_appointments import ActionManageAppointments
from actions.store import repository
from actions.store.models import CANCELLED, Appointment, Customer
from tests.unit.test_handoff import assert_fills_a_domain_response

MONDAY = dt.datetime(2026, 11, 30, 10)


@pytest.fixture
def action(sqlite_store, clock):
    return ActionManageAppointments(store=lambda: sqlite_store, clock=clock)


@pytest.fixture
def visits(sqlite_store):
    """Dana has two visits, Marco one."""
    with sqlite_store.session() as session:
        dana, marco = session.scalars(select(Customer).order_by(Customer.id)).all()[:2]
        week = (MONDAY, MONDAY + dt.timedelta(days=7))
        slots = repository.free_slots(session, "washer", *week, limit=3)
        ids = {
            "dana": [
                repository.book(session, dana.id, s.id, "washer", "repair", MONDAY).id
                for s in slots[:2]
            ],
            "marco": [
                repository.book(
                    session, marco.id, slots[2].id, "washer", "maintenance", MONDAY
                ).id
            ],
        }
        return {"dana_id": str(dana.id), "marco_id": str(marco.id), **ids}


def tracker_for(make_tracker, customer, request, chosen=None, **slots):
    return make_tracker(
        slots={
            "verified_customer_id": customer,
            "appointment_request": request,
            "appointment_id": chosen,
            **slots,
        }
    )


def test_without_identity_the_identity_form_comes_first(
    action, make_tracker, dispatcher, domain
):
    events = action.run(dispatcher, tracker_for(make_tracker, None, "list"), domain)
    assert events == [FollowupAction("identity_form")]
    assert dispatcher.messages == []


def test_after_three_failed_checks_nothing_is_shown(
    action, make_tracker, dispatcher, domain
):
    tracker = tracker_for(make_tracker, None, "cancel", verification_failures=3)
    action.run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_identity_locked"]


def test_the_list_shows_only_the_customers_own_visits(
    action, make_tracker, dispatcher, domain, visits
):
    action.run(dispatcher, tracker_for(make_tracker, visits["dana_id"], "list"), domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_appointments_list"
    assert message["visits"].count("washer repair") == 2
    assert "maintenance" not in message["visits"]
    assert_fills_a_domain_response(message, domain)


def test_no_visits_offers_to_book(action, make_tracker, dispatcher, domain, visits):
    priya = str(int(visits["marco_id"]) + 1)
    action.run(dispatcher, tracker_for(make_tracker, priya, "list"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_appointments"]


def test_cancel_offers_the_customers_visits_as_buttons(
    action, make_tracker, dispatcher, domain, visits
):
    tracker = tracker_for(make_tracker, visits["dana_id"], "cancel")
    action.run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_choose_appointment_to_cancel"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == [
        f'/cancel_appointment{{"appointment_id":"{i}"}}' for i in visits["dana"]
    ]


def test_a_chosen_visit_is_cancelled(
    action, make_tracker, dispatcher, domain, visits, sqlite_store
):
    chosen = str(visits["dana"][0])
    tracker = tracker_for(make_tracker, visits["dana_id"], "cancel", chosen)
    events = action.run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_appointment_cancelled"
    ]
    assert SlotSet("appointment_id", None) in events
    with sqlite_store.session() as session:
        assert session.get(Appointment, int(chosen)).status == CANCELLED


def test_another_customers_visit_cannot_be_cancelled(
    action, make_tracker, dispatcher, domain, visits, sqlite_store
):
    marcos = str(visits["marco"][0])
    tracker = tracker_for(make_tracker, visits["dana_id"], "cancel", marcos)
    action.run(dispatcher, tracker, domain)
    # Dana is shown her own visits to choose from; Marco's stays booked.
    assert dispatcher.messages[0]["response"] == "utter_choose_appointment_to_cancel"
    with sqlite_store.session() as session:
        assert session.get(Appointment, int(marcos)).status == "booked"


def test_rescheduling_hands_over_to_the_booking_form(
    action, make_tracker, dispatcher, domain, visits
):
    chosen = str(visits["dana"][1])
    tracker = tracker_for(make_tracker, visits["dana_id"], "reschedule", chosen)
    events = action.run(dispatcher, tracker, domain)
    assert SlotSet("rescheduling_appointment_id", chosen) in events
    assert SlotSet("appliance", "washer") in events
    assert SlotSet("service_type", "repair") in events
    assert events[-1] == FollowupAction("appointment_form")


def test_a_dead_database_is_reported(
    dead_store, clock, make_tracker, dispatcher, domain
):
    action = ActionManageAppointments(store=lambda: dead_store, clock=clock)
    action.run(dispatcher, tracker_for(make_tracker, "1", "list"), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_store_unavailable"]
