import pytest
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.orders.order_status import ActionOrderStatus, day
from actions.store.models import Order
from tests.conftest import MONDAY
from tests.unit.test_handoff import assert_fills_a_domain_response

RESET = [SlotSet("order_number", None), SlotSet("order_verification", None)]


def owner_of(store, number):
    with store.session() as session:
        return str(
            session.scalar(select(Order.customer_id).where(Order.number == number))
        )


@pytest.mark.parametrize(
    "number, response, facts",
    [
        ("A-1234", "utter_order_status_shipped", ["UPS", "1Z999AA10123456784"]),
        (
            "B-2345",
            "utter_order_status_delayed",
            ["FedEx", "Sunday, November 29", "Friday, December 4"],
        ),
        ("C-3456", "utter_order_status_delivered", ["installation kit"]),
        ("D-4567", "utter_order_status_processing", ["Sunday, December 6"]),
        ("E-5678", "utter_order_status_cancelled", ["Acme SteamChef oven"]),
    ],
)
def test_the_verified_owner_hears_the_status(
    sqlite_store, dispatcher, make_tracker, domain, number, response, facts
):
    tracker = make_tracker(
        slots={
            "order_number": number,
            "order_verification": "checked",
            "verified_customer_id": owner_of(sqlite_store, number),
        }
    )
    events = ActionOrderStatus(store=lambda: sqlite_store).run(
        dispatcher, tracker, domain
    )

    assert events == RESET
    [message] = dispatcher.messages
    assert message["response"] == response
    assert_fills_a_domain_response(message, domain)
    values = " ".join(str(v) for v in message.values())
    for fact in facts:
        assert fact in values


def test_delayed_orders_carry_the_old_and_the_new_estimate(sqlite_store):
    with sqlite_store.session() as session:
        order = session.scalar(select(Order).where(Order.number == "B-2345"))
        assert order.original_estimate < MONDAY < order.estimated_delivery


def test_another_customers_order_is_never_disclosed(
    sqlite_store, dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        slots={
            "order_number": "B-2345",
            "order_verification": "checked",
            "verified_customer_id": owner_of(sqlite_store, "A-1234"),
        }
    )
    action = ActionOrderStatus(store=lambda: sqlite_store)
    action.run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert not message["response"].startswith("utter_order_status")
    assert "FedEx" not in str(message)


def test_after_three_failures_the_handoff_is_offered(
    sqlite_store, dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        slots={
            "order_number": "A-1234",
            "order_verification": "locked",
            "verification_failures": 3,
        }
    )
    events = ActionOrderStatus(store=lambda: sqlite_store).run(
        dispatcher, tracker, domain
    )
    assert events == RESET
    [message] = dispatcher.messages
    assert message["response"] == "utter_order_verification_locked"
    buttons = domain["responses"]["utter_order_verification_locked"][0]["buttons"]
    assert {"title": "Talk to a person", "payload": "/request_human"} in buttons


def test_a_dead_database_gets_an_apology_and_the_conversation_goes_on(
    dead_store, dispatcher, make_tracker, domain
):
    tracker = make_tracker(
        slots={"order_number": "A-1234", "verified_customer_id": "1"}
    )
    events = ActionOrderStatus(store=lambda: dead_store).run(
        dispatcher, tracker, domain
    )
    assert events == RESET
    assert [m["response"] for m in dispatcher.messages] == ["utter_store_unavailable"]


def test_dates_read_like_a_person_would_say_them():
    assert day(MONDAY) == "Monday, November 30"
    assert day(None) == ""
