"""Answers the order-status form: the order's status, to its verified owner only."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.store.database import Store, default_store
from actions.store.models import Order
from actions.store.repository import find_order
from actions.verification import (
    MAX_FAILURES,
    ORDER_SLOTS,
    failures,
    verified_customer,
)

logger = logging.getLogger(__name__)


STATUS_RESPONSES = {
    "processing": "utter_order_status_processing",
    "shipped": "utter_order_status_shipped",
    "delayed": "utter_order_status_delayed",
    "delivered": "utter_order_status_delivered",
    "cancelled": "utter_order_status_cancelled",
}


def day(date: dt.date | None) -> str:
    """A date as customers read it: ``Tuesday, December 1``."""
    return f"{date:%A, %B} {date.day}" if date else ""


def status_reply(order: Order) -> tuple[str | None, dict[str, str]]:
    """The response that tells the order's status, and the values it needs.

    The response is None for a status this module does not know.
    """
    values = {
        "order_number": order.number,
        "items": ", ".join(order.items),
        "carrier": order.carrier or "",
        "tracking_number": order.tracking_number or "",
        "estimated_delivery": day(order.estimated_delivery),
        "original_estimate": day(order.original_estimate),
    }
    return STATUS_RESPONSES.get(order.status), values


class ActionOrderStatus(Action):
    """Tells a verified customer the status of their order."""

    def __init__(self, store: Callable[[], Store] = default_store) -> None:
        self._store = store

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_order_status"

    def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        """Answers with the status, or says why it cannot."""
        reset = [SlotSet(slot, None) for slot in ORDER_SLOTS]
        customer = verified_customer(tracker)
        number = tracker.get_slot("order_number")
        try:
            with self._store().session() as session:
                order = find_order(session, number) if number else None
                if order and customer and str(order.customer_id) == customer:
                    response, values = status_reply(order)
                    if response is None:
                        logger.error(
                            "Order %s has unknown status %r", number, order.status
                        )
                        response = "utter_store_unavailable"
                    dispatcher.utter_message(response=response, **values)
                    return reset
        except SQLAlchemyError:
            logger.exception("Store unavailable while answering for %s", number)
            dispatcher.utter_message(response="utter_store_unavailable")
            return reset
        if failures(tracker) >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_order_verification_locked")
        else:
            dispatcher.utter_message(response="utter_store_unavailable")
        return reset
