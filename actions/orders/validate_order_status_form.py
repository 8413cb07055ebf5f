"""Validates the order-status form: order number format, then proof of identity."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_hybrid.actions.recall import form_starting, named_earlier
from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.store.database import Store, default_store
from actions.store.repository import find_order, normalize_order_number, proves_identity
from actions.verification import (
    MAX_FAILURES,
    failures,
    first_text,
    verified_customer,
)

logger = logging.getLogger(__name__)

# Values of order_verification. They only let the form finish: what the
# answer discloses is decided from verified_customer_id, never from these.
CHECKED = "checked"
LOCKED = "locked"


class ValidateOrderStatusForm(FormValidationAction):
    """Checks the order number's format and the email or ZIP code given for it."""

    def __init__(self, store: Callable[[], Store] = default_store) -> None:
        self._store = store

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "validate_order_status_form"

    def _owner_of(self, number: str) -> str | None:
        with self._store().session() as session:
            order = find_order(session, number)
            return str(order.customer_id) if order else None

    def validate_order_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Normalizes ``a1234`` to ``A-1234``; re-asks for anything else.

        A malformed value left over from an earlier message (an error code
        that NLU took for an order number in an open question) is dropped
        without a word when the form starts: the customer never gave it as an
        order number, and the form simply asks for one.
        """
        number = normalize_order_number(first_text(slot_value))
        if number is None:
            if not self._left_over(tracker, slot_value):
                dispatcher.utter_message(response="utter_order_number_invalid")
            return {"order_number": None}
        slots: dict[str, Any] = {"order_number": number}
        customer = verified_customer(tracker)
        if customer:
            try:
                if self._owner_of(number) == customer:
                    slots["order_verification"] = CHECKED  # already proven
            except SQLAlchemyError:
                logger.exception("Store unavailable while checking %s", number)
        return slots

    def _left_over(self, tracker: Tracker, value: Any) -> bool:
        return form_starting(tracker.events, self.form_name()) and named_earlier(
            tracker.events, "order_number", value
        )

    def validate_order_verification(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accepts the order's email or ZIP code; after three misses, locks."""
        so_far = failures(tracker)
        if so_far >= MAX_FAILURES:
            return {"order_verification": LOCKED}
        number = tracker.get_slot("order_number")
        try:
            with self._store().session() as session:
                order = find_order(session, number) if number else None
                owner = order.customer if order else None
                proven = owner is not None and proves_identity(
                    owner, first_text(slot_value)
                )
                owner_id = str(owner.id) if owner else None
        except SQLAlchemyError:
            logger.exception("Store unavailable while verifying %s", number)
            return {"order_verification": CHECKED}  # the answer reports the outage
        if proven:
            return {
                "order_verification": CHECKED,
                "verified_customer_id": owner_id,
                "verification_failures": 0,
            }
        so_far += 1
        if so_far >= MAX_FAILURES:
            return {"order_verification": LOCKED, "verification_failures": so_far}
        # The same answer whether the order exists or not: nothing is revealed.
        dispatcher.utter_message(response="utter_order_verification_failed")
        return {"order_verification": None, "verification_failures": so_far}
