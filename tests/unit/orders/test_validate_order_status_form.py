import pytest
from sqlalchemy import func, select

from actions.orders.validate_order_status_form import (
    CHECKED,
    LOCKED,
    ValidateOrderStatusForm,
)
from actions.store.models import Order
from tests.conftest import user_event

DANA = "dana.whitfield@example.com"


@pytest.fixture
def validator(sqlite_store):
    return ValidateOrderStatusForm(store=lambda: sqlite_store)


def responses(dispatcher):
    return [message["response"] for message in dispatcher.messages]


@pytest.mark.parametrize("typed", ["A-1234", "a1234", "A 1234", "a-1234", ["a1234"]])
def test_order_numbers_are_normalized(
    validator, dispatcher, make_tracker, domain, typed
):
    slots = validator.validate_order_number(typed, dispatcher, make_tracker(), domain)
    assert slots == {"order_number": "A-1234"}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "typed",
    [
        "banana",
        "A12345",
        "'; DROP TABLE orders; --",
        "A" * 10_000,
        "🙂🙂",
        "",
        None,
        [],
        42,
    ],
)
def test_anything_else_is_re_asked_with_the_format(
    validator, dispatcher, make_tracker, domain, sqlite_store, typed
):
    slots = validator.validate_order_number(typed, dispatcher, make_tracker(), domain)
    assert slots == {"order_number": None}
    assert responses(dispatcher) == ["utter_order_number_invalid"]
    with sqlite_store.session() as session:  # nothing was harmed
        assert session.scalar(select(func.count()).select_from(Order)) == 5


def test_a_verified_customer_is_not_asked_again_for_their_own_order(
    validator, dispatcher, make_tracker, domain, sqlite_store
):
    with sqlite_store.session() as session:
        dana_id = session.scalar(
            select(Order.customer_id).where(Order.number == "A-1234")
        )
    tracker = make_tracker(slots={"verified_customer_id": str(dana_id)})

    own = validator.validate_order_number("d4567", dispatcher, tracker, domain)
    assert own == {"order_number": "D-4567", "order_verification": CHECKED}
    other = validator.validate_order_number("B-2345", dispatcher, tracker, domain)
    assert other == {"order_number": "B-2345"}  # Marco's: proof needed


@pytest.mark.parametrize("proof", [DANA, " Dana.Whitfield@EXAMPLE.com", "10001"])
def test_the_email_or_zip_on_the_order_verifies(
    validator, dispatcher, make_tracker, domain, proof
):
    tracker = make_tracker(slots={"order_number": "A-1234"})
    slots = validator.validate_order_verification(proof, dispatcher, tracker, domain)
    assert slots["order_verification"] == CHECKED
    assert slots["verified_customer_id"]
    assert slots["verification_failures"] == 0
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "proof",
    [
        "60614",  # another customer's ZIP
        "marco.alvarez@example.com",
        CHECKED,  # typing the internal marker proves nothing
        LOCKED,
        "verified",
        "' OR '1'='1",
        "x" * 10_000,
        "🙂",
    ],
)
def test_anything_else_counts_as_a_failure_and_reveals_nothing(
    validator, dispatcher, make_tracker, domain, proof
):
    tracker = make_tracker(slots={"order_number": "A-1234"})
    slots = validator.validate_order_verification(proof, dispatcher, tracker, domain)
    assert slots == {"order_verification": None, "verification_failures": 1}
    assert responses(dispatcher) == ["utter_order_verification_failed"]


def test_an_unknown_order_fails_exactly_like_a_wrong_proof(
    validator, dispatcher, make_tracker, domain
):
    tracker = make_tracker(slots={"order_number": "Z-9999"})
    slots = validator.validate_order_verification(DANA, dispatcher, tracker, domain)
    assert slots == {"order_verification": None, "verification_failures": 1}
    assert responses(dispatcher) == ["utter_order_verification_failed"]


def test_the_third_failure_locks_and_then_even_the_right_proof_is_refused(
    validator, dispatcher, make_tracker, domain
):
    tracker = make_tracker(slots={"order_number": "A-1234", "verification_failures": 2})
    slots = validator.validate_order_verification("99999", dispatcher, tracker, domain)
    assert slots == {"order_verification": LOCKED, "verification_failures": 3}

    locked = make_tracker(slots={"order_number": "A-1234", "verification_failures": 3})
    slots = validator.validate_order_verification(DANA, dispatcher, locked, domain)
    assert slots == {"order_verification": LOCKED}
    assert "verified_customer_id" not in slots


def test_a_dead_database_lets_the_form_finish_without_verifying(
    dispatcher, make_tracker, domain, dead_store
):
    validator = ValidateOrderStatusForm(store=lambda: dead_store)
    tracker = make_tracker(slots={"order_number": "A-1234"})
    slots = validator.validate_order_verification(DANA, dispatcher, tracker, domain)
    assert slots == {"order_verification": CHECKED}  # no verified_customer_id
    assert validator.validate_order_number(
        "a1234", dispatcher, make_tracker(slots={"verified_customer_id": "1"}), domain
    ) == {"order_number": "A-1234"}


def starting(*messages):
    """The events Rasa sends when the order form starts after ``messages``."""
    return [
        *messages,
        {"event": "active_loop", "name": "order_status_form"},
        {"event": "action", "name": "order_status_form"},
    ]


def test_a_malformed_number_from_an_earlier_message_is_dropped_quietly(
    validator, dispatcher, make_tracker, domain
):
    events = starting(
        user_event(
            "what does c5 mean on the dishwasher?",
            "product_question",
            order_number="c5",
        ),
        {"event": "bot", "text": "…"},
        user_event("and where is my order?", "track_order"),
    )
    slots = validator.validate_order_number(
        "c5", dispatcher, make_tracker(events=events), domain
    )
    assert slots == {"order_number": None}
    assert dispatcher.messages == []  # the form just asks for the number


def test_a_malformed_number_in_the_starting_message_is_explained(
    validator, dispatcher, make_tracker, domain
):
    events = starting(
        user_event("where is my order c5", "track_order", order_number="c5")
    )
    slots = validator.validate_order_number(
        "c5", dispatcher, make_tracker(events=events), domain
    )
    assert slots == {"order_number": None}
    assert responses(dispatcher) == ["utter_order_number_invalid"]
    # On the form's later turns every malformed answer is explained.
    answered = make_tracker(events=[*events, user_event("c5", "inform")])
    validator.validate_order_number("c5", dispatcher, answered, domain)
    assert responses(dispatcher) == ["utter_order_number_invalid"] * 2
