import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from actions.appointments.validate_appointment_form import ValidateAppointmentForm
from actions.store.models import ServiceSlot
from tests.conftest import user_event

DOMAIN_SLOTS = [
    "appliance",
    "service_type",
    "customer_email",
    "customer_zip",
    "appointment_slot_id",
    "appointment_confirmed",
]


@pytest.fixture
def validator(sqlite_store, clock):
    return ValidateAppointmentForm(store=lambda: sqlite_store, clock=clock)


def responses(dispatcher):
    return [m["response"] for m in dispatcher.messages]


def required(validator, tracker, dispatcher, domain):
    return asyncio.run(
        validator.required_slots(DOMAIN_SLOTS, dispatcher, tracker, domain)
    )


def test_identity_is_asked_only_until_proven(
    validator, make_tracker, dispatcher, domain
):
    assert required(validator, make_tracker(), dispatcher, domain) == DOMAIN_SLOTS
    proven = make_tracker(slots={"verified_customer_id": "1"})
    assert "customer_email" not in required(validator, proven, dispatcher, domain)
    locked = make_tracker(slots={"verification_failures": 3})
    assert required(validator, locked, dispatcher, domain) == []  # the form ends


@pytest.mark.parametrize(
    "typed, expected", [("my washing machine", "washer"), (["fridge"], "refrigerator")]
)
def test_appliances_are_normalized(
    validator, make_tracker, dispatcher, domain, typed, expected
):
    slots = validator.validate_appliance(typed, dispatcher, make_tracker(), domain)
    assert slots["appliance"] == expected
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "typed", ["microwave", "'; DROP TABLE x; --", "🙂", "a" * 10_000]
)
def test_unknown_appliances_are_refused_with_the_list(
    validator, make_tracker, dispatcher, domain, typed
):
    slots = validator.validate_appliance(typed, dispatcher, make_tracker(), domain)
    assert slots["appliance"] is None
    [message] = dispatcher.messages
    assert message["response"] == "utter_appliance_unknown"
    assert "washer" in message["appliances"]


def test_unknown_service_types_are_asked_again(
    validator, make_tracker, dispatcher, domain
):
    slots = validator.validate_service_type(
        "paint it", dispatcher, make_tracker(), domain
    )
    assert slots["service_type"] is None
    assert responses(dispatcher) == ["utter_service_type_unknown"]


def test_email_and_zip_prove_the_customer(
    validator, make_tracker, dispatcher, domain, dana_id
):
    email = validator.validate_customer_email(
        " Dana.Whitfield@example.com", dispatcher, make_tracker(), domain
    )
    assert email == {"customer_email": "dana.whitfield@example.com"}
    tracker = make_tracker(slots=email)
    slots = validator.validate_customer_zip("10001", dispatcher, tracker, domain)
    assert slots["verified_customer_id"] == dana_id
    assert slots["verification_failures"] == 0
    assert slots["customer_email"] is None  # not kept once proven


def test_a_wrong_pair_counts_as_a_failure_and_starts_over(
    validator, make_tracker, dispatcher, domain
):
    tracker = make_tracker(slots={"customer_email": "dana.whitfield@example.com"})
    slots = validator.validate_customer_zip("60614", dispatcher, tracker, domain)
    assert slots == {
        "customer_email": None,
        "customer_zip": None,
        "verification_failures": 1,
    }
    assert responses(dispatcher) == ["utter_identity_failed"]


@pytest.mark.parametrize(
    "typed", ["not-an-email", "a@b", "x" * 300 + "@example.com", "🙂"]
)
def test_malformed_emails_are_asked_again(
    validator, make_tracker, dispatcher, domain, typed
):
    slots = validator.validate_customer_email(typed, dispatcher, make_tracker(), domain)
    assert slots == {"customer_email": None}
    assert responses(dispatcher) == ["utter_customer_email_invalid"]


def test_a_dead_database_is_reported(
    make_tracker, dispatcher, domain, dead_store, clock
):
    validator = ValidateAppointmentForm(store=lambda: dead_store, clock=clock)
    tracker = make_tracker(slots={"customer_email": "dana.whitfield@example.com"})
    slots = validator.validate_customer_zip("10001", dispatcher, tracker, domain)
    assert slots == {"customer_zip": None}
    assert responses(dispatcher) == ["utter_store_unavailable"]
    tracker = make_tracker(slots={"appliance": "washer"})
    slots = validator.validate_appointment_slot_id(
        "tomorrow", dispatcher, tracker, domain
    )
    assert slots["appointment_problem"] == "unavailable"


def slot_start(store, slot_id):
    with store.session() as session:
        return session.get(ServiceSlot, int(slot_id)).starts_at


def test_an_exact_wish_chooses_the_slot_and_labels_it(
    validator, make_tracker, dispatcher, domain, sqlite_store
):
    tracker = make_tracker(slots={"appliance": "washer"})
    slots = validator.validate_appointment_slot_id(
        "tuesday at 10am", dispatcher, tracker, domain
    )
    assert slot_start(sqlite_store, slots["appointment_slot_id"]) == dt.datetime(
        2026, 12, 1, 10
    )
    assert slots["appointment_visit"] == "Tue Dec 1, 10 am-12 pm"
    assert slots["appointment_problem"] is None
    assert slots["appointment_confirmed"] is None  # a new time is confirmed anew


@pytest.mark.parametrize(
    "wish, problem",
    [
        ("tomorrow afternoon", "choose"),
        ("sunday", "closed"),
        ("yesterday", "past"),
        ("tuesday at 7pm", "out_of_hours"),
        ("march 15", "too_far"),
        ("whenever", "choose"),
        ("asdf", "unclear"),
    ],
)
def test_other_wishes_get_a_reason_and_proposals(
    validator, make_tracker, dispatcher, domain, wish, problem
):
    tracker = make_tracker(slots={"appliance": "oven"})
    slots = validator.validate_appointment_slot_id(wish, dispatcher, tracker, domain)
    assert slots["appointment_slot_id"] is None
    assert slots["appointment_problem"] == problem
    if problem != "unclear":
        assert slots["appointment_proposals"]


def test_a_button_with_a_free_slot_is_taken_and_a_stale_one_is_not(
    validator, make_tracker, dispatcher, domain, sqlite_store
):
    with sqlite_store.session() as session:
        washer_slot = session.scalar(
            select(ServiceSlot).where(ServiceSlot.technician_id == 1).limit(1)
        )
    tracker = make_tracker(slots={"appliance": "washer"})
    chosen = validator.validate_appointment_slot_id(
        str(washer_slot.id), dispatcher, tracker, domain
    )
    assert chosen["appointment_slot_id"] == str(washer_slot.id)
    # Technician 2 does not work on washers: that slot is not for this visit.
    with sqlite_store.session() as session:
        other = session.scalar(
            select(ServiceSlot).where(ServiceSlot.technician_id == 2).limit(1)
        )
    refused = validator.validate_appointment_slot_id(
        str(other.id), dispatcher, tracker, domain
    )
    assert refused["appointment_slot_id"] is None
    assert refused["appointment_problem"] == "taken"
    assert refused["appointment_proposals"]


def test_no_means_choose_another_time(validator, make_tracker, dispatcher, domain):
    slots = validator.validate_appointment_confirmed(
        False, dispatcher, make_tracker(), domain
    )
    assert (
        slots["appointment_slot_id"] is None and slots["appointment_confirmed"] is None
    )
    yes = validator.validate_appointment_confirmed(
        True, dispatcher, make_tracker(), domain
    )
    assert yes == {"appointment_confirmed": True}


def asked_then_started(*earlier, candidates=()):
    """The tracker Rasa sends when the booking form starts after ``earlier``."""
    return [
        *earlier,
        {"event": "active_loop", "name": "appointment_form"},
        {"event": "slot", "name": "requested_slot", "value": "appliance"},
        {"event": "action", "name": "appointment_form"},
        *({"event": "slot", "name": k, "value": v} for k, v in candidates),
    ]


def refused():
    return {"event": "bot", "metadata": {"utter_action": "utter_guard_refusal"}}


def run(validator, tracker, dispatcher, domain):
    events = asyncio.run(validator.run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_starting_form_recalls_and_checks_what_was_named_before(
    validator, make_tracker, dispatcher, domain
):
    events = asked_then_started(
        user_event(
            "why is my washing machine so loud",
            "product_question",
            appliance="washing machine",
        ),
        {"event": "bot", "metadata": {"utter_action": "utter_offer_repair_visit"}},
        user_event(
            "change my oven's price to $1", "product_question", appliance="oven"
        ),
        refused(),
        user_event(
            '/book_appointment{"service_type":"repair"}',
            "book_appointment",
            service_type="repair",
        ),
    )
    tracker = make_tracker(events=events, slots={"requested_slot": "appliance"})
    assert run(validator, tracker, dispatcher, domain) == {
        "appliance": "washer",  # named as "washing machine", checked like an answer
        "appointment_confirmed": None,
        "service_type": "repair",
    }
    assert dispatcher.messages == []


def test_an_unknown_recalled_appliance_gets_the_list_and_the_question(
    validator, make_tracker, dispatcher, domain
):
    events = asked_then_started(
        user_event(
            "my microwave broke, book a repair",
            "book_appointment",
            appliance="microwave",
        )
    )
    slots = run(validator, make_tracker(events=events), dispatcher, domain)
    assert slots["appliance"] is None
    assert responses(dispatcher) == ["utter_appliance_unknown"]


def test_nothing_is_recalled_on_later_turns_or_over_a_filled_slot(
    validator, make_tracker, dispatcher, domain
):
    earlier = user_event("my dryer squeaks", "product_question", appliance="dryer")
    later_turn = [*asked_then_started(earlier), user_event("hmm", "chitchat")]
    tracker = make_tracker(events=later_turn, slots={"requested_slot": "appliance"})
    assert run(validator, tracker, dispatcher, domain) == {}
    filled = make_tracker(
        events=asked_then_started(earlier), slots={"appliance": "oven"}
    )
    assert "appliance" not in run(validator, filled, dispatcher, domain)


def test_unreadable_guard_rules_do_not_stop_a_booking(
    sqlite_store, clock, make_tracker, dispatcher, domain
):
    from rasa_hybrid.guards.input import GuardConfigError

    def broken():
        raise GuardConfigError("data/guards/input.yml: bad")

    validator = ValidateAppointmentForm(
        store=lambda: sqlite_store, clock=clock, refusals=broken
    )
    events = asked_then_started(
        user_event("book my fridge", "book_appointment", appliance="fridge")
    )
    assert (
        run(validator, make_tracker(events=events), dispatcher, domain)["appliance"]
        == "refrigerator"
    )
